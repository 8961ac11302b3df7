import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { failureReason, lookupFailureReason, ProbeError } from '../../net/errors.js';
import { fetchFollow, type HttpOptions, type HttpOutcome } from '../../net/http.js';
import { type Family, resolveHost } from '../../net/resolve.js';
import { parsePingReplies, parsePingSummary, type RoundStats, roundStats } from './stats.js';

export type ProbeType = 'icmp' | 'tcp' | 'dns' | 'http';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
  /** Killed because it ran past its time budget (or the signal aborted). */
  killed?: boolean;
  /** Seconds from the call until the process was spawned (icmp phase "setup"). */
  spawnSeconds?: number;
}

/** Options of a probe: those of an HTTP request over a forced family (../../net/http.ts) and the icmp ones. */
export interface ProbeOptions extends HttpOptions {
  /** icmp: echo requests per round and the gap between them. */
  count?: number;
  packetIntervalSeconds?: number;
  /** icmp: runs the ping argv (default: execFile). Lets a caller wrap it, e.g. in `ip netns exec`. */
  exec?: (argv: string[], timeoutMs: number, signal?: AbortSignal) => Promise<ExecResult>;
}

/** A probe's outcome: what an HTTP request measures (../../net/http.ts), the probe's type, icmp and dns figures. */
export interface Outcome extends HttpOutcome {
  type: ProbeType;
  icmp?: RoundStats & { setupSeconds: number };
  dns?: { answers: number; lookupSeconds: number };
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
    const out = failure('dns', target, ip, t0, new ProbeError(o.signal?.aborted ? 'aborted' : lookupFailureReason(code, ip), `${(err as Error).message}`));
    out.dns = { answers: 0, lookupSeconds: out.durationSeconds };
    out.lookupSeconds = out.durationSeconds;
    return out;
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
      return { type: 'http', ...(await fetchFollow(target, ip, o)).outcome };
  }
}
