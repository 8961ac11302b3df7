import { describe, expect, it } from 'vitest';
import { desiredShards, EwmaRate, type ShardInputs } from './shards.js';

const base: ShardInputs = { current: 4, min: 1, max: 16, inRate: 0, outRate: 0, sendSecondsRate: 0, pending: 0, healthy: true };

describe('desiredShards', () => {
  it.each<[string, Partial<ShardInputs>, number, string, number | null]>([
    // 10 ms per 1000-sample request = 10 µs per sample; 1 shard sends 100k/s
    ['keeps the count when the endpoint fails', { inRate: 1e6, outRate: 1e4, sendSecondsRate: 1, healthy: false }, 4, 'failing', null],
    ['keeps the count with nothing sent to learn from', { inRate: 5000 }, 4, 'no sends', null],
    ['keeps the count inside ±30 %', { inRate: 400_000, outRate: 400_000, sendSecondsRate: 4 }, 4, 'within tolerance', 4],
    ['5 is within 30 % of 4', { inRate: 450_000, outRate: 400_000, sendSecondsRate: 4 }, 4, 'within tolerance', 4.5],
    // 1 s of requests per 100k samples: 1 shard does 100k/s; 800k/s in → 8
    ['scales up to what the incoming rate needs', { inRate: 800_000, outRate: 400_000, sendSecondsRate: 4 }, 8, 'reshard', 8],
    // 100k/s in + 5 % of 1M pending = 150k/s → 2 shards, but the backlog is more than 10 s of input
    [
      'no downsharding while behind (backlog > 10 s of input)',
      { inRate: 100_000, outRate: 400_000, sendSecondsRate: 4, pending: 1_000_001 },
      4,
      'behind',
      1.5000005,
    ],
    // 100k/s in + 5 % of 10M pending = 600k/s → 6 shards
    ['scales up for the backlog: 5 % of it per second', { inRate: 100_000, outRate: 100_000, sendSecondsRate: 1, pending: 10_000_000 }, 6, 'reshard', 6],
    ['scales down when the load is gone', { inRate: 0, outRate: 1000, sendSecondsRate: 0.01, pending: 0 }, 1, 'reshard', 0],
    ['never above max', { inRate: 10_000_000, outRate: 100_000, sendSecondsRate: 1 }, 16, 'reshard', 100],
    ['never below min', { min: 2, inRate: 10, outRate: 1000, sendSecondsRate: 0.01 }, 2, 'reshard', 0.0001],
    ['a current count outside new bounds is brought inside', { current: 20, inRate: 0, outRate: 0 }, 16, 'bounds', null],
  ])('%s', (_name, over, shards, reason, desired) => {
    const d = desiredShards({ ...base, ...over });
    expect([d.shards, d.reason]).toEqual([shards, reason]);
    if (desired === null) expect(d.desired).toBeNaN();
    else expect(d.desired).toBeCloseTo(desired, 6);
  });
});

describe('EwmaRate', () => {
  it('starts at the first non-zero interval, then moves 20 % towards each new one', () => {
    const r = new EwmaRate();
    expect(r.tick(10)).toBe(0);
    r.add(1000);
    expect(r.tick(10)).toBe(100);
    r.add(2000);
    expect(r.tick(10)).toBe(120);
    expect(r.tick(10)).toBeCloseTo(96, 10);
    expect(r.rate()).toBeCloseTo(96, 10);
  });
});
