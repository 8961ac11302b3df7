import { readFileSync } from 'node:fs';
import { machine } from 'node:os';
import type { Evidence, Fact } from '../../../contract/facts/posture.js';
import { type Host, configLines, ev, ok, unknown } from './host.js';
import { type FirewallAnalysis, evaluate, parseIptables, parseNft } from './firewall.js';

/** Firewall facts from an nftables/iptables ruleset text (pure), for one address family. */
export function analyseRuleset(text: string, kind: 'nft' | 'iptables', family: 4 | 6 = 4): FirewallAnalysis | null {
  return evaluate(kind === 'nft' ? parseNft(text)[family] : parseIptables(text));
}

type FwValue = { tool: 'ufw' | 'nftables' | 'iptables' | 'firewalld' | null; active: boolean; zone?: string } & Partial<FirewallAnalysis>;
const NONE = (why: string): Fact => ok({ tool: null, active: false, inputPolicy: null, stateful: false, sshRestricted: false }, [ev('/etc', undefined, why)]);
const stable = (t: string) => t.replace(/\s*counter packets \d+ bytes \d+/g, ' counter').replace(/\[\d+:\d+\]/g, '');
const excerpt = (t: string) =>
  stable(t)
    .split('\n')
    .filter((l) => /hook input|policy|ct state|dport|:INPUT|-A INPUT|include/.test(l))
    .slice(0, 8)
    .map((l) => l.trim())
    .join('\n');

