import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/proc.js';
import { createRemoteWriteComponent, reportSeries } from './component.js';
import { endpointConfig, type RemoteWriteQueueConfig } from './config.js';
import { EndpointQueue } from './endpoint.js';
import { remoteWriteMetrics } from './metrics.js';
import { SegmentStore } from './store.js';
import { metricValue, openTestDb, receiver, report, sample, testContext, tmpDir } from './testctx.js';
import { httpTransport } from './transport.js';
import { encodeWriteRequest } from './wire.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Rx = Awaited<ReturnType<typeof receiver>>;

/** An endpoint queue on its own (no component), fed like the component feeds it: persist, then offer. */
function queueOn(rx: Rx, queue: Partial<RemoteWriteQueueConfig>, dir = tmpDir(), shardUpdateMs = 3_600_000) {
  const db = openTestDb(dir);
  const ctx = testContext(db);
  const store = new SegmentStore(db);
  const metrics = remoteWriteMetrics(ctx.registry);
  const cfg = endpointConfig({
    name: 'main',
    url: rx.url,
    queue: { batchSendDeadlineSeconds: 0.05, minBackoffSeconds: 0.01, maxBackoffSeconds: 0.05, ...queue },
  });
  const q = new EndpointQueue(cfg, { store, metrics, log: ctx.log, now: Date.now, transport: httpTransport(cfg, 'remoteWrite.0'), shardUpdateMs });
  q.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await q.stop();
    db.close();
  };
  cleanups.push(stop);
  const push = (r: ReturnType<typeof report>) => q.offer(store.append(reportSeries(r), Date.now()));
  return { q, ctx, db, store, push, stop };
}

/** Report `r`: `series` series × `k` samples, per series in time order, later reports later. */
function rep(r: number, series = 12, k = 5) {
  const s = [];
  for (let i = 0; i < series; i++)
    for (let j = 0; j < k; j++)
      s.push(sample('ifHCInOctets', { node: 'town-01', ifIndex: String(i) }, r * 1000 + i * 10 + j, 1_764_000_000_000 + (r * k + j) * 1000));
  return report(s);
}

function lines(rs: ReturnType<typeof report>[]): string[] {
  return rs.flatMap((r) => r.samples.map((s) => `__name__=ifHCInOctets,ifIndex=${s.labels.ifIndex},node=town-01|${s.ts}|${s.value}`)).sort();
}

/** Per series, timestamps strictly increase in arrival order. */
function inSeriesOrder(accepted: string[]): boolean {
  const last = new Map<string, number>();
  for (const l of accepted) {
    const [key, ts] = l.split('|') as [string, string];
    if (Number(ts) <= (last.get(key) ?? 0)) return false;
    last.set(key, Number(ts));
  }
  return true;
}

