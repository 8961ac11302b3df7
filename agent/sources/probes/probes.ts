import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { type Socket, connect, isIP } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';
import { type Family, ProbeError, resolveHost } from './resolve.js';
import { parsePingReplies, parsePingSummary, type RoundStats, roundStats } from './stats.js';

export type ProbeType = 'icmp' | 'tcp' | 'dns' | 'http';

/** Default cap on the body bytes an HTTP fetch reads (the rest is not downloaded). */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
  /** Killed because it ran past its time budget (or the signal aborted). */
  killed?: boolean;
  /** Seconds from the call until the process was spawned (icmp phase "setup"). */
  spawnSeconds?: number;
}

export interface ProbeOptions {
  /** Bound of the whole probe (resolution included). */
  timeoutSeconds: number;
  /** DNS server "host:port" used instead of the system resolver. */
  resolver?: string;
  /** icmp: echo requests per round and the gap between them. */
  count?: number;
  packetIntervalSeconds?: number;
  /** http: accept TLS certificates that do not verify (still reports their expiry). */
  insecureTls?: boolean;
  /** http: PEM CA certificate(s) to verify the server with, instead of the system's. */
  ca?: string;
  /** http: body bytes read at most (default 5 MiB). */
  maxBodyBytes?: number;
  /** http: redirects followed at most (default 10, as blackbox_exporter; 0: none). */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** icmp: runs the ping argv (default: execFile). Lets a caller wrap it, e.g. in `ip netns exec`. */
  exec?: (argv: string[], timeoutMs: number, signal?: AbortSignal) => Promise<ExecResult>;
}

export interface HttpResult {
  status: number;
  phases: Record<'resolve' | 'connect' | 'tls' | 'processing' | 'transfer', number>;
  /** Earliest notAfter of the certificates the server presented, seconds since epoch. */
  certExpiry: number | null;
  /** Body bytes read (at most maxBodyBytes). */
  bodyBytes: number;
  /** The Content-Length header, -1 when absent (blackbox_exporter's probe_http_content_length). */
  contentLength: number;
  /** The body was longer than maxBodyBytes and was cut. */
  truncated: boolean;
  tls: boolean;
  /** e.g. "TLS 1.3"; null without TLS. */
  tlsVersion: string | null;
  httpVersion: string;
  contentType: string | null;
  /** Redirects followed before this response. */
  redirects: number;
  /** Final URL (after redirects). */
  url: string;
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
  /** Seconds the name resolution took (0 for an IP literal); absent when it did not finish. */
  lookupSeconds?: number;
  icmp?: RoundStats & { setupSeconds: number };
  dns?: { answers: number; lookupSeconds: number };
  http?: HttpResult;
}

/** The reason of a failure, from a ProbeError, an errno code or an undici error. */
export function failureReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  if (e instanceof ProbeError) return e.reason;
  if (e.code === 'ECONNREFUSED') return 'connect_refused';
  if (
    ['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED'].includes(e.code ?? '') ||
    e.name === 'AbortError' ||
    e.name === 'TimeoutError'
  )
    return 'timeout';
  if (/certificate|ssl|tls|self.signed/i.test(`${e.code} ${e.message}`)) return 'tls_error';
  if (e.code === 'ENETUNREACH' || e.code === 'EHOSTUNREACH' || e.code === 'EADDRNOTAVAIL') return 'unreachable';
  return e.code?.toLowerCase() ?? 'error';
}

function failure(type: ProbeType, target: string, ip: Family, t0: number, err: unknown, aborted = false): Outcome {
  const reason = aborted ? 'aborted' : failureReason(err);
  return { type, target, ip, success: false, durationSeconds: (performance.now() - t0) / 1000, reason, error: (err as Error).message };
}

function defaultExec(argv: string[], timeoutMs: number, signal?: AbortSignal): Promise<ExecResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let spawned: number | undefined;
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: timeoutMs, killSignal: 'SIGKILL', signal, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        if (e && e.code === 'ENOENT') return reject(new ProbeError('no_ping', 'the system ping binary was not found (install iputils-ping)'));
        const killed = !!e && (e.killed === true || e.name === 'AbortError');
        resolve({
          stdout,
          stderr,
          code: e ? (typeof e.code === 'number' ? e.code : 2) : 0,
          killed,
          spawnSeconds: ((spawned ?? performance.now()) - t0) / 1000,
        });
      },
    );
    child.once('spawn', () => {
      spawned = performance.now();
    });
  });
}

/**
 * ICMP echo round through the system ping (ping sockets or its capability): loss from ping's own
 * "N packets transmitted, M received", RTTs, jitter. Killed past count × interval + timeout + 2 s.
 */
