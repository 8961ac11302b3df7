import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fact, PostureFacts } from '../../contract/facts/posture.js';
import { celDecl, declarations } from './cel.js';
import { type Status, type Target, deviceTarget, evaluateTarget, manualResults, scoreResults } from './evaluate.js';
import { FIXTURES, type FixtureName as Name, fixtureFacts } from './fixtures.js';
import { type Grade, type Pack, loadPack } from './pack.js';
import { NO_OVERRIDES, parseParams, resolveParams } from './params.js';

/** The four posture fixtures against both packs, with the outcome of every check written down. */
let facts = {} as Record<Name, PostureFacts>;
const packs = {} as Record<Grade, Pack>;

beforeAll(async () => {
  packs[2] = loadPack(2);
  packs[3] = loadPack(3);
  facts = await fixtureFacts();
});

const host = (n: Name, extra: Partial<Target> = {}): Target => ({ id: n, kind: 'host', facts: facts[n].facts, collectedAt: facts[n].collectedAt, ...extra });
const evalHost = (n: Name, grade: Grade, o: { params?: Record<string, unknown>; now?: Date; target?: Partial<Target> } = {}) => {
  const t = host(n, o.target);
  return evaluateTarget(packs[grade], t, {
    params: { ...resolveParams(packs[grade], NO_OVERRIDES, t), ...o.params },
    now: o.now ?? new Date(facts[n].collectedAt),
  });
};
const statusOf = (n: Name, grade: Grade, check: string, o?: Parameters<typeof evalHost>[2]) => {
  const r = evalHost(n, grade, o).results.find((x) => x.check === check);
  if (!r) throw new Error(`no result for ${check}`);
  return r;
};

