import type { Evidence, Fact } from '../../../contract/facts/posture.js';
import { type Host, configLines, ev, ok, unknown } from './host.js';
import { type PamLine, pamStack } from './pam.js';

const PAM_FILES = ['/etc/pam.d/common-password', '/etc/pam.d/common-auth', '/etc/pam.d/system-auth', '/etc/pam.d/password-auth'];
const NOLOGIN = /(nologin|\/false|\/sync|\/shutdown|\/halt)$/;
const DEFAULT_ACCOUNTS = ['lp', 'games', 'news', 'uucp', 'sync', 'shutdown', 'halt', 'operator', 'gopher', 'ftp', 'adm'];

/** `KEY value` settings of login.defs with their lines. */
function loginDefs(host: Host): Map<string, { value: string; evidence: Evidence }> | undefined {
  const t = host.text('/etc/login.defs');
  if (t === undefined) return undefined;
  const m = new Map<string, { value: string; evidence: Evidence }>();
  for (const { line, text } of configLines(t)) {
    const [k, v] = text.split(/\s+/);
    if (k && v !== undefined) m.set(k, { value: v, evidence: ev('/etc/login.defs', line, text) });
  }
  return m;
}

const PAM_SERVICES = [
  '/etc/pam.d/common-password',
  '/etc/pam.d/common-auth',
  '/etc/pam.d/system-auth',
  '/etc/pam.d/password-auth',
  '/etc/pam.d/sshd',
  '/etc/pam.d/login',
];

/** PAM lines using a module, across the distribution's stacks and the sshd/login services (includes followed, each line once). */
function pamLines(host: Host, module: string, files = PAM_SERVICES): { file: string; line: number; text: string; args: Map<string, string> }[] {
  const out: PamLine[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const st = pamStack(host, file);
    if ('error' in st) continue;
    for (const l of st.lines) {
      if (l.module !== module || seen.has(`${l.file}:${l.line}`)) continue;
      seen.add(`${l.file}:${l.line}`);
      out.push(l);
    }
  }
  return out;
}

function keyValueFile(host: Host, file: string): Map<string, { value: string; evidence: Evidence }> {
  const m = new Map<string, { value: string; evidence: Evidence }>();
  const t = host.text(file);
  if (t === undefined) return m;
  for (const { line, text } of configLines(t)) {
    const x = /^(\w+)\s*=?\s*(.*)$/.exec(text);
    if (x) m.set(x[1]!, { value: x[2]!.trim(), evidence: ev(file, line, text) });
  }
  return m;
}

