import type { Evidence, Fact } from '../../../contract/facts/posture.js';
import { type Host, configLines, ev, ok, unknown } from './host.js';
import { pamStack } from './pam.js';

/** OpenSSH's own defaults for the settings we report (OpenSSH ≥ 7.4). */
const DEFAULTS: Record<string, string> = {
  permitrootlogin: 'prohibit-password',
  passwordauthentication: 'yes',
  clientaliveinterval: '0',
  clientalivecountmax: '3',
  maxauthtries: '6',
  authenticationmethods: 'any',
  protocol: '2',
};
/** OpenSSH 8.x/9.x built-in algorithm lists, used when a file tree does not set them. */
export const DEFAULT_ALGORITHMS: Record<string, string[]> = {
  ciphers: ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'],
  macs: [
    'umac-64-etm@openssh.com',
    'umac-128-etm@openssh.com',
    'hmac-sha2-256-etm@openssh.com',
    'hmac-sha2-512-etm@openssh.com',
    'hmac-sha1-etm@openssh.com',
    'umac-64@openssh.com',
    'umac-128@openssh.com',
    'hmac-sha2-256',
    'hmac-sha2-512',
    'hmac-sha1',
  ],
  kexalgorithms: [
    'sntrup761x25519-sha512@openssh.com',
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group-exchange-sha256',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
    'diffie-hellman-group14-sha256',
  ],
};
const WEAK =
  /^(3des-cbc|aes(128|192|256)-cbc|rijndael-cbc@lysator\.liu\.se|blowfish-cbc|cast128-cbc|arcfour.*|hmac-md5.*|hmac-sha1(-96)?(-etm@openssh\.com)?|umac-64.*|hmac-ripemd160.*|diffie-hellman-group1-sha1|diffie-hellman-group14-sha1|diffie-hellman-group-exchange-sha1|gss-.*-sha1-.*)$/;
export const isWeakAlgorithm = (name: string): boolean => WEAK.test(name);
/** Keys sshd accumulates over several directives (sshd -T prints one line per entry). */
const APPEND = new Set(['allowusers', 'allowgroups', 'denyusers', 'denygroups']);
const SSH_IDS = [
  'permitRootLogin',
  'passwordAuthentication',
  'ciphers',
  'macs',
  'kexAlgorithms',
  'weakAlgorithms',
  'clientAliveSeconds',
  'allowUsers',
  'allowGroups',
  'denyUsers',
  'denyGroups',
  'authenticationMethods',
  'maxAuthTries',
  'protocol',
];

interface Setting {
  value: string;
  evidence: Evidence[];
}

