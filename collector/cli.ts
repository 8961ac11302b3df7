import type { Command } from 'commander';
import { loadConfig, renderDefaultConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { type CollectorConfig, collectorConfigSpec } from './config.js';
import { Collector } from './server.js';
import { Store } from './store/store.js';

export function loadCollectorConfig(file: string | undefined, env = process.env): CollectorConfig {
  return loadConfig<CollectorConfig>(collectorConfigSpec, file, env);
}

function hostPort(a: { address: string; port: number }): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export async function runCollector(cfg: CollectorConfig): Promise<Collector> {
  const log = createLogger(cfg.log);
  const c = new Collector(cfg, log);
  const addr = await c.listen();
  log.info('collector listening', { url: `${cfg.tls?.certFile ? 'https' : 'http'}://${hostPort(addr)}`, dataDir: cfg.dataDir });
  return c;
}

export function registerCollectorCommand(program: Command): void {
  const cmd = program
    .command('collector')
    .description('run the collector: ingest reports, keep the fleet state, serve /metrics and the API')
    .option('-c, --config <file>', 'collector config file (YAML)')
    .option('--print-default-config', 'print a commented config holding every default, and exit')
    .action(async (opts: { config?: string; printDefaultConfig?: boolean }) => {
      if (opts.printDefaultConfig) {
        process.stdout.write(renderDefaultConfig(collectorConfigSpec, 'Xunjian collector configuration (defaults).'));
        return;
      }
      const c = await runCollector(loadCollectorConfig(opts.config));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await c.close();
    });

  const token = cmd.command('token').description('manage per-node tokens (only their SHA-256 digests are stored)');
  // `-c` may be given before or after the subcommand name: read it with the parent's options.
  const withStore = (cmd: Command, fn: (s: Store) => void) => {
    const s = new Store(loadCollectorConfig((cmd.optsWithGlobals() as { config?: string }).config).dataDir);
    try {
      fn(s);
    } finally {
      s.close();
    }
  };
  token
    .command('create <node>')
    .description('create a token for NODE and print it once')
    .action((node: string, _opts: unknown, c: Command) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(node)) throw new Error(`invalid node id '${node}': letters, digits, '.', '_', '-' (max 128)`);
      withStore(c, (s) => {
        process.stdout.write(`${s.createToken(node)}\n`);
        process.stderr.write(`token created for node ${node}; it is shown only this once: put it in the agent's collector.tokenFile\n`);
      });
    });
  token
    .command('list [node]')
    .description('list tokens (ids and dates, never the tokens)')
    .action((node: string | undefined, _opts: unknown, c: Command) => {
      withStore(c, (s) => {
        const rows = s.tokens(node);
        process.stdout.write('ID\tNODE\tCREATED\tREVOKED\n');
        for (const r of rows) {
          process.stdout.write(`${r.id}\t${r.node}\t${new Date(r.createdAt).toISOString()}\t${r.revokedAt ? new Date(r.revokedAt).toISOString() : '-'}\n`);
        }
      });
    });
  token
    .command('revoke <node>')
    .description("revoke every active token of NODE (its reports are refused until a new token is created)")
    .action((node: string, _opts: unknown, c: Command) => {
      withStore(c, (s) => {
        const n = s.revokeTokens(node);
        process.stdout.write(`revoked ${n} token(s) of ${node}\n`);
        if (n === 0) process.exitCode = 1;
      });
    });
}
