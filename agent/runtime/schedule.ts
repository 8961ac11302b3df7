import { createHash } from 'node:crypto';
import cron from 'node-cron';

/**
 * Pure scheduling helpers: the cron expression of an interval (with a per-node offset), the offset
 * itself, and the checks of a source's own cron expression.
 */

/**
 * A stable offset in whole seconds inside `intervalSeconds` for a node: the first 4 bytes of SHA-256 of
 * its id, modulo the interval. Nodes of a fleet started at the same moment then report spread over the
 * interval (as Prometheus spreads its scrape targets by a hash), and one node always reports at the same
 * second of its interval.
 */
export function reportOffsetSeconds(nodeId: string, intervalSeconds: number): number {
  if (intervalSeconds <= 1) return 0;
  return createHash('sha256').update(nodeId).digest().readUInt32BE(0) % Math.floor(intervalSeconds);
}

/**
 * A node-cron expression (with seconds) firing every `seconds`, `offset` seconds into each period
 * (0 ≤ offset < seconds); throws when no such expression exists.
 */
export function cronFor(seconds: number, offset = 0): string {
  if (!Number.isInteger(offset) || offset < 0 || (offset > 0 && offset >= seconds))
    throw new Error(`offset ${offset} s must be a whole number of seconds below the period of ${seconds} s`);
  if (seconds >= 1 && seconds < 60 && 60 % seconds === 0) {
    if (seconds === 1) return '* * * * * *';
    return offset ? `${offset}-59/${seconds} * * * * *` : `*/${seconds} * * * * *`;
  }
  if (seconds >= 60 && seconds < 3600 && seconds % 60 === 0 && 60 % (seconds / 60) === 0) {
    const m = seconds / 60;
    const s = offset % 60;
    const mo = Math.floor(offset / 60);
    return `${s} ${mo ? `${mo}-59/${m}` : `*/${m}`} * * * *`;
  }
  if (seconds >= 3600 && seconds % 3600 === 0 && 24 % (seconds / 3600) === 0) {
    const h = seconds / 3600;
    const s = offset % 60;
    const mi = Math.floor(offset / 60) % 60;
    const ho = Math.floor(offset / 3600);
    return `${s} ${mi} ${ho ? `${ho}-23/${h}` : `*/${h}`} * * *`;
  }
  throw new Error(`${seconds} s cannot be scheduled evenly: use a divisor of 60 s, of 60 min (in whole minutes) or of 24 h (in whole hours)`);
}

/**
 * Why a source's cron expression cannot be used, or undefined when it can: node-cron syntax (5 fields,
 * or 6 with seconds first), firing at least once in the next 400 days, never more often than every
 * `minGapSeconds`.
 */
export function cronProblem(expr: string, minGapSeconds: number): string | undefined {
  if (!cron.validate(expr)) return `a cron expression (minute hour day-of-month month day-of-week, optionally seconds first), got '${expr}'`;
  const gap = cronMinGapSeconds(expr);
  if (gap === undefined) return `a cron expression that fires, got '${expr}' (no run in the next 400 days)`;
  if (gap < minGapSeconds) return `runs at least ${minGapSeconds} s apart; '${expr}' fires ${gap} s apart`;
  return undefined;
}

/** The shortest time between two of the next 50 runs of a cron expression (undefined: fewer than 2 runs within 400 days). */
export function cronMinGapSeconds(expr: string, from = new Date()): number | undefined {
  const task = cron.createTask(expr, () => {});
  try {
    const runs = task.getNextRuns(50).filter((d) => d.getTime() - from.getTime() < 400 * 86_400_000);
    if (runs.length < 2) return undefined;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 1; i < runs.length; i++) min = Math.min(min, (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000);
    return min;
  } finally {
    void task.destroy();
  }
}
