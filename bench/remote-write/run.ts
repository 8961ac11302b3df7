/**
 * bench:remote-write — the collector's remote-write against Prometheus's own, in one run, into the
 * same real Prometheus 2.42 receiver here.
 *
 * 1. Xunjian: reports of `SERIES` samples (one node's SNMP poll) go through the remote-write component
 *    as ingest drives it — `commit` inside a SQLite transaction (the durable segment row, fsync), then
 *    `append` to the queue — and out to the receiver (4 shards, 2000 samples per request). Appended as
 *    fast as the queue takes them; the clock stops when the receiver acknowledged every sample.
 *    samples/s and this process's CPU (user + system) per 100k samples sent.
 * 2. Prometheus: a second Prometheus 2.42 in agent mode (scrape → WAL → remote-write, its forwarding
 *    set-up) scrapes `TARGETS` targets of `SERIES` series each every second from a static exposition
 *    server in this process and remote-writes them to the same receiver with its default queue. Its CPU
 *    from /proc/PID/stat over the measured window, per 100k samples it reports sent
 *    (prometheus_remote_storage_samples_total).
 *
 * 0. Through ingest: a real `xunjian collector` process, NODES concurrent agents posting signed, gzipped
 *    SNMP-sized reports (3 300 samples) to POST /api/v1/reports, once without remote-write and once
 *    with the receiver configured (default queue: dynamic shards); samples/s until the receiver
 *    appended them all (its prometheus_tsdb_head_samples_appended_total) and the collector's CPU
 *    (/proc) per 100k samples; the difference is what the queue costs.
 *
 * Prints both and the ratio of CPU per 100k samples. Bounded to about a minute
 * (BENCH_SAMPLES, default 200k; BENCH_PROM_SECONDS, default 25; BENCH_INGEST_REPORTS, default 80).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { encodeReport } from '../../agent/delivery/push.js';
import { sign, tokenDigest } from '../../contract/sign.js';
import type { Report, Sample } from '../../contract/types.js';
import { createRemoteWriteComponent } from '../../collector/remotewrite/component.js';
import { endpointConfig } from '../../collector/remotewrite/config.js';
import { metricValue, openTestDb, report, sample, testContext } from '../../collector/remotewrite/testctx.js';
import { freePort } from '../../test/helpers/net.js';
import { waitFor } from '../../test/helpers/proc.js';
import { startPrometheus } from '../../test/helpers/tsdb.js';
import { procCpuSeconds } from '../proc.js';

const TOTAL = Number(process.env.BENCH_SAMPLES ?? 200_000);
const INGEST_REPORTS = Number(process.env.BENCH_INGEST_REPORTS ?? 80);
const INGEST_NODES = 8;
const PER_REPORT = 3300;
const PROM_SECONDS = Number(process.env.BENCH_PROM_SECONDS ?? 25);
const SERIES = 2000;
const TARGETS = 10;
const dir = mkdtempSync(join(tmpdir(), 'xj-bench-rw-'));
const load0 = loadavg()[0]!;
const prom = await startPrometheus(dir, { oooWindow: '1h' });

/** A counter or gauge of a Prometheus /metrics page, summed over its series. */
async function scrapeValue(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

const procCpu = procCpuSeconds;

// ---- 0. Through ingest: a real collector process, without and with remote-write
const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/xunjian.js');

/** One switch's poll: 48 ports × ifTable/ifXTable columns (as bench:ingest). */
function pollSamples(ts: number, seq: number): Sample[] {
  const out: Sample[] = [];
  const cols = Math.ceil(PER_REPORT / 48);
  for (let p = 0; p < 48 && out.length < PER_REPORT; p++) {
    const labels = { ifIndex: String(p + 1), ifName: `GigabitEthernet0/0/${p + 1}`, target: 'core-sw' };
    for (let c = 0; c < cols && out.length < PER_REPORT; c++)
      out.push({ name: `ifMetric${c}`, labels, value: seq * 1000 + p * 7 + c, type: c % 3 ? 'gauge' : 'counter', ts });
  }
  return out;
}

async function throughIngest(withRemoteWrite: boolean) {
  const d = mkdtempSync(join(tmpdir(), 'xj-bench-rw-ingest-'));
  const port = await freePort();
  const cfg = join(d, 'collector.yaml');
  const rw = withRemoteWrite ? `remoteWrite:\n  - name: prom\n    url: ${prom.writeUrl}\n` : '';
  writeFileSync(cfg, `listen: 127.0.0.1:${port}\ndataDir: ${join(d, 'data')}\nlog: { level: warn }\ningest: { rateLimit: { requestsPerSecond: 0 } }\n${rw}`);
  const tokens = Array.from({ length: INGEST_NODES }, (_, i) =>
    execFileSync(process.execPath, [BIN, 'collector', 'token', 'create', `rw-${withRemoteWrite ? 'on' : 'off'}-${i}`, '-c', cfg], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim(),
  );
  const now = Date.now();
  const perNode = Math.ceil(INGEST_REPORTS / INGEST_NODES);
  const bodies = tokens.map((_, n) =>
    Array.from({ length: perNode }, (_, k) => {
      const r: Report = {
        v: 1,
        node: { id: `rw-${withRemoteWrite ? 'on' : 'off'}-${n}`, site: 'county', zone: 'extranet', grade: 3, labels: {} },
        agent: { version: 'bench', interval: 60 },
        stream: 'benchstream',
        seq: k + 1,
        sentAt: now,
        samples: pollSamples(now - 60_000 + k * 100, k),
      };
      return encodeReport(r);
    }),
  );
  const total = INGEST_NODES * perNode * PER_REPORT;
  const nodeArgs = withRemoteWrite ? (process.env.XJ_COLLECTOR_NODE_ARGS?.split(' ').filter(Boolean) ?? []) : [];
  const proc = spawn(process.execPath, [...nodeArgs, BIN, 'collector', '-c', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: INGEST_NODES });
  try {
    await waitFor(
      async () => {
        try {
          await (await pool.request({ path: '/healthz', method: 'GET' })).body.dump();
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      'collector up',
    );
    const head0 = await scrapeValue(prom.base, 'prometheus_tsdb_head_samples_appended_total');
    const cpu0 = procCpu(proc.pid!);
    const w0 = performance.now();
    let refused = 0;
    await Promise.all(
      bodies.map(async (list, n) => {
        for (const body of list) {
          const ts = String(Date.now());
          const res = await pool.request({
            path: '/api/v1/reports',
            method: 'POST',
            body,
            headers: {
              'content-type': 'application/json',
              'content-encoding': 'gzip',
              authorization: `Bearer ${tokens[n]}`,
              'x-xunjian-node': `rw-${withRemoteWrite ? 'on' : 'off'}-${n}`,
              'x-xunjian-timestamp': ts,
              'x-xunjian-signature': sign('hmac-sha256', tokenDigest(tokens[n]!), ts, body),
            },
          });
          const a = (await res.body.json()) as { status?: string };
          if (a.status !== 'accepted') refused++;
        }
      }),
    );
    const ingestSecs = (performance.now() - w0) / 1000;
    if (withRemoteWrite)
      await waitFor(
        async () => (await scrapeValue(prom.base, 'prometheus_tsdb_head_samples_appended_total')) - head0 >= total,
        120_000,
        'receiver has every sample',
      );
    const secs = (performance.now() - w0) / 1000;
    const cpu = procCpu(proc.pid!) - cpu0;
    return {
      remoteWrite: withRemoteWrite,
      samples: total,
      refused,
      ingestSeconds: Number(ingestSecs.toFixed(2)),
      seconds: Number(secs.toFixed(2)),
      samplesPerSecond: Math.round(total / secs),
      collectorCpuSecondsPer100kSamples: Number(((cpu * 100_000) / total).toFixed(3)),
    };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    await pool.close();
  }
}
const ingestOff = await throughIngest(false);
const ingestOn = await throughIngest(true);
if (process.env.BENCH_ONLY === 'ingest') {
  // (iterating on the queue: only part 0)
  console.log(JSON.stringify({ without: ingestOff, withRemoteWrite: ingestOn }, null, 2));
  await prom.stop();
  process.exit(0);
}

// ---- 1. Xunjian's remote-write component
const db = openTestDb(dir);
const ctx = testContext(db);
const c = createRemoteWriteComponent(ctx, {
  endpoints: () => [
    endpointConfig({ name: 'bench', url: prom.writeUrl, queue: { minShards: 4, maxShards: 4, maxSamplesPerSend: 2000, batchSendDeadlineSeconds: 0.2 } }),
  ],
});
c.start?.();
const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 60_000;
const L = { remote_name: 'bench' };
const cpu0 = process.cpuUsage();
const start = performance.now();
let appended = 0;
for (let r = 0; appended < TOTAL; r++) {
  const samples = [];
  for (let i = 0; i < SERIES; i++)
    samples.push({
      ...sample('ifHCInOctets', { node: 'bench-01', zone: 'east', site: 'hq', target: `sw${i % 50}`, ifIndex: String(i) }, r * 1000 + i, t0 + r * 1000),
      // the series store's exposition key, which ingest's fan-out sets on every sample
      key: `{node="bench-01",zone="east",site="hq",target="sw${i % 50}",ifIndex="${i}"}`,
    });
  const rep = report(samples, 'bench-01');
  db.transaction(() => c.commit!(rep))();
  c.append!(rep);
  appended += SERIES;
  // let the shards run while appending (as ingest would be interleaved with sends)
  if ((await metricValue(ctx.registry, 'xunjian_remote_storage_samples_pending', L)) > 200_000) await new Promise((res) => setTimeout(res, 20));
  else await new Promise((res) => setImmediate(res));
}
while ((await metricValue(ctx.registry, 'xunjian_remote_storage_samples_total', L)) < appended) await new Promise((res) => setTimeout(res, 20));
const secs = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
const failed = await metricValue(ctx.registry, 'xunjian_remote_storage_samples_failed_total', L);
const bytes = await metricValue(ctx.registry, 'xunjian_remote_storage_bytes_total', L);
const segBytes = (db.prepare('SELECT SUM(bytes) AS b, SUM(samples) AS n FROM remotewrite_segments').get() as { b: number | null; n: number | null }) ?? {};
await c.stop?.();
db.close();
const ours = {
  samples: appended,
  failed,
  seconds: Number(secs.toFixed(2)),
  samplesPerSecond: Math.round(appended / secs),
  cpuSecondsPer100kSamples: Number(((cpuSecs * 100_000) / appended).toFixed(3)),
  wireBytesPerSample: Number((bytes / appended).toFixed(2)),
  backlogBytesPerSample: segBytes.n ? Number((segBytes.b! / segBytes.n).toFixed(1)) : undefined,
};

// ---- 2. Prometheus's own remote-write (agent mode), same receiver
let scrapes = 0;
const exposition = createServer((req, res) => {
  const t = new URL(req.url ?? '/', 'http://x').searchParams.get('t') ?? '0';
  const n = scrapes++;
  let body = '# TYPE ifHCInOctets gauge\n';
  for (let i = 0; i < SERIES; i++) body += `ifHCInOctets{node="bench-prom-${t}",zone="east",site="hq",target="sw${i % 50}",ifIndex="${i}"} ${n * 1000 + i}\n`;
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(body);
});
await new Promise<void>((r) => exposition.listen(0, '127.0.0.1', () => r()));
const expoPort = (exposition.address() as { port: number }).port;
const senderPort = await freePort();
const senderDir = mkdtempSync(join(tmpdir(), 'xj-bench-rw-sender-'));
const jobs = Array.from(
  { length: TARGETS },
  (_, t) => `  - job_name: t${t}\n    scrape_interval: 1s\n    params: { t: ['${t}'] }\n    static_configs: [{ targets: ['127.0.0.1:${expoPort}'] }]\n`,
).join('');
writeFileSync(join(senderDir, 'prometheus.yml'), `global: { scrape_interval: 1s }\nscrape_configs:\n${jobs}remote_write:\n  - url: ${prom.writeUrl}\n`);
const sender = spawn(
  'prometheus',
  [
    '--enable-feature=agent',
    `--config.file=${join(senderDir, 'prometheus.yml')}`,
    `--storage.agent.path=${join(senderDir, 'wal')}`,
    `--web.listen-address=127.0.0.1:${senderPort}`,
  ],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
let senderOut = '';
sender.stderr!.on('data', (d) => (senderOut += d));
const senderBase = `http://127.0.0.1:${senderPort}`;
const senderMetric = (name: string) => scrapeValue(senderBase, name);
const senderCpu = () => procCpu(sender.pid!);
let theirs: Record<string, number | string> = {};
try {
  await waitFor(
    async () => {
      if (sender.exitCode !== null) throw new Error(`sender prometheus exited: ${senderOut.slice(-1500)}`);
      return (await senderMetric('prometheus_remote_storage_samples_total')) > 0;
    },
    30_000,
    'sender remote-writing',
  );
  await new Promise((r) => setTimeout(r, 5000)); // warm-up: every target scraped, the queue settled
  const s0 = await senderMetric('prometheus_remote_storage_samples_total');
  const c0 = senderCpu();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, PROM_SECONDS * 1000));
  const s1 = await senderMetric('prometheus_remote_storage_samples_total');
  const c1 = senderCpu();
  const w = (performance.now() - w0) / 1000;
  const sent = s1 - s0;
  theirs = {
    samples: sent,
    failed: await senderMetric('prometheus_remote_storage_samples_failed_total'),
    seconds: Number(w.toFixed(2)),
    samplesPerSecond: Math.round(sent / w),
    offeredSamplesPerSecond: TARGETS * SERIES,
    cpuSecondsPer100kSamples: Number((((c1 - c0) * 100_000) / sent).toFixed(3)),
    wireBytesPerSample: Number(
      (((await senderMetric('prometheus_remote_storage_bytes_total')) || Number.NaN) / (await senderMetric('prometheus_remote_storage_samples_total'))).toFixed(
        2,
      ),
    ),
    shards: await senderMetric('prometheus_remote_storage_shards'),
  };
} finally {
  sender.kill('SIGTERM');
  await new Promise((r) => sender.once('exit', r));
  exposition.close();
  await prom.stop();
}
const ratio = Number(ours.cpuSecondsPer100kSamples) / Number(theirs.cpuSecondsPer100kSamples);
console.log(
  JSON.stringify(
    {
      throughIngest: {
        without: ingestOff,
        withRemoteWrite: ingestOn,
        queueCpuSecondsPer100kSamples: Number((ingestOn.collectorCpuSecondsPer100kSamples - ingestOff.collectorCpuSecondsPer100kSamples).toFixed(3)),
        note: 'a real collector process, POST /api/v1/reports; with remote-write the clock stops when the receiver appended every sample',
      },
      xunjian: { ...ours, note: 'CPU: this process (report building, durable commit, queue, client), not the receiver' },
      prometheusAgent: { ...theirs, note: 'CPU: the sending Prometheus (scrape, WAL, remote-write) from /proc; its rate is the offered load, not its ceiling' },
      cpuPer100kRatio: {
        queueComponentVsPrometheusAgent: Number(ratio.toFixed(2)),
        collectorThroughIngestVsPrometheusAgent: Number((ingestOn.collectorCpuSecondsPer100kSamples / Number(theirs.cpuSecondsPer100kSamples)).toFixed(2)),
      },
      loadAverage: { start: Number(load0.toFixed(2)), end: Number(loadavg()[0]!.toFixed(2)) },
    },
    null,
    2,
  ),
);
