import { machine } from 'node:os';
import type { Evidence, Fact } from '../../../contract/facts/posture.js';
import { type Host, configLines, ev, ok, unknown } from './host.js';

/** Firewall facts from an nftables/iptables ruleset text (pure). */
export function analyseRuleset(text: string, kind: 'nft' | 'iptables'): { inputPolicy: string | null; stateful: boolean; sshRestricted: boolean; rules: number } {
  if (kind === 'nft') {
    const chain = /chain\s+input\s*\{([^}]*)\}/i.exec(text)?.[1] ?? '';
    const policy = /type\s+filter\s+hook\s+input[^;]*;\s*policy\s+(accept|drop|reject)/.exec(chain)?.[1] ?? (chain ? 'accept' : null);
    const lines = chain.split(/[\n;]/).map((l) => l.trim()).filter((l) => l && !/^(#|type |policy |comment )/.test(l));
    return {
      inputPolicy: policy,
      stateful: lines.some((l) => /ct\s+state\s+[^\n]*established/.test(l)),
      sshRestricted: lines.some((l) => /dport\s+(22|ssh)\b/.test(l) && /saddr/.test(l)),
      rules: lines.length,
    };
  }
  const policy = /^:INPUT\s+(ACCEPT|DROP|REJECT)/m.exec(text)?.[1]?.toLowerCase() ?? null;
  const input = text.split('\n').filter((l) => l.startsWith('-A INPUT'));
  return {
    inputPolicy: policy,
    stateful: input.some((l) => /(--ctstate|--state)\s+\S*ESTABLISHED/.test(l)),
    sshRestricted: input.some((l) => /--dport\s+22\b/.test(l) && /\s-s\s/.test(l) && /-j\s+ACCEPT/.test(l)),
    rules: input.length,
  };
}

export async function boundaryFacts(host: Host): Promise<Fact> {
  const evidence: Evidence[] = [];
  // ufw and firewalld configure the kernel firewall themselves; report them by their own settings.
  const ufw = host.text('/etc/ufw/ufw.conf');
  if (ufw && /^ENABLED=yes/m.test(ufw)) {
    const def = host.text('/etc/default/ufw') ?? '';
    const pol = /^DEFAULT_INPUT_POLICY="?(\w+)"?/m.exec(def)?.[1]?.toLowerCase() ?? null;
    const rules = host.text('/etc/ufw/user.rules') ?? host.text('/lib/ufw/user.rules') ?? '';
    const ssh = rules.split('\n').some((l) => /--dport 22\b/.test(l) && /\s-s\s/.test(l));
    return ok({ tool: 'ufw', active: true, inputPolicy: pol, stateful: true, sshRestricted: ssh }, [ev('/etc/ufw/ufw.conf', undefined, 'ENABLED=yes'), ev('/etc/default/ufw', undefined, `DEFAULT_INPUT_POLICY=${pol}`)]);
  }
  if (host.live) {
    const nft = await host.run('nft', ['list', 'ruleset']);
    if (nft.ok && nft.stdout.trim()) {
      const a = analyseRuleset(nft.stdout, 'nft');
      return ok({ tool: 'nftables', active: true, ...a }, [ev('nft list ruleset', undefined, nft.stdout.split('\n').slice(0, 12).join('\n'))]);
    }
    const ipt = await host.run('iptables-save', []);
    if (ipt.ok && /-A INPUT|:INPUT (DROP|REJECT)/.test(ipt.stdout)) {
      const a = analyseRuleset(ipt.stdout, 'iptables');
      return ok({ tool: 'iptables', active: true, ...a }, [ev('iptables-save', undefined, ipt.stdout.split('\n').filter((l) => l.startsWith(':INPUT') || l.startsWith('-A INPUT')).slice(0, 12).join('\n'))]);
    }
    if (!nft.ok && !ipt.ok) return unknown(`${nft.reason}; ${ipt.reason}`);
    return ok({ tool: null, active: false, inputPolicy: 'accept', stateful: false, sshRestricted: false }, [ev('nft list ruleset; iptables-save', undefined, 'empty ruleset')]);
  }
  // file tree: the persistent rulesets
  for (const [file, kind] of [
    ['/etc/nftables.conf', 'nft'],
    ['/etc/sysconfig/nftables.conf', 'nft'],
    ['/etc/sysconfig/iptables', 'iptables'],
    ['/etc/iptables/rules.v4', 'iptables'],
  ] as const) {
    const t = host.text(file);
    if (!t || !(kind === 'nft' ? /hook\s+input/.test(t) : /:INPUT/.test(t))) continue;
    const unit = kind === 'nft' ? 'nftables' : 'iptables';
    const enabled = host.list('/etc/systemd/system/multi-user.target.wants').includes(`${unit}.service`) || host.list('/etc/systemd/system/sysinit.target.wants').includes(`${unit}.service`);
    evidence.push(ev(file, undefined, t.split('\n').filter((l) => /hook input|policy|ct state|dport|:INPUT|-A INPUT/.test(l)).slice(0, 8).map((l) => l.trim()).join('\n')));
    evidence.push(ev('/etc/systemd/system/*.target.wants', undefined, `${unit}.service ${enabled ? 'enabled' : 'not enabled'}`));
    return ok({ tool: kind === 'nft' ? 'nftables' : 'iptables', active: enabled, ...analyseRuleset(t, kind) }, evidence);
  }
  const fwd = host.text('/etc/firewalld/firewalld.conf');
  if (fwd) {
    const enabled = host.list('/etc/systemd/system/multi-user.target.wants').includes('firewalld.service');
    const zone = /^DefaultZone=(\S+)/m.exec(fwd)?.[1] ?? 'public';
    return ok({ tool: 'firewalld', active: enabled, inputPolicy: 'reject', stateful: true, sshRestricted: false, zone }, [ev('/etc/firewalld/firewalld.conf', undefined, `DefaultZone=${zone}`), ev('/etc/systemd/system/multi-user.target.wants', undefined, `firewalld.service ${enabled ? 'enabled' : 'not enabled'}`)]);
  }
  return ok({ tool: null, active: false, inputPolicy: null, stateful: false, sshRestricted: false }, [ev('/etc', undefined, 'no ufw, nftables, iptables or firewalld configuration found')]);
}

export function trustFacts(host: Host): Record<string, Fact> {
  const out: Record<string, Fact> = {};
  const enforce = host.live ? host.text('/sys/fs/selinux/enforce') : undefined;
  const cfg = host.text('/etc/selinux/config');
  const line = cfg ? configLines(cfg).find((l) => l.text.startsWith('SELINUX=')) : undefined;
  if (enforce !== undefined) out['mac.selinux'] = ok(enforce.trim() === '1' ? 'enforcing' : 'permissive', [ev('/sys/fs/selinux/enforce', undefined, enforce.trim())]);
  else if (line) out['mac.selinux'] = ok(line.text.slice(8).trim(), [ev('/etc/selinux/config', line.line, line.text)]);
  else out['mac.selinux'] = ok('absent', [ev('/etc/selinux/config', undefined, 'missing')]);
  const kernelState = host.live || host.exists('/sys');
  const noSys = 'kernel state (/sys) not present under this root';
  const aa = host.text('/sys/module/apparmor/parameters/enabled');
  out['mac.apparmor'] = aa !== undefined ? ok(aa.trim() === 'Y' ? 'enabled' : 'disabled', [ev('/sys/module/apparmor/parameters/enabled', undefined, aa.trim())]) : kernelState ? ok('absent', [ev('/sys/module/apparmor', undefined, 'missing')]) : unknown(noSys);
  const efi = host.list('/sys/firmware/efi/efivars').find((n) => n.startsWith('SecureBoot-'));
  if (efi) {
    try {
      const b = (host.text(`/sys/firmware/efi/efivars/${efi}`) ?? '').charCodeAt(4);
      out['boot.secureBoot'] = ok(b === 1, [ev(`/sys/firmware/efi/efivars/${efi}`, undefined, `value ${b}`)]);
    } catch {
      out['boot.secureBoot'] = unknown('cannot read SecureBoot variable');
    }
  } else if (host.live) out['boot.secureBoot'] = ok(false, [ev('/sys/firmware/efi', undefined, host.exists('/sys/firmware/efi') ? 'no SecureBoot variable' : 'not booted with UEFI')]);
  else out['boot.secureBoot'] = unknown(host.exists('/sys') ? 'no /sys/firmware/efi under this root: firmware state not captured' : noSys);
  const present = (id: string, path: string) => {
    out[id] = kernelState ? ok(host.exists(path), [ev(path, undefined, host.exists(path) ? 'present' : 'absent')]) : unknown(noSys);
  };
  present('trust.ima', '/sys/kernel/security/ima');
  present('trust.tpm', '/sys/class/tpm/tpm0');
  return out;
}

export async function timeFacts(host: Host): Promise<Fact> {
  const sources: { daemon: string; servers: string[]; evidence: Evidence[] }[] = [];
  for (const [daemon, files, re] of [
    ['chrony', ['/etc/chrony/chrony.conf', '/etc/chrony.conf'], /^(server|pool)\s+(\S+)/],
    ['ntpd', ['/etc/ntp.conf', '/etc/ntpsec/ntp.conf'], /^(server|pool)\s+(\S+)/],
    ['timesyncd', ['/etc/systemd/timesyncd.conf'], /^(NTP)=(.+)$/],
  ] as const) {
    for (const f of files) {
      const t = host.text(f);
      if (t === undefined) continue;
      const hits = configLines(t).filter((l) => re.test(l.text));
      sources.push({ daemon, servers: hits.flatMap((h) => re.exec(h.text)![2]!.split(/\s+/)), evidence: hits.map((h) => ev(f, h.line, h.text)) });
    }
  }
  let synchronized: boolean | null = null;
  let offsetSeconds: number | null = null;
  const evidence = sources.flatMap((s) => s.evidence);
  if (host.live) {
    const td = await host.run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
    if (td.ok) {
      synchronized = td.stdout.trim() === 'yes';
      evidence.push(ev('timedatectl show -p NTPSynchronized', undefined, td.stdout.trim()));
    }
    const ch = await host.run('chronyc', ['-c', 'tracking']);
    if (ch.ok) {
      const f = ch.stdout.trim().split(',');
      offsetSeconds = Number(f[4]);
      evidence.push(ev('chronyc -c tracking', undefined, ch.stdout.trim()));
    }
  }
  if (!sources.length && synchronized === null) return ok({ daemon: null, servers: [], synchronized: null, offsetSeconds: null }, [ev('/etc', undefined, 'no chrony, ntpd or timesyncd configuration')]);
  const main = sources.find((s) => s.servers.length) ?? sources[0];
  return ok({ daemon: main?.daemon ?? null, servers: main?.servers ?? [], synchronized, offsetSeconds }, evidence);
}

const RHEL_LIKE = /^(rhel|centos|rocky|almalinux|fedora|openeuler|kylin|anolis|ol|euleros|tencentos|alinux|bclinux)$/;
const DEBIAN_LIKE = /^(debian|ubuntu|uos|deepin|linuxmint|kali)$/;

export function osFacts(host: Host): Fact {
  const r = host.read('/etc/os-release').ok ? host.read('/etc/os-release') : host.read('/usr/lib/os-release');
  if (!r.ok) return unknown(r.reason);
  const kv: Record<string, string> = {};
  for (const { text } of configLines(r.text)) {
    const m = /^(\w+)=(.*)$/.exec(text);
    if (m) kv[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  const id = (kv.ID ?? '').toLowerCase();
  const like = (kv.ID_LIKE ?? '').toLowerCase().split(/\s+/);
  const family = RHEL_LIKE.test(id) || like.some((l) => RHEL_LIKE.test(l)) ? 'rhel' : DEBIAN_LIKE.test(id) || like.some((l) => DEBIAN_LIKE.test(l)) ? 'debian' : 'other';
  const kernel = host.text('/proc/sys/kernel/osrelease')?.trim() ?? null;
  return ok(
    { id, name: kv.NAME ?? null, version: kv.VERSION_ID ?? null, prettyName: kv.PRETTY_NAME ?? null, family, kernel, arch: host.live ? machine() : null },
    [ev('/etc/os-release', undefined, ['ID', 'VERSION_ID', 'PRETTY_NAME'].filter((k) => kv[k]).map((k) => `${k}=${kv[k]}`).join('\n'))],
  );
}
