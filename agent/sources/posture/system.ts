import { readdirSync, readlinkSync } from 'node:fs';
import type { Evidence, Fact } from '../../../contract/facts/posture.js';
import { type Host, configLines, ev, ok, unknown } from './host.js';

const PERM_FILES = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow', '/etc/ssh/sshd_config'];

export function permissionFacts(host: Host): Record<string, Fact> {
  const files: Record<string, { mode: string; uid: number; gid: number } | null> = {};
  const evidence: Evidence[] = [];
  const keys = host.list('/etc/ssh').filter((n) => /^ssh_host_.*_key$/.test(n)).map((n) => `/etc/ssh/${n}`);
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

/** systemd unit state: live via systemctl, else whether it is enabled (wants/ symlink) and installed. */
async function unitState(host: Host, unit: string, installedAt: string[]): Promise<{ value: string | null; evidence: Evidence[]; reason?: string }> {
  let why = '';
  if (host.live) {
    const r = await host.run('systemctl', ['is-active', unit]);
    const state = (r.stdout ?? '').trim();
    if (/^(active|inactive|failed|activating|deactivating|reloading)$/.test(state)) return { value: state, evidence: [ev(`systemctl is-active ${unit}`, undefined, state)] };
    if (!r.ok) why = r.reason;
  }
  const installed = installedAt.find((p) => host.exists(p));
  const wants = host.list('/etc/systemd/system/multi-user.target.wants').includes(`${unit}.service`);
  const note = why ? [ev(`systemctl is-active ${unit}`, undefined, why)] : [];
  if (!installed) return { value: 'not_installed', evidence: [...note, ev(installedAt.join(', '), undefined, 'not present')] };
  return {
    value: wants ? 'enabled' : 'disabled',
    evidence: [...note, ev(installed, undefined, 'installed'), ev('/etc/systemd/system/multi-user.target.wants', undefined, wants ? `${unit}.service enabled` : `${unit}.service not enabled`)],
  };
}

export async function auditFacts(host: Host): Promise<Record<string, Fact>> {
  const out: Record<string, Fact> = {};
  const auditd = await unitState(host, 'auditd', ['/sbin/auditd', '/usr/sbin/auditd']);
  out['audit.auditd'] = ok(auditd.value, auditd.evidence);
  const ruleFiles = ['/etc/audit/audit.rules', ...host.list('/etc/audit/rules.d').filter((n) => n.endsWith('.rules')).map((n) => `/etc/audit/rules.d/${n}`)];
  const rules: { file: string; line: number; text: string }[] = [];
  for (const f of ruleFiles) for (const l of configLines(host.text(f) ?? '')) if (/^-[wae]\s/.test(l.text)) rules.push({ file: f, ...l });
  if (!rules.length && !ruleFiles.some((f) => host.read(f).ok)) {
    const r = host.read('/etc/audit/audit.rules');
    out['audit.rules'] = unknown(r.ok ? 'no rules' : r.reason);
  } else {
    const has = (re: RegExp) => rules.filter((r) => re.test(r.text));
    const identity = has(/-w\s+\/etc\/(passwd|shadow|group|gshadow)\b/);
    const sudoers = has(/-w\s+\/etc\/sudoers/);
    const logins = has(/-w\s+\/var\/(log\/(lastlog|faillog|tallylog|wtmp|btmp)|run\/faillock)/);
    const deletions = has(/-S\s+\S*(unlink|rename)/);
    const immutable = has(/^-e\s+2\b/);
    const body = rules.filter((r) => !r.text.startsWith('-e'));
    out['audit.rules'] = ok(
      { count: body.length, identity: identity.length > 0, sudoers: sudoers.length > 0, logins: logins.length > 0, deletions: deletions.length > 0, immutable: immutable.length > 0 },
      [...identity, ...sudoers, ...logins, ...deletions, ...immutable].slice(0, 12).map((r) => ev(r.file, r.line, r.text)),
    );
  }
  const rsyslog = await unitState(host, 'rsyslog', ['/usr/sbin/rsyslogd']);
  out['log.rsyslog'] = ok(rsyslog.value, rsyslog.evidence);
  const journald = await unitState(host, 'systemd-journald', ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald']);
  // journald is a static unit: in a file tree, installed means it runs
  out['log.journald'] = ok(journald.value === 'disabled' || journald.value === 'enabled' ? 'installed' : journald.value, journald.evidence);
  const targets: string[] = [];
  const tev: Evidence[] = [];
  for (const f of ['/etc/rsyslog.conf', ...host.list('/etc/rsyslog.d').filter((n) => n.endsWith('.conf')).map((n) => `/etc/rsyslog.d/${n}`)]) {
    for (const { line, text } of configLines(host.text(f) ?? '')) {
      const legacy = /^\S+\s+@@?(?:\([^)]*\))?\[?([^\]\s:]+)\]?(?::\d+)?\s*$/.exec(text);
      const modern = /omfwd.*target\s*=\s*"([^"]+)"/.exec(text);
      const t = modern?.[1] ?? legacy?.[1];
      if (t) {
        targets.push(t);
        tev.push(ev(f, line, text));
      }
    }
  }
  out['log.remoteTargets'] = ok(targets, tev);
  out['log.retentionDays'] = logrotateDays(host);
  return out;
}

