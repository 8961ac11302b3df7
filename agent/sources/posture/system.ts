import type { Evidence, Fact } from '../../../contract/facts/posture.js';
import { type Host, configLines, ev, ok, unknown } from './host.js';

const PERM_FILES = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow', '/etc/ssh/sshd_config'];

export function permissionFacts(host: Host): Record<string, Fact> {
  const files: Record<string, { mode: string; uid: number; gid: number } | null> = {};
  const evidence: Evidence[] = [];
  const keys = host
    .list('/etc/ssh')
    .filter((n) => /^ssh_host_.*_key$/.test(n))
    .map((n) => `/etc/ssh/${n}`);
  for (const f of [...PERM_FILES, ...keys]) {
    const st = host.stat(f);
    if (!st) {
      files[f] = null;
      continue;
    }
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    files[f] = { mode, uid: st.uid, gid: st.gid };
    evidence.push(ev(f, undefined, `mode ${mode} uid ${st.uid} gid ${st.gid}`));
  }
  let umask: { value: string; evidence: Evidence } | undefined;
  for (const f of ['/etc/login.defs', '/etc/profile', '/etc/bashrc', '/etc/bash.bashrc']) {
    const t = host.text(f);
    if (t === undefined) continue;
    for (const { line, text } of configLines(t)) {
      const m = /^(?:UMASK\s+|umask\s+)(0?[0-7]{3})\b/.exec(text);
      if (m) umask = { value: m[1]!.padStart(4, '0'), evidence: ev(f, line, text) };
    }
  }
  return { 'files.permissions': ok(files, evidence), 'files.umask': ok(umask?.value ?? null, umask ? [umask.evidence] : []) };
}

/**
 * systemd unit state: live via systemctl, else whether it is enabled (wants/ symlink) and installed.
 * Installed means its binary, or its unit file, is in the tree; with neither but its configuration
 * present (`configAt`: a tree copied without /usr, a binary elsewhere), the state is unknown rather
 * than `not_installed`.
 */
async function unitState(
  host: Host,
  unit: string,
  installedAt: string[],
  configAt: string[] = [],
): Promise<{ value: string | null; evidence: Evidence[]; reason?: string }> {
  let why = '';
  if (host.live) {
    const r = await host.run('systemctl', ['is-active', unit]);
    const state = (r.stdout ?? '').trim();
    if (/^(active|inactive|failed|activating|deactivating|reloading)$/.test(state))
      return { value: state, evidence: [ev(`systemctl is-active ${unit}`, undefined, state)] };
    if (!r.ok) why = r.reason;
  }
  const unitFiles = ['/etc/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'].map((d) => `${d}/${unit}.service`);
  const installed = [...installedAt, ...unitFiles].find((p) => host.exists(p));
  const wants = host.list('/etc/systemd/system/multi-user.target.wants').includes(`${unit}.service`);
  const note = why ? [ev(`systemctl is-active ${unit}`, undefined, why)] : [];
  if (!installed) {
    const config = configAt.find((p) => host.exists(p));
    if (config || wants) {
      const seen = [
        ...(config ? [ev(config, undefined, 'present')] : []),
        ...(wants ? [ev('/etc/systemd/system/multi-user.target.wants', undefined, `${unit}.service enabled`)] : []),
      ];
      return {
        value: null,
        reason: `${config ?? `${unit}.service enabled`} present but neither ${installedAt.join(', ')} nor a ${unit}.service unit file in this tree: cannot tell whether ${unit} runs`,
        evidence: [...note, ...seen],
      };
    }
    return { value: 'not_installed', evidence: [...note, ev([...installedAt, ...unitFiles].join(', '), undefined, 'not present')] };
  }
  return {
    value: wants ? 'enabled' : 'disabled',
    evidence: [
      ...note,
      ev(installed, undefined, 'installed'),
      ev('/etc/systemd/system/multi-user.target.wants', undefined, wants ? `${unit}.service enabled` : `${unit}.service not enabled`),
    ],
  };
}