export function passwordFacts(host: Host): Record<string, Fact> {
  const out: Record<string, Fact> = {};
  const defs = loginDefs(host);
  const defsRead = host.read('/etc/login.defs');
  for (const [id, key] of [
    ['password.maxDays', 'PASS_MAX_DAYS'],
    ['password.minDays', 'PASS_MIN_DAYS'],
    ['password.warnAge', 'PASS_WARN_AGE'],
  ] as const) {
    const s = defs?.get(key);
    out[id] = !defsRead.ok ? unknown(defsRead.reason) : s ? ok(Number(s.value), [s.evidence]) : ok(null, [ev('/etc/login.defs', undefined, `${key} not set`)]);
  }
  // pam_pwquality: pwquality.conf, overridden by module arguments
  const quality: Record<string, number> = {};
  const qev: Evidence[] = [];
  // pwquality.conf, then pwquality.conf.d/*.conf in order (later files override)
  for (const f of [
    '/etc/security/pwquality.conf',
    ...host
      .list('/etc/security/pwquality.conf.d')
      .filter((n) => n.endsWith('.conf'))
      .map((n) => `/etc/security/pwquality.conf.d/${n}`),
  ]) {
    const conf = keyValueFile(host, f);
    for (const k of ['minlen', 'minclass', 'dcredit', 'ucredit', 'lcredit', 'ocredit']) {
      const c = conf.get(k);
      if (c) {
        quality[k] = Number(c.value);
        qev.push(c.evidence);
      }
    }
  }
  const pq = pamLines(host, 'pam_pwquality.so').concat(pamLines(host, 'pam_cracklib.so'));
  for (const l of pq) {
    qev.push(ev(l.file, l.line, l.text));
    for (const k of ['minlen', 'minclass', 'dcredit', 'ucredit', 'lcredit', 'ocredit']) if (l.args.has(k)) quality[k] = Number(l.args.get(k));
  }
  out['password.quality'] = ok(pq.length ? { module: pq[0]!.text.includes('cracklib') ? 'pam_cracklib' : 'pam_pwquality', ...quality } : null, qev);
  // pam_pwhistory: argument, else /etc/security/pwhistory.conf, else the module default of 10
  const pwh = pamLines(host, 'pam_pwhistory.so').filter((l) => l.text.startsWith('password'));
  const unixRem = pamLines(host, 'pam_unix.so').filter((l) => l.args.has('remember'));
  const hconf = keyValueFile(host, '/etc/security/pwhistory.conf').get('remember');
  const hev = [...pwh, ...unixRem].map((l) => ev(l.file, l.line, l.text));
  const remArg = [...pwh, ...unixRem].find((l) => l.args.has('remember'));
  if (remArg) out['password.historyRemember'] = ok(Number(remArg.args.get('remember')), hev);
  else if (pwh.length && hconf) out['password.historyRemember'] = ok(Number(hconf.value), [...hev, hconf.evidence]);
  else if (pwh.length)
    out['password.historyRemember'] = ok(10, [...hev, ev('/etc/security/pwhistory.conf', undefined, 'remember not set: pam_pwhistory default 10')]);
  else out['password.historyRemember'] = ok(null, hev);

  out['password.lockout'] = lockoutFact(host);
  out['password.nullok'] = nullokFact(host);

  // TMOUT in the login shell profiles: the smallest readonly-or-exported value
  let tmout: { value: number; evidence: Evidence } | undefined;
  const profiles = [
    '/etc/profile',
    '/etc/bash.bashrc',
    '/etc/bashrc',
    ...host
      .list('/etc/profile.d')
      .filter((n) => n.endsWith('.sh'))
      .map((n) => `/etc/profile.d/${n}`),
  ];
  for (const f of profiles) {
    const t = host.text(f);
    if (t === undefined) continue;
    for (const { line, text } of configLines(t)) {
      const m = /^(?:(?:export|readonly|declare\s+-[rx]+)\s+)?TMOUT=(\d+)/.exec(text);
      if (m && (!tmout || Number(m[1]) < tmout.value)) tmout = { value: Number(m[1]), evidence: ev(f, line, text) };
    }
  }
  out['session.tmout'] = ok(
    tmout?.value ?? null,
    tmout ? [tmout.evidence] : [ev(profiles.filter((p) => host.exists(p)).join(', '), undefined, 'TMOUT not set')],
  );
  return out;
}

interface PasswdEntry {
  user: string;
  uid: number;
  shell: string;
  line: number;
  text: string;
}

export function accountFacts(host: Host): Record<string, Fact> {
  return { ...passwdFacts(host), ...shadowFacts(host), ...sudoFacts(host), 'su.wheelRestricted': suWheelRestricted(host) };
}

