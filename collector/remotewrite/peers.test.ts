import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/proc.js';
import { promRaw, startPrometheus, startVictoria, type Tsdb, vmExport } from '../../test/helpers/tsdb.js';
import { createRemoteWriteComponent } from './component.js';
import { endpointConfig } from './config.js';
import { metricValue, openTestDb, report, sample, testContext, tmpDir } from './testctx.js';

/**
 * Against the real stores here: Prometheus 2.42 (remote-write receiver, out-of-order window) and
 * VictoriaMetrics 1.79 single node. Samples are read back through each one's query API with exact
 * values and the original timestamps.
 */

const MIN = 60_000;
// whole seconds, recent enough for the TSDB head (Prometheus refuses samples older than its head allows)
const NOW = Math.floor(Date.now() / MIN) * MIN;

function fleet(tsList: number[], node: string, base: number) {
  const s = [];
  for (const [k, ts] of tsList.entries()) {
    s.push(sample('ifHCInOctets', { node, zone: 'east', site: 'hq', ifIndex: '1', ifName: 'GE0/0/1' }, base + k * 1_000_000 + 0.5, ts));
    s.push(sample('xunjian_probe_rtt', { node, zone: 'east', site: 'hq', target: '::1' }, (base + k) / 1000, ts));
  }
  return report(s, node);
}

async function run(kind: 'prometheus' | 'victoria') {
  const dir = tmpDir(`xj-rw-${kind}-`);
  const store: Tsdb = kind === 'prometheus' ? await startPrometheus(dir, { oooWindow: '3h' }) : await startVictoria(dir);
  const db = openTestDb(dir);
  const ctx = testContext(db);
  const ep = endpointConfig({
    name: kind,
    url: store.writeUrl,
    queue: { batchSendDeadlineSeconds: 0.05, maxSamplesPerSend: 5, minShards: 2, maxShards: 2, minBackoffSeconds: 0.05, maxBackoffSeconds: 0.5 },
  });
  const c = createRemoteWriteComponent(ctx, { endpoints: () => [ep], checkpointMs: 100 });
  c.start?.();
  const L = { remote_name: kind };
  const settled = (n: number) =>
    waitFor(
      async () =>
        (await metricValue(ctx.registry, 'xunjian_remote_storage_samples_total', L)) +
          (await metricValue(ctx.registry, 'xunjian_remote_storage_samples_failed_total', L)) >=
        n,
      20_000,
      `${n} samples settled`,
    );
  return { store, ctx, c, db, settled, L };
}

/** Samples of the series, read back: `ts value` lines (ts in ms). */
async function readBack(store: Tsdb, kind: 'prometheus' | 'victoria', selector: string): Promise<string[]> {
  if (kind === 'prometheus') {
    const res = await promRaw(store, selector, '4h', NOW + 5 * MIN);
    return res.flatMap((r) => r.values.map(([t, v]) => `${Math.round(t * 1000)} ${Number(v)}`));
  }
  const res = await vmExport(store, selector);
  return res.flatMap((r) => r.timestamps.map((t, i) => `${t} ${r.values[i]}`));
}

for (const kind of ['prometheus', 'victoria'] as const) {
  describe(`remote-write into ${kind === 'prometheus' ? 'Prometheus 2.42' : 'VictoriaMetrics'} (real)`, () => {
    let env: Awaited<ReturnType<typeof run>>;
    beforeAll(async () => {
      env = await run(kind);
    });
    afterAll(async () => {
      await env?.c.stop?.();
      env?.db.close();
      await env?.store.stop();
    });

    it('lands samples with exact values and original timestamps, a backlog older than the newest sample included', async () => {
      const live = [NOW - 2 * MIN, NOW - MIN, NOW];
      env.c.append!(fleet(live, 'town-01', 1000));
      await env.settled(6);
      // the agent's spool: measured an hour ago, delivered now
      const backlog = [NOW - 62 * MIN, NOW - 61 * MIN, NOW - 60 * MIN];
      env.c.append!(fleet(backlog, 'town-01', 500));
      await env.settled(12);
      expect(await metricValue(env.ctx.registry, 'xunjian_remote_storage_samples_failed_total', env.L)).toBe(0);
      const got = await waitFor(
        async () => {
          const r = await readBack(env.store, kind, 'ifHCInOctets{node="town-01"}');
          return r.length >= 6 && r;
        },
        10_000,
        'read back',
      );
      expect(got).toEqual([
        `${NOW - 62 * MIN} 500.5`,
        `${NOW - 61 * MIN} 1000500.5`,
        `${NOW - 60 * MIN} 2000500.5`,
        `${NOW - 2 * MIN} 1000.5`,
        `${NOW - MIN} 1001000.5`,
        `${NOW} 2001000.5`,
      ]);
      expect(await readBack(env.store, kind, 'xunjian_probe_rtt{node="town-01",target="::1"}')).toEqual([
        `${NOW - 62 * MIN} 0.5`,
        `${NOW - 61 * MIN} 0.501`,
        `${NOW - 60 * MIN} 0.502`,
        `${NOW - 2 * MIN} 1`,
        `${NOW - MIN} 1.001`,
        `${NOW} 1.002`,
      ]);
    });

    it('a receiver down for a while, then back: nothing lost, nothing doubled', async () => {
      await env.store.stop();
      const before = await metricValue(env.ctx.registry, 'xunjian_remote_storage_samples_total', env.L);
      const ts = Array.from({ length: 8 }, (_, i) => NOW - 30 * MIN + i * 15_000);
      env.c.append!(fleet(ts.slice(0, 4), 'town-02', 7));
      env.c.append!(fleet(ts.slice(4), 'town-02', 9));
      await waitFor(
        async () => (await metricValue(env.ctx.registry, 'xunjian_remote_storage_samples_retried_total', env.L)) >= 16,
        20_000,
        'retries while down',
      );
      expect(await metricValue(env.ctx.registry, 'xunjian_remote_storage_samples_pending', env.L)).toBe(16);
      await env.store.start();
      await env.settled(before + 16);
      const got = await waitFor(
        async () => {
          const r = await readBack(env.store, kind, 'ifHCInOctets{node="town-02"}');
          return r.length >= 8 && r;
        },
        10_000,
        'read back',
      );
      expect(got).toEqual(ts.map((t, i) => `${t} ${(i < 4 ? 7 : 9) + (i % 4) * 1_000_000 + 0.5}`));
      expect(await metricValue(env.ctx.registry, 'xunjian_remote_storage_samples_pending', env.L)).toBe(0);
    });
  });
}