const PERIOD_DAYS: Record<string, number> = { daily: 1, weekly: 7, monthly: 30, yearly: 365 };

/** Days of system logs kept by logrotate: rotate × period of the syslog block, else the global default. */
function logrotateDays(host: Host): Fact {
  const main = host.read('/etc/logrotate.conf');
  if (!main.ok) return unknown(main.reason);
  const parse = (file: string, text: string, inherit: { rotate?: number; period?: number; ev: Evidence[] }) => {
    const out = { ...inherit, ev: [...inherit.ev] };
    for (const { line, text: t } of configLines(text)) {
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
  return ok(chosen.rotate * (chosen.period ?? 7), chosen.ev);
}

const HIGH_RISK = new Set([21, 23, 25, 69, 111, 135, 137, 138, 139, 445, 512, 513, 514, 873, 2049, 6379, 11211]);
const INSECURE_PACKAGES = ['telnetd', 'telnet-server', 'inetutils-telnetd', 'rsh-server', 'rsh-redone-server', 'rsh', 'rlogin', 'vsftpd', 'proftpd-basic', 'pure-ftpd', 'tftp-server', 'tftpd-hpa', 'atftpd', 'xinetd', 'avahi-daemon', 'cups', 'nis', 'ypserv'];
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
  return words.map((x) => Number.parseInt(x, 16).toString(16)).join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
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

export async function intrusionFacts(host: Host): Promise<Record<string, Fact>> {
  const out: Record<string, Fact> = {};
  const sockets: Socket[] = [];
  const sev: Evidence[] = [];
  let readable = false;
  for (const [file, proto, family] of [
    ['/proc/net/tcp', 'tcp', 4],
    ['/proc/net/tcp6', 'tcp', 6],
    ['/proc/net/udp', 'udp', 4],
    ['/proc/net/udp6', 'udp', 6],
  ] as const) {
    const t = host.text(file);
    if (t === undefined) continue;
    readable = true;
    const found = parseProcNet(t, proto, family);
    sockets.push(...found);
    sev.push(ev(file, undefined, `${found.length} ${proto === 'tcp' ? 'listening' : 'bound'} socket(s)`));
  }
  if (!readable) {
    out['net.listening'] = unknown('missing: /proc/net/tcp (no procfs under this root)');
    out['net.highRiskPorts'] = unknown('missing: /proc/net/tcp');
  } else {
    // owning processes: socket inodes under /proc/<pid>/fd (complete only as root)
    const owners = new Map<string, string>();
    let denied = 0;
    for (const pid of host.list('/proc').filter((n) => /^\d+$/.test(n))) {
      let fds: string[];
      try {
        fds = readdirSync(host.p(`/proc/${pid}/fd`));
      } catch {
        denied++;
        continue;
      }
      const comm = host.text(`/proc/${pid}/comm`)?.trim() ?? pid;
      for (const fd of fds) {
        try {
          const link = readlinkSync(host.p(`/proc/${pid}/fd/${fd}`));
          const m = /^socket:\[(\d+)\]$/.exec(link);
          if (m) owners.set(m[1]!, comm);
        } catch {
          // fd closed meanwhile
        }
      }
    }
    for (const s of sockets) s.process = owners.get(s.inode);
    if (denied) sev.push(ev('/proc/*/fd', undefined, `${denied} process(es) not readable: owners incomplete (run as root)`));
    const list = sockets.map(({ inode: _i, ...s }) => s).sort((a, b) => a.port - b.port || a.family - b.family);
    out['net.listening'] = ok(list, sev);
    const risky = list.filter((s) => HIGH_RISK.has(s.port) && s.address !== '127.0.0.1' && s.address !== '::1');
    out['net.highRiskPorts'] = ok([...new Set(risky.map((s) => `${s.proto}/${s.port}`))], risky.map((s) => ev('/proc/net', undefined, `${s.proto}${s.family === 6 ? '6' : ''} ${s.address}:${s.port}${s.process ? ` (${s.process})` : ''}`)));
  }
  // installed packages (dpkg status is a file; rpm needs its tool on the live host)
  const dpkg = host.text('/var/lib/dpkg/status');
  if (dpkg !== undefined) {
    const installed = new Set<string>();
    for (const block of dpkg.split('\n\n')) {
      const name = /^Package: (\S+)/m.exec(block)?.[1];
      if (name && /^Status: .* installed$/m.test(block)) installed.add(name);
    }
    const bad = INSECURE_PACKAGES.filter((p) => installed.has(p));
    out['packages.insecure'] = ok(bad, bad.map((p) => ev('/var/lib/dpkg/status', undefined, `Package: ${p} (installed)`)));
  } else {
    const r = await host.run('rpm', ['-qa', '--qf', '%{NAME}\\n']);
    if (!r.ok) out['packages.insecure'] = unknown(r.reason);
    else {
      const names = new Set(r.stdout.split('\n').map((l) => l.trim()));
      const bad = INSECURE_PACKAGES.filter((p) => names.has(p));
      out['packages.insecure'] = ok(bad, [ev('rpm -qa', undefined, bad.join(', ') || 'none of the insecure packages installed')]);
    }
  }
  out['updates.pendingSecurity'] = await pendingSecurity(host);
  // security agents among running processes
  const procs = host.list('/proc').filter((n) => /^\d+$/.test(n)).map((pid) => host.text(`/proc/${pid}/comm`)?.trim()).filter((x): x is string => !!x);
  if (!procs.length) out['security.agents'] = unknown('no process list under this root (/proc)');
  else {
    const found = [...new Set(procs.flatMap((c) => SECURITY_AGENTS.filter(([re]) => re.test(c)).map(([, n]) => `${n}:${c}`)))];
    out['security.agents'] = ok(found, [ev('/proc/*/comm', undefined, found.join(', ') || `none of ${procs.length} processes is a known HIDS/EDR/anti-malware agent`)]);
  }
  const sig = ['daily.cld', 'daily.cvd'].map((n) => `/var/lib/clamav/${n}`).map((p) => ({ p, st: host.stat(p) })).find((x) => x.st);
  out['security.clamavSignatureAgeDays'] = sig ? ok(Math.floor((Date.now() - sig.st!.mtimeMs) / 86_400_000), [ev(sig.p, undefined, `modified ${sig.st!.mtime.toISOString()}`)]) : ok(null, [ev('/var/lib/clamav', undefined, 'no ClamAV signature database')]);
  return out;
}

async function pendingSecurity(host: Host): Promise<Fact> {
  if (!host.live) return unknown(`not run: reading a file tree under ${host.root}, not the live host`);
  if (host.exists('/usr/bin/apt-get')) {
    const r = await host.run('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'upgrade']);
    if (!r.ok) return unknown(r.reason);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('Inst ') && /security/i.test(l));
    return ok(lines.length, [ev('apt-get -s upgrade', undefined, lines.slice(0, 5).join('\n') || 'no security upgrades pending (from the local package lists)')]);
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