describe('resharding (loopback receiver)', () => {
  it('up and down while samples flow: per-series order kept, every sample once, positions saved for the new count', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    rx.setDelay(5);
    const dir = tmpDir();
    const a = queueOn(rx, { minShards: 1, maxShards: 8, maxSamplesPerSend: 7 }, dir);
    const sent = [];
    for (let r = 0; r < 3; r++) sent.push(rep(r));
    for (const r of sent) a.push(r);
    const up = a.q.reshard(5);
    // appended during the reshard: persisted and read once the new shards run
    for (let r = 3; r < 6; r++) {
      sent.push(rep(r));
      a.push(sent[r]!);
    }
    await up;
    expect(a.q.shardCount()).toBe(5);
    for (let r = 6; r < 9; r++) {
      sent.push(rep(r));
      a.push(sent[r]!);
    }
    await a.q.reshard(2);
    expect(a.q.shardCount()).toBe(2);
    for (let r = 9; r < 12; r++) {
      sent.push(rep(r));
      a.push(sent[r]!);
    }
    await waitFor(async () => rx.accepted().length >= 720, 15_000, 'all samples');
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.accepted().slice().sort()).toEqual(lines(sent));
    expect(inSeriesOrder(rx.accepted())).toBe(true);
    const L = { remote_name: 'main' };
    expect(await metricValue(a.ctx.registry, 'xunjian_remote_storage_samples_total', L)).toBe(720);
    expect(await metricValue(a.ctx.registry, 'xunjian_remote_storage_shards', L)).toBe(2);
    expect(a.ctx.logs.filter((l) => l.includes('resharded')).map((l) => /from=(\d+) to=(\d+)/.exec(l)?.slice(1).join('→'))).toEqual(['1→5', '5→2']);
    expect(a.store.shardCount('main')).toBe(2);
    // a restart with the same bounds starts with the saved count and resends nothing
    await a.stop();
    const before = rx.requests.length;
    const b = queueOn(rx, { minShards: 1, maxShards: 8, maxSamplesPerSend: 7 }, dir);
    expect(b.q.shardCount()).toBe(2);
    b.push(rep(12));
    await waitFor(async () => rx.accepted().length >= 780, 10_000, 'one more report');
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.accepted().length).toBe(780);
    expect(rx.requests.length - before).toBeGreaterThan(0);
    expect(b.ctx.logs.some((l) => l.includes('shard bounds changed'))).toBe(false);
  });

  it('a slow receiver gets more shards (up to maxShards), an idle queue goes back to minShards; metrics as Prometheus', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    rx.setDelay(50);
    // a reshard first sends what the shards hold in memory: keep that small (capacity) so it is quick
    const a = queueOn(rx, { minShards: 1, maxShards: 4, maxSamplesPerSend: 10, capacity: 20 }, tmpDir(), 200);
    const sent = [rep(0, 50, 10), rep(1, 50, 10)];
    for (const r of sent) a.push(r);
    const L = { remote_name: 'main' };
    expect(await metricValue(a.ctx.registry, 'xunjian_remote_storage_shards_min', L)).toBe(1);
    expect(await metricValue(a.ctx.registry, 'xunjian_remote_storage_shards_max', L)).toBe(4);
    await waitFor(async () => a.q.shardCount() === 4, 10_000, 'scaled up to 4');
    expect(a.ctx.logs.filter((l) => l.includes('resharded')).map((l) => /from=(\d+) to=(\d+)/.exec(l)?.slice(1).join('→'))).toEqual(['1→4']);
    expect(await metricValue(a.ctx.registry, 'xunjian_remote_storage_shards_desired', L)).toBeGreaterThan(0);
    await waitFor(async () => rx.accepted().length >= 1000, 20_000, 'all samples');
    await waitFor(async () => a.q.shardCount() === 1, 20_000, 'back to 1');
    expect(await metricValue(a.ctx.registry, 'xunjian_remote_storage_shards', L)).toBe(1);
    expect(rx.accepted().slice().sort()).toEqual(lines(sent));
    expect(inSeriesOrder(rx.accepted())).toBe(true);
  });

  it('does not reshard while the endpoint fails', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    rx.setDefault(503);
    const a = queueOn(rx, { minShards: 1, maxShards: 4, maxSamplesPerSend: 10 }, tmpDir(), 100);
    a.push(rep(0, 50, 10));
    await waitFor(
      async () => (await metricValue(a.ctx.registry, 'xunjian_remote_storage_samples_retried_total', { remote_name: 'main' })) >= 50,
      10_000,
      'retries',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(a.q.shardCount()).toBe(1);
    expect(a.ctx.logs.some((l) => l.includes('resharded'))).toBe(false);
  });
});

describe('reader', () => {
  it('a segment persisted but never offered (a consumer failing before the offer) is still sent, before the next one', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const a = queueOn(rx, { minShards: 1, maxShards: 1 });
    const first = rep(0, 2, 1);
    a.store.append(reportSeries(first), Date.now());
    const second = rep(1, 2, 1);
    a.push(second);
    await waitFor(async () => rx.accepted().length >= 4, 10_000, 'both segments');
    expect(rx.accepted().slice().sort()).toEqual(lines([first, second]));
    expect(inSeriesOrder(rx.accepted())).toBe(true);
  });
});

