/**
 * A pure PromQL evaluator following Prometheus 2.42's engine (promql/engine.go, functions.go,
 * quantile.go): 5 m lookback, closed windows [t - range, t], staleness markers, extrapolatedRate,
 * metric-name dropping, Prometheus's series order (so float sums round as Prometheus rounds them)
 * and its errors. No I/O: samples come from a `Queryable`.
 */
import type { Aggregate, Binary, Call, Expr, Matcher, MatrixSelector, VectorMatching, VectorSelector } from './ast.js';
import {
  compareLabels,
  droppedKey,
  dropMetricName,
  EMPTY_LABELS,
  formatGoFloat,
  formatGoFloatG,
  type Labels,
  labelNames,
  labelsKey,
  labelsMeta,
  labelsString,
  intern,
  makeLabels,
  METRIC_NAME,
  parseGoFloat,
} from './labels.js';
import { isValidLabelName, PromQLError } from './parse.js';
import { compileGoRegex, expandTemplate } from './regex.js';
import { lowerBound, upperBound } from './bounds.js';
import { exprKey, sharedUses } from './shared.js';
import { ancestor, deriveSelection, IdTable, type PositionGroups, positionCache, Scratch, sigEpoch, sigId, sigOf } from './ids.js';

/** The columns of the query being evaluated (reset as each evaluation starts: results leave as samples). */
const scratch = new Scratch();
/** The columns of results a SharedResults keeps: one batch at a time owns them (see begin). */
const kept = new Scratch();
let keptOwner: SharedResults | undefined;

export type { Labels } from './labels.js';

/**
 * One series as a Queryable returns it: timestamps (ms) ascending, values parallel. The samples are
 * `t[start..end)` (default: the whole arrays), so a store can hand out its own buffers without views.
 */
export interface SeriesData {
  readonly labels: Labels;
  readonly t: ArrayLike<number>;
  /** Keep stale markers in a Float64Array: plain JS arrays quieten the NaN payload (it is still recognised, see isStaleNaN). */
  readonly v: ArrayLike<number>;
  readonly start?: number;
  readonly end?: number;
}

/**
 * Where samples come from. `select` returns every series matching all matchers that may have samples
 * in [minT, maxT] (ms, inclusive); samples outside the window may be included (the evaluator cuts).
 * Each label set at most once. `selectSorted`, if present, returns the same series already in
 * labels order (Prometheus's), so a store that keeps its selections sorted spares the evaluator a sort.
 */
export interface Queryable {
  select(matchers: readonly Matcher[], minT: number, maxT: number): Iterable<SeriesData>;
  selectSorted?(matchers: readonly Matcher[], minT: number, maxT: number): readonly SeriesData[];
  /** Changes whenever a selection could answer differently (samples or series added or removed); lets `SharedResults` keep results. */
  version?(): number;
}

export interface Sample {
  labels: Labels;
  value: number;
}

export type InstantResult = { type: 'vector'; samples: Sample[] } | { type: 'scalar'; value: number } | { type: 'string'; value: string };

export interface RangeSeries {
  labels: Labels;
  /** Step timestamps (ms) where the series has a value. */
  t: number[];
  v: number[];
}

export type RangeResult = { type: 'matrix'; series: RangeSeries[] } | { type: 'string'; value: string };

export interface EvalOptions {
  /** Lookback delta for instant selectors, ms (Prometheus's --query.lookback-delta). Default 300000. */
  lookbackMs?: number;
  /** Results of sub-expressions shared with the other queries of a batch (instant queries only). */
  shared?: SharedResults;
}

/** Prometheus's stale marker: NaN with bit pattern 0x7ff0000000000002. */
export const STALE_NAN: number = (() => {
  const b = new ArrayBuffer(8);
  const u = new Uint32Array(b);
  u[0] = 2;
  u[1] = 0x7ff00000;
  return new Float64Array(b)[0]!;
})();

const scratchF = new Float64Array(1);
const scratchU = new Uint32Array(scratchF.buffer);

/**
 * Is `v` a stale marker? Also accepts 0x7ff8000000000002, the marker after V8 quietened it (storing a
 * NaN in a plain JS array sets the quiet bit and keeps the payload); Prometheus's own NaN is …0001.
 */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  scratchF[0] = v;
  return scratchU[0] === 2 && (scratchU[1] === 0x7ff00000 || scratchU[1] === 0x7ff80000);
}

type Selected = SeriesData;

/**
 * Internal per-step vector sample. `dn` (drop name pending): the sample's labels are `labels` without
 * `__name__`; the set without it is built only where labels are needed (outputs, label functions), so
 * `rate(x[5m]) > 1` over a million series builds no label set.
 */
interface VSample {
  labels: Labels;
  value: number;
  dn: boolean;
}

/** The labels of a sample (with a pending name drop applied). */
function lab(s: VSample): Labels {
  return s.dn ? dropMetricName(s.labels) : s.labels;
}

/** labelsKey of a sample's labels. */
function sampleKey(s: VSample): string {
  return s.dn ? droppedKey(s.labels) : labelsKey(s.labels);
}

/**
 * An instant vector. `unique`: its label sets are known to be distinct (a selector's series, an
 * aggregation's groups), so the duplicate check is skipped; `oneName`: all samples have the same
 * `__name__` or none, so dropping it keeps them distinct.
 */
interface Vec {
  readonly type: 'vector';
  readonly samples: VSample[];
  readonly unique: boolean;
  readonly oneName: boolean;
  /**
   * Set for a vector of a selection's series (a `BasedVec`): sample i is the series `base[pos[i]]`
   * with the value `vals[i]` and the name drop `bdn`. What is derived from its labels is read from the
   * selection's position caches, and `samples` is built only if something asks for it.
   */
  readonly base: readonly SeriesData[] | undefined;
  readonly pos: Int32Array | undefined;
  readonly vals: Float64Array | undefined;
  readonly bdn: boolean;
}

function vec(samples: VSample[], unique = false, oneName = false): Vec {
  return { type: 'vector', samples, unique, oneName, base: undefined, pos: undefined, vals: undefined, bdn: false };
}

/** A vector of a selection's series, as columns (see Vec). */
class BasedVec implements Vec {
  readonly type = 'vector';
  private built: VSample[] | undefined;
  readonly pos: Int32Array;
  readonly vals: Float64Array;
  constructor(
    readonly base: readonly SeriesData[],
    pos: Int32Array,
    vals: Float64Array,
    n: number,
    readonly bdn: boolean,
    readonly unique: boolean,
    readonly oneName: boolean,
  ) {
    this.pos = n === pos.length ? pos : pos.subarray(0, n);
    this.vals = n === vals.length ? vals : vals.subarray(0, n);
  }
  get samples(): VSample[] {
    if (this.built === undefined) {
      const out: VSample[] = new Array(this.pos.length);
      for (let i = 0; i < out.length; i++) out[i] = { labels: this.base[this.pos[i]!]!.labels, value: this.vals[i]!, dn: this.bdn };
      this.built = out;
    }
    return this.built;
  }
}

/** The number of samples of a vector (without building a BasedVec's samples). */
function vlen(v: Vec): number {
  return v.pos !== undefined ? v.pos.length : v.samples.length;
}

/** Sample i of a vector (built alone for a BasedVec). */
function sampleAt(v: Vec, i: number): VSample {
  return v.base !== undefined ? { labels: v.base[v.pos![i]!]!.labels, value: v.vals![i]!, dn: v.bdn } : v.samples[i]!;
}

/** The vector after dropping every sample's name: still unique if it was and all had one name. */
function vecDropped(samples: VSample[], from: Vec): Vec {
  return vec(samples, from.unique && from.oneName, true);
}

type Value =
  | Vec
  | { type: 'scalar'; value: number }
  | { type: 'string'; value: string }
  | { type: 'matrix'; series: { labels: Labels; t: number[]; v: number[] }[] };

interface Ctx {
  q: Queryable;
  lookback: number;
  start: number;
  end: number;
  /** Range evaluations: identity of output series per node, to refuse labelset clashes across steps as Prometheus does. */
  track?: Map<Expr, Map<string, string>>;
  sel: Map<VectorSelector, Selected[]>;
  memo?: SharedResults;
}

function refTime(ctx: Ctx, vs: VectorSelector, ts: number): number {
  const base = vs.at ? (vs.at.kind === 'time' ? vs.at.ms : vs.at.kind === 'start' ? ctx.start : ctx.end) : ts;
  return base - vs.offsetMs;
}

/** The selector's series for this evaluation (selected once for all steps), in Prometheus's order. */
function select(ctx: Ctx, vs: VectorSelector, rangeMs: number): Selected[] {
  let s = ctx.sel.get(vs);
  if (s) return s;
  const lo = refTime(ctx, vs, ctx.start) - Math.max(rangeMs, ctx.lookback);
  const hi = refTime(ctx, vs, ctx.end);
  if (ctx.q.selectSorted) s = ctx.q.selectSorted(vs.matchers, lo, hi) as Selected[];
  else {
    s = [];
    for (const d of ctx.q.select(vs.matchers, lo, hi)) s.push(d);
    s.sort((a, b) => compareLabels(a.labels, b.labels));
  }
  ctx.sel.set(vs, s);
  return s;
}