export async function auditFacts(host: Host): Promise<Record<string, Fact>> {
  const auditd = await unitState(host, 'auditd', ['/sbin/auditd', '/usr/sbin/auditd']);
  const out: Record<string, Fact> = { 'audit.auditd': ok(auditd.value, auditd.evidence), 'audit.rules': await auditRules(host) };
  const rsyslog = await unitState(host, 'rsyslog', ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'], ['/etc/rsyslog.conf']);
  out['log.rsyslog'] = rsyslog.value === null ? unknown(rsyslog.reason ?? 'unknown', rsyslog.evidence) : ok(rsyslog.value, rsyslog.evidence);
  const journald = await unitState(host, 'systemd-journald', ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald']);
  // journald is a static unit: in a file tree, installed means it runs
  out['log.journald'] = ok(journald.value === 'disabled' || journald.value === 'enabled' ? 'installed' : journald.value, journald.evidence);
  out['log.remoteTargets'] = remoteLogTargets(host);
  out['log.retentionDays'] = logrotateDays(host);
  out['log.fileModes'] = logFileModes(host);
  out['backup.jobs'] = backupJobs(host);
  out['log.journaldRetention'] = journaldRetention(host);
  return out;
}

/** The audit rules: the loaded ones (auditctl -l) on a live host, else the configured files. */
async function auditRules(host: Host): Promise<Fact> {
  // augenrules builds audit.rules from rules.d: when rules.d has rules, read only those (no double count)
  const dropins = host
    .list('/etc/audit/rules.d')
    .filter((n) => n.endsWith('.rules'))
    .map((n) => `/etc/audit/rules.d/${n}`);
  const useDropins = dropins.some((f) => configLines(host.text(f) ?? '').some((l) => /^-/.test(l.text)));
  const ruleFiles = useDropins ? dropins : ['/etc/audit/audit.rules'];
  const rules: { file: string; line: number; text: string }[] = [];
  const unreadable: string[] = [];
  for (const f of ruleFiles) {
    const r = host.read(f);
    if (!r.ok) {
      if (!r.reason.startsWith('missing:')) unreadable.push(r.reason);
      continue;
    }
    for (const l of configLines(r.text)) if (/^-[wae]\s/.test(l.text)) rules.push({ file: f, ...l });
  }
  let live: { rules: string[]; enabled: string | null } | undefined;
  let auditctlWhy = '';
  if (host.live) {
    const l = await host.run('auditctl', ['-l']);
    const st = await host.run('auditctl', ['-s']);
    if (l.ok)
      live = {
        rules: l.stdout
          .split('\n')
          .map((x) => x.trim())
          .filter((x) => /^-[wa]\s/.test(x)),
        enabled: st.ok ? (/^enabled\s+(\d)/m.exec(st.stdout)?.[1] ?? null) : null,
      };
    else auditctlWhy = l.reason;
  }
  if (unreadable.length) return unknown(unreadable.join('; '));
  // live: the loaded rules are the truth; when auditctl exists but cannot tell (permission, timeout), say unknown
  if (host.live && !live && auditctlWhy && !auditctlWhy.startsWith('missing tool'))
    return unknown(
      `${auditctlWhy} (loaded audit rules not readable)`,
      rules.length
        ? [
            ev(
              ruleFiles.length > 1 ? '/etc/audit/rules.d/*.rules' : ruleFiles[0]!,
              undefined,
              `${rules.length} configured rule line(s), not known to be loaded`,
            ),
          ]
        : [],
    );
  if (live || rules.length || ruleFiles.some((f) => host.read(f).ok)) {
    const texts = live ? live.rules.map((text, i) => ({ file: 'auditctl -l', line: i + 1, text })) : rules;
    const has = (re: RegExp) => texts.filter((r) => re.test(r.text));
    const identity = has(/(-w\s+|-F\s+path=)\/etc\/(passwd|shadow|group|gshadow)\b/);
    const sudoers = has(/(-w\s+|-F\s+(path|dir)=)\/etc\/sudoers/);
    const logins = has(/(-w\s+|-F\s+(path|dir)=)\/var\/(log\/(lastlog|faillog|tallylog|wtmp|btmp)|run\/faillock)/);
    const deletions = has(/-S\s+\S*(unlink|rename)/);
    const immutableRule = rules.filter((r) => /^-e\s+2\b/.test(r.text));
    const immutable = live?.enabled ? live.enabled === '2' : immutableRule.length > 0;
    const body = texts.filter((r) => !r.text.startsWith('-e'));
    const source = live ? 'auditctl -l (loaded rules)' : useDropins ? '/etc/audit/rules.d/*.rules (augenrules sources)' : '/etc/audit/audit.rules';
    return ok(
      {
        count: body.length,
        identity: identity.length > 0,
        sudoers: sudoers.length > 0,
        logins: logins.length > 0,
        deletions: deletions.length > 0,
        immutable,
        source,
      },
      [
        ...[...identity, ...sudoers, ...logins, ...deletions].slice(0, 10).map((r) => (live ? ev(r.file, undefined, r.text) : ev(r.file, r.line, r.text))),
        ...(live?.enabled ? [ev('auditctl -s', undefined, `enabled ${live.enabled}`)] : immutableRule.slice(0, 1).map((r) => ev(r.file, r.line, r.text))),
        ev(source, undefined, `${body.length} rule(s) read from ${source}`),
        ...(auditctlWhy ? [ev('auditctl -l', undefined, `loaded rules not read (${auditctlWhy}): configured rules reported`)] : []),
      ],
    );
  }
  const r = host.read('/etc/audit/audit.rules');
  return unknown(r.ok ? 'no rules' : r.reason);
}

/** Remote syslog destinations: rsyslog (legacy @/@@ and action(type="omfwd")) and syslog-ng. */
function remoteLogTargets(host: Host): Fact {
  const targets: string[] = [];
  const tev: Evidence[] = [];
  for (const f of [
    '/etc/rsyslog.conf',
    ...host
      .list('/etc/rsyslog.d')
      .filter((n) => n.endsWith('.conf'))
      .map((n) => `/etc/rsyslog.d/${n}`),
  ]) {
    const lines = configLines(host.text(f) ?? '');
    for (let i = 0; i < lines.length; i++) {
      const { line, text } = lines[i]!;
      const legacy = /^\S+\s+@@?(?:\([^)]*\))?\[?([^\]\s:]+)\]?(?::\d+)?\s*$/.exec(text);
      let t = legacy?.[1];
      let excerpt = text;
      if (/\baction\s*\(/.test(text) && /omfwd/.test(text)) {
        // RainerScript action(...) may span lines: join up to the closing parenthesis
        let joined = text;
        for (let j = i + 1; !joined.includes(')') && j < lines.length && j < i + 20; j++) joined += ` ${lines[j]!.text}`;
        t = /target\s*=\s*"([^"]+)"/.exec(joined)?.[1];
        excerpt = joined.slice(0, 400);
      }
      if (t) {
        targets.push(t);
        tev.push(ev(f, line, excerpt));
      }
    }
  }
  for (const f of [
    '/etc/syslog-ng/syslog-ng.conf',
    ...host
      .list('/etc/syslog-ng/conf.d')
      .filter((n) => n.endsWith('.conf'))
      .map((n) => `/etc/syslog-ng/conf.d/${n}`),
  ]) {
    for (const { line, text } of configLines(host.text(f) ?? '')) {
      const m = /\b(?:network|syslog|tcp6?|udp6?)\s*\(\s*"([^"]+)"/.exec(text);
      if (m && !/^\s*source\b/.test(text) && !/\bsource\s*\{/.test(text)) {
        targets.push(m[1]!);
        tev.push(ev(f, line, text));
      }
    }
  }
  return ok(targets, tev);
}

