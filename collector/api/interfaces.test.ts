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
import { interfaceRow, nodeInterfaces } from './interfaces.js';
import type { SeriesPoint } from './summary.js';

const s = (name: string, labels: Record<string, string>, value: number): SeriesPoint => ({ labels: { __name__: name, ...labels }, value });
const row = interfaceRow;
const sw = { target: 'core-sw1' };
const if10 = { ...sw, ifIndex: '10', ifName: 'GE0/0/1', ifDescr: 'GigabitEthernet0/0/1', ifAlias: 'uplink-10' };

describe('nodeInterfaces', () => {
  it.each<[string, SeriesPoint[], ReturnType<typeof nodeInterfaces>]>([
    ['no series: no device', [], []],
    ['series without a target (host, probes) are not devices', [s('node_load1', {}, 1), s('ifOperStatus', { ifIndex: '1' }, 1)], []],
    ['a device that answered nothing yet: up only', [s('xunjian_snmp_up', sw, 0)], [{ target: 'core-sw1', up: false, interfacesDown: 0, interfaces: [] }]],
    [
      'statuses, names from any series, speed from ifHighSpeed, the agent rates as they are',
      [
        s('xunjian_snmp_up', sw, 1),
        s('ifAdminStatus', if10, 1),
        s('ifOperStatus', if10, 1),
        s('ifHighSpeed', if10, 1000),
        s('ifSpeed', if10, 4294967295),
        // link series carry only ifIndex and ifName
        s('xunjian_link_in_bits_per_second', { ...sw, ifIndex: '10', ifName: 'GE0/0/1' }, 100_000_000),
        s('xunjian_link_out_bits_per_second', { ...sw, ifIndex: '10', ifName: 'GE0/0/1' }, 10_000_000),
        s('xunjian_link_in_utilization_ratio', { ...sw, ifIndex: '10', ifName: 'GE0/0/1' }, 0.1),
        s('xunjian_link_out_utilization_ratio', { ...sw, ifIndex: '10', ifName: 'GE0/0/1' }, 0.01),
        s('xunjian_link_in_errors_per_second', { ...sw, ifIndex: '10', ifName: 'GE0/0/1' }, 2),
        s('xunjian_link_out_errors_per_second', { ...sw, ifIndex: '10', ifName: 'GE0/0/1' }, 0),
        s('xunjian_link_in_discards_per_second', { ...sw, ifIndex: '10', ifName: 'GE0/0/1' }, 0.5),
        s('xunjian_link_out_discards_per_second', { ...sw, ifIndex: '10', ifName: 'GE0/0/1' }, 0),
      ],
      [
        {
          target: 'core-sw1',
          up: true,
          interfacesDown: 0,
          interfaces: [
            row('10', {
              ifName: 'GE0/0/1',
              ifDescr: 'GigabitEthernet0/0/1',
              ifAlias: 'uplink-10',
              adminStatus: 'up',
              operStatus: 'up',
              speedBps: 1e9,
              inBps: 100_000_000,
              outBps: 10_000_000,
              inUtilization: 0.1,
              outUtilization: 0.01,
              inErrorsPerSecond: 2,
              outErrorsPerSecond: 0,
              inDiscardsPerSecond: 0.5,
              outDiscardsPerSecond: 0,
            }),
          ],
        },
      ],
    ],
    [
      'down: admin up and oper not up; admin down is not; admin unknown counts; ifIndex in numeric order; a value outside the MIB is null',
      [
        s('ifAdminStatus', { ...sw, ifIndex: '2' }, 2),
        s('ifOperStatus', { ...sw, ifIndex: '2' }, 2),
        s('ifOperStatus', { ...sw, ifIndex: '10' }, 7),
        s('ifAdminStatus', { ...sw, ifIndex: '9' }, 1),
        s('ifOperStatus', { ...sw, ifIndex: '9' }, 2),
        s('ifOperStatus', { ...sw, ifIndex: '11' }, 9),
        s('ifOperStatus', { ...sw, ifIndex: '12' }, Number.NaN),
      ],
      [
        {
          target: 'core-sw1',
          up: null,
          interfacesDown: 2,
          interfaces: [
            row('2', { adminStatus: 'down', operStatus: 'down' }),
            row('9', { adminStatus: 'up', operStatus: 'down', down: true }),
            row('10', { operStatus: 'lowerLayerDown', down: true }),
            row('11'),
            row('12'),
          ],
        },
      ],
    ],
    [
      'speed: ifSpeed without ifHighSpeed; ifHighSpeed 0 falls back to ifSpeed (a link under 1 Mbit/s)',
      [s('ifSpeed', { ...sw, ifIndex: '1' }, 100_000_000), s('ifHighSpeed', { ...sw, ifIndex: '2' }, 0), s('ifSpeed', { ...sw, ifIndex: '2' }, 64_000)],
      [{ target: 'core-sw1', up: null, interfacesDown: 0, interfaces: [row('1', { speedBps: 1e8 }), row('2', { speedBps: 64_000 })] }],
    ],
    [
      'two devices, by target; the same ifIndex on each is another interface',
      [
        s('ifOperStatus', { target: 'z-acc', ifIndex: '1' }, 2),
        s('ifOperStatus', { target: 'a-core', ifIndex: '1' }, 1),
        s('xunjian_snmp_up', { target: 'z-acc' }, 1),
      ],
      [
        { target: 'a-core', up: null, interfacesDown: 0, interfaces: [row('1', { operStatus: 'up' })] },
        { target: 'z-acc', up: true, interfacesDown: 1, interfaces: [row('1', { operStatus: 'down', down: true })] },
      ],
    ],
  ])('%s', (_, series, expected) => {
    expect(nodeInterfaces(series)).toEqual(expected);
  });
});

