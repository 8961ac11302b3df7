import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/proc.js';
import { createRemoteWriteComponent } from './component.js';
import { endpointConfig, type RemoteWriteEndpointConfig } from './config.js';
import { metricValue, openTestDb, receiver, report, sample, testContext, tmpDir } from './testctx.js';
import { USER_AGENT } from './transport.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Rx = Awaited<ReturnType<typeof receiver>>;

function setup(rx: Rx | string, queue: Partial<RemoteWriteEndpointConfig['queue']> = {}, extra: Partial<RemoteWriteEndpointConfig> = {}, dir = tmpDir()) {
  const db = openTestDb(dir);
  const ctx = testContext(db);
  const ep = endpointConfig({
    name: 'main',
    url: typeof rx === 'string' ? rx : rx.url,
    ...extra,
    queue: { batchSendDeadlineSeconds: 0.05, minBackoffSeconds: 0.01, maxBackoffSeconds: 0.05, ...queue },
  });
  const c = createRemoteWriteComponent(ctx, { endpoints: () => [ep], checkpointMs: 50 });
  c.start?.();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await c.stop?.();
    db.close();
  };
  cleanups.push(stop);
  return { c, ctx, db, dir, stop, ep };
}

/** 12 series × 5 samples, per series in time order, spread over 3 reports. */
function reports(t0: number) {
  const out = [];
  for (let r = 0; r < 3; r++) {
    const s = [];
    for (let i = 0; i < 12; i++)
      for (let k = 0; k < 5; k++)
        s.push(sample('ifHCInOctets', { node: 'town-01', ifIndex: String(i), zone: 'east' }, r * 1000 + i * 10 + k, t0 + (r * 5 + k) * 15_000));
    out.push(report(s));
  }
  return out;
}

function expected(t0: number): string[] {
  const out: string[] = [];
  for (const r of reports(t0))
    for (const s of r.samples) out.push(`__name__=ifHCInOctets,ifIndex=${s.labels.ifIndex},node=town-01,zone=east|${s.ts}|${s.value}`);
  return out.sort();
}