/** /etc/passwd: uid 0 accounts, duplicate uids, system accounts with a login shell. */
function passwdFacts(host: Host): Record<string, Fact> {
  const out: Record<string, Fact> = {};
  const pw = host.read('/etc/passwd');
  if (!pw.ok) {
    for (const k of ['uid0', 'duplicateUids', 'systemWithShell']) out[`accounts.${k}`] = unknown(pw.reason);
  } else {
    const users: PasswdEntry[] = [];
    pw.text.split('\n').forEach((text, i) => {
      const f = text.split(':');
      // an empty shell field means /bin/sh
      if (f.length >= 7) users.push({ user: f[0]!, uid: Number(f[2]), shell: f[6]!.trim() || '/bin/sh', line: i + 1, text });
    });
    const uidMin = Number(loginDefs(host)?.get('UID_MIN')?.value ?? 1000);
    const uid0 = users.filter((u) => u.uid === 0);
    out['accounts.uid0'] = ok(
      uid0.map((u) => u.user),
      uid0.map((u) => ev('/etc/passwd', u.line, u.text)),
    );
    const byUid = new Map<number, PasswdEntry[]>();
    for (const u of users) byUid.set(u.uid, [...(byUid.get(u.uid) ?? []), u]);
    const dups = [...byUid.entries()].filter(([, l]) => l.length > 1);
    out['accounts.duplicateUids'] = ok(
      dups.map(([uid, l]) => ({ uid, users: l.map((u) => u.user) })),
      dups.flatMap(([, l]) => l.map((u) => ev('/etc/passwd', u.line, u.text))),
    );
    const sys = users.filter((u) => u.uid > 0 && u.uid < uidMin && !NOLOGIN.test(u.shell) && u.shell !== '');
    out['accounts.systemWithShell'] = ok(
      sys.map((u) => u.user),
      sys.map((u) => ev('/etc/passwd', u.line, u.text)),
    );
  }
  return out;
}

/** /etc/shadow: empty passwords, unlocked default accounts, password aging and expiry. */
function shadowFacts(host: Host): Record<string, Fact> {
  const out: Record<string, Fact> = {};
  const sh = host.read('/etc/shadow');
  if (!sh.ok) {
    for (const k of ['emptyPasswords', 'defaultUnlocked', 'passwordAging', 'expiry']) out[`accounts.${k}`] = unknown(sh.reason);
  } else {
    const rows = sh.text
      .split('\n')
      .map((text, i) => ({ f: text.split(':'), line: i + 1 }))
      .filter((r) => r.f.length >= 8);
    const empty = rows.filter((r) => r.f[1] === '');
    out['accounts.emptyPasswords'] = ok(
      empty.map((r) => r.f[0]!),
      empty.map((r) => ev('/etc/shadow', r.line, `${r.f[0]}::… (empty password field)`)),
    );
    const unlocked = rows.filter((r) => DEFAULT_ACCOUNTS.includes(r.f[0]!) && !/^[!*]/.test(r.f[1]!));
    out['accounts.defaultUnlocked'] = ok(
      unlocked.map((r) => r.f[0]!),
      unlocked.map((r) => ev('/etc/shadow', r.line, `${r.f[0]}: password field is not locked`)),
    );
    const withPw = rows.filter((r) => r.f[1] && !/^[!*]/.test(r.f[1]));
    out['accounts.passwordAging'] = ok(
      withPw.map((r) => ({
        user: r.f[0]!,
        minDays: r.f[3] ? Number(r.f[3]) : null,
        maxDays: r.f[4] ? Number(r.f[4]) : null,
        warnDays: r.f[5] ? Number(r.f[5]) : null,
      })),
      withPw.map((r) => ev('/etc/shadow', r.line, `${r.f[0]}:<hash>:${r.f.slice(2, 6).join(':')}`)),
    );
    // 8.1.4.2 c: stale accounts — raw dates, so the fact does not change with the calendar
    const day = (d: string | undefined) => (d && /^\d+$/.test(d) ? new Date(Number(d) * 86_400_000).toISOString().slice(0, 10) : null);
    out['accounts.expiry'] = ok(
      withPw.map((r) => ({
        user: r.f[0]!,
        lastChange: day(r.f[2]),
        inactiveDays: r.f[6] && /^\d+$/.test(r.f[6]) ? Number(r.f[6]) : null,
        expireDate: day(r.f[7]),
      })),
      withPw.map((r) => ev('/etc/shadow', r.line, `${r.f[0]}:<hash>:${r.f[2]}:…:inactive ${r.f[6] || '-'}:expire ${r.f[7] || '-'}`)),
    );
  }
  return out;
}

