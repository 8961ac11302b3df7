import { chmodSync, cpSync, mkdtempSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PostureFacts, postureSchemaV1 } from '../../../contract/facts/posture.js';
import { makeAjv } from '../../../lib/ajv.js';
import { collectPosture } from './collect.js';
import { analyseRuleset } from './platform.js';
import { parseProcNet } from './system.js';

/**
 * Fixture hosts: a hardened and a weak host of each family (Debian-like: Debian 12 and Ubuntu 22.04;
 * RHEL-like: openEuler 22.03 and Kylin V10). Git keeps no modes or times, so `.fixture.json` holds
 * them and each tree is copied and given them before collection.
 */
const FIXTURES = ['debian-hardened', 'debian-weak', 'openeuler-hardened', 'kylin-weak'] as const;
type Name = (typeof FIXTURES)[number];
const collected = {} as Record<Name, PostureFacts>;
const validate = makeAjv().compile(postureSchemaV1);

beforeAll(async () => {
  for (const name of FIXTURES) {
    const src = new URL(`./fixtures/${name}`, import.meta.url).pathname;
    const root = join(mkdtempSync(join(tmpdir(), `xj-posture-${name}-`)), 'root');
    cpSync(src, root, { recursive: true, verbatimSymlinks: true });
    const meta = JSON.parse(readFileSync(join(src, '.fixture.json'), 'utf8')) as { modes: Record<string, string>; ageDays?: Record<string, number> };
    for (const [p, mode] of Object.entries(meta.modes)) chmodSync(join(root, p), Number.parseInt(mode, 8));
    for (const [p, days] of Object.entries(meta.ageDays ?? {})) {
      const t = new Date(Date.now() - days * 86_400_000 - 3600_000);
      utimesSync(join(root, p), t, t);
    }
    collected[name] = await collectPosture(root, 5);
  }
});

const value = (n: Name, id: string) => {
  const f = collected[n].facts[id];
  if (!f) throw new Error(`no fact ${id} for ${n}`);
  return f.status === 'ok' ? f.value : `unknown: ${f.reason}`;
};

