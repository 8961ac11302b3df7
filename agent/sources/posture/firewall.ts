/**
 * Host firewall rulesets (nftables, iptables/ip6tables) evaluated for two unsolicited packets: a new
 * TCP connection to port 22 and one to a port no rule names, each from an arbitrary address on a
 * non-loopback interface. Rules are followed in order through jump/goto; an accept that might match
 * counts as accepting, a drop/reject only when it surely matches — so uncertainty never yields a pass.
 */
export interface Rule {
  verdict: 'accept' | 'drop' | 'reject' | 'jump' | 'goto' | 'return' | null;
  target?: string;
  /** Destination ports (null: any); `maybe` when the port match cannot be read (a named set, `!=`). */
  dports: [number, number][] | null | 'maybe';
  proto: string | null;
  /** Only from listed source addresses: an arbitrary address does not match. */
  restricted: boolean;
  /** Only on the loopback interface. */
  loopback: boolean;
  /** ct state / --state without NEW: never matches a new connection. */
  notNew: boolean;
  established: boolean;
  /** Other conditions: the rule might not match. */
  other: boolean;
  text: string;
}

export interface Chain {
  policy?: 'accept' | 'drop' | 'reject';
  /** nftables base chain hooked at input, or iptables INPUT. */
  input: boolean;
  rules: Rule[];
}

export interface FirewallAnalysis {
  inputPolicy: 'accept' | 'drop' | 'reject' | null;
  stateful: boolean;
  sshRestricted: boolean;
  rules: number;
}

const SERVICES: Record<string, number> = { ssh: 22, http: 80, https: 443, ftp: 21, telnet: 23, smtp: 25, domain: 53, ntp: 123, snmp: 161 };

function ports(spec: string): [number, number][] | 'maybe' {
  const out: [number, number][] = [];
  for (const item of spec
    .replace(/[{}]/g, '')
    .split(/[,\s]+/)
    .filter(Boolean)) {
    const r = /^(\w+)(?:[-:](\w+))?$/.exec(item);
    if (!r) return 'maybe';
    const a = SERVICES[r[1]!] ?? Number(r[1]);
    const b = r[2] === undefined ? a : (SERVICES[r[2]] ?? Number(r[2]));
    if (!Number.isFinite(a) || !Number.isFinite(b)) return 'maybe';
    out.push([a, b]);
  }
  return out;
}

/** One nftables rule statement. */
export function nftRule(text: string): Rule {
  let rest = ` ${text} `;
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.replace(m[0], ' ');
    return m;
  };
  take(/\s+comment\s+"[^"]*"/);
  take(/\s+counter(\s+packets\s+\d+\s+bytes\s+\d+)?/);
  take(/\s+log(\s+prefix\s+"[^"]*")?(\s+level\s+\w+)?(\s+flags\s+\S+)?/);
  const v = take(/\s(accept|drop|reject(?:\s+with\s+\S+(?:\s+type)?\s+\S+)?|return|(?:jump|goto)\s+\S+)\s*$/);
  let verdict: Rule['verdict'] = null;
  let target: string | undefined;
  if (v) {
    const w = v[1]!.split(/\s+/);
    verdict = (w[0] as Rule['verdict']) ?? null;
    if (verdict === 'jump' || verdict === 'goto') target = w[1];
  }
  const loopback = !!take(/\siif(name)?\s+"?lo"?(?=\s)/);
  let notNew = false;
  let established = false;
  let other = false;
  // ct state vmap { established : accept, related : accept, invalid : drop }: a verdict map, no verdict of its own
  const vmap = take(/\sct\s+state\s+vmap\s+\{([^}]*)\}/);
  if (vmap) {
    established = /established\s*:\s*accept/.test(vmap[1]!);
    if (/new\s*:\s*accept/.test(vmap[1]!)) verdict = 'accept';
    else notNew = true;
  }
  const ct = vmap ? null : take(/\sct\s+state\s+(!=\s*)?(\{[^}]*\}|\S+)/);
  if (ct) {
    const states = ct[2]!.replace(/[{}\s]/g, '').split(',');
    established = !ct[1] && states.includes('established');
    if (ct[1]) other = true;
    else notNew = !states.includes('new');
  }
  // DNATed (port-forwarded) traffic only: not a packet addressed to the host itself
  if (take(/\sct\s+status\s+\{?\s*dnat\s*\}?(?=\s)/)) notNew = true;
  let restricted = false;
  while (true) {
    const s = take(/\s(?:ip6?|ether)\s+saddr\s+(!=\s*)?(\{[^}]*\}|\S+)/);
    if (!s) break;
    if (s[1]) other = true;
    else restricted = true;
  }
  let dports: Rule['dports'] = null;
  let proto: string | null = null;
  const d = take(/\s(tcp|udp|th|sctp)\s+dport\s+(!=\s*)?(\{[^}]*\}|\S+)/);
  if (d) {
    proto = d[1] === 'th' ? null : d[1]!;
    dports = d[2] || d[3]!.startsWith('@') || d[3]!.startsWith('$') ? 'maybe' : ports(d[3]!);
  }
  const p = take(/\s(?:meta\s+l4proto|ip\s+protocol|ip6\s+nexthdr)\s+(\{[^}]*\}|\S+)/);
  if (p) {
    const list = p[1]!.replace(/[{}\s]/g, '').split(',');
    if (!list.includes('tcp') && !list.includes('6')) proto = list[0]!;
    else proto ??= 'tcp';
  }
  if (/^\s*(icmp|icmpv6)\s/.test(rest)) {
    proto = 'icmp';
    rest = '';
  }
  if (rest.trim()) other = true;
  return { verdict, target, dports, proto, restricted, loopback, notNew, established, other, text: text.trim() };
}