describe('Prometheus 2.42 refusing a request (real)', () => {
  it('a 400 (conflicting duplicate) and a 500 "too old sample" are dropped and counted, the queue goes on', { timeout: 60_000 }, async () => {
    const env = await run('prometheus');
    try {
      env.c.append!(fleet([NOW], 'town-03', 1));
      await env.settled(2);
      // the same series and timestamp with another value: Prometheus answers 400 duplicate sample for timestamp
      env.c.append!(report([sample('ifHCInOctets', { node: 'town-03', zone: 'east', site: 'hq', ifIndex: '1', ifName: 'GE0/0/1' }, 99, NOW)], 'town-03'));
      await env.settled(3);
      // a day old, beyond the 3 h window: 2.42 answers 500 too old sample, which no retry can fix
      env.c.append!(report([sample('too_old', { node: 'town-03' }, 1, NOW - 24 * 60 * MIN)], 'town-03'));
      await env.settled(4);
      env.c.append!(fleet([NOW + 15_000], 'town-03', 2));
      await env.settled(6);
      expect(await metricValue(env.ctx.registry, 'xunjian_remote_storage_samples_failed_total', env.L)).toBe(2);
      expect(await metricValue(env.ctx.registry, 'xunjian_remote_storage_samples_total', env.L)).toBe(4);
      expect(await metricValue(env.ctx.registry, 'xunjian_remote_storage_samples_retried_total', env.L)).toBe(0);
      expect(env.ctx.logs.filter((l) => l.includes('refused, samples dropped')).map((l) => /status=(\d+)/.exec(l)?.[1])).toEqual(['400', '500']);
      expect(await readBack(env.store, 'prometheus', 'ifHCInOctets{node="town-03"}')).toEqual([`${NOW} 1.5`, `${NOW + 15_000} 2.5`]);
    } finally {
      await env.c.stop?.();
      env.db.close();
      await env.store.stop();
    }
  });
});

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (openssl CLI). */
function makePki(dir: string) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=xunjian test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(dir, ['req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'collector'}`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${who}.pem`,
      '-days',
      '2',
      '-extfile',
      `${who}.ext`,
    ]);
  }
  const f = (n: string) => join(dir, n);
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

describe('remote-write over mutual TLS into Prometheus 2.42 (real, --web.config.file)', () => {
  it('delivers with the client certificate; without it nothing is accepted (retried)', { timeout: 60_000 }, async () => {
    const dir = tmpDir('xj-rw-tls-');
    const pki = makePki(dir);
    // (basic auth is checked on the loopback receiver: Prometheus wants a bcrypt hash no tool here makes)
    const webConfig = `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.ca}\n`;
    const store = await startPrometheus(dir, { oooWindow: '1h', webConfig, clientTls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } });
    const db = openTestDb(dir);
    const ctx = testContext(db);
    const q = { batchSendDeadlineSeconds: 0.05, minShards: 1, maxShards: 1, minBackoffSeconds: 0.05, maxBackoffSeconds: 0.2 };
    const good = endpointConfig({
      name: 'tls',
      url: store.writeUrl,
      tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey, serverName: '', insecureSkipVerify: false },
      queue: q,
    });
    const nocert = endpointConfig({
      name: 'nocert',
      url: store.writeUrl,
      tls: { caFile: pki.ca, certFile: '', keyFile: '', serverName: '', insecureSkipVerify: false },
      queue: q,
    });
    const c = createRemoteWriteComponent(ctx, { endpoints: () => [good, nocert], checkpointMs: 100 });
    c.start?.();
    try {
      c.append!(report([sample('xunjian_tls_probe', { node: 'town-09' }, 7, NOW)], 'town-09'));
      await waitFor(
        async () => (await metricValue(ctx.registry, 'xunjian_remote_storage_samples_total', { remote_name: 'tls' })) === 1,
        20_000,
        'delivered over mTLS',
      );
      await waitFor(
        async () => (await metricValue(ctx.registry, 'xunjian_remote_storage_samples_retried_total', { remote_name: 'nocert' })) >= 2,
        20_000,
        'no-cert retries',
      );
      expect(await metricValue(ctx.registry, 'xunjian_remote_storage_samples_total', { remote_name: 'nocert' })).toBe(0);
      const u = new URL('/api/v1/query', store.base);
      u.searchParams.set('query', 'xunjian_tls_probe[1h]');
      u.searchParams.set('time', String(NOW / 1000 + 60));
      const dispatcher = new Agent({ connect: { ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) } });
      const r = await request(u, { dispatcher });
      const j = (await r.body.json()) as { data: { result: { values: [number, string][] }[] } };
      expect(j.data.result.map((x) => x.values)).toEqual([[[NOW / 1000, '7']]]);
    } finally {
      await c.stop?.();
      db.close();
      await store.stop();
    }
  });
});