/** Modes and owners of the main log files. */
function logFileModes(host: Host): Fact {
  const modes: Record<string, string | null> = {};
  const mev: Evidence[] = [];
  for (const f of ['/var/log/syslog', '/var/log/messages', '/var/log/auth.log', '/var/log/secure', '/var/log/audit/audit.log']) {
    const st = host.stat(f);
    if (!st) continue;
    modes[f] = (st.mode & 0o7777).toString(8).padStart(4, '0');
    mev.push(ev(f, undefined, `mode ${modes[f]} uid ${st.uid} gid ${st.gid}`));
  }
  return host.exists('/var/log')
    ? ok(modes, mev.length ? mev : [ev('/var/log', undefined, 'none of syslog, messages, auth.log, secure, audit/audit.log present')])
    : unknown('no /var/log under this root');
}

/** journald.conf with its drop-ins (later files win): Storage, MaxRetentionSec, SystemMaxUse. */
function journaldRetention(host: Host): Fact {
  const files = [
    '/etc/systemd/journald.conf',
    ...['/usr/lib/systemd/journald.conf.d', '/etc/systemd/journald.conf.d'].flatMap((d) =>
      host
        .list(d)
        .filter((n) => n.endsWith('.conf'))
        .map((n) => `${d}/${n}`),
    ),
  ];
  const got: Record<string, { value: string; evidence: Evidence }> = {};
  for (const f of files)
    for (const { line, text } of configLines(host.text(f) ?? '')) {
      const m = /^(Storage|MaxRetentionSec|SystemMaxUse)\s*=\s*(.*)$/.exec(text);
      if (m) got[m[1]!] = { value: m[2]!.trim(), evidence: ev(f, line, text) };
    }
  const storage = got.Storage?.value || 'auto';
  const persistent = storage === 'persistent' || (storage === 'auto' && host.exists('/var/log/journal'));
  const ret = got.MaxRetentionSec?.value;
  const secs = ret === undefined || ret === '0' ? null : /^\d+$/.test(ret) ? Number(ret) : (sshdLikeSeconds(ret) ?? null);
  return ok({ storage, persistent, maxRetentionSec: secs, systemMaxUse: got.SystemMaxUse?.value ?? null }, [
    ...Object.values(got).map((g) => g.evidence),
    ...(got.Storage
      ? []
      : [
          ev(
            '/etc/systemd/journald.conf',
            undefined,
            `Storage not set: default auto (${host.exists('/var/log/journal') ? '/var/log/journal exists: persistent' : 'no /var/log/journal: volatile, lost at reboot'})`,
          ),
        ]),
  ]);
}

