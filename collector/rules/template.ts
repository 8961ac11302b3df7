import { formatFloat, type GoValue, goString, sprintf } from './gofmt.js';

/**
 * The Go text/template subset Prometheus rule labels and annotations use, with Prometheus's template
 * functions (v2.42 `template/template.go`) giving byte-identical output:
 *
 *   {{ $labels.instance }}  {{ .Labels.instance }}  {{ $value }}  {{ .Value }}  {{ $externalLabels.x }}
 *   {{ $externalURL }}  {{ $value | humanize }}  {{ printf "%.2f" $value }}  {{ $x := … }}
 *   {{ if … }}…{{ else if … }}…{{ else }}…{{ end }}  {{ with … }}…{{ end }}  {{- trim -}}  {{/* comment *\/}}
 *
 * Functions: humanize, humanize1024, humanizeDuration, humanizePercentage, humanizeTimestamp, printf,
 * print, println, len, index, eq, ne, lt, le, gt, ge, and, or, not, toUpper, toLower, title, match,
 * reReplaceAll, stripPort, stripDomain, externalURL, pathPrefix. Anything else Go accepts (`range`,
 * `query`, `first`, `template`, …) is refused at load as outside the subset, so a rule never fails
 * at evaluation for a construct we lack.
 */

export class TemplateError extends Error {}

type Arg =
  | { k: 'func'; name: string }
  | { k: 'var'; name: string; fields: string[] }
  | { k: 'field'; fields: string[] }
  | { k: 'dot' }
  | { k: 'lit'; v: GoValue }
  | { k: 'pipe'; pipe: Pipe };
interface Cmd {
  args: Arg[];
  /** offset of the command in the template text, and its source (for Go's error context) */
  pos: number;
  src: string;
}
interface Pipe {
  decl?: string;
  assign?: boolean;
  cmds: Cmd[];
}
type Node = { k: 'text'; s: string } | { k: 'action'; pipe: Pipe } | { k: 'if' | 'with'; pipe: Pipe; body: Node[]; else: Node[] };

const FUNCS = new Set([
  'humanize',
  'humanize1024',
  'humanizeDuration',
  'humanizePercentage',
  'humanizeTimestamp',
  'printf',
  'print',
  'println',
  'len',
  'index',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'and',
  'or',
  'not',
  'toUpper',
  'toLower',
  'title',
  'match',
  'reReplaceAll',
  'stripPort',
  'stripDomain',
  'externalURL',
  'pathPrefix',
]);
/** Go/Prometheus template functions and keywords we do not implement: refused at load. */
const UNSUPPORTED = new Set([
  'query',
  'first',
  'label',
  'value',
  'strvalue',
  'args',
  'safeHtml',
  'graphLink',
  'tableLink',
  'sortByLabel',
  'toTime',
  'parseDuration',
  'tmpl',
  'html',
  'js',
  'urlquery',
  'call',
  'slice',
  'range',
  'template',
  'define',
  'block',
  'break',
  'continue',
]);

// ---- lexing ----

type Tok = { t: 'id' | 'var' | 'field' | 'str' | 'num' | 'op'; v: string; at: number; end: number };

function unquoteGo(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (n !== undefined && simple[n] !== undefined) out += simple[n];
    else if (n === 'x') {
      out += String.fromCharCode(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n === 'u') {
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (n === 'U') {
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 9), 16));
      i += 8;
    } else throw new TemplateError('invalid syntax');
  }
  return out;
}

