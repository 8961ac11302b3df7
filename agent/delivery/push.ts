import { gzipSync } from 'node:zlib';
import { type Dispatcher, request } from 'undici';
import { sign, type SignatureAlgorithm, tokenDigest } from '../../contract/sign.js';
import {
  BATCH_CONTENT_TYPE,
  type BatchItemResult,
  HEADER_CONTRACT,
  HEADER_NODE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  INGEST_BATCH_PATH,
  INGEST_PATH,
  type Report,
} from '../../contract/types.js';

export interface PushTarget {
  /** Collector base URL. */
  url: string;
  token: string;
  signature: SignatureAlgorithm;
  timeoutMs: number;
  /** Stable name (spool cursor, logs, metrics labels); derived from the URL when absent. */
  name?: string;
  /** undici dispatcher carrying TLS settings (CA bundle, pinning, client certificate); global default when absent. */
  dispatcher?: Dispatcher;
}

export type PushResult =
  | { kind: 'ack'; status: number; duplicate: boolean }
  /** The collector refused the report for what it is; sending it again cannot help. */
  | { kind: 'rejected'; status: number; error: string; message: string }
  /** Transient: network error, 5xx, 429, or an auth failure an operator may fix. */
  | { kind: 'retry'; status?: number; error: string; message: string; retryAfterMs?: number };

export type BatchPushResult = { kind: 'ack'; status: number; results: BatchItemResult[] } | Exclude<PushResult, { kind: 'ack' }>;

/** gzip of the report's JSON plus a newline: one report is also a one-line batch, and gzip members concatenate. */
export function encodeReport(report: Report): Buffer {
  return gzipSync(Buffer.from(`${JSON.stringify(report)}\n`, 'utf8'));
}

export function parseRetryAfter(h: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  const secs = Number(v);
  if (v.trim() !== '' && Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Derive a stable name (spool cursor file name) from a collector URL: host and port. */
export function targetName(t: Pick<PushTarget, 'url' | 'name'>): string {
  if (t.name) return t.name;
  const u = new URL(t.url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname}_${port}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}

async function post(t: PushTarget, nodeId: string, path: string, contentType: string, body: Buffer): Promise<{ r: PushResult; json: Record<string, unknown> }> {
  const timestamp = String(Date.now());
  const url = new URL(path, t.url.endsWith('/') ? t.url : `${t.url}/`);
  try {
    const res = await request(url, {
      method: 'POST',
      body,
      dispatcher: t.dispatcher,
      headersTimeout: t.timeoutMs,
      bodyTimeout: t.timeoutMs,
      headers: {
        'content-type': contentType,
        'content-encoding': 'gzip',
        authorization: `Bearer ${t.token}`,
        [HEADER_NODE]: nodeId,
        [HEADER_TIMESTAMP]: timestamp,
        [HEADER_SIGNATURE]: sign(t.signature, tokenDigest(t.token), timestamp, body),
        [HEADER_CONTRACT]: '1',
      },
    });
    const text = await res.body.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch {
      // non-JSON answer (e.g. a proxy page): reported by status below
    }
    const s = res.statusCode;
    if (s >= 200 && s < 300) return { r: { kind: 'ack', status: s, duplicate: json.status === 'duplicate' }, json };
    const error = typeof json.error === 'string' ? json.error : `http_${s}`;
    const message = typeof json.message === 'string' ? json.message : text.slice(0, 200);
    if (s === 429 || s === 408 || s >= 500 || s === 401 || s === 403) {
      return { r: { kind: 'retry', status: s, error, message, retryAfterMs: parseRetryAfter(res.headers['retry-after']) }, json };
    }
    return { r: { kind: 'rejected', status: s, error, message }, json };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { r: { kind: 'retry', error: e.code ?? 'network_error', message: e.message }, json: {} };
  }
}

/** POST one gzipped report. Never throws; the token appears only in the Authorization header. */
export async function pushReport(t: PushTarget, nodeId: string, body: Buffer): Promise<PushResult> {
  return (await post(t, nodeId, INGEST_PATH, 'application/json', body)).r;
}

/** POST several gzipped reports (concatenated gzip members, NDJSON inside) to the batch endpoint. Never throws. */
export async function pushBatch(t: PushTarget, nodeId: string, bodies: Buffer[]): Promise<BatchPushResult> {
  const { r, json } = await post(t, nodeId, INGEST_BATCH_PATH, BATCH_CONTENT_TYPE, Buffer.concat(bodies));
  if (r.kind !== 'ack') return r;
  const results = json.results;
  if (!Array.isArray(results) || results.length !== bodies.length) {
    return {
      kind: 'retry',
      status: r.status,
      error: 'bad_batch_answer',
      message: `collector answered ${Array.isArray(results) ? results.length : 'no'} results for ${bodies.length} reports`,
    };
  }
  return { kind: 'ack', status: r.status, results: results as BatchItemResult[] };
}

/**
 * Whether a collector answers HTTP at all: `GET /healthz`, bounded by min(2 s, the push timeout). Any
 * answer below 500 counts (an older collector's 404 too); a network error or a 5xx does not. Cheap
 * enough to repeat every few seconds while the collector is down.
 */
export async function probeCollector(t: PushTarget): Promise<boolean> {
  const url = new URL('healthz', t.url.endsWith('/') ? t.url : `${t.url}/`);
  const timeout = Math.min(2000, t.timeoutMs);
  try {
    const res = await request(url, {
      method: 'GET',
      dispatcher: t.dispatcher,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: AbortSignal.timeout(timeout),
    });
    await res.body.dump();
    return res.statusCode < 500;
  } catch {
    return false;
  }
}
