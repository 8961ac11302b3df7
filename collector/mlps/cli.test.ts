import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { xunjian } from '../../test/helpers/proc.js';
import { fixtureRoot } from './fixtures.js';

/** The real binary (built by `npm test` before vitest) on prepared fixture trees. */
const dir = mkdtempSync(join(tmpdir(), 'xj-mlps-cli-'));
const roots: Record<string, string> = {};

beforeAll(() => {
  roots.weak = fixtureRoot('debian-weak');
  roots.euler = fixtureRoot('openeuler-hardened');
});

describe('xunjian mlps check', { timeout: 90_000 }, () => {
  it('Lynis-style result of every check, the score, exit 1 when a check fails', () => {
    const r = xunjian(['mlps', 'check', '--root', roots.weak!, '--grade', '3', '--node', 'town-01']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('Xunjian 等保 2.0 自检 — 第三级（GB/T 22239-2019 8.1），规则包 mlps-level3 2026.12.1');
    expect(r.stdout).toContain('[8.1.4.1 安全计算环境 / 身份鉴别]');
    expect(r.stdout).toMatch(
      /\[ 不符合\s*\] 8\.1\.4\.1 b\s+登录失败锁定（pam_faillock \/ pam_tally2） {2}\(host\.ident\.lockout\)\n {6}证据: \/etc\/pam\.d\/common-auth:2 {2}auth {2}required {2}pam_faillock\.so preauth deny=3 unlock_time=600\n/,
    );
    expect(r.stdout).toContain('      整改建议: 删除认证栈中 pam_unix.so 的 nullok 参数。');
    expect(r.stdout).toMatch(/\[ 未知\s*\] 8\.1\.4\.4 e .*\n {6}说明: fact updates\.pendingSecurity is unknown: not run: reading a file tree/);
    expect(r.stdout).toContain('人工核查项（无自动检查）: 60');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('符合率 8.9%（符合 4，不符合 41）；未知 6，不适用 2，人工核查 1（另有 60 项无自动检查）');
  });
  it('--json --lang en: the report JSON of this host', () => {
    const r = xunjian(['mlps', 'check', '--root', roots.euler!, '--grade', '2', '--json', '--lang', 'en', '--node', 'cloud-07', '--zone', 'gov-cloud']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.report).toMatchObject({ grade: 2, lang: 'en', pack: { name: 'mlps-level2' } });
    expect(j.targets[0].target).toEqual({ id: 'cloud-07', kind: 'host', zone: 'gov-cloud' });
    expect(j.targets[0].score).toMatchObject({ passed: 40, failed: 4, unknown: 2, notApplicable: 2, manual: 0 });
    expect(j.targets[0].results.find((x: { check: string }) => x.check === 'host.access.ssh-host-keys')).toMatchObject({
      status: 'fail',
      clause: '7.1.4.2 a',
      title: 'SSH host private keys are mode 0600',
      remediation: 'Run chmod 600 /etc/ssh/ssh_host_*_key.',
    });
    expect(j.manual).toHaveLength(33);
  });
  it('--params: a zone override changes the result; --all-manual lists the manual items', () => {
    const p = join(dir, 'site.yaml');
    writeFileSync(p, 'zones:\n  gov-cloud:\n    hostKeyMaxMode: "0640"\n');
    const r = xunjian(['mlps', 'check', '--root', roots.euler!, '--grade', '2', '--json', '--params', p, '--zone', 'gov-cloud']);
    expect(JSON.parse(r.stdout).targets[0].results.find((x: { check: string }) => x.check === 'host.access.ssh-host-keys').status).toBe('pass');
    const m = xunjian(['mlps', 'check', '--root', roots.euler!, '--grade', '2', '--all-manual']);
    expect(m.stdout).toMatch(/\[ 人工核查 \] 7\.1\.1\.1 a\s+L2-PES1-01 {2}机房场地应选择在具有防震、防风和防雨等能力的建筑内/);
  });
  it('exit 0 when nothing fails (a pack of one passing check)', () => {
    const rules = join(dir, 'rules');
    mkdirSync(rules, { recursive: true });
    copyFileSync(new URL('../../rules/mlps/clauses.yaml', import.meta.url).pathname, join(rules, 'clauses.yaml'));
    writeFileSync(
      join(rules, 'level3.yaml'),
      'pack: one\ngrade: 3\nversion: "1"\nchecks:\n  - id: host.t.root-login\n    clause: 8.1.4.2 b\n    applies_to: host\n    title: { zh: 禁止 root 登录, en: No root login }\n    rationale: { zh: 理由, en: why }\n    remediation: { zh: 整改, en: fix }\n    facts: [ssh.permitRootLogin]\n    condition: ssh.permitRootLogin == "no"\n',
    );
    const r = xunjian(['mlps', 'check', '--root', roots.euler!, '--grade', '3', '--rules', rules]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('符合率 100.0%（符合 1，不符合 0）');
  });
  it.each([
    [
      'a parameter that does not exist',
      'nodes:\n  n1:\n    lockoutAttempts: 3\n',
      /^xunjian mlps check: config error in .*site-bad\.yaml:3: nodes\.n1\.lockoutAttempts: a parameter of mlps-level3 \(/,
    ],
    [
      'a value of the wrong type',
      'defaults:\n  sessionTimeoutSeconds: ten minutes\n',
      /^xunjian mlps check: config error in .*site-bad\.yaml:2: defaults\.sessionTimeoutSeconds: a number like the default 600/,
    ],
  ])('exit 2 for %s, naming file:line and key', (_n, text, expected) => {
    const p = join(dir, 'site-bad.yaml');
    writeFileSync(p, text);
    const r = xunjian(['mlps', 'check', '--root', roots.euler!, '--grade', '3', '--params', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(r.stdout).toBe('');
  });
  it('exit 2 for an invalid pack (file:line), a missing params file and a bad root', () => {
    const rules = join(dir, 'bad-rules');
    mkdirSync(rules, { recursive: true });
    copyFileSync(new URL('../../rules/mlps/clauses.yaml', import.meta.url).pathname, join(rules, 'clauses.yaml'));
    writeFileSync(
      join(rules, 'level3.yaml'),
      'pack: bad\ngrade: 3\nversion: "1"\nchecks:\n  - id: host.t.x\n    clause: 8.1.4.12 a\n    applies_to: host\n    title: { zh: 标题, en: t }\n    rationale: { zh: 理由, en: r }\n    remediation: { zh: 整改, en: f }\n    facts: [ssh.permitRootLogin]\n    condition: ssh.permitRootLogin == "no"\n',
    );
    const a = xunjian(['mlps', 'check', '--root', roots.euler!, '--grade', '3', '--rules', rules]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`invalid MLPS pack:\n${rules}/level3.yaml:6: clause: 8.1.4.12 a is not an item of level 3 in the catalog`);
    const b = xunjian(['mlps', 'check', '--root', roots.euler!, '--grade', '3', '--params', join(dir, 'nope.yaml')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/nope\.yaml: \(top level\): a readable YAML file \(ENOENT\)/);
    const c = xunjian(['mlps', 'check', '--root', join(dir, 'no-such-root'), '--grade', '3']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--root .*no-such-root: no such directory/);
  });
});

describe('xunjian report mlps', { timeout: 90_000 }, () => {
  it('md to a file, then csv with the trend against a previous JSON report', () => {
    const md = join(dir, 'r.md');
    const r = xunjian([
      'report',
      'mlps',
      '--root',
      roots.weak!,
      '--grade',
      '3',
      '--format',
      'md',
      '-o',
      md,
      '--node',
      'town-01',
      '--system',
      '某县电子政务外网',
    ]);
    expect(r.code).toBe(0);
    const text = readFileSync(md, 'utf8');
    expect(text.split('\n')[0]).toBe('# 网络安全等级保护 2.0 合规检查报告（第三级） — 某县电子政务外网');
    expect(text).toContain('| town-01 | 主机 |  | 8.9% | 4 | 41 | 6 | 2 | 1 | – |');
    const prev = join(dir, 'prev.json');
    expect(xunjian(['report', 'mlps', '--root', roots.weak!, '--grade', '3', '--format', 'json', '-o', prev, '--node', 'town-01']).code).toBe(0);
    const again = xunjian(['report', 'mlps', '--root', roots.weak!, '--grade', '3', '--format', 'md', '--previous', prev, '--node', 'town-01']);
    expect(again.stdout).toContain('| town-01 | 主机 |  | 8.9% | 4 | 41 | 6 | 2 | 1 | ±0.0 pp |');
    const csv = xunjian(['report', 'mlps', '--root', roots.weak!, '--grade', '2', '--format', 'csv', '--lang', 'en']);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^target,kind,zone,site,grade,clause,indicator,check,title,status,/);
    expect(csv.stdout).toContain(',host.ident.pam-nullok,PAM refuses empty passwords (no pam_unix nullok),fail,');
    const bad = xunjian(['report', 'mlps', '--root', roots.weak!, '--grade', '3', '--format', 'md', '--previous', md]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--previous .*r\.md: not a readable JSON report/);
  }, 120_000);
  it('pdf', () => {
    const pdf = join(dir, 'r.pdf');
    const r = xunjian(['report', 'mlps', '--root', roots.euler!, '--grade', '3', '--format', 'pdf', '-o', pdf]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
  }, 90_000);
});