function lexAction(src: string, base = 0): Tok[] {
  const toks: (Omit<Tok, 'at' | 'end'> & { at?: number; end?: number })[] = [];
  let i = 0;
  let last = 0;
  const mark = () => {
    for (let k = last; k < toks.length; k++) {
      toks[k]!.at ??= base + tokStart;
      toks[k]!.end ??= base + i;
    }
    last = toks.length;
  };
  let tokStart = 0;
  while (i < src.length) {
    mark();
    tokStart = i;
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '|' || c === '(' || c === ')' || c === ',') {
      toks.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === ':' && src[i + 1] === '=') {
      toks.push({ t: 'op', v: ':=' });
      i += 2;
      continue;
    }
    if (c === '=') {
      toks.push({ t: 'op', v: '=' });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') j++;
        if (src[j] === '\n') throw new TemplateError('unterminated quoted string');
        j++;
      }
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      toks.push({ t: 'str', v: unquoteGo(src.slice(i + 1, j)) });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw quoted string');
      toks.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    let m = /^\$[A-Za-z0-9_]*/.exec(src.slice(i));
    if (m) {
      toks.push({ t: 'var', v: m[0] });
      i += m[0].length;
      continue;
    }
    m = /^\.[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (m) {
      toks.push({ t: 'field', v: m[0].slice(1) });
      i += m[0].length;
      continue;
    }
    m = /^[+-]?(0[xX][0-9a-fA-F_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)/.exec(src.slice(i));
    if (m && m[0] !== '' && /\d/.test(m[0])) {
      toks.push({ t: 'num', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === '.') {
      toks.push({ t: 'op', v: '.' });
      i++;
      continue;
    }
    m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (m) {
      toks.push({ t: 'id', v: m[0] });
      i += m[0].length;
      continue;
    }
    throw new TemplateError(`unexpected ${JSON.stringify(c)} in command`);
  }
  mark();
  return toks as Tok[];
}

// ---- parsing ----

interface Parsed {
  nodes: Node[];
  text: string;
}

/** An execution error at a command, formatted as Go's (`NAME:LINE:COL: executing "NAME" at <cmd>: …`). */
export class ExecError extends Error {
  constructor(
    readonly cmd: Cmd,
    readonly reason: string,
  ) {
    super(reason);
  }
}

class Parser {
  pos = 0;
  constructor(
    private toks: Tok[],
    private vars: Set<string>,
    private text: string,
  ) {}
  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }
  peek(): Tok | undefined {
    return this.toks[this.pos];
  }
  pipeline(): Pipe {
    const pipe: Pipe = { cmds: [] };
    const t0 = this.toks[this.pos];
    const t1 = this.toks[this.pos + 1];
    if (t0?.t === 'var' && t1?.t === 'op' && (t1.v === ':=' || t1.v === '=')) {
      if (t1.v === '=' && !this.vars.has(t0.v)) throw new TemplateError(`undefined variable "${t0.v}"`);
      pipe.decl = t0.v;
      pipe.assign = t1.v === '=';
      this.pos += 2;
    }
    for (;;) {
      const cmd = this.command();
      pipe.cmds.push(cmd);
      const t = this.peek();
      if (t?.t === 'op' && t.v === '|') {
        this.pos++;
        continue;
      }
      break;
    }
    if (pipe.decl && !pipe.assign) this.vars.add(pipe.decl);
    return pipe;
  }
  command(): Cmd {
    const start = this.pos;
    const args: Arg[] = [];
    for (;;) {
      const t = this.peek();
      if (!t || (t.t === 'op' && (t.v === '|' || t.v === ')'))) break;
      args.push(this.operand());
    }
    if (args.length === 0) throw new TemplateError('missing value for command');
    const first = this.toks[start]!;
    const lastTok = this.toks[this.pos - 1]!;
    return { args, pos: first.at, src: this.text.slice(first.at, lastTok.end) };
  }
  operand(): Arg {
    const t = this.toks[this.pos++]!;
    let a: Arg;
    switch (t.t) {
      case 'var':
        if (!this.vars.has(t.v)) throw new TemplateError(`undefined variable "${t.v}"`);
        a = { k: 'var', name: t.v, fields: [] };
        break;
      case 'field':
        a = { k: 'field', fields: [t.v] };
        break;
      case 'str':
        a = { k: 'lit', v: { t: 'string', v: t.v } };
        break;
      case 'num': {
        const s = t.v.replace(/_/g, '');
        if (/^[+-]?(0[xX][0-9a-fA-F]+|\d+)$/.test(s)) a = { k: 'lit', v: { t: 'int', v: Number(s) } };
        else a = { k: 'lit', v: { t: 'float64', v: Number(s) } };
        break;
      }
      case 'id':
        if (t.v === 'true' || t.v === 'false') a = { k: 'lit', v: { t: 'bool', v: t.v === 'true' } };
        else if (t.v === 'nil') a = { k: 'lit', v: { t: 'nil' } };
        else if (FUNCS.has(t.v)) a = { k: 'func', name: t.v };
        else if (UNSUPPORTED.has(t.v)) throw new TemplateError(`"${t.v}" is outside our template subset`);
        else throw new TemplateError(`function "${t.v}" not defined`);
        break;
      case 'op':
        if (t.v === '.') a = { k: 'dot' };
        else if (t.v === '(') {
          const pipe = this.pipeline();
          const c = this.toks[this.pos++];
          if (c?.v !== ')') throw new TemplateError('unclosed left paren');
          a = { k: 'pipe', pipe };
        } else throw new TemplateError(`unexpected "${t.v}" in operand`);
        break;
    }
    // field chains: $labels.instance, .Labels.instance, (pipe).x
    while (this.peek()?.t === 'field' && (a.k === 'var' || a.k === 'field' || a.k === 'pipe' || a.k === 'dot')) {
      const f = this.toks[this.pos++]!.v;
      if (a.k === 'var' || a.k === 'field') a.fields.push(f);
      else a = { k: 'field', fields: [f] };
    }
    return a;
  }
}

/** Parse a template; throws TemplateError with Go's wording where Go has one. */
export function parseTemplate(text: string, predeclared: readonly string[] = ['$labels', '$externalLabels', '$externalURL', '$value']): Parsed {
  const vars = new Set<string>(['$', ...predeclared]);
  const root: Node[] = [];
  type Frame = { node: Extract<Node, { k: 'if' | 'with' }>; inElse: boolean; list: Node[] };
  const stack: Frame[] = [];
  const cur = (): Node[] => (stack.length ? stack[stack.length - 1]!.list : root);
  let i = 0;
  let trimNext = false;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    let chunk = open < 0 ? text.slice(i) : text.slice(i, open);
    if (trimNext) chunk = chunk.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (chunk) cur().push({ k: 'text', s: chunk });
      break;
    }
    let start = open + 2;
    if (text[start] === '-' && /[ \t\r\n]/.test(text[start + 1] ?? '')) {
      chunk = chunk.replace(/[ \t\r\n]+$/, '');
      start += 1;
    }
    if (chunk) cur().push({ k: 'text', s: chunk });
    // find the closing }} outside string literals
    let j = start;
    let inStr: string | undefined;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (inStr) {
        if (c === '\\' && inStr === '"') j++;
        else if (c === inStr) inStr = undefined;
        continue;
      }
      if (c === '"' || c === '`') inStr = c;
      else if (c === '}' && text[j + 1] === '}') break;
    }
    if (j >= text.length) throw new TemplateError('unclosed action');
    let inner = text.slice(start, j);
    i = j + 2;
    if (/[ \t\r\n]-$/.test(inner)) {
      inner = inner.slice(0, -1);
      trimNext = true;
    }
    const trimmed = inner.trim();
    if (trimmed.startsWith('/*')) {
      if (!trimmed.endsWith('*/')) throw new TemplateError('unclosed comment');
      continue;
    }
    const toks = lexAction(inner, start);
    if (toks.length === 0) throw new TemplateError('missing value for command');
    const first = toks[0]!;
    const p = new Parser(toks, vars, text);
    if (first.t === 'id' && (first.v === 'if' || first.v === 'with')) {
      p.pos = 1;
      if (p.atEnd()) throw new TemplateError(`missing value for ${first.v}`);
      const pipe = p.pipeline();
      if (!p.atEnd()) throw new TemplateError(`unexpected ${JSON.stringify(p.peek()!.v)} in ${first.v}`);
      const node: Frame['node'] = { k: first.v, pipe, body: [], else: [] };
      cur().push(node);
      stack.push({ node, inElse: false, list: node.body });
      continue;
    }
    if (first.t === 'id' && first.v === 'else') {
      const f = stack[stack.length - 1];
      if (!f || f.inElse) throw new TemplateError('unexpected {{else}}');
      f.inElse = true;
      f.list = f.node.else;
      if (toks.length > 1) {
        const kw = toks[1]!;
        if (kw.t !== 'id' || (kw.v !== 'if' && kw.v !== 'with')) throw new TemplateError('unexpected token after else');
        p.pos = 2;
        const pipe = p.pipeline();
        if (!p.atEnd()) throw new TemplateError(`unexpected ${JSON.stringify(p.peek()!.v)} in else`);
        const node: Frame['node'] = { k: kw.v, pipe, body: [], else: [] };
        f.list.push(node);
        // `else if` chains close with the one {{end}}: replace the frame by the nested one
        stack.pop();
        stack.push({ node, inElse: false, list: node.body });
      }
      continue;
    }
    if (first.t === 'id' && first.v === 'end') {
      if (toks.length > 1) throw new TemplateError('unexpected token in end');
      if (!stack.length) throw new TemplateError('unexpected {{end}}');
      stack.pop();
      continue;
    }
    const pipe = p.pipeline();
    if (!p.atEnd()) throw new TemplateError(`unexpected ${JSON.stringify(p.peek()!.v)} in operand`);
    cur().push({ k: 'action', pipe });
  }
  if (stack.length) throw new TemplateError('unexpected EOF');
  return { nodes: root, text };
}

