/**
 * The real Prometheus 2.42 here (/usr/bin/prometheus) as a test peer: started on loopback with an
 * empty TSDB, fed through its remote-write receiver (protobuf + snappy, so stale markers keep their
 * bit pattern), queried through /api/v1/query and /api/v1/query_range.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressSync } from 'snappy';
import { withFreePort } from '../../../../test/helpers/net.js';
import { waitFor } from '../../../../test/helpers/proc.js';
import { labelNames } from '../labels.js';
import type { GenSeries } from './gen.js';

export interface PromPeer {
  url: string;
  /** the process, for its CPU time and memory (bench:rules) */
  pid: number;
  stop(): Promise<void>;
}

export async function startPrometheus(bin = '/usr/bin/prometheus'): Promise<PromPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'xj-promql-diff-'));
  // out-of-order window: late samples (an agent's spool after an outage) are accepted, as ours are
  writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\nstorage:\n  tsdb:\n    out_of_order_time_window: 2h\n');
  // the port is chosen before prometheus binds it: another one when it was taken meanwhile
  return withFreePort((port) => start(bin, dir, port));
}

async function start(bin: string, dir: string, port: number): Promise<PromPeer> {
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const proc: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--storage.tsdb.retention.time=100y',
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const spawnError = new Promise<never>((_, rej) => proc.once('error', (e) => rej(new Error(`cannot start ${bin}: ${e.message}`))));
  await Promise.race([
    spawnError,
    waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`prometheus exited: ${output}`);
        return (await fetch(`${url}/-/ready`)).status === 200;
      },
      30_000,
      'prometheus /-/ready',
    ),
  ]).catch(async (err: Error) => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await exited;
    throw err;
  });
  return {
    url,
    pid: proc.pid!,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

class PB {
  chunks: Buffer[] = [];
  varint(n: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(n));
    const bytes: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      bytes.push(b);
    } while (x !== 0n);
    this.chunks.push(Buffer.from(bytes));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  bytes(field: number, b: Buffer): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.chunks.push(b);
  }
  string(field: number, s: string): void {
    this.bytes(field, Buffer.from(s, 'utf8'));
  }
  /** A double copied as raw bytes (keeps NaN payloads). */
  fixed64(field: number, raw: Buffer): void {
    this.tag(field, 1);
    this.chunks.push(raw);
  }
  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** prometheus.WriteRequest (remote write 1.0) for the series, in their order (= TSDB head order). */
export function encodeWriteRequest(series: GenSeries[]): Buffer {
  const req = new PB();
  for (const s of series) {
    const ts = new PB();
    for (const n of labelNames(s.labels)) {
      const l = new PB();
      l.string(1, n);
      l.string(2, s.labels[n]!);
      ts.bytes(1, l.done());
    }
    const raw = Buffer.from(s.v.buffer, s.v.byteOffset, s.v.byteLength);
    for (let i = 0; i < s.t.length; i++) {
      const sm = new PB();
      sm.fixed64(1, raw.subarray(i * 8, i * 8 + 8));
      sm.tag(2, 0);
      sm.varint(s.t[i]!);
      ts.bytes(2, sm.done());
    }
    req.bytes(1, ts.done());
  }
  return req.done();
}

export async function remoteWrite(url: string, series: GenSeries[]): Promise<void> {
  const body = compressSync(encodeWriteRequest(series));
  const res = await fetch(`${url}/api/v1/write`, {
    method: 'POST',
    headers: { 'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
    body,
  });
  if (res.status !== 204 && res.status !== 200) throw new Error(`remote write: HTTP ${res.status}: ${await res.text()}`);
}

export type PromData =
  | { resultType: 'vector'; result: { metric: Record<string, string>; value: [number, string] }[] }
  | { resultType: 'matrix'; result: { metric: Record<string, string>; values: [number, string][] }[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

export type PromAnswer = { ok: true; data: PromData } | { ok: false; error: string };

async function get(url: string): Promise<PromAnswer> {
  const res = await fetch(url);
  const j = (await res.json()) as { status: string; data?: PromData; error?: string };
  if (j.status === 'success') return { ok: true, data: j.data! };
  return { ok: false, error: j.error ?? `HTTP ${res.status}` };
}

const sec = (ms: number) => (ms / 1000).toFixed(3);

export function queryInstant(url: string, expr: string, timeMs: number): Promise<PromAnswer> {
  return get(`${url}/api/v1/query?query=${encodeURIComponent(expr)}&time=${sec(timeMs)}`);
}

export function queryRange(url: string, expr: string, startMs: number, endMs: number, stepMs: number): Promise<PromAnswer> {
  return get(`${url}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${sec(startMs)}&end=${sec(endMs)}&step=${sec(stepMs)}`);
}
