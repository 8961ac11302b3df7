import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { execFile } from 'node:child_process';
import { BIN, waitFor } from '../../test/helpers/proc.js';
import { type CollectorConfig, collectorConfigSpec } from '../config.js';
import { Collector } from '../server.js';
import { Store } from '../store/store.js';
import { type Peer, startPeer } from '../notify/testing.js';
import type { AlertsComponent } from './component.js';
import { fingerprint } from './labels.js';

/**
 * Through the real collector (router with API-token roles): viewer reads but cannot claim or silence,
 * operator can, every action audited with actor and source address; the `xunjian alerts` CLI.
 */
let dir: string;
let collector: Collector;
let base: string;
let peer: Peer;
const tokens: Record<string, string> = {};
const labels = { alertname: 'HostDown', severity: 'critical', node: 'town-01', site: 'city' };
const fp = fingerprint(labels);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xj-alerts-http-'));
  const store = new Store(dir);
  for (const [name, role] of [
    ['screen', 'viewer'],
    ['li.wei', 'operator'],
  ] as const) {
    tokens[role] = store.apiTokens.create(name, role).token;
    writeFileSync(join(dir, `${role}.token`), `${tokens[role]}\n`, { mode: 0o600 });
  }
  store.close();
  peer = await startPeer((_r, res) => res.writeHead(200).end());
  const cfg = validateConfig<CollectorConfig>(
    collectorConfigSpec,
    {
      listen: '127.0.0.1:0',
      dataDir: dir,
      notify: { receivers: [{ name: 'ops', type: 'webhook', url: `${peer.url}/ops` }], route: { receiver: 'ops', group_wait: '0s' } },
    },
    'test',
  );
  collector = new Collector(cfg, createLogger({ level: 'error' }));
  const addr = await collector.listen();
  base = `http://127.0.0.1:${addr.port}`;
  (collector.hub.alerts as AlertsComponent).send([
    { labels, annotations: { summary: '主机失联' }, startsAt: Date.now() - 60_000, endsAt: Date.now() + 240_000 },
  ]);
});

afterAll(async () => {
  await collector?.close();
  await peer?.close();
  rmSync(dir, { recursive: true, force: true });
});

const req = async (role: string | undefined, method: string, path: string, body?: unknown) => {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

/** The CLI as a child process, asynchronously (the collector runs in this process: spawnSync would block it). */
const xunjian = (args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });

const audit = () =>
  (collector as unknown as { audit: { query(q: object): { actor: string; remote: string; action: string; target: string; outcome: string }[] } }).audit.query(
    {},
  );

describe('disposal API through the router', () => {
  it('viewer lists, but cannot claim, ack or silence; the refusals are audited', async () => {
    expect((await req(undefined, 'GET', '/api/v1/alerts/active')).status).toBe(401);
    const list = await req('viewer', 'GET', '/api/v1/alerts/active');
    expect(list.status).toBe(200);
    expect((list.body.alerts as { fingerprint: string }[]).map((a) => a.fingerprint)).toEqual([fp]);
    for (const [method, path, body] of [
      ['POST', `/api/v1/alerts/${fp}/claim`, { comment: 'x' }],
      ['POST', `/api/v1/alerts/${fp}/ack`, {}],
      ['POST', '/api/v1/silences', { matchers: ['node="town-01"'], duration: '1h', comment: 'x' }],
    ] as const) {
      const r = await req('viewer', method, path, body);
      expect([r.status, r.body.error]).toEqual([403, 'forbidden']);
    }
    const denied = audit().filter((e) => e.outcome === 'denied');
    expect(denied.map((e) => [e.actor, e.remote, e.action, e.target])).toEqual([
      ['screen', '127.0.0.1', 'http.post', '/api/v1/silences'],
      ['screen', '127.0.0.1', 'http.post', `/api/v1/alerts/${fp}/ack`],
      ['screen', '127.0.0.1', 'http.post', `/api/v1/alerts/${fp}/claim`],
    ]);
    const n = await req('viewer', 'GET', '/api/v1/notifications');
    expect(n.status).toBe(200);
  });

  it('the webhook got the group notification before anything was silenced', async () => {
    // group_wait 0s: flushed at the component's next tick; waited for before the next test silences
    // the alert (a flush after that would rightly notify nothing). 30 s: on a loaded machine a first
    // attempt that times out is retried after the outbox's backoff.
    await waitFor(async () => peer.received.length > 0, 30_000, 'the webhook notification');
    expect((peer.received[0]!.json as { alerts: { fingerprint: string }[] }).alerts[0]!.fingerprint).toBe(fp);
  }, 40_000);

  it('operator claims and silences over HTTP and with the CLI; all audited', async () => {
    const claimed = await req('operator', 'POST', `/api/v1/alerts/${fp}/claim`, { comment: '处理中' });
    expect(claimed.status).toBe(200);
    expect((claimed.body.alert as { claim: { by: string } }).claim.by).toBe('li.wei');
    const bad = await req('operator', 'POST', '/api/v1/silences', { matchers: ['node=~".*"'], duration: '1h', comment: 'x' });
    expect([bad.status, bad.body.error]).toEqual([400, 'bad_request']);

    const g = ['alerts', '--collector', base, '--token-file', join(dir, 'operator.token')];
    const list = await xunjian([...g, 'list', '--state', 'firing']);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(
        `^FINGERPRINT +STATE +SEVERITY +ALERT +WHERE +SINCE +CLAIMED +ACKED +SILENCED\\n${fp} +firing +critical +HostDown +town-01/city +\\S+ \\S+ \\S+ \\(1m\\d*s?\\) +li\\.wei +- +-\\n$`,
      ),
    );
    const ack = await xunjian([...g, 'ack', fp, '-m', 'seen']);
    expect([ack.code, ack.stdout]).toEqual([0, `acknowledged ${fp} (HostDown town-01/city)\n`]);
    const sil = await xunjian([...g, 'silence', 'node="town-01"', 'alertname=~"Host.*"', '--for', '30m', '-m', '割接']);
    expect(sil.code).toBe(0);
    const id = /^silence ([0-9a-f-]{36}) until /.exec(sil.stdout)![1]!;
    const viewerSil = await xunjian(['alerts', '--collector', base, '--token-file', join(dir, 'viewer.token'), 'unsilence', id]);
    expect([viewerSil.code, viewerSil.stderr.trim()]).toEqual([1, 'xunjian: 403 forbidden: this route needs role operator or higher; the token has viewer']);
    const json = JSON.parse((await xunjian([...g, '--json', 'list'])).stdout) as { alerts: { silencedBy: string[]; ack: { by: string } }[] };
    expect(json.alerts[0]!.silencedBy).toEqual([id]);
    expect(json.alerts[0]!.ack.by).toBe('li.wei');
    const un = await xunjian([...g, 'unsilence', id]);
    expect([un.code, un.stdout]).toEqual([0, `silence ${id} expired\n`]);
    const mine = audit()
      .filter((e) => e.actor === 'li.wei')
      .map((e) => [e.remote, e.action, e.outcome]);
    expect(mine).toEqual([
      ['127.0.0.1', 'silence.expire', 'success'],
      ['127.0.0.1', 'silence.create', 'success'],
      ['127.0.0.1', 'alert.ack', 'success'],
      ['127.0.0.1', 'silence.create', 'failure'],
      ['127.0.0.1', 'alert.claim', 'success'],
    ]);
  }, 120_000); // six CLI processes on a shared 2-core machine
});
