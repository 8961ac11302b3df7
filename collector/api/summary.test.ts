import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { encodeReport, pushReport } from '../../agent/delivery/push.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { type CollectorConfig, collectorConfigSpec } from '../config.js';
import { Collector } from '../server.js';
import { type SeriesPoint, type SummaryNode, type SummarySource, summarizeNode, summaryRoute } from './summary.js';
import { type ApiRequest, HttpError } from './types.js';

const NOW = 1_800_000_000_000;
const n = (id: string, over: Partial<SummaryNode> = {}): SummaryNode => ({
  id,
  zone: 'extranet',
  site: '测试县',
  grade: 3,
  up: true,
  lastSeen: NOW - 12_400,
  ...over,
});
const s = (name: string, labels: Record<string, string>, value: number): SeriesPoint => ({ labels: { __name__: name, ...labels }, value });

describe('summarizeNode', () => {
  it('a node without device, probe or website series: registry fields, the rest null', () => {
    expect(summarizeNode(n('a'), [], NOW)).toEqual({
      id: 'a',
      zone: 'extranet',
      site: '测试县',
      grade: 3,
      up: true,
      lastSeenAgeSeconds: 12,
      devices: null,
      linksDown: null,
      ipv6: { lossV6: null, lossV4: null, websiteRate: null },
    });
  });

  it.each([
    ['two targets, one up', [s('xunjian_snmp_up', { target: 'core' }, 1), s('xunjian_snmp_up', { target: 'acc' }, 0)], { devices: { up: 1, total: 2 } }],
    [
      'admin up and oper down counts; admin down does not; oper up does not',
      [
        s('ifAdminStatus', { target: 'core', ifIndex: '1' }, 1),
        s('ifOperStatus', { target: 'core', ifIndex: '1' }, 2),
        s('ifAdminStatus', { target: 'core', ifIndex: '2' }, 2),
        s('ifOperStatus', { target: 'core', ifIndex: '2' }, 2),
        s('ifAdminStatus', { target: 'core', ifIndex: '3' }, 1),
        s('ifOperStatus', { target: 'core', ifIndex: '3' }, 1),
        // same ifIndex on another device is another interface
        s('ifOperStatus', { target: 'acc', ifIndex: '1' }, 7),
      ],
      { linksDown: 2 },
    ],
    ['all links up', [s('ifOperStatus', { target: 'core', ifIndex: '1' }, 1)], { linksDown: 0 }],
    [
      'probe loss: mean per family',
      [
        s('xunjian_probe_icmp_loss_ratio', { probe: 'gw', ip: '6' }, 0.2),
        s('xunjian_probe_icmp_loss_ratio', { probe: 'dns', ip: '6' }, 0.4),
        s('xunjian_probe_icmp_loss_ratio', { probe: 'gw', ip: '4' }, 0),
      ],
      { ipv6: { lossV6: 0.30000000000000004, lossV4: 0, websiteRate: null } },
    ],
    [
      'website rate: the lowest of any site and level',
      [
        s('xunjian_website_ipv6_support_ratio', { exported_site: 'https://www.a.gov.cn/', level: '2' }, 0.95),
        s('xunjian_website_ipv6_support_ratio', { exported_site: 'https://www.a.gov.cn/', level: '3' }, 0.8),
        s('xunjian_website_ipv6_support_ratio', { exported_site: 'https://www.b.gov.cn/', level: '2' }, Number.NaN),
      ],
      { ipv6: { lossV6: null, lossV4: null, websiteRate: 0.8 } },
    ],
  ])('%s', (_, series, expected) => {
    expect(summarizeNode(n('a'), series, NOW)).toMatchObject(expected);
  });

  it('a report from the future (clock skew) is age 0', () => {
    expect(summarizeNode(n('a', { lastSeen: NOW + 5000 }), [], NOW).lastSeenAgeSeconds).toBe(0);
  });
});