describe('GET /api/v1/nodes/:id/interfaces on a real collector (router, API token, series store)', () => {
  it('answers a viewer from the node series; 404 for an unknown node; 401 without a token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-interfaces-'));
    const cfg = loadConfig<CollectorConfig>(collectorConfigSpec, undefined, { XUNJIAN_COLLECTOR__LISTEN: '127.0.0.1:0', XUNJIAN_COLLECTOR__DATADIR: dir });
    const c = new Collector(cfg, createLogger({ level: 'error' }));
    try {
      const base = `http://127.0.0.1:${(await c.listen()).port}`;
      const now = Date.now();
      const g = (name: string, labels: Record<string, string>, value: number) => ({ name, labels, value, type: 'gauge' as const, ts: now });
      const link = { target: 'core-sw1', ifIndex: '11', ifName: 'GE0/0/2' };
      for (const [id, samples] of [
        [
          'county-core',
          [
            g('xunjian_snmp_up', { target: 'core-sw1' }, 1),
            g('ifAdminStatus', { ...link, ifDescr: 'GigabitEthernet0/0/2', ifAlias: '' }, 1),
            g('ifOperStatus', { ...link, ifDescr: 'GigabitEthernet0/0/2', ifAlias: '' }, 2),
            g('ifHighSpeed', { ...link, ifDescr: 'GigabitEthernet0/0/2', ifAlias: '' }, 1000),
            g('xunjian_link_in_bits_per_second', link, 250_000_000),
            g('xunjian_link_in_utilization_ratio', link, 0.25),
            g('xunjian_link_in_errors_per_second', link, 1.5),
          ],
        ],
        // another node's device of the same name is not county-core's
        ['town-01', [g('ifOperStatus', { target: 'core-sw1', ifIndex: '1' }, 1), g('node_load1', {}, 0.5)]],
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
      const get = async (path: string, token?: string) => {
        const res = await request(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
      };
      const r = await get('/api/v1/nodes/county-core/interfaces', viewer);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        node: 'county-core',
        generatedAt: expect.any(Number),
        devices: [
          {
            target: 'core-sw1',
            up: true,
            interfacesDown: 1,
            interfaces: [
              row('11', {
                ifName: 'GE0/0/2',
                ifDescr: 'GigabitEthernet0/0/2',
                adminStatus: 'up',
                operStatus: 'down',
                down: true,
                speedBps: 1e9,
                inBps: 250_000_000,
                inUtilization: 0.25,
                inErrorsPerSecond: 1.5,
              }),
            ],
          },
        ],
      });
      expect(await get('/api/v1/nodes/town-01/interfaces', viewer)).toMatchObject({
        status: 200,
        body: { node: 'town-01', devices: [{ target: 'core-sw1', up: null, interfacesDown: 0, interfaces: [row('1', { operStatus: 'up' })] }] },
      });
      expect(await get('/api/v1/nodes/nowhere/interfaces', viewer)).toEqual({ status: 404, body: { error: 'not_found', message: "no node 'nowhere'" } });
      expect((await get('/api/v1/nodes/county-core/interfaces')).status).toBe(401);
    } finally {
      await c.close();
    }
  });
});
