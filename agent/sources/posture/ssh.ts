import type { Evidence, Fact } from '../../../contract/facts/posture.js';
import { type Host, configLines, ev, ok, unknown } from './host.js';

/** OpenSSH's own defaults for the settings we report (OpenSSH ≥ 7.0). */
const DEFAULTS: Record<string, string> = {
  permitrootlogin: 'prohibit-password',
  passwordauthentication: 'yes',
  clientaliveinterval: '0',
  clientalivecountmax: '3',
  maxauthtries: '6',
  authenticationmethods: 'any',
};
const WEAK = /(^|,)(3des-cbc|aes(128|192|256)-cbc|blowfish-cbc|cast128-cbc|arcfour[^,]*|hmac-md5[^,]*|hmac-sha1(-96)?(-etm@openssh\.com)?|umac-64[^,]*|diffie-hellman-group1-sha1|diffie-hellman-group14-sha1|diffie-hellman-group-exchange-sha1)(?=,|$)/g;

interface Setting {
  value: string;
  evidence: Evidence;
}

function globToRe(g: string): RegExp {
  return new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** sshd_config with Include expanded; first value wins, as in sshd; stops at the first Match block. */
export function parseSshdConfig(host: Host, file = '/etc/ssh/sshd_config', into = new Map<string, Setting>(), depth = 0): { settings: Map<string, Setting>; stopped: boolean } | { error: string } {
  const r = host.read(file);
  if (!r.ok) return { error: r.reason };
  for (const { line, text } of configLines(r.text)) {
    const m = /^(\S+)\s*(?:=\s*|\s+)(.*)$/.exec(text);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (key === 'match') return { settings: into, stopped: true };
    if (key === 'include' && depth < 8) {
      for (const pat of value.split(/\s+/)) {
        const abs = pat.startsWith('/') ? pat : `/etc/ssh/${pat}`;
        const dir = abs.slice(0, abs.lastIndexOf('/'));
        const re = globToRe(abs.slice(abs.lastIndexOf('/') + 1));
        for (const name of host.list(dir).filter((n) => re.test(n))) {
          const sub = parseSshdConfig(host, `${dir}/${name}`, into, depth + 1);
          if ('stopped' in sub && sub.stopped) return sub;
        }
      }
      continue;
    }
    if (!into.has(key)) into.set(key, { value, evidence: ev(file, line, text) });
  }
  return { settings: into, stopped: false };
}

export async function sshFacts(host: Host): Promise<Record<string, Fact>> {
  let settings: Map<string, Setting> | undefined;
  let reason = '';
  if (host.live) {
    const r = await host.run('sshd', ['-T']);
    if (r.ok) {
      settings = new Map();
      for (const l of r.stdout.split('\n')) {
        const i = l.indexOf(' ');
        if (i > 0) settings.set(l.slice(0, i), { value: l.slice(i + 1).trim(), evidence: ev('sshd -T', undefined, l.trim()) });
      }
    } else reason = r.reason;
  }
  if (!settings) {
    const parsed = parseSshdConfig(host);
    if ('error' in parsed) {
      const why = reason ? `${reason}; ${parsed.error}` : parsed.error;
      return Object.fromEntries(['permitRootLogin', 'passwordAuthentication', 'ciphers', 'macs', 'kexAlgorithms', 'weakAlgorithms', 'clientAliveSeconds', 'allowUsers', 'allowGroups', 'authenticationMethods', 'maxAuthTries'].map((k) => [`ssh.${k}`, unknown(why)]));
    }
    settings = parsed.settings;
  }
  const get = (key: string): Setting | undefined => settings!.get(key) ?? (DEFAULTS[key] !== undefined ? { value: DEFAULTS[key]!, evidence: ev('/etc/ssh/sshd_config', undefined, `${key} not set: OpenSSH default ${DEFAULTS[key]}`) } : undefined);
  const str = (key: string): Fact => {
    const s = get(key);
    return s ? ok(s.value, [s.evidence]) : ok(null, [ev('/etc/ssh/sshd_config', undefined, `${key} not set`)]);
  };
  const list = (key: string): Fact => {
    const s = settings!.get(key);
    return s ? ok(s.value.split(/[\s,]+/).filter(Boolean), [s.evidence]) : ok(null, [ev('/etc/ssh/sshd_config', undefined, `${key} not set: OpenSSH built-in default list`)]);
  };
  const interval = get('clientaliveinterval')!;
  const count = get('clientalivecountmax')!;
  const secs = Number(interval.value) * Number(count.value);
  const weak: string[] = [];
  const weakEv: Evidence[] = [];
  for (const k of ['ciphers', 'macs', 'kexalgorithms']) {
    const s = settings.get(k);
    if (!s) continue;
    const found = [...s.value.matchAll(WEAK)].map((m) => m[2]!);
    if (found.length) {
      weak.push(...found);
      weakEv.push(s.evidence);
    }
  }
  const maxAuth = get('maxauthtries')!;
  return {
    'ssh.permitRootLogin': str('permitrootlogin'),
    'ssh.passwordAuthentication': str('passwordauthentication'),
    'ssh.ciphers': list('ciphers'),
    'ssh.macs': list('macs'),
    'ssh.kexAlgorithms': list('kexalgorithms'),
    'ssh.weakAlgorithms': ok(weak, weakEv),
    'ssh.clientAliveSeconds': ok(Number.isFinite(secs) ? secs : null, [interval.evidence, count.evidence]),
    'ssh.allowUsers': list('allowusers'),
    'ssh.allowGroups': list('allowgroups'),
    'ssh.authenticationMethods': str('authenticationmethods'),
    'ssh.maxAuthTries': ok(Number(maxAuth.value), [maxAuth.evidence]),
  };
}
