import { describe, expect, it } from 'vitest';
import { RateLimiter } from './ratelimit.js';

describe('RateLimiter', () => {
  it('allows a burst, then one per 1/rate seconds, per node', () => {
    const l = new RateLimiter(2, 3);
    const at = (t: number, node = 'n1') => l.take(node, t);
    expect([at(0), at(0), at(0)]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(at(0)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(at(0, 'n2')).toEqual({ ok: true }); // other node has its own bucket
    expect(at(250)).toEqual({ ok: false, retryAfterMs: 250 });
    expect(at(500)).toEqual({ ok: true });
    expect(at(10_000)).toEqual({ ok: true }); // refilled, but only up to burst
    expect([at(10_000), at(10_000)]).toEqual([{ ok: true }, { ok: true }]);
    expect(at(10_000).ok).toBe(false);
  });
  it('rate 0 disables the limit', () => {
    const l = new RateLimiter(0, 1);
    for (let i = 0; i < 100; i++) expect(l.take('n', 0)).toEqual({ ok: true });
  });
});
