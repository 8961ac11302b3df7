import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';
import { failureReason, ProbeError } from './errors.js';
import { type Family, resolveHost } from './resolve.js';

/**
 * HTTP(S) over a forced address family: the host is resolved to an address of that family (the
 * configured resolver or the system's) and the socket is opened to that address, while TLS verifies
 * the URL's host name. Used by the probes source (blackbox-style http probes) and ipv6check (IPv6 vs
 * IPv4 of a site's links).
 */

/** Default cap on the body bytes an HTTP fetch reads (the rest is not downloaded). */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface HttpOptions {
  /** Bound of the whole request, resolution and redirects included. */
  timeoutSeconds: number;
  /** DNS server "host:port" used instead of the system resolver. */
  resolver?: string;
  /** Accept TLS certificates that do not verify (still reports their expiry). */
  insecureTls?: boolean;
  /** PEM CA certificate(s) to verify the server with, instead of the system's. */
  ca?: string;
  /** Body bytes read at most (default 5 MiB). */
  maxBodyBytes?: number;
  /** Redirects followed at most by fetchFollow (default 10, as blackbox_exporter; 0: none). */
  maxRedirects?: number;
  signal?: AbortSignal;
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

/** What one request (or redirect chain) measured; the probes source adds its `type`. */
export interface HttpOutcome {
  target: string;
  ip: Family;
  success: boolean;
  durationSeconds: number;
  /** Short reason when it failed (e.g. no_aaaa, dns_error, connect_refused, timeout, tls_error, http_status). */
  reason?: string;
  error?: string;
  address?: string;
  /** Seconds the name resolution took (0 for an IP literal); absent when it did not finish. */
  lookupSeconds?: number;
  http?: HttpResult;
}

function failure(target: string, ip: Family, t0: number, err: unknown, aborted = false): HttpOutcome {
  const reason = aborted ? 'aborted' : failureReason(err);
  return { target, ip, success: false, durationSeconds: (performance.now() - t0) / 1000, reason, error: (err as Error).message };
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
  outcome: HttpOutcome;
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
export async function fetchOver(url: string, ip: Family, o: HttpOptions, keepBody = false): Promise<HttpFetch> {
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
    const outcome: HttpOutcome = {
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
    const out = failure(url, ip, t0, e, o.signal?.aborted);
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
export async function fetchFollow(url: string, ip: Family, o: HttpOptions, f: FollowOptions = {}): Promise<HttpFollow> {
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
