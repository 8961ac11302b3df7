import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { join } from 'node:path';
import { withFreePort } from './net.js';
import { waitFor } from './proc.js';

/**
 * Real Prometheus-compatible stores for tests: Debian's Prometheus 2.42 (remote-write receiver on,
 * out-of-order window in its config file) and VictoriaMetrics single node, on loopback. Both can be
 * stopped and started again on the same port and data directory (a receiver down, then back).
 */
export interface Tsdb {
  port: number;
  base: string;
  /** remote-write URL */
  writeUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  output(): string;
}

function stopper(p: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 5000).unref();
  });
}

/** A client certificate (and CA) for a store serving mutual TLS. */
export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

async function supervise(
  bin: string,
  args: () => string[],
  readyUrl: (port: number) => string,
  port: number,
  writePath: string,
  tls?: ClientTls,
): Promise<Tsdb> {
  let proc: ChildProcess | undefined;
  let out = '';
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const dispatcher = tls ? new Agent({ connect: { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) } }) : undefined;
  const t: Tsdb = {
    port,
    base,
    writeUrl: `${base}${writePath}`,
    output: () => out,
    async start() {
      const p = spawn(bin, args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      p.stdout!.on('data', (d) => (out += d));
      p.stderr!.on('data', (d) => (out += d));
      p.once('error', (err) => (out += `\nspawn error: ${err.message}`));
      await waitFor(
        async () => {
          if (p.exitCode !== null) throw new Error(`${bin} exited ${p.exitCode}: ${out.slice(-2000)}`);
          const r = await request(readyUrl(port), { dispatcher });
          await r.body.text();
          return r.statusCode === 200;
        },
        30_000,
        `${bin} ready`,
      );
    },
    stop: () => stopper(proc),
  };
  await t.start();
  return t;
}

/** Prometheus 2.42 with `--web.enable-remote-write-receiver`; `oooWindow` sets storage.tsdb.out_of_order_time_window. */
export async function startPrometheus(
  dir: string,
  opts: { oooWindow?: string; config?: string; webConfig?: string; clientTls?: ClientTls } = {},
): Promise<Tsdb> {
  const cfgFile = join(dir, 'prometheus.yml');
  const cfg = opts.config ?? `global: {scrape_interval: 15s}\n${opts.oooWindow ? `storage:\n  tsdb:\n    out_of_order_time_window: ${opts.oooWindow}\n` : ''}`;
  writeFileSync(cfgFile, cfg);
  const web = join(dir, 'web.yml');
  if (opts.webConfig) writeFileSync(web, opts.webConfig);
  // the port is chosen before the process binds it: another one when it was taken meanwhile
  return withFreePort((port) =>
    supervise(
      'prometheus',
      () => [
        `--config.file=${cfgFile}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--web.enable-admin-api',
        '--web.enable-lifecycle',
        '--storage.tsdb.retention.time=1y',
        ...(opts.webConfig ? [`--web.config.file=${web}`] : []),
      ],
      (p) => `${opts.clientTls ? 'https' : 'http'}://127.0.0.1:${p}/-/ready`,
      port,
      '/api/v1/write',
      opts.clientTls,
    ),
  );
}

/** VictoriaMetrics single node (remote write at /api/v1/write, raw samples at /api/v1/export). */
export async function startVictoria(dir: string): Promise<Tsdb> {
  // the port is chosen before the process binds it: another one when it was taken meanwhile
  return withFreePort((port) =>
    supervise(
      'victoria-metrics',
      () => [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${join(dir, 'vm')}`,
        '-retentionPeriod=100y',
        '-search.latencyOffset=0s',
        '-search.disableCache',
      ],
      (p) => `http://127.0.0.1:${p}/health`,
      port,
      '/api/v1/write',
    ),
  );
}

/** Raw samples of a series selector from Prometheus: `/api/v1/query` with a range selector at `atMs`. */
export async function promRaw(
  t: Tsdb,
  selector: string,
  range: string,
  atMs: number,
): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
  const u = new URL('/api/v1/query', t.base);
  u.searchParams.set('query', `${selector}[${range}]`);
  u.searchParams.set('time', String(atMs / 1000));
  const r = await fetch(u);
  const j = (await r.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  if (j.status !== 'success') throw new Error(`query ${selector}: ${j.error}`);
  return j.data.result;
}

/** Raw samples from VictoriaMetrics' /api/v1/export (after a force flush). */
export async function vmExport(t: Tsdb, selector: string): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]> {
  await fetch(new URL('/internal/force_flush', t.base));
  const u = new URL('/api/v1/export', t.base);
  u.searchParams.set('match[]', selector);
  u.searchParams.set('start', '0');
  const text = await (await fetch(u)).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
}
