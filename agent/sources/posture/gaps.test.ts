import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POSTURE_FACT_IDS, postureSchemaV1 } from '../../../contract/facts/posture.js';
import { makeAjv } from '../../../lib/ajv.js';
import { accountFacts, passwordFacts } from './accounts.js';
import { rootProblem } from './cli.js';
import { AREAS, areaIds, collectPosture, postureWire } from './collect.js';
import { Host } from './host.js';
import { analyseRuleset, boundaryFacts, offsetBucket, osFacts, osFamily, trustFacts } from './platform.js';
import { createPostureSource } from './source.js';
import { effectiveAlgorithms, sshFacts, sshdSeconds } from './ssh.js';
import { auditFacts } from './system.js';

const validate = makeAjv().compile(postureSchemaV1);
const FIXTURES = ['debian-hardened', 'debian-weak', 'openeuler-hardened', 'kylin-weak'] as const;

/** A temp root: a copy of a fixture (symlinks kept) plus files; `null` deletes, `{ link }` symlinks, `{ dir }` makes a directory. */
function tree(files: Record<string, string | null | { link: string } | { dir: true }>, fixture?: string): string {
  const root = join(mkdtempSync(join(tmpdir(), 'xj-gap-')), 'root');
  if (fixture) cpSync(new URL(`./fixtures/${fixture}`, import.meta.url).pathname, root, { recursive: true, verbatimSymlinks: true });
  else mkdirSync(root);
  for (const [p, c] of Object.entries(files)) {
    const abs = join(root, p);
    mkdirSync(dirname(abs), { recursive: true });
    if (c === null) rmSync(abs, { recursive: true, force: true });
    else if (typeof c === 'string') writeFileSync(abs, c);
    else if ('link' in c) symlinkSync(c.link, abs);
    else mkdirSync(abs, { recursive: true });
  }
  return root;
}
const val = (f: { status: string; value: unknown; reason?: string } | undefined) => (f?.status === 'ok' ? f.value : `unknown: ${f?.reason}`);

describe('1. the wire object validates against the schema', () => {
  it.each(FIXTURES)('%s: postureWire(collection) validates, has every fact id and no collectedAt', async (n) => {
    const wire = postureWire(await collectPosture(tree({}, n), 5));
    expect(validate(wire), JSON.stringify(validate.errors)).toBe(true);
    expect('collectedAt' in wire).toBe(false);
    expect(Object.keys(wire.facts)).toEqual(POSTURE_FACT_IDS);
  });
  it('the live source sends an object that validates', async () => {
    const out = await createPostureSource({ enabled: true, intervalSeconds: 3600, commandTimeoutSeconds: 20 }).collect({
      signal: new AbortController().signal,
      log: {} as never,
      now: Date.now,
    });
    const wire = out.facts?.['host.posture'] as Record<string, unknown>;
    expect(validate(wire), JSON.stringify(validate.errors)).toBe(true);
    expect(wire).not.toHaveProperty('collectedAt');
  }, 60_000);
  it('rejects a missing fact id, a wrongly typed value and an ok fact with a reason', async () => {
    const wire = postureWire(await collectPosture(tree({}, 'debian-hardened'), 5));
    const clone = () => JSON.parse(JSON.stringify(wire));
    const a = clone();
    delete a.facts['ssh.permitRootLogin'];
    expect(validate(a)).toBe(false);
    const b = clone();
    b.facts['ssh.maxAuthTries'].value = '4';
    expect(validate(b)).toBe(false);
    const c = clone();
    c.facts['trust.tpm'].reason = 'x';
    expect(validate(c)).toBe(false);
    const d = clone();
    d.facts['firewall.input'].value.inputPolicy = 'allow';
    expect(validate(d)).toBe(false);
  });
});