/** systemd time spans: 1month, 2weeks, 30d, 12h … → seconds. */
function sshdLikeSeconds(v: string): number | null {
  const unit: Record<string, number> = {
    s: 1,
    sec: 1,
    m: 60,
    min: 60,
    h: 3600,
    hour: 3600,
    d: 86400,
    day: 86400,
    days: 86400,
    w: 604800,
    week: 604800,
    weeks: 604800,
    month: 2629800,
    months: 2629800,
    y: 31557600,
    year: 31557600,
    years: 31557600,
  };
  let total = 0;
  const parts = [...v.replace(/\s+/g, '').matchAll(/(\d+)([a-z]*)/g)];
  if (!parts.length) return null;
  for (const [, n, u] of parts) {
    const k = unit[u || 's'];
    if (k === undefined) return null;
    total += Number(n) * k;
  }
  return total;
}

const BACKUP_TOOLS =
  /\b(rsync|borg|restic|rdiff-backup|duplicity|bacula-fd|bareos-fd|amanda|tar\s+-?c|mysqldump|pg_dump(all)?|xtrabackup|rman|veeam\w*|rclone)\b/;

/** Heuristic: cron and systemd timer jobs naming a backup tool (8.1.4.9); [] says none was found, not that no backup exists. */
function backupJobs(host: Host): Fact {
  const files = [
    '/etc/crontab',
    ...host.list('/etc/cron.d').map((n) => `/etc/cron.d/${n}`),
    ...['daily', 'weekly', 'monthly', 'hourly'].flatMap((p) => host.list(`/etc/cron.${p}`).map((n) => `/etc/cron.${p}/${n}`)),
    ...host.list('/var/spool/cron').map((n) => `/var/spool/cron/${n}`),
    ...host.list('/var/spool/cron/crontabs').map((n) => `/var/spool/cron/crontabs/${n}`),
    ...host
      .list('/etc/systemd/system')
      .filter((n) => n.endsWith('.service'))
      .map((n) => `/etc/systemd/system/${n}`),
  ];
  const hits: Evidence[] = [];
  for (const f of files) for (const { line, text } of configLines(host.text(f) ?? '')) if (BACKUP_TOOLS.test(text)) hits.push(ev(f, line, text.slice(0, 300)));
  return ok(
    [...new Set(hits.map((h) => `${h.source}: ${BACKUP_TOOLS.exec(h.excerpt)![1]}`))],
    hits.length
      ? hits
      : [
          ev(
            '/etc/crontab, /etc/cron.*, /var/spool/cron, /etc/systemd/system',
            undefined,
            'heuristic: no job names a backup tool (backups may still exist elsewhere)',
          ),
        ],
  );
}

const PERIOD_DAYS: Record<string, number> = { hourly: 1 / 24, daily: 1, weekly: 7, monthly: 30, yearly: 365 };

