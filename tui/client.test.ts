import { mkdtempSync } from 'node:fs';
import { type IncomingMessage, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReport, pushReport } from '../agent/delivery/push.js';
import { type SummarySource, summaryRoute } from '../collector/api/summary.js';
import type { HttpError } from '../collector/api/types.js';
import { type CollectorConfig, collectorConfigSpec } from '../collector/config.js';
import { Collector } from '../collector/server.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { listenOn, refusedPort } from '../test/helpers/net.js';
import { collectPosture, postureWire } from '../agent/sources/posture/collect.js';
import { fixtureRoot } from '../collector/mlps/fixtures.js';
import type { MlpsComponent } from '../collector/mlps/component.js';
import { CollectorClient, parseAlert, parseCompliance, parseDevice, parseInterfaces } from './client.js';

const TOKEN = 'xj-api-test-token-0123456789';

describe('against the real collector (router with API-token roles, summary route)', () => {
  let collector: Collector;
  let base: string;
  let viewer: string;
  let security: string;
  let tok: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-tui-client-'));
    const cfg = loadConfig<CollectorConfig>(collectorConfigSpec, undefined, { XUNJIAN_COLLECTOR__LISTEN: '127.0.0.1:0', XUNJIAN_COLLECTOR__DATADIR: dir });
    collector = new Collector(cfg, createLogger({ level: 'error' }));
    const addr = await collector.listen();
    base = `http://127.0.0.1:${addr.port}`;
    viewer = collector.store.apiTokens.create('tui-viewer', 'viewer').token;
    security = collector.store.apiTokens.create('tui-security', 'security').token;
    tok = collector.store.createToken('town-01');
    const now = Date.now();
    const r = await pushReport(
      { url: base, token: tok, signature: 'hmac-sm3', timeoutMs: 5000 },
      'town-01',
      encodeReport({
        v: 1,
        node: { id: 'town-01', site: '测试县', zone: 'extranet', grade: 3, labels: {} },
        agent: { version: 'test', interval: 60 },
        seq: 1,
        sentAt: now,
        samples: [{ name: 'xunjian_snmp_up', labels: { target: 'core' }, value: 1, type: 'gauge', ts: now }],
        facts: { 'host.inventory': { hostname: 'town-01-gw', cpus: 4 } },
      }),
    );
    expect(r.kind).toBe('ack');
  });
  afterAll(async () => {
    await collector.close();
  });

  it('health, the fleet summary, devices and alerts as a viewer; facts need the security role, claims the operator role', async () => {
    const c = new CollectorClient(base, { token: viewer });
    const h = await c.health();
    expect(h).toEqual({ ok: true, value: { status: 'ok', version: expect.any(String) } });
    const f = await c.fleet();
    expect(f.ok && f.value.source).toBe('summary');
    expect(f.ok && f.value.nodes).toEqual([
      {
        id: 'town-01',
        zone: 'extranet',
        site: '测试县',
        grade: 3,
        up: true,
        lastSeenAgeSeconds: expect.any(Number),
        devices: { up: 1, total: 1 },
        linksDown: null,
        ipv6: { lossV6: null, lossV4: null, websiteRate: null },
        mlpsScore: null,
        activeAlerts: 0,
      },
    ]);
    expect(await c.devices()).toEqual({ ok: true, value: [] });
    const denied = await c.facts('town-01');
    expect(denied.ok === false && denied.kind).toBe('forbidden');
    expect(await c.alerts()).toEqual({ ok: true, value: [] });
    // collector/alerts parses the filter (a bad one is a 400): the node's id quoted and escaped
    expect(await c.nodeAlerts('town-01')).toEqual({ ok: true, value: [] });
    expect(await c.nodeAlerts('town"0\\1')).toEqual({ ok: true, value: [] });
    expect(await c.claim('0123456789abcdef')).toMatchObject({ ok: false, kind: 'forbidden' });
    await c.close();
    const sec = new CollectorClient(base, { token: security });
    const facts = await sec.facts('town-01');
    expect(facts.ok && facts.value.facts['host.inventory']).toEqual({ hostname: 'town-01-gw', cpus: 4 });
    expect(await sec.facts('nope')).toEqual({ ok: false, kind: 'unavailable', message: 'no facts stored for this node' });
    await sec.close();
    const anon = new CollectorClient(base);
    expect(await anon.fleet()).toMatchObject({ ok: false, kind: 'unauthorized' });
    await anon.close();
  });

  it("the node's failing MLPS checks with evidence and bilingual title and remediation (security); 403 for a viewer, 404 for an unknown node", async () => {
    const weak = await collectPosture(fixtureRoot('debian-weak'), 5);
    const now = Date.now();
    const r = await pushReport(
      { url: base, token: tok, signature: 'hmac-sm3', timeoutMs: 5000 },
      'town-01',
      encodeReport({
        v: 1,
        node: { id: 'town-01', site: '测试县', zone: 'extranet', grade: 3, labels: {} },
        agent: { version: 'test', interval: 60 },
        seq: 2,
        sentAt: now,
        samples: [],
        facts: { 'host.posture': postureWire(weak) },
      }),
    );
    expect(r.kind).toBe('ack');
    await new Promise((res) => setImmediate(res));
    await (collector.components.find((x) => x.name === 'mlps') as MlpsComponent).idle();
    const sec = new CollectorClient(base, { token: security });
    const c = await sec.compliance('town-01');
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(c.value.score.failed).toBe(c.value.failing.length);
    expect(c.value.failing.length).toBeGreaterThan(0);
    const uid0 = c.value.failing.find((f) => f.check === 'host.ident.uid0');
    expect(uid0?.clause).toBe('8.1.4.1 a');
    expect(uid0?.evidence).toContain('toor');
    expect(uid0?.evidence).not.toContain('\n');
    for (const f of c.value.failing) {
      expect(f.title.zh && f.title.en && f.remediation.zh && f.remediation.en, f.check).toBeTruthy();
      expect(/[\u4e00-\u9fff]/.test(f.title.zh), f.check).toBe(true);
    }
    expect(await sec.compliance('nope')).toEqual({ ok: false, kind: 'unavailable', message: "no MLPS evaluation of target 'nope'" });
    await sec.close();
    const v = new CollectorClient(base, { token: viewer });
    expect(await v.compliance('town-01')).toMatchObject({ ok: false, kind: 'forbidden' });
    await v.close();
  }, 60_000);

  it("the node's devices and interfaces (viewer): status, speed, rates; 404 for an unknown node is unavailable", async () => {
    const now = Date.now();
    const g = (name: string, labels: Record<string, string>, value: number) => ({ name, labels, value, type: 'gauge' as const, ts: now });
    const ge1 = { target: 'core', ifIndex: '10', ifName: 'GE0/0/1' };
    const r = await pushReport(
      { url: base, token: tok, signature: 'hmac-sm3', timeoutMs: 5000 },
      'town-01',
      encodeReport({
        v: 1,
        node: { id: 'town-01', site: '测试县', zone: 'extranet', grade: 3, labels: {} },
        agent: { version: 'test', interval: 60 },
        seq: 3,
        sentAt: now,
        samples: [
          g('xunjian_snmp_up', { target: 'core' }, 1),
          g('ifAdminStatus', { ...ge1, ifDescr: 'GigabitEthernet0/0/1', ifAlias: '至城关镇' }, 1),
          g('ifOperStatus', { ...ge1, ifDescr: 'GigabitEthernet0/0/1', ifAlias: '至城关镇' }, 1),
          g('ifHighSpeed', { ...ge1, ifDescr: 'GigabitEthernet0/0/1', ifAlias: '至城关镇' }, 1000),
          g('xunjian_link_in_bits_per_second', ge1, 100_000_000),
          g('xunjian_link_out_bits_per_second', ge1, 10_000_000),
          g('xunjian_link_in_utilization_ratio', ge1, 0.1),
          g('xunjian_link_out_utilization_ratio', ge1, 0.01),
          g('xunjian_link_in_errors_per_second', ge1, 2),
          g('xunjian_link_out_errors_per_second', ge1, 0),
        ],
      }),
    );
    expect(r.kind).toBe('ack');
    const v = new CollectorClient(base, { token: viewer });
    expect(await v.interfaces('town-01')).toEqual({
      ok: true,
      value: [
        {
          target: 'core',
          up: true,
          interfacesDown: 0,
          interfaces: [
            {
              ifIndex: '10',
              ifName: 'GE0/0/1',
              ifDescr: 'GigabitEthernet0/0/1',
              ifAlias: '至城关镇',
              adminStatus: 'up',
              operStatus: 'up',
              down: false,
              speedBps: 1e9,
              inBps: 100_000_000,
              outBps: 10_000_000,
              inUtilization: 0.1,
              outUtilization: 0.01,
              inErrorsPerSecond: 2,
              outErrorsPerSecond: 0,
              inDiscardsPerSecond: null,
              outDiscardsPerSecond: null,
            },
          ],
        },
      ],
    });
    expect(await v.interfaces('nope')).toEqual({ ok: false, kind: 'unavailable', message: "no node 'nope'" });
    await v.close();
  });
});

