import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPosture, postureWire } from '../../agent/sources/posture/collect.js';
import type { PostureFacts } from '../../contract/facts/posture.js';
import type { Report } from '../../contract/types.js';
import { createLogger } from '../../lib/log.js';
import type { CollectorConfig } from '../config.js';
import { Collector } from '../server.js';
import { BIN } from '../../test/helpers/proc.js';
import { postReport, testCollectorConfig } from '../test-support.js';
import type { MlpsComponent } from './component.js';
import { evaluateTarget } from './evaluate.js';
import { fixtureRoot } from './fixtures.js';
import { loadPack } from './pack.js';
import { NO_OVERRIDES, resolveParams } from './params.js';

/**
 * The MLPS component in a real in-process collector: signed reports carrying the posture fixtures'
 * facts through HTTP ingest, results over the compliance API, metrics, MlpsCheckFailed alerts in the
 * alerts component, exceptions in the audit log and the report, and a restart on the same data dir.
 */
let cfg: CollectorConfig;
let c: Collector;
let base: string;
let nodeToken: string;
const tok: Record<string, string> = {};
let weak: PostureFacts;
let hardened: PostureFacts;
let seq = 0;

let next: CollectorConfig | undefined;
let shift = 0;
async function open(): Promise<void> {
  c = new Collector(
    cfg,
    createLogger({ level: 'error' }),
    () => Date.now() + shift,
    () => next ?? cfg,
  );
  base = `http://127.0.0.1:${(await c.listen()).port}`;
}

beforeAll(async () => {
  cfg = testCollectorConfig();
  [weak, hardened] = await Promise.all([collectPosture(fixtureRoot('debian-weak'), 5), collectPosture(fixtureRoot('debian-hardened'), 5)]);
  await open();
  nodeToken = c.store.createToken('web1');
  for (const r of ['viewer', 'security', 'admin'] as const) tok[r] = c.store.apiTokens.create(`t-${r}`, r).token;
}, 60_000);
afterAll(() => c?.close());

const mlps = () => c.components.find((x) => x.name === 'mlps') as MlpsComponent;

async function post(p: PostureFacts | Record<string, unknown>): Promise<void> {
  const r: Report = {
    v: 1,
    node: { id: 'web1', site: 'town', zone: 'extranet', grade: 3, labels: {} },
    agent: { version: 't', interval: 60 },
    stream: 'stream-web1',
    seq: ++seq,
    sentAt: Date.now(),
    samples: [],
    facts: 'facts' in p ? { 'host.posture': postureWire(p as PostureFacts) } : p,
  };
  const ans = (await postReport(base, nodeToken, r)).body;
  expect(ans).toMatchObject({ status: 'accepted' });
  await new Promise((r) => setImmediate(r));
  await mlps().idle();
}

