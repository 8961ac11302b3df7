import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomUtils, parseDocument } from 'htmlparser2';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PostureFacts } from '../../../contract/facts/posture.js';
import { type TargetEvaluation, deviceTarget, evaluateTarget } from '../evaluate.js';
import { type FixtureName, fixtureFacts } from '../fixtures.js';
import { type Pack, loadPack } from '../pack.js';
import { NO_OVERRIDES, resolveParams } from '../params.js';
import { type ReportMeta, packInfo, trendOf } from './model.js';
import { htmlToPdf } from './pdf.js';
import { renderCsv, renderHtml, renderJson, renderMarkdown } from './render.js';

let facts: Record<FixtureName, PostureFacts>;
let pack: Pack;
let evals: TargetEvaluation[];
let previous: TargetEvaluation[];
let meta: ReportMeta;
const NOW = '2026-12-03T08:00:00.000Z';

beforeAll(async () => {
  facts = await fixtureFacts();
  pack = loadPack(3);
  const ev = (n: FixtureName, zone: string) => {
    const t = { id: n, kind: 'host' as const, zone, facts: facts[n].facts, collectedAt: facts[n].collectedAt };
    return evaluateTarget(pack, t, { params: resolveParams(pack, NO_OVERRIDES, t), now: new Date(facts[n].collectedAt) });
  };
  const device = deviceTarget(
    'sw-core-1',
    {
      addressResolved: true,
      answersV1: false,
      answersV2c: true,
      defaultCommunities: ['v2c:public'],
      snmpVersionUsed: '2c',
      v3: null,
      insecure: ['SNMPv2c community (cleartext)'],
      sysDescr: null,
      sysObjectID: null,
      firmware: null,
      lastPollOk: true,
      profiles: [],
    },
    facts['kylin-weak'].collectedAt,
    { zone: 'extranet' },
  );
  evals = [
    ev('debian-hardened', 'extranet'),
    ev('kylin-weak', 'extranet'),
    evaluateTarget(pack, device, { params: resolveParams(pack, NO_OVERRIDES, device), now: new Date(facts['kylin-weak'].collectedAt) }),
  ];
  // the previous report: debian-hardened's shadow mode passed then (a regression now), its lockout failed (fixed now)
  previous = structuredClone(evals.slice(0, 2));
  const prevDh = previous[0]!;
  prevDh.results.find((r) => r.check === 'host.access.shadow-mode')!.status = 'pass';
  prevDh.results.find((r) => r.check === 'host.ident.lockout')!.status = 'fail';
  prevDh.score = { ...prevDh.score, ratio: 0.9 };
  meta = {
    lang: 'zh-CN',
    generatedAt: NOW,
    ...packInfo(pack),
    system: '某县电子政务外网',
    previous,
    exceptions: [{ target: 'kylin-weak', check: 'host.ident.lockout', until: '2099-01-31', reason: '整改中：等待统一认证改造', by: 'secofficer' }],
  };
});

const byAttr = (root: { children: ReturnType<typeof parseDocument>['children'] }, name: string, value?: string) =>
  DomUtils.findAll((e) => e.attribs[name] !== undefined && (value === undefined || e.attribs[name] === value), root.children);
const txt = (n: Parameters<typeof DomUtils.textContent>[0]) => DomUtils.textContent(n).replace(/\s+/g, ' ').trim();

describe('trend', () => {
  it('regressions (pass → fail) and fixes (fail → pass) per target against the previous results', () => {
    const t = trendOf(evals, previous);
    expect(t.get('debian-hardened')).toEqual({
      target: 'debian-hardened',
      previousRatio: 0.9,
      ratio: 45 / 48,
      regressions: ['host.access.shadow-mode'],
      fixed: ['host.ident.lockout'],
    });
    expect(t.get('kylin-weak')).toMatchObject({ regressions: [], fixed: [] });
    expect(t.get('sw-core-1')).toMatchObject({ previousRatio: null, regressions: [] });
  });
});