// P pass, F fail, U unknown, N not applicable, M manual
const S: Record<string, Status> = { P: 'pass', F: 'fail', U: 'unknown', N: 'not_applicable', M: 'manual' };
/** check → outcome on debian-hardened, debian-weak, openeuler-hardened, kylin-weak; level 3 (and level 2 where the check exists there). */
const EXPECTED: [string, string][] = [
  // 8.1.3 / 7.1.3 host firewall
  ['host.boundary.firewall-active', 'P F P F'], // kylin-weak: iptables rules file but the service is not enabled
  ['host.boundary.default-deny', 'P F P F'],
  ['host.boundary.stateful', 'P F P F'],
  // 8.1.4.1 身份鉴别
  ['host.ident.empty-passwords', 'P F P P'], // debian-weak: deploy has an empty password field
  ['host.ident.pam-nullok', 'F F P F'], // Debian and Kylin ship pam_unix nullok; openEuler's auth lines have none
  ['host.ident.password-history', 'P F P F'],
  ['host.ident.password-max-age', 'P F P F'], // PASS_MAX_DAYS 90, 99999, 90, 99999
  ['host.ident.password-min-age', 'P F P F'],
  ['host.ident.password-quality', 'P F P F'], // kylin-weak: minlen 6
  ['host.ident.password-warn-age', 'P P P P'],
  ['host.ident.uid0', 'P F P P'], // debian-weak: toor
  ['host.ident.unique-uids', 'P F P P'],
  ['host.ident.user-password-max-age', 'P F P F'],
  ['host.ident.lockout', 'P F P F'], // debian-weak: a preauth line alone after sufficient pam_unix; kylin-weak: pam_tally2 deny=10
  ['host.ident.shell-timeout', 'P F P F'],
  ['host.ident.ssh-idle-timeout', 'P F F F'], // openEuler: ClientAliveInterval unset (0); Kylin: 5400 s
  ['host.ident.ssh-max-auth-tries', 'P F P F'], // 4, default 6, 3, 6
  ['host.ident.no-cleartext-remote', 'P F P P'], // debian-weak: ftp and telnet listen
  ['host.ident.ssh-protocol', 'P P P P'],
  ['host.ident.two-factor', 'P F F F'], // level 3 only: debian-hardened has publickey,password and google-authenticator
  // 8.1.4.2 访问控制
  ['host.access.system-shells', 'P F P F'],
  ['host.access.default-accounts', 'P F P F'],
  ['host.access.ssh-root-login', 'P F P F'],
  ['host.access.account-allowlist', 'N N N N'], // no allow-list configured
  ['host.access.expired-accounts', 'P P P P'],
  ['host.access.su-wheel', 'P F P F'],
  ['host.access.sudo-broad', 'P F P F'],
  ['host.access.sudo-nopasswd', 'P F P F'],
  ['host.access.passwd-mode', 'P F P P'], // debian-weak: /etc/passwd 0666
  ['host.access.shadow-mode', 'F F P F'], // debian-hardened: Debian's 0640 root:shadow is wider than the default 0400
  ['host.access.ssh-host-keys', 'P P F P'], // openEuler: ssh_host_ecdsa_key 0640
  ['host.access.umask', 'P F P F'],
  ['host.access.apparmor', 'P U N U'], // level 3 only; debian-weak has no /sys captured; RHEL-like: not applicable
  ['host.access.selinux', 'N N P F'], // level 3 only
  // 8.1.4.3 安全审计
  ['host.audit.auditd', 'P F P F'],
  ['host.audit.rules', 'P U P F'], // debian-weak: no audit rules file at all (auditd not installed)
  ['host.audit.syslog', 'P F P F'],
  ['host.audit.time-sync', 'P F P F'], // debian-weak: timesyncd without servers; kylin-weak: no daemon
  ['host.audit.log-file-modes', 'U F P U'], // no /var/log captured in two fixtures
  ['host.audit.remote-log', 'P F P F'],
  ['host.audit.retention', 'P F P F'], // 180, 7, 182, 28 days
  ['host.audit.protected', 'P U P F'], // level 3 only
  // 8.1.4.4 入侵防范
  ['host.intrusion.minimal-install', 'P F P F'],
  ['host.intrusion.high-risk-ports', 'P F P F'],
  ['host.intrusion.management-source', 'P F P F'],
  ['host.intrusion.security-updates', 'U U U U'], // not run on a file tree
  ['host.intrusion.detection', 'P F P F'], // level 3 only: wazuh, -, huawei-hss, -
  // 8.1.4.5 恶意代码防范
  ['host.malware.agent', 'P F P F'],
  ['host.malware.signatures', 'P F N N'], // debian-weak: ClamAV signatures 40 days old
  // 8.1.4.6 可信验证
  ['host.trust.measured-boot', 'F U F U'], // TPM without IMA policy; IMA without TPM
  ['host.trust.secure-boot', 'U U U U'], // firmware state not captured
  // 8.1.4.7 / 8.1.4.8
  ['host.crypto.ssh-integrity', 'P F F F'], // hmac-md5; diffie-hellman-group14-sha1; default MACs with umac-64/hmac-sha1
  ['host.crypto.ssh-confidentiality', 'P F P P'], // level 3 only: aes128-cbc, 3des-cbc
  // 8.1.4.9 / 7.1.4.8
  ['host.backup.job', 'M M P M'], // no job found proves nothing: manual
];
const LEVEL3_ONLY = new Set([
  'host.ident.two-factor',
  'host.access.apparmor',
  'host.access.selinux',
  'host.audit.protected',
  'host.intrusion.detection',
  'host.crypto.ssh-confidentiality',
]);