describe('2-4, 11. sshd_config', () => {
  it('a directory where an included file is expected makes every ssh fact unknown, naming it', async () => {
    const root = tree({ '/etc/ssh/sshd_config.d/30-odd.conf': { dir: true } }, 'debian-hardened');
    const f = await sshFacts(new Host(root));
    expect(f['ssh.permitRootLogin']).toEqual({
      status: 'unknown',
      value: null,
      evidence: [],
      reason: '/etc/ssh/sshd_config:2: Include /etc/ssh/sshd_config.d/*.conf: not a file: /etc/ssh/sshd_config.d/30-odd.conf is a directory',
    });
    for (const [id, fact] of Object.entries(f)) if (id !== 'ssh.secondFactor') expect(fact.status, id).toBe('unknown');
  });
  it('an Include directory that is not a directory is unknown too (not skipped)', async () => {
    const root = tree({ '/etc/ssh/sshd_config.d': null }, 'debian-hardened');
    writeFileSync(join(root, 'etc/ssh/sshd_config.d'), 'not a dir');
    const f = await sshFacts(new Host(root));
    expect(val(f['ssh.passwordAuthentication'])).toBe(
      'unknown: /etc/ssh/sshd_config:2: Include /etc/ssh/sshd_config.d/*.conf: not a directory: /etc/ssh/sshd_config.d',
    );
  });
  it('a missing Include directory or a literal Include of a missing file is ignored, as sshd does', async () => {
    const root = tree({
      '/etc/ssh/sshd_config.d': null,
      '/etc/ssh/sshd_config': 'Include /etc/ssh/none.conf\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n',
    });
    expect(val((await sshFacts(new Host(root)))['ssh.permitRootLogin'])).toBe('no');
  });
  it('a Match block in the main file hides what follows it, and +/-/^ algorithm lists apply to the defaults', async () => {
    const root = tree({
      '/etc/ssh/sshd_config':
        'Ciphers +aes128-cbc\nMACs -umac-64*,hmac-sha1*\nKexAlgorithms ^diffie-hellman-group1-sha1\nClientAliveInterval 5m\nClientAliveCountMax 2\nMatch Address 10.0.0.0/8\nPermitRootLogin yes\n',
    });
    const f = await sshFacts(new Host(root));
    expect(val(f['ssh.permitRootLogin'])).toBe('prohibit-password');
    expect(val(f['ssh.clientAliveSeconds'])).toBe(600);
    expect(val(f['ssh.weakAlgorithms'])).toEqual(['aes128-cbc', 'diffie-hellman-group1-sha1']);
    expect((val(f['ssh.ciphers']) as string[]).at(-1)).toBe('aes128-cbc');
    expect(val(f['ssh.macs'])).toEqual([
      'umac-128-etm@openssh.com',
      'hmac-sha2-256-etm@openssh.com',
      'hmac-sha2-512-etm@openssh.com',
      'umac-128@openssh.com',
      'hmac-sha2-256',
      'hmac-sha2-512',
    ]);
    expect((val(f['ssh.kexAlgorithms']) as string[])[0]).toBe('diffie-hellman-group1-sha1');
  });
  it('RHEL 8 crypto-policies back-end wins over sshd_config for algorithms', async () => {
    const root = tree({
      '/etc/ssh/sshd_config': 'Ciphers aes256-ctr\n',
      '/etc/crypto-policies/back-ends/opensshserver.config':
        "CRYPTO_POLICY='-oCiphers=aes256-gcm@openssh.com,aes256-cbc -oMACs=hmac-sha2-256-etm@openssh.com -oKexAlgorithms=curve25519-sha256'\n",
    });
    const f = await sshFacts(new Host(root));
    expect(val(f['ssh.ciphers'])).toEqual(['aes256-gcm@openssh.com', 'aes256-cbc']);
    expect(val(f['ssh.weakAlgorithms'])).toEqual(['aes256-cbc']);
    expect(f['ssh.ciphers']!.evidence[0]!.source).toBe('/etc/crypto-policies/back-ends/opensshserver.config');
  });
  it('parses sshd time values and algorithm modifiers', () => {
    expect([sshdSeconds('300'), sshdSeconds('5m'), sshdSeconds('1h30m'), sshdSeconds('10S'), sshdSeconds('x')]).toEqual([300, 300, 5400, 10, null]);
    expect(effectiveAlgorithms('-a*', ['a1', 'b', 'a2'])).toEqual(['b']);
    expect(effectiveAlgorithms('+c', ['a', 'b'])).toEqual(['a', 'b', 'c']);
    expect(effectiveAlgorithms('^b', ['a', 'b'])).toEqual(['b', 'a']);
  });
});

