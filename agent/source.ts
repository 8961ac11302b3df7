import type { Command } from 'commander';
import type { Facts, Sample } from '../contract/types.js';
import type { Schema } from '../lib/config.js';
import type { Logger } from '../lib/log.js';
import type { FromSchema } from '../lib/schema-type.js';
import type { AgentConfig } from './config.js';

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

/**
 * A config problem a source factory finds (a profile from profilesDir clashing with a target's label, an
 * unreadable file): `key` is relative to the source's section (`targets.0.labels.vlan`). The agent turns it
 * into a ConfigError naming the file and `sources.<name>.<key>` (exit 2); any other error of a factory
 * becomes one naming `sources.<name>`.
 */
export class SourceConfigError extends Error {
  constructor(
    readonly key: string,
    readonly expected: string,
  ) {
    super(`${key}: ${expected}`);
    this.name = 'SourceConfigError';
  }
}

export interface ValidateContext {
  /** The whole agent config (already schema-valid, defaults filled), for checks across sections. */
  agent: AgentConfig;
  /** Refuse the config: a ConfigError naming the file and `sources.<name>.<key>`. */
  fail(key: string, expected: string): never;
  /** Refuse an interval node-cron cannot schedule evenly (`key` relative to the section). */
  interval(key: string, seconds: number): void;
}

export interface CreateContext {
  agent: AgentConfig;
}

export interface CommandContext<C> {
  /** This source's section of the agent config file (loaded, validated, defaults filled). */
  config(file: string | undefined): Promise<C>;
}

/**
 * A source kind, registered in one line of `sources/registry.ts` (as Telegraf's `inputs.Add`): its folder
 * owns its config schema (defaults, descriptions), the checks beyond the schema, the factory and its
 * commands. The config key `sources.<name>` is the name it is registered under. Everything heavy is behind
 * `import()`: a source that is not configured costs the agent nothing but its schema.
 */
export interface SourcePlugin<S extends Schema = Schema, C = FromSchema<S>> {
  /** JSON Schema of `sources.<name>` (`as const`; the config type is derived from it). */
  readonly schema: S;
  /** Whether the section asks for anything; false: the factory's module is never imported. */
  enabled(cfg: C): boolean;
  /** Checks beyond JSON Schema, run once at config load (`ctx.fail` refuses). */
  validate?(cfg: C, ctx: ValidateContext): void;
  /** The sources of the section: a lazy `import()` of the module doing the work. */
  create(cfg: C, ctx: CreateContext): Promise<Source[]>;
  /** Top-level `xunjian` commands: their names (`xunjian <name>` loads only these) and their lazily imported registration. */
  commands?: { names: readonly string[]; register(): Promise<(program: Command, ctx: CommandContext<C>) => void> };
}

/** Type a plugin, keeping its schema's literal type (the config type is derived from it). */
export function defineSource<const S extends Schema>(plugin: SourcePlugin<S>): SourcePlugin<S> {
  return plugin;
}
