import { describe, expect, it } from 'vitest';
import type { Entry } from '../spool/plan.js';
import { backoffDelay, MAX_RETRY_AFTER_MS, takeBatch } from './plan.js';

const e = (seq: number, bytes = 100, createdAt = 1000 * seq): Entry => ({ seq, bytes, createdAt });

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