// ---- execution ----

export interface TemplateData {
  labels: Record<string, string>;
  externalLabels: Record<string, string>;
  externalURL: string;
  value: number;
}

function toFloat(x: GoValue, fn: string): number {
  if (x.t === 'float64' || x.t === 'int') return x.v;
  if (x.t === 'string') {
    const s = x.v;
    const n = parseGoFloat(s);
    if (n === undefined) throw new TemplateError(`error calling ${fn}: strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
    return n;
  }
  throw new TemplateError(`error calling ${fn}: can't convert ${x.t === 'map' ? 'map[string]string' : x.t === 'nil' ? '<nil>' : x.t} to float`);
}

function parseGoFloat(s: string): number | undefined {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+(\.[0-9a-fA-F]*)?([pP][+-]?\d+)?$/.test(t) && !/[.pP]/.test(t)) return Number(t);
  return undefined;
}

const g4 = (v: number) => formatFloat(v, 'g', 4);

export function humanize(v: number): string {
  if (v === 0 || Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

export function humanizeDuration(v: number): string {
  if (Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    // Go's int64(v): out of range it is MinInt64 on amd64
    const d = v >= 2 ** 63 ? -(2n ** 63n) : BigInt(Math.trunc(v));
    const seconds = d % 60n;
    const minutes = (d / 60n) % 60n;
    const hours = (d / 3600n) % 24n;
    const days = d / 86400n;
    if (days !== 0n) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0n) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0n) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

export function humanizePercentage(v: number): string {
  return `${g4(v * 100)}%`;
}

/** Go's time.Time String() of a Unix time in seconds, UTC: "2006-01-02 15:04:05.999999999 +0000 UTC". */
export function humanizeTimestamp(v: number): string {
  if (Number.isNaN(v) || !Number.isFinite(v)) return g4(v);
  const ns = v * 1e9;
  if (ns > 2 ** 63 || ns < -(2 ** 63))
    throw new TemplateError(
      `error calling humanizeTimestamp: ${formatFloat(v, 'g', -1)} cannot be represented as a nanoseconds timestamp since it overflows int64`,
    );
  // model.TimeFromUnixNano: millisecond precision, truncated toward zero
  const ms = Number(BigInt.asIntN(64, BigInt(Math.trunc(ns))) / 1000000n);
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const msPart = ((ms % 1000) + 1000) % 1000;
  let frac = '';
  if (msPart > 0) frac = `.${String(msPart).padStart(3, '0').replace(/0+$/, '')}`;
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac} +0000 UTC`;
}

function truth(x: GoValue): boolean {
  switch (x.t) {
    case 'bool':
      return x.v;
    case 'float64':
    case 'int':
      return x.v !== 0;
    case 'string':
      return x.v !== '';
    case 'map':
      return Object.keys(x.v).length > 0;
    case 'nil':
      return false;
  }
}

function str(x: GoValue, fn: string): string {
  if (x.t !== 'string') throw new TemplateError(`wrong type for value; expected string; got ${x.t === 'map' ? 'map[string]string' : x.t} (in ${fn})`);
  return x.v;
}

/** Go regexp replacement template ($1, ${1}, ${name}) to JavaScript's. */
function goRepl(repl: string): string {
  return repl.replace(/\$\$|\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g, (m, a: string | undefined, b: string | undefined) => {
    if (m === '$$') return '$$';
    const name = a ?? b!;
    return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
  });
}

function cmpVals(fn: string, a: GoValue, b: GoValue): number {
  if ((a.t === 'int' || a.t === 'float64') && (b.t === 'int' || b.t === 'float64')) {
    if (a.t !== b.t) throw new TemplateError(`error calling ${fn}: incompatible types for comparison`);
    // NaN: neither less nor equal (Go's lt and eq are false; gt/ge, being !le/!lt, true)
    return a.v < b.v ? -1 : a.v === b.v ? 0 : 1;
  }
  if (a.t === 'string' && b.t === 'string') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  if (a.t === 'bool' && b.t === 'bool' && (fn === 'eq' || fn === 'ne')) return a.v === b.v ? 0 : 1;
  throw new TemplateError(`error calling ${fn}: incompatible types for comparison`);
}

/** fmt.Sprint: a space between operands when neither side is a string. */
function goSprint(args: GoValue[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    if (i > 0 && args[i]!.t !== 'string' && args[i - 1]!.t !== 'string') out += ' ';
    out += goString(args[i]!);
  }
  return out;
}

function callFunc(name: string, args: GoValue[], data: TemplateData): GoValue {
  const n = (k: number) => {
    if (args.length !== k) throw new TemplateError(`wrong number of args for ${name}: want ${k} got ${args.length}`);
  };
  const s = (v: string): GoValue => ({ t: 'string', v });
  switch (name) {
    case 'humanize':
      n(1);
      return s(humanize(toFloat(args[0]!, name)));
    case 'humanize1024':
      n(1);
      return s(humanize1024(toFloat(args[0]!, name)));
    case 'humanizeDuration':
      n(1);
      return s(humanizeDuration(toFloat(args[0]!, name)));
    case 'humanizePercentage':
      n(1);
      return s(humanizePercentage(toFloat(args[0]!, name)));
    case 'humanizeTimestamp':
      n(1);
      return s(humanizeTimestamp(toFloat(args[0]!, name)));
    case 'printf':
      if (args.length < 1) throw new TemplateError('wrong number of args for printf: want at least 1 got 0');
      return s(sprintf(str(args[0]!, name), args.slice(1)));
    case 'print':
      return s(goSprint(args));
    case 'println':
      return s(`${args.map(goString).join(' ')}\n`);
    case 'len': {
      n(1);
      const a = args[0]!;
      if (a.t === 'string') return { t: 'int', v: Buffer.byteLength(a.v) };
      if (a.t === 'map') return { t: 'int', v: Object.keys(a.v).length };
      throw new TemplateError(`error calling len: len of type ${a.t}`);
    }
    case 'index': {
      if (args.length === 1) return args[0]!;
      const m = args[0]!;
      if (m.t !== 'map') throw new TemplateError(`error calling index: can't index item of type ${m.t}`);
      const k = str(args[1]!, name);
      return s(m.v[k] ?? '');
    }
    case 'eq': {
      if (args.length < 2) throw new TemplateError('error calling eq: missing argument for comparison');
      return { t: 'bool', v: args.slice(1).some((b) => cmpVals(name, args[0]!, b) === 0) };
    }
    case 'ne':
      n(2);
      return { t: 'bool', v: cmpVals(name, args[0]!, args[1]!) !== 0 };
    case 'lt':
      n(2);
      return { t: 'bool', v: cmpVals(name, args[0]!, args[1]!) < 0 };
    case 'le':
      n(2);
      return { t: 'bool', v: cmpVals(name, args[0]!, args[1]!) <= 0 };
    // Go's gt is !le and ge is !lt: with NaN both are true
    case 'gt':
      n(2);
      return { t: 'bool', v: !(cmpVals(name, args[0]!, args[1]!) <= 0) };
    case 'ge':
      n(2);
      return { t: 'bool', v: !(cmpVals(name, args[0]!, args[1]!) < 0) };
    case 'and': {
      for (const a of args) if (!truth(a)) return a;
      return args[args.length - 1] ?? { t: 'nil' };
    }
    case 'or': {
      for (const a of args) if (truth(a)) return a;
      return args[args.length - 1] ?? { t: 'nil' };
    }
    case 'not':
      n(1);
      return { t: 'bool', v: !truth(args[0]!) };
    case 'toUpper':
      n(1);
      return s(str(args[0]!, name).toUpperCase());
    case 'toLower':
      n(1);
      return s(str(args[0]!, name).toLowerCase());
    case 'title':
      n(1);
      return s(str(args[0]!, name).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase()));
    case 'match':
      n(2);
      return { t: 'bool', v: new RegExp(str(args[0]!, name), 'u').test(str(args[1]!, name)) };
    case 'reReplaceAll':
      n(3);
      return s(str(args[2]!, name).replace(new RegExp(str(args[0]!, name), 'gu'), goRepl(str(args[1]!, name))));
    case 'stripPort': {
      n(1);
      const h = splitHostPort(str(args[0]!, name));
      return s(h ? h.host : str(args[0]!, name));
    }
    case 'stripDomain': {
      n(1);
      const hp = str(args[0]!, name);
      const h = splitHostPort(hp);
      const host = h ? h.host : hp;
      if (isIP(host)) return s(hp);
      const short = host.split('.')[0]!;
      if (h && h.port !== '') return s(short.includes(':') ? `[${short}]:${h.port}` : `${short}:${h.port}`);
      return s(short);
    }
    case 'externalURL':
      n(0);
      return s(data.externalURL);
    case 'pathPrefix':
      n(0);
      try {
        return s(data.externalURL ? new URL(data.externalURL).pathname.replace(/\/$/, '') : '');
      } catch {
        return s('');
      }
  }
  throw new TemplateError(`function "${name}" not defined`);
}