describe('5, 6, 22. SELinux, IMA, Secure Boot', () => {
  it('live without selinuxfs: disabled, with the configured mode as separate evidence', () => {
    const f = trustFacts(new Host(tree({ '/etc/selinux/config': 'SELINUX=enforcing\n', '/sys/kernel': { dir: true } }), 1000, true));
    expect(f['mac.selinux']).toEqual({
      status: 'ok',
      value: 'disabled',
      evidence: [
        { source: '/sys/fs/selinux', excerpt: 'not mounted: SELinux is not running in the kernel' },
        { source: '/etc/selinux/config', line: 1, excerpt: 'SELINUX=enforcing (configured mode, applies from the next boot)' },
      ],
    });
  });
  it('a file tree reports the configured mode and says so', () => {
    const f = trustFacts(new Host(tree({ '/etc/selinux/config': 'SELINUX=permissive\n' })));
    expect(f['mac.selinux']!.value).toBe('permissive');
    expect(f['mac.selinux']!.evidence[1]).toEqual({
      source: '/sys/fs/selinux',
      excerpt: 'file tree: runtime state not captured, the configured mode is reported',
    });
  });
  it.each([
    ['securityfs only, empty policy', { '/sys/kernel/security/ima/policy': '' }, false],
    ['only boot_aggregate measured', { '/sys/kernel/security/ima/ascii_runtime_measurements': '10 abc ima-ng sha256:00 boot_aggregate\n' }, false],
    [
      'ima_policy= on the kernel command line',
      { '/sys/kernel/security/ima/policy': '', '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz ro ima_policy=tcb quiet\n' },
      true,
    ],
    [
      'measurements beyond boot_aggregate',
      { '/sys/kernel/security/ima/ascii_runtime_measurements': '10 abc ima-ng sha256:00 boot_aggregate\n10 def ima-ng sha256:11 /usr/bin/bash\n' },
      true,
    ],
    ['no IMA in securityfs', { '/sys/kernel': { dir: true } }, false],
  ] as const)('trust.ima: %s', (_t, files, expected) => {
    expect(trustFacts(new Host(tree(files as Record<string, string>)))['trust.ima']!.value).toBe(expected);
  });
  it('an unreadable SecureBoot variable is unknown, not false', () => {
    const f = trustFacts(new Host(tree({ '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c': '\u0006' })));
    expect(f['boot.secureBoot']!.status).toBe('unknown');
    const g = trustFacts(new Host(tree({ '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c': '\u0006\u0000\u0000\u0000\u0001' })));
    expect(g['boot.secureBoot']!.value).toBe(true);
  });
});