describe('parseInterfaces (pure)', () => {
  it('keeps devices with a target and interfaces with an ifIndex; unknown statuses and non-numbers are null; interfacesDown counted when absent', () => {
    expect(
      parseInterfaces({
        devices: [
          {
            target: 'sw',
            up: 'yes',
            interfaces: [
              { ifIndex: '1', operStatus: 'down', adminStatus: 'up', down: true, inBps: '5', speedBps: 1e9 },
              { ifIndex: '', operStatus: 'up' },
              { ifIndex: 2, operStatus: 'sideways', adminStatus: 'off', inBps: Number.NaN },
            ],
          },
          { up: true, interfaces: [] },
        ],
      }),
    ).toEqual([
      {
        target: 'sw',
        up: null,
        interfacesDown: 1,
        interfaces: [
          expect.objectContaining({ ifIndex: '1', operStatus: 'down', adminStatus: 'up', down: true, inBps: null, speedBps: 1e9 }),
          expect.objectContaining({ ifIndex: '2', operStatus: null, adminStatus: null, down: false, inBps: null }),
        ],
      },
    ]);
    expect(parseInterfaces(undefined)).toEqual([]);
  });
});

describe('parseCompliance (pure)', () => {
  it('keeps only failing results, the first evidence item on one line, titles and remediation from `checks`', () => {
    const body = {
      evaluation: {
        score: { passed: 7, failed: 2 },
        results: [
          { check: 'a.ok', clause: '8.1.1', status: 'pass', evidence: [] },
          {
            check: 'a.bad',
            clause: '8.1.4.1 a',
            status: 'fail',
            evidence: [
              { fact: 'accounts', value: '["toor"]', source: '/etc/passwd', line: 3, excerpt: 'toor:x:0:0' },
              { fact: 'other', value: '1' },
            ],
          },
          { check: 'b.bad', clause: '8.1.4.2 b', status: 'fail', evidence: [{ fact: 'x', value: '"a\nb"' }] },
          { check: 'c.unknown', clause: '8.1.4.3', status: 'unknown', evidence: [] },
        ],
      },
      checks: { 'a.bad': { title: { zh: '无多余超级用户', en: 'No extra superuser' }, remediation: { zh: '删除账户\n第二行', en: 'Remove it' } } },
    };
    expect(parseCompliance(body)).toEqual({
      score: { passed: 7, failed: 2 },
      failing: [
        {
          check: 'a.bad',
          clause: '8.1.4.1 a',
          title: { zh: '无多余超级用户', en: 'No extra superuser' },
          evidence: 'accounts = ["toor"] (/etc/passwd:3: toor:x:0:0)',
          remediation: { zh: '删除账户', en: 'Remove it' },
        },
        { check: 'b.bad', clause: '8.1.4.2 b', title: { zh: '', en: '' }, evidence: 'x = "a', remediation: { zh: '', en: '' } },
      ],
    });
    expect(parseCompliance(undefined)).toEqual({ score: { passed: 0, failed: 0 }, failing: [] });
  });
});

