import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/proc.js';
import { promRaw, startPrometheus, startVictoria, type Tsdb, vmExport } from '../../test/helpers/tsdb.js';
import { createRemoteWriteComponent } from './component.js';
import { endpointConfig } from './config.js';
import { metricValue, openTestDb, report, sample, testContext, tmpDir } from './testctx.js';

/**
 * Receivers down for minutes (issue 15): the real Prometheus 2.42 and VictoriaMetrics, both configured
 * at once, are stopped for two minutes while ingest goes on (one report a second), then started again
 * on the same port and data directory. Every sample is read back through each one's query API with
 * its exact value and original timestamp; counts per series say nothing was lost or doubled.
 *
 * Backoff: minBackoffSeconds 0.1, maxBackoffSeconds 2 — during the outage each shard retries every
 * 2 s, so the queues resume within ~2 s of the receivers answering again.
 */

const DOWN_MS = Number(process.env.XJ_OUTAGE_MS ?? 120_000);
const SERIES = 20;
const UP_BEFORE = 8;
const UP_AFTER = 8;

const stores: Tsdb[] = [];
afterAll(async () => {
  for (const s of stores) await s.stop();
});

function tick(k: number, t0: number) {
  const s = [];
  for (let i = 0; i < SERIES; i++)
    s.push(sample('ifHCInOctets', { node: 'town-07', zone: 'east', site: 'hq', ifIndex: String(i) }, k * 1000 + i + 0.25, t0 + k * 1000));
  return report(s, 'town-07');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('receivers down for minutes, then back (real Prometheus 2.42 and VictoriaMetrics at once)', () => {
  it('ingest goes on during a 2-minute outage; afterwards every sample is in both, once, with its value and timestamp', {
    timeout: DOWN_MS + 120_000,
  }, async () => {
    const prom = await startPrometheus(tmpDir('xj-rw-out-prom-'), { oooWindow: '3h' });
    stores.push(prom);
    const vm = await startVictoria(tmpDir('xj-rw-out-vm-'));
    stores.push(vm);
    const db = openTestDb(tmpDir('xj-rw-out-'));
    const ctx = testContext(db);
    const queue = { minShards: 1, maxShards: 4, batchSendDeadlineSeconds: 0.2, minBackoffSeconds: 0.1, maxBackoffSeconds: 2 };
    const c = createRemoteWriteComponent(ctx, {
      endpoints: () => [endpointConfig({ name: 'prom', url: prom.writeUrl, queue }), endpointConfig({ name: 'vm', url: vm.writeUrl, queue })],
      checkpointMs: 1000,
    });
    c.start?.();
    const m = (name: string, remote: string) => metricValue(ctx.registry, `xunjian_remote_storage_${name}`, { remote_name: remote });
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    let k = 0;
    let ingesting = true;
    // ingest: one report a second, whatever the receivers do
    const ingest = (async () => {
      while (ingesting) {
        c.append!(tick(k++, t0));
        await sleep(1000);
      }
    })();
    try {
      await sleep(UP_BEFORE * 1000);
      for (const r of ['prom', 'vm']) expect(await m('samples_total', r)).toBeGreaterThan(0);
      await Promise.all([prom.stop(), vm.stop()]);
      const downAt = k;
      await sleep(DOWN_MS);
      const during = k - downAt;
      expect(during).toBeGreaterThanOrEqual(Math.floor(DOWN_MS / 1000) - 5);
      for (const r of ['prom', 'vm']) {
        // what came in while down waits in the durable queue
        expect(await m('samples_pending', r)).toBeGreaterThanOrEqual(during * SERIES);
        expect(await m('samples_retried_total', r)).toBeGreaterThan(0);
        expect(await m('shards', r)).toBe(1);
      }
      await Promise.all([prom.start(), vm.start()]);
      const upAt = Date.now();
      const recovered: Record<string, number> = {};
      await Promise.all(
        ['prom', 'vm'].map((r) =>
          waitFor(
            async () => {
              const done = (await m('samples_pending', r)) === 0;
              if (done) recovered[r] = Date.now() - upAt;
              return done;
            },
            30_000,
            `${r} caught up`,
          ),
        ),
      );
      // (printed for the record: the resume delay is bounded by maxBackoffSeconds)
      console.log(`outage: receivers back, queues caught up after ${JSON.stringify(recovered)} ms`);
      await sleep(UP_AFTER * 1000);
    } finally {
      ingesting = false;
      await ingest;
    }
    const reports = k;
    await waitFor(async () => (await m('samples_pending', 'prom')) + (await m('samples_pending', 'vm')) === 0, 20_000, 'last reports sent');
    for (const r of ['prom', 'vm']) {
      expect(await m('samples_total', r)).toBe(reports * SERIES);
      expect(await m('samples_failed_total', r)).toBe(0);
    }
    // one warning per endpoint for the whole outage, one recovery line each
    const warned = ctx.logs.filter((l) => l.includes('failed, retrying')).length;
    expect(warned).toBeGreaterThanOrEqual(2);
    expect(warned).toBeLessThanOrEqual(2 * 4);
    expect(ctx.logs.filter((l) => l.includes('accepts again')).length).toBeGreaterThanOrEqual(2);

    const want = (i: number) => Array.from({ length: reports }, (_, j) => `${t0 + j * 1000} ${j * 1000 + i + 0.25}`);
    const series = Array.from({ length: SERIES }, (_, i) => String(i)).sort();
    const endMs = t0 + reports * 1000;

    // Prometheus: exact series list, count_over_time per series, every raw sample
    const u = new URL('/api/v1/query', prom.base);
    u.searchParams.set('query', 'count_over_time(ifHCInOctets{node="town-07"}[1h])');
    u.searchParams.set('time', String(endMs / 1000));
    const counts = (await (await fetch(u)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    expect(counts.data.result.map((x) => x.metric.ifIndex).sort()).toEqual(series);
    expect(counts.data.result.map((x) => Number(x.value[1]))).toEqual(Array(SERIES).fill(reports));
    const raw = await promRaw(prom, 'ifHCInOctets{node="town-07"}', '1h', endMs);
    expect(raw.map((x) => x.metric.ifIndex).sort()).toEqual(series);
    for (const x of raw) expect(x.values.map(([t, v]) => `${Math.round(t * 1000)} ${Number(v)}`)).toEqual(want(Number(x.metric.ifIndex)));

    // VictoriaMetrics: raw export (duplicates would show there), and count_over_time through its query API
    const ex = await vmExport(vm, 'ifHCInOctets{node="town-07"}');
    expect(ex.map((x) => x.metric.ifIndex).sort()).toEqual(series);
    for (const x of ex) expect(x.timestamps.map((t, j) => `${t} ${x.values[j]}`)).toEqual(want(Number(x.metric.ifIndex)));
    const vu = new URL('/api/v1/query', vm.base);
    vu.searchParams.set('query', 'count_over_time(ifHCInOctets{node="town-07"}[1h])');
    vu.searchParams.set('time', String(endMs / 1000));
    const vc = (await (await fetch(vu)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    expect(vc.data.result.map((x) => x.metric.ifIndex).sort()).toEqual(series);
    expect(vc.data.result.map((x) => Number(x.value[1]))).toEqual(Array(SERIES).fill(reports));

    await c.stop?.();
    db.close();
  });
});