/** One iptables-save `-A` line's arguments (after the chain name). */
export function iptablesRule(args: string): Rule {
  const t = args.match(/"[^"]*"|\S+/g) ?? [];
  const r: Rule = {
    verdict: null,
    dports: null,
    proto: null,
    restricted: false,
    loopback: false,
    notNew: false,
    established: false,
    other: false,
    text: args.trim(),
  };
  let afterTarget = false;
  for (let i = 0; i < t.length; i++) {
    const neg = t[i] === '!';
    if (neg) i++;
    const o = t[i]!;
    const val = t[i + 1];
    const next = () => {
      i++;
      return val ?? '';
    };
    if (o === '-p' || o === '--protocol') {
      const p = next();
      if (neg) r.other = true;
      else if (p !== 'all') r.proto = p;
    } else if (o === '-m' || o === '--match') next();
    else if (o === '--dport' || o === '--destination-port' || o === '--dports' || o === '--destination-ports') {
      const s = next();
      r.dports = neg ? 'maybe' : ports(s);
    } else if (o === '-s' || o === '--source' || o === '--src-range') {
      next();
      if (neg) r.other = true;
      else r.restricted = true;
    } else if (o === '-i' || o === '--in-interface') {
      const v = next();
      if (!neg && v === 'lo') r.loopback = true;
      else r.other = true;
    } else if (o === '--state' || o === '--ctstate') {
      const states = next().split(',');
      if (neg) r.other = true;
      else {
        r.established = states.includes('ESTABLISHED');
        r.notNew = !states.includes('NEW');
      }
    } else if (o === '-j' || o === '--jump' || o === '-g' || o === '--goto') {
      const target = next();
      const v = target.toLowerCase();
      if (v === 'accept' || v === 'drop' || v === 'reject' || v === 'return') r.verdict = v;
      else if (v === 'log' || v === 'nflog' || v === 'ulog') r.verdict = null;
      else {
        r.verdict = o.startsWith('-g') || o === '--goto' ? 'goto' : 'jump';
        r.target = target;
      }
      afterTarget = true; // target options (--reject-with …, --log-prefix …) follow
    } else if (o === '--comment') next();
    else if (o === '-c') i += 2;
    else {
      if (!afterTarget) r.other = true;
      if (val !== undefined && !val.startsWith('-')) i++;
    }
  }
  return r;
}

type Port = 22 | 'other';

function mayMatch(r: Rule, port: Port): boolean {
  if (r.loopback || r.notNew || r.restricted) return false;
  if (r.proto && r.proto !== 'tcp') return false;
  if (r.dports === 'maybe') return true;
  if (r.dports) return port === 22 && r.dports.some(([a, b]) => a <= 22 && 22 <= b);
  return true;
}
const surely = (r: Rule, port: Port): boolean => mayMatch(r, port) && !r.other && r.dports !== 'maybe';

function walk(chains: Map<string, Chain>, name: string, port: Port, depth: number, seen: { stateful: boolean }): 'accept' | 'drop' | 'reject' | null {
  const chain = chains.get(name);
  if (!chain || depth > 16) return null;
  for (const r of chain.rules) {
    if (r.established && (r.verdict === 'accept' || r.verdict === 'jump' || /vmap/.test(r.text))) seen.stateful = true;
    if (r.verdict === 'accept' && mayMatch(r, port)) return 'accept';
    if ((r.verdict === 'drop' || r.verdict === 'reject') && surely(r, port)) return r.verdict;
    if (r.verdict === 'return' && surely(r, port)) return null;
    if ((r.verdict === 'jump' || r.verdict === 'goto') && r.target && mayMatch(r, port)) {
      const v = walk(chains, r.target, port, depth + 1, seen);
      if (v === 'accept') return v;
      if (v && surely(r, port)) return v;
      if (r.verdict === 'goto' && surely(r, port)) return null;
    }
  }
  return null;
}

