import { describe, expect, it } from 'vitest';
import type { Sample } from '../../contract/types.js';
import { SampleBuffer, buildReport, canonicalJson, cronFor, factsDigest, shouldSendFacts } from './report.js';

const s = (name: string, value: number, ts = 1): Sample => ({ name, labels: {}, value, type: 'gauge', ts });

describe('SampleBuffer', () => {
  it('keeps the newest samples and counts what it drops', () => {
    const b = new SampleBuffer(3);
    b.push([s('a', 1), s('a', 2)]);
    b.push([s('a', 3), s('a', 4), s('a', 5)]);
    expect(b.dropped).toBe(2);
    expect(b.drain().map((x) => x.value)).toEqual([3, 4, 5]);
    expect(b.size).toBe(0);
  });
});

describe('facts change detection', () => {
  const h = 3600_000;
  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    expect(factsDigest({ x: { a: 1, b: 2 } })).toBe(factsDigest({ x: { b: 2, a: 1 } }));
  });
  it.each([
    ['no facts', {}, undefined, 0, false],
    ['first time', { a: 1 }, undefined, 0, true],
    ['unchanged, fresh', { a: 1 }, { digest: factsDigest({ a: 1 }), at: 0 }, h, false],
    ['changed', { a: 2 }, { digest: factsDigest({ a: 1 }), at: 0 }, h, true],
    ['unchanged, refresh due', { a: 1 }, { digest: factsDigest({ a: 1 }), at: 0 }, 6 * h, true],
  ])('%s', (_n, facts, last, now, expected) => {
    expect(shouldSendFacts(facts, last, now, 6 * h)).toBe(expected);
  });
});

describe('buildReport', () => {
  it('drops non-finite values and keeps only HELP of present metrics', () => {
    const r = buildReport({
      node: { id: 'n', site: '', zone: 'extranet', grade: 3, labels: {} },
      version: '1',
      interval: 60,
      seq: 7,
      now: 1000,
      samples: [s('a', 1), s('b', Number.NaN)],
      help: { a: 'A', b: 'B', c: 'C' },
    });
    expect(r).toEqual({
      v: 1,
      node: { id: 'n', site: '', zone: 'extranet', grade: 3, labels: {} },
      agent: { version: '1', interval: 60 },
      seq: 7,
      sentAt: 1000,
      samples: [s('a', 1)],
      help: { a: 'A', b: 'B' },
    });
  });
});

describe('cronFor', () => {
  it.each([
    [1, '* * * * * *'],
    [15, '*/15 * * * * *'],
    [60, '0 */1 * * * *'],
    [300, '0 */5 * * * *'],
    [3600, '0 0 */1 * * *'],
    [21600, '0 0 */6 * * *'],
  ])('%i s → %s', (sec, expr) => expect(cronFor(sec)).toBe(expr));
  it.each([7, 45, 90, 420, 5400])('%i s cannot be scheduled evenly', (sec) => expect(() => cronFor(sec)).toThrow(/cannot be scheduled evenly/));
});