/** sudoers: broad grants to anyone but root, NOPASSWD; a file that cannot be read makes both unknown. */
function sudoFacts(host: Host): Record<'sudo.broadGrants' | 'sudo.nopasswd', Fact> {
  const sudoDir = host.listResult('/etc/sudoers.d');
  const sudoFiles = [
    '/etc/sudoers',
    ...(sudoDir.ok ? sudoDir.names : []).filter((n) => !n.includes('.') && !n.endsWith('~')).map((n) => `/etc/sudoers.d/${n}`),
  ];
  const texts = sudoFiles.map((f) => ({ f, r: host.read(f) }));
  const bad = [...(sudoDir.ok ? [] : [sudoDir.reason]), ...texts.flatMap(({ r }) => (r.ok ? [] : [r.reason]))];
  if (bad.length) return { 'sudo.broadGrants': unknown(bad.join('; ')), 'sudo.nopasswd': unknown(bad.join('; ')) };
  const broad: Evidence[] = [];
  const nopw: Evidence[] = [];
  // User_Alias NAME = members: a grant to NAME is reported by the alias name, with its definition as evidence
  const aliases = new Map<string, Evidence>();
  for (const { f, r } of texts)
    if (r.ok)
      for (const { line, text } of configLines(r.text.replace(/\\\n/g, ' ')))
        for (const m of text.matchAll(/(?:^User_Alias\s+|:\s*)([A-Z][A-Z0-9_]*)\s*=/g))
          if (text.startsWith('User_Alias')) aliases.set(m[1]!, ev(f, line, text));
  const withAlias = (who: string, e: Evidence): Evidence[] => (aliases.has(who) ? [e, aliases.get(who)!] : [e]);
  for (const { f, r } of texts) {
    if (!r.ok) continue;
    // join backslash continuations
    const lines = configLines(r.text.replace(/\\\n/g, ' '));
    for (const { line, text } of lines) {
      if (/^(Defaults|Cmnd_Alias|Host_Alias|Runas_Alias|@include|#include)/.test(text)) continue;
      if (text.startsWith('User_Alias')) {
        // an alias is only a name; its grants show as lines naming it
        continue;
      }
      const who = text.split(/\s+/)[0]!;
      const spec = text.slice(who.length).trim();
      // host = (runas) TAGS: commands — broad when the commands are ALL and the runas covers root
      const m = /^[^=]+=\s*(?:\(([^)]*)\))?\s*((?:[A-Z_]+:\s*)*)(.*)$/.exec(spec);
      if (m) {
        const runas = (m[1] ?? 'root').replace(/\s/g, '');
        const cmds = m[3]!.trim();
        const asRoot = runas === '' || /^(ALL|root)(:.*)?$/.test(runas) || /^:/.test(runas);
        if (who !== 'root' && asRoot && /^ALL$/.test(cmds)) broad.push(...withAlias(who, ev(f, line, text)));
        if (/\bNOPASSWD:/.test(m[2]!)) nopw.push(...withAlias(who, ev(f, line, text)));
      } else if (/\bNOPASSWD:/.test(text)) nopw.push(ev(f, line, text));
    }
  }
  const who = (l: Evidence[]) => l.filter((e) => !e.excerpt.startsWith('User_Alias')).map((e) => e.excerpt.split(/\s+/)[0]!);
  return { 'sudo.broadGrants': ok(who(broad), broad), 'sudo.nopasswd': ok(who(nopw), nopw) };
}

/** su limited to the wheel group by pam_wheel. */
function suWheelRestricted(host: Host): Fact {
  const wheel = pamLines(host, 'pam_wheel.so', ['/etc/pam.d/su']).filter((l) => /^auth\s+(required|requisite)/.test(l.text));
  return host.exists('/etc/pam.d/su')
    ? ok(
        wheel.length > 0,
        wheel.length ? wheel.map((l) => ev(l.file, l.line, l.text)) : [ev('/etc/pam.d/su', undefined, 'no active "auth required pam_wheel.so" line')],
      )
    : unknown('missing: /etc/pam.d/su');
}

/** The auth stacks a login goes through: the distribution's shared stacks and the sshd/login services. */
const AUTH_STACKS = ['/etc/pam.d/common-auth', '/etc/pam.d/system-auth', '/etc/pam.d/password-auth', '/etc/pam.d/sshd', '/etc/pam.d/login'];

/** `auth` lines of each auth stack present (includes followed). */
function authStacks(host: Host): { file: string; lines: PamLine[] }[] {
  const out: { file: string; lines: PamLine[] }[] = [];
  for (const file of AUTH_STACKS) {
    if (!host.exists(file)) continue;
    const st = pamStack(host, file);
    if ('error' in st) continue;
    out.push({ file, lines: st.lines.filter((l) => l.type === 'auth') });
  }
  return out;
}

/** The action of a PAM control for a result: `required` → ok/bad, `[default=die]` → die, `[success=1]` → 1 … */
function controlAction(control: string, result: 'success' | 'auth_err'): string {
  const simple: Record<string, Record<string, string>> = {
    required: { success: 'ok', auth_err: 'bad' },
    requisite: { success: 'ok', auth_err: 'die' },
    sufficient: { success: 'done', auth_err: 'ignore' },
    optional: { success: 'ok', auth_err: 'ignore' },
  };
  if (simple[control]) return simple[control]![result]!;
  const m = new Map<string, string>();
  for (const kv of control
    .replace(/^\[|\]$/g, '')
    .split(/\s+/)
    .filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i).toLowerCase(), kv.slice(i + 1).toLowerCase());
  }
  return m.get(result) ?? m.get('default') ?? 'ignore';
}

