/**
 * A pure PromQL evaluator following Prometheus 2.42's engine (promql/engine.go, functions.go,
 * quantile.go): 5 m lookback, closed windows [t - range, t], staleness markers, extrapolatedRate,
 * metric-name dropping, Prometheus's series order (so float sums round as Prometheus rounds them)
 * and its errors. No I/O: samples come from a `Queryable`.
 */
import type { Aggregate, Binary, Call, Expr, Matcher, MatrixSelector, VectorMatching, VectorSelector } from './ast.js';
import {
  compareLabels,
  dropMetricName,
  EMPTY_LABELS,
  formatGoFloat,
  formatGoFloatG,
  type Labels,
  labelNames,
  labelsKey,
  labelsString,
  METRIC_NAME,
  parseGoFloat,
} from './labels.js';
import { isValidLabelName, PromQLError } from './parse.js';
import { compileGoRegex, expandTemplate } from './regex.js';

export type { Labels } from './labels.js';

/** One series as a Queryable returns it: timestamps (ms) ascending, values parallel. */
export interface SeriesData {
  readonly labels: Labels;
  readonly t: ArrayLike<number>;
  /** Keep stale markers in a Float64Array: plain JS arrays quieten the NaN payload (it is still recognised, see isStaleNaN). */
  readonly v: ArrayLike<number>;
}

/**
 * Where samples come from. `select` returns every series matching all matchers that may have samples
 * in [minT, maxT] (ms, inclusive); samples outside the window may be included (the evaluator cuts).
 */
export interface Queryable {
  select(matchers: readonly Matcher[], minT: number, maxT: number): Iterable<SeriesData>;
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

function staleAt(s: Selected, i: number): boolean {
  return isStaleNaN(s.v[i]!);
}

interface Selected {
  labels: Labels;
  t: ArrayLike<number>;
  v: ArrayLike<number>;
}

/** Internal per-step vector sample. */
interface VSample {
  labels: Labels;
  value: number;
}

type Value =
  | { type: 'vector'; samples: VSample[] }
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
}