describe('against the API routes (summary route handler, alert routes on loopback)', () => {
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];
  let base: string;
  let status = 200;
  let noSummary = false;
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
    const send = (code: number, v: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: 'unauthorized', message: 'missing or unknown API token' });
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/healthz') return send(200, { status: 'ok', version: '9.9.9' });
    if (url.pathname === '/api/v1/nodes')
      return send(200, { nodes: [{ id: 'old-1', site: '乡', zone: 'extranet', grade: 2, up: false, lastSeen: Date.now() - 90_000 }] });
    if (url.pathname === '/api/v1/summary' && noSummary) return send(404, { error: 'not_found', message: 'no route /api/v1/summary' });
    if (url.pathname === '/api/v1/summary') {
      try {
        const r = await summary.handler({
          method: 'GET',
          path: url.pathname,
          params: {},
          query: url.searchParams,
          headers: req.headers,
          body: undefined,
          remote: '',
        });
        return send(r.status, r.body);
      } catch (e) {
        const h = e as HttpError;
        return send(h.status, { error: h.code, message: h.message });
      }
    }
    if (url.pathname === '/api/v1/alerts')
      return send(200, {
        status: 'success',
        data: {
          alerts: [
            {
              fingerprint: 'f1',
              labels: { alertname: 'NodeDown', severity: 'critical', node: 'n-1', category: 'availability' },
              annotations: { summary: '节点离线' },
              state: 'firing',
              activeAt: '2026-12-03T07:00:00Z',
              claimedBy: 'ops-li',
            },
            { labels: { alertname: 'NoFingerprint' } },
          ],
        },
      });
    if (req.method === 'POST' && /^\/api\/v1\/alerts\/[^/]+\/(claim|ack)$/.test(url.pathname))
      return send(status, status === 200 ? { status: 'ok' } : { error: 'forbidden', message: 'role viewer may not claim' });
    if (req.method === 'POST' && url.pathname === '/api/v1/silences') return send(200, { silenceID: 's1' });
    return send(404, { error: 'not_found', message: `no route ${url.pathname}` });
  });
  const src: SummarySource = {
    nodes: () => Array.from({ length: 5 }, (_, i) => ({ id: `n-${i + 1}`, zone: 'extranet', site: '乡', grade: 2, up: true, lastSeen: Date.now() })),
    series: () => new Map(),
  };
  const summary = summaryRoute(src);
  beforeAll(async () => {
    base = `http://127.0.0.1:${await listenOn(server, '127.0.0.1')}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads every page of the summary with the Bearer token', async () => {
    seen.length = 0;
    const c = new CollectorClient(base, { token: TOKEN, pageSize: 2 });
    const f = await c.fleet();
    expect(f.ok && f.value.source).toBe('summary');
    expect(f.ok && f.value.nodes.map((n) => n.id)).toEqual(['n-1', 'n-2', 'n-3', 'n-4', 'n-5']);
    expect(seen.map((s) => `${s.method} ${s.url} ${s.auth}`)).toEqual([1, 2, 3].map((p) => `GET /api/v1/summary?page=${p}&pageSize=2 Bearer ${TOKEN}`));
    await c.close();
  });

  it('falls back to the node registry on a collector without the summary route', async () => {
    noSummary = true;
    const c = new CollectorClient(base, { token: TOKEN });
    const f = await c.fleet();
    noSummary = false;
    expect(f.ok && f.value.source).toBe('nodes');
    expect(f.ok && f.value.nodes).toEqual([
      {
        id: 'old-1',
        zone: 'extranet',
        site: '乡',
        grade: 2,
        up: false,
        lastSeenAgeSeconds: 90,
        devices: null,
        linksDown: null,
        ipv6: { lossV6: null, lossV4: null, websiteRate: null },
        mlpsScore: null,
        activeAlerts: null,
      },
    ]);
    await c.close();
  });

  it('alerts parsed (an entry without fingerprint left out); claim, ack and silence on their paths', async () => {
    seen.length = 0;
    const c = new CollectorClient(`${base}/`, { token: TOKEN });
    const a = await c.alerts();
    expect(a).toEqual({
      ok: true,
      value: [
        {
          fingerprint: 'f1',
          name: 'NodeDown',
          severity: 'critical',
          category: 'availability',
          node: 'n-1',
          state: 'firing',
          summary: '节点离线',
          startsAt: Date.parse('2026-12-03T07:00:00Z'),
          claimedBy: 'ops-li',
          ackedBy: undefined,
          silenced: false,
        },
      ],
    });
    expect((await c.claim('f/1')).ok).toBe(true);
    expect((await c.ack('f1')).ok).toBe(true);
    const sil = { matchers: ['alertname="NodeDown"'], endsAt: '2026-12-03T10:00:00.000Z', comment: 'c' };
    expect(await c.silence(sil)).toEqual({ ok: true, value: { silenceID: 's1' } });
    expect(seen.slice(2).map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/api/v1/alerts/f%2F1/claim', '{}'],
      ['POST', '/api/v1/alerts/f1/ack', '{}'],
      ['POST', '/api/v1/silences', JSON.stringify(sil)],
    ]);
    status = 403;
    expect(await c.claim('f1')).toEqual({ ok: false, kind: 'forbidden', message: 'role viewer may not claim' });
    status = 200;
    seen.length = 0;
    // no /api/v1/alerts/active here: the full list, filtered to the node
    const mine = await c.nodeAlerts('n-1');
    expect(mine.ok && mine.value.map((x) => x.fingerprint)).toEqual(['f1']);
    const other = await c.nodeAlerts('n-2');
    expect(other).toEqual({ ok: true, value: [] });
    expect(seen.slice(0, 3).map((x) => x.url)).toEqual([
      `/api/v1/alerts/active?state=all&filter=${encodeURIComponent('node="n-1"')}`,
      '/api/v1/alerts/active?state=all',
      '/api/v1/alerts',
    ]);
    await c.close();
  });

  it('a wrong or missing token is unauthorized; the token is in no result', async () => {
    const c = new CollectorClient(base, { token: 'wrong-secret-token' });
    const r = await c.fleet();
    expect(r).toEqual({ ok: false, kind: 'unauthorized', message: 'missing or unknown API token' });
    expect(JSON.stringify(r)).not.toContain('wrong-secret-token');
    await c.close();
    const none = new CollectorClient(base);
    await none.health();
    expect(seen.at(-1)!.auth).toBeUndefined();
    await none.close();
  });

  it('a bad page size is an error with the collector message', async () => {
    const c = new CollectorClient(base, { token: TOKEN, pageSize: 9999 });
    expect(await c.fleet()).toEqual({ ok: false, kind: 'error', message: "HTTP 400: pageSize: expected an integer from 1 to 5000, got '9999'" });
    await c.close();
  });
});

describe('a collector that is not there', () => {
  it('is unreachable (connection refused), without the token', async () => {
    const c = new CollectorClient(`http://[::1]:${await refusedPort('::1')}`, { token: TOKEN, timeoutMs: 2000 });
    const r = await c.fleet();
    expect(r).toEqual({ ok: false, kind: 'unreachable', message: 'ECONNREFUSED' });
    expect(await c.health()).toEqual({ ok: false, kind: 'unreachable', message: 'ECONNREFUSED' });
    await c.close();
  });
});

