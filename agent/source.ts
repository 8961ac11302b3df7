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
  /**
   * The run failed in part (e.g. one of several sites could not be resolved): what it returned is
   * kept, and the run counts as failed (`xunjian_agent_source_up` 0, errors counted, logged).
   */
  error?: string;
}

export interface Source {
  /** Unique name, used in the agent's self-metrics (`source` label) and logs. */
  readonly name: string;
  /** Seconds between runs (the runner schedules it on node-cron without overlap). */
  readonly intervalSeconds: number;
  /**
   * A node-cron expression replacing the interval (e.g. `0 3 * * *`, nightly at 03:00). The source still
   * runs once at start; its time budget is 90% of the shortest gap between two runs.
   */
  readonly schedule?: string;
  collect(ctx: SourceContext): Promise<SourceResult>;
  /** Release sockets and timers. */
  close?(): Promise<void> | void;
}