describe('HTML report (parsed)', () => {
  it('title, pack version, time, scores, trend per target', () => {
    const doc = parseDocument(renderHtml(evals, meta));
    expect(txt(DomUtils.getElementsByTagName('h1', doc.children)[0]!)).toBe('网络安全等级保护 2.0 合规检查报告（第三级） — 某县电子政务外网');
    expect(txt(DomUtils.getElementById('pack', doc.children)!)).toBe(`mlps-level3 ${pack.version}`);
    expect(txt(DomUtils.getElementById('generated', doc.children)!)).toBe('2026-12-03 08:00:00 UTC');
    const rows = byAttr(doc, 'data-target').filter((e) => e.name === 'tr');
    expect(rows.map((r) => DomUtils.getElementsByTagName('td', r).map(txt))).toEqual([
      ['debian-hardened', '主机', 'extranet', '93.8%', '45', '3', '3', '2', '1', '+3.8 pp'],
      ['kylin-weak', '主机', 'extranet', '21.7%', '10', '36', '5', '2', '1', '±0.0 pp'],
      ['sw-core-1', '网络设备', 'extranet', '0.0%', '0', '4', '0', '0', '0', '–'],
    ]);
    // overall: (45 + 10 + 0) / (48 + 46 + 4)
    expect(txt(DomUtils.getElementById('overall-score', doc.children)!)).toBe('56.1%');
    expect(byAttr(doc, 'data-family').map((e) => txt(DomUtils.getElementsByTagName('td', e)[0]!))).toEqual([
      '8.1.2 安全通信网络',
      '8.1.3 安全区域边界',
      '8.1.4 安全计算环境',
    ]);
  });
  it('per target and clause: status, evidence, remediation only where not passed', () => {
    const doc = parseDocument(renderHtml(evals, meta));
    for (const e of evals) {
      const section = byAttr(doc, 'data-target', e.target.id).find((x) => x.name === 'section')!;
      const rows = byAttr(section, 'data-check');
      expect(rows.map((r) => [r.attribs['data-check'], r.attribs['data-status']])).toEqual(e.results.map((r) => [r.check, r.status]));
    }
    const dh = byAttr(doc, 'data-target', 'debian-hardened').find((x) => x.name === 'section')!;
    const row = (check: string) => DomUtils.getElementsByTagName('td', byAttr(dh, 'data-check', check)[0]!).map(txt);
    expect(row('host.access.ssh-root-login')).toEqual([
      '8.1.4.2 b',
      'L3-CES1-06',
      '禁止 root 通过 SSH 直接登录host.access.ssh-root-login',
      '符合',
      '/etc/ssh/sshd_config:3 PermitRootLogin no',
      '',
    ]);
    const shadow = row('host.access.shadow-mode');
    expect(shadow.slice(0, 4)).toEqual(['8.1.4.2 e', 'L3-CES1-09', '/etc/shadow、/etc/gshadow 权限不宽于规定值（默认 0400）host.access.shadow-mode', '不符合']);
    expect(shadow[4]).toContain('/etc/shadow mode 0640 uid 0 gid 0');
    expect(shadow[5]).toBe('执行 chmod 0400 /etc/shadow /etc/gshadow（或 0000）。');
    expect(txt(DomUtils.findOne((e) => e.attribs.class === 'trend', dh.children)!)).toBe('新增不符合: host.access.shadow-mode; 已整改: host.ident.lockout');
    // unknown: the reason, and the remediation
    expect(row('host.audit.log-file-modes')[3]).toBe('未知fact log.fileModes is unknown: no /var/log under this root');
    // an accepted exception is shown with who and until when; it stays a failure
    const kw = byAttr(doc, 'data-target', 'kylin-weak').find((x) => x.name === 'section')!;
    const lock = byAttr(kw, 'data-check', 'host.ident.lockout')[0]!;
    expect(lock.attribs['data-status']).toBe('fail');
    expect(txt(DomUtils.getElementsByTagName('td', lock)[3]!)).toBe('不符合已接受风险 至 2099-01-31: 整改中：等待统一认证改造 (secofficer)');
  });
  it('the manual items of the standard, with guidance, in the standard order', () => {
    const doc = parseDocument(renderHtml(evals, meta));
    const rows = byAttr(doc, 'data-clause');
    expect(rows.map((r) => r.attribs['data-clause'])).toEqual(pack.manual.map((m) => m.clause));
    expect(rows).toHaveLength(60);
    expect(DomUtils.getElementsByTagName('td', rows[0]!).map(txt)).toEqual([
      '8.1.1.1 a',
      'L3-PES1-01',
      '机房场地应选择在具有防震、防风和防雨等能力的建筑内',
      '现场核查机房所在建筑的防震、防风、防雨能力及楼层位置。',
    ]);
  });
  it('escapes what the facts carry', () => {
    const e = structuredClone(evals[0]!);
    e.target.id = '<script>x</script>';
    e.results[0]!.evidence = [{ fact: 'f', value: '1', source: '/etc/a"b', excerpt: '<img src=x onerror=alert(1)>' }];
    const html = renderHtml([e], meta);
    expect(html).not.toContain('<script>x');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
  it('English', () => {
    const doc = parseDocument(renderHtml(evals, { ...meta, lang: 'en' }));
    expect(txt(DomUtils.getElementsByTagName('h1', doc.children)[0]!)).toBe('MLPS 2.0 compliance report (level 3) — 某县电子政务外网');
    const dh = byAttr(doc, 'data-target', 'debian-hardened').find((x) => x.name === 'section')!;
    expect(DomUtils.getElementsByTagName('td', byAttr(dh, 'data-check', 'host.access.shadow-mode')[0]!).map(txt)[3]).toBe('FAIL');
    expect(txt(DomUtils.getElementsByTagName('td', byAttr(doc, 'data-clause', '8.1.1.1 a')[0]!)[2]!)).toBe(
      'The machine room is in a building able to withstand earthquakes, wind and rain',
    );
  });
});

describe('Markdown, CSV and JSON reports', () => {
  it('Markdown: summary, per-target table with escaped cells, manual items', () => {
    const md = renderMarkdown(evals, meta);
    expect(md.split('\n')[0]).toBe('# 网络安全等级保护 2.0 合规检查报告（第三级） — 某县电子政务外网');
    expect(md).toContain('| debian-hardened | 主机 | extranet | 93.8% | 45 | 3 | 3 | 2 | 1 | +3.8 pp |');
    expect(md).toContain(
      '| 8.1.4.2 b | L3-CES1-06 | 禁止 root 通过 SSH 直接登录<br>`host.access.ssh-root-login` | 符合 | `/etc/ssh/sshd_config:3` PermitRootLogin no |  |',
    );
    expect(md).toContain('| 8.1.1.1 a | L3-PES1-01 | 机房场地应选择在具有防震、防风和防雨等能力的建筑内 |');
    // evidence with a pipe does not break the table
    expect(md).toContain('umac-64-etm@openssh.com,hmac-sha1-etm@openssh.com');
    for (const line of md.split('\n').filter((l) => l.startsWith('| 8.1.'))) expect(line.replace(/\\\|/g, '').split('|').length).toBeGreaterThanOrEqual(6);
  });
  it('CSV: one row per target and check plus the manual items; quoting and formula neutralising', () => {
    const csv = renderCsv(evals, meta);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'target,kind,zone,site,grade,clause,indicator,check,title,status,reason,evidence,remediation,collected_at,evaluated_at,pack,pack_version,exception_until,exception_reason',
    );
    // rows may hold quoted newlines: count the records by their first cell
    const records = csv.split('\r\n').filter((l) => /^(debian-hardened|kylin-weak|sw-core-1|system),/.test(l));
    expect(records).toHaveLength(evals.reduce((n, e) => n + e.results.length, 0) + pack.manual.length);
    expect(csv).toContain(
      'kylin-weak,host,extranet,,3,8.1.4.1 b,L3-CES1-02,host.ident.lockout,登录失败锁定（pam_faillock / pam_tally2）,fail,,/etc/pam.d/system-auth:1 auth        required      pam_tally2.so onerr=fail deny=10',
    );
    expect(csv).toContain(',2099-01-31,整改中：等待统一认证改造\r\n');
    const e = structuredClone(evals[0]!);
    e.results[0]!.evidence = [{ fact: 'f', value: '1', excerpt: '=HYPERLINK("http://x")' }];
    expect(renderCsv([e], { ...meta, manual: [] })).toContain(`"'=HYPERLINK(""http://x"")"`);
  });
  it('JSON: the evaluations with titles and remediation, scores, trend and manual items', () => {
    const j = JSON.parse(renderJson(evals, meta));
    expect(j.report).toEqual({
      generatedAt: NOW,
      lang: 'zh-CN',
      grade: 3,
      standard: 'GB/T 22239-2019',
      pack: { name: 'mlps-level3', version: pack.version },
      system: '某县电子政务外网',
    });
    expect(j.score).toMatchObject({ passed: 55, failed: 43 });
    expect(j.targets).toHaveLength(3);
    const r = j.targets[1].results.find((x: { check: string }) => x.check === 'host.ident.lockout');
    expect(r).toMatchObject({
      status: 'fail',
      indicator: 'L3-CES1-02',
      title: '登录失败锁定（pam_faillock / pam_tally2）',
      exception: { until: '2099-01-31', by: 'secofficer' },
    });
    expect(j.targets[0].results.find((x: { check: string }) => x.check === 'host.access.ssh-root-login').remediation).toBeUndefined();
    expect(j.targets[0].trend.regressions).toEqual(['host.access.shadow-mode']);
    expect(j.manual).toHaveLength(60);
  });
});

describe('PDF (chromium, puppeteer-core) with Chinese text', () => {
  it('prints the HTML; pdftotext finds the Chinese title, clauses and results', async () => {
    const pdf = await htmlToPdf(renderHtml(evals, meta));
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'xj-pdf-'));
    writeFileSync(join(dir, 'r.pdf'), pdf);
    const t = spawnSync('pdftotext', ['-layout', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    expect(t.error, 'pdftotext (poppler-utils) must be installed').toBeUndefined();
    expect(t.status).toBe(0);
    const text = t.stdout;
    expect(text).toContain('网络安全等级保护 2.0 合规检查报告（第三级）');
    expect(text).toContain('某县电子政务外网');
    expect(text).toContain('安全计算环境 / 身份鉴别');
    expect(text).toContain('L3-CES1-01');
    expect(text).toContain('不符合');
    // table cells wrap: the start of the first manual item
    expect(text).toContain('机房场地应选择在具有防震');
    expect(text).toContain(`mlps-level3 ${pack.version}`);
    // page numbers in the footer
    expect(text).toMatch(/\b1 \/ \d+\b/);
    const pages = spawnSync('pdfinfo', [join(dir, 'r.pdf')], { encoding: 'utf8' }).stdout;
    expect(Number(/Pages:\s+(\d+)/.exec(pages)![1])).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