describe('tolerant parsing', () => {
  it.each([
    [
      { fingerprint: 'a', labels: { alertname: 'X' }, status: { state: 'suppressed', silencedBy: ['s'] } },
      { state: 'firing', silenced: true },
    ],
    [
      { id: 'b', labels: {}, state: 'resolved', acknowledgedBy: 'ops' },
      { fingerprint: 'b', name: 'b', state: 'resolved', ackedBy: 'ops' },
    ],
    [
      { fingerprint: 'c', state: 'pending', claim: { actor: 'ops-wang' }, ack: { by: 'ops-zhao' } },
      { state: 'pending', claimedBy: 'ops-wang', ackedBy: 'ops-zhao' },
    ],
    [{ fingerprint: 'd', startsAt: 'not a date' }, { startsAt: 0 }],
    // collector/alerts' view: status string, times in ms, disposals
    [
      {
        fingerprint: '0123456789abcdef',
        labels: { alertname: 'XunjianNodeDown', node: 'n1' },
        startsAt: 1700000000000,
        status: 'resolved',
        silencedBy: [],
        claim: { by: 'ops-li', at: 1, comment: '' },
      },
      { state: 'resolved', startsAt: 1700000000000, claimedBy: 'ops-li', silenced: false },
    ],
  ])('alert %j', (raw, expected) => {
    expect(parseAlert(raw)).toMatchObject(expected);
  });
  it.each([
    [
      { name: 'core', node: 'n1', firmware: { vendor: 'huawei', os: 'VRP', version: 'V200' }, up: 1, interfacesDown: 2 },
      { name: 'core', node: 'n1', vendor: 'huawei', firmware: 'VRP V200', up: true, interfacesDown: 2 },
    ],
    [
      { target: 'acc', vendor: 'h3c', firmware: 'Comware 7', up: false },
      { name: 'acc', vendor: 'h3c', firmware: 'Comware 7', up: false, interfacesDown: null },
    ],
    [
      // the collector's device registry row
      {
        id: 'n1/core-sw1',
        node: 'n1',
        target: 'core-sw1',
        sysName: 'county-core-s5720',
        vendor: 'huawei',
        firmware: 'V200R011C10SPC500',
        lastPollOk: false,
        site: 's',
        zone: 'z',
        grade: 3,
      },
      { name: 'core-sw1', node: 'n1', address: 'county-core-s5720', vendor: 'huawei', firmware: 'V200R011C10SPC500', up: false, interfacesDown: null },
    ],
    [{ address: 'x' }, undefined],
  ])('device %j', (raw, expected) => {
    if (expected === undefined) expect(parseDevice(raw)).toBeUndefined();
    else expect(parseDevice(raw)).toMatchObject(expected);
  });
});