describe('posture facts of fixture hosts', () => {
  it.each(FIXTURES)('%s: validates against the facts schema v1, nothing unknown by accident', (n) => {
    expect(validate(collected[n]), JSON.stringify(validate.errors)).toBe(true);
    expect(collected[n].live).toBe(false);
    const unknownIds = Object.entries(collected[n].facts)
      .filter(([, f]) => f.status === 'unknown')
      .map(([id]) => id);
    // only what a file tree cannot show: live package tools, firmware, and (where /sys is absent) kernel state
    for (const id of unknownIds)
      expect(['updates.pendingSecurity', 'boot.secureBoot', 'mac.apparmor', 'trust.ima', 'trust.tpm', 'audit.rules', 'log.fileModes']).toContain(id);
  });

  const table: [Name, string, unknown][] = [
    // 8.1.4.1 a: identity and password policy
    ['debian-hardened', 'accounts.uid0', ['root']],
    ['debian-weak', 'accounts.uid0', ['root', 'toor']],
    [
      'debian-weak',
      'accounts.duplicateUids',
      [
        { uid: 0, users: ['root', 'toor'] },
        { uid: 1001, users: ['deploy', 'backup2'] },
      ],
    ],
    ['debian-weak', 'accounts.emptyPasswords', ['deploy']],
    ['openeuler-hardened', 'accounts.emptyPasswords', []],
    ['debian-hardened', 'password.maxDays', 90],
    ['debian-weak', 'password.maxDays', 99999],
    ['openeuler-hardened', 'password.minDays', 7],
    ['openeuler-hardened', 'password.warnAge', 14],
    // pwquality.conf, then pwquality.conf.d/50-mlps.conf (ucredit), then the module arguments
    ['debian-hardened', 'password.quality', { module: 'pam_pwquality', minlen: 12, dcredit: -1, minclass: 3, ucredit: -1 }],
    ['kylin-weak', 'password.quality', { module: 'pam_pwquality', minlen: 6 }],
    ['debian-weak', 'password.quality', null],
    ['debian-hardened', 'password.historyRemember', 5],
    ['openeuler-hardened', 'password.historyRemember', 5],
    ['kylin-weak', 'password.historyRemember', null],
    [
      'debian-hardened',
      'accounts.passwordAging',
      [
        { user: 'root', minDays: 1, maxDays: 90, warnDays: 7 },
        { user: 'secadmin', minDays: 1, maxDays: 90, warnDays: 7 },
        { user: 'auditor', minDays: 1, maxDays: 60, warnDays: 14 },
      ],
    ],
    // 8.1.4.1 b: login failures, session timeout
    ['debian-hardened', 'password.lockout', { module: 'pam_faillock', deny: 5, unlockTime: 900, evenDenyRoot: true }],
    ['openeuler-hardened', 'password.lockout', { module: 'pam_faillock', deny: 3, unlockTime: 300, evenDenyRoot: true }],
    ['kylin-weak', 'password.lockout', { module: 'pam_tally2', deny: 10, unlockTime: null, evenDenyRoot: false }],
    // debian-weak: a pam_faillock preauth line after a sufficient pam_unix, no authfail line: locks nobody out
    ['debian-weak', 'password.lockout', null],
    // pam_unix nullok in an auth stack: an empty password field logs in
    ['debian-weak', 'password.nullok', ['/etc/pam.d/common-auth:1']],
    ['debian-hardened', 'password.nullok', ['/etc/pam.d/common-auth:2']],
    ['kylin-weak', 'password.nullok', ['/etc/pam.d/system-auth:2']],
    ['openeuler-hardened', 'password.nullok', []],
    ['debian-hardened', 'session.tmout', 600],
    ['openeuler-hardened', 'session.tmout', 300],
    ['debian-weak', 'session.tmout', null],
    ['debian-hardened', 'ssh.clientAliveSeconds', 600],
    ['openeuler-hardened', 'ssh.clientAliveSeconds', 0],
    ['kylin-weak', 'ssh.clientAliveSeconds', 5400],
    ['debian-weak', 'ssh.clientAliveSeconds', 0],
    // 8.1.4.1 c/d, 8.1.4.2 a/b: remote management, root login, second factor
    ['debian-hardened', 'ssh.permitRootLogin', 'no'],
    ['debian-weak', 'ssh.permitRootLogin', 'yes'],
    ['kylin-weak', 'ssh.passwordAuthentication', 'yes'],
    ['debian-hardened', 'ssh.passwordAuthentication', 'no'],
    ['debian-hardened', 'ssh.authenticationMethods', 'publickey,password'],
    ['debian-hardened', 'ssh.maxAuthTries', 4],
    ['debian-weak', 'ssh.maxAuthTries', 6],
    // AllowGroups/DenyUsers accumulate over directives; the Match block in 20-backup.conf ends with that file
    ['debian-hardened', 'ssh.allowGroups', ['sshusers', 'sshadmins']],
    ['debian-hardened', 'ssh.denyUsers', ['guest', 'nobody', 'backup2']],
    ['debian-hardened', 'ssh.denyGroups', null],
    ['debian-hardened', 'ssh.protocol', '2'],
    ['kylin-weak', 'ssh.protocol', '2'],
    ['debian-hardened', 'ssh.secondFactor', ['pam_google_authenticator']],
    ['debian-weak', 'ssh.secondFactor', []],
    ['debian-hardened', 'ssh.running', { running: true, listening: ['0.0.0.0:22', ':::22'] }],
    ['kylin-weak', 'ssh.running', { running: false, listening: [] }],
    ['openeuler-hardened', 'ssh.allowUsers', ['secadmin@10.20.0.0/16', 'sysadmin@10.20.0.0/16']],
    ['debian-weak', 'ssh.weakAlgorithms', ['aes128-cbc', '3des-cbc', 'hmac-md5']],
    // nothing set: the OpenSSH 8.x/9.x default MACs include umac-64 and hmac-sha1 — not []
    ['kylin-weak', 'ssh.weakAlgorithms', ['umac-64-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'hmac-sha1']],
    ['kylin-weak', 'ssh.macs', null],
    ['openeuler-hardened', 'ssh.weakAlgorithms', ['diffie-hellman-group14-sha1']],
    ['debian-hardened', 'ssh.weakAlgorithms', []],
    ['debian-hardened', 'ssh.kexAlgorithms', ['curve25519-sha256', 'sm2-sm3']],
    ['debian-weak', 'accounts.systemWithShell', ['games']],
    ['kylin-weak', 'accounts.systemWithShell', ['ftp']],
    ['kylin-weak', 'accounts.defaultUnlocked', ['halt', 'ftp']],
    ['debian-weak', 'accounts.defaultUnlocked', ['lp']],
    // 8.1.4.2 d: least privilege
    ['debian-hardened', 'sudo.broadGrants', []],
    ['kylin-weak', 'sudo.broadGrants', ['%wheel', 'kylin']],
    ['debian-weak', 'sudo.broadGrants', ['%admin', 'deploy']],
    ['kylin-weak', 'sudo.nopasswd', ['kylin']],
    ['debian-hardened', 'su.wheelRestricted', true],
    ['kylin-weak', 'su.wheelRestricted', false],
    // 8.1.4.2 e: permissions
    ['openeuler-hardened', 'files.umask', '0077'],
    ['debian-hardened', 'files.umask', '0027'],
    ['kylin-weak', 'files.umask', null],
    // 8.1.4.2 g / 8.1.4.6: labels and trust
    ['openeuler-hardened', 'mac.selinux', 'enforcing'],
    ['kylin-weak', 'mac.selinux', 'disabled'],
    ['debian-hardened', 'mac.apparmor', 'enabled'],
    ['openeuler-hardened', 'mac.apparmor', 'absent'],
    ['debian-hardened', 'trust.tpm', true],
    // a loaded policy with measure/appraise rules; debian-hardened has securityfs IMA but an empty policy
    ['openeuler-hardened', 'trust.ima', true],
    ['debian-hardened', 'trust.ima', false],
    ['openeuler-hardened', 'trust.tpm', false],
    // 8.1.4.3: audit and logs
    ['debian-hardened', 'audit.auditd', 'enabled'],
    ['kylin-weak', 'audit.auditd', 'disabled'],
    ['debian-weak', 'audit.auditd', 'not_installed'],
    [
      'debian-hardened',
      'audit.rules',
      { count: 6, identity: true, sudoers: true, logins: true, deletions: true, immutable: true, source: '/etc/audit/rules.d/*.rules (augenrules sources)' },
    ],
    [
      'openeuler-hardened',
      'audit.rules',
      { count: 5, identity: true, sudoers: true, logins: true, deletions: true, immutable: true, source: '/etc/audit/rules.d/*.rules (augenrules sources)' },
    ],
    [
      'kylin-weak',
      'audit.rules',
      { count: 0, identity: false, sudoers: false, logins: false, deletions: false, immutable: false, source: '/etc/audit/audit.rules' },
    ],
    ['debian-weak', 'log.fileModes', { '/var/log/syslog': '0644', '/var/log/auth.log': '0644' }],
    ['openeuler-hardened', 'log.fileModes', { '/var/log/messages': '0600', '/var/log/secure': '0600', '/var/log/audit/audit.log': '0600' }],
    ['debian-hardened', 'log.fileModes', expect.stringMatching(/^unknown: no \/var\/log under this root$/)],
    ['openeuler-hardened', 'backup.jobs', ['/etc/cron.d/backup: restic']],
    ['debian-hardened', 'backup.jobs', []],
    ['debian-hardened', 'net.hostsAccess', { allow: ['sshd: 10.20.0.0/255.255.0.0'], deny: ['ALL: ALL'] }],
    ['debian-weak', 'net.hostsAccess', { allow: [], deny: [] }],
    ['debian-hardened', 'log.rsyslog', 'enabled'],
    ['debian-weak', 'log.rsyslog', 'disabled'],
    ['debian-hardened', 'log.remoteTargets', ['syslog.county.example']],
    ['openeuler-hardened', 'log.remoteTargets', ['logcenter.city.example']],
    ['debian-weak', 'log.remoteTargets', []],
    ['debian-hardened', 'log.retentionDays', 180],
    ['openeuler-hardened', 'log.retentionDays', 182],
    ['debian-weak', 'log.retentionDays', 7],
    ['kylin-weak', 'log.retentionDays', 28],
    // 8.1.4.4 / 8.1.4.5: intrusion prevention, malware
    ['debian-weak', 'net.highRiskPorts', ['tcp/21', 'tcp/23', 'udp/69', 'tcp/6379']],
    ['kylin-weak', 'net.highRiskPorts', ['tcp/111', 'tcp/445']],
    ['debian-hardened', 'net.highRiskPorts', []],
    [
      'openeuler-hardened',
      'net.listening',
      [
        { proto: 'tcp', family: 6, address: '::', port: 22 },
        { proto: 'udp', family: 4, address: '127.0.0.1', port: 323 },
      ],
    ],
    // owners from /proc/<pid>/fd -> socket:[inode]; 127.0.0.53 and ::ffff:127.0.0.1 are loopback; 514/udp is syslog;
    // the UDP client socket on ephemeral port 45000 is left out
    [
      'debian-weak',
      'net.listening',
      [
        { proto: 'tcp', family: 4, address: '0.0.0.0', port: 21, process: 'inetd' },
        { proto: 'tcp', family: 4, address: '0.0.0.0', port: 23, process: 'inetd' },
        { proto: 'tcp', family: 4, address: '127.0.0.53', port: 25 },
        { proto: 'udp', family: 4, address: '0.0.0.0', port: 69 },
        { proto: 'udp', family: 4, address: '0.0.0.0', port: 514, process: 'rsyslogd' },
        { proto: 'tcp', family: 4, address: '127.0.0.1', port: 6379 },
        { proto: 'tcp', family: 6, address: '::', port: 6379 },
        { proto: 'tcp', family: 6, address: '::ffff:127.0.0.1', port: 11211 },
      ],
    ],
    [
      'debian-hardened',
      'net.listening',
      [
        { proto: 'tcp', family: 4, address: '0.0.0.0', port: 22, process: 'sshd' },
        { proto: 'tcp', family: 6, address: '::', port: 22, process: 'sshd' },
        { proto: 'udp', family: 4, address: '127.0.0.1', port: 323 },
      ],
    ],
    ['debian-weak', 'packages.insecure', ['telnetd', 'vsftpd']],
    ['debian-hardened', 'packages.insecure', []],
    ['debian-hardened', 'security.agents', ['wazuh:wazuh-agentd', 'clamav:clamd']],
    ['openeuler-hardened', 'security.agents', ['huawei-hss:hostguard']],
    ['kylin-weak', 'security.agents', []],
    ['debian-hardened', 'security.clamavSignatureAgeDays', 1],
    ['debian-weak', 'security.clamavSignatureAgeDays', 40],
    // 8.1.3: boundary
    ['debian-hardened', 'firewall.input', { tool: 'nftables', active: true, inputPolicy: 'drop', stateful: true, sshRestricted: true, rules: 4 }],
    // table inet: the same chain filters IPv6
    ['debian-hardened', 'firewall.input6', { tool: 'nftables', active: true, inputPolicy: 'drop', stateful: true, sshRestricted: true, rules: 4 }],
    ['kylin-weak', 'firewall.input', { tool: 'iptables', active: false, inputPolicy: 'accept', stateful: false, sshRestricted: false, rules: 1 }],
    ['kylin-weak', 'firewall.input6', { tool: null, active: false, inputPolicy: null, stateful: false, sshRestricted: false }],
    // zones/public.xml: target default (= reject), ssh only by a rich rule with a source
    ['openeuler-hardened', 'firewall.input', { tool: 'firewalld', active: true, inputPolicy: 'reject', stateful: true, sshRestricted: true, zone: 'public' }],
    ['openeuler-hardened', 'firewall.input6', { tool: 'firewalld', active: true, inputPolicy: 'reject', stateful: true, sshRestricted: true, zone: 'public' }],
    ['debian-weak', 'firewall.input', { tool: null, active: false, inputPolicy: null, stateful: false, sshRestricted: false }],
    // 8.1.4.3 b: time
    ['debian-hardened', 'time.sync', { daemon: 'chrony', servers: ['ntp.county.example', 'ntp2.county.example'], synchronized: null, offsetSeconds: null }],
    ['kylin-weak', 'time.sync', { daemon: null, servers: [], synchronized: null, offsetSeconds: null }],
    // inventory
    [
      'openeuler-hardened',
      'os.release',
      { id: 'openeuler', name: 'openEuler', version: '22.03', prettyName: 'openEuler 22.03 (LTS-SP3)', family: 'rhel', kernel: null, arch: null },
    ],
    [
      'kylin-weak',
      'os.release',
      {
        id: 'kylin',
        name: 'Kylin Linux Advanced Server',
        version: 'V10',
        prettyName: 'Kylin Linux Advanced Server V10 (Sword)',
        family: 'rhel',
        kernel: null,
        arch: null,
      },
    ],
    [
      'debian-weak',
      'os.release',
      { id: 'ubuntu', name: 'Ubuntu', version: '22.04', prettyName: 'Ubuntu 22.04.4 LTS', family: 'debian', kernel: null, arch: null },
    ],
    [
      'debian-hardened',
      'os.release',
      {
        id: 'debian',
        name: 'Debian GNU/Linux',
        version: '12',
        prettyName: 'Debian GNU/Linux 12 (bookworm)',
        family: 'debian',
        kernel: '6.1.0-18-amd64',
        arch: null,
      },
    ],
    // no live commands under a root
    ['debian-hardened', 'updates.pendingSecurity', expect.stringMatching(/^unknown: not run: reading a file tree under .*, not the live host$/)],
    // an RPM file tree: server binaries and xinetd services instead of the rpm database
    ['openeuler-hardened', 'packages.insecure', []],
    ['kylin-weak', 'packages.insecure', ['tftp-server', 'xinetd:telnet']],
  ];
  it.each(table)('%s: %s', (n, id, expected) => {
    expect(value(n, id)).toEqual(expected);
  });

  it('records file permission modes', () => {
    const perms = (n: Name) =>
      Object.fromEntries(Object.entries(value(n, 'files.permissions') as Record<string, { mode: string } | null>).map(([k, v]) => [k, v?.mode ?? null]));
    expect(perms('openeuler-hardened')).toEqual({
      '/etc/passwd': '0644',
      '/etc/group': '0644',
      '/etc/shadow': '0000',
      '/etc/gshadow': '0000',
      '/etc/ssh/sshd_config': '0600',
      '/etc/ssh/ssh_host_ecdsa_key': '0640',
      '/etc/ssh/ssh_host_rsa_key': '0600',
    });
    expect(perms('debian-weak')).toMatchObject({ '/etc/passwd': '0666', '/etc/shadow': '0644' });
  });

  it.each<[Name, string, { source: string; line?: number; excerpt: string }]>([
    ['debian-hardened', 'ssh.permitRootLogin', { source: '/etc/ssh/sshd_config', line: 3, excerpt: 'PermitRootLogin no' }],
    // Include comes first, so the included file's ClientAliveInterval wins over the main file's line 5
    ['debian-hardened', 'ssh.clientAliveSeconds', { source: '/etc/ssh/sshd_config.d/10-mlps.conf', line: 1, excerpt: 'ClientAliveInterval 300' }],
    ['debian-weak', 'ssh.maxAuthTries', { source: '/etc/ssh/sshd_config', excerpt: 'maxauthtries not set: OpenSSH default 6' }],
    [
      'debian-hardened',
      'password.lockout',
      { source: '/etc/pam.d/common-auth', line: 1, excerpt: 'auth  required  pam_faillock.so preauth deny=5 unlock_time=900 even_deny_root' },
    ],
    [
      'debian-weak',
      'password.lockout',
      { source: '/etc/pam.d/common-auth', line: 2, excerpt: 'auth  required  pam_faillock.so preauth deny=3 unlock_time=600' },
    ],
    [
      'openeuler-hardened',
      'password.historyRemember',
      {
        source: '/etc/pam.d/system-auth',
        line: 6,
        excerpt: 'password    sufficient    pam_unix.so sha512 shadow nullok try_first_pass use_authtok remember=5',
      },
    ],
    ['debian-weak', 'sudo.nopasswd', { source: '/etc/sudoers.d/deploy', line: 1, excerpt: 'deploy ALL=(ALL) NOPASSWD: ALL' }],
    ['debian-weak', 'accounts.emptyPasswords', { source: '/etc/shadow', line: 6, excerpt: 'deploy::… (empty password field)' }],
    ['kylin-weak', 'mac.selinux', { source: '/etc/selinux/config', line: 1, excerpt: 'SELINUX=disabled' }],
    // main-file setting after an Include whose drop-in ends in a Match block
    ['debian-hardened', 'ssh.passwordAuthentication', { source: '/etc/ssh/sshd_config', line: 4, excerpt: 'PasswordAuthentication no' }],
    ['debian-hardened', 'ssh.denyUsers', { source: '/etc/ssh/sshd_config', line: 7, excerpt: 'DenyUsers guest nobody' }],
    [
      'kylin-weak',
      'ssh.weakAlgorithms',
      {
        source: '/etc/ssh/sshd_config',
        excerpt: 'macs default (OpenSSH 8.x/9.x built-in list) includes umac-64-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,hmac-sha1',
      },
    ],
    [
      'kylin-weak',
      'ssh.macs',
      { source: '/etc/ssh/sshd_config', excerpt: 'macs not set: default (OpenSSH built-in list; 8.x/9.x list assumed for weak-algorithm check)' },
    ],
    // /etc/pam.d/system-auth -> /etc/authselect/system-auth (absolute) resolved inside the root
    ['kylin-weak', 'password.quality', { source: '/etc/pam.d/system-auth', line: 3, excerpt: expect.stringContaining('pam_pwquality.so') }],
    ['debian-hardened', 'ssh.secondFactor', { source: '/etc/pam.d/sshd', line: 3, excerpt: 'auth required pam_google_authenticator.so nullok' }],
    ['openeuler-hardened', 'firewall.input', { source: '/etc/firewalld/firewalld.conf', excerpt: 'DefaultZone=public' }],
    [
      'openeuler-hardened',
      'trust.ima',
      {
        source: '/sys/kernel/security/ima/policy',
        excerpt: 'dont_measure fsmagic=0x9fa0\nmeasure func=BPRM_CHECK mask=MAY_EXEC\nappraise func=MODULE_CHECK appraise_type=imasig',
      },
    ],
    ['debian-weak', 'os.release', { source: '/etc/os-release', excerpt: 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID=22.04\nPRETTY_NAME=Ubuntu 22.04.4 LTS' }],
    ['debian-hardened', 'log.retentionDays', { source: '/etc/logrotate.conf', line: 1, excerpt: 'weekly' }],
    ['openeuler-hardened', 'log.remoteTargets', { source: '/etc/rsyslog.conf', line: 2, excerpt: '*.* @@logcenter.city.example:514' }],
  ] as [Name, string, { source: string; line?: number; excerpt: string }][])('%s: %s has its evidence', (n, id, evidence) => {
    expect(collected[n].facts[id]!.evidence[0]).toEqual(evidence);
  });

  it('never puts a password hash into evidence', () => {
    for (const n of FIXTURES) expect(JSON.stringify(collected[n])).not.toContain('$fixture$hash');
  });
});

describe('parsers', () => {
  it('decodes /proc/net addresses of both families', () => {
    const hdr = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    expect(parseProcNet(`${hdr}   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 42 1\n`, 'tcp', 4)).toEqual([
      { proto: 'tcp', family: 4, address: '127.0.0.1', port: 3306, inode: '42' },
    ]);
    expect(
      parseProcNet(
        `${hdr}   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 43 1\n`,
        'tcp',
        6,
      )[0]!.address,
    ).toBe('::1');
  });
  it.each([
    [
      'nft',
      'table inet f { chain input { type filter hook input priority 0; policy drop; ct state established accept\n tcp dport ssh ip saddr 10.0.0.0/8 accept } }',
      { inputPolicy: 'drop', stateful: true, sshRestricted: true },
    ],
    [
      'nft',
      'table inet f { chain input { type filter hook input priority 0; policy accept; } }',
      { inputPolicy: 'accept', stateful: false, sshRestricted: false },
    ],
    [
      'iptables',
      ':INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT',
      { inputPolicy: 'drop', stateful: true, sshRestricted: true },
    ],
  ] as const)('%s ruleset analysis', (kind, text, expected) => {
    expect(analyseRuleset(text, kind)).toMatchObject(expected);
  });
});

describe('the live host', () => {
  it('collects without throwing, within the schema, reading "/" live', async () => {
    const p = await collectPosture('/', 20);
    expect(validate(p), JSON.stringify(validate.errors)).toBe(true);
    expect(p.live).toBe(true);
    expect(Object.keys(p.facts).length).toBeGreaterThanOrEqual(45);
    for (const f of Object.values(p.facts)) if (f.status === 'unknown') expect(f.reason!.length).toBeGreaterThan(3);
    expect((p.facts['os.release']!.value as { arch: string }).arch).toMatch(/^(x86_64|aarch64|arm64|loongarch64|mips64|riscv64)$/);
  }, 60_000);
});
