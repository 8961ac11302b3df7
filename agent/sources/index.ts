import { ConfigError } from '../../lib/config.js';
import type { FromSchema } from '../../lib/schema-type.js';
import type { AgentConfig } from '../config.js';
import { cronFor, cronProblem } from '../runtime/schedule.js';
import { type Source, SourceConfigError, type SourcePlugin, type ValidateContext } from '../source.js';
import * as registry from './registry.js';

export type SourceName = keyof typeof registry;

/** `sources` of the agent config: each section's type derived from its plugin's schema. */
export type SourcesConfig = { [N in SourceName]: FromSchema<(typeof registry)[N]['schema']> };

/** The registered plugins by name (the order of `sources` in the default config and of the sources built). */
export const PLUGINS: readonly [SourceName, SourcePlugin][] = Object.entries(registry) as [SourceName, SourcePlugin][];

/** JSON Schema of `sources`: one section per registered plugin. */
export const sourcesSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'What the agent collects; one section per source (agent/sources/<name>/README.md).',
  properties: Object.fromEntries(PLUGINS.map(([name, p]) => [name, p.schema])),
} as const;

const section = (cfg: AgentConfig, name: string) => (cfg.sources as Record<string, unknown>)[name];

/** An interval node-cron cannot schedule evenly, as the message of a config error; undefined when it can. */
function intervalProblem(seconds: number): string | undefined {
  try {
    cronFor(seconds);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The checks of every source section beyond JSON Schema, once, at config load: `intervalSeconds` and
 * `schedule` (for any section that has them), then the plugin's own checks. A ConfigError naming `src`.
 */
export function validateSources(cfg: AgentConfig, src: string, plugins: readonly [string, SourcePlugin][] = PLUGINS): void {
  for (const [name, plugin] of plugins) {
    const s = section(cfg, name) as { enabled?: boolean; intervalSeconds?: number; schedule?: string };
    const ctx: ValidateContext = {
      agent: cfg,
      fail: (key, expected) => {
        throw new ConfigError(src, `sources.${name}${key ? `.${key}` : ''}`, expected);
      },
      interval: (key, seconds) => {
        const p = intervalProblem(seconds);
        if (p) ctx.fail(key, p);
      },
    };
    if (s.enabled !== false && s.intervalSeconds !== undefined) ctx.interval('intervalSeconds', s.intervalSeconds);
    if (s.schedule) {
      const p = cronProblem(s.schedule, 60);
      if (p) ctx.fail('schedule', p);
    }
    plugin.validate?.(s, ctx);
  }
}

/**
 * The sources of every configured section; a plugin whose section asks for nothing is never imported
 * (net-snmp, the crawler and the probes cost memory only on nodes that use them). A factory's error is
 * a config error naming the file and the key (exit 2), not a crash.
 */
export async function buildSources(cfg: AgentConfig, file?: string, plugins: readonly [string, SourcePlugin][] = PLUGINS): Promise<Source[]> {
  const src = file ?? 'built-in defaults';
  const sources: Source[] = [];
  for (const [name, plugin] of plugins) {
    const s = section(cfg, name);
    if (!plugin.enabled(s)) continue;
    try {
      sources.push(...(await plugin.create(s, { agent: cfg })));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      if (err instanceof SourceConfigError) throw new ConfigError(src, `sources.${name}.${err.key}`, err.expected);
      throw new ConfigError(src, `sources.${name}`, (err as Error).message);
    }
  }
  return sources;
}
