import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, withFreePort } from '../../../../test/helpers/net.js';
import { type Running, waitFor } from '../../../../test/helpers/proc.js';
import type { ApiRequest } from '../../../api/types.js';
import { AlertsComponent } from '../../../alerts/component.js';
import { fingerprint } from '../../../alerts/labels.js';
import type { OutgoingAlert } from '../../../core/component.js';
import { type FakeClock, apiRequest, testEnv } from '../../testing.js';

/**
 * Against Debian's real prometheus-alertmanager 0.25 on loopback: alerts arrive with their labels in
 * every Alertmanager, resolve, and a silence made in Xunjian is created there and suppresses them.
 */
const AM = '/usr/bin/prometheus-alertmanager';
const AMTOOL = '/usr/bin/amtool';

interface AmProc {
  url: string;
  run: Running;
  dir: string;
}

async function startAlertmanager(port: number): Promise<AmProc> {
  const dir = mkdtempSync(join(tmpdir(), 'xj-am-'));
  writeFileSync(join(dir, 'am.yml'), "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n");
  const proc = spawn(
    AM,
    [
      `--config.file=${join(dir, 'am.yml')}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const run: Running = {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`alertmanager exited: ${out}`);
      return (await fetch(`${url}/-/ready`)).ok;
    },
    15_000,
    `alertmanager on ${port}`,
  ).catch(async (err: Error) => {
    await run.stop();
    throw new Error(`${err.message}\n${out}`);
  });
  return { url, run, dir };
}

const get = async (url: string) => {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  return r.json();
};

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string; silencedBy: string[] };
}

let am1: AmProc;
let am2: AmProc | undefined;
let am2Port: number;
beforeAll(async () => {
  for (const tool of [AM, AMTOOL])
    if (!existsSync(tool)) throw new Error(`${tool} is missing: run scripts/install-test-deps.sh (Debian prometheus-alertmanager)`);
  am1 = await withFreePort(startAlertmanager); // another one when the port was taken meanwhile
  am2Port = await freePort(); // refuses connections until the test starts the second one there
});
afterAll(async () => {
  for (const a of [am1, am2]) {
    if (!a) continue;
    await a.run.stop();
    rmSync(a.dir, { recursive: true, force: true });
  }
});

describe('Alertmanager API v2 (real prometheus-alertmanager 0.25)', () => {
  it('alerts arrive in every Alertmanager, a Xunjian silence suppresses them there, they resolve', async () => {
    const clock = { now: () => Date.now(), t: 0 } as unknown as FakeClock;
    const env = testEnv({ notify: { alertmanagers: [{ url: am1.url }, { url: `http://127.0.0.1:${am2Port}` }] } }, clock);
    const c = new AlertsComponent(env.ctx);
    try {
      const now = Date.now();
      const startsAt = now - 120_000;
      const mk = (node: string, endsAt: number): OutgoingAlert => ({
        labels: { alertname: 'LinkDown', severity: 'critical', node, site: '城区中心', zone: 'county-a', category: 'network' },
        annotations: { summary: `${node} 上联链路中断`, runbook_url: 'https://wiki.example/linkdown' },
        startsAt,
        endsAt,
        generatorURL: 'http://127.0.0.1:9700/rules',
      });
      // am2 is down at first: its share is dropped (the rules re-send), counted as errors
      c.send([mk('town-01', now + 240_000), mk('town-02', now + 240_000)]);
      await c.notifier.flushAlertmanagers();
      const alerts1 = (await get(`${am1.url}/api/v2/alerts`)) as AmAlert[];
      expect(alerts1.map((a) => a.labels).sort((x, y) => x.node!.localeCompare(y.node!))).toEqual([mk('town-01', 0).labels, mk('town-02', 0).labels]);
      expect(alerts1[0]!.annotations.runbook_url).toBe('https://wiki.example/linkdown');
      expect(Date.parse(alerts1[0]!.startsAt)).toBe(startsAt);
      expect(alerts1.every((a) => a.status.state === 'active')).toBe(true);
      const metrics = await env.registry.metrics();
      expect(metrics).toContain(`xunjian_alertmanager_alerts_sent_total{alertmanager="${am1.url}"} 2`);
      expect(metrics).toContain(`xunjian_alertmanager_alerts_errors_total{alertmanager="http://127.0.0.1:${am2Port}"} 2`);

      // a silence made in Xunjian, while am2 is still down
      const route = c.routes().find((r) => r.method === 'POST' && r.path === '/api/v1/silences')!;
      const res = await route.handler(
        apiRequest('POST', '/api/v1/silences', {
          body: { matchers: ['node="town-01"', 'alertname=~"Link.*"'], duration: '1h', comment: '割接' },
        }) as ApiRequest,
      );
      const s = (res.body as { silence: { id: string; alertmanagers: Record<string, { id?: string; error?: string }> } }).silence;
      const amId = s.alertmanagers[am1.url]!.id!;
      expect(amId).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.alertmanagers[`http://127.0.0.1:${am2Port}`]!.error).toMatch(/ECONNREFUSED/);
      const sil = (await get(`${am1.url}/api/v2/silence/${amId}`)) as { matchers: unknown[]; createdBy: string; comment: string; status: { state: string } };
      expect(sil).toMatchObject({
        matchers: [
          { name: 'node', value: 'town-01', isRegex: false, isEqual: true },
          { name: 'alertname', value: 'Link.*', isRegex: true, isEqual: true },
        ],
        createdBy: 'li.wei',
        comment: '割接',
        status: { state: 'active' },
      });
      // amtool sees it too
      const q = JSON.parse(execFileSync(AMTOOL, [`--alertmanager.url=${am1.url}`, 'silence', 'query', '-o', 'json'], { encoding: 'utf8' })) as { id: string }[];
      expect(q.map((x) => x.id)).toEqual([amId]);

      // am2 comes up; the next sync creates the silence there; re-sent alerts reach both
      am2 = await startAlertmanager(am2Port);
      await c.syncSilences();
      const s2 = c.store.silence(s.id)!.alertmanagers[am2.url]!;
      expect(s2.id).toMatch(/^[0-9a-f-]{36}$/);
      c.send([mk('town-01', Date.now() + 240_000), mk('town-02', Date.now() + 240_000)]);
      await c.notifier.flushAlertmanagers();
      for (const [am, id] of [
        [am1.url, amId],
        [am2.url, s2.id!],
      ] as const) {
        const got = (await get(`${am}/api/v2/alerts`)) as AmAlert[];
        const byNode = Object.fromEntries(got.map((a) => [a.labels.node, a.status]));
        expect(byNode['town-01']).toEqual({ state: 'suppressed', silencedBy: [id], inhibitedBy: [] });
        expect(byNode['town-02']).toMatchObject({ state: 'active', silencedBy: [] });
      }
      // Xunjian records the silenced alert too
      expect(c.listAlerts(new URLSearchParams('silenced=true')).map((a) => a.fingerprint)).toEqual([fingerprint(mk('town-01', 0).labels)]);

      // expiring it in Xunjian expires it in both
      const del = c.routes().find((r) => r.method === 'DELETE' && r.path === '/api/v1/silences/:id')!;
      await del.handler(apiRequest('DELETE', '/x', { params: { id: s.id } }));
      for (const [am, id] of [
        [am1.url, amId],
        [am2.url, s2.id!],
      ] as const) {
        expect(((await get(`${am}/api/v2/silence/${id}`)) as { status: { state: string } }).status.state).toBe('expired');
      }
      expect(c.store.silence(s.id)!.alertmanagers[am1.url]).toEqual({ id: amId, expired: true });

      // a silence made directly in an Alertmanager (amtool) mutes Xunjian's own receivers too
      const extId = execFileSync(
        AMTOOL,
        [`--alertmanager.url=${am1.url}`, 'silence', 'add', 'node=town-02', '--comment=from amtool', '--duration=1h', '--author=ops'],
        { encoding: 'utf8' },
      ).trim();
      await c.syncSilences();
      expect(c.listAlerts(new URLSearchParams('silenced=true')).map((a) => [a.labels.node, a.silencedBy])).toEqual([['town-02', [extId]]]);
      const listed = await c
        .routes()
        .find((r) => r.method === 'GET' && r.path === '/api/v1/silences')!
        .handler(apiRequest('GET', '/x', { query: 'state=active' }));
      expect(
        (listed.body as { silences: { id: string; external?: string; createdBy: string; matchers: string[] }[] }).silences.map((x) => [
          x.id,
          x.external,
          x.createdBy,
          x.matchers,
        ]),
      ).toEqual([[extId, am1.url, 'ops', ['node="town-02"']]]);
      // and expiring it from Xunjian expires it there
      await del.handler(apiRequest('DELETE', '/x', { params: { id: extId } }));
      expect(((await get(`${am1.url}/api/v2/silence/${extId}`)) as { status: { state: string } }).status.state).toBe('expired');
      await c.syncSilences();
      expect(c.listAlerts(new URLSearchParams('silenced=true'))).toEqual([]);

      // resolve town-02: gone from the active alerts of both
      c.send([mk('town-02', Date.now() - 1000)]);
      await c.notifier.flushAlertmanagers();
      for (const am of [am1.url, am2.url]) {
        const got = (await get(`${am}/api/v2/alerts`)) as AmAlert[];
        expect(got.map((a) => [a.labels.node, a.status.state])).toEqual([['town-01', 'active']]);
      }
    } finally {
      await c.stop();
      env.close();
    }
  });
});