describe('fixtures against the packs: every check', () => {
  it('the table names every host check of each pack, and nothing else', () => {
    expect(
      packs[3].checks
        .filter((c) => c.appliesTo === 'host')
        .map((c) => c.id)
        .sort(),
    ).toEqual(EXPECTED.map(([c]) => c).sort());
    expect(
      packs[2].checks
        .filter((c) => c.appliesTo === 'host')
        .map((c) => c.id)
        .sort(),
    ).toEqual(
      EXPECTED.map(([c]) => c)
        .filter((c) => !LEVEL3_ONLY.has(c))
        .sort(),
    );
  });
  for (const grade of [3, 2] as const) {
    const rows = EXPECTED.filter(([c]) => grade === 3 || !LEVEL3_ONLY.has(c)).flatMap(([check, outcome]) =>
      FIXTURES.map((n, i) => [n, check, S[outcome.split(' ')[i]!]!] as const),
    );
    it.each(rows)(`level ${grade}: %s %s → %s`, (n, check, expected) => {
      const r = statusOf(n, grade, check);
      expect(r.status, `${r.reason ?? ''} ${JSON.stringify(r.evidence)}`).toBe(expected);
    });
  }
  it('scores: passed ÷ (passed + failed), unknown apart, per family and section', () => {
    const e = evalHost('debian-hardened', 3);
    expect(e.score).toEqual({ passed: 45, failed: 3, unknown: 3, notApplicable: 2, manual: 1, ratio: 45 / 48 });
    expect(e.byFamily['8.1.3']).toEqual({ passed: 3, failed: 0, unknown: 0, notApplicable: 0, manual: 0, ratio: 1 });
    expect(e.bySection['8.1.4.6']).toEqual({ passed: 0, failed: 1, unknown: 1, notApplicable: 0, manual: 0, ratio: 0 });
    expect(evalHost('debian-weak', 3).score).toEqual({ passed: 4, failed: 41, unknown: 6, notApplicable: 2, manual: 1, ratio: 4 / 45 });
    expect(evalHost('kylin-weak', 2).score).toMatchObject({ passed: 9, failed: 32, unknown: 4 });
    expect(scoreResults([]).score.ratio).toBeNull();
  });
  it('results carry the evidence that decided them and the collection time', () => {
    const r = statusOf('debian-weak', 3, 'host.ident.lockout');
    expect(r.evidence[0]).toEqual({
      fact: 'password.lockout',
      value: 'null',
      source: '/etc/pam.d/common-auth',
      line: 2,
      excerpt: 'auth  required  pam_faillock.so preauth deny=3 unlock_time=600',
    });
    expect(r.evidence[1]!.excerpt).toMatch(
      /^pam_faillock cannot lock anyone out: \/etc\/pam\.d\/common-auth:1: a failed pam_unix reaches no pam_faillock authfail line/,
    );
    expect(r.collectedAt).toBe(new Date(facts['debian-weak'].collectedAt).toISOString());
    const m = statusOf('debian-weak', 3, 'host.access.passwd-mode');
    expect(new Set(m.evidence.map((e) => e.fact))).toEqual(new Set(['files.permissions']));
    expect(m.evidence.find((e) => e.source === '/etc/passwd')).toEqual({
      fact: 'files.permissions',
      value: expect.stringContaining('"/etc/passwd":{"mode":"0666"'),
      source: '/etc/passwd',
      excerpt: 'mode 0666 uid 0 gid 0',
    });
    expect(statusOf('debian-hardened', 3, 'host.access.ssh-root-login').evidence).toEqual([
      { fact: 'ssh.permitRootLogin', value: '"no"', source: '/etc/ssh/sshd_config', line: 3, excerpt: 'PermitRootLogin no' },
    ]);
  });
});

