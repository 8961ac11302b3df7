/**
 * Pure bookkeeping of the spool: which reports to drop, how many a cursor has not acknowledged, which
 * may be deleted, the next sequence number. No I/O here. (What to send next and when to retry:
 * ../delivery/plan.ts.)
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