/** lower bound: first index with t[i] >= x. */
function lowerBound(t: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** first index with t[i] > x. */
function upperBound(t: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
  s = [];
  for (const d of ctx.q.select(vs.matchers, lo, hi)) s.push(d);
  s.sort((a, b) => compareLabels(a.labels, b.labels));
  ctx.sel.set(vs, s);
  return s;
}

function instantSelect(ctx: Ctx, vs: VectorSelector, ts: number, forTimestamp = false): VSample[] {
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
  const out: VSample[] = [];
  for (const s of series) {
    const i = upperBound(s.t, ref) - 1;
    if (i < 0) continue;
    const t = s.t[i]!;
    if (t < lo) continue;
    if (staleAt(s, i)) continue;
    // for timestamp(): the sample's own time, in seconds, with the name dropped
    out.push(forTimestamp ? { labels: dropMetricName(s.labels), value: t / 1000 } : { labels: s.labels, value: s.v[i]! });
  }
  return out;
}

interface Points {
  t: ArrayLike<number> & Iterable<number>;
  v: ArrayLike<number> & Iterable<number>;
}

const EMPTY_POINTS: Points = { t: [], v: [] };

function rangePoints(s: Selected, mint: number, maxt: number): Points {
  const lo = lowerBound(s.t, mint);
  const hi = upperBound(s.t, maxt);
  if (lo >= hi) return EMPTY_POINTS;
  let stale = false;
  for (let i = lo; i < hi; i++) {
    if (staleAt(s, i)) {
      stale = true;
      break;
    }
  }
  if (!stale && s.t instanceof Float64Array && s.v instanceof Float64Array) return { t: s.t.subarray(lo, hi), v: s.v.subarray(lo, hi) };
  const t: number[] = [];
  const v: number[] = [];
  for (let i = lo; i < hi; i++) {
    if (staleAt(s, i)) continue;
    t.push(s.t[i]!);
    v.push(s.v[i]!);
  }
  return { t, v };
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
    const k = labelsKey(s.labels);
    if (seen.has(k)) err('vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
}

/** Range queries: Prometheus checks a whole output matrix, so two input series that map to one output labelset clash even at different steps. */
function track(ctx: Ctx, node: Expr, outLabels: Labels, inKey: string): void {
  if (!ctx.track) return;
  let m = ctx.track.get(node);
  if (!m) {
    m = new Map();
    ctx.track.set(node, m);
  }
  const k = labelsKey(outLabels);
  const prev = m.get(k);
  if (prev === undefined) m.set(k, inKey);
  else if (prev !== inKey) err('vector cannot contain metrics with the same labelset');
}

function evalScalar(ctx: Ctx, e: Expr, ts: number): number {
  const v = evalNode(ctx, e, ts);
  if (v.type !== 'scalar') throw new PromQLError(`expected a scalar, got ${v.type}`, e.pos.start);
  return v.value;
}

function evalVector(ctx: Ctx, e: Expr, ts: number): VSample[] {
  const v = evalNode(ctx, e, ts);
  if (v.type !== 'vector') throw new PromQLError(`expected an instant vector, got ${v.type}`, e.pos.start);
  return v.samples;
}

function evalString(e: Expr): string {
  const x = unwrapParens(e);
  if (x.kind !== 'string') throw new PromQLError('expected a string literal', e.pos.start);
  return x.value;
}

function evalNode(ctx: Ctx, e: Expr, ts: number): Value {
  switch (e.kind) {
    case 'number':
      return { type: 'scalar', value: e.value };
    case 'string':
      return { type: 'string', value: e.value };
    case 'paren':
      return evalNode(ctx, e.expr, ts);
    case 'vector':
      return { type: 'vector', samples: instantSelect(ctx, e, ts) };
    case 'matrix': {
      const series = select(ctx, e.selector, e.rangeMs);
      const maxt = refTime(ctx, e.selector, ts);
      const out: { labels: Labels; t: number[]; v: number[] }[] = [];
      for (const s of series) {
        const p = rangePoints(s, maxt - e.rangeMs, maxt);
        if (p.t.length > 0) out.push({ labels: s.labels, t: Array.from(p.t), v: Array.from(p.v) });
      }
      return { type: 'matrix', series: out };
    }
    case 'unary': {
      const v = evalNode(ctx, e.expr, ts);
      if (e.op === '+') return v;
      if (v.type === 'scalar') return { type: 'scalar', value: -v.value };
      if (v.type !== 'vector') return err('unary minus on a non-numeric value');
      const out = v.samples.map((s) => {
        const l = dropMetricName(s.labels);
        track(ctx, e, l, labelsKey(s.labels));
        return { labels: l, value: -s.value };
      });
      checkNoDuplicates(out);
      return { type: 'vector', samples: out };
    }
    case 'binary':
      return evalBinary(ctx, e, ts);
    case 'aggregate':
      return { type: 'vector', samples: evalAggregate(ctx, e, ts) };
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

const sigCache = new WeakMap<VectorMatching, { names: string[]; cache: WeakMap<Labels, string> }>();

/** The matching signature of a series (cached per matching clause and label set). */
function signature(m: VectorMatching, l: Labels): string {
  let c = sigCache.get(m);
  if (!c) {
    c = { names: [...m.labels].sort(), cache: new WeakMap() };
    sigCache.set(m, c);
  }
  let k = c.cache.get(l);
  if (k !== undefined) return k;
  k = '';
  if (m.on) {
    for (const n of c.names) {
      const v = l[n];
      if (v !== undefined) k += `${n}\x00${v}\x01`;
    }
  } else {
    for (const n of labelNames(l)) {
      if (n === METRIC_NAME || m.labels.includes(n)) continue;
      k += `${n}\x00${l[n]}\x01`;
    }
  }
  c.cache.set(l, k);
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
    let out: VSample[];
    if (e.op === 'and' || e.op === 'or' || e.op === 'unless') out = setOp(e.op, lv.samples, rv.samples, m);
    else out = vectorBinop(e, lv.samples, rv.samples, m);
    checkNoDuplicates(out);
    return { type: 'vector', samples: out };
  }
  if (lv.type === 'vector' && rv.type === 'scalar') return { type: 'vector', samples: checked(vectorScalar(e, lv.samples, rv.value, false)) };
  if (lv.type === 'scalar' && rv.type === 'vector') return { type: 'vector', samples: checked(vectorScalar(e, rv.samples, lv.value, true)) };
  return err(`binary operator ${e.op} between ${lv.type} and ${rv.type}`);
}

function checked(v: VSample[]): VSample[] {
  checkNoDuplicates(v);
  return v;
}

function setOp(op: 'and' | 'or' | 'unless', lhs: VSample[], rhs: VSample[], m: VectorMatching): VSample[] {
  if (op === 'and') {
    if (lhs.length === 0 || rhs.length === 0) return [];
    const right = new Set(rhs.map((s) => signature(m, s.labels)));
    return lhs.filter((s) => right.has(signature(m, s.labels)));
  }
  if (op === 'or') {
    if (lhs.length === 0) return [...rhs];
    if (rhs.length === 0) return [...lhs];
    const left = new Set(lhs.map((s) => signature(m, s.labels)));
    return [...lhs, ...rhs.filter((s) => !left.has(signature(m, s.labels)))];
  }
  if (lhs.length === 0 || rhs.length === 0) return [...lhs];
  const right = new Set(rhs.map((s) => signature(m, s.labels)));
  return lhs.filter((s) => !right.has(signature(m, s.labels)));
}

function vectorBinop(e: Binary, lhs0: VSample[], rhs0: VSample[], m: VectorMatching): VSample[] {
  if (lhs0.length === 0 || rhs0.length === 0) return [];
  const swap = m.card === 'one-to-many';
  const lhs = swap ? rhs0 : lhs0;
  const rhs = swap ? lhs0 : rhs0;
  const right = new Map<string, VSample>();
  for (const rs of rhs) {
    const sig = signature(m, rs.labels);
    const dup = right.get(sig);
    if (dup) {
      err(
        `found duplicate series for the match group ${labelsString(matchedLabels(m, rs.labels))} on the ${swap ? 'left' : 'right'} hand-side of the operation: [${labelsString(rs.labels)}, ${labelsString(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(sig, rs);
  }
  const matched = new Map<string, Set<string> | null>();
  const out: VSample[] = [];
  const cmp = isComparison(e.op);
  for (const ls of lhs) {
    const sig = signature(m, ls.labels);
    const rs = right.get(sig);
    if (!rs) continue;
    let vl = ls.value;
    let vr = rs.value;
    if (swap) [vl, vr] = [vr, vl];
    let value: number;
    let keep = true;
    if (cmp) {
      value = vl;
      keep = compare(e.op, vl, vr);
    } else value = arith(e.op, vl, vr);
    if (e.bool) {
      value = keep ? 1 : 0;
    } else if (!keep) continue;
    let metric = resultMetric(ls.labels, rs.labels, e.op, m);
    if (e.bool) metric = dropMetricName(metric);
    const inserted = matched.get(sig);
    if (m.card === 'one-to-one') {
      if (inserted !== undefined) err('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched.set(sig, null);
    } else {
      const k = labelsKey(metric);
      if (inserted === undefined || inserted === null) matched.set(sig, new Set([k]));
      else if (inserted.has(k)) err('multiple matches for labels: grouping labels must ensure unique matches');
      else inserted.add(k);
    }
    out.push({ labels: metric, value });
  }
  return out;
}

const resultCache = new WeakMap<VectorMatching, Map<string, WeakMap<Labels, WeakMap<Labels, Labels>>>>();

function resultMetric(lhs: Labels, rhs: Labels, op: string, m: VectorMatching): Labels {
  let byOp = resultCache.get(m);
  if (!byOp) {
    byOp = new Map();
    resultCache.set(m, byOp);
  }
  let byL = byOp.get(op);
  if (!byL) {
    byL = new WeakMap();
    byOp.set(op, byL);
  }
  let byR = byL.get(lhs);
  if (!byR) {
    byR = new WeakMap();
    byL.set(lhs, byR);
  }
  let r = byR.get(rhs);
  if (!r) {
    r = computeResultMetric(lhs, rhs, op, m);
    byR.set(rhs, r);
  }
  return r;
}

function computeResultMetric(lhs: Labels, rhs: Labels, op: string, m: VectorMatching): Labels {
  const b: Record<string, string> = { ...lhs };
  if (dropsName(op)) delete b[METRIC_NAME];
  if (m.card === 'one-to-one') {
    if (m.on) {
      for (const n of Object.keys(b)) if (!m.labels.includes(n)) delete b[n];
    } else for (const n of m.labels) delete b[n];
  }
  for (const n of m.include) {
    const v = rhs[n];
    if (v !== undefined && v !== '') b[n] = v;
    else delete b[n];
  }
  return Object.freeze(b);
}

function vectorScalar(e: Binary, vec: VSample[], scalar: number, swap: boolean): VSample[] {
  const out: VSample[] = [];
  const cmp = isComparison(e.op);
  for (const s of vec) {
    let lv = s.value;
    let rv = scalar;
    if (swap) [lv, rv] = [rv, lv];
    let value: number;
    let keep = true;
    if (cmp) {
      value = lv;
      keep = compare(e.op, lv, rv);
      if (swap) value = rv;
    } else value = arith(e.op, lv, rv);
    if (e.bool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    out.push({ labels: dropsName(e.op) || e.bool ? dropMetricName(s.labels) : s.labels, value });
  }
  return out;
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

const groupCache = new WeakMap<string[], WeakMap<Labels, string>>();

function groupingKey(l: Labels, grouping: string[], without: boolean): string {
  let c = groupCache.get(grouping);
  if (!c) {
    c = new WeakMap();
    groupCache.set(grouping, c);
  }
  let k = c.get(l);
  if (k !== undefined) return k;
  k = without ? 'w' : 'b';
  if (without) {
    for (const n of labelNames(l)) if (n !== METRIC_NAME && !grouping.includes(n)) k += `${n}\x00${l[n]}\x01`;
  } else {
    for (const n of grouping) {
      const v = l[n];
      if (v !== undefined) k += `${n}\x00${v}\x01`;
    }
  }
  c.set(l, k);
  return k;
}

function evalAggregate(ctx: Ctx, e: Aggregate, ts: number): VSample[] {
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
      return [];
    }
  } else if (e.op === 'quantile') q = evalScalar(ctx, e.param!, ts);
  else if (e.op === 'count_values') {
    valueLabel = evalString(e.param!);
    if (!isValidLabelName(valueLabel)) err(`invalid label name ${JSON.stringify(valueLabel)}`);
    if (!e.without) grouping = [...grouping, valueLabel].sort();
  }
  const vec = evalVector(ctx, e.expr, ts);
  const groups = new Map<string, Group>();
  const ordered: Group[] = [];
  for (const s0 of vec) {
    let s = s0;
    if (e.op === 'count_values') s = { labels: Object.freeze({ ...s.labels, [valueLabel]: formatGoFloat(s.value) }), value: s.value };
    const key = groupingKey(s.labels, grouping, e.without);
    const g = groups.get(key);
    if (!g) {
      let m: Labels;
      if (e.without) {
        const b: Record<string, string> = { ...s.labels };
        for (const n of grouping) delete b[n];
        delete b[METRIC_NAME];
        m = Object.freeze(b);
      } else if (grouping.length > 0) {
        const b: Record<string, string> = {};
        for (const n of grouping) if (s.labels[n] !== undefined) b[n] = s.labels[n]!;
        m = Object.freeze(b);
      } else m = EMPTY_LABELS;
      const ng: Group = { labels: m, value: s.value, mean: s.value, count: 1 };
      switch (e.op) {
        case 'stddev':
        case 'stdvar':
          ng.value = 0;
          break;
        case 'topk':
          ng.heap = new GoHeap([{ labels: s.labels, value: s.value }], lessByValue);
          break;
        case 'bottomk':
          ng.heap = new GoHeap([{ labels: s.labels, value: s.value }], lessByReverseValue);
          break;
        case 'quantile':
          ng.values = [s.value];
          break;
        case 'group':
          ng.value = 1;
          break;
      }
      groups.set(key, ng);
      ordered.push(ng);
      continue;
    }
    switch (e.op) {
      case 'sum':
        g.value += s.value;
        break;
      case 'avg':
        g.count++;
        if (g.mean === Infinity || g.mean === -Infinity) {
          if ((s.value === Infinity || s.value === -Infinity) && g.mean > 0 === s.value > 0) break;
          if (Number.isFinite(s.value)) break;
        }
        g.mean += s.value / g.count - g.mean / g.count;
        break;
      case 'max':
        if (g.value < s.value || Number.isNaN(g.value)) g.value = s.value;
        break;
      case 'min':
        if (g.value > s.value || Number.isNaN(g.value)) g.value = s.value;
        break;
      case 'count':
      case 'count_values':
        g.count++;
        break;
      case 'stddev':
      case 'stdvar': {
        g.count++;
        const delta = s.value - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (s.value - g.mean);
        break;
      }
      case 'topk':
      case 'bottomk': {
        const h = g.heap!;
        const top = h.a[0]!.value;
        const better = e.op === 'topk' ? top < s.value : top > s.value;
        if (h.a.length < k || better || Number.isNaN(top)) {
          if (h.a.length === k) {
            if (k === 1) {
              h.a[0] = { labels: s.labels, value: s.value };
              break;
            }
            h.pop();
          }
          h.push({ labels: s.labels, value: s.value });
        }
        break;
      }
      case 'quantile':
        g.values!.push(s.value);
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
    out.push({ labels: g.labels, value: g.value });
  }
  checkNoDuplicates(out);
  return out;
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
  const n = p.t.length;
  if (n < 2) return undefined;
  let result = p.v[n - 1]! - p.v[0]!;
  if (isCounter) {
    let prev = p.v[0]!;
    for (let i = 1; i < n; i++) {
      const cur = p.v[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (p.t[0]! - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - p.t[n - 1]!) / 1000;
  const sampledInterval = (p.t[n - 1]! - p.t[0]!) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && result > 0 && p.v[0]! >= 0) {
    const durationToZero = sampledInterval * (p.v[0]! / result);
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
  const n = p.t.length;
  if (n < 2) return undefined;
  const last = p.v[n - 1]!;
  const prev = p.v[n - 2]!;
  let result = isRate && last < prev ? last : last - prev;
  const interval = p.t[n - 1]! - p.t[n - 2]!;
  if (interval === 0) return undefined;
  if (isRate) result /= interval / 1000;
  return result;
}

function linearRegressionSlope(p: Points, interceptTime: number): number {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = p.v[0]!;
  let constY = true;
  for (let i = 0; i < p.t.length; i++) {
    const v = p.v[i]!;
    if (constY && i > 0 && v !== initY) constY = false;
    n += 1.0;
    const x = (p.t[i]! - interceptTime) / 1e3;
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
  const v = p.v;
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
      return p.t.length < 2 ? undefined : linearRegressionSlope(p, p.t[0]!);
    case 'changes': {
      let c = 0;
      for (let i = 1; i < v.length; i++) {
        const cur = v[i]!;
        const prev = v[i - 1]!;
        if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) c++;
      }
      return c;
    }
    case 'resets': {
      let c = 0;
      for (let i = 1; i < v.length; i++) if (v[i]! < v[i - 1]!) c++;
      return c;
    }
    case 'avg_over_time': {
      let mean = 0;
      let count = 0;
      let c = 0;
      for (const x of v) {
        count++;
        if (mean === Infinity || mean === -Infinity) {
          if ((x === Infinity || x === -Infinity) && mean > 0 === x > 0) continue;
          if (Number.isFinite(x)) continue;
        }
        [mean, c] = kahanSumInc(x / count - mean / count, mean, c);
      }
      return mean === Infinity || mean === -Infinity ? mean : mean + c;
    }
    case 'sum_over_time': {
      let sum = 0;
      let c = 0;
      for (const x of v) [sum, c] = kahanSumInc(x, sum, c);
      return sum === Infinity || sum === -Infinity ? sum : sum + c;
    }
    case 'count_over_time':
      return v.length;
    case 'last_over_time':
      return v[v.length - 1]!;
    case 'present_over_time':
    case 'absent_over_time':
      return 1;
    case 'max_over_time': {
      let m = v[0]!;
      for (const x of v) if (x > m || Number.isNaN(m)) m = x;
      return m;
    }
    case 'min_over_time': {
      let m = v[0]!;
      for (const x of v) if (x < m || Number.isNaN(m)) m = x;
      return m;
    }
    case 'quantile_over_time':
      return quantile(param, Array.from(v));
    case 'stddev_over_time':
    case 'stdvar_over_time': {
      let count = 0;
      let mean = 0;
      let cMean = 0;
      let aux = 0;
      let cAux = 0;
      for (const x of v) {
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
  if (matrixIdx >= 0) return { type: 'vector', samples: evalRangeCall(ctx, e, ts, matrixIdx) };
  const out = evalInstantCall(ctx, e, ts);
  if (out.type === 'vector') checkNoDuplicates(out.samples);
  return out;
}

function evalRangeCall(ctx: Ctx, e: Call, ts: number, idx: number): VSample[] {
  const ms = unwrapParens(e.args[idx]!) as MatrixSelector;
  let param = 0;
  for (let i = 0; i < e.args.length; i++) if (i !== idx) param = evalScalar(ctx, e.args[i]!, ts);
  const series = select(ctx, ms.selector, ms.rangeMs);
  const maxt = refTime(ctx, ms.selector, ts);
  const mint = maxt - ms.rangeMs;
  // extrapolatedRate's window is relative to the evaluation time (enh.Ts - range - offset), which
  // equals [mint, maxt] except under @, where Prometheus shifts the offset to match.
  const out: VSample[] = [];
  let any = false;
  for (const s of series) {
    const p = rangePoints(s, mint, maxt);
    if (p.t.length === 0) continue;
    any = true;
    if (e.func === 'absent_over_time') continue;
    const value = rangeFunction(e.func, p, mint, maxt, ms.rangeMs, param);
    if (value === undefined) continue;
    const labels = e.func === 'last_over_time' ? s.labels : dropMetricName(s.labels);
    track(ctx, e, labels, labelsKey(s.labels));
    out.push({ labels, value });
  }
  if (e.func === 'absent_over_time') return any ? [] : [{ labels: absentLabels(e.args[0]!), value: 1 }];
  checkNoDuplicates(out);
  return out;
}

function mapVector(v: VSample[], f: (x: number) => number): VSample[] {
  return v.map((s) => ({ labels: dropMetricName(s.labels), value: f(s.value) }));
}

function evalInstantCall(ctx: Ctx, e: Call, ts: number): Value {
  const a = e.args;
  switch (e.func) {
    case 'time':
      return { type: 'scalar', value: ts / 1000 };
    case 'vector':
      return { type: 'vector', samples: [{ labels: EMPTY_LABELS, value: evalScalar(ctx, a[0]!, ts) }] };
    case 'scalar': {
      const v = evalVector(ctx, a[0]!, ts);
      return { type: 'scalar', value: v.length === 1 ? v[0]!.value : Number.NaN };
    }
    case 'absent': {
      const v = evalVector(ctx, a[0]!, ts);
      return { type: 'vector', samples: v.length > 0 ? [] : [{ labels: absentLabels(a[0]!), value: 1 }] };
    }
    case 'timestamp': {
      const arg = unwrapParens(a[0]!);
      if (arg.kind === 'vector') return { type: 'vector', samples: instantSelect(ctx, arg, ts, true) };
      return { type: 'vector', samples: evalVector(ctx, arg, ts).map((s) => ({ labels: dropMetricName(s.labels), value: ts / 1000 })) };
    }
    case 'abs':
      return { type: 'vector', samples: mapVector(evalVector(ctx, a[0]!, ts), Math.abs) };
    case 'ceil':
      return { type: 'vector', samples: mapVector(evalVector(ctx, a[0]!, ts), Math.ceil) };
    case 'floor':
      return { type: 'vector', samples: mapVector(evalVector(ctx, a[0]!, ts), Math.floor) };
    case 'sqrt':
      return { type: 'vector', samples: mapVector(evalVector(ctx, a[0]!, ts), Math.sqrt) };
    case 'sgn':
      return { type: 'vector', samples: mapVector(evalVector(ctx, a[0]!, ts), (x) => (x < 0 ? -1 : x > 0 ? 1 : x)) };
    case 'clamp': {
      const v = evalVector(ctx, a[0]!, ts);
      const min = evalScalar(ctx, a[1]!, ts);
      const max = evalScalar(ctx, a[2]!, ts);
      if (max < min) return { type: 'vector', samples: [] };
      return { type: 'vector', samples: mapVector(v, (x) => Math.max(min, Math.min(max, x))) };
    }
    case 'clamp_min': {
      const v = evalVector(ctx, a[0]!, ts);
      const min = evalScalar(ctx, a[1]!, ts);
      return { type: 'vector', samples: mapVector(v, (x) => Math.max(min, x)) };
    }
    case 'clamp_max': {
      const v = evalVector(ctx, a[0]!, ts);
      const max = evalScalar(ctx, a[1]!, ts);
      return { type: 'vector', samples: mapVector(v, (x) => Math.min(max, x)) };
    }
    case 'round': {
      const v = evalVector(ctx, a[0]!, ts);
      const toNearest = a.length >= 2 ? evalScalar(ctx, a[1]!, ts) : 1;
      const inv = 1.0 / toNearest;
      return { type: 'vector', samples: mapVector(v, (x) => Math.floor(x * inv + 0.5) / inv) };
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
        const m = re.exec(s.labels[src] ?? '');
        if (!m) return { labels: s.labels, value: s.value };
        const res = expandTemplate(repl, m);
        const b: Record<string, string> = { ...s.labels };
        delete b[dst];
        if (res.length > 0) b[dst] = res;
        return { labels: Object.freeze(b), value: s.value };
      });
      return { type: 'vector', samples };
    }
    case 'label_join': {
      const v = evalVector(ctx, a[0]!, ts);
      const dst = evalString(a[1]!);
      const sep = evalString(a[2]!);
      const srcs = a.slice(3).map(evalString);
      for (const s of srcs) if (!isValidLabelName(s)) err(`invalid source label name in label_join(): ${s}`);
      if (!isValidLabelName(dst)) err(`invalid destination label name in label_join(): ${dst}`);
      const samples = v.map((s) => {
        const val = srcs.map((n) => s.labels[n] ?? '').join(sep);
        const b: Record<string, string> = { ...s.labels };
        if (val === '') delete b[dst];
        else b[dst] = val;
        return { labels: Object.freeze(b), value: s.value };
      });
      return { type: 'vector', samples };
    }
    case 'histogram_quantile': {
      const q = evalScalar(ctx, a[0]!, ts);
      const v = evalVector(ctx, a[1]!, ts);
      const groups = new Map<string, { labels: Labels; buckets: { ub: number; count: number }[] }>();
      for (const s of v) {
        const le = s.labels.le;
        const ub = le === undefined ? undefined : parseGoFloat(le);
        if (ub === undefined) continue;
        const rest: Record<string, string> = { ...s.labels };
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
      for (const g of groups.values()) samples.push({ labels: g.labels, value: bucketQuantile(q, g.buckets) });
      return { type: 'vector', samples };
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

function toResult(v: Value): InstantResult {
  if (v.type === 'vector') return { type: 'vector', samples: v.samples };
  if (v.type === 'matrix') return err('a range vector cannot be the result of an instant evaluation here');
  return v;
}

/** Evaluate `expr` at `timeMs` as Prometheus 2.42's instant query does. Throws PromQLError. */
export function evalInstant(expr: Expr, timeMs: number, q: Queryable, opts: EvalOptions = {}): InstantResult {
  const ctx: Ctx = { q, lookback: opts.lookbackMs ?? 300_000, start: timeMs, end: timeMs, sel: new Map() };
  const v = evalNode(ctx, expr, timeMs);
  return toResult(v);
}

/** The raw result of an instant query, including range vectors (`foo[5m]` returns its samples). */
export function evalInstantRaw(expr: Expr, timeMs: number, q: Queryable, opts: EvalOptions = {}): InstantResult | { type: 'matrix'; series: RangeSeries[] } {
  const ctx: Ctx = { q, lookback: opts.lookbackMs ?? 300_000, start: timeMs, end: timeMs, sel: new Map() };
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
    const v = evalNode(ctx, expr, ts);
    if (v.type === 'string') return { type: 'string', value: v.value };
    if (v.type === 'matrix') return err('range vector cannot be the result of a range query (use an instant query)');
    const samples = v.type === 'scalar' ? [{ labels: EMPTY_LABELS, value: v.value }] : v.samples;
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
