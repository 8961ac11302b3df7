import { describe, expect, it } from 'vitest';
import type { Sample } from '../../contract/types.js';
import { SampleBuffer, buildReport, canonicalJson, factsDigest, sampleJsonBytes, shouldSendFacts, splitSamples } from './report.js';

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

describe('SampleBuffer.restore', () => {
  it('puts samples back in front of newer ones, within the bound (oldest dropped and counted)', () => {
    const b = new SampleBuffer(4);
    b.push([s('new', 3), s('new', 4)]);
    b.restore([s('old', 0), s('old', 1), s('old', 2)]);
    expect(b.drain().map((x) => `${x.name}${x.value}`)).toEqual(['old1', 'old2', 'new3', 'new4']);
    expect(b.dropped).toBe(1);
  });
});

describe('splitSamples', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => s('m', i));
  const one = sampleJsonBytes(s('m', 5)); // one sample with a one-digit value
  it.each([
    ['under both limits: one chunk', 5, { samples: 10, bytes: 1e6 }, [5]],
    ['at the sample limit: one chunk', 10, { samples: 10, bytes: 1e6 }, [10]],
    ['over the sample limit', 25, { samples: 10, bytes: 1e6 }, [10, 10, 5]],
    ['nothing: one empty chunk', 0, { samples: 10, bytes: 1e6 }, [0]],
  ])('%s', (_n, count, limits, sizes) => {
    const chunks = splitSamples(many(count), limits, 0, 0);
    expect(chunks.map((c) => c.length)).toEqual(sizes);
    expect(chunks.flat()).toEqual(many(count)); // order and content kept
  });
  it('by bytes, the first chunk carrying more overhead (facts)', () => {
    const samples = many(10).map((x) => ({ ...x, value: 5 })); // equal sizes
    const chunks = splitSamples(samples, { samples: 1000, bytes: 100 + 4 * one }, 100 + 2 * one, 100);
    expect(chunks.map((c) => c.length)).toEqual([2, 4, 4]);
  });
  it('a sample bigger than the room gets a chunk of its own', () => {
    const big = { ...s('m', 1), labels: { x: 'y'.repeat(500) } };
    expect(splitSamples([s('m', 1), big, s('m', 2)], { samples: 10, bytes: 100 }, 0, 0).map((c) => c.length)).toEqual([1, 1, 1]);
  });
});