describe('parameters per zone, site and node', () => {
  const yaml =
    'defaults:\n  maxPasswordAgeDays: 60\nzones:\n  debian-zone:\n    shadowMaxMode: "0640"\nsites:\n  town-07:\n    highRiskPortsAllowed: [tcp/111, tcp/445]\nnodes:\n  kylin-weak:\n    lockoutMaxAttempts: 10\n';
  it('the most specific scope wins: defaults < zones < sites < nodes', () => {
    const o = parseParams(yaml, 'site.yaml', packs[3]);
    const p = resolveParams(packs[3], o, { id: 'kylin-weak', zone: 'debian-zone', site: 'town-07' });
    expect(p).toMatchObject({
      maxPasswordAgeDays: 60,
      shadowMaxMode: '0640',
      highRiskPortsAllowed: ['tcp/111', 'tcp/445'],
      lockoutMaxAttempts: 10,
      sessionTimeoutSeconds: 600,
    });
    expect(resolveParams(packs[3], o, { id: 'other' })).toMatchObject({ shadowMaxMode: '0400', lockoutMaxAttempts: 5, maxPasswordAgeDays: 60 });
  });
  it('a zone override changes the outcome: Debian 0640 shadow accepted in that zone only', () => {
    const o = parseParams(yaml, 'site.yaml', packs[3]);
    const inZone = host('debian-hardened', { zone: 'debian-zone' });
    const elsewhere = host('debian-hardened', { zone: 'cloud' });
    const run = (t: Target) =>
      evaluateTarget(packs[3], t, { params: resolveParams(packs[3], o, t), now: new Date(facts['debian-hardened'].collectedAt) }).results.find(
        (r) => r.check === 'host.access.shadow-mode',
      )!.status;
    expect(run(inZone)).toBe('pass');
    expect(run(elsewhere)).toBe('fail');
    // maxPasswordAgeDays 60 for everyone: debian-hardened's root and secadmin have 90
    expect(
      evaluateTarget(packs[3], elsewhere, { params: resolveParams(packs[3], o, elsewhere), now: new Date(facts['debian-hardened'].collectedAt) }).results.find(
        (r) => r.check === 'host.ident.user-password-max-age',
      )!.status,
    ).toBe('fail');
  });
  it('site and node overrides: kylin-weak high-risk ports accepted at its site, lockout 10 accepted on the node', () => {
    const o = parseParams(yaml, 'site.yaml', packs[3]);
    const t = host('kylin-weak', { site: 'town-07' });
    const r = evaluateTarget(packs[3], t, { params: resolveParams(packs[3], o, t), now: new Date(facts['kylin-weak'].collectedAt) });
    expect(r.results.find((x) => x.check === 'host.intrusion.high-risk-ports')!.status).toBe('pass');
    // deny 10 accepted, but pam_tally2 without unlock_time is a permanent lock (accepted as stricter)
    expect(r.results.find((x) => x.check === 'host.ident.lockout')!.status).toBe('pass');
  });
  it('an allow-list makes the account check applicable', () => {
    expect(statusOf('debian-hardened', 3, 'host.access.account-allowlist', { params: { allowedAccounts: ['root', 'secadmin', 'auditor'] } }).status).toBe(
      'pass',
    );
    expect(statusOf('debian-hardened', 3, 'host.access.account-allowlist', { params: { allowedAccounts: ['root'] } }).status).toBe('fail');
    expect(statusOf('debian-hardened', 3, 'host.ident.two-factor', { params: { bastionTwoFactor: true } }).status).toBe('not_applicable');
  });
  it.each([
    ['nodes:\n  a:\n    maxPasswordAge: 60\n', 'site.yaml:3', 'nodes.a.maxPasswordAge', /a parameter of mlps-level3 \(.*maxPasswordAgeDays/],
    ['defaults:\n  maxPasswordAgeDays: "90"\n', 'site.yaml:2', 'defaults.maxPasswordAgeDays', /a number like the default 90/],
    ['zones:\n  z:\n    highRiskPortsAllowed: tcp/445\n', 'site.yaml:3', 'zones.z.highRiskPortsAllowed', /a list of strings/],
    ['regions: {}\n', 'site.yaml:1', 'regions', /one of defaults, zones, sites, nodes/],
    ['defaults: [1, 2]\n', 'site.yaml:1', 'defaults', /a map of parameter names/],
    ['defaults:\n  a: [\n', 'site.yaml:3', '', /YAML/],
  ])('refuses %j naming file:line and key', (text, source, key, expected) => {
    try {
      parseParams(text, 'site.yaml', packs[3]);
      expect.unreachable();
    } catch (err) {
      const e = err as { source: string; key: string; expected: string; name: string };
      expect(e.name).toBe('ConfigError');
      expect(e.source).toBe(source);
      expect(e.key).toBe(key);
      expect(e.expected).toMatch(expected);
    }
  });
});

describe('unknown is never pass', () => {
  it('stale facts: every check unknown, naming the collection time', () => {
    const at = new Date(Date.parse(facts['debian-hardened'].collectedAt) + 25 * 3_600_000);
    const e = evalHost('debian-hardened', 3, { now: at });
    expect(new Set(e.results.map((r) => r.status))).toEqual(new Set(['unknown']));
    expect(e.results[0]!.reason).toMatch(/is stale: collected .*, more than 24 h before/);
    expect(e.score.ratio).toBeNull();
    // a site that accepts older facts
    expect(evalHost('debian-hardened', 3, { now: at, params: { maxFactAgeHours: 48 } }).score.passed).toBe(45);
  });
  it('a fact older than the rest (per-fact collection time) makes only its checks unknown', () => {
    const old = new Date(Date.parse(facts['debian-hardened'].collectedAt) - 30 * 3_600_000).toISOString();
    const e = evalHost('debian-hardened', 3, { target: { factCollectedAt: { 'ssh.permitRootLogin': old } } });
    expect(e.results.find((r) => r.check === 'host.access.ssh-root-login')!.status).toBe('unknown');
    expect(e.results.find((r) => r.check === 'host.access.ssh-root-login')!.collectedAt).toBe(old);
    expect(e.results.filter((r) => r.status === 'unknown').length).toBe(4);
  });
  it('a missing fact (an agent older than password.nullok) and an unknown-status fact', () => {
    const { 'password.nullok': _n, ...rest } = facts['openeuler-hardened'].facts;
    const without = evaluateTarget(
      packs[3],
      { id: 'old-agent', kind: 'host', facts: rest, collectedAt: facts['openeuler-hardened'].collectedAt },
      { params: resolveParams(packs[3], NO_OVERRIDES, { id: 'x' }), now: new Date(facts['openeuler-hardened'].collectedAt) },
    );
    const r = without.results.find((x) => x.check === 'host.ident.pam-nullok')!;
    expect(r).toMatchObject({ status: 'unknown', evidence: [{ fact: 'password.nullok', value: 'missing' }] });
    expect(r.reason).toMatch(/^fact password.nullok was not reported/);
    const unk: Fact = { status: 'unknown', value: null, evidence: [], reason: 'permission denied: /etc/shadow' };
    const e = evaluateTarget(
      packs[3],
      {
        id: 'u',
        kind: 'host',
        facts: { ...facts['openeuler-hardened'].facts, 'accounts.emptyPasswords': unk },
        collectedAt: facts['openeuler-hardened'].collectedAt,
      },
      { params: resolveParams(packs[3], NO_OVERRIDES, { id: 'u' }), now: new Date(facts['openeuler-hardened'].collectedAt) },
    );
    expect(e.results.find((x) => x.check === 'host.ident.empty-passwords')).toMatchObject({
      status: 'unknown',
      reason: 'fact accounts.emptyPasswords is unknown: permission denied: /etc/shadow',
      evidence: [{ fact: 'accounts.emptyPasswords', value: 'unknown', excerpt: 'permission denied: /etc/shadow' }],
    });
  });
  it('no collection time: unknown', () => {
    const e = evalHost('openeuler-hardened', 3, { target: { collectedAt: null } });
    expect(e.results.every((r) => r.status === 'unknown')).toBe(true);
    expect(e.results.find((r) => r.check === 'host.access.ssh-root-login')!.reason).toBe('fact ssh.permitRootLogin has no collection time');
  });
});

describe('network devices (SNMP posture) and the collector itself', () => {
  const base = {
    addressResolved: true,
    sysDescr: 'Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170 (S5720 V200R011C10SPC500)',
    sysObjectID: '1.3.6.1.4.1.2011.2.23.1',
    firmware: { vendor: 'huawei', os: 'VRP', version: 'V200R011C10SPC500', platform: '5.170' },
    lastPollOk: true,
    profiles: ['if_mib', 'huawei'],
  };
  const devices: [string, Record<string, unknown>, Record<string, Status>][] = [
    [
      'v2c with public',
      {
        ...base,
        answersV1: false,
        answersV2c: true,
        defaultCommunities: ['v2c:public'],
        snmpVersionUsed: '2c',
        v3: null,
        insecure: ['SNMPv2c community (cleartext)'],
      },
      { 'device.snmp.default-community': 'fail', 'device.snmp.no-v1v2c': 'fail', 'device.snmp.v3-auth': 'fail', 'device.snmp.v3-priv': 'fail' },
    ],
    [
      'v3 authNoPriv md5',
      {
        ...base,
        answersV1: false,
        answersV2c: false,
        defaultCommunities: [],
        snmpVersionUsed: '3',
        v3: { level: 'authNoPriv', authProto: 'md5', privProto: null },
        insecure: ['SNMPv3 without privacy', 'MD5 authentication'],
      },
      { 'device.snmp.default-community': 'pass', 'device.snmp.no-v1v2c': 'pass', 'device.snmp.v3-auth': 'pass', 'device.snmp.v3-priv': 'fail' },
    ],
    [
      'v3 authPriv sha/aes',
      {
        ...base,
        answersV1: false,
        answersV2c: false,
        defaultCommunities: [],
        snmpVersionUsed: '3',
        v3: { level: 'authPriv', authProto: 'sha', privProto: 'aes' },
        insecure: [],
      },
      { 'device.snmp.default-community': 'pass', 'device.snmp.no-v1v2c': 'pass', 'device.snmp.v3-auth': 'pass', 'device.snmp.v3-priv': 'pass' },
    ],
    [
      'v3 authPriv, still answers v1 private',
      {
        ...base,
        answersV1: true,
        answersV2c: false,
        defaultCommunities: ['v1:private'],
        snmpVersionUsed: '3',
        v3: { level: 'authPriv', authProto: 'sha', privProto: 'aes' },
        insecure: [],
      },
      { 'device.snmp.default-community': 'fail', 'device.snmp.no-v1v2c': 'fail', 'device.snmp.v3-auth': 'pass', 'device.snmp.v3-priv': 'pass' },
    ],
  ];
  it.each(devices)('level 3, device %s', (name, group, expected) => {
    const now = new Date('2026-12-01T10:00:00Z');
    const e = evaluateTarget(packs[3], deviceTarget(name, group, '2026-12-01T09:00:00Z'), { params: resolveParams(packs[3], NO_OVERRIDES, { id: name }), now });
    expect(Object.fromEntries(e.results.map((r) => [r.check, r.status]))).toEqual(expected);
    expect(e.results[0]!.evidence[0]!.source).toBe(`SNMP probe of ${name}`);
  });
  it('level 2 has no confidentiality check for devices', () => {
    const e = evaluateTarget(packs[2], deviceTarget('d', devices[1]![1], '2026-12-01T09:00:00Z'), {
      params: resolveParams(packs[2], NO_OVERRIDES, { id: 'd' }),
      now: new Date('2026-12-01T10:00:00Z'),
    });
    expect(Object.fromEntries(e.results.map((r) => [r.check, r.status]))).toEqual({
      'device.snmp.default-community': 'pass',
      'device.snmp.no-v1v2c': 'pass',
      'device.snmp.v3-auth': 'pass',
    });
  });
  const ok = (value: unknown): Fact => ({ status: 'ok', value, evidence: [{ source: '/etc/xunjian/collector.yaml', excerpt: JSON.stringify(value) }] });
  const good = {
    'collector.agentChannel': ok({ tls: true, mutualTls: false, perNodeTokens: true, signatureAlgorithms: ['hmac-sm3', 'hmac-sha256'] }),
    'collector.audit': ok({ enabled: true, retentionDays: null }),
    'collector.roles': ok(['viewer', 'operator', 'security', 'admin']),
    'collector.monitoring': ok({ nodes: 120, nodesReporting: 118, devices: 40 }),
    'collector.retention': ok({ factsHistoryDays: 400, auditLogDays: 365 }),
    'collector.alerting': ok({ rules: 30, receivers: 2 }),
  };
  const bare = {
    'collector.agentChannel': ok({ tls: false, mutualTls: false, perNodeTokens: true, signatureAlgorithms: ['hmac-sha256'] }),
    'collector.audit': ok({ enabled: false, retentionDays: 30 }),
    'collector.roles': ok(['admin']),
    'collector.monitoring': ok({ nodes: 3, nodesReporting: 0, devices: 0 }),
    'collector.retention': ok({ factsHistoryDays: 30, auditLogDays: 30 }),
    'collector.alerting': ok({ rules: 0, receivers: 0 }),
  };
  it.each([
    [
      3,
      'good',
      good,
      {
        'collector.audit.enabled': 'pass',
        'collector.audit.auditor-role': 'pass',
        'collector.security-role': 'pass',
        'collector.channel.secure': 'pass',
        'collector.monitoring.central': 'pass',
        'collector.audit.central-retention': 'pass',
        'collector.alerting.security-events': 'pass',
      },
    ],
    [
      3,
      'bare',
      bare,
      {
        'collector.audit.enabled': 'fail',
        'collector.audit.auditor-role': 'fail',
        'collector.security-role': 'fail',
        'collector.channel.secure': 'fail',
        'collector.monitoring.central': 'fail',
        'collector.audit.central-retention': 'fail',
        'collector.alerting.security-events': 'fail',
      },
    ],
    [2, 'bare', bare, { 'collector.audit.enabled': 'fail', 'collector.audit.auditor-role': 'fail', 'collector.channel.integrity': 'pass' }],
  ] as const)('level %s, %s collector (8.1.5 / 7.1.5)', (grade, _n, f, expected) => {
    const e = evaluateTarget(
      packs[grade],
      { id: 'collector', kind: 'collector', facts: f, collectedAt: '2026-12-01T09:00:00Z' },
      { params: resolveParams(packs[grade], NO_OVERRIDES, { id: 'collector' }), now: new Date('2026-12-01T09:00:01Z') },
    );
    expect(Object.fromEntries(e.results.map((r) => [r.check, r.status]))).toEqual(expected);
  });
});

describe('the packs and the clause catalog', () => {
  it('level 3: 96 items of 8.1.1-8.1.5; each automated or manual with guidance', () => {
    const p = packs[3];
    expect(p.clauses).toHaveLength(96);
    expect(p.clauses[0]).toMatchObject({ clause: '8.1.1.1 a', indicator: 'L3-PES1-01' });
    expect(p.clauses.find((c) => c.clause === '8.1.4.1 a')).toMatchObject({
      indicator: 'L3-CES1-01',
      section: { title: { zh: '身份鉴别' } },
      family: { title: { zh: '安全计算环境' } },
    });
    expect(p.clauses.find((c) => c.clause === '8.1.4.11 b')!.indicator).toBe('L3-CES1-34');
    expect(p.clauses.find((c) => c.clause === '8.1.5.4 f')!.indicator).toBe('L3-SMC1-12');
    const covered = new Set(p.checks.map((c) => c.clause));
    expect(covered.size + p.manual.length).toBe(96);
    for (const m of p.manual) expect(m.guidance.zh.length * m.guidance.en.length).toBeGreaterThan(0);
    expect(manualResults(p).every((r) => r.status === 'manual' && r.reason)).toBe(true);
    expect(p.checks.map((c) => c.id)).toHaveLength(new Set(p.checks.map((c) => c.id)).size);
  });
  it('level 2: 57 items of 7.1.1-7.1.5, level 2 clauses only', () => {
    const p = packs[2];
    expect(p.clauses).toHaveLength(57);
    expect(p.checks.every((c) => c.clause.startsWith('7.1.'))).toBe(true);
    expect(p.clauses.find((c) => c.clause === '7.1.4.8 a')).toMatchObject({
      section: { title: { zh: '数据备份恢复' } },
      title: { zh: '应提供重要数据的本地数据备份与恢复功能' },
    });
    expect(p.clauses.some((c) => c.clause === '7.1.4.1 d')).toBe(false);
  });
  it('every check has bilingual texts and the clause of its level', () => {
    for (const p of [packs[2], packs[3]]) {
      for (const c of p.checks) {
        for (const t of [c.title, c.rationale, c.remediation]) {
          expect(t.zh).toMatch(/[\u4e00-\u9fff]/);
          expect(t.en).toMatch(/^[\x20-\x7e\u2013\u2014\u00d7]+$/);
        }
        expect(c.item.clause).toBe(c.clause);
      }
    }
  });
});

describe('pack validation: refused with file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xj-pack-'));
  const clauses = new URL('../../rules/mlps/clauses.yaml', import.meta.url).pathname;
  const write = (base: string, level = 'pack: t3\ngrade: 3\nextends: base.yaml\nversion: "1"\n') => {
    writeFileSync(join(dir, 'clauses.yaml'), readFileSync(clauses));
    writeFileSync(join(dir, 'base.yaml'), base);
    writeFileSync(join(dir, 'level3.yaml'), level);
    try {
      loadPack(3, dir);
      return 'loaded';
    } catch (err) {
      return (err as Error).message.replaceAll(`${dir}/`, '');
    }
  };
  const check = (over: Record<string, string>) => {
    const c: Record<string, string> = {
      id: 'host.t.one',
      clause: '{ 2: 7.1.4.1 a, 3: 8.1.4.1 a }',
      applies_to: 'host',
      title: '{ zh: 标题, en: Title }',
      rationale: '{ zh: 理由, en: Why }',
      remediation: '{ zh: 整改, en: Fix }',
      facts: '[password.maxDays]',
      condition: "'has(password.maxDays) && password.maxDays <= params.maxAge'",
      ...over,
    };
    return `  - ${Object.entries(c)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n    ')}\n`;
  };
  const base = (...checks: string[]) => `pack: b\nversion: "1"\nparams:\n  maxAge: { default: 90, zh: 天, en: days }\nchecks:\n${checks.join('')}`;
  it('a valid pack loads', () => {
    expect(write(base(check({})))).toBe('loaded');
  });
  it.each([
    [
      'an unknown fact in the condition',
      check({ condition: "'password.maxDyas <= 90.0'" }),
      'base.yaml:13: condition: unknown fact password.maxDyas for host (did you mean password.maxDays?)',
    ],
    [
      'an unknown fact inside has()',
      check({ condition: "'has(ssh.permitRootLgin)'", facts: '[ssh.permitRootLogin]' }),
      'base.yaml:13: condition: unknown fact ssh.permitRootLgin for host (did you mean ssh.permitRootLogin?)',
    ],
    [
      'an unknown evidence fact',
      check({ facts: '[password.maxDays, password.maxDay]' }),
      'base.yaml:12: facts: unknown fact password.maxDay for host (did you mean password.maxDays?)',
    ],
    [
      'a fact used but not listed',
      check({ condition: "'password.maxDays <= 90.0 && password.minDays >= 1.0'" }),
      'base.yaml:13: condition: fact password.minDays is used but not listed in facts',
    ],
    [
      'a CEL type error (string compared with a number)',
      check({ condition: "'ssh.permitRootLogin == 1'", facts: '[ssh.permitRootLogin]' }),
      'base.yaml:13: condition: CEL type error: no such overload: string == int',
    ],
    ['a CEL syntax error', check({ condition: "'password.maxDays <= '" }), 'base.yaml:13: condition: CEL syntax error'],
    ['a condition that is not boolean', check({ condition: "'password.maxDays'" }), 'base.yaml:13: condition: must be a boolean expression, is double'],
    [
      'an unknown parameter',
      check({ condition: "'password.maxDays <= params.maxAgeDays'" }),
      'base.yaml:13: condition: unknown parameter params.maxAgeDays (did you mean maxAge?)',
    ],
    ['a duplicate id', check({}) + check({}), 'base.yaml:14: id: host.t.one is already defined at'],
    [
      'a clause outside the standard',
      check({ clause: '{ 2: 7.1.4.1 a, 3: 8.1.4.1 e }' }),
      'base.yaml:7: clause: 8.1.4.1 e is not an item of level 3 in the catalog',
    ],
    ['a level 2 clause given as level 3', check({ clause: '{ 3: 7.1.4.1 a }' }), 'base.yaml:7: clause: 7.1.4.1 a is not an item of level 3'],
    ['a malformed clause', check({ clause: '{ 3: 8.1.4.1(a) }' }), 'base.yaml:7: clause: 8.1.4.1(a): expected e.g. 8.1.4.1 a'],
    ['a base check with one clause string', check({ clause: '8.1.4.1 a' }), 'base.yaml:7: clause: a base check names its clause per level'],
    ['an unknown applies_to', check({ applies_to: 'server' }), 'base.yaml:8: applies_to: server: expected one of host, network_device, collector'],
    ['a missing English text', check({ title: '{ zh: 标题 }' }), 'base.yaml:9: title: needs non-empty zh and en texts'],
    ['an unknown key', check({ severity: 'high' }), 'base.yaml:14: severity: unknown key of a check'],
    [
      'a device fact on a host check',
      check({ facts: '[device.answersV1]', condition: "'!device.answersV1'" }),
      'base.yaml:12: facts: unknown fact device.answersV1 for host',
    ],
    ['a YAML error', `${base(check({}))}  - id: [\n`, 'base.yaml:15: YAML:'],
  ])('%s', (_n, checks, expected) => {
    expect(write(checks.startsWith('pack:') ? checks : base(checks))).toContain(expected);
  });
  it('a parameter redeclared with another type in the level pack', () => {
    expect(write(base(check({})), 'pack: t3\ngrade: 3\nextends: base.yaml\nversion: "1"\nparams:\n  maxAge: { default: "90", zh: 天, en: days }\n')).toContain(
      'level3.yaml:6: params.maxAge: redeclared as string, the base declares double',
    );
  });
});