/** Days of system logs kept by logrotate: rotate × period of the syslog block, else the global default. */
function logrotateDays(host: Host): Fact {
  const main = host.read('/etc/logrotate.conf');
  if (!main.ok) return unknown(main.reason);
  const parse = (file: string, text: string, inherit: { rotate?: number; period?: number; maxage?: number; ev: Evidence[] }) => {
    const out = { ...inherit, ev: [...inherit.ev] };
    for (const { line, text: t } of configLines(text)) {
      const a = /^maxage\s+(\d+)/.exec(t);
      if (a) {
        out.maxage = Number(a[1]);
        out.ev.push(ev(file, line, t));
      }
      const r = /^rotate\s+(\d+)/.exec(t);
      if (r) {
        out.rotate = Number(r[1]);
        out.ev.push(ev(file, line, t));
      }
      if (PERIOD_DAYS[t] !== undefined) {
        out.period = PERIOD_DAYS[t];
        out.ev.push(ev(file, line, t));
      }
    }
    return out;
  };
  const global = parse('/etc/logrotate.conf', main.text.replace(/\{[^}]*\}/g, ''), { ev: [] });
  let chosen = global;
  for (const f of ['rsyslog', 'syslog'].map((n) => `/etc/logrotate.d/${n}`)) {
    const t = host.text(f);
    const block = t && /(\/var\/log\/(messages|syslog)[^{]*)\{([^}]*)\}/.exec(t);
    if (block) {
      chosen = parse(f, block[3]!, global);
      break;
    }
  }
  if (chosen.rotate === undefined) return ok(null, chosen.ev);
  // no interval: logrotate rotates on every run (daily from cron/timer); maxage removes older files
  const ev2 =
    chosen.period === undefined
      ? [...chosen.ev, ev('/etc/logrotate.conf', undefined, 'no rotation interval: rotated on every (daily) logrotate run')]
      : chosen.ev;
  const days = chosen.rotate * (chosen.period ?? 1);
  return ok(Number((chosen.maxage !== undefined ? Math.min(days, chosen.maxage) : days).toFixed(2)), ev2);
}

/**
 * High-risk ports when bound beyond loopback (README lists them with the reason): cleartext logins
 * and file transfer (ftp 21, telnet 23, tftp 69/udp, r-services 512-514/tcp), SMTP relay 25, RPC
 * portmapper 111, Windows RPC/NetBIOS/SMB 135-139 and 445, rsync 873, NFS 2049, unauthenticated
 * Docker API 2375, VNC 5900, Redis 6379, memcached 11211. 514/udp is syslog, not rsh.
 */
const HIGH_RISK: Record<'tcp' | 'udp', Set<number>> = {
  tcp: new Set([21, 23, 25, 111, 135, 136, 137, 138, 139, 445, 512, 513, 514, 873, 2049, 2375, 5900, 6379, 11211]),
  udp: new Set([69, 111, 135, 136, 137, 138, 139, 2049, 11211]),
};
const INSECURE_PACKAGES = [
  'telnet',
  'telnetd',
  'telnet-server',
  'inetutils-telnetd',
  'inetutils-telnet',
  'rsh',
  'rsh-client',
  'rsh-server',
  'rsh-redone-client',
  'rsh-redone-server',
  'rlogin',
  'ftp',
  'vsftpd',
  'proftpd-basic',
  'pure-ftpd',
  'tftp',
  'tftp-server',
  'tftp-hpa',
  'tftpd-hpa',
  'atftpd',
  'openbsd-inetd',
  'inetutils-inetd',
  'xinetd',
  'ypbind',
  'ypserv',
  'nis',
  'talk',
  'talkd',
  'ntalk',
  'avahi-daemon',
  'cups',
];
/** RPM file trees (no rpm database reading): binaries and xinetd services that betray insecure servers. */
const INSECURE_FILES: [string, string][] = [
  ['/usr/sbin/in.telnetd', 'telnet-server'],
  ['/usr/sbin/in.tftpd', 'tftp-server'],
  ['/usr/sbin/vsftpd', 'vsftpd'],
  ['/usr/sbin/in.rshd', 'rsh-server'],
  ['/usr/sbin/in.rlogind', 'rsh-server'],
  ['/usr/sbin/xinetd', 'xinetd'],
  ['/usr/sbin/ypbind', 'ypbind'],
  ['/usr/bin/telnet', 'telnet'],
  ['/usr/bin/rsh', 'rsh'],
  ['/usr/bin/tftp', 'tftp'],
  ['/usr/bin/ftp', 'ftp'],
];
const SECURITY_AGENTS: [RegExp, string][] = [
  [/^(wazuh-agentd|ossec-agentd)$/, 'wazuh'],
  [/^(clamd|freshclam)$/, 'clamav'],
  [/^falcon-sensor$/, 'crowdstrike'],
  [/^(edr_agent|edr_monitor|sangfor_edr)/, 'sangfor-edr'],
  [/^(qaxsafed|tqagent|360EntSecGroup)/i, 'qianxin/360'],
  [/^(aegis|AliYunDun)/, 'aliyun-aegis'],
  [/^(YDService|YDLive)$/, 'tencent-cloud-workload'],
  [/^(hostguard|hostwatch)$/, 'huawei-hss'],
  [/^(auditbeat|osqueryd)$/, 'telemetry'],
];