function isIP(h: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || (h.includes(':') && /^[0-9a-fA-F:.]+$/.test(h));
}

function splitHostPort(hp: string): { host: string; port: string } | undefined {
  if (hp.startsWith('[')) {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(hp);
    return m ? { host: m[1]!, port: m[2]! } : undefined;
  }
  const i = hp.lastIndexOf(':');
  if (i < 0 || hp.indexOf(':') !== i) return undefined;
  return { host: hp.slice(0, i), port: hp.slice(i + 1) };
}

class Exec {
  private scopes: Map<string, GoValue>[];
  constructor(
    private data: TemplateData,
    private root: GoValue,
  ) {
    this.scopes = [
      new Map<string, GoValue>([
        ['$', root],
        ['$labels', { t: 'map', v: data.labels }],
        ['$externalLabels', { t: 'map', v: data.externalLabels }],
        ['$externalURL', { t: 'string', v: data.externalURL }],
        ['$value', { t: 'float64', v: data.value }],
      ]),
    ];
  }
  private lookup(name: string): GoValue {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    throw new TemplateError(`undefined variable: ${name}`);
  }
  private setVar(name: string, v: GoValue, assign: boolean): void {
    if (assign) {
      for (let i = this.scopes.length - 1; i >= 0; i--) {
        if (this.scopes[i]!.has(name)) {
          this.scopes[i]!.set(name, v);
          return;
        }
      }
    }
    this.scopes[this.scopes.length - 1]!.set(name, v);
  }
  private field(base: GoValue, f: string, dotIsRoot: boolean): GoValue {
    if (dotIsRoot) {
      switch (f) {
        case 'Labels':
          return { t: 'map', v: this.data.labels };
        case 'ExternalLabels':
          return { t: 'map', v: this.data.externalLabels };
        case 'ExternalURL':
          return { t: 'string', v: this.data.externalURL };
        case 'Value':
          return { t: 'float64', v: this.data.value };
      }
      throw new TemplateError(`can't evaluate field ${f} in type template.tmplData`);
    }
    if (base.t === 'map') return { t: 'string', v: base.v[f] ?? '' };
    if (base.t === 'nil') throw new TemplateError(`nil pointer evaluating interface {}.${f}`);
    throw new TemplateError(`can't evaluate field ${f} in type ${base.t}`);
  }
  private arg(a: Arg, dot: GoValue): GoValue {
    switch (a.k) {
      case 'lit':
        return a.v;
      case 'dot':
        return dot;
      case 'var': {
        let v = this.lookup(a.name);
        let isRoot = a.name === '$';
        for (const f of a.fields) {
          v = this.field(v, f, isRoot);
          isRoot = false;
        }
        return v;
      }
      case 'field': {
        let v = dot;
        let isRoot = dot === this.root;
        for (const f of a.fields) {
          v = this.field(v, f, isRoot);
          isRoot = false;
        }
        return v;
      }
      case 'pipe':
        return this.pipe(a.pipe, dot);
      case 'func':
        return callFunc(a.name, [], this.data);
    }
  }
  pipe(p: Pipe, dot: GoValue): GoValue {
    let prev: GoValue | undefined;
    for (const c of p.cmds) {
      const head = c.args[0]!;
      if (head.k === 'func') {
        const args = c.args.slice(1).map((a) => this.arg(a, dot));
        if (prev !== undefined) args.push(prev);
        try {
          prev = callFunc(head.name, args, this.data);
        } catch (e) {
          if (e instanceof TemplateError) throw new ExecError(c, e.message);
          throw e;
        }
      } else {
        if (c.args.length > 1 || prev !== undefined) throw new ExecError(c, `can't give argument to non-function ${describe(head)}`);
        try {
          prev = this.arg(head, dot);
        } catch (e) {
          if (e instanceof TemplateError) throw new ExecError(c, e.message);
          throw e;
        }
      }
    }
    if (p.decl) this.setVar(p.decl, prev!, p.assign === true);
    return prev!;
  }
  nodes(list: Node[], dot: GoValue, out: string[]): void {
    for (const n of list) {
      if (n.k === 'text') out.push(n.s);
      else if (n.k === 'action') {
        const v = this.pipe(n.pipe, dot);
        if (!n.pipe.decl) out.push(goString(v));
      } else {
        this.scopes.push(new Map());
        const v = this.pipe(n.pipe, dot);
        const t = truth(v);
        if (t) this.nodes(n.body, n.k === 'with' ? v : dot, out);
        else this.nodes(n.else, dot, out);
        this.scopes.pop();
      }
    }
  }
}