/** Does the selector pin the metric name (`__name__="x"`)? Then its series differ in other labels. */
function pinsName(vs: VectorSelector): boolean {
  for (const m of vs.matchers) if (m.name === METRIC_NAME && m.type === '=') return true;
  return false;
}

function instantSelect(ctx: Ctx, vs: VectorSelector, ts: number, forTimestamp = false): Vec {
  const series = select(ctx, vs, 0);
  let ref = refTime(ctx, vs, ts);
  let lo = ref - ctx.lookback;
  if (forTimestamp && vs.at) {
    // timestamp(x @ t offset d) in 2.42: storage trims the series to the selector's window
    // [t - d - lookback, t - d], then the lookup runs at t (the offset replaced by the @ shift), so
    // the sample is the latest ≤ min(t, t - d) and must be ≥ max(t - lookback, t - d - lookback).
    const at = ref + vs.offsetMs;
    lo = Math.max(at - ctx.lookback, ref - ctx.lookback);
    ref = Math.min(at, ref);
  }
  const pos = scratch.i32(series.length);
  const vals = scratch.f64(series.length);
  let n = 0;
  for (let p = 0; p < series.length; p++) {
    const s = series[p]!;
    const t0 = s.t;
    const i = upperBound(t0, ref, s.start ?? 0, s.end ?? t0.length) - 1;
    if (i < (s.start ?? 0)) continue;
    const t = t0[i]!;
    if (t < lo) continue;
    const v = s.v[i]!;
    if (isStaleNaN(v)) continue;
    pos[n] = p;
    // for timestamp(): the sample's own time, in seconds, with the name dropped
    vals[n++] = forTimestamp ? t / 1000 : v;
  }
  const pinned = pinsName(vs);
  return forTimestamp ? new BasedVec(series, pos, vals, n, true, pinned, true) : new BasedVec(series, pos, vals, n, false, true, pinned);
}

/**
 * The samples of a series in a range: `t[lo..hi)`, `v[lo..hi)`. One scratch object per evaluation is
 * reused (no allocation per series); a range holding stale markers is copied without them.
 */
interface Points {
  t: ArrayLike<number>;
  v: ArrayLike<number>;
  lo: number;
  hi: number;
}

const scratchPoints: Points = { t: [], v: [], lo: 0, hi: 0 };

function rangePoints(s: Selected, mint: number, maxt: number): Points {
  const p = scratchPoints;
  const st = s.t;
  const sv = s.v;
  const b = s.start ?? 0;
  const e = s.end ?? st.length;
  const lo = lowerBound(st, mint, b, e);
  const hi = upperBound(st, maxt, lo, e);
  p.t = st;
  p.v = sv;
  p.lo = lo;
  p.hi = lo < hi ? hi : lo;
  for (let i = lo; i < hi; i++) {
    const x = sv[i]!;
    if (isStaleNaN(x)) return withoutStale(s, lo, hi);
  }
  return p;
}

function withoutStale(s: Selected, lo: number, hi: number): Points {
  const t: number[] = [];
  const v: number[] = [];
  for (let i = lo; i < hi; i++) {
    if (isStaleNaN(s.v[i]!)) continue;
    t.push(s.t[i]!);
    v.push(s.v[i]!);
  }
  const p = scratchPoints;
  p.t = t;
  p.v = v;
  p.lo = 0;
  p.hi = t.length;
  return p;
}

function pointsT(p: Points): number[] {
  return Array.prototype.slice.call(p.t, p.lo, p.hi) as number[];
}

function pointsV(p: Points): number[] {
  return Array.prototype.slice.call(p.v, p.lo, p.hi) as number[];
}

function unwrapParens(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}

function err(msg: string): never {
  throw new PromQLError(msg);
}

function checkNoDuplicates(v: VSample[]): void {
  if (v.length < 2) return;
  const seen = new Set<string>();
  for (const s of v) {
    const k = sampleKey(s);
    if (seen.has(k)) err('vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
}

/** The duplicate check, unless the vector is known to hold distinct label sets. */
function checkVec(v: Vec): Vec {
  if (!v.unique) checkNoDuplicates(v.samples);
  return v;
}

/**
 * Range queries: Prometheus checks a whole output matrix, so two input series that map to one output
 * labelset clash even at different steps. `s` is the output sample (name drop pending), `inLabels` its input.
 */
function track(ctx: Ctx, node: Expr, s: VSample, inLabels: Labels): void {
  if (!ctx.track) return;
  let m = ctx.track.get(node);
  if (!m) {
    m = new Map();
    ctx.track.set(node, m);
  }
  const k = sampleKey(s);
  const inKey = labelsKey(inLabels);
  const prev = m.get(k);
  if (prev === undefined) m.set(k, inKey);
  else if (prev !== inKey) err('vector cannot contain metrics with the same labelset');
}

function evalScalar(ctx: Ctx, e: Expr, ts: number): number {
  const v = evalNode(ctx, e, ts);
  if (v.type !== 'scalar') throw new PromQLError(`expected a scalar, got ${v.type}`, e.pos.start);
  return v.value;
}

function evalVec(ctx: Ctx, e: Expr, ts: number): Vec {
  const v = evalNode(ctx, e, ts);
  if (v.type !== 'vector') throw new PromQLError(`expected an instant vector, got ${v.type}`, e.pos.start);
  return v;
}

function evalVector(ctx: Ctx, e: Expr, ts: number): VSample[] {
  return evalVec(ctx, e, ts).samples;
}

function evalString(e: Expr): string {
  const x = unwrapParens(e);
  if (x.kind !== 'string') throw new PromQLError('expected a string literal', e.pos.start);
  return x.value;
}

function evalNode(ctx: Ctx, e: Expr, ts: number): Value {
  const m = ctx.memo;
  if (m === undefined || e.kind === 'number' || e.kind === 'string' || e.kind === 'paren') return evalNode0(ctx, e, ts);
  const k = exprKey(e);
  const left = m.uses.get(k);
  if (left === undefined) return evalNode0(ctx, e, ts);
  const hit = m.values.get(k);
  if (left <= 1) {
    m.uses.delete(k);
    m.values.delete(k);
  } else m.uses.set(k, left - 1);
  if (hit !== undefined) return hit;
  const v = evalNode0(ctx, e, ts);
  if (left > 1) m.values.set(k, m.keep(v));
  return v;
}

function evalNode0(ctx: Ctx, e: Expr, ts: number): Value {
  switch (e.kind) {
    case 'number':
      return { type: 'scalar', value: e.value };
    case 'string':
      return { type: 'string', value: e.value };
    case 'paren':
      return evalNode(ctx, e.expr, ts);
    case 'vector':
      return instantSelect(ctx, e, ts);
    case 'matrix': {
      const series = select(ctx, e.selector, e.rangeMs);
      const maxt = refTime(ctx, e.selector, ts);
      const out: { labels: Labels; t: number[]; v: number[] }[] = [];
      for (const s of series) {
        const p = rangePoints(s, maxt - e.rangeMs, maxt);
        if (p.hi > p.lo) out.push({ labels: s.labels, t: pointsT(p), v: pointsV(p) });
      }
      return { type: 'matrix', series: out };
    }
    case 'unary': {
      const v = evalNode(ctx, e.expr, ts);
      if (e.op === '+') return v;
      if (v.type === 'scalar') return { type: 'scalar', value: -v.value };
      if (v.type !== 'vector') return err('unary minus on a non-numeric value');
      if (v.base !== undefined && ctx.track === undefined) {
        const vals = scratch.f64(vlen(v));
        for (let i = 0; i < vals.length; i++) vals[i] = -v.vals![i]!;
        return checkVec(new BasedVec(v.base, v.pos!, vals, vals.length, true, v.unique && v.oneName, true));
      }
      const out: VSample[] = [];
      for (const s of v.samples) {
        const o = { labels: s.labels, value: -s.value, dn: true };
        track(ctx, e, o, lab(s));
        out.push(o);
      }
      return checkVec(vecDropped(out, v));
    }
    case 'binary':
      return evalBinary(ctx, e, ts);
    case 'aggregate':
      return evalAggregate(ctx, e, ts);
    case 'call':
      return evalCall(ctx, e, ts);
  }
}

// ---------------------------------------------------------------------------------------------
// Binary operators

/** Go's math.Pow (1.19, pure-Go path): repeated squaring on the frexp mantissa for the integer part. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  if (x === 0) {
    if (y < 0) return isOddInt(y) ? (Object.is(x, -0) ? -Infinity : Infinity) : Infinity;
    if (y > 0) return isOddInt(y) ? x : 0;
  }
  if (!Number.isFinite(y)) {
    if (x === -1) return 1;
    if (Math.abs(x) < 1 === (y === Infinity)) return 0;
    return Infinity;
  }
  if (!Number.isFinite(x)) {
    if (x === -Infinity) return goPow(1 / x, -y);
    if (y < 0) return 0;
    if (y > 0) return Infinity;
  }
  if (y === 0.5) return Math.sqrt(x);
  if (y === -0.5) return 1 / Math.sqrt(x);
  const ay = Math.abs(y);
  let yi = Math.trunc(ay);
  let yf = ay - yi;
  if (yf !== 0 && x < 0) return Number.NaN;
  if (yi >= 2 ** 63) {
    if (x === -1) return 1;
    if (Math.abs(x) < 1 === y > 0) return 0;
    return Infinity;
  }
  let a1 = 1.0;
  let ae = 0;
  if (yf !== 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = Math.exp(yf * Math.log(x));
  }
  let [x1, xe] = frexp(x);
  for (let i = BigInt(yi); i !== 0n; i >>= 1n) {
    if (xe < -(1 << 12) || 1 << 12 < xe) {
      ae += xe;
      break;
    }
    if ((i & 1n) === 1n) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe <<= 1;
    if (x1 < 0.5) {
      x1 += x1;
      xe--;
    }
  }
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  return ldexp(a1, ae);
}

function isOddInt(x: number): boolean {
  if (!Number.isFinite(x)) return false;
  const xi = Math.trunc(x);
  if (xi !== x) return false;
  if (Math.abs(xi) >= 2 ** 63) return false;
  return BigInt(xi) % 2n !== 0n;
}

const fbuf = new Float64Array(1);
const ubuf = new Uint32Array(fbuf.buffer);

/** math.Frexp: x = frac × 2^exp, 0.5 <= |frac| < 1. */
function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x) || Number.isNaN(x)) return [x, 0];
  let e = 0;
  let f = x;
  if (Math.abs(f) < 2.2250738585072014e-308) {
    f *= 2 ** 52;
    e = -52;
  }
  fbuf[0] = f;
  const hi = ubuf[1]!;
  e += ((hi >>> 20) & 0x7ff) - 1022;
  ubuf[1] = (hi & ~(0x7ff << 20)) | (1022 << 20);
  return [fbuf[0]!, e];
}

