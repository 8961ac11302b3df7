import { gunzipSync } from 'node:zlib';
import { checkReport } from '../../contract/schema.js';
import { tokenDigest, verify } from '../../contract/sign.js';
import {
  type ApiError,
  type BatchAck,
  type BatchItemResult,
  HEADER_NODE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  type IngestAck,
  type Report,
} from '../../contract/types.js';
import type { CollectorConfig } from '../config.js';
import type { AcceptedReport, SeriesSample } from '../core/component.js';
import type { CollectorMetrics } from '../self-metrics.js';
import { seriesSamples } from '../series/series.js';
import type { Store } from '../store/store.js';
import type { RateLimiter } from './ratelimit.js';

export interface Answer {
  status: number;
  body: ApiError | IngestAck | BatchAck;
  headers?: Record<string, string>;
}

export interface IngestDeps {
  store: Store;
  cfg: CollectorConfig['ingest'];
  metrics: CollectorMetrics;
  now(): number;
  /** Per-node request rate limit; none when absent. */
  limiter?: RateLimiter;
  /** Per-node decompressed-bytes rate limit; none when absent. */
  bytesLimiter?: RateLimiter;
  /** Interns repeated label values of the accepted samples. */
  intern?: (s: string) => string;
  /** Cardinality guard: the samples of a node's report that may open or refresh series. */
  admit?: (node: string, samples: SeriesSample[]) => { admitted: SeriesSample[]; refused: number };
  /** Reports accepted by this request, handed to the fan-out after the transaction commits. */
  accepted: AcceptedReport[];
}

/** What the headers alone establish, before any body byte is read. */
export interface HeaderAuth {
  node: string;
  token: string;
  ts: string;
}

type Headers = Record<string, string | string[] | undefined>;

const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);

export function reject(deps: Pick<IngestDeps, 'metrics'>, status: number, error: string, message: string, headers?: Record<string, string>): Answer {
  deps.metrics.rejected.inc({ reason: error });
  return { status, body: { error, message }, ...(headers ? { headers } : {}) };
}

/** Checks that need only the headers, before the body is read. */
export function checkHeaders(deps: Pick<IngestDeps, 'metrics'>, headers: Headers, expectedType = 'application/json'): Answer | undefined {
  const type = (one(headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== expectedType) {
    return reject(deps, 415, 'unsupported_media_type', `Content-Type must be ${expectedType}, got '${type || '(none)'}'`);
  }
  const enc = (one(headers['content-encoding']) ?? 'identity').trim().toLowerCase();
  if (enc !== 'gzip' && enc !== 'identity') {
    return reject(deps, 415, 'unsupported_encoding', `Content-Encoding must be gzip or identity, got '${enc}'`);
  }
  return undefined;
}

/**
 * Authentication from the headers alone: token, node, timestamp window. Runs before the body is read,
 * so an unauthenticated sender never gets the collector to buffer its body. Touches no state.
 */
export function authenticateHeaders(deps: Pick<IngestDeps, 'store' | 'metrics' | 'cfg' | 'now'>, headers: Headers): HeaderAuth | Answer {
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
    return reject(
      deps,
      401,
      'stale_timestamp',
      `signed timestamp is ${Math.round(skew / 1000)} s away from the collector clock (limit ${deps.cfg.maxClockSkewSeconds} s)`,
    );
  }
  return { node, token, ts };
}

/**
 * The body's signature, replay and the request rate limit. The replay record is written inside the
 * request's transaction, which is rolled back when the request is refused later on.
 */
function verifyBody(deps: IngestDeps, a: HeaderAuth, headers: Headers, raw: Buffer): Answer | undefined {
  const { node, token, ts } = a;
  const now = deps.now();
  const windowMs = deps.cfg.maxClockSkewSeconds * 1000;
  const header = one(headers[HEADER_SIGNATURE]);
  const sig = verify(header, tokenDigest(token), ts, raw, deps.cfg.signatureAlgorithms);
  if (!sig.ok) return reject(deps, 401, 'bad_signature', sig.reason);
  // A valid signature is usable only while its timestamp is in the window: remember it that long.
  if (!deps.store.rememberSignature(node, header!, Number(ts) + windowMs + 1000, now)) {
    return reject(deps, 401, 'replayed', 'this signed request was already received (replay); sign every request afresh');
  }
  const rl = deps.limiter?.take(node, now);
  if (rl && !rl.ok) return rateLimited(deps, node, rl.retryAfterMs, 'ingest.rateLimit');
  return undefined;
}

function rateLimited(deps: IngestDeps, node: string, retryAfterMs: number, key: string): Answer {
  const secs = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return reject(deps, 429, 'rate_limited', `node '${node}' exceeds ${key}; retry in ${secs} s`, { 'retry-after': String(secs) });
}

function decompress(deps: IngestDeps, node: string, headers: Headers, raw: Buffer): Buffer | Answer {
  let out = raw;
  if ((one(headers['content-encoding']) ?? '').trim().toLowerCase() === 'gzip') {
    try {
      out = gunzipSync(raw, { maxOutputLength: deps.cfg.maxDecompressedBytes });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE')
        return reject(deps, 413, 'body_too_large', `report exceeds ${deps.cfg.maxDecompressedBytes} bytes after decompression`);
      return reject(deps, 400, 'bad_encoding', `body is not valid gzip: ${e.message}`);
    }
  } else if (raw.length > deps.cfg.maxDecompressedBytes) return reject(deps, 413, 'body_too_large', `report exceeds ${deps.cfg.maxDecompressedBytes} bytes`);
  // Work, not requests: a node's decompressed bytes are rate limited before anything is parsed.
  const rl = deps.bytesLimiter?.take(node, deps.now(), out.length);
  if (rl && !rl.ok) return rateLimited(deps, node, rl.retryAfterMs, 'ingest.rateLimit.bytesPerSecond');
  return out;
}

