import type { Facts, Sample } from '../contract/types.js';
import type { Logger } from '../lib/log.js';

/**
 * A source produces samples and/or facts. It is the agent's narrow I/O edge: the runner schedules it,
 * bounds it in time and buffers what it returns; `xunjian agent --once` calls every source once.
 */
export interface SourceContext {
  /** Aborted when the source overruns its time budget or the agent stops. */
  signal: AbortSignal;
  log: Logger;
  /** Clock in ms since epoch (injectable for tests). */
  now(): number;
}

export interface SourceResult {
  samples: Sample[];
  /** HELP text per metric name. */
  help?: Record<string, string>;
  /** Fact groups, e.g. `{ 'host.inventory': {...} }`. Replaces the previous value of each group. */
  facts?: Facts;
}

export interface Source {
  /** Unique name, used in the agent's self-metrics (`source` label) and logs. */
  readonly name: string;
  /** Seconds between runs (the runner schedules it on node-cron without overlap). */
  readonly intervalSeconds: number;
  collect(ctx: SourceContext): Promise<SourceResult>;
  /** Release sockets and timers. */
  close?(): Promise<void> | void;
}