describe('backlog cap (queue.maxBacklogBytes)', () => {
  it('an endpoint down: the oldest unsent samples fall off beyond the cap, counted and logged once; the newest arrive once it is back', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    rx.setDefault(503);
    // every report encodes to the same size: cap = 3 of them
    const size = encodeWriteRequest(reportSeries(rep(0, 10, 1))).length;
    expect(encodeWriteRequest(reportSeries(rep(14, 10, 1))).length).toBe(size);
    const db = openTestDb(tmpDir());
    const ctx = testContext(db);
    const ep = endpointConfig({
      name: 'main',
      url: rx.url,
      queue: {
        minShards: 1,
        maxShards: 1,
        capacity: 10,
        maxSamplesPerSend: 10,
        batchSendDeadlineSeconds: 0.02,
        minBackoffSeconds: 0.01,
        maxBackoffSeconds: 0.05,
        maxBacklogBytes: 3 * size,
      },
    });
    const c = createRemoteWriteComponent(ctx, { endpoints: () => [ep], checkpointMs: 50 });
    c.start?.();
    cleanups.push(async () => {
      await c.stop?.();
      db.close();
    });
    const L = { remote_name: 'main' };
    const dropped = () => metricValue(ctx.registry, 'xunjian_remote_storage_samples_dropped_total', { ...L, reason: 'backlog_full' });
    const sent = Array.from({ length: 15 }, (_, r) => rep(r, 10, 1));
    for (const r of sent.slice(0, 10)) c.append!(r);
    await waitFor(async () => (await dropped()) === 70, 10_000, '7 reports dropped');
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_max_backlog_bytes', L)).toBe(3 * size);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_backlog_bytes', L)).toBe(3 * size);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_pending', L)).toBe(30);
    for (const r of sent.slice(10)) c.append!(r);
    await waitFor(async () => (await dropped()) === 120, 10_000, '12 reports dropped');
    rx.setDefault(204);
    await waitFor(async () => rx.accepted().length >= 30, 10_000, 'the newest 3 reports');
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.accepted().slice().sort()).toEqual(lines(sent.slice(12)));
    expect(await dropped()).toBe(120);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_total', L)).toBe(30);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_dropped_total', { ...L, reason: 'superseded' })).toBe(0);
    expect(ctx.logs.filter((l) => l.includes('over queue.maxBacklogBytes'))).toHaveLength(1);
    await waitFor(async () => ctx.logs.some((l) => l.includes('within queue.maxBacklogBytes again') && l.includes('dropped=120')), 5000, 'episode end logged');
    await waitFor(async () => (db.prepare('SELECT COUNT(*) AS n FROM remotewrite_segments').get() as { n: number }).n === 0, 5000, 'compaction');
  });

  it('0 means no cap: nothing is dropped however large the backlog', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    rx.setDefault(503);
    const db = openTestDb(tmpDir());
    const ctx = testContext(db);
    const ep = endpointConfig({ name: 'main', url: rx.url, queue: { capacity: 10, maxBacklogBytes: 0, minBackoffSeconds: 0.01, maxBackoffSeconds: 0.05 } });
    const c = createRemoteWriteComponent(ctx, { endpoints: () => [ep], checkpointMs: 20 });
    c.start?.();
    cleanups.push(async () => {
      await c.stop?.();
      db.close();
    });
    for (let r = 0; r < 20; r++) c.append!(rep(r, 10, 1));
    await new Promise((r) => setTimeout(r, 300));
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_dropped_total', { remote_name: 'main', reason: 'backlog_full' })).toBe(0);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_pending', { remote_name: 'main' })).toBe(200);
  });
});