/** nftables.conf with `include "…"` lines expanded (globs in the last path part), under the root. */
function nftConf(host: Host, file: string, depth = 0): string | undefined {
  const t = host.text(file);
  if (t === undefined || depth > 4) return t;
  return t.replace(/^\s*include\s+"([^"]+)"\s*$/gm, (_all, inc: string) => {
    const dir = inc.slice(0, inc.lastIndexOf('/')) || '/';
    const re = new RegExp(
      `^${inc
        .slice(inc.lastIndexOf('/') + 1)
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return host
      .list(dir)
      .filter((n) => re.test(n))
      .map((n) => nftConf(host, `${dir}/${n}`, depth + 1) ?? '')
      .join('\n');
  });
}

/** firewalld's default zone as configured: target and what it opens to any source. */
function firewalldZone(host: Host, fwd: string): { value: Omit<FirewallAnalysis, 'rules'> & { zone: string }; evidence: Evidence[] } {
  const zone = /^DefaultZone=(\S+)/m.exec(fwd)?.[1] ?? 'public';
  const evidence = [ev('/etc/firewalld/firewalld.conf', undefined, `DefaultZone=${zone}`)];
  const file = [`/etc/firewalld/zones/${zone}.xml`, `/usr/lib/firewalld/zones/${zone}.xml`].find((f) => host.exists(f));
  let xml = file ? (host.text(file) ?? '') : '';
  if (!file) {
    // firewalld's shipped zone definitions, when the package files are not under the root
    const builtin: Record<string, string> = {
      public: '<zone><service name="ssh"/><service name="dhcpv6-client"/></zone>',
      drop: '<zone target="DROP"></zone>',
      block: '<zone target="%%REJECT%%"></zone>',
      trusted: '<zone target="ACCEPT"></zone>',
    };
    xml = builtin[zone] ?? '<zone><service name="ssh"/></zone>';
    evidence.push(ev(`/usr/lib/firewalld/zones/${zone}.xml`, undefined, `not under this root: firewalld built-in ${zone} zone assumed (${xml})`));
  } else
    evidence.push(
      ev(
        file,
        undefined,
        xml
          .split('\n')
          .filter((l) => /<zone|<service|<port|<rule|<source|<accept/.test(l))
          .map((l) => l.trim())
          .join('\n')
          .slice(0, 1000),
      ),
    );
  const target = /<zone[^>]*\starget="([^"]+)"/.exec(xml)?.[1] ?? 'default';
  const inputPolicy = target === 'ACCEPT' ? 'accept' : target === 'DROP' ? 'drop' : 'reject';
  const plain = xml.replace(/<rule[\s\S]*?<\/rule>/g, '');
  const sshOpen = /<service\s+name="ssh"/.test(plain) || /<port[^>]*port="(22|\d+-\d+)"[^>]*protocol="tcp"|<port[^>]*protocol="tcp"[^>]*port="22"/.test(plain);
  const richOpen = [...xml.matchAll(/<rule[\s\S]*?<\/rule>/g)].some(
    (m) => /<service\s+name="ssh"|port="22"/.test(m[0]) && /<accept/.test(m[0]) && !/<source\s/.test(m[0]),
  );
  return { value: { zone, inputPolicy, stateful: true, sshRestricted: inputPolicy !== 'accept' && !sshOpen && !richOpen }, evidence };
}

function ufwFacts(host: Host, conf: string): Record<string, Fact> {
  const def = host.text('/etc/default/ufw') ?? '';
  const pol = /^DEFAULT_INPUT_POLICY="?(\w+)"?/m.exec(def)?.[1]?.toLowerCase() ?? 'drop';
  const policy = pol === 'accept' ? 'accept' : pol === 'reject' ? 'reject' : 'drop';
  const ipv6 = /^IPV6=yes/m.test(def);
  const out: Record<string, Fact> = {};
  for (const [id, files, on] of [
    ['firewall.input', ['/etc/ufw/user.rules', '/lib/ufw/user.rules'], true],
    ['firewall.input6', ['/etc/ufw/user6.rules', '/lib/ufw/user6.rules'], ipv6],
  ] as const) {
    const file = files.find((f) => host.exists(f));
    const chains = parseIptables(file ? (host.text(file) ?? '') : '', 'ufw-user-input');
    const base = chains.get('ufw-user-input') ?? { input: true, rules: [] };
    // ufw-before-input accepts established traffic before the user rules; the default policy ends them
    chains.set('ufw-user-input', { ...base, input: true, policy });
    const a = evaluate(chains)!;
    const evidence = [
      ev('/etc/ufw/ufw.conf', undefined, 'ENABLED=yes'),
      ev('/etc/default/ufw', undefined, `DEFAULT_INPUT_POLICY=${pol.toUpperCase()}${id.endsWith('6') ? `; IPV6=${ipv6 ? 'yes' : 'no'}` : ''}`),
    ];
    if (file)
      evidence.push(
        ev(
          file,
          undefined,
          base.rules
            .map((r) => r.text)
            .slice(0, 8)
            .join('\n') || 'no user rules',
        ),
      );
    out[id] = on ? ok({ tool: 'ufw', active: true, ...a, stateful: true }, evidence) : NONE('ufw enabled with IPV6=no: IPv6 not filtered by ufw');
  }
  void conf;
  return out;
}

export async function boundaryFacts(host: Host): Promise<Record<string, Fact>> {
  // ufw and firewalld configure the kernel firewall themselves; report them by their own settings.
  const ufw = host.text('/etc/ufw/ufw.conf');
  if (ufw && /^ENABLED=yes/m.test(ufw)) return ufwFacts(host, ufw);
  const fwd = host.text('/etc/firewalld/firewalld.conf');
  if (host.live) {
    const out: Record<string, Fact> = {};
    const state = await host.run('firewall-cmd', ['--state']);
    const firewalld = state.ok && state.stdout.trim() === 'running';
    const zone = firewalld && fwd ? firewalldZone(host, fwd).value.zone : undefined;
    const nft = await host.run('nft', ['list', 'ruleset']);
    const v4 = await host.run('iptables-save', []);
    const v6 = await host.run('ip6tables-save', []);
    for (const [id, fam, ipt, iptName] of [
      ['firewall.input', 4, v4, 'iptables-save'],
      ['firewall.input6', 6, v6, 'ip6tables-save'],
    ] as const) {
      const tool = (t: FwValue['tool']): FwValue['tool'] => (firewalld ? 'firewalld' : t);
      const extra = firewalld ? [ev('firewall-cmd --state', undefined, 'running')] : [];
      const withZone = zone ? { zone } : {};
      const a = nft.ok ? evaluate(parseNft(nft.stdout)[fam]) : null;
      if (a) {
        out[id] = ok({ tool: tool('nftables'), active: true, ...a, ...withZone }, [
          ...extra,
          ev('nft list ruleset', undefined, excerpt(nft.stdout ?? '') || 'input base chain'),
        ]);
        continue;
      }
      const b = ipt.ok ? evaluate(parseIptables(ipt.stdout)) : null;
      if (b && /-A INPUT|:INPUT (DROP|REJECT)/.test(ipt.ok ? ipt.stdout : '')) {
        out[id] = ok({ tool: tool('iptables'), active: true, ...b, ...withZone }, [...extra, ev(iptName, undefined, excerpt(ipt.ok ? ipt.stdout : ''))]);
        continue;
      }
      if (!nft.ok && !ipt.ok) out[id] = unknown(`${nft.reason}; ${'reason' in ipt ? ipt.reason : ''}`);
      else
        out[id] = ok({ tool: null, active: false, inputPolicy: 'accept', stateful: false, sshRestricted: false }, [
          ev(`nft list ruleset; ${iptName}`, undefined, `no IPv${fam} input filtering`),
        ]);
    }
    return out;
  }
  // file tree: the persistent configuration and whether its service is enabled
  const wants = (unit: string) =>
    host.list('/etc/systemd/system/multi-user.target.wants').includes(`${unit}.service`) ||
    host.list('/etc/systemd/system/sysinit.target.wants').includes(`${unit}.service`);
  const unitEv = (unit: string) => ev('/etc/systemd/system/*.target.wants', undefined, `${unit}.service ${wants(unit) ? 'enabled' : 'not enabled'}`);
  const firewalld = (): Record<string, Fact> => {
    const z = firewalldZone(host, fwd!);
    const f = ok({ tool: 'firewalld', active: wants('firewalld'), ...z.value }, [...z.evidence, unitEv('firewalld')]);
    return { 'firewall.input': f, 'firewall.input6': f };
  };
  if (fwd && wants('firewalld')) return firewalld();
  const out: Record<string, Fact> = {};
  for (const fam of [4, 6] as const) {
    const id = fam === 4 ? 'firewall.input' : 'firewall.input6';
    const candidates: [string, 'nft' | 'iptables'][] = [
      ['/etc/nftables.conf', 'nft'],
      ['/etc/sysconfig/nftables.conf', 'nft'],
      [fam === 4 ? '/etc/sysconfig/iptables' : '/etc/sysconfig/ip6tables', 'iptables'],
      [fam === 4 ? '/etc/iptables/rules.v4' : '/etc/iptables/rules.v6', 'iptables'],
    ];
    for (const [file, kind] of candidates) {
      const t = kind === 'nft' ? nftConf(host, file) : host.text(file);
      if (!t) continue;
      const a = kind === 'nft' ? evaluate(parseNft(t)[fam]) : /:INPUT/.test(t) ? evaluate(parseIptables(t)) : null;
      if (!a) continue;
      const unit =
        kind === 'nft'
          ? 'nftables'
          : fam === 6 && file.startsWith('/etc/sysconfig')
            ? 'ip6tables'
            : file.startsWith('/etc/iptables')
              ? 'netfilter-persistent'
              : 'iptables';
      const active = wants(unit) || (unit === 'netfilter-persistent' && wants('iptables'));
      out[id] = ok({ tool: kind === 'nft' ? 'nftables' : 'iptables', active, ...a }, [ev(file, undefined, excerpt(t)), unitEv(unit)]);
      break;
    }
    if (out[id]) continue;
    if (fwd) out[id] = firewalld()[id]!;
    else out[id] = NONE(`no ufw, nftables, ${fam === 4 ? 'iptables' : 'ip6tables'} or firewalld configuration for IPv${fam} input`);
  }
  return out;
}

export function trustFacts(host: Host): Record<string, Fact> {
  const out: Record<string, Fact> = {};
  // SELinux: the kernel's state (selinuxfs) is the truth; the config file is only what is configured
  const enforce = host.text('/sys/fs/selinux/enforce');
  const cfg = host.text('/etc/selinux/config');
  const line = cfg ? configLines(cfg).find((l) => l.text.startsWith('SELINUX=')) : undefined;
  const cfgEv = line ? [ev('/etc/selinux/config', line.line, line.text)] : [];
  if (enforce !== undefined)
    out['mac.selinux'] = ok(enforce.trim() === '1' ? 'enforcing' : 'permissive', [ev('/sys/fs/selinux/enforce', undefined, enforce.trim()), ...cfgEv]);
  else if (host.live)
    out['mac.selinux'] = ok(line || host.exists('/etc/selinux') ? 'disabled' : 'absent', [
      ev('/sys/fs/selinux', undefined, 'not mounted: SELinux is not running in the kernel'),
      ...cfgEv.map((e) => ({ ...e, excerpt: `${e.excerpt} (configured mode, applies from the next boot)` })),
    ]);
  else if (line) {
    const mode = line.text
      .slice(8)
      .trim()
      .replace(/^["']|["']$/g, '')
      .toLowerCase();
    out['mac.selinux'] = /^(enforcing|permissive|disabled)$/.test(mode)
      ? ok(mode, [...cfgEv, ev('/sys/fs/selinux', undefined, 'file tree: runtime state not captured, the configured mode is reported')])
      : unknown(`unrecognised SELINUX= value "${mode}"`, cfgEv);
  } else out['mac.selinux'] = ok('absent', [ev('/etc/selinux/config', undefined, 'missing')]);
  const kernelState = host.live || host.exists('/sys');
  const noSys = 'kernel state (/sys) not present under this root';
  const aa = host.text('/sys/module/apparmor/parameters/enabled');
  out['mac.apparmor'] =
    aa !== undefined
      ? ok(aa.trim() === 'Y' ? 'enabled' : 'disabled', [ev('/sys/module/apparmor/parameters/enabled', undefined, aa.trim())])
      : kernelState
        ? ok('absent', [ev('/sys/module/apparmor', undefined, 'missing')])
        : unknown(noSys);
  const vars = host.listResult('/sys/firmware/efi/efivars');
  const efi = vars.ok ? vars.names.find((n) => n.startsWith('SecureBoot-')) : undefined;
  if (!vars.ok) out['boot.secureBoot'] = unknown(vars.reason);
  else if (efi) {
    const path = `/sys/firmware/efi/efivars/${efi}`;
    try {
      const b = readFileSync(host.p(path));
      // 4 bytes of attributes, then the value
      out['boot.secureBoot'] = b.length >= 5 ? ok(b[4] === 1, [ev(path, undefined, `value ${b[4]}`)]) : unknown(`${path}: ${b.length} bytes, expected 5`);
    } catch (err) {
      out['boot.secureBoot'] = unknown(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (host.live)
    out['boot.secureBoot'] = host.exists('/sys/firmware/efi')
      ? unknown('UEFI without a readable SecureBoot variable (efivarfs not mounted?)')
      : ok(false, [ev('/sys/firmware/efi', undefined, 'not booted with UEFI')]);
  else out['boot.secureBoot'] = unknown(host.exists('/sys') ? 'no /sys/firmware/efi under this root: firmware state not captured' : noSys);
  out['trust.ima'] = kernelState ? imaFact(host) : unknown(noSys);
  out['trust.tpm'] = kernelState
    ? ok(host.exists('/sys/class/tpm/tpm0'), [ev('/sys/class/tpm/tpm0', undefined, host.exists('/sys/class/tpm/tpm0') ? 'present' : 'absent')])
    : unknown(noSys);
  return out;
}

/**
 * IMA counts only when it does something: a policy requested on the kernel command line
 * (ima_policy=, ima_appraise=), a loaded policy readable in securityfs, or measurements beyond the
 * boot aggregate. The securityfs directory alone only says the kernel has IMA built in.
 */
function imaFact(host: Host): Fact {
  const dir = '/sys/kernel/security/ima';
  const evidence: Evidence[] = [];
  const cmdline = host.text('/proc/cmdline');
  const opts = cmdline?.split(/\s+/).filter((o) => /^(ima_policy|ima_appraise|ima_tcb)(=|$)/.test(o) && !/^ima_appraise=(off|log)$/.test(o)) ?? [];
  if (opts.length) return ok(true, [ev('/proc/cmdline', undefined, opts.join(' '))]);
  if (cmdline !== undefined) evidence.push(ev('/proc/cmdline', undefined, 'no ima_policy=, ima_appraise= or ima_tcb'));
  if (!host.exists(dir)) return ok(false, [...evidence, ev(dir, undefined, 'absent: IMA not in the kernel or securityfs not mounted')]);
  const policy = host.read(`${dir}/policy`);
  const rules = policy.ok ? configLines(policy.text).filter((l) => /^(measure|appraise|audit|hash|dont_\w+)\b/.test(l.text)) : [];
  if (rules.some((r) => !r.text.startsWith('dont_')))
    return ok(true, [
      ...evidence,
      ev(
        `${dir}/policy`,
        undefined,
        rules
          .slice(0, 4)
          .map((r) => r.text)
          .join('\n'),
      ),
    ]);
  const meas = host.read(`${dir}/ascii_runtime_measurements`);
  const entries = meas.ok ? meas.text.split('\n').filter((l) => l.trim() && !/\sboot_aggregate\s*$/.test(l)) : [];
  if (entries.length) return ok(true, [...evidence, ev(`${dir}/ascii_runtime_measurements`, undefined, 'measurements beyond boot_aggregate')]);
  if (!policy.ok && !meas.ok) return unknown(`IMA present but neither policy nor measurements readable: ${policy.reason}; ${meas.reason}`, evidence);
  return ok(false, [...evidence, ev(dir, undefined, `present, but no policy rules loaded${meas.ok ? ' and no measurements beyond boot_aggregate' : ''}`)]);
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
      const off = Math.abs(Number(f[4]));
      // only a bucket: the exact offset changes every run and would re-send the facts each time
      offsetSeconds = Number.isFinite(off) ? offsetBucket(off) : null;
      evidence.push(
        ev(
          'chronyc -c tracking',
          undefined,
          `reference ${f[1] ?? '?'}, stratum ${f[2] ?? '?'}, |offset| < ${offsetSeconds ?? '?'} s, leap status ${(f[13] ?? '?').trim()}`,
        ),
      );
    }
  }
  if (!sources.length && synchronized === null)
    return ok({ daemon: null, servers: [], synchronized: null, offsetSeconds: null }, [ev('/etc', undefined, 'no chrony, ntpd or timesyncd configuration')]);
  const main = sources.find((s) => s.servers.length) ?? sources[0];
  return ok({ daemon: main?.daemon ?? null, servers: main?.servers ?? [], synchronized, offsetSeconds }, evidence);
}

/** Upper bound of a clock offset's bucket, in seconds: 0.001, 0.01, 0.1, 1, 10, 100, … */
export function offsetBucket(abs: number): number {
  for (let b = 0.001; ; b *= 10) if (abs < b || b > 1e9) return Number(b.toPrecision(1));
}

const RHEL_LIKE = /^(rhel|centos|rocky|almalinux|fedora|openeuler|kylin|anolis|ol|euleros|tencentos|alinux|bclinux|uniontech|uos-server)$/;
const DEBIAN_LIKE = /^(debian|ubuntu|uos|deepin|linuxmint|kali)$/;

/** Family by ID_LIKE first (Kylin Desktop: ID=kylin ID_LIKE=debian), then by ID. */
export function osFamily(id: string, idLike: string): 'debian' | 'rhel' | 'other' {
  for (const l of idLike.toLowerCase().split(/\s+/).filter(Boolean)) {
    if (DEBIAN_LIKE.test(l)) return 'debian';
    if (RHEL_LIKE.test(l)) return 'rhel';
  }
  return RHEL_LIKE.test(id) ? 'rhel' : DEBIAN_LIKE.test(id) ? 'debian' : 'other';
}

export function osFacts(host: Host): Fact {
  let file = '/etc/os-release';
  let r = host.read(file);
  if (!r.ok) {
    const alt = host.read('/usr/lib/os-release');
    if (!alt.ok) return unknown(`${r.reason}; ${alt.reason}`);
    file = '/usr/lib/os-release';
    r = alt;
  }
  const kv: Record<string, string> = {};
  for (const { text } of configLines(r.text)) {
    const m = /^(\w+)=(.*)$/.exec(text);
    if (m) kv[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  const id = (kv.ID ?? '').toLowerCase();
  const family = osFamily(id, kv.ID_LIKE ?? '');
  const kernel = host.text('/proc/sys/kernel/osrelease')?.trim() ?? null;
  const arch = host.live ? machine() : null;
  return ok({ id, name: kv.NAME ?? null, version: kv.VERSION_ID ?? null, prettyName: kv.PRETTY_NAME ?? null, family, kernel, arch }, [
    ev(
      file,
      undefined,
      ['ID', 'ID_LIKE', 'VERSION_ID', 'PRETTY_NAME']
        .filter((k) => kv[k])
        .map((k) => `${k}=${kv[k]}`)
        .join('\n'),
    ),
    ev('/proc/sys/kernel/osrelease', undefined, kernel ?? 'not readable under this root'),
    ...(arch ? [ev('uname -m (os.machine())', undefined, arch)] : []),
  ]);
}