export async function probeIcmp(target: string, ip: Family, o: ProbeOptions): Promise<Outcome> {
  const t0 = performance.now();
  let lookupSeconds: number | undefined;
  try {
    const { address, seconds } = await resolveHost(target, ip, o.resolver, o.signal, o.timeoutSeconds * 1000);
    lookupSeconds = seconds;
    const count = o.count ?? 5;
    const gap = o.packetIntervalSeconds ?? 0.5;
    const argv = ['ping', '-n', `-${ip}`, '-c', String(count), '-i', String(gap), '-W', String(Math.max(1, Math.ceil(o.timeoutSeconds))), address];
    const budget = (count * gap + o.timeoutSeconds + 2) * 1000;
    const r = await (o.exec ?? defaultExec)(argv, budget, o.signal);
    if (r.killed) throw new ProbeError('timeout', `ping did not finish within ${budget / 1000} s and was killed; no loss figure for this round`);
    if (r.code === 2 && /permitted|permission|socket/i.test(r.stderr)) {
      throw new ProbeError(
        'icmp_not_permitted',
        `ICMP not permitted for this user: ${r.stderr.trim().split('\n')[0]} (allow ping sockets with sysctl net.ipv4.ping_group_range, or give ping cap_net_raw)`,
      );
    }
    const replies = parsePingReplies(r.stdout);
    const summary = parsePingSummary(r.stdout);
    if (r.code === 2 && replies.length === 0 && !summary) throw new ProbeError('ping_error', r.stderr.trim().split('\n')[0] || 'ping failed');
    if (!summary) throw new ProbeError('ping_format', 'no "N packets transmitted, M received" line in the ping output');
    if (summary.received !== replies.length)
      throw new ProbeError('ping_format', `ping reports ${summary.received} replies but ${replies.length} reply lines were understood`);
    const stats = { ...roundStats(summary.transmitted, replies), setupSeconds: r.spawnSeconds ?? 0 };
    return {
      type: 'icmp',
      target,
      ip,
      address,
      lookupSeconds,
      success: stats.received > 0,
      durationSeconds: (performance.now() - t0) / 1000,
      icmp: stats,
      ...(stats.received ? {} : { reason: 'no_reply' }),
    };
  } catch (err) {
    return { ...failure('icmp', target, ip, t0, err, o.signal?.aborted), ...(lookupSeconds !== undefined ? { lookupSeconds } : {}) };
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
  let lookupSeconds: number | undefined;
  let address: string | undefined;
  try {
    const { host, port } = splitHostPort(target);
    const res = await resolveHost(host, ip, o.resolver, o.signal, o.timeoutSeconds * 1000);
    address = res.address;
    lookupSeconds = res.seconds;
    const left = Math.max(1, o.timeoutSeconds * 1000 - (performance.now() - t0));
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: res.address, port, family: ip, timeout: left });
      const onAbort = () => s.destroy(new ProbeError('aborted', 'aborted'));
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => o.signal?.removeEventListener('abort', onAbort);
      s.once('connect', () => {
        done();
        s.destroy();
        resolve();
      });
      s.once('timeout', () => {
        done();
        s.destroy();
        reject(new ProbeError('timeout', `no connection to ${target} within ${o.timeoutSeconds} s`));
      });
      s.once('error', (e) => {
        done();
        reject(e);
      });
    });
    return { type: 'tcp', target, ip, address, lookupSeconds, success: true, durationSeconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    return {
      ...failure('tcp', target, ip, t0, err, o.signal?.aborted),
      ...(address ? { address } : {}),
      ...(lookupSeconds !== undefined ? { lookupSeconds } : {}),
    };
  }
}

/** A (ip 4) or AAAA (ip 6) resolution: time, success, answer count. */
export async function probeDns(target: string, ip: Family, o: ProbeOptions): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const r = new Resolver({ timeout: Math.max(1, Math.ceil(o.timeoutSeconds * 1000)), tries: 1 });
    if (o.resolver) r.setServers([o.resolver]);
    const cancel = () => r.cancel();
    o.signal?.addEventListener('abort', cancel, { once: true });
    const answers = await (ip === 6 ? r.resolve6(target) : r.resolve4(target)).finally(() => o.signal?.removeEventListener('abort', cancel));
    const s = (performance.now() - t0) / 1000;
    return {
      type: 'dns',
      target,
      ip,
      success: answers.length > 0,
      durationSeconds: s,
      lookupSeconds: s,
      address: answers[0],
      dns: { answers: answers.length, lookupSeconds: s },
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const out = failure(
      'dns',
      target,
      ip,
      t0,
      new ProbeError(
        o.signal?.aborted
          ? 'aborted'
          : code === 'ENODATA' || code === 'ENOTFOUND'
            ? ip === 6
              ? 'no_aaaa'
              : 'no_a'
            : code === 'ETIMEOUT'
              ? 'timeout'
              : 'dns_error',
        `${(err as Error).message}`,
      ),
    );
    out.dns = { answers: 0, lookupSeconds: out.durationSeconds };
    out.lookupSeconds = out.durationSeconds;
    return out;
  }
}

