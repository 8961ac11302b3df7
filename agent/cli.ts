import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { renderExposition } from '../contract/exposition.js';
import { algorithmAvailable } from '../contract/sign.js';
import { ConfigError, loadConfig, renderDefaultConfig } from '../lib/config.js';
import { readableByOthers } from '../lib/fs.js';
import { type Logger, createLogger } from '../lib/log.js';
import { type AgentConfig, type CollectorEndpointConfig, agentConfigSpec } from './config.js';
import { type PushTarget, targetName } from './delivery/push.js';
import { tlsDispatcher } from './delivery/tls.js';
import { Agent } from './runtime/agent.js';
import { cronFor } from './runtime/schedule.js';
import { buildSources, validateSources } from './sources/index.js';

export function loadAgentConfig(file: string | undefined, env = process.env): AgentConfig {
  const cfg = loadConfig<AgentConfig>(agentConfigSpec, file, env);
  const src = file ?? 'built-in defaults';
  const schedulable = (key: string, seconds: number) => {
    try {
      cronFor(seconds);
    } catch (err) {
      throw new ConfigError(src, key, (err as Error).message);
    }
  };
  schedulable('report.intervalSeconds', cfg.report.intervalSeconds);
  validateSources(cfg, src);
  if (!algorithmAvailable(cfg.collector.signature)) {
    throw new ConfigError(src, 'collector.signature', `${cfg.collector.signature} is not available in this Node.js build's OpenSSL`);
  }
  const endpoints: [string, CollectorEndpointConfig][] = cfg.collectors?.length
    ? cfg.collectors.map((c, i) => [`collectors.${i}`, c])
    : [['collector', cfg.collector]];
  for (const [key, c] of endpoints) {
    if (insecureRemote(c.url) && !c.allowInsecureHttp) {
      throw new ConfigError(
        src,
        `${key}.url`,
        `an https:// URL for a collector that is not on this host (${c.url} would carry the bearer token, from which the report signing key is derived, in clear text); set ${key}.allowInsecureHttp: true to accept that`,
      );
    }
  }
  return cfg;
}

/** Whether a collector URL is plain http:// to another host (loopback: 127.0.0.0/8, ::1, localhost). */
export function insecureRemote(url: string): boolean {
  const u = new URL(url);
  if (u.protocol !== 'http:') return false;
  const h = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return false;
  return !(isIP(h) === 4 && h.startsWith('127.'));
}

/** Warnings about a config that works but exposes secrets: plain HTTP allowed to a remote collector, a token file others can read. */
export function securityWarnings(cfg: AgentConfig): { message: string; fields: Record<string, string> }[] {
  const out: { message: string; fields: Record<string, string> }[] = [];
  const endpoints: [string, CollectorEndpointConfig][] = cfg.collectors?.length
    ? cfg.collectors.map((c, i) => [`collectors.${i}`, c])
    : [['collector', cfg.collector]];
  for (const [key, c] of endpoints) {
    if (c.allowInsecureHttp && insecureRemote(c.url)) {
      out.push({
        message: 'plain HTTP to a remote collector (allowInsecureHttp): anyone who sees one request can forge reports; use https://',
        fields: { key: `${key}.url`, url: c.url },
      });
    }
    if (!c.token && c.tokenFile) {
      try {
        const mode = statSync(c.tokenFile).mode & 0o777;
        if (readableByOthers(mode))
          out.push({
            message: 'token file is readable by group or others: chmod 600 it',
            fields: { key: `${key}.tokenFile`, file: c.tokenFile, mode: mode.toString(8) },
          });
      } catch {
        // unreadable: pushTargets names it
      }
    }
  }
  return out;
}

/** The push targets of a config (`collectors`, or else `collector`), or a ConfigError naming the key at fault. */
export function pushTargets(cfg: AgentConfig, file: string | undefined): PushTarget[] {
  const src = file ?? 'built-in defaults';
  const list: [string, CollectorEndpointConfig][] = cfg.collectors?.length
    ? cfg.collectors.map((c, i) => [`collectors.${i}`, c])
    : [['collector', cfg.collector]];
  const seen = new Map<string, string>();
  const targets = list.map(([key, c]) => {
    let token = c.token;
    if (!token && c.tokenFile) {
      try {
        token = readFileSync(c.tokenFile, 'utf8').split('\n')[0]!.trim();
      } catch (err) {
        throw new ConfigError(src, `${key}.tokenFile`, `cannot read ${c.tokenFile}: ${(err as NodeJS.ErrnoException).code}`);
      }
    }
    if (!token) {
      throw new ConfigError(src, `${key}.token`, 'expected a token (or tokenFile); create one with `xunjian collector token create NODE`');
    }
    if (!algorithmAvailable(c.signature)) {
      throw new ConfigError(src, `${key}.signature`, `${c.signature} is not available in this Node.js build's OpenSSL`);
    }
    let dispatcher: PushTarget['dispatcher'];
    try {
      dispatcher = tlsDispatcher(c, key);
    } catch (err) {
      const m = /^([^:]+): (.*)$/s.exec((err as Error).message);
      throw new ConfigError(src, m?.[1] ?? key, m?.[2] ?? (err as Error).message);
    }
    const t: PushTarget = { url: c.url, token, signature: c.signature, timeoutMs: c.timeoutSeconds * 1000, name: c.name || undefined, dispatcher };
    const name = targetName(t);
    const dup = seen.get(name);
    if (dup)
      throw new ConfigError(
        src,
        `${key}.name`,
        `collector name '${name}' is already used by ${dup}: give each collector a distinct name (it names its spool cursor)`,
      );
    seen.set(name, key);
    return t;
  });
  return targets;
}

export function registerAgentCommand(program: Command): void {
  const cmd = program
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
      if (opts.facts && !opts.once) cmd.error('error: --facts goes with --once', { exitCode: 2 });
      const cfg = loadAgentConfig(opts.config);
      const log = createLogger(cfg.log);
      const sources = await buildSources(cfg, opts.config);
      if (opts.once) {
        const agent = new Agent(cfg, sources, log, undefined);
        await agent.collectAll();
        const snap = agent.snapshot();
        for (const s of sources) await s.close?.();
        if (opts.facts) process.stdout.write(`${JSON.stringify(snap.facts, null, 2)}\n`);
        else process.stdout.write(renderExposition(snap.samples, { help: snap.help }));
        return;
      }
      const targets = pushTargets(cfg, opts.config);
      warnSecurity(cfg, log);
      const agent = new Agent(cfg, sources, log, targets);
      log.info('agent starting', {
        node: agent.node.id,
        collectors: targets.map((t) => t.url).join(','),
        mode: cfg.delivery?.mode ?? 'failover',
        sources: sources.map((s) => s.name).join(','),
        interval: cfg.report.intervalSeconds,
      });
      // listening before start(): it may take seconds (the first report waits for fast first runs)
      const stopped = new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await agent.start();
      await stopped;
      log.info('agent stopping');
      await agent.stop();
    });
}

function warnSecurity(cfg: AgentConfig, log: Logger): void {
  for (const w of securityWarnings(cfg)) log.warn(w.message, w.fields);
}
