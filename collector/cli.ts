import { closeSync, openSync, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { ConfigError, loadConfig, renderDefaultConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { ROLES, type Role } from './api/types.js';
import { SqliteAudit } from './audit/audit.js';
import { type CollectorConfig, collectorConfigSpec } from './config.js';
import { checkRemoteWrite } from './remotewrite/config.js';
import { Collector } from './server.js';
import { Store } from './store/store.js';

/** The collector's config from the file (and env), with the checks a JSON Schema cannot express; a ConfigError names file and key. */
export function loadCollectorConfig(file: string | undefined, env = process.env): CollectorConfig {
  const cfg = loadConfig<CollectorConfig>(collectorConfigSpec, file, env);
  const [first] = checkRemoteWrite(cfg.remoteWrite ?? []);
  if (first) {
    const i = first.indexOf(': ');
    throw new ConfigError(file ?? 'the built-in defaults', first.slice(0, i), first.slice(i + 2));
  }
  return cfg;
}

function hostPort(a: { address: string; port: number }): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export async function runCollector(cfg: CollectorConfig, reloadFrom?: () => CollectorConfig): Promise<Collector> {
  const log = createLogger(cfg.log);
  const c = new Collector(cfg, log, Date.now, reloadFrom);
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
      const c = await runCollector(loadCollectorConfig(opts.config), () => loadCollectorConfig(opts.config));
      const onHup = () => void c.reload('signal:SIGHUP', 'local');
      process.on('SIGHUP', onHup);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.off('SIGHUP', onHup);
      await c.close();
    });

  const token = cmd.command('token').description('manage per-node tokens (only their SHA-256 digests are stored)');
  // `-c` may be given before or after the subcommand name: read it with the parent's options.
  const withStore = (
    cmd: Command,
    fn: (s: Store, audit: (action: string, target: string, outcome: 'success' | 'failure', detail?: Record<string, unknown>) => void) => void,
  ) => {
    const s = new Store(loadCollectorConfig((cmd.optsWithGlobals() as { config?: string }).config).dataDir);
    const log = new SqliteAudit(s.db);
    const actor = `cli:${userInfo().username}`;
    try {
      fn(s, (action, target, outcome, detail) => log.record({ actor, remote: 'local', action, target, outcome, ...(detail ? { detail } : {}) }));
    } finally {
      s.close();
    }
  };
  /** Print a secret once: to stdout, or to a new 0600 file with --out. */
  const emit = (secret: string, out: string | undefined) => {
    if (!out) return process.stdout.write(`${secret}\n`);
    const fd = openSync(out, 'wx', 0o600);
    try {
      writeSync(fd, `${secret}\n`);
    } finally {
      closeSync(fd);
    }
  };
  token
    .command('create <node>')
    .description('create a token for NODE and print it once (or write it to a new 0600 file with --out)')
    .option('--out <file>', 'write the token to this new file (mode 0600) instead of stdout')
    .action((node: string, o: { out?: string }, c: Command) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(node)) throw new Error(`invalid node id '${node}': letters, digits, '.', '_', '-' (max 128)`);
      withStore(c, (s, audit) => {
        emit(s.createToken(node), o.out);
        audit('node_token.create', node, 'success');
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
    .description('revoke every active token of NODE (its reports are refused until a new token is created)')
    .action((node: string, _opts: unknown, c: Command) => {
      withStore(c, (s, audit) => {
        const n = s.revokeTokens(node);
        audit('node_token.revoke', node, n ? 'success' : 'failure', { revoked: n });
        process.stdout.write(`revoked ${n} token(s) of ${node}\n`);
        if (n === 0) process.exitCode = 1;
      });
    });

  const api = cmd.command('api-token').description(`manage API tokens with a role (${ROLES.join(' < ')}); only their SHA-256 digests are stored`);
  api
    .command('create <name>')
    .description('create an API token and print it once (or write it to a new 0600 file with --out)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--out <file>', 'write the token to this new file (mode 0600) instead of stdout')
    .action((name: string, o: { role: string; out?: string }, c: Command) => {
      if (!ROLES.includes(o.role as Role)) throw new Error(`invalid --role '${o.role}': one of ${ROLES.join(', ')}`);
      withStore(c, (s, audit) => {
        const t = s.apiTokens.create(name, o.role as Role);
        emit(t.token, o.out);
        audit('api_token.create', name, 'success', { role: o.role, id: t.id });
        process.stderr.write(`API token '${name}' (${o.role}) created; it is shown only this once: send it as Authorization: Bearer <token>\n`);
      });
    });
  api
    .command('list')
    .description('list API tokens (names, roles and dates, never the tokens)')
    .action((_o: unknown, c: Command) => {
      withStore(c, (s) => {
        process.stdout.write('ID\tNAME\tROLE\tCREATED\tLAST USED\tREVOKED\n');
        const d = (t: number | null) => (t ? new Date(t).toISOString() : '-');
        for (const t of s.apiTokens.list()) process.stdout.write(`${t.id}\t${t.name}\t${t.role}\t${d(t.createdAt)}\t${d(t.lastUsedAt)}\t${d(t.revokedAt)}\n`);
      });
    });
  api
    .command('revoke <name>')
    .description('revoke every active API token named NAME')
    .action((name: string, _o: unknown, c: Command) => {
      withStore(c, (s, audit) => {
        const n = s.apiTokens.revoke(name);
        audit('api_token.revoke', name, n ? 'success' : 'failure', { revoked: n });
        process.stdout.write(`revoked ${n} API token(s) named ${name}\n`);
        if (n === 0) process.exitCode = 1;
      });
    });
}
