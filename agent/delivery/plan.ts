import type { Entry } from '../spool/plan.js';

/**
 * Pure decisions of delivery: which spooled reports go into the next request, and how long to wait
 * before retrying a collector. No I/O here.
 */

/** The next batch for a collector whose cursor is `cursor`: at least one report when any is pending, then up to the limits. */
export function takeBatch(entries: readonly Entry[], cursor: number, maxReports: number, maxBytes: number): Entry[] {
  const out: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (e.seq <= cursor) continue;
    if (out.length >= maxReports || (out.length > 0 && bytes + e.bytes > maxBytes)) break;
    out.push(e);
    bytes += e.bytes;
  }
  return out;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** Longest Retry-After honoured; a larger value (or a broken date) is capped to this. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Delay before retry number `attempt` (1 = first retry): exponential (initial × 2^(attempt−1), capped at
 * max) with "equal jitter" (uniformly between half and all of it, `rand` in [0, 1)). A Retry-After from
 * the collector (429/503) is a floor: we never come back earlier than asked.
 */
export function backoffDelay(attempt: number, o: BackoffOptions, rand: number, retryAfterMs?: number): number {
  const exp = Math.min(o.maxMs, o.initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 52)));
  const jittered = exp / 2 + (exp / 2) * rand;
  const floor = retryAfterMs === undefined ? 0 : Math.min(Math.max(0, retryAfterMs), MAX_RETRY_AFTER_MS);
  return Math.round(Math.max(jittered, floor));
}