/**
 * Earliest notAfter of the certificates the server presented, seconds since epoch — blackbox_exporter's
 * probe_ssl_earliest_cert_expiry is over the chain as sent. Node appends the root from the local trust
 * store to getPeerCertificate(true) and cannot say whether the server sent it, so a self-signed CA
 * above the leaf is left out (a trust-store root is renewed by the OS, not by the site).
 */
export function earliestExpiry(leaf: DetailedPeerCertificate | undefined): number | null {
  let cert = leaf;
  let earliest: number | null = null;
  const seen = new Set<string>();
  while (cert?.valid_to && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    const selfSigned = cert.issuerCertificate?.fingerprint256 === cert.fingerprint256;
    if (cert === leaf || !selfSigned) {
      const t = Date.parse(cert.valid_to) / 1000;
      if (earliest === null || t < earliest) earliest = t;
    }
    cert = cert.issuerCertificate;
  }
  return earliest;
}

export interface HttpFetch {
  outcome: Outcome;
  /** The body bytes as received (with keepBody), undecoded: the caller knows its charset rules. */
  body?: Buffer;
  /** The Location of a 3xx response, resolved against its URL. */
  location?: string;
}

const tlsVersionName = (p: string | null) => (p ? p.replace(/^TLSv/, 'TLS ') : null);

/**
 * One HTTP(S) GET over the forced family with blackbox-style phases (no redirects followed). The
 * whole request — resolution, connect, TLS, headers and body — is bounded by timeoutSeconds and by
 * o.signal; the body is read up to maxBodyBytes.
 */
export async function fetchOver(url: string, ip: Family, o: ProbeOptions, keepBody = false): Promise<HttpFetch> {
  const t0 = performance.now();
  const timeoutMs = Math.max(1, Math.ceil(o.timeoutSeconds * 1000));
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timer]) : timer;
  let tConnect = 0;
  let tTls = 0;
  let tFirstByte = 0;
  let expiry: number | null = null;
  let tlsVersion: string | null = null;
  let address: string | undefined;
  let lookupSeconds: number | undefined;
  let agent: Agent | undefined;
  try {
    const u = new URL(url);
    const tls = u.protocol === 'https:';
    const res = await resolveHost(u.hostname, ip, o.resolver, signal, timeoutMs);
    address = res.address;
    lookupSeconds = res.seconds;
    const tResolved = performance.now();
    const base = buildConnector({ rejectUnauthorized: !o.insecureTls, timeout: timeoutMs, ...(o.ca ? { ca: o.ca } : {}) });
    agent = new Agent({
      connect: (opts, cb) => {
        const sock = base({ ...opts, hostname: res.address, servername: tls && !isIP(u.hostname) ? u.hostname : undefined }, (err, s) => {
          if (err || !s) return cb(err ?? new Error('connect failed'), null);
          tTls = performance.now();
          // without TLS the connector's callback is the TCP connect; with TLS the handshake ends here
          if (!tls || !tConnect || tConnect > tTls) tConnect = tTls;
          // first response byte (blackbox's processing/transfer split): the first 'readable' after the
          // request went out; a 'readable' listener never takes data from undici's own reader
          s.once('readable', () => {
            tFirstByte = performance.now();
          });
          if (tls) {
            const t = s as TLSSocket;
            expiry = earliestExpiry(t.getPeerCertificate(true));
            tlsVersion = tlsVersionName(t.getProtocol());
          }
          cb(null, s);
        });
        // TCP handshake done (before TLS): the socket's own 'connect' event.
        (sock as unknown as Socket | undefined)?.once?.('connect', () => {
          if (!tConnect) tConnect = performance.now();
        });
        return sock;
      },
    });
    const resp = await request(url, {
      dispatcher: agent,
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal,
      headers: { 'user-agent': 'xunjian-probe/1', accept: '*/*' },
    });
    const tHeaders = performance.now();
    const max = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const chunks: Buffer[] = [];
    let bodyBytes = 0;
    let truncated = false;
    for await (const c of resp.body) {
      const b = c as Buffer;
      if (bodyBytes + b.length > max) {
        chunks.push(b.subarray(0, max - bodyBytes));
        bodyBytes = max;
        truncated = true;
        break; // ends (destroys) the body stream: the rest is not downloaded
      }
      chunks.push(b);
      bodyBytes += b.length;
    }
    const tEnd = performance.now();
    const first = tFirstByte && tFirstByte >= tTls && tFirstByte <= tHeaders ? tFirstByte : tHeaders;
    const status = resp.statusCode;
    const header = (n: string) => {
      const v = resp.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const cl = header('content-length');
    const ok = status >= 200 && status < 400;
    const loc = status >= 300 && status < 400 ? header('location') : undefined;
    const outcome: Outcome = {
      type: 'http',
      target: url,
      ip,
      address,
      lookupSeconds,
      success: ok,
      durationSeconds: (tEnd - t0) / 1000,
      http: {
        status,
        tls,
        tlsVersion,
        httpVersion: '1.1',
        certExpiry: expiry,
        bodyBytes,
        contentLength: cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : -1,
        truncated,
        contentType: header('content-type') ?? null,
        redirects: 0,
        url,
        phases: {
          resolve: (tResolved - t0) / 1000,
          connect: (tConnect - tResolved) / 1000,
          tls: tls ? (tTls - tConnect) / 1000 : 0,
          processing: (first - tTls) / 1000,
          transfer: (tEnd - first) / 1000,
        },
      },
      ...(ok ? {} : { reason: 'http_status', error: `HTTP ${status}` }),
    };
    let location: string | undefined;
    if (loc) {
      try {
        location = new URL(loc, url).href;
      } catch {
        // an unusable Location: no redirect
      }
    }
    return { outcome, body: keepBody ? Buffer.concat(chunks) : undefined, ...(location ? { location } : {}) };
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    const e = cause instanceof Error && !(err instanceof ProbeError) ? cause : err;
    const out = failure('http', url, ip, t0, e, o.signal?.aborted);
    if (!o.signal?.aborted && timer.aborted) {
      out.reason = 'timeout';
      out.error = `no complete response within ${o.timeoutSeconds} s`;
    }
    if (address) out.address = address;
    if (lookupSeconds !== undefined) out.lookupSeconds = lookupSeconds;
    return { outcome: out };
  } finally {
    await agent?.close().catch(() => undefined);
  }
}

