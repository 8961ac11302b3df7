/**
 * bench:remote-write — samples/s through the remote-write component (durable append in a
 * transaction, shards, snappy + protobuf, HTTP) into the real Prometheus 2.42 receiver here, and the
 * collector-process CPU per 100k samples sent. Reports of `SERIES` samples (SNMP-sized: 2000 series
 * of one node) are appended as fast as the queue takes them; the clock stops when Prometheus
 * acknowledged them all. Bounded to ~1 minute (BENCH_SAMPLES, default 1M).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteWriteComponent } from '../../collector/remotewrite/component.js';
import { endpointConfig } from '../../collector/remotewrite/config.js';
import { metricValue, openTestDb, report, sample, testContext } from '../../collector/remotewrite/testctx.js';
import { startPrometheus } from '../../test/helpers/tsdb.js';

const TOTAL = Number(process.env.BENCH_SAMPLES ?? 1_000_000);
const SERIES = 2000;
const dir = mkdtempSync(join(tmpdir(), 'xj-bench-rw-'));
const prom = await startPrometheus(dir, { oooWindow: '1h' });
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
    samples.push(
      sample('ifHCInOctets', { node: 'bench-01', zone: 'east', site: 'hq', target: `sw${i % 50}`, ifIndex: String(i) }, r * 1000 + i, t0 + r * 1000),
    );
  const rep = report(samples, 'bench-01');
  db.transaction(() => c.commit!(rep))();
  c.append!(rep);
  appended += SERIES;
  // let the shards run while appending (as ingest would be interleaved with sends)
  if ((await metricValue(ctx.registry, 'xunjian_remote_storage_samples_pending', L)) > 200_000) await new Promise((res) => setTimeout(res, 20));
  else await new Promise((res) => setImmediate(res));
}
const appendedAt = performance.now();
while ((await metricValue(ctx.registry, 'xunjian_remote_storage_samples_total', L)) < appended) await new Promise((res) => setTimeout(res, 20));
const secs = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
const failed = await metricValue(ctx.registry, 'xunjian_remote_storage_samples_failed_total', L);
const bytes = await metricValue(ctx.registry, 'xunjian_remote_storage_bytes_total', L);
await c.stop?.();
db.close();
await prom.stop();
console.log(
  JSON.stringify(
    {
      samples: appended,
      failed,
      seconds: Number(secs.toFixed(2)),
      appendSeconds: Number(((appendedAt - start) / 1000).toFixed(2)),
      samplesPerSecond: Math.round(appended / secs),
      cpuSecondsPer100kSamples: Number(((cpuSecs * 100_000) / appended).toFixed(3)),
      wireBytesPerSample: Number((bytes / appended).toFixed(2)),
      note: 'CPU is this process (queue + client), not Prometheus',
    },
    null,
    2,
  ),
);
