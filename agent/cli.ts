import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderExposition } from '../contract/exposition.js';
import { algorithmAvailable } from '../contract/sign.js';
import { ConfigError, loadConfig, renderDefaultConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { type AgentConfig, agentConfigSpec } from './config.js';
import type { PushTarget } from './push/push.js';
import { Agent } from './runtime/agent.js';
import { cronFor } from './runtime/report.js';
import { buildSources } from './sources/index.js';

export function loadAgentConfig(file: string | undefined, env = process.env): AgentConfig {
  const cfg = loadConfig<AgentConfig>(agentConfigSpec, file, env);
  const src = file ?? 'built-in defaults';
  try {
    cronFor(cfg.report.intervalSeconds);
  } catch (err) {
    throw new ConfigError(src, 'report.intervalSeconds', (err as Error).message);
  }
  for (const [name, s] of Object.entries(cfg.sources) as [string, { enabled?: boolean; intervalSeconds?: number }][]) {
    if (!s.enabled || s.intervalSeconds === undefined) continue;
    try {
      cronFor(s.intervalSeconds);
    } catch (err) {
      throw new ConfigError(src, `sources.${name}.intervalSeconds`, (err as Error).message);
    }
  }
  if (!algorithmAvailable(cfg.collector.signature)) {
    throw new ConfigError(src, 'collector.signature', `${cfg.collector.signature} is not available in this Node.js build's OpenSSL`);
  }
  return cfg;
}

/** The push target of a config, or a ConfigError saying how to provide a token. */
export function pushTarget(cfg: AgentConfig, file: string | undefined): PushTarget {
  let token = cfg.collector.token;
  if (!token && cfg.collector.tokenFile) {
    try {
      token = readFileSync(cfg.collector.tokenFile, 'utf8').split('\n')[0]!.trim();
    } catch (err) {
      throw new ConfigError(file ?? 'built-in defaults', 'collector.tokenFile', `cannot read ${cfg.collector.tokenFile}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  if (!token) {
    throw new ConfigError(file ?? 'built-in defaults', 'collector.token', 'expected a token (or collector.tokenFile); create one with `xunjian collector token create NODE`');
  }
  return { url: cfg.collector.url, token, signature: cfg.collector.signature, timeoutMs: cfg.collector.timeoutSeconds * 1000 };
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('run the agent: collect from the configured sources and push reports to the collector')
    .option('-c, --config <file>', 'agent config file (YAML)')
    .option('--once', 'run every source once and print the samples in Prometheus text format; push nothing')
    .option('--facts', 'with --once: print the collected facts as JSON instead')
    .option('--print-default-config', 'print a commented config holding every default, and exit')
    .action(async (opts: { config?: string; once?: boolean; facts?: boolean; printDefaultConfig?: boolean }) => {
      if (opts.printDefaultConfig) {
        process.stdout.write(renderDefaultConfig(agentConfigSpec, 'Xunjian agent configuration (defaults).'));
        return;
      }
      const cfg = loadAgentConfig(opts.config);
      const log = createLogger(cfg.log);
      const sources = buildSources(cfg);
      if (opts.once) {
        const agent = new Agent(cfg, sources, log, undefined);
        await agent.collectAll();
        const snap = agent.snapshot();
        for (const s of sources) await s.close?.();
        if (opts.facts) process.stdout.write(`${JSON.stringify(snap.facts, null, 2)}\n`);
        else process.stdout.write(renderExposition(snap.samples, { help: snap.help }));
        return;
      }
      const agent = new Agent(cfg, sources, log, pushTarget(cfg, opts.config));
      log.info('agent starting', { node: agent.node.id, collector: cfg.collector.url, sources: sources.map((s) => s.name).join(','), interval: cfg.report.intervalSeconds });
      await agent.start();
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      log.info('agent stopping');
      await agent.stop();
    });
}