/** math.Ldexp: frac × 2^exp with correct subnormal rounding. */
function ldexp(frac: number, exp: number): number {
  if (frac === 0 || !Number.isFinite(frac) || Number.isNaN(frac)) return frac;
  const [f, e0] = frexp(frac);
  let e = exp + e0;
  fbuf[0] = f;
  const hi = ubuf[1]!;
  e += ((hi >>> 20) & 0x7ff) - 1023;
  if (e < -1075) return f < 0 ? -0 : 0;
  if (e > 1023) return f < 0 ? -Infinity : Infinity;
  let m = 1;
  if (e < -1022) {
    e += 53;
    m = 2 ** -53;
  }
  ubuf[1] = (hi & ~(0x7ff << 20)) | ((e + 1023) << 20);
  return fbuf[0]! * m;
}

function arith(op: string, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
  }
  return Number.NaN;
}

function compare(op: string, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
  }
  return false;
}

const isComparison = (op: string) => op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
const dropsName = (op: string) => op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^';

interface SigInfo {
  /** the clause's label names, sorted */
  names: string[];
  /** the clause as a string: equal clauses of different rules share a series' cached signature */
  id: string;
  on: boolean;
  /** `on(__name__, …)`: a pending name drop changes the signature */
  hasName: boolean;
  cache: WeakMap<Labels, string>;
  /** one-to-one result label sets by signature, shared by equal clauses (see oneToOneMetric) */
  results: OneToOneResults;
}

interface OneToOneResults {
  /** by signature: results whose labels the signature determines (name dropped, or on/ignoring lists it) */
  bySig: [Map<string, Labels>, Map<string, Labels>];
  /** ignoring without the name, name kept: by name and signature */
  named: Map<string, Labels>;
}

const resultsById = new Map<string, OneToOneResults>();
/** Cached result label sets per clause before a map is cleared (only memory, never a result, depends on it). */
const MAX_RESULTS = 1_000_000;

const sigInfos = new WeakMap<VectorMatching, SigInfo>();

function sigInfo(m: VectorMatching): SigInfo {
  let c = sigInfos.get(m);
  if (!c) {
    const names = [...m.labels].sort();
    const id = `${m.on ? 'on' : 'ignoring'}(${names.join(',')})`;
    let results = resultsById.get(id);
    if (!results) {
      results = { bySig: [new Map(), new Map()], named: new Map() };
      resultsById.set(id, results);
    }
    c = { names, id, on: m.on, hasName: names.includes(METRIC_NAME), cache: new WeakMap(), results };
    sigInfos.set(m, c);
  }
  return c;
}

function computeSignature(c: SigInfo, l: Labels, skipName: boolean): string {
  let k = '';
  if (c.on) {
    for (const n of c.names) {
      if (skipName && n === METRIC_NAME) continue;
      const v = l[n];
      if (v !== undefined) k += `${n}\x00${v}\x01`;
    }
  } else {
    for (const n of labelNames(l)) {
      if (n === METRIC_NAME || c.names.includes(n)) continue;
      k += `${n}\x00${l[n]}\x01`;
    }
  }
  return k;
}

/** The matching signature of a sample (cached with its label set: one clause per set, or a WeakMap). */
function signature(c: SigInfo, s: VSample): string {
  const l = s.labels;
  if (s.dn && c.hasName) return computeSignature(c, l, true);
  const meta = labelsMeta(l);
  if (meta !== undefined) {
    if (meta.sigId !== c.id) {
      meta.sig = intern(computeSignature(c, l, false));
      meta.sigId = c.id;
    }
    return meta.sig;
  }
  let k = c.cache.get(l);
  if (k === undefined) {
    k = computeSignature(c, l, false);
    c.cache.set(l, k);
  }
  return k;
}

function matchedLabels(m: VectorMatching, l: Labels): Labels {
  const out: Record<string, string> = {};
  for (const n of labelNames(l)) {
    const listed = m.labels.includes(n);
    if (m.on ? listed : !listed && n !== METRIC_NAME) out[n] = l[n]!;
  }
  return out;
}

function evalBinary(ctx: Ctx, e: Binary, ts: number): Value {
  const lv = evalNode(ctx, e.lhs, ts);
  const rv = evalNode(ctx, e.rhs, ts);
  if (lv.type === 'scalar' && rv.type === 'scalar') {
    const value = isComparison(e.op) ? (compare(e.op, lv.value, rv.value) ? 1 : 0) : arith(e.op, lv.value, rv.value);
    return { type: 'scalar', value };
  }
  if (lv.type === 'vector' && rv.type === 'vector') {
    const m = e.matching!;
    if (e.op === 'and' || e.op === 'or' || e.op === 'unless') return checkVec(setOp(e.op, lv, rv, m));
    return checkVec(vectorBinop(e, lv, rv, m));
  }
  if (lv.type === 'vector' && rv.type === 'scalar') return checkVec(vectorScalar(e, lv, rv.value, false));
  if (lv.type === 'scalar' && rv.type === 'vector') return checkVec(vectorScalar(e, rv, lv.value, true));
  return err(`binary operator ${e.op} between ${lv.type} and ${rv.type}`);
}

/** The signature ids of a vector's samples: by position from its selection's cache, or computed. */
function sigIds(c: SigInfo, v: Vec): Int32Array {
  const out = scratch.i32(vlen(v));
  if (v.base !== undefined) {
    const byPos = baseSigIds(c, v.base, v.bdn);
    const pos = v.pos!;
    for (let i = 0; i < out.length; i++) out[i] = byPos[pos[i]!]!;
  } else {
    const ss = v.samples;
    for (let i = 0; i < out.length; i++) out[i] = sigId(signature(c, ss[i]!));
  }
  return out;
}

function baseSigIds(c: SigInfo, base: readonly SeriesData[], dn: boolean): Int32Array {
  const pc = positionCache(base);
  const k = dn && c.hasName ? `${c.id}\x00dn` : c.id;
  let a = pc.sig.get(k);
  if (a === undefined) {
    // computed, not read from (or written to) each label set's cache: the ids are the cache now;
    // carried over from the selection this one was derived from where it had them
    a = new Int32Array(base.length);
    const skipName = dn && c.hasName;
    const anc = ancestor(base);
    const old = anc?.cache.sig.get(k);
    for (let p = 0; p < base.length; p++) {
      const q = old !== undefined ? anc!.from[p]! : -1;
      a[p] = q >= 0 ? old![q]! : sigId(computeSignature(c, base[p]!.labels, skipName));
    }
    pc.sig.set(k, a);
  }
  return a;
}

/** Both sides' signature ids, from one epoch of the id table. */
function sigIdPair(c: SigInfo, lv: Vec, rv: Vec): [Int32Array, Int32Array] {
  for (;;) {
    const e0 = sigEpoch();
    const l = sigIds(c, lv);
    const r = sigIds(c, rv);
    if (sigEpoch() === e0) return [l, r];
  }
}

/** Signatures of the other side during one matching or set operation. */
const matchTable = new IdTable();