/** The mode of a pam_faillock line: preauth (also when none is given), authfail or authsucc. */
const faillockMode = (l: PamLine): 'preauth' | 'authfail' | 'authsucc' =>
  l.args.has('authfail') ? 'authfail' : l.args.has('authsucc') ? 'authsucc' : 'preauth';

/**
 * Whether pam_faillock in an auth stack can lock anyone out: a failed pam_unix must reach an
 * `authfail` line (which records the failure) and a `preauth` line before pam_unix (or an `authsucc`
 * line after it) must be able to refuse a locked user. A `preauth` line alone records nothing; an
 * `authfail` line that a failed pam_unix skips or never reaches (requisite, die, a pam_deny before
 * it) records nothing either. Returns why not, or undefined when it can trigger.
 */
export function faillockProblem(lines: PamLine[]): string | undefined {
  const u = lines.findIndex((l) => l.module === 'pam_unix.so');
  if (u < 0) return 'no pam_unix auth line: the password check is elsewhere';
  const unix = lines[u]!;
  const onFail = controlAction(unix.control, 'auth_err');
  let recorded = false;
  if (onFail !== 'die' && onFail !== 'done') {
    const skip = /^\d+$/.test(onFail) ? Number(onFail) : 0;
    for (const l of lines.slice(u + 1 + skip)) {
      if (l.module === 'pam_faillock.so' && faillockMode(l) === 'authfail') {
        recorded = true;
        break;
      }
      const a = controlAction(l.control, 'auth_err');
      // a module that fails here (pam_deny) and ends the stack keeps the failure from being recorded
      if (l.module === 'pam_deny.so' && (a === 'die' || a === 'done')) break;
    }
  }
  if (!recorded) return `${unix.file}:${unix.line}: a failed pam_unix reaches no pam_faillock authfail line, so no failure is counted`;
  const refuses = (l: PamLine) => {
    const a = controlAction(l.control, 'auth_err');
    return a === 'bad' || a === 'die';
  };
  const enforced = lines.some(
    (l, i) => l.module === 'pam_faillock.so' && ((i < u && faillockMode(l) === 'preauth') || (i > u && faillockMode(l) === 'authsucc')) && refuses(l),
  );
  if (!enforced) return 'no pam_faillock preauth line (required, requisite or die) before pam_unix refuses a locked user';
  return undefined;
}