interface Socket {
  proto: 'tcp' | 'udp';
  family: 4 | 6;
  address: string;
  port: number;
  inode: string;
  process?: string;
}

function hexAddr(hex: string, family: 4 | 6): string {
  if (family === 4) return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const chunk = hex.slice(w * 8, w * 8 + 8);
    const le = chunk.match(/../g)!.reverse().join('');
    words.push(le.slice(0, 4), le.slice(4, 8));
  }
  // IPv4-mapped (::ffff:a.b.c.d)
  if (words.slice(0, 5).every((x) => /^0+$/.test(x)) && words[5]!.toLowerCase() === 'ffff') {
    const v4 = [words[6]!, words[7]!].flatMap((x) => [Number.parseInt(x.slice(0, 2), 16), Number.parseInt(x.slice(2), 16)]).join('.');
    return `::ffff:${v4}`;
  }
  return words
    .map((x) => Number.parseInt(x, 16).toString(16))
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
    .replace(/:{3,}/, '::');
}

/** Listening sockets from /proc/net (TCP LISTEN, bound UDP), IPv4 and IPv6. */
export function parseProcNet(text: string, proto: 'tcp' | 'udp', family: 4 | 6): Socket[] {
  const out: Socket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, port] = f[1]!.split(':');
    if (proto === 'tcp' && f[3] !== '0A') continue;
    if (proto === 'udp' && f[3] !== '07') continue;
    out.push({ proto, family, address: hexAddr(addr!, family), port: Number.parseInt(port!, 16), inode: f[9]! });
  }
  return out;
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z). */
export const isLoopback = (a: string): boolean => /^127\./.test(a) || a === '::1' || /^::ffff:127\./i.test(a);

export async function intrusionFacts(host: Host): Promise<Record<string, Fact>> {
  const procs = processes(host);
  const sockets = listeningSockets(host, procs);
  return {
    ...sockets,
    'net.hostsAccess': hostsAccess(host),
    'ssh.running': sshRunning(procs, sockets['net.listening']),
    'packages.insecure': await insecurePackages(host),
    'updates.pendingSecurity': await pendingSecurity(host),
    'security.agents': securityAgents(procs),
    'security.clamavSignatureAgeDays': clamavSignatureAge(host),
  };
}

interface Proc {
  pid: string;
  /** undefined: /proc/<pid>/comm not readable */
  comm: string | undefined;
}