/** Deepest nesting of objects/arrays, iteratively (a 100,000-deep value must not overflow the stack). */
export function jsonDepth(v: unknown, limit: number): number {
  const stack: [unknown, number][] = [[v, 1]];
  let max = 0;
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const c of Array.isArray(x) ? x : Object.values(x)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

/** Nesting allowed in a report (facts included). */
export const MAX_JSON_DEPTH = 64;

/** Validate and store one decoded report of an authenticated node. Idempotent by (node, seq). */
function storeReport(deps: IngestDeps, node: string, text: string): Answer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return reject(deps, 400, 'malformed_json', `body is not valid JSON: ${(err as Error).message}`);
  }
  // Only the free-form facts can nest without bound: the schema fixes the depth of everything else.
  const facts = (parsed as { facts?: unknown } | null)?.facts;
  if (facts !== undefined && jsonDepth(facts, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    return reject(deps, 400, 'invalid_report', `facts nest deeper than ${MAX_JSON_DEPTH} levels`);
  const check = checkReport(parsed);
  if (!check.ok) return reject(deps, 400, check.error, check.message);
  const report: Report = check.report;
  if (report.node.id !== node) return reject(deps, 403, 'node_mismatch', `report is for node '${report.node.id}' but the token is for '${node}'`);

  const now = deps.now();
  const up = sourceUpOf(report);
  const rec = deps.store.recordReport(report, now, (s) => up.get(s));
  if (!rec.stored) {
    deps.metrics.reports.inc({ result: 'duplicate' });
    return { status: 200, body: { status: 'duplicate', node, seq: report.seq } };
  }
  const built = seriesSamples(report, deps.intern);
  if (built.refused > 0) deps.metrics.samplesRefused.inc({ reason: 'reserved_name' }, built.refused);
  const guarded = deps.admit?.(node, built.samples);
  const samples = guarded?.admitted ?? built.samples;
  deps.accepted.push({ report, stream: report.stream ?? '', receivedAt: now, samples, changedFacts: rec.changedFacts, newStream: rec.newStream });
  deps.metrics.reports.inc({ result: 'accepted' });
  deps.metrics.samples.inc(report.samples.length);
  let oldest = report.sentAt;
  for (const s of report.samples) if (s.ts < oldest) oldest = s.ts;
  const lag = Math.max(0, now - oldest) / 1000;
  deps.metrics.lagSeconds.observe(lag);
  deps.metrics.nodeLagSeconds.set({ node }, lag);
  return { status: 200, body: { status: 'accepted', node, seq: report.seq } };
}

/** `xunjian_agent_source_up{source}` of a report, for the facts' provenance. */
function sourceUpOf(r: Report): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const s of r.samples) if (s.name === 'xunjian_agent_source_up' && s.labels.source) m.set(s.labels.source, s.value === 1);
  return m;
}

/**
 * Verify, decode, validate and store one report of a request authenticated by its headers. Order
 * matters: nothing is decompressed or parsed before the signature is verified, and nothing is stored
 * before the report is valid. Run it in a transaction that is rolled back when it refuses.
 */
export function ingestReport(deps: IngestDeps, a: HeaderAuth, headers: Headers, raw: Buffer): Answer {
  const bad = verifyBody(deps, a, headers, raw);
  if (bad) return bad;
  const text = decompress(deps, a.node, headers, raw);
  if (!Buffer.isBuffer(text)) return text;
  return storeReport(deps, a.node, text.toString('utf8'));
}

/**
 * A batch: NDJSON, one report per line, authenticated as a whole. Each line is validated and stored on
 * its own; the answer lists one result per non-empty line, in order (200 even when some were refused).
 */
export function ingestBatch(deps: IngestDeps, a: HeaderAuth, headers: Headers, raw: Buffer): Answer {
  const bad = verifyBody(deps, a, headers, raw);
  if (bad) return bad;
  const text = decompress(deps, a.node, headers, raw);
  if (!Buffer.isBuffer(text)) return text;
  const lines = text
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length === 0) return reject(deps, 400, 'invalid_report', 'batch holds no report');
  const maxBatch = deps.cfg.maxBatchReports ?? 1000;
  if (lines.length > maxBatch) {
    return reject(deps, 413, 'batch_too_large', `batch holds ${lines.length} reports; at most ingest.maxBatchReports (${maxBatch})`);
  }
  deps.metrics.batches.inc();
  deps.metrics.batchReports.inc(lines.length);
  const results: BatchItemResult[] = [];
  lines.forEach((line, i) => {
    const r = storeReport(deps, a.node, line);
    if (r.status === 200) results.push(r.body as IngestAck);
    else {
      const e = r.body as ApiError;
      let seq: number | undefined;
      try {
        const s = (JSON.parse(line) as { seq?: unknown }).seq;
        if (typeof s === 'number') seq = s;
      } catch {
        // no seq to report for unparsable lines
      }
      results.push({ error: e.error, message: e.message, line: i + 1, ...(seq !== undefined ? { seq } : {}) });
    }
  });
  return { status: 200, body: { results } };
}