describe('CEL declarations generated from the facts schemas', () => {
  it.each([
    [{ type: 'integer' }, 'double'],
    [{ anyOf: [{ type: 'null' }, { type: 'integer' }] }, 'double'],
    [{ enum: ['a', 'b'] }, 'string'],
    [{ enum: [4, 6] }, 'double'],
    [{ type: 'array', items: { type: 'string' } }, 'list<string>'],
    [{ type: 'object', additionalProperties: { anyOf: [{ type: 'null' }, { type: 'string' }] } }, 'map<string, string>'],
    [{ type: 'object', additionalProperties: { type: 'object', properties: { mode: { type: 'string' } } } }, 'map<string, dyn>'],
    [
      { type: 'object', properties: { a: { type: 'boolean' }, b: { type: 'number' } } },
      { a: 'bool', b: 'double' },
    ],
  ])('%j → %j', (schema, expected) => {
    expect(celDecl(schema, 'x.y', new Map())).toEqual(expected);
  });
  it('host: one variable per fact prefix; objects in lists are named types', () => {
    const d = declarations('host');
    expect(d.variables.ssh!.permitRootLogin).toBe('string');
    expect(d.variables.password!.lockout).toEqual({ module: 'string', deny: 'double', unlockTime: 'double', evenDenyRoot: 'bool' });
    expect(d.variables.password!.nullok).toBe('list<string>');
    expect(d.variables.accounts!.passwordAging).toBe('list<AccountsPasswordAgingItem>');
    expect(d.types.get('AccountsPasswordAgingItem')).toEqual({ user: 'string', minDays: 'double', maxDays: 'double', warnDays: 'double' });
    expect(declarations('network_device').variables.device!.v3).toEqual({ level: 'string', authProto: 'string', privProto: 'string' });
  });
});
