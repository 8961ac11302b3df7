import { describe, expect, it } from 'vitest';
import { backoffDelay, deletableThrough, type Entry, MAX_RETRY_AFTER_MS, nextSeq, pendingCount, planDrops, takeBatch } from './plan.js';

const e = (seq: number, bytes = 100, createdAt = 1000 * seq): Entry => ({ seq, bytes, createdAt });

describe('planDrops', () => {
  const cases: { name: string; entries: Entry[]; maxBytes: number; maxAgeMs: number; now: number; want: number }[] = [
    { name: 'empty', entries: [], maxBytes: 100, maxAgeMs: 10, now: 0, want: 0 },
    { name: 'fits exactly', entries: [e(1), e(2), e(3)], maxBytes: 300, maxAgeMs: 1e9, now: 3000, want: 0 },
    { name: 'one byte over drops oldest', entries: [e(1), e(2), e(3)], maxBytes: 299, maxAgeMs: 1e9, now: 3000, want: 1 },
    { name: 'bytes: drop until fits', entries: [e(1, 50), e(2, 50), e(3, 250)], maxBytes: 260, maxAgeMs: 1e9, now: 3000, want: 2 },
    { name: 'single report larger than cap is dropped too', entries: [e(1, 500)], maxBytes: 400, maxAgeMs: 1e9, now: 1000, want: 1 },
    { name: 'age: leading old ones', entries: [e(1), e(2), e(3), e(4)], maxBytes: 1e9, maxAgeMs: 1500, now: 4000, want: 2 },
    { name: 'age exactly maxAge is kept', entries: [e(1), e(2)], maxBytes: 1e9, maxAgeMs: 1000, now: 2000, want: 0 },
    { name: 'age 1 ms over maxAge is dropped', entries: [e(1), e(2)], maxBytes: 1e9, maxAgeMs: 1000, now: 2001, want: 1 },
    { name: 'age then bytes', entries: [e(1), e(2), e(3), e(4)], maxBytes: 100, maxAgeMs: 2500, now: 4000, want: 3 },
    { name: 'age stops at first young one (clock went back)', entries: [e(1, 100, 5000), e(2, 100, 1000)], maxBytes: 1e9, maxAgeMs: 1000, now: 5500, want: 0 },
  ];
  it.each(cases)('$name', ({ entries, maxBytes, maxAgeMs, now, want }) => {
    expect(planDrops(entries, { maxBytes, maxAgeMs }, now)).toBe(want);
  });
  const held: { name: string; entries: Entry[]; held: number[]; maxBytes: number; maxAgeMs: number; now: number; want: number }[] = [
    {
      name: 'the oldest in flight: nothing dropped (the spool stays over its bound meanwhile)',
      entries: [e(1), e(2), e(3)],
      held: [1],
      maxBytes: 100,
      maxAgeMs: 1e9,
      now: 3000,
      want: 0,
    },
    {
      name: 'in flight further on: only the ones before it',
      entries: [e(1), e(2), e(3), e(4)],
      held: [3, 4],
      maxBytes: 100,
      maxAgeMs: 1e9,
      now: 4000,
      want: 2,
    },
    { name: 'old but in flight: not dropped for age either', entries: [e(1), e(2)], held: [1], maxBytes: 1e9, maxAgeMs: 10, now: 9000, want: 0 },
    { name: 'a held seq not in the spool changes nothing', entries: [e(2), e(3)], held: [1], maxBytes: 100, maxAgeMs: 1e9, now: 3000, want: 1 },
  ];
  it.each(held)('$name', ({ entries, held: h, maxBytes, maxAgeMs, now, want }) => {
    expect(planDrops(entries, { maxBytes, maxAgeMs }, now, new Set(h))).toBe(want);
  });
});

describe('takeBatch', () => {
  const list = [e(3, 100), e(4, 100), e(5, 100), e(6, 100)];
  const cases: { name: string; cursor: number; maxReports: number; maxBytes: number; want: number[] }[] = [
    { name: 'all pending within limits', cursor: 0, maxReports: 10, maxBytes: 1000, want: [3, 4, 5, 6] },
    { name: 'from the cursor on', cursor: 4, maxReports: 10, maxBytes: 1000, want: [5, 6] },
    { name: 'report limit', cursor: 0, maxReports: 3, maxBytes: 1000, want: [3, 4, 5] },
    { name: 'byte limit', cursor: 0, maxReports: 10, maxBytes: 250, want: [3, 4] },
    { name: 'one oversized report still goes alone', cursor: 0, maxReports: 10, maxBytes: 50, want: [3] },
    { name: 'nothing pending', cursor: 6, maxReports: 10, maxBytes: 1000, want: [] },
    { name: 'cursor in a gap (dropped reports)', cursor: 1, maxReports: 2, maxBytes: 1000, want: [3, 4] },
  ];
  it.each(cases)('$name', ({ cursor, maxReports, maxBytes, want }) => {
    expect(takeBatch(list, cursor, maxReports, maxBytes).map((x) => x.seq)).toEqual(want);
  });
});

describe('pendingCount / deletableThrough / nextSeq', () => {
  it.each([
    { cursor: 0, want: 3 },
    { cursor: 5, want: 2 },
    { cursor: 7, want: 0 },
    { cursor: 99, want: 0 },
  ])('pending after cursor $cursor = $want', ({ cursor, want }) => {
    expect(pendingCount([e(5), e(6), e(7)], cursor)).toBe(want);
  });
  it.each([
    { cursors: [], want: 0 },
    { cursors: [7], want: 7 },
    { cursors: [7, 3], want: 3 },
    { cursors: [0, 12], want: 0 },
  ])('deletable through min of $cursors = $want', ({ cursors, want }) => {
    expect(deletableThrough(cursors)).toBe(want);
  });
  it.each([
    { persisted: 0, spoolMax: 0, want: 1 },
    { persisted: 10, spoolMax: 0, want: 11 },
    { persisted: 10, spoolMax: 11, want: 12 }, // killed after spooling 11, before persisting it
    { persisted: 12, spoolMax: 11, want: 13 },
  ])('nextSeq($persisted, $spoolMax) = $want', ({ persisted, spoolMax, want }) => {
    expect(nextSeq(persisted, spoolMax)).toBe(want);
  });
});

describe('backoffDelay', () => {
  const o = { initialMs: 1000, maxMs: 60_000 };
  it.each([
    { attempt: 1, rand: 0, retryAfter: undefined, want: 500 },
    { attempt: 1, rand: 0.999999, retryAfter: undefined, want: 1000 },
    { attempt: 2, rand: 0.5, retryAfter: undefined, want: 1500 },
    { attempt: 3, rand: 0, retryAfter: undefined, want: 2000 },
    { attempt: 7, rand: 0, retryAfter: undefined, want: 30_000 }, // 64 s capped to 60 s, half jitter
    { attempt: 1000, rand: 0.999999, retryAfter: undefined, want: 60_000 },
    { attempt: 1, rand: 0, retryAfter: 7000, want: 7000 }, // Retry-After is a floor
    { attempt: 7, rand: 1, retryAfter: 2000, want: 60_000 }, // backoff already longer
    { attempt: 1, rand: 0, retryAfter: 10 * MAX_RETRY_AFTER_MS, want: MAX_RETRY_AFTER_MS },
    { attempt: 1, rand: 0, retryAfter: -5, want: 500 },
  ])('attempt $attempt rand $rand retryAfter $retryAfter → $want ms', ({ attempt, rand, retryAfter, want }) => {
    expect(backoffDelay(attempt, o, rand, retryAfter)).toBe(want);
  });
});
