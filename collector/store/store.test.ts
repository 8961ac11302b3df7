import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../contract/types.js';
import { vendorOf } from './devices.js';
import { factProvenance } from './facts.js';
import { Store } from './store.js';

const dir = () => mkdtempSync(join(tmpdir(), 'xj-store-'));
const rep = (seq: number, over: Partial<Report> = {}): Report => ({
  v: 1,
  node: { id: 'n1', site: 'town', zone: 'extranet', grade: 3, labels: {} },
  agent: { version: 't', interval: 60 },
  seq,
  sentAt: seq * 1000,
  samples: [],
  ...over,
});

describe('receipts and streams', () => {
  it('dedups on (node, stream, seq): a reset agent with a new stream is stored, a resend is not', () => {
    const s = new Store(dir());
    expect(s.recordReport(rep(1, { stream: 'aaaaaaaa' }), 1).stored).toBe(true);
    expect(s.recordReport(rep(119, { stream: 'aaaaaaaa' }), 2).stored).toBe(true);
    expect(s.recordReport(rep(119, { stream: 'aaaaaaaa' }), 3).stored).toBe(false);
    // the agent's data dir was reset: seq 1 again, on a new stream
    const reset = s.recordReport(rep(1, { stream: 'bbbbbbbb' }), 4);
    expect(reset).toMatchObject({ stored: true, newStream: true });
    expect(s.recordReport(rep(2, { stream: 'bbbbbbbb' }), 5)).toMatchObject({ stored: true, newStream: false });
    const n = s.nodes()[0]!;
    expect(n.lastSeq).toBe(2);
    expect(n.streams.map((x) => [x.stream, x.highSeq, x.reports])).toEqual([
      ['bbbbbbbb', 2, 2],
      ['aaaaaaaa', 119, 2],
    ]);
    s.close();
  });

  it("prunes old receipts and keeps dedup through the streams' pruned mark", () => {
    const s = new Store(dir());
    for (let i = 1; i <= 5; i++) s.recordReport(rep(i), i * 1000);
    expect(s.receipts.prune(3500)).toBe(3);
    expect(s.seqs('n1')).toEqual([4, 5]);
    // a resend of a pruned report is still a duplicate
    expect(s.recordReport(rep(2), 10_000).stored).toBe(false);
    expect(s.recordReport(rep(6), 10_000).stored).toBe(true);
    s.close();
  });

  it('takes over a database made before per-domain migrations', () => {
    const d = dir();
    const db = new Database(join(d, 'collector.db'));
    db.exec(`CREATE TABLE nodes (id TEXT PRIMARY KEY, site TEXT NOT NULL, zone TEXT NOT NULL, grade INTEGER NOT NULL, labels TEXT NOT NULL,
      agent_version TEXT NOT NULL, interval REAL NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, last_seq INTEGER NOT NULL, reports INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE tokens (id INTEGER PRIMARY KEY, node_id TEXT NOT NULL, digest BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER);
      CREATE TABLE reports (node_id TEXT NOT NULL, seq INTEGER NOT NULL, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL, samples INTEGER NOT NULL, PRIMARY KEY (node_id, seq)) WITHOUT ROWID;
      CREATE TABLE facts (node_id TEXT PRIMARY KEY, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE TABLE seen_signatures (node_id TEXT NOT NULL, signature TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (node_id, signature)) WITHOUT ROWID;
      INSERT INTO nodes VALUES ('old', 's', 'extranet', 2, '{}', '0.1', 60, 1, 2, 7, 7);
      INSERT INTO reports VALUES ('old', 7, 1, 2, 3);
      INSERT INTO facts VALUES ('old', 5, 6, '{"host.inventory":{"hostname":"h"}}');
      PRAGMA user_version = 2;`);
    db.close();
    const s = new Store(d);
    expect(s.recordReport(rep(7, { node: { id: 'old', site: 's', zone: 'extranet', grade: 2, labels: {} } }), 9).stored).toBe(false);
    expect(s.latestFacts('old')?.facts).toEqual({ 'host.inventory': { hostname: 'h' } });
    expect(s.nodes()[0]).toMatchObject({ id: 'old', lastSeq: 7 });
    s.close();
  });
});

