/**
 * Catch-up throughput after an outage: N spooled reports delivered to a real collector process, in
 * batches (POST /api/v1/reports/batch) versus one report per request (the peer: what an agent does
 * against a collector without the batch endpoint). Prints reports/s of both and the ratio.
 *
 *   npm run bench:spool-catchup            (N=2000, 150 samples per report)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../../test/helpers/net.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeReport } from '../../agent/delivery/push.js';
import { buildReport } from '../../agent/runtime/report.js';
import { Delivery } from '../../agent/delivery/delivery.js';
import { Spool } from '../../agent/spool/spool.js';
import type { Sample } from '../../contract/types.js';
import { createLogger } from '../../lib/log.js';

const N = Number(process.env.N ?? 2000);
const SAMPLES = Number(process.env.SAMPLES ?? 150);
const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/xunjian.js');
const log = createLogger({ level: 'error' });
const fillSeconds: number[] = [];

function fill(dir: string, node: string): Spool {
  const spool = new Spool({ dir, maxBytes: 1e10, maxAgeMs: 1e12, log });
  const t0 = Date.now() - N * 1000;
  for (let seq = 1; seq <= N; seq++) {
    const ts = t0 + seq * 1000;
    const samples: Sample[] = [];
    for (let i = 0; i < SAMPLES; i++)
      samples.push({ name: `node_metric_${i % 30}`, labels: { device: `eth${i}`, mode: 'x' }, value: seq * i * 1.5, type: 'gauge', ts });
    const r = buildReport({
      node: { id: node, site: 'bench', zone: 'extranet', grade: 3, labels: {} },
      version: 'bench',
      interval: 1,
      seq,
      now: ts,
      samples,
      help: {},
    });
    spool.put(seq, encodeReport(r), ts);
  }
  return spool;
}

async function run(url: string, token: string, node: string, batchMaxReports: number): Promise<{ seconds: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'xj-bench-spool-'));
  try {
    const tf = process.hrtime.bigint();
    const spool = fill(dir, node);
    fillSeconds.push(Number(process.hrtime.bigint() - tf) / 1e9);
    const bytes = spool.stats().bytes;
    const d = new Delivery(
      spool,
      [{ url, token, signature: 'hmac-sm3', timeoutMs: 30_000, name: 'c' }],
      node,
      { mode: 'failover', batchMaxReports, batchMaxBytes: 4 << 20, backoff: { initialMs: 100, maxMs: 1000 } },
      log,
    );
    const t = process.hrtime.bigint();
    await d.kick();
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (spool.stats().reports !== 0 || d.counters.sent !== N) throw new Error(`not all delivered: ${d.counters.sent}/${N}, errors ${d.counters.pushErrors}`);
    await d.stop();
    return { seconds, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xj-bench-collector-'));
  const port = await freePort();
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, `listen: 127.0.0.1:${port}\ndataDir: ${join(dir, 'data')}\ningest: {rateLimit: {requestsPerSecond: 0}}\nlog: {level: error}\n`);
  const token = (n: string) =>
    execFileSync(process.execPath, [BIN, 'collector', 'token', 'create', n, '-c', cfg], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  const tSingle = token('bench-single');
  const tBatch = token('bench-batch');
  const child: ChildProcess = spawn(process.execPath, [BIN, 'collector', '-c', cfg], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        if (i > 100) throw new Error('collector did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const single = await run(url, tSingle, 'bench-single', 1);
    const batch = await run(url, tBatch, 'bench-batch', 100);
    const rate = (x: { seconds: number }) => N / x.seconds;
    console.log(`spool catch-up: ${N} reports x ${SAMPLES} samples (${(batch.bytes / 1e6).toFixed(1)} MB spooled, gzip), hmac-sm3, real collector process`);
    console.log(`  one report per request: ${single.seconds.toFixed(2)} s  ${rate(single).toFixed(0)} reports/s`);
    console.log(`  batches of 100:         ${batch.seconds.toFixed(2)} s  ${rate(batch).toFixed(0)} reports/s`);
    console.log(`  ratio batch / single:   ${(rate(batch) / rate(single)).toFixed(2)}x`);
    console.log(`  (spooling itself, fsync per report: ${(N / Math.min(...fillSeconds)).toFixed(0)} reports/s)`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