/** The processes under /proc with their command names. */
function processes(host: Host): Proc[] {
  return host
    .list('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((pid) => ({ pid, comm: host.text(`/proc/${pid}/comm`)?.trim() }));
}

/** Listening TCP and bound UDP sockets with their owning processes, and the high-risk ports among them. */
function listeningSockets(host: Host, procs: Proc[]): Record<'net.listening' | 'net.highRiskPorts', Fact> {
  const sockets: Socket[] = [];
  const sev: Evidence[] = [];
  let readable = false;
  const range = (host.text('/proc/sys/net/ipv4/ip_local_port_range') ?? '32768 60999').trim().split(/\s+/).map(Number);
  const [lo, hi] = range.length === 2 && range.every(Number.isFinite) ? range : [32768, 60999];
  // client UDP sockets and loopback-only listeners on ephemeral ports come and go every run (resolvers,
  // IDE and test servers) and are not reachable from the network: left out so the facts stay stable
  const ephemeral = (s: Socket) => s.port >= lo! && s.port <= hi! && (s.proto === 'udp' || isLoopback(s.address));
  let skipped = false;
  for (const [file, proto, family] of [
    ['/proc/net/tcp', 'tcp', 4],
    ['/proc/net/tcp6', 'tcp', 6],
    ['/proc/net/udp', 'udp', 4],
    ['/proc/net/udp6', 'udp', 6],
  ] as const) {
    const t = host.text(file);
    if (t === undefined) continue;
    readable = true;
    const all = parseProcNet(t, proto, family);
    const found = all.filter((s) => !ephemeral(s));
    skipped ||= found.length < all.length;
    sockets.push(...found);
    sev.push(ev(file, undefined, `${found.length} ${proto === 'tcp' ? 'listening' : 'bound'} socket(s)`));
  }
  if (!readable)
    return { 'net.listening': unknown('missing: /proc/net/tcp (no procfs under this root)'), 'net.highRiskPorts': unknown('missing: /proc/net/tcp') };
  // owning processes: socket inodes under /proc/<pid>/fd (complete only as root)
  const owners = new Map<string, string>();
  let denied = false;
  for (const { pid, comm = pid } of procs) {
    const fds = host.listResult(`/proc/${pid}/fd`);
    if (!fds.ok) {
      denied = true;
      continue;
    }
    for (const fd of fds.names) {
      const m = /^socket:\[(\d+)\]$/.exec(host.readlink(`/proc/${pid}/fd/${fd}`) ?? '');
      if (m) owners.set(m[1]!, comm);
    }
  }
  for (const s of sockets) s.process = owners.get(s.inode);
  // a count would change run to run (processes come and go) and re-send the facts; say it without one
  if (denied) sev.push(ev('/proc/*/fd', undefined, 'some processes not readable: owners incomplete (run as root)'));
  if (skipped)
    sev.push(
      ev(
        '/proc/net/*',
        undefined,
        `left out: UDP sockets and loopback-only listeners on ephemeral ports ${lo}-${hi} (transient, not reachable from the network)`,
      ),
    );
  const list = sockets
    .map(({ inode: _i, ...s }) => (s.process ? s : { proto: s.proto, family: s.family, address: s.address, port: s.port }))
    .sort((a, b) => a.port - b.port || a.family - b.family || a.proto.localeCompare(b.proto) || a.address.localeCompare(b.address));
  const risky = list.filter((s) => HIGH_RISK[s.proto].has(s.port) && !isLoopback(s.address));
  return {
    'net.listening': ok(list, sev),
    'net.highRiskPorts': ok(
      [...new Set(risky.map((s) => `${s.proto}/${s.port}`))],
      risky.map((s) => ev('/proc/net', undefined, `${s.proto}${s.family === 6 ? '6' : ''} ${s.address}:${s.port}${s.process ? ` (${s.process})` : ''}`)),
    ),
  };
}

/** TCP wrappers (8.1.4.4 c): active lines of hosts.allow / hosts.deny. */
function hostsAccess(host: Host): Fact {
  const wrap = (f: string) => configLines(host.text(f) ?? '').map((l) => ({ ...l, f }));
  const allow = wrap('/etc/hosts.allow');
  const deny = wrap('/etc/hosts.deny');
  return ok(
    { allow: allow.map((l) => l.text), deny: deny.map((l) => l.text) },
    [...allow, ...deny].length
      ? [...allow, ...deny].slice(0, 12).map((l) => ev(l.f, l.line, l.text))
      : [ev('/etc/hosts.allow, /etc/hosts.deny', undefined, 'no active lines (or files missing)')],
  );
}

/** sshd: running, and where it listens. */
function sshRunning(procs: Proc[], listening: Fact): Fact {
  if (!procs.length) return unknown('no process list under this root (/proc)');
  const sshdPids = procs.filter((p) => p.comm === 'sshd');
  const where =
    (listening.value as { address: string; port: number; process?: string }[] | null)
      ?.filter((s) => s.process === 'sshd')
      .map((s) => `${s.address}:${s.port}`) ?? [];
  return ok({ running: sshdPids.length > 0, listening: [...new Set(where)] }, [
    ev('/proc/*/comm', undefined, sshdPids.length ? 'sshd running' : 'no sshd process'),
    ...(where.length ? [ev('/proc/net/tcp*', undefined, `sshd listening on ${[...new Set(where)].join(', ')}`)] : []),
  ]);
}

/** Insecure packages installed (dpkg status is a file; rpm needs its tool on the live host). */
async function insecurePackages(host: Host): Promise<Fact> {
  const dpkg = host.text('/var/lib/dpkg/status');
  if (dpkg !== undefined) {
    const installed = new Set<string>();
    for (const block of dpkg.split('\n\n')) {
      const name = /^Package: (\S+)/m.exec(block)?.[1];
      if (name && /^Status: .* installed$/m.test(block)) installed.add(name);
    }
    const bad = INSECURE_PACKAGES.filter((p) => installed.has(p));
    return ok(
      bad,
      bad.map((p) => ev('/var/lib/dpkg/status', undefined, `Package: ${p} (installed)`)),
    );
  }
  const r = await host.run('rpm', ['-qa', '--qf', '%{NAME}\\n']);
  if (!r.ok && !host.live && host.exists('/usr')) {
    const found = INSECURE_FILES.filter(([f]) => host.exists(f));
    const xinetd = host
      .list('/etc/xinetd.d')
      .filter((n) => /^(telnet|tftp|rsh|rlogin|rexec|ftp)/.test(n) && !/^\s*disable\s*=\s*yes/m.test(host.text(`/etc/xinetd.d/${n}`) ?? ''));
    const names = [...new Set([...found.map(([, p]) => p), ...xinetd.map((n) => `xinetd:${n}`)])];
    return ok(names, [
      ...found.map(([f, p]) => ev(f, undefined, `present (${p})`)),
      ...xinetd.map((n) => ev(`/etc/xinetd.d/${n}`, undefined, 'service not disabled')),
      ev('/usr/sbin, /usr/bin, /etc/xinetd.d', undefined, 'file tree without rpm: server binaries and xinetd services checked instead of the package database'),
    ]);
  }
  if (!r.ok) return unknown(r.reason);
  const names = new Set(r.stdout.split('\n').map((l) => l.trim()));
  const bad = INSECURE_PACKAGES.filter((p) => names.has(p));
  return ok(bad, [ev('rpm -qa', undefined, bad.join(', ') || 'none of the insecure packages installed')]);
}

/** Security agents (HIDS/EDR/anti-malware) among running processes. */
function securityAgents(procs: Proc[]): Fact {
  const comms = procs.flatMap((p) => (p.comm ? [p.comm] : []));
  if (!comms.length) return unknown('no process list under this root (/proc)');
  const found = [...new Set(comms.flatMap((c) => SECURITY_AGENTS.filter(([re]) => re.test(c)).map(([, n]) => `${n}:${c}`)))];
  return ok(found, [ev('/proc/*/comm', undefined, found.join(', ') || 'no running process is a known HIDS/EDR/anti-malware agent')]);
}

/** Age in days of ClamAV's daily signature database (null: none). */
function clamavSignatureAge(host: Host): Fact {
  const sig = ['daily.cld', 'daily.cvd']
    .map((n) => `/var/lib/clamav/${n}`)
    .map((p) => ({ p, st: host.stat(p) }))
    .find((x) => x.st);
  return sig
    ? ok(Math.floor((Date.now() - sig.st!.mtimeMs) / 86_400_000), [ev(sig.p, undefined, `modified ${sig.st!.mtime.toISOString()}`)])
    : ok(null, [ev('/var/lib/clamav', undefined, 'no ClamAV signature database')]);
}

async function pendingSecurity(host: Host): Promise<Fact> {
  if (!host.live) return unknown(`not run: reading a file tree under ${host.root}, not the live host`);
  if (host.exists('/usr/bin/apt-get')) {
    const r = await host.run('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'upgrade']);
    if (!r.ok) return unknown(r.reason);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('Inst ') && /security/i.test(l));
    return ok(lines.length, [
      ev('apt-get -s upgrade', undefined, lines.slice(0, 5).join('\n') || 'no security upgrades pending (from the local package lists)'),
    ]);
  }
  for (const tool of ['dnf', 'yum']) {
    if (!host.exists(`/usr/bin/${tool}`)) continue;
    const r = await host.run(tool, ['-q', '-C', 'updateinfo', 'list', '--security']);
    if (!r.ok) return unknown(r.reason);
    const lines = r.stdout.split('\n').filter((l) => l.trim());
    return ok(lines.length, [ev(`${tool} -q -C updateinfo list --security`, undefined, lines.slice(0, 5).join('\n') || 'none')]);
  }
  return unknown('missing tool: apt-get, dnf or yum');
}
