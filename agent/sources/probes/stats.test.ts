import { describe, expect, it } from 'vitest';
import { binomialBounds, dualStackRatio, parsePingReplies, roundStats } from './stats.js';

describe('roundStats', () => {
  it.each([
    ['all lost', 5, [], { sent: 5, received: 0, loss: 1, min: null, avg: null, max: null, jitter: null }],
    ['one reply', 4, [0.01], { sent: 4, received: 1, loss: 0.75, min: 0.01, avg: 0.01, max: 0.01, jitter: null }],
    ['nothing sent', 0, [], { sent: 0, received: 0, loss: 1, min: null, avg: null, max: null, jitter: null }],
  ])('%s', (_n, sent, rtts, expected) => expect(roundStats(sent, rtts)).toEqual(expected));

  it('computes loss, min/avg/max and mean absolute consecutive difference', () => {
    const s = roundStats(5, [0.01, 0.03, 0.02, 0.02]);
    expect(s.loss).toBe(0.2);
    expect(s.min).toBe(0.01);
    expect(s.max).toBe(0.03);
    expect(s.avg).toBeCloseTo(0.02, 12);
    // |0.03-0.01| + |0.02-0.03| + |0.02-0.02| = 0.03, over 3 differences
    expect(s.jitter).toBeCloseTo(0.01, 12);
  });
});

describe('dualStackRatio', () => {
  it.each([
    [0.02, 0.01, 2],
    [0.01, 0.02, 0.5],
    [null, 0.01, null],
    [0.01, null, null],
    [0.01, 0, null],
  ])('v6 %s / v4 %s = %s', (v6, v4, r) => expect(dualStackRatio(v6, v4)).toBe(r));
});

describe('binomialBounds', () => {
  it('is symmetric for p = 0.5 and contains the mean', () => {
    const b = binomialBounds(200, 0.5, 0.001);
    expect(b.low + b.high).toBe(200);
    expect(b.low).toBeLessThan(100);
    expect(b.high).toBeGreaterThan(100);
  });
  it('gives 200 × 0.3 bounds matching the normal approximation within 2', () => {
    const b = binomialBounds(200, 0.3, 0.001);
    const sd = Math.sqrt(200 * 0.3 * 0.7);
    expect(Math.abs(b.low - (60 - 3.29 * sd))).toBeLessThan(2);
    expect(Math.abs(b.high - (60 + 3.29 * sd))).toBeLessThan(2);
  });
});

describe('parsePingReplies', () => {
  it('parses iputils output, ignoring duplicates and unreachable lines', () => {
    const out = [
      'PING ::1(::1) 56 data bytes',
      '64 bytes from ::1: icmp_seq=1 ttl=64 time=0.273 ms',
      '64 bytes from ::1: icmp_seq=3 ttl=64 time=1.5 ms',
      '64 bytes from ::1: icmp_seq=3 ttl=64 time=1.6 ms (DUP!)',
      'From 10.0.0.1 icmp_seq=2 Destination Host Unreachable',
      '--- ::1 ping statistics ---',
    ].join('\n');
    expect(parsePingReplies(out)).toEqual([
      { seq: 1, rtt: 0.000273 },
      { seq: 3, rtt: 0.0015 },
    ]);
  });
});
