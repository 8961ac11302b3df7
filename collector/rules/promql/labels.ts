import type { Matcher } from './ast.js';

/** A label set: a frozen record name → value (no empty values). `__name__` is the metric name. */
export type Labels = Readonly<Record<string, string>>;

export const METRIC_NAME = '__name__';
export const EMPTY_LABELS: Labels = Object.freeze({});

/**
 * Derived data of a label set, computed once and kept with it: label sets built by `makeLabels` (the
 * window's series, the memory store's) carry it in a non-enumerable slot, so the evaluator's per-series
 * keys are a property read, not a WeakMap lookup (WeakMaps with millions of entries also make every
 * GC slower). Other frozen label sets fall back to WeakMaps.
 */
export interface LabelsMeta {
  /** labelsKey */
  key: string | undefined;
  /** label names in byte order */
  names: string[] | undefined;
  /** labelsKey of the set without `__name__` */
  dropKey: string | undefined;
  /** one cached grouping key (by/without) and the id of the grouping it is for */
  groupId: string | undefined;
  group: string;
  /** one cached matching signature (on/ignoring) and the id of the matching it is for */
  sigId: string | undefined;
  sig: string;
}

const META: unique symbol = Symbol('labels meta');
type WithMeta = Labels & { [META]?: LabelsMeta };

const keyCache = new WeakMap<Labels, string>();
const namesCache = new WeakMap<Labels, string[]>();

/** The meta slot of a label set built by makeLabels (undefined for others). */
export function labelsMeta(l: Labels): LabelsMeta | undefined {
  return (l as WithMeta)[META];
}

/** Label names in byte order (as Prometheus sorts them). */
export function labelNames(l: Labels): string[] {
  const meta = (l as WithMeta)[META];
  if (meta !== undefined) {
    if (meta.names === undefined) meta.names = Object.keys(l).sort(cmpStr);
    return meta.names;
  }
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

function computeKey(l: Labels, names: string[], skipName: boolean): string {
  let k = '';
  for (const n of names) if (!skipName || n !== METRIC_NAME) k += `${n}\x00${l[n]}\x01`;
  return k;
}

/**
 * A stable string identifying the label set: `name\x00value\x01…` in name order, cached with the
 * (frozen) object. Its string order is labels.Compare's order (for values without \x00/\x01).
 */
export function labelsKey(l: Labels): string {
  const meta = (l as WithMeta)[META];
  if (meta !== undefined) {
    if (meta.key === undefined) meta.key = computeKey(l, labelNames(l), false);
    return meta.key;
  }
  let k = keyCache.get(l);
  if (k === undefined) {
    k = computeKey(l, labelNames(l), false);
    keyCache.set(l, k);
  }
  return k;
}

/** labelsKey(dropMetricName(l)) without building the dropped set. */
export function droppedKey(l: Labels): string {
  if (!(METRIC_NAME in l)) return labelsKey(l);
  const meta = (l as WithMeta)[META];
  if (meta !== undefined) {
    if (meta.dropKey === undefined) meta.dropKey = computeKey(l, labelNames(l), true);
    return meta.dropKey;
  }
  return labelsKey(dropMetricName(l));
}

/**
 * Interned strings: label names and values of makeLabels' sets, and the evaluator's cached grouping
 * keys and signatures (a million series share a few thousand of each). Bounded: cleared when full
 * (interning only saves memory, it never changes a result).
 */
const interned = new Map<string, string>();
export function intern(s: string): string {
  const x = interned.get(s);
  if (x !== undefined) return x;
  if (interned.size >= 1_000_000) interned.clear();
  interned.set(s, s);
  return s;
}

/**
 * Build a frozen label set, dropping empty values (Prometheus treats an empty label as absent). Names
 * are inserted in byte order (one object shape per name list); the set carries its meta slot. `key`
 * may pass its labelsKey when the caller already computed it.
 */
export function makeLabels(rec: Readonly<Record<string, string>>, key?: string): Labels {
  const names = Object.keys(rec);
  let sorted = true;
  for (let i = 1; i < names.length; i++) if (names[i - 1]! > names[i]!) sorted = false;
  if (!sorted) names.sort(cmpStr);
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = rec[n]!;
    if (v !== '') out[intern(n)] = intern(v);
  }
  // names are computed when first needed (most window series never need them)
  const meta: LabelsMeta = { key, names: undefined, dropKey: undefined, groupId: undefined, group: '', sigId: undefined, sig: '' };
  Object.defineProperty(out, META, { value: meta, enumerable: false });
  return Object.freeze(out);
}

/** labels.Compare of Prometheus: pairwise by name, then value, in sorted order; shorter first. */
export function compareLabels(a: Labels, b: Labels): number {
  const x = labelsKey(a);
  const y = labelsKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const dropCache = new WeakMap<Labels, Labels>();

/**
 * The label set without `__name__`. Cached on label sets without a meta slot (results of the
 * evaluator); built anew for makeLabels' sets (the window's series), so a million series do not keep a
 * second label set each.
 */
export function dropMetricName(l: Labels): Labels {
  if (!(METRIC_NAME in l)) return l;
  const meta = (l as WithMeta)[META];
  if (meta !== undefined) {
    const out: Record<string, string> = {};
    for (const n of labelNames(l)) if (n !== METRIC_NAME) out[n] = l[n]!;
    return makeLabels(out, meta.dropKey);
  }
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