/** Evaluate the input base chains (all must accept a packet for it to pass). */
export function evaluate(chains: Map<string, Chain>): FirewallAnalysis | null {
  const bases = [...chains.entries()].filter(([, c]) => c.input);
  if (!bases.length) return null;
  const seen = { stateful: false };
  const verdict = (port: Port) => {
    for (const [name, c] of bases) {
      const v = walk(chains, name, port, 0, seen) ?? c.policy ?? 'accept';
      if (v !== 'accept') return v;
    }
    return 'accept' as const;
  };
  const other = verdict('other');
  const ssh = verdict(22);
  return { inputPolicy: other, stateful: seen.stateful, sshRestricted: ssh !== 'accept', rules: bases.reduce((n, [, c]) => n + c.rules.length, 0) };
}

/** nftables ruleset text → chains per address family (4, 6), by brace depth. */
export function parseNft(text: string): { 4: Map<string, Chain>; 6: Map<string, Chain> } {
  const out = { 4: new Map<string, Chain>(), 6: new Map<string, Chain>() };
  const src = text.replace(/#[^\n]*/g, '');
  const tableRe = /(?:^|\s)table\s+(ip|ip6|inet|arp|bridge|netdev)?\s*(\S+)\s*\{/g;
  for (let m = tableRe.exec(src); m; m = tableRe.exec(src)) {
    const family = m[1] ?? 'ip';
    const body = block(src, m.index + m[0].length);
    tableRe.lastIndex = m.index + m[0].length + body.length;
    const fams = family === 'inet' ? [4, 6] : family === 'ip' ? [4] : family === 'ip6' ? [6] : [];
    const chainRe = /(?:^|\s)chain\s+(\S+)\s*\{/g;
    for (let c = chainRe.exec(body); c; c = chainRe.exec(body)) {
      const cb = block(body, c.index + c[0].length);
      chainRe.lastIndex = c.index + c[0].length + cb.length;
      const chain: Chain = { input: false, rules: [] };
      for (const stmt of statements(cb)) {
        const hook = /^type\s+filter\s+hook\s+(\w+)/.exec(stmt);
        if (hook) {
          chain.input = hook[1] === 'input';
          continue;
        }
        const pol = /^policy\s+(accept|drop)/.exec(stmt);
        if (pol) {
          chain.policy = pol[1] as 'accept' | 'drop';
          continue;
        }
        if (/^(type|priority|comment|devices?)\s/.test(stmt)) continue;
        chain.rules.push(nftRule(stmt));
      }
      for (const f of fams) out[f as 4 | 6].set(`${m[2]}/${c[1]}`, chain);
    }
    // jump targets are chain names within the table
    for (const f of fams)
      for (const ch of out[f as 4 | 6].values()) for (const r of ch.rules) if (r.target && !r.target.includes('/')) r.target = `${m[2]}/${r.target}`;
  }
  return out;
}

/** The text of a `{ … }` block starting after its opening brace, up to (not including) the matching brace. */
function block(s: string, start: number): string {
  let depth = 1;
  for (let i = start; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return s.slice(start, i);
  }
  return s.slice(start);
}

/** Statements of a chain body: lines and `;`, with `{ … }` sets kept whole. */
function statements(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (depth === 0 && (ch === '\n' || ch === ';')) {
      if (cur.trim()) out.push(cur.trim().replace(/\s+/g, ' '));
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim().replace(/\s+/g, ' '));
  return out;
}

/** iptables-save / ip6tables-save text → chains of the filter table. */
export function parseIptables(text: string, inputChain = 'INPUT'): Map<string, Chain> {
  const chains = new Map<string, Chain>();
  let table = 'filter';
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l.startsWith('*')) table = l.slice(1);
    if (table !== 'filter') continue;
    const decl = /^:(\S+)\s+(\S+)/.exec(l);
    if (decl) {
      const pol = decl[2]!.toLowerCase();
      chains.set(decl[1]!, { input: decl[1] === inputChain, policy: pol === 'accept' || pol === 'drop' || pol === 'reject' ? pol : undefined, rules: [] });
      continue;
    }
    const a = /^-A\s+(\S+)\s+(.*)$/.exec(l);
    if (a) {
      if (!chains.has(a[1]!)) chains.set(a[1]!, { input: a[1] === inputChain, rules: [] });
      chains.get(a[1]!)!.rules.push(iptablesRule(a[2]!));
    }
  }
  return chains;
}