describe('GET /api/v1/summary', () => {
  const nodes = Array.from({ length: 5 }, (_, i) => n(`node-${5 - i}`));
  const asked: string[][] = [];
  const src: SummarySource = {
    nodes: () => [...nodes],
    series: (names) => {
      asked.push([...names]);
      return new Map([['node-1', [s('xunjian_snmp_up', { target: 'core' }, 1)]]]);
    },
    activeAlerts: () => new Map([['node-2', 4]]),
  };
  const route = summaryRoute(src, () => NOW);
  const req = (q: string): ApiRequest => ({
    method: 'GET',
    path: '/api/v1/summary',
    params: {},
    query: new URLSearchParams(q),
    headers: {},
    body: undefined,
    remote: '127.0.0.1',
  });

  it('is a viewer GET route', () => {
    expect([route.method, route.path, route.access]).toEqual(['GET', '/api/v1/summary', 'viewer']);
  });

  it('pages by node id, with total; mlps score null without a producer', async () => {
    const r = await route.handler(req('page=1&pageSize=2'));
    expect(r.status).toBe(200);
    const body = r.body as {
      nodes: { id: string; devices: unknown; mlpsScore: unknown; activeAlerts: unknown }[];
      page: number;
      pageSize: number;
      total: number;
      generatedAt: number;
    };
    expect(body.nodes.map((x) => x.id)).toEqual(['node-1', 'node-2']);
    expect(body.nodes.map((x) => [x.devices, x.mlpsScore, x.activeAlerts])).toEqual([
      [{ up: 1, total: 1 }, null, 0],
      [null, null, 4],
    ]);
    expect([body.page, body.pageSize, body.total, body.generatedAt]).toEqual([1, 2, 5, NOW]);
    const last = (await route.handler(req('page=3&pageSize=2'))).body as { nodes: { id: string }[] };
    expect(last.nodes.map((x) => x.id)).toEqual(['node-5']);
    const beyond = (await route.handler(req('page=4&pageSize=2'))).body as { nodes: unknown[]; total: number };
    expect([beyond.nodes, beyond.total]).toEqual([[], 5]);
    // one read of the series per request, whatever the page size
    expect(asked).toHaveLength(2); // page 4 is empty: no read
    expect(asked[0]).toEqual(['xunjian_snmp_up', 'ifAdminStatus', 'ifOperStatus', 'xunjian_probe_icmp_loss_ratio', 'xunjian_website_ipv6_support_ratio']);
  });

  it('defaults: page 1, page size 2000 (the whole fleet of 2,000 nodes in one request)', async () => {
    const b = (await route.handler(req(''))).body as { nodes: unknown[]; page: number; pageSize: number };
    expect([b.nodes.length, b.page, b.pageSize]).toEqual([5, 1, 2000]);
  });

  it.each([
    ['page=0', "page: expected an integer from 1 to 1000000, got '0'"],
    ['page=x', "page: expected an integer from 1 to 1000000, got 'x'"],
    ['pageSize=5001', "pageSize: expected an integer from 1 to 5000, got '5001'"],
    ['pageSize=-1', "pageSize: expected an integer from 1 to 5000, got '-1'"],
    ['pageSize=1.5', "pageSize: expected an integer from 1 to 5000, got '1.5'"],
  ])('%s is a 400 naming the parameter', async (q, message) => {
    let err: unknown;
    try {
      await route.handler(req(q));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect([(err as HttpError).status, (err as HttpError).code, (err as HttpError).message]).toEqual([400, 'bad_request', message]);
  });
});

describe('GET /api/v1/summary on a real collector (router, API token, series store)', () => {
  it('answers viewers from the registry and the live series; refuses without a token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-summary-'));
    const cfg = loadConfig<CollectorConfig>(collectorConfigSpec, undefined, { XUNJIAN_COLLECTOR__LISTEN: '127.0.0.1:0', XUNJIAN_COLLECTOR__DATADIR: dir });
    const c = new Collector(cfg, createLogger({ level: 'error' }));
    try {
      const base = `http://127.0.0.1:${(await c.listen()).port}`;
      const now = Date.now();
      const g = (name: string, labels: Record<string, string>, value: number) => ({ name, labels, value, type: 'gauge' as const, ts: now });
      for (const [id, samples] of [
        [
          'county-core',
          [
            g('xunjian_snmp_up', { target: 'core-sw1' }, 1),
            g('xunjian_snmp_up', { target: 'acc-sw2' }, 0),
            g('ifAdminStatus', { target: 'core-sw1', ifIndex: '10' }, 1),
            g('ifOperStatus', { target: 'core-sw1', ifIndex: '10' }, 2),
            g('ifAdminStatus', { target: 'core-sw1', ifIndex: '11' }, 1),
            g('ifOperStatus', { target: 'core-sw1', ifIndex: '11' }, 1),
            g('xunjian_probe_icmp_loss_ratio', { probe: 'gw', target: 'gw.county', ip: '6' }, 0.25),
            g('xunjian_probe_icmp_loss_ratio', { probe: 'gw', target: 'gw.county', ip: '4' }, 0),
            g('xunjian_website_ipv6_support_ratio', { site: 'https://www.county.gov.cn/', level: '2' }, 0.875),
          ],
        ],
        ['town-01', [g('node_load1', {}, 0.5)]],
      ] as const) {
        const tok = c.store.createToken(id);
        const r = await pushReport(
          { url: base, token: tok, signature: 'hmac-sm3', timeoutMs: 5000 },
          id,
          encodeReport({
            v: 1,
            node: { id, site: '测试县', zone: 'extranet', grade: 3, labels: {} },
            agent: { version: 'test', interval: 60 },
            seq: 1,
            sentAt: now,
            samples: [...samples],
          }),
        );
        expect(r.kind).toBe('ack');
      }
      const viewer = c.store.apiTokens.create('tui-test', 'viewer').token;
      const res = await request(`${base}/api/v1/summary?pageSize=10`, { headers: { authorization: `Bearer ${viewer}` } });
      expect(res.statusCode).toBe(200);
      const body = (await res.body.json()) as { nodes: Record<string, unknown>[]; total: number };
      expect(body.total).toBe(2);
      expect(body.nodes).toEqual([
        {
          id: 'county-core',
          zone: 'extranet',
          site: '测试县',
          grade: 3,
          up: true,
          lastSeenAgeSeconds: expect.any(Number),
          devices: { up: 1, total: 2 },
          linksDown: 1,
          ipv6: { lossV6: 0.25, lossV4: 0, websiteRate: 0.875 },
          mlpsScore: null,
          activeAlerts: 0,
        },
        {
          id: 'town-01',
          zone: 'extranet',
          site: '测试县',
          grade: 3,
          up: true,
          lastSeenAgeSeconds: expect.any(Number),
          devices: null,
          linksDown: null,
          ipv6: { lossV6: null, lossV4: null, websiteRate: null },
          mlpsScore: null,
          activeAlerts: 0,
        },
      ]);
      const anon = await request(`${base}/api/v1/summary`);
      expect(anon.statusCode).toBe(401);
      await anon.body.dump();
    } finally {
      await c.close();
    }
  });
});