async function api(path: string, o: { role?: string; method?: 'GET' | 'POST' | 'DELETE'; body?: unknown } = {}) {
  const r = await request(`${base}${path}`, {
    method: o.method ?? 'GET',
    headers: { authorization: `Bearer ${tok[o.role ?? 'security']}`, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const buf = Buffer.from(await r.body.arrayBuffer());
  const type = String(r.headers['content-type'] ?? '');
  // biome-ignore lint/suspicious/noExplicitAny: response bodies of several routes; the assertions check their shape
  const body: any = type.startsWith('application/json') ? JSON.parse(buf.toString('utf8')) : undefined;
  return { status: r.statusCode, type, buf, text: buf.toString('utf8'), json: body };
}

const expected = (p: PostureFacts) => {
  const pack = loadPack(3);
  const target = { id: 'web1', kind: 'host' as const, zone: 'extranet', site: 'town', facts: p.facts, collectedAt: new Date().toISOString() };
  return evaluateTarget(pack, target, { params: resolveParams(pack, NO_OVERRIDES, target), now: new Date() });
};
const mlpsAlerts = async (state: 'firing' | 'resolved') =>
  (
    (await api(`/api/v1/alerts/active?state=${state}`, { role: 'viewer' })).json.alerts as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      startsAt: number;
    }[]
  ).filter((a) => a.labels.alertname === 'MlpsCheckFailed');

describe('MLPS component in the collector', () => {
  it('evaluates the collector itself at start', async () => {
    const r = await api('/api/v1/compliance/collector');
    expect(r.status).toBe(200);
    const byCheck = Object.fromEntries((r.json.evaluation.results as { check: string; status: string }[]).map((x) => [x.check, x.status]));
    // no TLS on the test listener; hmac-sm3 accepted by default; audit retention 180 d
    expect(byCheck['collector.channel.secure']).toBe('fail');
    expect(byCheck['collector.audit.central-retention']).toBe('pass');
    const alerting = (r.json.evaluation.results as { check: string; evidence: { excerpt?: string }[] }[]).find(
      (x) => x.check === 'collector.alerting.security-events',
    );
    // the shipped alert rules are counted (from the rules component's gauge); no receiver configured
    expect(alerting?.evidence[0]?.excerpt).toMatch(/^alert rules [1-9]\d*, receivers 0$/);
  });

  it('a report with debian-weak facts: results, failing checks with evidence, score; metrics', async () => {
    await post(weak);
    const want = expected(weak);
    const failing = want.results.filter((r) => r.status === 'fail').map((r) => r.check);
    expect(failing).toEqual(
      expect.arrayContaining(['host.ident.uid0', 'host.ident.empty-passwords', 'host.ident.lockout', 'host.access.passwd-mode', 'host.audit.retention']),
    );
    const r = await api('/api/v1/compliance?node=web1');
    expect(r.status).toBe(200);
    expect(r.json.total).toBe(1);
    const t = r.json.targets[0];
    expect(t).toMatchObject({
      target: 'web1',
      kind: 'host',
      site: 'town',
      zone: 'extranet',
      grade: 3,
      score: want.score.ratio,
      counts: { passed: want.score.passed, failed: want.score.failed, unknown: want.score.unknown },
    });
    expect(t.pack.version).toBe(loadPack(3).version);
    expect(t.failing.map((f: { check: string }) => f.check)).toEqual(failing);
    const uid0 = t.failing.find((f: { check: string }) => f.check === 'host.ident.uid0');
    expect(JSON.stringify(uid0.evidence)).toContain('toor');
    expect([c.hub.mlpsScore?.('web1'), c.hub.mlpsScore?.('nobody')]).toEqual([want.score.ratio, null]);
    expect((await api('/api/v1/compliance?site=elsewhere')).json.total).toBe(0);
    expect((await api('/api/v1/compliance?status=bogus')).status).toBe(400);
    expect((await api(`/api/v1/compliance/${encodeURIComponent('web1')}`)).json.evaluation.score).toEqual(want.score);
    expect((await api('/api/v1/compliance/nope')).status).toBe(404);

    const m = await api('/metrics', { role: 'admin' });
    expect(m.text).toContain('xunjian_mlps_check_status{node="web1",grade="3",check="host.ident.uid0",clause="8.1.4.1 a"} 0');
    expect(m.text).toContain(`xunjian_mlps_score_ratio{node="web1",grade="3",clause="all"} ${want.score.ratio}`);
    expect(m.text).toMatch(/^xunjian_mlps_evaluations_total [1-9]/m);
  });

  it('viewer is refused the compliance routes', async () => {
    for (const p of ['/api/v1/compliance', '/api/v1/compliance/web1', '/api/v1/compliance/report?format=md', '/api/v1/compliance/exceptions'])
      expect([p, (await api(p, { role: 'viewer' })).status]).toEqual([p, 403]);
  });

  it('pass → fail raises MlpsCheckFailed, fail → pass resolves it; history records both', async () => {
    expect(await mlpsAlerts('firing')).toEqual([]); // the first evaluation is no regression
    await post(hardened);
    await post(weak);
    const firing = await mlpsAlerts('firing');
    const uid0 = firing.find((a) => a.labels.check === 'host.ident.uid0');
    expect(uid0?.labels).toEqual({
      alertname: 'MlpsCheckFailed',
      category: 'mlps',
      severity: 'warning',
      node: 'web1',
      check: 'host.ident.uid0',
      clause: '8.1.4.1 a',
      grade: '3',
    });
    expect(uid0?.annotations.summary_zh).toContain('等保');
    expect(uid0?.annotations.description).toContain('toor');
    const h = await api(`/api/v1/compliance/web1/history/${encodeURIComponent('host.ident.uid0')}`);
    expect(h.json.history.map((x: { status: string }) => x.status)).toEqual(['fail', 'pass', 'fail']);
    await post(hardened);
    expect((await mlpsAlerts('firing')).find((a) => a.labels.check === 'host.ident.uid0')).toBeUndefined();
    expect((await mlpsAlerts('resolved')).map((a) => a.labels.check)).toContain('host.ident.uid0');
  });

  it('exceptions: bad input 400, create and delete audited, shown in the report, an exception resolves a firing alert', async () => {
    await post(weak); // uid0 fails again: firing
    expect((await mlpsAlerts('firing')).map((a) => a.labels.check)).toContain('host.ident.uid0');
    const bad = await api('/api/v1/compliance/exceptions', {
      method: 'POST',
      body: { target: 'web1', check: 'host.ident.uid0', until: 'tomorrow', reason: 'x' },
    });
    expect([bad.status, bad.json.error, bad.json.message]).toEqual([400, 'bad_request', 'until: expected a date YYYY-MM-DD']);
    expect(
      (await api('/api/v1/compliance/exceptions', { method: 'POST', body: { target: 'web1', check: 'no.such', until: '2099-01-01', reason: 'x' } })).status,
    ).toBe(400);
    const ok = await api('/api/v1/compliance/exceptions', {
      method: 'POST',
      body: { target: 'web1', check: 'host.ident.uid0', until: '2099-01-01', reason: '整改中：toor 账户待删除' },
    });
    expect(ok.status).toBe(201);
    expect(ok.json.exception).toMatchObject({ id: 'web1~host.ident.uid0', by: 't-security' });
    expect((await mlpsAlerts('firing')).map((a) => a.labels.check)).not.toContain('host.ident.uid0');
    expect((await api('/api/v1/compliance/exceptions')).json.exceptions).toHaveLength(1);
    const md = await api('/api/v1/compliance/report?format=md');
    expect(md.type).toBe('text/markdown; charset=utf-8');
    expect(md.text).toContain('整改中：toor 账户待删除');
    const del = await api(`/api/v1/compliance/exceptions/${encodeURIComponent('web1~host.ident.uid0')}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await api('/api/v1/compliance/report?format=md')).text).not.toContain('整改中：toor 账户待删除');
    const audit = c.audit.query({}).filter((e) => e.action.startsWith('mlps_exception.'));
    expect(audit.map((e) => [e.action, e.actor, e.target])).toEqual([
      ['mlps_exception.delete', 't-security', 'web1 host.ident.uid0'],
      ['mlps_exception.create', 't-security', 'web1 host.ident.uid0'],
    ]);
  });

  it('the report: HTML with the node and clause, CSV, JSON, PDF with Chinese text', async () => {
    const html = await api('/api/v1/compliance/report?format=html&node=web1');
    expect([html.status, html.type]).toEqual([200, 'text/html; charset=utf-8']);
    expect(html.text).toContain('web1');
    expect(html.text).toContain('8.1.4.1');
    expect((await api('/api/v1/compliance/report?format=csv')).type).toBe('text/csv; charset=utf-8');
    expect((await api('/api/v1/compliance/report?format=json')).json.targets.map((t: { target: { id: string } }) => t.target.id).sort()).toEqual([
      'collector',
      'web1',
    ]);
    expect((await api('/api/v1/compliance/report?format=json&node=web1')).json.targets.map((t: { target: { id: string } }) => t.target.id)).toEqual(['web1']);
    expect((await api('/api/v1/compliance/report?format=docx')).status).toBe(400);
    const pdf = await api('/api/v1/compliance/report?format=pdf&node=web1');
    expect([pdf.status, pdf.type, pdf.buf.subarray(0, 5).toString()]).toEqual([200, 'application/pdf', '%PDF-']);
    const f = join(mkdtempSync(join(tmpdir(), 'xj-mlps-pdf-')), 'r.pdf');
    writeFileSync(f, pdf.buf);
    const text = execFileSync('pdftotext', [f, '-'], { encoding: 'utf8' });
    expect(text).toContain('身份鉴别');
    expect(text).toContain('web1');
  }, 60_000);

  it('a network.device.<target> group evaluates the device <node>/<target>', async () => {
    const group = {
      addressResolved: true,
      sysDescr: 'Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170 (S5720 V200R011C10SPC500)',
      sysObjectID: '1.3.6.1.4.1.2011.2.23.1',
      firmware: { vendor: 'huawei', os: 'VRP', version: 'V200R011C10SPC500', platform: '5.170' },
      lastPollOk: true,
      profiles: ['if_mib', 'huawei'],
      answersV1: false,
      answersV2c: true,
      defaultCommunities: ['v2c:public'],
      snmpVersionUsed: '2c',
      v3: null,
      insecure: ['SNMPv2c community (cleartext)'],
    };
    await post({ 'network.device.core-sw1': group });
    const r = await api(`/api/v1/compliance/${encodeURIComponent('web1/core-sw1')}`);
    expect(r.status).toBe(200);
    expect(r.json.evaluation.target).toEqual({ id: 'web1/core-sw1', kind: 'network_device', zone: 'extranet', site: 'town' });
    expect(Object.fromEntries(r.json.evaluation.results.map((x: { check: string; status: string }) => [x.check, x.status]))).toEqual({
      'device.snmp.default-community': 'fail',
      'device.snmp.no-v1v2c': 'fail',
      'device.snmp.v3-auth': 'fail',
      'device.snmp.v3-priv': 'fail',
    });
    expect((await api('/api/v1/compliance?node=web1')).json.targets.map((t: { target: string }) => t.target)).toEqual(['web1', 'web1/core-sw1']);
    expect((await api('/metrics', { role: 'admin' })).text).toContain(
      'xunjian_mlps_check_status{node="web1/core-sw1",grade="3",check="device.snmp.v3-auth",clause="8.1.2.2 a"} 0',
    );
  });

  it('xunjian report mlps --collector fetches the report (token from --token-file or XUNJIAN_API_TOKEN, never printed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-mlps-cli-'));
    const tf = join(dir, 'security.token');
    writeFileSync(tf, `${tok.security}\n`, { mode: 0o600 });
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((ok) => {
        execFile(
          process.execPath,
          [BIN, 'report', 'mlps', '--collector', base, ...args],
          { env: { ...process.env, XUNJIAN_API_TOKEN: '', ...env }, encoding: 'utf8' },
          (err, stdout, stderr) => ok({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const md = await run(['--token-file', tf, '--node', 'web1', '--format', 'md']);
    expect([md.code, md.stderr]).toEqual([0, '']);
    expect(md.stdout).toContain('web1');
    const out = join(dir, 'r.csv');
    const csv = await run(['--format', 'csv', '-o', out], { XUNJIAN_API_TOKEN: tok.security! });
    expect(csv.code).toBe(0);
    expect(execFileSync('head', ['-1', out], { encoding: 'utf8' })).toMatch(/^target,kind,zone,site,grade,clause/);
    const denied = await run(['--format', 'md'], { XUNJIAN_API_TOKEN: tok.viewer! });
    expect([denied.code, denied.stderr.trim()]).toEqual([
      1,
      'xunjian report mlps: 403 forbidden: this route needs role security or higher; the token has viewer',
    ]);
    expect(denied.stderr).not.toContain(tok.viewer!);
    const none = await run(['--format', 'md']);
    expect([none.code, none.stderr.trim()]).toEqual([
      2,
      'xunjian report mlps: an API token of role security is needed: --token-file FILE or XUNJIAN_API_TOKEN',
    ]);
  }, 60_000);

  it('a restart on the same data dir keeps results and firing alerts without re-firing', async () => {
    const sent = /^xunjian_mlps_alerts_sent_total (\d+)/m;
    const before = await mlpsAlerts('firing');
    // the pass → fail regressions of the exception test's report, except uid0 (its exception resolved it)
    expect(before.length).toBeGreaterThan(10);
    expect(before.map((a) => a.labels.check)).not.toContain('host.ident.uid0');
    const score = (await api('/api/v1/compliance?node=web1')).json.targets[0].score;
    await c.close();
    await open();
    expect((await api('/api/v1/compliance?node=web1')).json.targets[0].score).toBe(score);
    const after = await mlpsAlerts('firing');
    // the restarted component re-sends what still fires (same startsAt), and raises nothing new
    expect(Number(sent.exec((await api('/metrics', { role: 'admin' })).text)?.[1])).toBe(before.length);
    expect(after.map((a) => [a.labels.check, a.startsAt]).sort()).toEqual(before.map((a) => [a.labels.check, a.startsAt]).sort());
    expect((await api(`/api/v1/compliance/web1/history/host.ident.uid0`)).json.history.map((x: { status: string }) => x.status)).toEqual([
      'fail',
      'pass',
      'fail',
      'pass',
      'fail',
    ]);
  });

  it('reload: the collector re-evaluated with the new config (a regression alerts); a bad rulesDir is refused', async () => {
    expect(
      (await api('/api/v1/compliance/collector')).json.evaluation.results.find((r: { check: string }) => r.check === 'collector.audit.central-retention')
        .status,
    ).toBe('pass');
    next = { ...cfg, retention: { ...cfg.retention, auditDays: 30 } };
    expect((await api('/api/v1/-/reload', { role: 'admin', method: 'POST' })).status).toBe(200);
    const r = (await api('/api/v1/compliance/collector')).json.evaluation.results.find(
      (x: { check: string }) => x.check === 'collector.audit.central-retention',
    );
    expect(r.status).toBe('fail');
    expect(JSON.stringify(r.evidence)).toContain('audit log: 30 days');
    // both checks that read the audit retention regress
    expect(
      (await mlpsAlerts('firing'))
        .filter((a) => a.labels.node === 'collector')
        .map((a) => [a.labels.check, a.labels.clause])
        .sort(),
    ).toEqual([
      ['collector.audit.auditor-role', '8.1.5.2 a'],
      ['collector.audit.central-retention', '8.1.5.4 d'],
    ]);
    next = { ...cfg, mlps: { ...cfg.mlps!, rulesDir: '/nonexistent/mlps' } };
    const bad = await api('/api/v1/-/reload', { role: 'admin', method: 'POST' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('/nonexistent/mlps');
    next = undefined;
  });

  it('facts that stopped coming turn unknown at the next evaluation from stored facts (a restart 2 days later), resolving their alerts', async () => {
    expect((await mlpsAlerts('firing')).filter((a) => a.labels.node === 'web1').length).toBeGreaterThan(10);
    await c.close();
    shift = 48 * 3_600_000;
    await open();
    const t = (await api('/api/v1/compliance?node=web1')).json.targets[0];
    expect(t.counts).toMatchObject({ passed: 0, failed: 0 });
    expect(t.score).toBeNull();
    const e = (await api('/api/v1/compliance/web1')).json.evaluation;
    expect(e.results.find((r: { check: string }) => r.check === 'host.ident.uid0')).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('is stale'),
    });
    expect((await mlpsAlerts('firing')).filter((a) => a.labels.node === 'web1')).toEqual([]);
  });
});
