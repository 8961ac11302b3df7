/**
 * At most `limit` events in any rolling window of `windowMs` (the robots count messages per minute,
 * not per calendar minute). Pure: the caller passes the time.
 */
export class SlidingWindowLimiter {
  private readonly times: number[] = [];
  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
  ) {}

  private trim(now: number): void {
    while (this.times.length && this.times[0]! <= now - this.windowMs) this.times.shift();
  }

  /** 0 when an event may happen now, else the earliest time it may. */
  nextAllowedAt(now: number): number {
    if (this.limit <= 0) return 0;
    this.trim(now);
    return this.times.length < this.limit ? 0 : this.times[this.times.length - this.limit]! + this.windowMs;
  }

  record(now: number): void {
    if (this.limit <= 0) return;
    this.times.push(now);
    this.times.sort((a, b) => a - b);
    this.trim(now);
  }
}
