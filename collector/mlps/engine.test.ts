import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fact, PostureFacts } from '../../contract/facts/posture.js';
import { MlpsEngine, renderTarget } from './engine.js';
import { type FixtureName, fixtureFacts } from './fixtures.js';
import { type Pack, loadPack } from './pack.js';
import { parseParams } from './params.js';
import { MlpsStore } from './store.js';

let facts: Record<FixtureName, PostureFacts>;
let pack3: Pack;
let pack2: Pack;
beforeAll(async () => {
  facts = await fixtureFacts();
  pack3 = loadPack(3);
  pack2 = loadPack(2);
});

const rootYes: Fact = { status: 'ok', value: 'yes', evidence: [{ source: '/etc/ssh/sshd_config', line: 3, excerpt: 'PermitRootLogin yes' }] };

describe('MlpsEngine', () => {
  it('evaluates a node, reports pass → fail regressions, and not on the first evaluation or when nothing changed', () => {
    let now = new Date(facts['debian-hardened'].collectedAt);
    const engine = new MlpsEngine({ packs: { 2: pack2, 3: pack3 }, now: () => now });
    const meta = { grade: 3 as const, zone: 'extranet', collectedAt: facts['debian-hardened'].collectedAt };
    const first = engine.evaluateNode('web-01', facts['debian-hardened'].facts, meta);
    expect(first.regressions).toEqual([]);
    expect(first.evaluation.score.ratio).toBe(45 / 48);
    expect(engine.evaluateNode('web-01', facts['debian-hardened'].facts, meta).regressions).toEqual([]);
    now = new Date(now.getTime() + 60_000);
    const changed = engine.evaluateNode('web-01', { ...facts['debian-hardened'].facts, 'ssh.permitRootLogin': rootYes }, meta);
    expect(changed.regressions.map((r) => [r.node, r.grade, r.check, r.clause, r.at])).toEqual([
      ['web-01', 3, 'host.access.ssh-root-login', '8.1.4.2 b', now.toISOString()],
    ]);
    expect(changed.regressions[0]!.result.evidence).toEqual([
      { fact: 'ssh.permitRootLogin', value: '"yes"', source: '/etc/ssh/sshd_config', line: 3, excerpt: 'PermitRootLogin yes' },
    ]);
    // fail → pass is no regression; a grade change compares nothing
    expect(engine.evaluateNode('web-01', facts['debian-hardened'].facts, meta).regressions).toEqual([]);
    expect(engine.evaluateNode('web-01', { ...facts['debian-hardened'].facts, 'ssh.permitRootLogin': rootYes }, { ...meta, grade: 2 }).regressions).toEqual([]);
    expect(() => engine.evaluateNode('x', {}, { grade: 3, collectedAt: null })).not.toThrow();
    expect(() => new MlpsEngine({ packs: { 3: pack3 } }).evaluateNode('x', {}, { grade: 2, collectedAt: null })).toThrow('no MLPS pack loaded for level 2');
  });
  it('parameters per zone through reload', () => {
    const now = new Date(facts['debian-hardened'].collectedAt);
    const engine = new MlpsEngine({ packs: { 3: pack3 }, now: () => now });
    const meta = { grade: 3 as const, zone: 'debian', collectedAt: facts['debian-hardened'].collectedAt };
    expect(engine.evaluateNode('a', facts['debian-hardened'].facts, meta).evaluation.results.find((r) => r.check === 'host.access.shadow-mode')!.status).toBe(
      'fail',
    );
    engine.reload({ packs: { 3: pack3 }, params: parseParams('zones:\n  debian:\n    shadowMaxMode: "0640"\n', 'p.yaml', pack3) });
    expect(engine.evaluateNode('a', facts['debian-hardened'].facts, meta).evaluation.results.find((r) => r.check === 'host.access.shadow-mode')!.status).toBe(
      'pass',
    );
  });
  it('metrics: check status (1 pass, 0 fail, -1 unknown) and score ratios per target', () => {
    const now = new Date(facts['kylin-weak'].collectedAt);
    const engine = new MlpsEngine({ packs: { 3: pack3 }, now: () => now });
    expect(engine.metrics()).toBe('');
    engine.evaluateNode('town-"7"', facts['kylin-weak'].facts, { grade: 3, collectedAt: facts['kylin-weak'].collectedAt });
    const text = engine.metrics();
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      '# HELP xunjian_mlps_check_status MLPS 2.0 check result per target: 1 pass, 0 fail, -1 unknown (not applicable and manual results are not exported).',
      '# TYPE xunjian_mlps_check_status gauge',
    ]);
    expect(lines).toContain('xunjian_mlps_check_status{node="town-\\"7\\"",grade="3",check="host.ident.lockout",clause="8.1.4.1 b"} 0');
    expect(lines).toContain('xunjian_mlps_check_status{node="town-\\"7\\"",grade="3",check="host.ident.uid0",clause="8.1.4.1 a"} 1');
    expect(lines).toContain('xunjian_mlps_check_status{node="town-\\"7\\"",grade="3",check="host.intrusion.security-updates",clause="8.1.4.4 e"} -1');
    expect(text).not.toContain('check="host.access.account-allowlist"'); // not applicable
    expect(text).not.toContain('check="host.backup.job"'); // manual
    expect(lines).toContain(`xunjian_mlps_score_ratio{node="town-\\"7\\"",grade="3",clause="all"} ${10 / 46}`);
    expect(lines).toContain('xunjian_mlps_score_ratio{node="town-\\"7\\"",grade="3",clause="8.1.3"} 0');
    // 8.1.4.6 of kylin-weak: both checks unknown, no ratio to export
    expect(text).not.toContain('clause="8.1.4.6"');
    expect(
      renderTarget(engine.get('town-"7"')!)
        .score.split('\n')
        .filter((l) => l.includes('clause="8.1.4.5"')),
    ).toEqual(['xunjian_mlps_score_ratio{node="town-\\"7\\"",grade="3",clause="8.1.4.5"} 0']);
    engine.remove('town-"7"');
    expect(engine.metrics()).toBe('');
  });
});