describe('7, 8, 10. firewall', () => {
  const firewalldNft = `table inet firewalld {
  chain filter_INPUT {
    type filter hook input priority filter + 10; policy accept;
    ct state { established, related } accept
    ct status dnat accept
    iifname "lo" accept
    ct state invalid drop
    jump filter_INPUT_ZONES
    reject with icmpx admin-prohibited
  }
  chain filter_INPUT_ZONES {
    iifname "eth0" goto filter_IN_public
    goto filter_IN_public
  }
  chain filter_IN_public {
    jump filter_IN_public_allow
    meta l4proto { icmp, ipv6-icmp } accept
  }
  chain filter_IN_public_allow {
    ip6 daddr fe80::/64 udp dport 546 accept
    tcp dport 22 accept
  }
}`;
  it.each([
    [
      'nft: firewalld chains found by hook input, not name; ssh open in the zone',
      'nft',
      firewalldNft,
      4,
      { inputPolicy: 'reject', stateful: true, sshRestricted: false },
    ],
    [
      'nft: dport {22,443} accepted from anywhere',
      'nft',
      'table inet f { chain in { type filter hook input priority 0; policy drop; ct state established,related accept\n tcp dport { 22, 443 } accept } }',
      4,
      { inputPolicy: 'drop', stateful: true, sshRestricted: false, rules: 2 },
    ],
    [
      'nft: restricted rule plus an unrestricted one',
      'nft',
      'table ip f { chain input { type filter hook input priority 0; policy drop;\n tcp dport 22 ip saddr 10.0.0.0/8 accept\n tcp dport ssh accept } }',
      4,
      { inputPolicy: 'drop', sshRestricted: false },
    ],
    [
      'nft: restricted rule but policy accept',
      'nft',
      'table ip f { chain input { type filter hook input priority 0; policy accept;\n tcp dport 22 ip saddr 10.0.0.0/8 accept } }',
      4,
      { inputPolicy: 'accept', sshRestricted: false },
    ],
    [
      'nft: ct state vmap',
      'nft',
      'table inet f { chain input { type filter hook input priority 0; policy drop;\n ct state vmap { established : accept, related : accept, invalid : drop }\n iif lo accept\n tcp dport 22 ip6 saddr fd00::/8 accept } }',
      6,
      { inputPolicy: 'drop', stateful: true, sshRestricted: true, rules: 3 },
    ],
    [
      'nft: a range covering 22',
      'nft',
      'table ip f { chain input { type filter hook input priority 0; policy drop;\n tcp dport 1-1024 accept } }',
      4,
      { inputPolicy: 'drop', sshRestricted: false },
    ],
    [
      'nft: restricted only',
      'nft',
      'table ip f { chain input { type filter hook input priority 0; policy drop;\n tcp dport 22 ip saddr { 10.0.0.0/8, 192.168.1.0/24 } accept\n counter drop } }',
      4,
      { inputPolicy: 'drop', sshRestricted: true },
    ],
    [
      'iptables: multiport 22,443 from anywhere',
      'iptables',
      ':INPUT DROP [0:0]\n-A INPUT -p tcp -m multiport --dports 22,443 -j ACCEPT',
      4,
      { inputPolicy: 'drop', sshRestricted: false },
    ],
    [
      'iptables: RHEL default (ACCEPT policy, final REJECT)',
      'iptables',
      ':INPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A INPUT -s 10.1.0.0/16 -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp-host-prohibited',
      4,
      { inputPolicy: 'reject', stateful: true, sshRestricted: true },
    ],
    [
      'iptables: custom chain jump',
      'iptables',
      ':INPUT DROP [0:0]\n:SSH - [0:0]\n-A INPUT -p tcp --dport 22 -j SSH\n-A SSH -j ACCEPT',
      4,
      { inputPolicy: 'drop', sshRestricted: false },
    ],
  ] as const)('%s', (_t, kind, text, fam, expected) => {
    expect(analyseRuleset(text, kind, fam)).toMatchObject(expected);
  });
  it('nftables `ip` tables do not filter IPv6; `inet` and `ip6` do', () => {
    const t = 'table ip f { chain input { type filter hook input priority 0; policy drop; } }';
    expect(analyseRuleset(t, 'nft', 6)).toBeNull();
    expect(analyseRuleset(t.replace('table ip ', 'table ip6 '), 'nft', 6)).toMatchObject({ inputPolicy: 'drop' });
  });
  it('a RHEL nftables.conf include is followed; ip6tables rules give firewall.input6', async () => {
    const root = tree({
      '/etc/sysconfig/nftables.conf': '# RHEL\ninclude "/etc/nftables/*.nft"\n',
      '/etc/nftables/main.nft':
        'table ip filter {\n chain INPUT {\n  type filter hook input priority 0; policy drop;\n  ct state established accept\n  tcp dport 22 ip saddr 10.0.0.0/8 accept\n }\n}\n',
      '/etc/sysconfig/ip6tables': '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n',
      '/etc/systemd/system/multi-user.target.wants/nftables.service': '',
    });
    const f = await boundaryFacts(new Host(root));
    expect(f['firewall.input']!.value).toEqual({ tool: 'nftables', active: true, inputPolicy: 'drop', stateful: true, sshRestricted: true, rules: 2 });
    expect(f['firewall.input6']!.value).toEqual({ tool: 'iptables', active: false, inputPolicy: 'accept', stateful: false, sshRestricted: false, rules: 1 });
  });
  it('firewalld: DROP target zone with ssh service; zone file missing = built-in public', async () => {
    const a = await boundaryFacts(
      new Host(
        tree({
          '/etc/firewalld/firewalld.conf': 'DefaultZone=internal\n',
          '/etc/firewalld/zones/internal.xml': '<zone target="DROP"><service name="ssh"/></zone>',
        }),
      ),
    );
    expect(a['firewall.input']!.value).toEqual({
      tool: 'firewalld',
      active: false,
      zone: 'internal',
      inputPolicy: 'drop',
      stateful: true,
      sshRestricted: false,
    });
    const b = await boundaryFacts(new Host(tree({ '/etc/firewalld/firewalld.conf': 'DefaultZone=public\n' })));
    expect(b['firewall.input']!.value).toMatchObject({ zone: 'public', inputPolicy: 'reject', sshRestricted: false });
    expect(b['firewall.input']!.evidence[1]!.excerpt).toMatch(/^not under this root: firewalld built-in public zone assumed/);
  });
});

