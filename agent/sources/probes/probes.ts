import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';
import { type Family, ProbeError, resolveHost } from './resolve.js';
import { roundStats, parsePingReplies, type RoundStats } from './stats.js';

export type ProbeType = 'icmp' | 'tcp' | 'dns' | 'http';

export interface ProbeOptions {
  timeoutSeconds: number;
  /** DNS server "host:port" used instead of the system resolver. */
  resolver?: string;
  /** icmp: echo requests per round and the gap between them. */
  count?: number;
  packetIntervalSeconds?: number;
  /** http: accept TLS certificates that do not verify (still reports their expiry). */
  insecureTls?: boolean;
  signal?: AbortSignal;
  /** icmp: runs the ping argv (default: execFile). Lets a caller wrap it, e.g. in `ip netns exec`. */
  exec?: (argv: string[], timeoutMs: number) => Promise<{ stdout: string; stderr: string; code: number }>;
}

export interface Outcome {
  type: ProbeType;
  target: string;
  ip: Family;
  success: boolean;
  durationSeconds: number;
  /** Short reason when it failed (e.g. no_aaaa, connect_refused, timeout, tls_error, http_status). */
  reason?: string;
  error?: string;
  address?: string;
  icmp?: RoundStats;
  dns?: { answers: number; lookupSeconds: number };
  http?: { status: number; phases: Record<'resolve' | 'connect' | 'tls' | 'processing' | 'transfer', number>; certExpiry: number | null; bodyBytes: number; tls: boolean };
}

function failure(type: ProbeType, target: string, ip: Family, t0: number, err: unknown): Outcome {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const reason =
    e instanceof ProbeError
      ? e.reason
      : e.code === 'ECONNREFUSED'
        ? 'connect_refused'
        : e.code === 'UND_ERR_CONNECT_TIMEOUT' || e.code === 'ETIMEDOUT' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT'
          ? 'timeout'
          : /certificate|ssl|tls|self.signed/i.test(`${e.code} ${e.message}`)
            ? 'tls_error'
            : e.code === 'ENETUNREACH' || e.code === 'EHOSTUNREACH' || e.code === 'EADDRNOTAVAIL'
              ? 'unreachable'
              : (e.code?.toLowerCase() ?? 'error');
  return { type, target, ip, success: false, durationSeconds: (performance.now() - t0) / 1000, reason, error: e.message };
}

function defaultExec(argv: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === 'ENOENT') return reject(new ProbeError('no_ping', 'the system ping binary was not found (install iputils-ping)'));
      resolve({ stdout, stderr, code: e ? (typeof e.code === 'number' ? e.code : 2) : 0 });
    });
  });
}

/** ICMP echo round through the system ping (ping sockets or its capability): loss, RTTs, jitter. */
export async function probeIcmp(target: string, ip: Family, o: ProbeOptions): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const { address } = await resolveHost(target, ip, o.resolver, o.signal);
    const count = o.count ?? 5;
    const gap = o.packetIntervalSeconds ?? 0.5;
    const argv = ['ping', '-n', `-${ip}`, '-c', String(count), '-i', String(gap), '-W', String(Math.max(1, Math.ceil(o.timeoutSeconds))), address];
    const budget = (count * gap + o.timeoutSeconds + 2) * 1000;
    const r = await (o.exec ?? defaultExec)(argv, budget);
    if (r.code === 2 && /permitted|permission|socket/i.test(r.stderr)) {
      throw new ProbeError(
        'icmp_not_permitted',
        `ICMP not permitted for this user: ${r.stderr.trim().split('\n')[0]} (allow ping sockets with sysctl net.ipv4.ping_group_range, or give ping cap_net_raw)`,
      );
    }
    const replies = parsePingReplies(r.stdout);
    if (r.code === 2 && replies.length === 0) throw new ProbeError('ping_error', r.stderr.trim().split('\n')[0] ?? 'ping failed');
    const stats = roundStats(count, replies.map((x) => x.rtt));
    return { type: 'icmp', target, ip, address, success: stats.received > 0, durationSeconds: (performance.now() - t0) / 1000, icmp: stats, ...(stats.received ? {} : { reason: 'no_reply' }) };
  } catch (err) {
    return failure('icmp', target, ip, t0, err);
  }
}

function splitHostPort(target: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:]+):(\d+)$/.exec(target);
  if (!m) throw new ProbeError('bad_target', `expected HOST:PORT or [IPv6]:PORT, got '${target}'`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** TCP connect time to host:port over the forced family. */
export async function probeTcp(target: string, ip: Family, o: ProbeOptions): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const { host, port } = splitHostPort(target);
    const { address } = await resolveHost(host, ip, o.resolver, o.signal);
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: address, port, family: ip, timeout: o.timeoutSeconds * 1000 });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('timeout', () => {
        s.destroy();
        reject(new ProbeError('timeout', `no connection to ${target} within ${o.timeoutSeconds} s`));
      });
      s.once('error', reject);
    });
    return { type: 'tcp', target, ip, address, success: true, durationSeconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    return failure('tcp', target, ip, t0, err);
  }
}