function describe(a: Arg): string {
  switch (a.k) {
    case 'var':
      return [a.name, ...a.fields].join('.');
    case 'field':
      return `.${a.fields.join('.')}`;
    case 'lit':
      return goString(a.v);
    default:
      return a.k;
  }
}

/** Expand a parsed template; throws TemplateError on an execution error. */
export function execTemplate(t: Parsed, data: TemplateData): string {
  const root: GoValue = { t: 'map', v: {} };
  const ex = new Exec(data, root);
  const out: string[] = [];
  ex.nodes(t.nodes, root, out);
  return out.join('');
}

/**
 * Expand as Prometheus's alerting rule does: on error the result is
 * `<error expanding template: …>` (and the caller logs it).
 */
/** Length of the variable definitions Prometheus puts before every rule template ($labels, …). */
const DEFS_LEN = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}'.length;

export function expandAlertTemplate(text: string, name: string, data: TemplateData): { text: string; error?: string } {
  const tn = `__alert_${name}`;
  try {
    return { text: execTemplate(parseTemplate(text), data) };
  } catch (e) {
    let msg: string;
    if (e instanceof ExecError) {
      const before = text.slice(0, e.cmd.pos);
      const line = 1 + (before.match(/\n/g)?.length ?? 0);
      const nl = before.lastIndexOf('\n');
      const col = nl < 0 ? DEFS_LEN + e.cmd.pos : e.cmd.pos - nl - 1;
      const why =
        /^error calling |^wrong number of args|^can't give argument/.test(e.reason) || !/^(can't evaluate|nil pointer)/.test(e.reason) ? e.reason : e.reason;
      msg = `error executing template ${tn}: template: ${tn}:${line}:${col}: executing "${tn}" at <${e.cmd.src}>: ${why}`;
    } else msg = `error executing template ${tn}: template: ${tn}: ${(e as Error).message}`;
    return { text: `<error expanding template: ${msg}>`, error: msg };
  }
}

/** Load-time check, phrased as promtool's ("template: __alert_X:1: unclosed action"). */
export function checkTemplate(text: string, name: string): string | undefined {
  try {
    parseTemplate(text);
    return undefined;
  } catch (e) {
    return `template: __alert_${name}:1: ${(e as Error).message}`;
  }
}
