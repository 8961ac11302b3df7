import { gunzipSync } from 'node:zlib';
import { checkReport } from '../../contract/schema.js';
import { tokenDigest, verify } from '../../contract/sign.js';
import { type ApiError, HEADER_NODE, HEADER_SIGNATURE, HEADER_TIMESTAMP, type IngestAck, type Report } from '../../contract/types.js';
import type { CollectorConfig } from '../config.js';
import type { Fleet } from '../fleet/fleet.js';
import type { CollectorMetrics } from '../self-metrics.js';
import type { Store } from '../store/store.js';

export interface Answer {
  status: number;
  body: ApiError | IngestAck;
  headers?: Record<string, string>;
}

export interface IngestDeps {
  store: Store;
  fleet: Fleet;
  cfg: CollectorConfig['ingest'];
  metrics: CollectorMetrics;
  now(): number;
}

type Headers = Record<string, string | string[] | undefined>;

const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);

export function reject(deps: Pick<IngestDeps, 'metrics'>, status: number, error: string, message: string): Answer {
  deps.metrics.rejected.inc({ reason: error });
  return { status, body: { error, message } };
}

/** Checks that need only the headers, before the body is read. */
export function checkHeaders(deps: Pick<IngestDeps, 'metrics'>, headers: Headers): Answer | undefined {
  const type = (one(headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return reject(deps, 415, 'unsupported_media_type', `Content-Type must be application/json, got '${type || '(none)'}'`);
  }
  const enc = (one(headers['content-encoding']) ?? 'identity').trim().toLowerCase();
  if (enc !== 'gzip' && enc !== 'identity') {
    return reject(deps, 415, 'unsupported_encoding', `Content-Encoding must be gzip or identity, got '${enc}'`);
  }
  return undefined;
}

/**
 * Authenticate, decode, validate and store one report. Order matters: nothing is decompressed or
 * parsed before the token and signature are verified, and nothing is stored before the report is valid.
 */
export function ingestReport(deps: IngestDeps, headers: Headers, raw: Buffer): Answer {
  const auth = one(headers.authorization) ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(auth);
  if (!m) return reject(deps, 401, 'missing_token', 'Authorization: Bearer <token> is required');
  const node = one(headers[HEADER_NODE]);
  if (!node) return reject(deps, 400, 'missing_node', `${HEADER_NODE} header is required`);
  if (!deps.store.isEnrolled(node)) return reject(deps, 403, 'unknown_node', `node '${node.slice(0, 128)}' has no active token on this collector`);
  const token = m[1]!;
  if (!deps.store.authenticate(node, token)) return reject(deps, 401, 'invalid_token', `token is not valid for node '${node}'`);

  const ts = one(headers[HEADER_TIMESTAMP]) ?? '';
  if (!/^\d{1,16}$/.test(ts)) return reject(deps, 401, 'missing_timestamp', `${HEADER_TIMESTAMP} must be milliseconds since the epoch`);
  const skew = Math.abs(deps.now() - Number(ts));
  if (skew > deps.cfg.maxClockSkewSeconds * 1000) {
    return reject(deps, 401, 'stale_timestamp', `signed timestamp is ${Math.round(skew / 1000)} s away from the collector clock (limit ${deps.cfg.maxClockSkewSeconds} s)`);
  }
  const sig = verify(one(headers[HEADER_SIGNATURE]), tokenDigest(token), ts, raw, deps.cfg.signatureAlgorithms);
  if (!sig.ok) return reject(deps, 401, 'bad_signature', sig.reason);

  let text: Buffer = raw;
  if ((one(headers['content-encoding']) ?? '').trim().toLowerCase() === 'gzip') {
    try {
      text = gunzipSync(raw, { maxOutputLength: deps.cfg.maxDecompressedBytes });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') return reject(deps, 413, 'body_too_large', `report exceeds ${deps.cfg.maxDecompressedBytes} bytes after decompression`);
      return reject(deps, 400, 'bad_encoding', `body is not valid gzip: ${e.message}`);
    }
  } else if (text.length > deps.cfg.maxDecompressedBytes) {
    return reject(deps, 413, 'body_too_large', `report exceeds ${deps.cfg.maxDecompressedBytes} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch (err) {
    return reject(deps, 400, 'malformed_json', `body is not valid JSON: ${(err as Error).message}`);
  }
  const check = checkReport(parsed);
  if (!check.ok) return reject(deps, 400, check.error, check.message);
  const report: Report = check.report;
  if (report.node.id !== node) return reject(deps, 403, 'node_mismatch', `report is for node '${report.node.id}' but the token is for '${node}'`);

  const now = deps.now();
  const stored = deps.store.recordReport(report, now);
  if (!stored) {
    deps.metrics.reports.inc({ result: 'duplicate' });
    return { status: 200, body: { status: 'duplicate', node, seq: report.seq } };
  }
  deps.fleet.ingest(report, now);
  deps.metrics.reports.inc({ result: 'accepted' });
  deps.metrics.samples.inc(report.samples.length);
  let oldest = report.sentAt;
  for (const s of report.samples) if (s.ts < oldest) oldest = s.ts;
  deps.metrics.lagSeconds.observe(Math.max(0, now - oldest) / 1000);
  return { status: 200, body: { status: 'accepted', node, seq: report.seq } };
}