describe('MlpsStore (SQLite)', () => {
  it('results with since-when, history of status changes, checks gone from the pack removed', () => {
    const db = new Database(':memory:');
    const store = new MlpsStore(db);
    let now = new Date('2026-12-01T00:00:00.000Z');
    const engine = new MlpsEngine({ packs: { 3: pack3 }, now: () => now });
    const collectedAt = () => now.toISOString();
    const a = engine.evaluateNode('web-01', facts['debian-hardened'].facts, { grade: 3, collectedAt: collectedAt() }).evaluation;
    const first = store.record(a);
    expect(first).toHaveLength(a.results.length);
    expect(first.every((c) => c.from === null)).toBe(true);
    now = new Date('2026-12-02T00:00:00.000Z');
    expect(store.record(engine.evaluateNode('web-01', facts['debian-hardened'].facts, { grade: 3, collectedAt: collectedAt() }).evaluation)).toEqual([]);
    now = new Date('2026-12-03T00:00:00.000Z');
    const c = store.record(
      engine.evaluateNode('web-01', { ...facts['debian-hardened'].facts, 'ssh.permitRootLogin': rootYes }, { grade: 3, collectedAt: collectedAt() }).evaluation,
    );
    expect(c).toEqual([{ check: 'host.access.ssh-root-login', from: 'pass', to: 'fail' }]);
    const rows = store.results('web-01');
    expect(rows).toHaveLength(a.results.length);
    expect(rows.find((r) => r.check === 'host.access.ssh-root-login')).toMatchObject({
      status: 'fail',
      since: '2026-12-03T00:00:00.000Z',
      evaluatedAt: '2026-12-03T00:00:00.000Z',
      packVersion: pack3.version,
      evidence: [{ excerpt: 'PermitRootLogin yes' }],
    });
    expect(rows.find((r) => r.check === 'host.ident.uid0')).toMatchObject({
      status: 'pass',
      since: '2026-12-01T00:00:00.000Z',
      evaluatedAt: '2026-12-03T00:00:00.000Z',
    });
    expect(store.history('web-01', 'host.access.ssh-root-login')).toEqual([
      { status: 'pass', at: '2026-12-01T00:00:00.000Z', grade: 3 },
      { status: 'fail', at: '2026-12-03T00:00:00.000Z', grade: 3 },
    ]);
    // a check no longer in the pack leaves the results (its history stays)
    const fewer = structuredClone(a);
    fewer.results = fewer.results.filter((r) => r.check !== 'host.ident.uid0');
    store.record(fewer);
    expect(store.results('web-01').some((r) => r.check === 'host.ident.uid0')).toBe(false);
    expect(store.history('web-01', 'host.ident.uid0')).toHaveLength(1);
  });
  it('exceptions: until a date, with reason and who; refused without them', () => {
    const store = new MlpsStore(new Database(':memory:'));
    const now = new Date('2026-12-03T08:00:00Z');
    store.setException({ target: 'kylin-01', check: 'host.ident.lockout', until: '2027-01-31', reason: '整改中', by: 'secofficer' }, now);
    store.setException({ target: 'kylin-01', check: 'host.access.selinux', until: '2026-11-30', reason: '已过期', by: 'secofficer' }, now);
    expect(store.exceptions('2026-12-03')).toEqual([
      { target: 'kylin-01', check: 'host.ident.lockout', until: '2027-01-31', reason: '整改中', by: 'secofficer' },
    ]);
    expect(store.exceptions('2027-02-01')).toEqual([]);
    // renewed by someone else
    store.setException({ target: 'kylin-01', check: 'host.ident.lockout', until: '2027-03-31', reason: '延期', by: 'ciso' }, now);
    expect(store.exceptions('2026-12-03')[0]).toMatchObject({ until: '2027-03-31', by: 'ciso' });
    expect(() => store.setException({ target: 'x', check: 'y', until: '31.01.2027', reason: 'r', by: 'b' }, now)).toThrow(
      'until: 31.01.2027: expected a date YYYY-MM-DD',
    );
    expect(() => store.setException({ target: 'x', check: 'y', until: '2027-01-31', reason: ' ', by: 'b' }, now)).toThrow('reason: required');
    expect(store.removeException('kylin-01', 'host.ident.lockout')).toBe(true);
    expect(store.removeException('kylin-01', 'host.ident.lockout')).toBe(false);
  });
});

