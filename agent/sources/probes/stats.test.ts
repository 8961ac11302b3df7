import { describe, expect, it } from 'vitest';
import { binomialBounds, dualStackRatio, parsePingReplies, parsePingSummary, roundStats } from './stats.js';

const rep = (...pairs: [number, number][]) => pairs.map(([seq, rtt]) => ({ seq, rtt }));

describe('roundStats', () => {
  it.each([
    ['all lost', 5, [], { sent: 5, received: 0, loss: 1, min: null, avg: null, max: null, jitter: null }],
    ['one reply', 4, rep([1, 0.01]), { sent: 4, received: 1, loss: 0.75, min: 0.01, avg: 0.01, max: 0.01, jitter: null }],
    ['nothing sent', 0, [], { sent: 0, received: 0, loss: 1, min: null, avg: null, max: null, jitter: null }],
    // 1,3 are not consecutive: no pair, no jitter (a loss is not jitter)
    ['two replies across a loss', 3, rep([1, 0.01], [3, 0.05]), { sent: 3, received: 2, loss: 1 / 3, min: 0.01, avg: 0.03, max: 0.05, jitter: null }],
    // pairs (1,2) and (4,5): |0.02-0.01| and |0.05-0.01| → 0.05 / 2; the (2,4) step is skipped
    [
      'pairs of consecutive sequence numbers only',
      5,
      rep([1, 0.01], [2, 0.02], [4, 0.01], [5, 0.05]),
      { sent: 5, received: 4, loss: 0.2, min: 0.01, avg: 0.0225, max: 0.05, jitter: 0.025 },
    ],
    [
      'order of the replies does not matter',
      3,
      rep([2, 0.04], [1, 0.01], [3, 0.02]),
      { sent: 3, received: 3, loss: 0, min: 0.01, avg: 0.07 / 3, max: 0.04, jitter: 0.025 },
    ],
  ] as const)('%s', (_n, sent, replies, expected) => {
    const s = roundStats(sent, replies);
    for (const [k, v] of Object.entries(expected)) {
      if (typeof v === 'number' && !Number.isInteger(v)) expect(s[k as keyof typeof s]).toBeCloseTo(v, 12);
      else expect(s[k as keyof typeof s]).toBe(v);
    }
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
  // Checked with exact rational arithmetic (Binomial(200, 0.3), alpha / 2 = 0.0005):
  // P(X ≤ 38) = 0.000281 ≤ 0.0005 < P(X ≤ 39) = 0.000519; P(X ≥ 83) = 0.000361 ≤ 0.0005 < P(X ≥ 82) = 0.000609.
  it.each([
    [200, 0.3, 0.001, { low: 39, high: 82 }],
    [200, 0, 0.001, { low: 0, high: 0 }],
    [200, 1, 0.001, { low: 200, high: 200 }],
    [10, 0.5, 0.05, { low: 2, high: 8 }],
  ])('n %i p %s alpha %s', (n, p, a, b) => expect(binomialBounds(n, p, a)).toEqual(b));
  it('is symmetric for p = 0.5', () => {
    const b = binomialBounds(200, 0.5, 0.001);
    expect(b.low + b.high).toBe(200);
  });
});

describe('ping output', () => {
  it('parses iputils output, ignoring duplicates and unreachable lines', () => {
    const out = [
      'PING ::1(::1) 56 data bytes',
      '64 bytes from ::1: icmp_seq=1 ttl=64 time=0.273 ms',
      '64 bytes from ::1: icmp_seq=3 ttl=64 time=1.5 ms',
      '64 bytes from ::1: icmp_seq=3 ttl=64 time=1.6 ms (DUP!)',
      'From 10.0.0.1 icmp_seq=2 Destination Host Unreachable',
      '--- ::1 ping statistics ---',
      '3 packets transmitted, 2 received, +1 duplicates, +1 errors, 33.3333% packet loss, time 2003ms',
    ].join('\n');
    expect(parsePingReplies(out)).toEqual(rep([1, 0.000273], [3, 0.0015]));
    expect(parsePingSummary(out)).toEqual({ transmitted: 3, received: 2 });
  });
  it('parses busybox output (seq=, ttl= and hlim=)', () => {
    const out = [
      'PING ::1 (::1): 56 data bytes',
      '64 bytes from ::1: seq=0 ttl=64 time=0.045 ms',
      '64 bytes from ::1: seq=1 hlim=64 time=0.120 ms',
      '',
      '--- ::1 ping statistics ---',
      '3 packets transmitted, 2 packets received, 33% packet loss',
      'round-trip min/avg/max = 0.045/0.082/0.120 ms',
    ].join('\n');
    expect(parsePingReplies(out)).toEqual(rep([0, 0.045 / 1000], [1, 0.12 / 1000]));
    expect(parsePingSummary(out)).toEqual({ transmitted: 3, received: 2 });
  });
  it('finds no summary in a killed or foreign output', () => {
    expect(parsePingSummary('64 bytes from ::1: icmp_seq=1 ttl=64 time=0.2 ms\n')).toBeNull();
  });
});