describe('12, 13. PAM, accounts, sudo', () => {
  it('follows include/substack, keeps bracket controls, pam_pwhistory default 10, pwhistory.conf', () => {
    const base = {
      '/etc/pam.d/sshd': 'auth substack password-auth\npassword include system-auth\n',
      '/etc/pam.d/password-auth': 'auth required pam_faillock.so preauth\nauth sufficient pam_unix.so\nauth [default=die] pam_faillock.so authfail\n',
      '/etc/security/faillock.conf': 'deny = 4\nunlock_time = 1200\n',
      '/etc/pam.d/system-auth': 'password [success=1 default=ignore] pam_pwhistory.so use_authtok\n',
    };
    const f = passwordFacts(new Host(tree(base)));
    expect(f['password.historyRemember']!.value).toBe(10);
    expect(f['password.lockout']!.value).toEqual({ module: 'pam_faillock', deny: 4, unlockTime: 1200, evenDenyRoot: false });
    const g = passwordFacts(new Host(tree({ ...base, '/etc/security/pwhistory.conf': 'remember = 24\n' })));
    // a preauth line alone, or after a sufficient pam_unix, counts no failure: no lockout, the lines as evidence
    for (const pa of [
      'auth [success=1 default=ignore] pam_faillock.so preauth\n',
      'auth sufficient pam_unix.so\nauth required pam_faillock.so preauth deny=3\n',
    ]) {
      const h = passwordFacts(new Host(tree({ ...base, '/etc/pam.d/password-auth': pa })));
      expect(h['password.lockout']!.value).toBeNull();
      expect(h['password.lockout']!.evidence.map((e) => e.excerpt).join('\n')).toMatch(/pam_faillock cannot lock anyone out/);
    }
    expect(g['password.historyRemember']!.value).toBe(24);
  });
  it('sudo forms, empty shell = /bin/sh, unreadable sudoers.d entry = unknown, shadow expiry', () => {
    const root = tree({
      '/etc/passwd': 'root:x:0:0::/root:/bin/bash\nbin:x:2:2::/bin:\nnobody:x:65534:65534::/:/usr/sbin/nologin\n',
      '/etc/shadow': 'root:$fixture$hash:19700:0:90:7:30:20000:\n',
      '/etc/sudoers':
        'root ALL=(ALL:ALL) ALL\na ALL = (ALL : ALL) ALL\nb ALL=(root) ALL\nc ALL=ALL\nd ALL=(ALL) SETENV: NOPASSWD: ALL\ne ALL=(ALL) /usr/bin/systemctl\nf ALL=(postgres) ALL\nUser_Alias ADMINS = g, h\nADMINS ALL=(ALL) ALL\n',
    });
    const f = accountFacts(new Host(root));
    expect(f['sudo.broadGrants']!.value).toEqual(['a', 'b', 'c', 'd', 'ADMINS']);
    expect(f['sudo.broadGrants']!.evidence.slice(-2)).toEqual([
      { source: '/etc/sudoers', line: 9, excerpt: 'ADMINS ALL=(ALL) ALL' },
      { source: '/etc/sudoers', line: 8, excerpt: 'User_Alias ADMINS = g, h' },
    ]);
    expect(f['sudo.nopasswd']!.value).toEqual(['d']);
    expect(f['accounts.systemWithShell']!.value).toEqual(['bin']);
    expect(f['accounts.expiry']!.value).toEqual([{ user: 'root', lastChange: '2023-12-09', inactiveDays: 30, expireDate: '2024-10-04' }]);
    mkdirSync(join(root, 'etc/sudoers.d/odd'), { recursive: true });
    const g = accountFacts(new Host(root));
    expect(g['sudo.broadGrants']).toMatchObject({ status: 'unknown', reason: 'not a file: /etc/sudoers.d/odd is a directory' });
  });
});