describe('remote-write component (loopback receiver checking the wire format)', () => {
  it('sends every sample once: original timestamps, sorted labels, per-series time order across shards and batches, protocol headers', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const { c, ctx } = setup(rx, { minShards: 3, maxShards: 3, maxSamplesPerSend: 7 });
    const t0 = 1_764_000_000_000;
    for (const r of reports(t0)) c.append!(r);
    await waitFor(async () => rx.accepted().length >= 180, 10_000, 'all samples');
    expect(rx.accepted().slice().sort()).toEqual(expected(t0));
    expect(rx.requests.every((r) => r.series.reduce((n, s) => n + s.samples.length, 0) <= 7)).toBe(true);
    // per series: timestamps strictly increase in arrival order
    const last = new Map<string, number>();
    for (const line of rx.accepted()) {
      const [key, ts] = line.split('|') as [string, string];
      expect(Number(ts)).toBeGreaterThan(last.get(key) ?? 0);
      last.set(key, Number(ts));
    }
    const h = rx.requests[0]!.headers;
    expect([h['content-encoding'], h['content-type'], h['x-prometheus-remote-write-version'], h['user-agent']]).toEqual([
      'snappy',
      'application/x-protobuf',
      '0.1.0',
      USER_AGENT,
    ]);
    for (const r of rx.requests) for (const s of r.series) expect(s.labels.map((l) => l[0])).toEqual(['__name__', 'ifIndex', 'node', 'zone']);
    const L = { remote_name: 'main', url: rx.url };
    await waitFor(async () => (await metricValue(ctx.registry, 'xunjian_remote_storage_samples_pending', L)) === 0, 5000, 'pending 0');
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_total', L)).toBe(180);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_in_total')).toBe(180);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_shards', L)).toBe(3);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_queue_highest_sent_timestamp_seconds', L)).toBe((t0 + 14 * 15_000) / 1000);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_highest_timestamp_in_seconds')).toBe((t0 + 14 * 15_000) / 1000);
  });

  it('retries 503 and 429 (honouring Retry-After), then delivers once', async () => {
    const rx = await receiver([{ status: 503 }, { status: 429, headers: { 'retry-after': '1' } }]);
    cleanups.push(rx.close);
    const { c, ctx } = setup(rx, { minShards: 1, maxShards: 1, maxSamplesPerSend: 100 });
    c.append!(report([sample('up', { node: 'a' }, 1, 1_764_000_000_000), sample('up', { node: 'b' }, 0, 1_764_000_000_000)]));
    await waitFor(async () => rx.accepted().length === 2, 10_000, 'delivery');
    expect(rx.requests.map((r) => r.status)).toEqual([503, 429, 204]);
    expect(rx.requests[2]!.at - rx.requests[1]!.at).toBeGreaterThanOrEqual(950);
    const L = { remote_name: 'main' };
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_retried_total', L)).toBe(4);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_total', L)).toBe(2);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_failed_total', L)).toBe(0);
    expect(ctx.logs.filter((l) => l.includes('retrying'))).toHaveLength(1);
  });

  it('drops and counts a 400, then goes on with the next batch', async () => {
    const rx = await receiver([{ status: 400 }]);
    cleanups.push(rx.close);
    const { c, ctx } = setup(rx, { minShards: 1, maxShards: 1, maxSamplesPerSend: 3 });
    c.append!(report([1, 2, 3, 4, 5].map((i) => sample('m', { node: 'a' }, i, 1_764_000_000_000 + i))));
    await waitFor(async () => rx.requests.length === 2, 10_000, 'two requests');
    expect(rx.accepted()).toEqual(['__name__=m,node=a|1764000000004|4', '__name__=m,node=a|1764000000005|5']);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_failed_total', { remote_name: 'main' })).toBe(3);
    expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_retried_total', { remote_name: 'main' })).toBe(0);
    expect(ctx.logs.some((l) => l.includes('refused, samples dropped') && l.includes('status=400'))).toBe(true);
  });

  it('a restart (same data directory) resends exactly what the endpoint did not acknowledge', async () => {
    const rx = await receiver([{ status: 204 }, { status: 204 }]);
    cleanups.push(rx.close);
    rx.setDefault(503);
    const dir = tmpDir();
    const first = setup(rx, { minShards: 1, maxShards: 1, maxSamplesPerSend: 5 }, {}, dir);
    const t0 = 1_764_000_000_000;
    first.c.append!(report(Array.from({ length: 20 }, (_, i) => sample('m', { node: 'a' }, i, t0 + i * 1000))));
    await waitFor(async () => rx.requests.length >= 3, 10_000, 'a failing third request');
    await first.stop();
    expect(rx.accepted()).toHaveLength(10);
    rx.setDefault(204);
    const second = setup(rx, { minShards: 1, maxShards: 1, maxSamplesPerSend: 5 }, {}, dir);
    await waitFor(async () => rx.accepted().length >= 20, 10_000, 'the rest');
    await new Promise((r) => setTimeout(r, 200));
    const got = rx.accepted();
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `__name__=m,node=a|${t0 + i * 1000}|${i}`));
    expect(await metricValue(second.ctx.registry, 'xunjian_remote_storage_samples_total', { remote_name: 'main' })).toBe(10);
    // everything acknowledged: the segments are compacted away
    await waitFor(async () => (second.db.prepare('SELECT COUNT(*) AS n FROM remotewrite_segments').get() as { n: number }).n === 0, 5000, 'compaction');
  });

  it('a sample appended while the endpoint was down is persisted before append returns (crash: no stop, no flush)', async () => {
    const dir = tmpDir();
    const first = setup('http://127.0.0.1:9/api/v1/write', { minShards: 2, maxShards: 2 }, {}, dir);
    first.c.append!(report([sample('m', { node: 'a' }, 42, 1_764_000_000_000)]));
    // simulate a crash: close the database under the running queue, never call stop
    expect((first.db.prepare('SELECT SUM(samples) AS n FROM remotewrite_segments').get() as { n: number }).n).toBe(1);
    cleanups.pop();
    first.db.close();
    // the crashed process' queue is gone too: its loops end without touching the closed database
    cleanups.push(async () => {
      await first.c.stop?.();
    });
    const rx = await receiver();
    cleanups.push(rx.close);
    setup(rx, { minShards: 2, maxShards: 2 }, {}, dir);
    await waitFor(async () => rx.accepted().length === 1, 10_000, 'resent sample');
    expect(rx.accepted()).toEqual(['__name__=m,node=a|1764000000000|42']);
  });

  it('sends basic auth from a password file, bearer tokens, extra headers; secrets stay out of logs and metrics', async () => {
    const rx = await receiver([{ status: 401 }]);
    cleanups.push(rx.close);
    const dir = tmpDir();
    const pw = join(dir, 'pw');
    writeFileSync(pw, 's3cret-pw\n');
    const { c, ctx } = setup(
      rx,
      { minShards: 1, maxShards: 1 },
      { basicAuth: { username: 'xj', password: '', passwordFile: pw }, headers: { 'X-Scope-OrgID': 'gov', 'Content-Type': 'text/plain' } },
    );
    c.append!(report([sample('m', { node: 'a' }, 1, 1)]));
    c.append!(report([sample('m', { node: 'a' }, 2, 2)]));
    await waitFor(async () => rx.requests.length >= 1, 10_000, 'request');
    const h = rx.requests[0]!.headers;
    expect(h.authorization).toBe(`Basic ${Buffer.from('xj:s3cret-pw').toString('base64')}`);
    expect(h['x-scope-orgid']).toBe('gov');
    expect(h['content-type']).toBe('application/x-protobuf');
    const text = `${ctx.logs.join('\n')}\n${await ctx.registry.metrics()}`;
    expect(text).not.toContain('s3cret');
    expect(text).toContain('status=401');

    const tok = join(dir, 'tok');
    writeFileSync(tok, 'tok-123\n');
    const rx2 = await receiver();
    cleanups.push(rx2.close);
    const b = setup(rx2, { minShards: 1, maxShards: 1 }, { bearerTokenFile: tok });
    b.c.append!(report([sample('m', { node: 'a' }, 1, 1)]));
    await waitFor(async () => rx2.requests.length >= 1, 10_000, 'request');
    expect(rx2.requests[0]!.headers.authorization).toBe('Bearer tok-123');
  });

  it('commit writes the segment inside the ingest transaction: a rolled-back report leaves nothing, a committed one is sent once', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const { c, db } = setup(rx, { minShards: 1, maxShards: 1 });
    const refused = report([sample('m', { node: 'a' }, 1, 1_764_000_000_000)]);
    expect(() =>
      db.transaction(() => {
        c.commit!(refused);
        throw new Error('refused later in the transaction');
      })(),
    ).toThrow('refused later');
    const ok = report([sample('m', { node: 'a' }, 2, 1_764_000_001_000)]);
    db.transaction(() => c.commit!(ok))();
    expect((db.prepare('SELECT SUM(samples) AS n FROM remotewrite_segments').get() as { n: number }).n).toBe(1);
    c.append!(ok);
    await waitFor(async () => rx.accepted().length === 1, 10_000, 'delivery');
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.accepted()).toEqual(['__name__=m,node=a|1764000001000|2']);
  });

  it('with no endpoint configured, append stores nothing', () => {
    const db = openTestDb(tmpDir());
    cleanups.push(() => {
      db.close();
    });
    const c = createRemoteWriteComponent(testContext(db), { endpoints: () => [] });
    c.append!(report([sample('m', { node: 'a' }, 1, 1)]));
    expect((db.prepare('SELECT COUNT(*) AS n FROM remotewrite_segments').get() as { n: number }).n).toBe(0);
  });

  it('refuses duplicate endpoint names and half a client certificate', () => {
    const db = openTestDb(tmpDir());
    cleanups.push(() => {
      db.close();
    });
    const a = endpointConfig({ name: 'x', url: 'http://127.0.0.1:1/w' });
    expect(() => createRemoteWriteComponent(testContext(db), { endpoints: () => [a, a] })).toThrow('remoteWrite.1.name: names must be unique');
    const b = endpointConfig({
      name: 'y',
      url: 'https://127.0.0.1:1/w',
      tls: { caFile: '', certFile: '/c.pem', keyFile: '', serverName: '', insecureSkipVerify: false },
    });
    expect(() => createRemoteWriteComponent(testContext(db), { endpoints: () => [b] })).toThrow('remoteWrite.0.tls: certFile and keyFile go together');
    const q = endpointConfig({ name: 'z', url: 'http://127.0.0.1:1/w', queue: { minShards: 8, maxShards: 2 } });
    expect(() => createRemoteWriteComponent(testContext(db), { endpoints: () => [q] })).toThrow('remoteWrite.0.queue.minShards: must not exceed maxShards (2)');
  });
});
