import type { Matcher } from './ast.js';

/** A label set: a frozen record name → value (no empty values). `__name__` is the metric name. */
export type Labels = Readonly<Record<string, string>>;

export const METRIC_NAME = '__name__';
export const EMPTY_LABELS: Labels = Object.freeze({});

const keyCache = new WeakMap<Labels, string>();
const namesCache = new WeakMap<Labels, string[]>();

/** Label names in byte order (as Prometheus sorts them). */
export function labelNames(l: Labels): string[] {
  let n = namesCache.get(l);
  if (!n) {
    n = Object.keys(l).sort(cmpStr);
    namesCache.set(l, n);
  }
  return n;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A stable string identifying the label set: `name\x00value\x01…` in name order, cached on the
 * (frozen) object. Its string order is labels.Compare's order (for values without \x00/\x01).
 */
export function labelsKey(l: Labels): string {
  let k = keyCache.get(l);
  if (k === undefined) {
    k = '';
    for (const n of labelNames(l)) k += `${n}\x00${l[n]}\x01`;
    keyCache.set(l, k);
  }
  return k;
}

/** Build a frozen label set, dropping empty values (Prometheus treats an empty label as absent). */
export function makeLabels(rec: Record<string, string>): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec)) if (v !== '') out[k] = v;
  return Object.freeze(out);
}

/** labels.Compare of Prometheus: pairwise by name, then value, in sorted order; shorter first. */
export function compareLabels(a: Labels, b: Labels): number {
  const x = labelsKey(a);
  const y = labelsKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const dropCache = new WeakMap<Labels, Labels>();

/** The label set without `__name__` (cached on the object, so keys derived from it are cached too). */
export function dropMetricName(l: Labels): Labels {
  if (!(METRIC_NAME in l)) return l;
  let d = dropCache.get(l);
  if (!d) {
    const out: Record<string, string> = { ...l };
    delete out[METRIC_NAME];
    d = Object.freeze(out);
    dropCache.set(l, d);
  }
  return d;
}

/** Does `value` (an absent label is "") satisfy the matcher? */
export function matches(m: Matcher, value: string | undefined): boolean {
  const v = value ?? '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.re!.test(v);
    case '!~':
      return !m.re!.test(v);
  }
}

export function matchesAll(ms: readonly Matcher[], l: Labels): boolean {
  for (const m of ms) if (!matches(m, l[m.name])) return false;
  return true;
}

/** Go's strconv.Quote for the ASCII-printable / UTF-8 cases label values hold. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** labels.Labels.String(): `{a="1", b="2"}`. */
export function labelsString(l: Labels): string {
  return `{${labelNames(l)
    .map((n) => `${n}=${goQuote(l[n]!)}`)
    .join(', ')}}`;
}

/** strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const e = Math.abs(v).toExponential(); // shortest digits, d.ddde±x
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
  const digits = m[1]! + (m[2] ?? '');
  const exp = Number(m[3]);
  let s: string;
  if (exp >= digits.length - 1) s = digits + '0'.repeat(exp - digits.length + 1);
  else if (exp >= 0) s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  else s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  return neg ? `-${s}` : s;
}

/** strconv.FormatFloat(v, 'e', -1, 64): shortest digits, `d.ddde±XX` (at least two exponent digits). */
export function formatGoFloatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const m = /^(\d)(?:\.(\d+))?e([+-])(\d+)$/.exec(Math.abs(v).toExponential())!;
  const s = `${m[1]}${m[2] ? `.${m[2]}` : ''}e${m[3]}${m[4]!.padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}

/** Go's %v of a float64 (strconv 'g', shortest): exponent form below 1e-4 and from 1e21 on. */
export function formatGoFloatG(v: number): string {
  if (!Number.isFinite(v)) return formatGoFloat(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e21) ? formatGoFloatE(v) : formatGoFloat(v);
}

/**
 * A sample value as Prometheus's HTTP API writes it in vectors and matrices (jsonutil.MarshalValue):
 * 'f' format, but 'e' below 1e-6 and from 1e21 on. (Scalars are always 'f': formatGoFloat.)
 */
export function formatPromValue(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-6 || a >= 1e21) ? formatGoFloatE(v) : formatGoFloat(v);
}

const GO_FLOAT_RE = /^[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d*(?:_\d+)*(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*[pP][+-]?\d+)$/;

/** strconv.ParseFloat(s, 64) for the forms that occur in label values (`le`); NaN on error → undefined. */
export function parseGoFloat(s: string): number | undefined {
  const t = s.toLowerCase();
  const body = t.startsWith('+') || t.startsWith('-') ? t.slice(1) : t;
  const sign = t.startsWith('-') ? -1 : 1;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return Number.NaN;
  if (!GO_FLOAT_RE.test(s) || !/\d/.test(body)) return undefined;
  if (body.startsWith('0x')) {
    const m = /^0x([0-9a-f_]*)\.?([0-9a-f_]*)p([+-]?\d+)$/.exec(body.replaceAll('_', ''));
    if (!m) return undefined;
    const int = m[1] ?? '';
    const frac = m[2] ?? '';
    const mant = Number.parseInt(int + frac || '0', 16);
    return sign * mant * 2 ** (Number(m[3]) - 4 * frac.length);
  }
  if (body.includes('_')) return undefined; // underscores are only allowed with a base prefix
  const n = Number(body);
  return Number.isNaN(n) ? undefined : sign * n;
}