describe('14, 15. audit and logs', () => {
  it('rules.d preferred over the generated audit.rules (no double count), -F path= form', async () => {
    const root = tree({
      '/etc/audit/audit.rules': '## generated by augenrules\n-w /etc/passwd -p wa\n-a always,exit -F path=/etc/shadow -F perm=wa\n',
      '/etc/audit/rules.d/a.rules': '-w /etc/passwd -p wa\n-a always,exit -F path=/etc/shadow -F perm=wa\n',
    });
    const f = await auditFacts(new Host(root));
    expect(f['audit.rules']!.value).toMatchObject({ count: 2, identity: true, source: '/etc/audit/rules.d/*.rules (augenrules sources)' });
    const g = await auditFacts(new Host(tree({ '/etc/audit/audit.rules': '-a always,exit -F path=/etc/gshadow -F perm=wa -k identity\n' })));
    expect(g['audit.rules']!.value).toMatchObject({ count: 1, identity: true, source: '/etc/audit/audit.rules' });
  });
  it('journald retention and logrotate maxage/hourly', async () => {
    const root = tree({
      '/etc/systemd/journald.conf': '[Journal]\nStorage=persistent\n',
      '/etc/systemd/journald.conf.d/50-mlps.conf': '[Journal]\nMaxRetentionSec=6month\nSystemMaxUse=4G\n',
      '/etc/logrotate.conf': 'weekly\nrotate 52\n',
      '/etc/logrotate.d/rsyslog': '/var/log/messages\n{\n  rotate 24\n  hourly\n  maxage 180\n}\n',
    });
    const f = await auditFacts(new Host(root));
    expect(f['log.journaldRetention']!.value).toEqual({ storage: 'persistent', persistent: true, maxRetentionSec: 15778800, systemMaxUse: '4G' });
    expect(f['log.retentionDays']!.value).toBe(1);
    const g = await auditFacts(new Host(tree({ '/etc/logrotate.conf': 'rotate 4\n', '/var/log/journal': { dir: true } })));
    expect(g['log.retentionDays']!.value).toBe(4);
    expect(g['log.journaldRetention']!.value).toEqual({ storage: 'auto', persistent: true, maxRetentionSec: null, systemMaxUse: null });
  });
  it.each([
    ['config only (binary not in the tree)', { '/etc/rsyslog.conf': '*.* /var/log/messages\n' }, { status: 'unknown', value: null }],
    [
      'config and enabled unit, no binary',
      { '/etc/rsyslog.conf': '', '/etc/systemd/system/multi-user.target.wants/rsyslog.service': '' },
      { status: 'unknown', value: null },
    ],
    ['unit file, not enabled', { '/lib/systemd/system/rsyslog.service': '' }, { value: 'disabled' }],
    ['binary under /sbin, enabled', { '/sbin/rsyslogd': '', '/etc/systemd/system/multi-user.target.wants/rsyslog.service': '' }, { value: 'enabled' }],
    ['nothing at all', {}, { value: 'not_installed' }],
  ])('log.rsyslog in a file tree: %s', async (_n, files, want) => {
    const f = await auditFacts(new Host(tree(files)));
    expect(f['log.rsyslog']).toMatchObject(want);
    if ('status' in want)
      expect(f['log.rsyslog']!.reason).toContain(
        '/etc/rsyslog.conf present but neither /usr/sbin/rsyslogd, /sbin/rsyslogd nor a rsyslog.service unit file in this tree',
      );
  });

  it('multi-line rsyslog action(type="omfwd") and syslog-ng destinations', async () => {
    const root = tree({
      '/etc/rsyslog.d/90-remote.conf': '*.* action(type="omfwd"\n    target="10.9.9.9" port="514"\n    protocol="tcp")\n',
      '/etc/syslog-ng/conf.d/remote.conf': 'destination d_net { network("log.example" transport("tcp") port(601)); };\n',
    });
    const f = await auditFacts(new Host(root));
    expect(f['log.remoteTargets']!.value).toEqual(['10.9.9.9', 'log.example']);
    expect(f['log.remoteTargets']!.evidence[0]).toEqual({
      source: '/etc/rsyslog.d/90-remote.conf',
      line: 1,
      excerpt: '*.* action(type="omfwd" target="10.9.9.9" port="514" protocol="tcp")',
    });
  });
});