/**
 * `password.lockout`: the lockout a login actually meets. pam_faillock counts only where it can
 * trigger (see faillockProblem); lines that cannot are kept as evidence of a null value. pam_tally2
 * counts and refuses on its own `auth` line (required or requisite).
 */
function lockoutFact(host: Host): Fact {
  const stacks = authStacks(host);
  const allFaillock = pamLines(host, 'pam_faillock.so');
  const effective: PamLine[] = [];
  const why: Evidence[] = [];
  for (const s of stacks) {
    const fl = s.lines.filter((l) => l.module === 'pam_faillock.so');
    if (!fl.length) continue;
    const problem = faillockProblem(s.lines);
    if (problem) why.push(ev(s.file, undefined, `pam_faillock cannot lock anyone out: ${problem}`));
    else effective.push(...fl);
  }
  // a stack fragment read on its own (no pam_unix in any stack, e.g. a password-auth included elsewhere) proves nothing
  const seen = new Set<string>();
  const uniq = (ls: PamLine[]) => ls.filter((l) => !seen.has(`${l.file}:${l.line}`) && seen.add(`${l.file}:${l.line}`));
  if (effective.length) {
    const lines = uniq(effective);
    const fconf = keyValueFile(host, '/etc/security/faillock.conf');
    const arg = (k: string) => lines.find((l) => l.args.has(k))?.args.get(k) ?? fconf.get(k)?.value;
    const even = lines.some((l) => l.args.has('even_deny_root')) || fconf.has('even_deny_root');
    return ok(
      {
        module: 'pam_faillock',
        deny: arg('deny') !== undefined ? Number(arg('deny')) : 3,
        unlockTime: arg('unlock_time') !== undefined ? Number(arg('unlock_time')) : 600,
        evenDenyRoot: even,
      },
      [...lines.map((l) => ev(l.file, l.line, l.text)), ...[...fconf.values()].map((x) => x.evidence)],
    );
  }
  const tally = stacks.flatMap((s) => s.lines.filter((l) => l.module === 'pam_tally2.so' && ['bad', 'die'].includes(controlAction(l.control, 'auth_err'))));
  if (tally.length) {
    const lines = uniq(tally);
    const arg = (k: string) => lines.find((l) => l.args.has(k))?.args.get(k);
    return ok(
      {
        module: 'pam_tally2',
        deny: arg('deny') ? Number(arg('deny')) : null,
        unlockTime: arg('unlock_time') ? Number(arg('unlock_time')) : null,
        evenDenyRoot: lines.some((l) => l.args.has('even_deny_root')),
      },
      lines.map((l) => ev(l.file, l.line, l.text)),
    );
  }
  if (allFaillock.length)
    return ok(null, [
      ...allFaillock.map((l) => ev(l.file, l.line, l.text)),
      ...(why.length ? why : [ev(allFaillock[0]!.file, undefined, 'pam_faillock cannot lock anyone out: not part of an auth stack with pam_unix')]),
    ]);
  return ok(null, [ev(PAM_FILES.filter((f) => host.exists(f)).join(', ') || '/etc/pam.d', undefined, 'no pam_faillock or pam_tally2 line')]);
}

/** `password.nullok`: auth stacks whose pam_unix line takes `nullok` (an account with an empty password field logs in without one), as `file:line`. */
function nullokFact(host: Host): Fact {
  const seen = new Set<string>();
  const hits: PamLine[] = [];
  for (const s of authStacks(host)) {
    for (const l of s.lines) {
      if (l.module !== 'pam_unix.so' || !l.args.has('nullok') || seen.has(`${l.file}:${l.line}`)) continue;
      seen.add(`${l.file}:${l.line}`);
      hits.push(l);
    }
  }
  const stacks = AUTH_STACKS.filter((f) => host.exists(f));
  return ok(
    hits.map((l) => `${l.file}:${l.line}`),
    hits.length ? hits.map((l) => ev(l.file, l.line, l.text)) : [ev(stacks.join(', ') || '/etc/pam.d', undefined, 'no pam_unix auth line with nullok')],
  );
}