/** A (ip 4) or AAAA (ip 6) resolution: time, success, answer count. */
export async function probeDns(target: string, ip: Family, o: ProbeOptions): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const r = new Resolver({ timeout: o.timeoutSeconds * 1000, tries: 1 });
    if (o.resolver) r.setServers([o.resolver]);
    const answers = ip === 6 ? await r.resolve6(target) : await r.resolve4(target);
    const s = (performance.now() - t0) / 1000;
    return { type: 'dns', target, ip, success: answers.length > 0, durationSeconds: s, address: answers[0], dns: { answers: answers.length, lookupSeconds: s } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const out = failure('dns', target, ip, t0, new ProbeError(code === 'ENODATA' || code === 'ENOTFOUND' ? (ip === 6 ? 'no_aaaa' : 'no_a') : 'dns_error', `${(err as Error).message}`));
    out.dns = { answers: 0, lookupSeconds: out.durationSeconds };
    return out;
  }
}

/** Earliest notAfter of the peer's certificate chain, seconds since epoch. */
function earliestExpiry(sock: TLSSocket): number | null {
  let cert = sock.getPeerCertificate(true);
  let earliest: number | null = null;
  const seen = new Set<string>();
  while (cert?.valid_to && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    const t = Date.parse(cert.valid_to) / 1000;
    if (earliest === null || t < earliest) earliest = t;
    cert = cert.issuerCertificate;
  }
  return earliest;
}

export interface HttpFetch {
  outcome: Outcome;
  body?: string;
}

/** HTTP(S) GET over the forced family with blackbox-style phases; optionally keeps the body. */
export async function fetchOver(url: string, ip: Family, o: ProbeOptions, keepBody = false): Promise<HttpFetch> {
  const t0 = performance.now();
  let tConnect = 0;
  let tTls = 0;
  let expiry: number | null = null;
  let address: string | undefined;
  let agent: Agent | undefined;
  try {
    const u = new URL(url);
    const tls = u.protocol === 'https:';
    const res = await resolveHost(u.hostname, ip, o.resolver, o.signal);
    address = res.address;
    const tResolved = performance.now();
    const base = buildConnector({ rejectUnauthorized: !o.insecureTls, timeout: o.timeoutSeconds * 1000 });
    agent = new Agent({
      connect: (opts, cb) => {
        const sock = base({ ...opts, hostname: res.address, servername: tls && !isIP(u.hostname) ? u.hostname : undefined }, (err, s) => {
          if (err || !s) return cb(err ?? new Error('connect failed'), null);
          tTls = performance.now();
          if (!tConnect) tConnect = tTls;
          if (tls) expiry = earliestExpiry(s as TLSSocket);
          cb(null, s);
        });
        // TCP handshake done (before TLS): the socket's own 'connect' event.
        (sock as unknown as import('node:net').Socket | undefined)?.once?.('connect', () => {
          tConnect = performance.now();
        });
        return sock;
      },
    });
    const resp = await request(url, {
      dispatcher: agent,
      method: 'GET',
      headersTimeout: o.timeoutSeconds * 1000,
      bodyTimeout: o.timeoutSeconds * 1000,
      signal: o.signal,
      headers: { 'user-agent': 'xunjian-probe/1', accept: '*/*' },
    });
    const tHeaders = performance.now();
    const buf = Buffer.from(await resp.body.arrayBuffer());
    const tEnd = performance.now();
    const status = resp.statusCode;
    const ok = status >= 200 && status < 400;
    const outcome: Outcome = {
      type: 'http',
      target: url,
      ip,
      address,
      success: ok,
      durationSeconds: (tEnd - t0) / 1000,
      http: {
        status,
        tls,
        certExpiry: expiry,
        bodyBytes: buf.length,
        phases: {
          resolve: (tResolved - t0) / 1000,
          connect: (tConnect - tResolved) / 1000,
          tls: tls ? (tTls - tConnect) / 1000 : 0,
          processing: (tHeaders - tTls) / 1000,
          transfer: (tEnd - tHeaders) / 1000,
        },
      },
      ...(ok ? {} : { reason: 'http_status', error: `HTTP ${status}` }),
    };
    return { outcome, body: keepBody ? buf.toString('utf8') : undefined };
  } catch (err) {
    const out = failure('http', url, ip, t0, (err as { cause?: unknown }).cause ?? err);
    if (address) out.address = address;
    return { outcome: out };
  } finally {
    await agent?.close().catch(() => undefined);
  }
}

export async function runProbe(type: ProbeType, target: string, ip: Family, o: ProbeOptions): Promise<Outcome> {
  switch (type) {
    case 'icmp':
      return probeIcmp(target, ip, o);
    case 'tcp':
      return probeTcp(target, ip, o);
    case 'dns':
      return probeDns(target, ip, o);
    case 'http':
      return (await fetchOver(target, ip, o)).outcome;
  }
}