function globToRe(g: string): RegExp {
  return new RegExp(
    `^${g
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

function set(into: Map<string, Setting>, key: string, value: string, evidence: Evidence): void {
  const cur = into.get(key);
  if (!cur) into.set(key, { value, evidence: [evidence] });
  else if (APPEND.has(key)) into.set(key, { value: `${cur.value} ${value}`, evidence: [...cur.evidence, evidence] });
}

/**
 * sshd_config with Include expanded, as sshd reads it: first value wins (AllowUsers/AllowGroups/
 * DenyUsers/DenyGroups accumulate); a Match block ends at the end of the file it is in, so a Match
 * in an included file does not hide the rest of the including file. An Include that cannot be read
 * (permission, a directory where a file is expected) is an error: the effective settings are then
 * not known. A pattern matching nothing is ignored, as sshd does.
 */
export function parseSshdConfig(
  host: Host,
  file = '/etc/ssh/sshd_config',
  into = new Map<string, Setting>(),
  depth = 0,
): { settings: Map<string, Setting> } | { error: string } {
  const r = host.read(file);
  if (!r.ok) return { error: r.reason };
  for (const { line, text } of configLines(r.text)) {
    const m = /^(\S+?)\s*(?:=\s*|\s+)(.*)$/.exec(text);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (key === 'match') break; // the rest of this file is conditional
    if (key === 'include') {
      if (depth >= 8) return { error: `${file}:${line}: Include nested too deeply` };
      for (const pat of value.split(/\s+/)) {
        const abs = pat.startsWith('/') ? pat : `/etc/ssh/${pat}`;
        const dir = abs.slice(0, abs.lastIndexOf('/')) || '/';
        const base = abs.slice(abs.lastIndexOf('/') + 1);
        let files: string[];
        if (/[*?[]/.test(base)) {
          const l = host.listResult(dir);
          if (!l.ok) return { error: `${file}:${line}: Include ${pat}: ${l.reason}` };
          const re = globToRe(base);
          files = l.names.filter((n) => re.test(n)).map((n) => `${dir}/${n}`);
        } else {
          const rr = host.read(abs);
          files = rr.ok || !rr.reason.startsWith('missing:') ? [abs] : [];
        }
        for (const f of files) {
          const sub = parseSshdConfig(host, f, into, depth + 1);
          if ('error' in sub) return { error: `${file}:${line}: Include ${pat}: ${sub.error}` };
        }
      }
      continue;
    }
    set(into, key, value, ev(file, line, text));
  }
  return { settings: into };
}

/** RHEL 8 crypto-policies: sshd gets `-oCiphers=…` options on its command line, which win over sshd_config. */
function cryptoPolicy(host: Host): Map<string, Setting> {
  const file = '/etc/crypto-policies/back-ends/opensshserver.config';
  const out = new Map<string, Setting>();
  const t = host.text(file);
  if (t === undefined) return out;
  configLines(t).forEach(({ line, text }) => {
    if (!text.startsWith('CRYPTO_POLICY=')) return;
    for (const m of text.matchAll(/-o(\w+)=([^\s'"]+)/g))
      out.set(m[1]!.toLowerCase(), { value: m[2]!, evidence: [ev(file, line, `-o${m[1]}=${m[2]} (crypto-policies, sshd command line)`)] });
  });
  return out;
}

/** An sshd time value: 300, 5m, 1h30m → seconds. */
export function sshdSeconds(v: string): number | null {
  if (/^\d+$/.test(v)) return Number(v);
  if (!/^(\d+[sSmMhHdDwW]?)+$/.test(v)) return null;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const m of v.matchAll(/(\d+)([sSmMhHdDwW]?)/g)) total += Number(m[1]) * (unit[(m[2] || 's').toLowerCase()] ?? 1);
  return total;
}

/** An algorithm list setting applied to the default list: `+` appends, `-` removes (patterns), `^` prepends. */
export function effectiveAlgorithms(value: string, defaults: string[]): string[] {
  const items = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  if (value.startsWith('+')) return [...defaults, ...items(value.slice(1)).filter((x) => !defaults.includes(x))];
  if (value.startsWith('^')) return [...items(value.slice(1)), ...defaults.filter((x) => !items(value.slice(1)).includes(x))];
  if (value.startsWith('-')) {
    const res = items(value.slice(1)).map(globToRe);
    return defaults.filter((x) => !res.some((re) => re.test(x)));
  }
  return items(value);
}

export async function sshFacts(host: Host): Promise<Record<string, Fact>> {
  let settings: Map<string, Setting> | undefined;
  let reason = '';
  let source = '/etc/ssh/sshd_config';
  if (host.live) {
    const r = await host.run('sshd', ['-T']);
    if (r.ok) {
      settings = new Map();
      source = 'sshd -T';
      for (const l of r.stdout.split('\n')) {
        const i = l.indexOf(' ');
        if (i > 0) set(settings, l.slice(0, i), l.slice(i + 1).trim(), ev('sshd -T', undefined, l.trim()));
      }
    } else reason = r.reason;
  }
  const out: Record<string, Fact> = {};
  if (!settings) {
    const policy = cryptoPolicy(host);
    const parsed = parseSshdConfig(host, '/etc/ssh/sshd_config', policy);
    if ('error' in parsed) {
      const why = reason ? `${reason}; ${parsed.error}` : parsed.error;
      for (const k of SSH_IDS) out[`ssh.${k}`] = unknown(why);
      out['ssh.secondFactor'] = secondFactor(host);
      return out;
    }
    settings = parsed.settings;
  }
  const fromDefault = (key: string): Evidence =>
    ev(source === 'sshd -T' ? source : '/etc/ssh/sshd_config', undefined, `${key} not set: OpenSSH default ${DEFAULTS[key]}`);
  const get = (key: string): Setting | undefined =>
    settings!.get(key) ?? (DEFAULTS[key] !== undefined ? { value: DEFAULTS[key]!, evidence: [fromDefault(key)] } : undefined);
  const str = (key: string): Fact => {
    const s = get(key);
    return s ? ok(s.value, s.evidence) : ok(null, [ev(source, undefined, `${key} not set`)]);
  };
  const list = (key: string): Fact => {
    const s = settings!.get(key);
    return s ? ok(s.value.split(/[\s,]+/).filter(Boolean), s.evidence) : ok(null, [ev(source, undefined, `${key} not set`)]);
  };
  const weak: string[] = [];
  const weakEv: Evidence[] = [];
  for (const [k, id] of [
    ['ciphers', 'ciphers'],
    ['macs', 'macs'],
    ['kexalgorithms', 'kexAlgorithms'],
  ] as const) {
    const s = settings.get(k);
    const defaults = DEFAULT_ALGORITHMS[k]!;
    let names: string[];
    if (s) {
      names = effectiveAlgorithms(s.value, defaults);
      out[`ssh.${id}`] = ok(
        names,
        /^[-+^]/.test(s.value) ? [...s.evidence, ev(source, undefined, `${k} ${s.value[0]}: applied to the OpenSSH 8.x/9.x default list`)] : s.evidence,
      );
    } else {
      names = defaults;
      out[`ssh.${id}`] = ok(null, [ev(source, undefined, `${k} not set: default (OpenSSH built-in list; 8.x/9.x list assumed for weak-algorithm check)`)]);
    }
    const found = names.filter(isWeakAlgorithm);
    if (found.length) {
      weak.push(...found);
      weakEv.push(...(s ? s.evidence : [ev(source, undefined, `${k} default (OpenSSH 8.x/9.x built-in list) includes ${found.join(',')}`)]));
    }
  }
  out['ssh.weakAlgorithms'] = ok(weak, weakEv);
  const interval = get('clientaliveinterval')!;
  const count = get('clientalivecountmax')!;
  const secs = sshdSeconds(interval.value);
  out['ssh.clientAliveSeconds'] = ok(secs !== null && /^\d+$/.test(count.value) ? secs * Number(count.value) : null, [...interval.evidence, ...count.evidence]);
  out['ssh.permitRootLogin'] = str('permitrootlogin');
  out['ssh.passwordAuthentication'] = str('passwordauthentication');
  out['ssh.authenticationMethods'] = str('authenticationmethods');
  out['ssh.protocol'] = str('protocol');
  for (const [k, id] of [
    ['allowusers', 'allowUsers'],
    ['allowgroups', 'allowGroups'],
    ['denyusers', 'denyUsers'],
    ['denygroups', 'denyGroups'],
  ] as const)
    out[`ssh.${id}`] = list(k);
  const maxAuth = get('maxauthtries')!;
  out['ssh.maxAuthTries'] = ok(/^\d+$/.test(maxAuth.value) ? Number(maxAuth.value) : null, maxAuth.evidence);
  out['ssh.secondFactor'] = secondFactor(host);
  return out;
}

const SECOND_FACTOR = /(pam_google_authenticator|pam_oath|pam_radius(_auth)?|pam_yubico|pam_duo|pam_u2f|pam_totp)\.so|pam_sss\.so.*\b(otp|use_2fa)\b/;

/** Second-factor PAM modules in the sshd auth stack (following includes). */
function secondFactor(host: Host): Fact {
  const stack = pamStack(host, '/etc/pam.d/sshd');
  if ('error' in stack)
    return stack.error.startsWith('missing:') ? ok([], [ev('/etc/pam.d/sshd', undefined, 'missing: no PAM stack for sshd')]) : unknown(stack.error);
  const hits = stack.lines.filter((l) => l.type === 'auth' && SECOND_FACTOR.test(l.text));
  return ok(
    [...new Set(hits.map((h) => h.module.replace(/\.so$/, '')))],
    hits.length
      ? hits.map((h) => ev(h.file, h.line, h.text))
      : [ev('/etc/pam.d/sshd', undefined, 'no second-factor module (google_authenticator, oath, radius, yubico, duo, u2f, sss otp) in the auth stack')],
  );
}