describe('17, 18. OS family, symlinks inside the root', () => {
  it.each([
    ['kylin', 'debian', 'debian'],
    ['kylin', '', 'rhel'],
    ['uos', 'debian', 'debian'],
    ['anolis', 'rhel centos fedora', 'rhel'],
    ['openeuler', '', 'rhel'],
    ['alpine', '', 'other'],
  ])('ID=%s ID_LIKE=%s → %s', (id, like, family) => {
    expect(osFamily(id, like)).toBe(family);
  });
  it('os.release names the file actually read (/usr/lib/os-release)', () => {
    const f = osFacts(new Host(tree({ '/usr/lib/os-release': 'ID=kylin\nID_LIKE=debian\nVERSION_ID=V10\n' })));
    expect(f.value).toMatchObject({ id: 'kylin', family: 'debian' });
    expect(f.evidence[0]).toEqual({ source: '/usr/lib/os-release', excerpt: 'ID=kylin\nID_LIKE=debian\nVERSION_ID=V10' });
  });
  it('absolute and ../ symlinks resolve inside the root, never to the scanning machine', () => {
    const root = tree({
      '/etc/passwd': 'inside:x:0:0::/:/bin/sh\n',
      '/etc/pam.d/a': { link: '/etc/passwd' },
      '/etc/pam.d/b': { link: '../../../../../../../etc/passwd' },
      '/etc/alt': { link: '/etc' },
    });
    const h = new Host(root);
    expect(h.text('/etc/pam.d/a')).toBe('inside:x:0:0::/:/bin/sh\n');
    expect(h.text('/etc/pam.d/b')).toBe('inside:x:0:0::/:/bin/sh\n');
    expect(h.text('/etc/alt/passwd')).toBe('inside:x:0:0::/:/bin/sh\n');
  });
});

