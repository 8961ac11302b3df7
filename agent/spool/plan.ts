/**
 * Pure bookkeeping of the spool and of delivery: which reports to drop, which to send next, which
 * may be deleted, the next sequence number, and how long to wait before retrying. No I/O here.
 */

/** One spooled report, as the spool index knows it. Lists of entries are ascending by seq. */
export interface Entry {
  seq: number;
  /** Size of the file on disk (header + body). */
  bytes: number;
  /** When the report was assembled, ms since epoch. */
  createdAt: number;
}

export interface Bounds {
  maxBytes: number;
  maxAgeMs: number;
}

/**
 * How many of the oldest entries to drop so that the spool fits its bounds: the leading entries older
 * than `maxAgeMs`, and then as many more of the oldest as needed to bring the total to `maxBytes` or less.
 * A report being sent (`held`) is not a candidate, nor is anything after it: dropping it would count
 * a loss that its acknowledgement may still prevent. The spool then exceeds its bound until that
 * request ends (by at most what is spooled during one request).
 */
export function planDrops(entries: readonly Entry[], bounds: Bounds, now: number, held?: ReadonlySet<number>): number {
  const limit = held?.size ? entries.findIndex((e) => held.has(e.seq)) : -1;
  const n = limit === -1 ? entries.length : limit;
  let k = 0;
  while (k < n && now - entries[k]!.createdAt > bounds.maxAgeMs) k++;
  let total = 0;
  for (let i = k; i < entries.length; i++) total += entries[i]!.bytes;
  while (k < n && total > bounds.maxBytes) {
    total -= entries[k]!.bytes;
    k++;
  }
  return k;
}

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

/** Reports not yet acknowledged by a collector whose cursor is `cursor`. */
export function pendingCount(entries: readonly Entry[], cursor: number): number {
  let n = 0;
  for (let i = entries.length - 1; i >= 0 && entries[i]!.seq > cursor; i--) n++;
  return n;
}

/**
 * Highest seq that every collector has acknowledged: files up to it may be deleted. With no
 * collector configured nothing may be deleted (0).
 */
export function deletableThrough(cursors: readonly number[]): number {
  return cursors.length ? Math.min(...cursors) : 0;
}

/**
 * The next report seq: after both the persisted sequence and the newest spooled report (a kill between
 * writing a report and persisting its seq must not reuse the seq).
 */
export function nextSeq(persisted: number, spoolMax: number): number {
  return Math.max(persisted, spoolMax) + 1;
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
