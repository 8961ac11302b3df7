import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import YAML from 'yaml';
import { freePort, isAddrInUse } from '../helpers/net.js';
import { waitFor } from '../helpers/proc.js';

/**
 * Real processes for delivery tests: `node bin/xunjian.js collector|agent` (built by `npx tsc -p .`),
 * loopback only, random ports, every process killed by the test that started it.
 */
export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/xunjian.js');

export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ missing: run `npx tsc -p .` before these tests');
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `xj-${prefix}-`));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Proc {
  readonly out: string[] = [];
  exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => this.out.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.out.push(d.toString()));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }
  get log(): string {
    return this.out.join('');
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    await this.exited;
  }
}

const live = new Set<Proc>();

/** Kill every process the tests started (afterEach/afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop('SIGKILL')));
  live.clear();
}

/** Run a compiled script (`dist/…`) or the xunjian binary with `args`, tracked for killAll. */
export function spawnNode(script: string, args: string[]): Proc {
  const p = new Proc(spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }));
  live.add(p);
  return p;
}

function spawnXunjian(args: string[]): Proc {
  return spawnNode(BIN, args);
}

export function writeYaml(file: string, obj: unknown): string {
  writeFileSync(file, YAML.stringify(obj));
  return file;
}

export interface CollectorHandle {
  dir: string;
  cfgFile: string;
  port: number;
  url: string;
  proc?: Proc;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  token(node: string): string;
  revoke(node: string): void;
  receipts(node: string): { seq: number; receivedAt: number }[];
  /** An admin API token (created on first use). */
  apiToken(): string;
  metrics(): Promise<string>;
}

/**
 * A collector config in its own temp dir on a fixed port chosen beforehand: an agent is often given
 * its URL while it is down, and it is restarted on the same URL. Until `port` or `url` has been read,
 * a start that fails because another process took the port (EADDRINUSE) moves to another port; after
 * that the port is the collector's for the whole test.
 */
export async function collector(extra: Record<string, unknown> = {}, scheme = 'http'): Promise<CollectorHandle> {
  const dir = tempDir('collector');
  const cfgFile = join(dir, 'collector.yaml');
  let port = 0;
  let published = false;
  const configure = async () => {
    port = await freePort();
    writeYaml(cfgFile, { listen: `127.0.0.1:${port}`, dataDir: join(dir, 'data'), log: { level: 'info' }, ...extra });
  };
  await configure();
  let api: string | undefined;
  const h: CollectorHandle = {
    dir,
    cfgFile,
    get port() {
      published = true;
      return port;
    },
    get url() {
      published = true;
      return `${scheme}://127.0.0.1:${port}`;
    },
    async start() {
      for (let attempt = 1; ; attempt++) {
        const p = spawnXunjian(['collector', '-c', cfgFile]);
        h.proc = p;
        const exited = p.exited.then((code) => Promise.reject(new Error(`collector exited ${code}: ${p.log}`)));
        exited.catch(() => undefined); // raced below; an exit after the start is no error here
        try {
          await Promise.race([waitFor(() => p.log.includes('collector listening'), 20_000, `collector on port ${port}`), exited]);
          return;
        } catch (err) {
          await p.stop('SIGKILL');
          if (published || attempt >= 5 || !isAddrInUse({ message: p.log })) throw err;
          await configure();
        }
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await h.proc?.stop(signal);
    },
    token(node) {
      return execFileSync(process.execPath, [BIN, 'collector', 'token', 'create', node, '-c', cfgFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    },
    revoke(node) {
      execFileSync(process.execPath, [BIN, 'collector', 'token', 'revoke', node, '-c', cfgFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    },
    receipts(node) {
      const file = join(dir, 'data', 'collector.db');
      if (!existsSync(file)) return [];
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        db.pragma('busy_timeout = 5000');
        return (db.prepare('SELECT seq, received_at FROM receipts WHERE node_id = ? ORDER BY seq').all(node) as { seq: number; received_at: number }[]).map(
          (r) => ({
            seq: r.seq,
            receivedAt: r.received_at,
          }),
        );
      } finally {
        db.close();
      }
    },
    apiToken() {
      api ??= execFileSync(process.execPath, [BIN, 'collector', 'api-token', 'create', 'test-admin', '--role', 'admin', '-c', cfgFile], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim();
      return api;
    },
    async metrics() {
      const res = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${h.apiToken()}` } });
      return res.text();
    },
  };
  return h;
}

export interface AgentHandle {
  dir: string;
  cfgFile: string;
  proc?: Proc;
  logs: string[];
  start(): Proc;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Last seq the agent used (seq.json), or 0. */
  lastSeq(): number;
  /** Seqs still in the spool. */
  spooled(): number[];
  spoolState(): { dropped: number; quarantined: number };
}

/** An agent with no sources (self-metrics only), reporting every second, fast backoff. */
export function agent(node: string, collectorCfg: Record<string, unknown>, extra: Record<string, unknown> = {}): AgentHandle {
  const dir = tempDir('agent');
  const base = {
    node: { id: node, site: 'test-township' },
    report: { intervalSeconds: 1 },
    dataDir: join(dir, 'data'),
    sources: { host: { enabled: false }, posture: { enabled: false } },
    delivery: { backoffInitialSeconds: 0.1, backoffMaxSeconds: 0.5 },
    log: { level: 'info' },
    ...collectorCfg,
  };
  const cfg = { ...base, ...extra };
  const cfgFile = writeYaml(join(dir, 'agent.yaml'), cfg);
  const spoolDir = join(dir, 'data', 'spool');
  const h: AgentHandle = {
    dir,
    cfgFile,
    logs: [],
    start() {
      const p = spawnXunjian(['agent', '-c', cfgFile]);
      h.proc = p;
      p.exited.then(() => h.logs.push(p.log));
      return p;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await h.proc?.stop(signal);
    },
    lastSeq() {
      try {
        return (JSON.parse(readFileSync(join(dir, 'data', 'seq.json'), 'utf8')) as { seq: number }).seq;
      } catch {
        return 0;
      }
    },
    spooled() {
      if (!existsSync(spoolDir)) return [];
      return readdirSync(spoolDir)
        .filter((f) => /^\d{16}\.rpt$/.test(f))
        .map((f) => Number(f.slice(0, 16)))
        .sort((a, b) => a - b);
    },
    spoolState() {
      try {
        return JSON.parse(readFileSync(join(spoolDir, 'state.json'), 'utf8'));
      } catch {
        return { dropped: 0, quarantined: 0 };
      }
    },
  };
  return h;
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

/** Whether `seqs` is exactly 1..n. */
export function contiguous(seqs: number[]): boolean {
  return seqs.every((s, i) => s === i + 1);
}

/** A sample value for a node from a /metrics exposition. */
export function sampleValue(exposition: string, name: string, node: string): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(`node="${node}"`)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export function cleanup(dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/**
 * A loopback TCP proxy that forwards requests at once and holds every answer back for `delayMs`: the
 * collector has stored a report while the agent still waits for the acknowledgement, which lets a
 * test kill the agent inside that window.
 */
export async function slowAckProxy(targetPort: number, delayMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const { createServer: createTcpServer, connect } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', () => setTimeout(end, delayMs + 10));
    client.pipe(upstream);
    upstream.on('data', (d: Buffer) => setTimeout(() => client.writable && client.write(d), delayMs));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