describe('collector facts (8.1.5)', () => {
  it('built from config and state, evaluated as the collector target', async () => {
    const { collectorFacts } = await import('./collector-facts.js');
    const f = collectorFacts({
      configFile: '/etc/xunjian/collector.yaml',
      tls: true,
      mutualTls: false,
      perNodeTokens: true,
      signatureAlgorithms: ['hmac-sha256'],
      audit: { enabled: true, retentionDays: 365 },
      roles: ['admin', 'security'],
      monitoring: { nodes: 12, nodesReporting: 12, devices: 3 },
      retention: { factsHistoryDays: null, auditLogDays: 365 },
      alerting: { rules: 4, receivers: 1 },
    });
    expect(f['collector.agentChannel']!.evidence[0]).toEqual({
      source: '/etc/xunjian/collector.yaml',
      excerpt: 'tls: on; ingest.signatureAlgorithms: hmac-sha256; per-node tokens: true',
    });
    const engine = new MlpsEngine({ packs: { 3: pack3 }, now: () => new Date('2026-12-03T08:00:00Z') });
    const e = engine.evaluateNode('collector', f, { grade: 3, kind: 'collector', collectedAt: '2026-12-03T08:00:00Z' }).evaluation;
    // everything but SM3: hmac-sm3 is not among the accepted algorithms
    expect(e.results.filter((r) => r.status !== 'pass').map((r) => r.check)).toEqual(['collector.channel.secure']);
  });
});