function setOp(op: 'and' | 'or' | 'unless', lv: Vec, rv: Vec, m: VectorMatching): Vec {
  const nl = vlen(lv);
  const nr = vlen(rv);
  const c = sigInfo(m);
  // and/unless keep a subset of the left side: distinct if it was, a selection's columns if it was
  const subset = (keep: ((j: number) => boolean) | undefined): Vec => {
    if (lv.base !== undefined) {
      const pos = scratch.i32(nl);
      const vals = scratch.f64(nl);
      let n = 0;
      for (let j = 0; j < nl; j++) {
        if (keep !== undefined && !keep(j)) continue;
        pos[n] = lv.pos![j]!;
        vals[n++] = lv.vals![j]!;
      }
      return new BasedVec(lv.base, pos, vals, n, lv.bdn, lv.unique, lv.oneName);
    }
    const lhs = lv.samples;
    return vec(keep === undefined ? [...lhs] : lhs.filter((_s, j) => keep(j)), lv.unique, lv.oneName);
  };
  if (op === 'and' && (nl === 0 || nr === 0)) return vec([], lv.unique, lv.oneName);
  if (op === 'or') {
    if (nl === 0) return vec([...rv.samples], rv.unique, rv.oneName);
    if (nr === 0) return vec([...lv.samples], lv.unique, lv.oneName);
  }
  if (op === 'unless' && (nl === 0 || nr === 0)) return subset(undefined);
  const [lids, rids] = sigIdPair(c, lv, rv);
  const t = matchTable;
  t.begin();
  if (op === 'or') {
    for (let j = 0; j < nl; j++) t.set(lids[j]!, 1);
    const out = [...lv.samples];
    const rhs = rv.samples;
    for (let i = 0; i < nr; i++) if (!t.has(rids[i]!)) out.push(rhs[i]!);
    return vec(out);
  }
  for (let i = 0; i < nr; i++) t.set(rids[i]!, 1);
  return op === 'and' ? subset((j) => t.has(lids[j]!)) : subset((j) => !t.has(lids[j]!));
}

