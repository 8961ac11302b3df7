/**
 * Dynamic shards (pure, no I/O): how many concurrent requests an endpoint queue needs, from the rate
 * samples come in, the rate and cost of sending them, and the backlog still pending. The idea is
 * Prometheus's queue manager's (one shard sends `1 / timePerSample` samples a second, so the queue
 * needs `timePerSample × (what comes in + a share of the backlog)` shards); the numbers here use the
 * exact pending count the durable queue knows instead of an estimate from timestamps.
 */

/** How often the desired shard count is recomputed (ms). */
export const SHARD_UPDATE_MS = 10_000;
/** A change smaller than this fraction of the current count is not worth a reshard. */
export const SHARD_TOLERANCE = 0.3;
/** Share of the pending backlog the queue aims to send each second on top of the incoming rate. */
export const BACKLOG_CATCHUP = 0.05;
/** No downsharding while the backlog holds more than this many seconds of incoming samples. */
export const BEHIND_SECONDS = 10;
/** Weight of the newest interval in the smoothed rates. */
export const EWMA_WEIGHT = 0.2;

export interface ShardInputs {
  current: number;
  min: number;
  max: number;
  /** samples appended per second (smoothed) */
  inRate: number;
  /** samples sent per second, acknowledged or refused (smoothed) */
  outRate: number;
  /** seconds spent in requests per second of wall time, summed over shards (smoothed) */
  sendSecondsRate: number;
  /** samples not yet acknowledged (durable backlog + buffers + in flight) */
  pending: number;
  /** a request succeeded recently: with the endpoint failing, more shards only mean more failing requests */
  healthy: boolean;
}

export interface ShardDecision {
  /** the raw estimate (the `_shards_desired` gauge); NaN when there was nothing to estimate from */
  desired: number;
  /** the shard count to run, within [min, max] */
  shards: number;
  reason: 'failing' | 'no sends' | 'within tolerance' | 'behind' | 'reshard' | 'bounds';
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

export function desiredShards(x: ShardInputs): ShardDecision {
  const current = clamp(x.current, x.min, x.max);
  const bounds = current !== x.current;
  const keep = (reason: ShardDecision['reason'], desired = Number.NaN): ShardDecision => ({
    desired,
    shards: current,
    reason: bounds ? 'bounds' : reason,
  });
  if (!x.healthy) return keep('failing');
  if (!(x.outRate > 0) || !(x.sendSecondsRate > 0)) return keep('no sends');
  const timePerSample = x.sendSecondsRate / x.outRate;
  const desired = timePerSample * (x.inRate + BACKLOG_CATCHUP * Math.max(0, x.pending));
  // round up (on the safe side), ignoring floating-point dust: 6.000000000000001 is 6
  const want = Math.ceil(desired - 1e-9);
  if (want >= current * (1 - SHARD_TOLERANCE) && want <= current * (1 + SHARD_TOLERANCE)) return keep('within tolerance', desired);
  if (want < current && x.pending > BEHIND_SECONDS * x.inRate) return keep('behind', desired);
  const shards = clamp(want, x.min, x.max);
  if (shards === current) return keep(bounds ? 'bounds' : 'within tolerance', desired);
  return { desired, shards, reason: 'reshard' };
}

/** An exponentially weighted rate: `add` amounts during an interval, `tick` at its end. */
export class EwmaRate {
  private acc = 0;
  private value = 0;
  private init = false;

  add(n: number): void {
    this.acc += n;
  }

  /** Close an interval of `seconds`; returns the smoothed rate per second. */
  tick(seconds: number): number {
    const instant = seconds > 0 ? this.acc / seconds : 0;
    this.acc = 0;
    if (this.init) this.value += EWMA_WEIGHT * (instant - this.value);
    else if (instant > 0) {
      this.value = instant;
      this.init = true;
    }
    return this.value;
  }

  rate(): number {
    return this.value;
  }
}
