import { describe, expect, it } from 'vitest';
import { deletableThrough, type Entry, nextSeq, pendingCount, planDrops } from './plan.js';

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
