/**
 * Per-node token bucket (pure: the caller passes the clock). A node may send `burst` requests at once
 * and `ratePerSecond` on average; beyond that a request is refused with the time until a token is back.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
  ) {}

  get enabled(): boolean {
    return this.ratePerSecond > 0;
  }

  take(key: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    if (!this.enabled) return { ok: true };
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.ratePerSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / this.ratePerSecond) * 1000) };
  }
}