describe('facts with provenance and history', () => {
  it.each([
    ['first time: the report time', undefined, 'd1', true, 5000, 'ok'],
    ['changed content: the report time', { digest: 'd0', collectedAt: 1000 }, 'd1', true, 5000, 'ok'],
    ['unchanged resend: the old time', { digest: 'd1', collectedAt: 1000 }, 'd1', true, 1000, 'ok'],
    ['unchanged resend of a failing source: stale, old time', { digest: 'd1', collectedAt: 1000 }, 'd1', false, 1000, 'stale'],
  ] as const)('%s', (_n, prev, digest, up, collectedAt, status) => {
    expect(factProvenance(rep(5), 'host.posture', digest, prev, () => up)).toEqual({ collectedAt, source: 'posture', status });
  });

  it("prefers the agent's factsMeta", () => {
    const r = rep(5, { factsMeta: { 'host.posture': { collectedAt: 4200, source: 'posture', status: 'stale' } } });
    expect(factProvenance(r, 'host.posture', 'd', undefined, () => true)).toEqual({ collectedAt: 4200, source: 'posture', status: 'stale' });
  });

  it('stores groups apart, reports what changed, keeps a history row per change', () => {
    const s = new Store(dir());
    const a = s.recordReport(rep(1, { facts: { 'host.inventory': { h: 1 }, 'host.posture': { x: 1 } } }), 10);
    expect(a.changedFacts.map((g) => g.group).sort()).toEqual(['host.inventory', 'host.posture']);
    const b = s.recordReport(rep(2, { facts: { 'host.inventory': { h: 1 }, 'host.posture': { x: 2 } } }), 20);
    expect(b.changedFacts.map((g) => [g.group, g.collectedAt])).toEqual([['host.posture', 2000]]);
    const c = s.recordReport(rep(3, { facts: { 'host.inventory': { h: 1 }, 'host.posture': { x: 2 } } }), 30);
    expect(c.changedFacts).toEqual([]);
    const f = s.latestFacts('n1')!;
    expect(f.groups).toEqual([
      { group: 'host.inventory', collectedAt: 1000, receivedAt: 30, status: 'ok' },
      { group: 'host.posture', collectedAt: 2000, receivedAt: 30, status: 'ok' },
    ]);
    expect(s.facts.history('n1', 'host.posture').map((h) => [h.value, h.collectedAt])).toEqual([
      [{ x: 2 }, 2000],
      [{ x: 1 }, 1000],
    ]);
    s.close();
  });
});

describe('devices', () => {
  it.each([
    ['1.3.6.1.4.1.2011.2.23.1', 'huawei'],
    ['.1.3.6.1.4.1.25506.1.1', 'h3c'],
    ['1.3.6.1.4.1.4881.1.1.10.1.1', 'ruijie'],
    ['1.3.6.1.4.1.9.1.516', 'cisco'],
    ['1.3.6.1.4.1.99999.1', 'enterprise-99999'],
    ['', null],
  ])('vendor of %s is %s', (oid, vendor) => expect(vendorOf(oid)).toBe(vendor));

  it("lists SNMP targets as assets with identity, polling node and the target's site/zone/grade", () => {
    const s = new Store(dir());
    s.recordReport(
      rep(1, {
        samples: [
          { name: 'sysName', labels: { target: 'core', sysName: 'CORE-SW1' }, value: 1, type: 'info', ts: 1 },
          { name: 'xunjian_snmp_up', labels: { target: 'core', zone: 'gov-cloud', grade: '2' }, value: 1, type: 'gauge', ts: 1 },
        ],
        facts: {
          'network.device.core': {
            sysObjectID: '1.3.6.1.4.1.2011.2.23.1',
            sysDescr: 'Huawei VRP V200R019',
            firmware: { os: 'VRP', version: 'V200R019C10' },
            lastPollOk: true,
          },
        },
      }),
      5,
    );
    expect(s.devices.list()).toEqual([
      {
        id: 'n1/core',
        node: 'n1',
        target: 'core',
        sysName: 'CORE-SW1',
        sysObjectID: '1.3.6.1.4.1.2011.2.23.1',
        sysDescr: 'Huawei VRP V200R019',
        vendor: 'huawei',
        firmware: 'V200R019C10',
        serial: null,
        site: 'town',
        zone: 'gov-cloud',
        grade: 2,
        firstSeen: 5,
        lastSeen: 5,
        lastPollOk: true,
      },
    ]);
    s.close();
  });
});