describe('19, 20, 22. collection', () => {
  it('an area that throws makes every one of its facts unknown; none vanish', async () => {
    const areas = AREAS.map((a) =>
      a.name === 'ssh'
        ? {
            ...a,
            run: () => {
              throw new Error('boom');
            },
          }
        : a,
    );
    const p = await collectPosture(tree({}, 'debian-hardened'), 5, new Date(), areas);
    const ssh = areaIds(AREAS.find((a) => a.name === 'ssh')!);
    expect(ssh).toContain('ssh.weakAlgorithms');
    expect(ssh).not.toContain('ssh.running');
    for (const id of ssh) expect(p.facts[id]).toEqual({ status: 'unknown', value: null, evidence: [], reason: 'collector error in ssh: boom' });
    expect(Object.keys(p.facts)).toEqual(POSTURE_FACT_IDS);
    expect(validate(p), JSON.stringify(validate.errors)).toBe(true);
  });
  it('a value that breaks the schema becomes unknown with the schema error, so the report is never refused', async () => {
    const areas = AREAS.map((a) =>
      a.name === 'ssh' ? { ...a, run: () => ({ 'ssh.maxAuthTries': { status: 'ok' as const, value: 'three', evidence: [] } }) } : a,
    );
    const p = await collectPosture(tree({}, 'debian-hardened'), 5, new Date(), areas);
    expect(p.facts['ssh.maxAuthTries']).toEqual({
      status: 'unknown',
      value: null,
      evidence: [],
      reason:
        'collector bug: value does not match facts schema v1 (/facts/ssh.maxAuthTries/value: must be null; /facts/ssh.maxAuthTries/value: must be integer)',
    });
    expect(validate(p), JSON.stringify(validate.errors)).toBe(true);
  });
  it('every schema fact id belongs to exactly one area', () => {
    for (const id of POSTURE_FACT_IDS)
      expect(
        AREAS.filter((a) => a.ids(id)).map((a) => a.name),
        id,
      ).toHaveLength(1);
  });
  it('an area past the overall deadline is unknown', async () => {
    const slow = [{ name: 'os', ids: (id: string) => id === 'os.release', run: () => new Promise<never>(() => {}) }];
    const p = await collectPosture(tree({}, 'debian-hardened'), 5, new Date(), slow, 0.05);
    expect(p.facts['os.release']).toMatchObject({
      status: 'unknown',
      reason: 'collector error in os: did not finish within the collection deadline of 0.05 s',
    });
  });
  it.each(FIXTURES)('%s: two collections give identical canonical JSON, evidence included', async (n) => {
    const root = tree({}, n);
    const a = JSON.stringify(postureWire(await collectPosture(root, 5, new Date(0))));
    const b = JSON.stringify(postureWire(await collectPosture(root, 5, new Date(1e12))));
    expect(b).toBe(a);
  });
  it('the live host: two collections in a row give the same wire JSON (sockets and processes aside)', async () => {
    // other processes on a shared CI machine open and close listeners between the runs: net.* and
    // process-based facts may change for real; the fixture test above covers them
    const volatile = /^(net\.|ssh\.running|security\.agents)/;
    const stable = (p: Awaited<ReturnType<typeof collectPosture>>) => JSON.stringify(Object.entries(postureWire(p).facts).filter(([id]) => !volatile.test(id)));
    const a = stable(await collectPosture('/', 20));
    const b = stable(await collectPosture('/', 20));
    expect(b).toBe(a);
  }, 90_000);
  it('clock offsets are reported by bucket', () => {
    expect([offsetBucket(0.0000421), offsetBucket(0.0042), offsetBucket(0.5), offsetBucket(3)]).toEqual([0.001, 0.01, 1, 10]);
  });
  it('facts --root with a missing directory is a clear error', () => {
    expect(rootProblem('/nonexistent/xj')).toBe('--root /nonexistent/xj: no such directory');
    expect(rootProblem(tree({ '/f': 'x' }).concat('/f'))).toMatch(/: not a directory$/);
    expect(rootProblem('/')).toBeUndefined();
  });
});

describe('docs', () => {
  it('contract/facts/README.md names every fact id', () => {
    const doc = readFileSync(new URL('../../../contract/facts/README.md', import.meta.url), 'utf8');
    for (const id of POSTURE_FACT_IDS) expect(doc.includes(`\`${id}\``) || doc.includes(`\`.${id.split('.').pop()}\``), id).toBe(true);
  });
});
