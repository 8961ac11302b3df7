import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { sign, type SignatureAlgorithm, tokenDigest } from '../../contract/sign.js';
import { HEADER_CONTRACT, HEADER_NODE, HEADER_SIGNATURE, HEADER_TIMESTAMP, INGEST_PATH, type Report } from '../../contract/types.js';

export interface PushTarget {
  /** Collector base URL. */
  url: string;
  token: string;
  signature: SignatureAlgorithm;
  timeoutMs: number;
}

export type PushResult =
  | { kind: 'ack'; status: number; duplicate: boolean }
  /** The collector refused the report for what it is; sending it again cannot help. */
  | { kind: 'rejected'; status: number; error: string; message: string }
  /** Transient: network error, 5xx, 429, or an auth failure an operator may fix. */
  | { kind: 'retry'; status?: number; error: string; message: string; retryAfterMs?: number };

export function encodeReport(report: Report): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(report), 'utf8'));
}

function parseRetryAfter(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** POST one gzipped report. Never throws; the token appears only in the Authorization header. */
export async function pushReport(t: PushTarget, nodeId: string, body: Buffer): Promise<PushResult> {
  const timestamp = String(Date.now());
  const url = new URL(INGEST_PATH, t.url.endsWith('/') ? t.url : `${t.url}/`);
  try {
    const res = await request(url, {
      method: 'POST',
      body,
      headersTimeout: t.timeoutMs,
      bodyTimeout: t.timeoutMs,
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${t.token}`,
        [HEADER_NODE]: nodeId,
        [HEADER_TIMESTAMP]: timestamp,
        [HEADER_SIGNATURE]: sign(t.signature, tokenDigest(t.token), timestamp, body),
        [HEADER_CONTRACT]: '1',
      },
    });
    const text = await res.body.text();
    let json: { status?: string; error?: string; message?: string } = {};
    try {
      json = JSON.parse(text);
    } catch {
      // non-JSON answer (e.g. a proxy page): reported by status below
    }
    const s = res.statusCode;
    if (s >= 200 && s < 300) return { kind: 'ack', status: s, duplicate: json.status === 'duplicate' };
    const error = json.error ?? `http_${s}`;
    const message = json.message ?? text.slice(0, 200);
    if (s === 429 || s === 408 || s >= 500 || s === 401 || s === 403) {
      return { kind: 'retry', status: s, error, message, retryAfterMs: parseRetryAfter(res.headers['retry-after']) };
    }
    return { kind: 'rejected', status: s, error, message };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { kind: 'retry', error: e.code ?? 'network_error', message: e.message };
  }
}