function vectorBinop(e: Binary, lv: Vec, rv: Vec, m: VectorMatching): Vec {
  // one-to-one results are distinct: each signature matches once and the result's labels determine it
  const oneToOne = m.card === 'one-to-one';
  const nl0 = vlen(lv);
  const nr0 = vlen(rv);
  if (nl0 === 0 || nr0 === 0) return vec([], true);
  const c = sigInfo(m);
  const swap = m.card === 'one-to-many';
  const L = swap ? rv : lv;
  const R = swap ? lv : rv;
  const nl = swap ? nr0 : nl0;
  const nr = swap ? nl0 : nr0;
  // one-to-one with the left side a selection's: the results as columns over its result base (built
  // before the ids below: building may start the id table afresh)
  const results = oneToOne && L.base ? baseResults(c, L, e.op, m, e.bool) : undefined;
  const [lids, rids] = sigIdPair(c, L, R);
  // signature → index of the right-hand sample
  const right = matchTable;
  right.begin();
  for (let i = 0; i < nr; i++) {
    const id = rids[i]!;
    if (right.has(id)) {
      const rs = sampleAt(R, i);
      err(
        `found duplicate series for the match group ${labelsString(matchedLabels(m, lab(rs)))} on the ${swap ? 'left' : 'right'} hand-side of the operation: [${labelsString(lab(rs))}, ${labelsString(lab(sampleAt(R, right.get(id))))}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(id, i);
  }
  // one-to-one: whether a right-hand sample was matched already, the result label sets by the left's
  // position; otherwise the result label sets per signature
  const hit = oneToOne ? scratch.i32(nr).fill(0) : undefined;
  const rpos = results ? scratch.i32(nl) : undefined;
  const rvals0 = results ? scratch.f64(nl) : undefined;
  let n = 0;
  const matched = new Map<number, Set<string>>();
  const out: VSample[] = [];
  const cmp = isComparison(e.op);
  const lvals = L.vals;
  const rvals = R.vals;
  const lhs = lvals === undefined ? L.samples : undefined;
  const rhs = rvals === undefined ? R.samples : undefined;
  for (let j = 0; j < nl; j++) {
    const id = lids[j]!;
    if (!right.has(id)) continue;
    const ri = right.get(id);
    let vl = lvals !== undefined ? lvals[j]! : lhs![j]!.value;
    let vr = rvals !== undefined ? rvals[ri]! : rhs![ri]!.value;
    if (swap) {
      const x = vl;
      vl = vr;
      vr = x;
    }
    let value: number;
    let keep = true;
    if (cmp) {
      value = vl;
      keep = compare(e.op, vl, vr);
    } else value = arith(e.op, vl, vr);
    if (e.bool) {
      value = keep ? 1 : 0;
    } else if (!keep) continue;
    if (rpos !== undefined) {
      if (hit![ri] === 1) err('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      hit![ri] = 1;
      rpos[n] = L.pos![j]!;
      rvals0![n++] = value;
      continue;
    }
    const ls = lhs !== undefined ? lhs[j]! : sampleAt(L, j);
    const rs = rhs !== undefined ? rhs[ri]! : sampleAt(R, ri);
    const metric = oneToOne ? oneToOneMetric(c, sigOf(id), ls, rs, e.op, m, e.bool) : resultMetric(ls, rs, e.op, m, e.bool);
    if (hit) {
      if (hit[ri] === 1) err('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      hit[ri] = 1;
    } else {
      const k = labelsKey(metric);
      const inserted = matched.get(id);
      if (inserted === undefined) matched.set(id, new Set([k]));
      else if (inserted.has(k)) err('multiple matches for labels: grouping labels must ensure unique matches');
      else inserted.add(k);
    }
    out.push({ labels: metric, value, dn: false });
  }
  if (results) return new BasedVec(results, rpos!, rvals0!, n, false, true, false);
  return vec(out, oneToOne);
}

/**
 * The result base of a one-to-one operation on a selection's vector: per position of the selection,
 * the result's label set (a one-to-one result's labels follow from the left side's alone), kept as
 * long as the selection so its own position caches last too; carried over to a derived selection.
 */
function baseResults(c: SigInfo, L: Vec, op: string, m: VectorMatching, bool: boolean): readonly SeriesData[] {
  const base = L.base!;
  const k = `${c.id}\x00${L.bdn ? 1 : 0}${dropsName(op) || bool ? 1 : 0}`;
  for (;;) {
    const pc = positionCache(base);
    const r0 = pc.result.get(k) as SeriesData[] | undefined;
    if (r0 !== undefined) return r0;
    // the signatures by id, all from one epoch of the id table (built again if it started afresh)
    const e0 = sigEpoch();
    const sigs = baseSigIds(c, base, L.bdn);
    if (sigEpoch() !== e0) continue;
    const anc = ancestor(base);
    const old = anc?.cache.result.get(k) as SeriesData[] | undefined;
    const r: SeriesData[] = new Array(base.length);
    const probe: VSample = { labels: EMPTY_LABELS, value: 0, dn: L.bdn };
    for (let p = 0; p < base.length; p++) {
      const q = old !== undefined ? anc!.from[p]! : -1;
      if (q >= 0) r[p] = old![q]!;
      else {
        probe.labels = base[p]!.labels;
        r[p] = { labels: oneToOneMetric(c, sigOf(sigs[p]!), probe, probe, op, m, bool), t: NO_SAMPLES, v: NO_SAMPLES };
      }
    }
    pc.result.set(k, r);
    if (old !== undefined) deriveSelection(r, old, anc!.from);
    return r;
  }
}

/** The samples of a result base's entries (never read: a result base only carries labels). */
const NO_SAMPLES = new Float64Array(0);

/**
 * A one-to-one result's labels, built once and shared: they are the signature's labels (`on` lists
 * them; `ignoring` lists the rest), plus the name where it is kept and not matched on.
 */
function oneToOneMetric(c: SigInfo, sig: string, ls: VSample, rs: VSample, op: string, m: VectorMatching, bool: boolean): Labels {
  const dropName = ls.dn || dropsName(op) || bool;
  let cache: Map<string, Labels>;
  let k = sig;
  if (c.on || c.hasName || dropName) cache = c.results.bySig[dropName ? 1 : 0];
  else {
    const n = ls.labels[METRIC_NAME] ?? '';
    cache = c.results.named;
    k = `${n.length}:${n}${sig}`;
  }
  let r = cache.get(k);
  if (r === undefined) {
    if (cache.size >= MAX_RESULTS) cache.clear();
    r = makeLabels(resultMetric(ls, rs, op, m, bool));
    cache.set(k, r);
  }
  return r;
}

/**
 * The labels of a vector-matching result: the left side's (its pending name drop applied), without
 * `__name__` for arithmetic and `bool`, only the `on` labels / without the `ignoring` ones for
 * one-to-one, the `group_x` labels from the right side. Built in name order, no deletes.
 */
function resultMetric(ls: VSample, rs: VSample, op: string, m: VectorMatching, bool: boolean): Labels {
  const lhs = ls.labels;
  const dropName = ls.dn || dropsName(op) || bool;
  const inc = m.include;
  const b: Record<string, string> = {};
  // for-in, not labelNames: the result's key order does not matter, and no names array is kept per series
  for (const n in lhs) {
    if (n === METRIC_NAME && dropName) continue;
    if (m.card === 'one-to-one' && m.on !== m.labels.includes(n)) continue;
    if (inc.length > 0 && inc.includes(n)) continue;
    b[n] = lhs[n]!;
  }
  if (inc.length > 0) {
    const rl = rs.labels;
    for (const n of inc) {
      if (n === METRIC_NAME && rs.dn) continue;
      const v = rl[n];
      if (v !== undefined && v !== '') b[n] = v;
    }
    // included labels (and a bool's dropped name) re-sorted into the set
    if (bool && METRIC_NAME in b) delete b[METRIC_NAME];
    return Object.freeze(b);
  }
  return Object.freeze(b);
}

function vectorScalar(e: Binary, v: Vec, scalar: number, swap: boolean): Vec {
  const cmp = isComparison(e.op);
  const drop = dropsName(e.op) || e.bool;
  // a sample's value, or undefined where the comparison filters it out
  const apply = (x: number): number | undefined => {
    const lv = swap ? scalar : x;
    const rv = swap ? x : scalar;
    if (!cmp) return e.bool ? 1 : arith(e.op, lv, rv);
    const keep = compare(e.op, lv, rv);
    if (e.bool) return keep ? 1 : 0;
    return keep ? x : undefined;
  };
  if (v.base !== undefined) {
    const n = vlen(v);
    const src = v.vals!;
    const pos = scratch.i32(n);
    const vals = scratch.f64(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const y = apply(src[i]!);
      if (y === undefined) continue;
      pos[k] = v.pos![i]!;
      vals[k++] = y;
    }
    return drop ? new BasedVec(v.base, pos, vals, k, true, v.unique && v.oneName, true) : new BasedVec(v.base, pos, vals, k, v.bdn, v.unique, v.oneName);
  }
  const out: VSample[] = [];
  for (const s of v.samples) {
    const y = apply(s.value);
    if (y !== undefined) out.push({ labels: s.labels, value: y, dn: drop || s.dn });
  }
  return drop ? vecDropped(out, v) : vec(out, v.unique, v.oneName);
}

// ---------------------------------------------------------------------------------------------
// Aggregations

/** container/heap on a slice with Go's `Less`, so ties keep the series Prometheus keeps. */
class GoHeap {
  constructor(
    readonly a: VSample[],
    private readonly less: (x: VSample, y: VSample) => boolean,
  ) {}
  private swap(i: number, j: number) {
    const t = this.a[i]!;
    this.a[i] = this.a[j]!;
    this.a[j] = t;
  }
  private up(j: number) {
    for (;;) {
      const i = Math.trunc((j - 1) / 2);
      if (i === j || !this.less(this.a[j]!, this.a[i]!)) break;
      this.swap(i, j);
      j = i;
    }
  }
  private down(i0: number, n: number) {
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n || j1 < 0) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && this.less(this.a[j2]!, this.a[j1]!)) j = j2;
      if (!this.less(this.a[j]!, this.a[i]!)) break;
      this.swap(i, j);
      i = j;
    }
  }
  push(x: VSample) {
    this.a.push(x);
    this.up(this.a.length - 1);
  }
  pop() {
    const n = this.a.length - 1;
    this.swap(0, n);
    this.down(0, n);
    this.a.pop();
  }
}

const lessByValue = (x: VSample, y: VSample) => Number.isNaN(x.value) || x.value < y.value;
const lessByReverseValue = (x: VSample, y: VSample) => Number.isNaN(x.value) || x.value > y.value;

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  count: number;
  heap?: GoHeap;
  values?: number[];
}

interface GroupInfo {
  grouping: string[];
  without: boolean;
  /** `by(__name__, …)`: a pending name drop changes the key */
  hasName: boolean;
  /** the clause as a string: equal clauses of different rules share a series' cached key */
  id: string;
  cache: WeakMap<Labels, string>;
}

const groupInfos = new WeakMap<string[], GroupInfo>();

function groupInfo(grouping: string[], without: boolean): GroupInfo {
  let c = groupInfos.get(grouping);
  if (!c || c.without !== without) {
    c = { grouping, without, hasName: grouping.includes(METRIC_NAME), id: `${without ? 'without' : 'by'}(${grouping.join(',')})`, cache: new WeakMap() };
    groupInfos.set(grouping, c);
  }
  return c;
}

function computeGroupingKey(c: GroupInfo, l: Labels, skipName: boolean): string {
  let k = c.without ? 'w' : 'b';
  if (c.without) {
    for (const n of labelNames(l)) if (n !== METRIC_NAME && !c.grouping.includes(n)) k += `${n}\x00${l[n]}\x01`;
  } else {
    for (const n of c.grouping) {
      if (skipName && n === METRIC_NAME) continue;
      const v = l[n];
      if (v !== undefined) k += `${n}\x00${v}\x01`;
    }
  }
  return k;
}

/** The labels of the group a sample opens: the `by` labels, or all but the `without` ones and the name. */
function groupLabels(s: VSample, grouping: string[], without: boolean): Labels {
  const sl = s.labels;
  const b: Record<string, string> = {};
  if (without) {
    for (const n of labelNames(sl)) if (n !== METRIC_NAME && !grouping.includes(n)) b[n] = sl[n]!;
  } else if (grouping.length > 0) {
    for (const n of grouping) if (sl[n] !== undefined && !(s.dn && n === METRIC_NAME)) b[n] = sl[n]!;
  } else return EMPTY_LABELS;
  return Object.freeze(b);
}

/** Group numbers by position in a selection (numbered in selection order) and each group's labels once built. */
function baseGroups(c: GroupInfo, base: readonly SeriesData[], dn: boolean): PositionGroups {
  const pc = positionCache(base);
  const k = dn && c.hasName && !c.without ? `${c.id}\x00dn` : c.id;
  let g = pc.group.get(k);
  if (g === undefined) {
    // a derived selection shares the earlier one's group numbers (new groups numbered on)
    const anc = ancestor(base);
    const old = anc?.cache.group.get(k);
    const idx = new Int32Array(base.length);
    const byKey = old?.byKey ?? new Map<string, number>();
    const skipName = dn && c.hasName && !c.without;
    // `by` one label: the value is the key (an interned string; no key built per series)
    const one = !c.without && c.grouping.length === 1 && !(skipName && c.grouping[0] === METRIC_NAME) ? c.grouping[0]! : undefined;
    for (let p = 0; p < base.length; p++) {
      const q = old !== undefined ? anc!.from[p]! : -1;
      if (q >= 0) {
        idx[p] = old!.idx[q]!;
        continue;
      }
      const l = base[p]!.labels;
      const key = one !== undefined ? (l[one] ?? '\x00') : computeGroupingKey(c, l, skipName);
      let n = byKey.get(key);
      if (n === undefined) {
        n = byKey.size;
        byKey.set(key, n);
      }
      idx[p] = n;
    }
    g = { idx, labels: old?.labels ?? [], byKey };
    pc.group.set(k, g);
  }
  return g;
}

/** The grouping key of a sample (cached with its label set: one clause per set, or a WeakMap). */
function groupingKey(c: GroupInfo, s: VSample): string {
  const l = s.labels;
  if (s.dn && c.hasName && !c.without) return computeGroupingKey(c, l, true);
  const meta = labelsMeta(l);
  if (meta !== undefined) {
    if (meta.groupId !== c.id) {
      meta.group = intern(computeGroupingKey(c, l, false));
      meta.groupId = c.id;
    }
    return meta.group;
  }
  let k = c.cache.get(l);
  if (k === undefined) {
    k = computeGroupingKey(c, l, false);
    c.cache.set(l, k);
  }
  return k;
}

function evalAggregate(ctx: Ctx, e: Aggregate, ts: number): Vec {
  let k = 0;
  let q = 0;
  let valueLabel = '';
  let grouping = e.grouping;
  if (e.op === 'topk' || e.op === 'bottomk') {
    const f = evalScalar(ctx, e.param!, ts);
    if (!(f <= 2 ** 63 && f >= -(2 ** 63))) err(`Scalar value ${formatGoFloatG(f)} overflows int64`);
    k = Math.trunc(f);
    if (k < 1) {
      evalVector(ctx, e.expr, ts);
      return vec([], true);
    }
  } else if (e.op === 'quantile') q = evalScalar(ctx, e.param!, ts);
  else if (e.op === 'count_values') {
    valueLabel = evalString(e.param!);
    if (!isValidLabelName(valueLabel)) err(`invalid label name ${JSON.stringify(valueLabel)}`);
    if (!e.without) grouping = [...grouping, valueLabel].sort();
  }
  const input = evalVec(ctx, e.expr, ts);
  const gi = groupInfo(grouping, e.without);
  // a selection's columns are read as they are (count_values adds a label to every sample)
  const cols = input.base !== undefined && e.op !== 'count_values' ? input.vals! : undefined;
  let vec0: VSample[] | undefined;
  if (e.op === 'count_values')
    vec0 = input.samples.map((s) => ({ labels: Object.freeze({ ...lab(s), [valueLabel]: formatGoFloat(s.value) }), value: s.value, dn: false }));
  else if (cols === undefined) vec0 = input.samples;
  const n = cols !== undefined ? cols.length : vec0!.length;
  // each sample's group number: from the selection's cache, or numbered here by grouping key
  const gid = scratch.i32(n);
  let cached: (Labels | undefined)[] | undefined;
  let nGroups: number;
  if (cols !== undefined) {
    const bg = baseGroups(gi, input.base!, input.bdn);
    const pos = input.pos!;
    for (let i = 0; i < n; i++) gid[i] = bg.idx[pos[i]!]!;
    cached = bg.labels as (Labels | undefined)[];
    nGroups = bg.byKey.size;
  } else {
    const byKey = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const key = groupingKey(gi, vec0![i]!);
      let g = byKey.get(key);
      if (g === undefined) {
        g = byKey.size;
        byKey.set(key, g);
      }
      gid[i] = g;
    }
    nGroups = byKey.size;
  }
  const groups: (Group | undefined)[] = new Array(nGroups);
  const ordered: Group[] = [];
  const heaps = e.op === 'topk' || e.op === 'bottomk';
  for (let i = 0; i < n; i++) {
    const x = cols !== undefined ? cols[i]! : vec0![i]!.value;
    const g = groups[gid[i]!];
    if (!g) {
      // a cached group's labels were built when it first appeared in an earlier evaluation
      let m = cached?.[gid[i]!];
      if (m === undefined) {
        m = groupLabels(vec0 !== undefined ? vec0[i]! : sampleAt(input, i), grouping, e.without);
        if (cached) cached[gid[i]!] = m;
      }
      const ng: Group = { labels: m, value: x, mean: x, count: 1 };
      switch (e.op) {
        case 'stddev':
        case 'stdvar':
          ng.value = 0;
          break;
        case 'topk':
          ng.heap = new GoHeap([vec0 !== undefined ? vec0[i]! : sampleAt(input, i)], lessByValue);
          break;
        case 'bottomk':
          ng.heap = new GoHeap([vec0 !== undefined ? vec0[i]! : sampleAt(input, i)], lessByReverseValue);
          break;
        case 'quantile':
          ng.values = [x];
          break;
        case 'group':
          ng.value = 1;
          break;
      }
      groups[gid[i]!] = ng;
      ordered.push(ng);
      continue;
    }
    const s = heaps ? (vec0 !== undefined ? vec0[i]! : sampleAt(input, i)) : undefined;
    switch (e.op) {
      case 'sum':
        g.value += x;
        break;
      case 'avg':
        g.count++;
        if (g.mean === Infinity || g.mean === -Infinity) {
          if ((x === Infinity || x === -Infinity) && g.mean > 0 === x > 0) break;
          if (Number.isFinite(x)) break;
        }
        g.mean += x / g.count - g.mean / g.count;
        break;
      case 'max':
        if (g.value < x || Number.isNaN(g.value)) g.value = x;
        break;
      case 'min':
        if (g.value > x || Number.isNaN(g.value)) g.value = x;
        break;
      case 'count':
      case 'count_values':
        g.count++;
        break;
      case 'stddev':
      case 'stdvar': {
        g.count++;
        const delta = x - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (x - g.mean);
        break;
      }
      case 'topk':
      case 'bottomk': {
        const h = g.heap!;
        const top = h.a[0]!.value;
        const better = e.op === 'topk' ? top < x : top > x;
        if (h.a.length < k || better || Number.isNaN(top)) {
          if (h.a.length === k) {
            if (k === 1) {
              h.a[0] = s!;
              break;
            }
            h.pop();
          }
          h.push(s!);
        }
        break;
      }
      case 'quantile':
        g.values!.push(x);
        break;
      case 'group':
        break;
    }
  }
  const out: VSample[] = [];
  for (const g of ordered) {
    switch (e.op) {
      case 'avg':
        g.value = g.mean;
        break;
      case 'count':
      case 'count_values':
        g.value = g.count;
        break;
      case 'stdvar':
        g.value = g.value / g.count;
        break;
      case 'stddev':
        g.value = Math.sqrt(g.value / g.count);
        break;
      case 'topk':
      case 'bottomk': {
        const a = [...g.heap!.a];
        // sort.Reverse of the heap's Less: descending for topk, ascending for bottomk.
        const less = e.op === 'topk' ? lessByValue : lessByReverseValue;
        a.sort((x, y) => (less(y, x) ? -1 : less(x, y) ? 1 : 0));
        out.push(...a);
        continue;
      }
      case 'quantile':
        g.value = quantile(q, g.values!);
        break;
    }
    out.push({ labels: g.labels, value: g.value, dn: false });
  }
  // groups have distinct labels (the key is their labels); topk/bottomk return input samples
  const keepsInput = e.op === 'topk' || e.op === 'bottomk';
  return checkVec(keepsInput ? vec(out, input.unique, input.oneName) : vec(out, true, e.without || !gi.hasName));
}

/** Sort as Go's sort.Sort with Less = isNaN(a) || a < b: NaNs first, then ascending. */
function sortNaNFirst(v: number[]): number[] {
  return v.sort((a, b) => {
    const an = Number.isNaN(a);
    const bn = Number.isNaN(b);
    if (an || bn) return an && bn ? 0 : an ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  sortNaNFirst(values);
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex]! * (1 - weight) + values[upperIndex]! * weight;
}

// ---------------------------------------------------------------------------------------------
// Functions

function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** time.Duration(ms).Seconds(): whole seconds plus nanoseconds / 1e9. */
function durationSeconds(ms: number): number {
  const sec = Math.trunc(ms / 1000);
  const nsec = (ms % 1000) * 1e6;
  return sec + nsec / 1e9;
}

function extrapolatedRate(p: Points, rangeStart: number, rangeEnd: number, rangeMs: number, isCounter: boolean, isRate: boolean): number | undefined {
  const { t, v, lo, hi } = p;
  const n = hi - lo;
  if (n < 2) return undefined;
  const first = v[lo]!;
  let result = v[hi - 1]! - first;
  if (isCounter) {
    let prev = first;
    for (let i = lo + 1; i < hi; i++) {
      const cur = v[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  const t0 = t[lo]!;
  const t1 = t[hi - 1]!;
  let durationToStart = (t0 - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - t1) / 1000;
  const sampledInterval = (t1 - t0) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && result > 0 && first >= 0) {
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  if (durationToStart < extrapolationThreshold) extrapolateToInterval += durationToStart;
  else extrapolateToInterval += averageDurationBetweenSamples / 2;
  if (durationToEnd < extrapolationThreshold) extrapolateToInterval += durationToEnd;
  else extrapolateToInterval += averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= durationSeconds(rangeMs);
  return result * factor;
}

function instantValue(p: Points, isRate: boolean): number | undefined {
  const { t, v, lo, hi } = p;
  if (hi - lo < 2) return undefined;
  const last = v[hi - 1]!;
  const prev = v[hi - 2]!;
  let result = isRate && last < prev ? last : last - prev;
  const interval = t[hi - 1]! - t[hi - 2]!;
  if (interval === 0) return undefined;
  if (isRate) result /= interval / 1000;
  return result;
}

function linearRegressionSlope(p: Points, interceptTime: number): number {
  const { t, v: vs, lo, hi } = p;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = vs[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const v = vs[i]!;
    if (constY && i > lo && v !== initY) constY = false;
    n += 1.0;
    const x = (t[i]! - interceptTime) / 1e3;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(v, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * v, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) return initY === Infinity || initY === -Infinity ? Number.NaN : 0;
  sumX = sumX + cX;
  sumY = sumY + cY;
  sumXY = sumXY + cXY;
  sumX2 = sumX2 + cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  return covXY / varX;
}

function rangeFunction(func: string, p: Points, rangeStart: number, rangeEnd: number, rangeMs: number, param: number): number | undefined {
  const { v, lo, hi } = p;
  switch (func) {
    case 'rate':
      return extrapolatedRate(p, rangeStart, rangeEnd, rangeMs, true, true);
    case 'increase':
      return extrapolatedRate(p, rangeStart, rangeEnd, rangeMs, true, false);
    case 'delta':
      return extrapolatedRate(p, rangeStart, rangeEnd, rangeMs, false, false);
    case 'irate':
      return instantValue(p, true);
    case 'idelta':
      return instantValue(p, false);
    case 'deriv':
      return hi - lo < 2 ? undefined : linearRegressionSlope(p, p.t[lo]!);
    case 'changes': {
      let c = 0;
      for (let i = lo + 1; i < hi; i++) {
        const cur = v[i]!;
        const prev = v[i - 1]!;
        if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) c++;
      }
      return c;
    }
    case 'resets': {
      let c = 0;
      for (let i = lo + 1; i < hi; i++) if (v[i]! < v[i - 1]!) c++;
      return c;
    }
    case 'avg_over_time': {
      let mean = 0;
      let count = 0;
      let c = 0;
      for (let i = lo; i < hi; i++) {
        const x = v[i]!;
        count++;
        if (mean === Infinity || mean === -Infinity) {
          if ((x === Infinity || x === -Infinity) && mean > 0 === x > 0) continue;
          if (Number.isFinite(x)) continue;
        }
        // kahanSumInc(x / count - mean / count, mean, c), inline
        const inc = x / count - mean / count;
        const t = mean + inc;
        if (Math.abs(mean) >= Math.abs(inc)) c += mean - t + inc;
        else c += inc - t + mean;
        mean = t;
      }
      return mean === Infinity || mean === -Infinity ? mean : mean + c;
    }
    case 'sum_over_time': {
      let sum = 0;
      let c = 0;
      for (let i = lo; i < hi; i++) {
        const inc = v[i]!;
        const t = sum + inc;
        if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
        else c += inc - t + sum;
        sum = t;
      }
      return sum === Infinity || sum === -Infinity ? sum : sum + c;
    }
    case 'count_over_time':
      return hi - lo;
    case 'last_over_time':
      return v[hi - 1]!;
    case 'present_over_time':
    case 'absent_over_time':
      return 1;
    case 'max_over_time': {
      let m = v[lo]!;
      for (let i = lo; i < hi; i++) {
        const x = v[i]!;
        if (x > m || Number.isNaN(m)) m = x;
      }
      return m;
    }
    case 'min_over_time': {
      let m = v[lo]!;
      for (let i = lo; i < hi; i++) {
        const x = v[i]!;
        if (x < m || Number.isNaN(m)) m = x;
      }
      return m;
    }
    case 'quantile_over_time':
      return quantile(param, pointsV(p));
    case 'stddev_over_time':
    case 'stdvar_over_time': {
      let count = 0;
      let mean = 0;
      let cMean = 0;
      let aux = 0;
      let cAux = 0;
      for (let i = lo; i < hi; i++) {
        const x = v[i]!;
        count++;
        const delta = x - (mean + cMean);
        [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
        [aux, cAux] = kahanSumInc(delta * (x - (mean + cMean)), aux, cAux);
      }
      const variance = (aux + cAux) / count;
      return func === 'stddev_over_time' ? Math.sqrt(variance) : variance;
    }
  }
  return undefined;
}

/** createLabelsForAbsentFunction: the labels an equality matcher pins exactly once. */
function absentLabels(arg: Expr): Labels {
  const x = unwrapParens(arg);
  const ms = x.kind === 'vector' ? x.matchers : x.kind === 'matrix' ? x.selector.matchers : undefined;
  if (!ms) return EMPTY_LABELS;
  const b = new Map<string, string>();
  const has = new Set<string>();
  for (const m of ms) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      if (m.value === '') b.delete(m.name);
      else b.set(m.name, m.value);
      has.add(m.name);
    } else b.delete(m.name);
  }
  return Object.freeze(Object.fromEntries(b));
}

const labelReplaceCache = new Map<string, RegExp>();

function evalCall(ctx: Ctx, e: Call, ts: number): Value {
  const matrixIdx = e.args.findIndex((a) => unwrapParens(a).kind === 'matrix');
  if (matrixIdx >= 0) return evalRangeCall(ctx, e, ts, matrixIdx);
  const out = evalInstantCall(ctx, e, ts);
  if (out.type === 'vector') checkVec(out);
  return out;
}

function evalRangeCall(ctx: Ctx, e: Call, ts: number, idx: number): Vec {
  const ms = unwrapParens(e.args[idx]!) as MatrixSelector;
  let param = 0;
  for (let i = 0; i < e.args.length; i++) if (i !== idx) param = evalScalar(ctx, e.args[i]!, ts);
  const series = select(ctx, ms.selector, ms.rangeMs);
  const maxt = refTime(ctx, ms.selector, ts);
  const mint = maxt - ms.rangeMs;
  // extrapolatedRate's window is relative to the evaluation time (enh.Ts - range - offset), which
  // equals [mint, maxt] except under @, where Prometheus shifts the offset to match.
  let any = false;
  const absent = e.func === 'absent_over_time';
  const dn = e.func !== 'last_over_time';
  const pos = scratch.i32(series.length);
  const vals = scratch.f64(series.length);
  let n = 0;
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    const p = rangePoints(s, mint, maxt);
    if (p.hi === p.lo) continue;
    any = true;
    if (absent) continue;
    const value = rangeFunction(e.func, p, mint, maxt, ms.rangeMs, param);
    if (value === undefined) continue;
    if (ctx.track) track(ctx, e, { labels: s.labels, value, dn }, s.labels);
    pos[n] = i;
    vals[n++] = value;
  }
  if (absent) return vec(any ? [] : [{ labels: absentLabels(e.args[0]!), value: 1, dn: false }], true, true);
  // distinct series; with the name dropped still distinct when the selector pins the name
  const pinned = pinsName(ms.selector);
  return checkVec(dn ? new BasedVec(series, pos, vals, n, true, pinned, true) : new BasedVec(series, pos, vals, n, false, true, pinned));
}

function mapVector(v: Vec, f: (x: number) => number): Vec {
  const out: VSample[] = [];
  for (const s of v.samples) out.push({ labels: s.labels, value: f(s.value), dn: true });
  return vecDropped(out, v);
}

function evalInstantCall(ctx: Ctx, e: Call, ts: number): Value {
  const a = e.args;
  switch (e.func) {
    case 'time':
      return { type: 'scalar', value: ts / 1000 };
    case 'vector':
      return vec([{ labels: EMPTY_LABELS, value: evalScalar(ctx, a[0]!, ts), dn: false }], true, true);
    case 'scalar': {
      const v = evalVector(ctx, a[0]!, ts);
      return { type: 'scalar', value: v.length === 1 ? v[0]!.value : Number.NaN };
    }
    case 'absent': {
      const v = evalVector(ctx, a[0]!, ts);
      return vec(v.length > 0 ? [] : [{ labels: absentLabels(a[0]!), value: 1, dn: false }], true, true);
    }
    case 'timestamp': {
      const arg = unwrapParens(a[0]!);
      if (arg.kind === 'vector') return instantSelect(ctx, arg, ts, true);
      return mapVector(evalVec(ctx, arg, ts), () => ts / 1000);
    }
    case 'abs':
      return mapVector(evalVec(ctx, a[0]!, ts), Math.abs);
    case 'ceil':
      return mapVector(evalVec(ctx, a[0]!, ts), Math.ceil);
    case 'floor':
      return mapVector(evalVec(ctx, a[0]!, ts), Math.floor);
    case 'sqrt':
      return mapVector(evalVec(ctx, a[0]!, ts), Math.sqrt);
    case 'sgn':
      return mapVector(evalVec(ctx, a[0]!, ts), (x) => (x < 0 ? -1 : x > 0 ? 1 : x));
    case 'clamp': {
      const v = evalVec(ctx, a[0]!, ts);
      const min = evalScalar(ctx, a[1]!, ts);
      const max = evalScalar(ctx, a[2]!, ts);
      if (max < min) return vec([], true);
      return mapVector(v, (x) => Math.max(min, Math.min(max, x)));
    }
    case 'clamp_min': {
      const v = evalVec(ctx, a[0]!, ts);
      const min = evalScalar(ctx, a[1]!, ts);
      return mapVector(v, (x) => Math.max(min, x));
    }
    case 'clamp_max': {
      const v = evalVec(ctx, a[0]!, ts);
      const max = evalScalar(ctx, a[1]!, ts);
      return mapVector(v, (x) => Math.min(max, x));
    }
    case 'round': {
      const v = evalVec(ctx, a[0]!, ts);
      const toNearest = a.length >= 2 ? evalScalar(ctx, a[1]!, ts) : 1;
      const inv = 1.0 / toNearest;
      return mapVector(v, (x) => Math.floor(x * inv + 0.5) / inv);
    }
    case 'label_replace': {
      const v = evalVector(ctx, a[0]!, ts);
      const dst = evalString(a[1]!);
      const repl = evalString(a[2]!);
      const src = evalString(a[3]!);
      const reSrc = evalString(a[4]!);
      let re = labelReplaceCache.get(reSrc);
      if (!re) {
        try {
          re = compileGoRegex(reSrc);
        } catch {
          return err(`invalid regular expression in label_replace(): ${reSrc}`);
        }
        if (labelReplaceCache.size > 1000) labelReplaceCache.clear();
        labelReplaceCache.set(reSrc, re);
      }
      if (!isValidLabelName(dst)) err(`invalid destination label name in label_replace(): ${dst}`);
      const samples = v.map((s) => {
        const l = lab(s);
        const m = re.exec(l[src] ?? '');
        if (!m) return { labels: l, value: s.value, dn: false };
        const res = expandTemplate(repl, m);
        const b: Record<string, string> = { ...l };
        delete b[dst];
        if (res.length > 0) b[dst] = res;
        return { labels: Object.freeze(b), value: s.value, dn: false };
      });
      return vec(samples);
    }
    case 'label_join': {
      const v = evalVector(ctx, a[0]!, ts);
      const dst = evalString(a[1]!);
      const sep = evalString(a[2]!);
      const srcs = a.slice(3).map(evalString);
      for (const s of srcs) if (!isValidLabelName(s)) err(`invalid source label name in label_join(): ${s}`);
      if (!isValidLabelName(dst)) err(`invalid destination label name in label_join(): ${dst}`);
      const samples = v.map((s) => {
        const l = lab(s);
        const val = srcs.map((n) => l[n] ?? '').join(sep);
        const b: Record<string, string> = { ...l };
        if (val === '') delete b[dst];
        else b[dst] = val;
        return { labels: Object.freeze(b), value: s.value, dn: false };
      });
      return vec(samples);
    }
    case 'histogram_quantile': {
      const q = evalScalar(ctx, a[0]!, ts);
      const v = evalVector(ctx, a[1]!, ts);
      const groups = new Map<string, { labels: Labels; buckets: { ub: number; count: number }[] }>();
      for (const s of v) {
        const sl = lab(s);
        const le = sl.le;
        const ub = le === undefined ? undefined : parseGoFloat(le);
        if (ub === undefined) continue;
        const rest: Record<string, string> = { ...sl };
        delete rest.le;
        const key = labelsKey(Object.freeze({ ...rest }));
        let g = groups.get(key);
        if (!g) {
          delete rest[METRIC_NAME];
          g = { labels: Object.freeze(rest), buckets: [] };
          groups.set(key, g);
        }
        g.buckets.push({ ub, count: s.value });
      }
      const samples: VSample[] = [];
      for (const g of groups.values()) samples.push({ labels: g.labels, value: bucketQuantile(q, g.buckets), dn: false });
      return vec(samples);
    }
  }
  return err(`function ${e.func} is not implemented`);
}

function bucketQuantile(q: number, buckets: { ub: number; count: number }[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  buckets.sort((x, y) => (x.ub < y.ub ? -1 : x.ub > y.ub ? 1 : 0));
  if (buckets[buckets.length - 1]!.ub !== Infinity) return Number.NaN;
  // coalesce equal upper bounds
  const b: { ub: number; count: number }[] = [];
  for (const x of buckets) {
    const last = b[b.length - 1];
    if (last && last.ub === x.ub) last.count += x.count;
    else b.push({ ub: x.ub, count: x.count });
  }
  // ensure monotonic
  let max = b[0]!.count;
  for (let i = 1; i < b.length; i++) {
    if (b[i]!.count > max) max = b[i]!.count;
    else if (b[i]!.count < max) b[i]!.count = max;
  }
  if (b.length < 2) return Number.NaN;
  const observations = b[b.length - 1]!.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // sort.Search(len-1, count >= rank)
  let lo = 0;
  let hi = b.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (!(b[mid]!.count >= rank)) lo = mid + 1;
    else hi = mid;
  }
  const i = lo;
  if (i === b.length - 1) return b[b.length - 2]!.ub;
  if (i === 0 && b[0]!.ub <= 0) return b[0]!.ub;
  let bucketStart = 0;
  const bucketEnd = b[i]!.ub;
  let count = b[i]!.count;
  if (i > 0) {
    bucketStart = b[i - 1]!.ub;
    count -= b[i - 1]!.count;
    rank -= b[i - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** The public samples of a vector: labels materialised (pending name drops applied). */
function outSamples(v: Vec): Sample[] {
  const out: Sample[] = new Array(v.samples.length);
  for (let i = 0; i < v.samples.length; i++) {
    const s = v.samples[i]!;
    out[i] = { labels: lab(s), value: s.value };
  }
  return out;
}

function toResult(v: Value): InstantResult {
  if (v.type === 'vector') return { type: 'vector', samples: outSamples(v) };
  if (v.type === 'matrix') return err('a range vector cannot be the result of an instant evaluation here');
  return v;
}

/**
 * Results shared by a batch of instant queries at one time over one Queryable (a rule group's
 * evaluation): a sub-expression the batch asks for more than once (`sharedUses`) is evaluated once
 * and kept until its last use. Kept results hold while the time, the Queryable and its `version()`
 * stay; a change starts afresh. A Queryable without `version()` shares nothing. Results are never
 * mutated by the evaluator, so a shared one is exactly what a fresh evaluation would return.
 */
export class SharedResults {
  private readonly plan: Map<string, number>;
  /** @internal uses left per key in this batch */
  uses = new Map<string, number>();
  /** @internal */
  readonly values = new Map<string, Value>();
  private q: Queryable | undefined;
  private at = Number.NaN;
  private lookback = Number.NaN;
  private version = Number.NaN;

  constructor(exprs: readonly Expr[]) {
    this.plan = sharedUses(exprs);
  }

  /** How many sub-expressions the batch shares. */
  get size(): number {
    return this.plan.size;
  }

  /** @internal A result to keep: its columns copied out of the evaluation's scratch (reused by the next query). */
  keep(v: Value): Value {
    if (!(v instanceof BasedVec)) return v;
    const pos = kept.i32(v.pos.length);
    pos.set(v.pos);
    const vals = kept.f64(v.vals.length);
    vals.set(v.vals);
    return new BasedVec(v.base, pos, vals, pos.length, v.bdn, v.unique, v.oneName);
  }

  /** @internal this, ready for an evaluation at ts over q; undefined if nothing can be shared. */
  begin(q: Queryable, ts: number, lookback: number): SharedResults | undefined {
    if (this.plan.size === 0 || q.version === undefined) return undefined;
    const v = q.version();
    // another batch took the kept columns since: what this one kept is gone, start afresh too
    if (q !== this.q || ts !== this.at || lookback !== this.lookback || v !== this.version || keptOwner !== this) {
      this.q = q;
      this.at = ts;
      this.lookback = lookback;
      this.version = v;
      this.values.clear();
      this.uses = new Map(this.plan);
      keptOwner = this;
      kept.reset();
    }
    return this;
  }

  /** The batch is over: drop what is kept. */
  end(): void {
    this.values.clear();
    this.q = undefined;
    if (keptOwner === this) {
      keptOwner = undefined;
      kept.reset();
    }
  }
}

/** Evaluate `expr` at `timeMs` as Prometheus 2.42's instant query does. Throws PromQLError. */
export function evalInstant(expr: Expr, timeMs: number, q: Queryable, opts: EvalOptions = {}): InstantResult {
  const lookback = opts.lookbackMs ?? 300_000;
  const ctx: Ctx = { q, lookback, start: timeMs, end: timeMs, sel: new Map(), memo: opts.shared?.begin(q, timeMs, lookback) };
  scratch.reset();
  const v = evalNode(ctx, expr, timeMs);
  return toResult(v);
}

/** The raw result of an instant query, including range vectors (`foo[5m]` returns its samples). */
export function evalInstantRaw(expr: Expr, timeMs: number, q: Queryable, opts: EvalOptions = {}): InstantResult | { type: 'matrix'; series: RangeSeries[] } {
  const lookback = opts.lookbackMs ?? 300_000;
  const ctx: Ctx = { q, lookback, start: timeMs, end: timeMs, sel: new Map(), memo: opts.shared?.begin(q, timeMs, lookback) };
  scratch.reset();
  const v = evalNode(ctx, expr, timeMs);
  if (v.type === 'matrix') return { type: 'matrix', series: v.series };
  return toResult(v);
}

/** Evaluate at start, start+step, … ≤ end as Prometheus's range query (query_range). */
export function evalRange(expr: Expr, startMs: number, endMs: number, stepMs: number, q: Queryable, opts: EvalOptions = {}): RangeResult {
  if (!(stepMs > 0)) throw new PromQLError('zero or negative query resolution step widths are not accepted');
  if (endMs < startMs) throw new PromQLError('end timestamp must not be before start time');
  const ctx: Ctx = { q, lookback: opts.lookbackMs ?? 300_000, start: startMs, end: endMs, sel: new Map(), track: new Map() };
  const byKey = new Map<string, RangeSeries>();
  const order: RangeSeries[] = [];
  for (let ts = startMs; ts <= endMs; ts += stepMs) {
    scratch.reset();
    const v = evalNode(ctx, expr, ts);
    if (v.type === 'string') return { type: 'string', value: v.value };
    if (v.type === 'matrix') return err('range vector cannot be the result of a range query (use an instant query)');
    const samples = v.type === 'scalar' ? [{ labels: EMPTY_LABELS, value: v.value }] : outSamples(v);
    for (const s of samples) {
      const k = labelsKey(s.labels);
      let rs = byKey.get(k);
      if (!rs) {
        rs = { labels: s.labels, t: [], v: [] };
        byKey.set(k, rs);
        order.push(rs);
      }
      rs.t.push(ts);
      rs.v.push(s.value);
    }
  }
  return { type: 'matrix', series: order };
}