export interface FollowOptions {
  keepBody?: boolean;
  /** Called before each request (the first and each redirect); false stops the chain (budget). */
  beforeRequest?: (url: string, hop: number) => boolean | Promise<boolean>;
}

export interface HttpFollow extends HttpFetch {
  /** Every URL requested, the first included. */
  chain: string[];
  /** beforeRequest refused a request. */
  refused?: boolean;
}

/**
 * GET following redirects (each hop over the same forced family, the host re-resolved per hop), at
 * most maxRedirects, all within one timeoutSeconds. Phases are summed over the hops, as
 * blackbox_exporter does; the outcome is the final response's.
 */
export async function fetchFollow(url: string, ip: Family, o: ProbeOptions, f: FollowOptions = {}): Promise<HttpFollow> {
  const t0 = performance.now();
  const max = o.maxRedirects ?? 10;
  const deadline = t0 + o.timeoutSeconds * 1000;
  const chain: string[] = [];
  const sum = { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 };
  let lookup = 0;
  let current = url;
  for (;;) {
    if (f.beforeRequest && !(await f.beforeRequest(current, chain.length))) {
      return {
        outcome: {
          type: 'http',
          target: url,
          ip,
          success: false,
          durationSeconds: (performance.now() - t0) / 1000,
          reason: 'not_checked',
          error: 'request budget exhausted',
        },
        chain,
        refused: true,
      };
    }
    chain.push(current);
    const left = (deadline - performance.now()) / 1000;
    const r = await fetchOver(current, ip, { ...o, timeoutSeconds: Math.max(0.001, left) }, f.keepBody);
    r.outcome.target = url;
    r.outcome.durationSeconds = (performance.now() - t0) / 1000;
    if (r.outcome.lookupSeconds !== undefined) {
      lookup += r.outcome.lookupSeconds;
      r.outcome.lookupSeconds = lookup;
    }
    const h = r.outcome.http;
    if (h) {
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) {
        sum[k] += h.phases[k];
        h.phases[k] = sum[k];
      }
      h.redirects = chain.length - 1;
    }
    if (!h || !r.location || max === 0) return { ...r, chain };
    if (chain.length > max) {
      return { outcome: { ...r.outcome, success: false, reason: 'too_many_redirects', error: `more than ${max} redirects` }, chain };
    }
    current = r.location;
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
      return (await fetchFollow(target, ip, o)).outcome;
  }
}
