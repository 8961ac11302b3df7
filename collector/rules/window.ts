import type { LabelSet } from '../core/component.js';
import { type Labels, makeLabels, type Matcher, matchesAll, METRIC_NAME, type Queryable, type SeriesData } from './promql/index.js';

/**
 * The rule window: an in-memory Queryable holding only the series the loaded rules can select, each
 * only as far back as the rules selecting it read (range or lookback, + offset, + one evaluation
 * interval): `last_over_time(x[1d])` keeps one day of `x`, not of every series.
 *
 * - Samples keep their own timestamps (an agent's spooled samples land at the time they were measured).
 * - A sample older than the newest sample of its series is dropped and counted (`late`), as Prometheus's
 *   TSDB refuses out-of-order samples; one with the same timestamp replaces the value.
 * - Memory is bounded: beyond `maxSeries` new series are dropped and counted (`series_limit`), and
 *   samples older than the window are trimmed at each `trim(now)`.
 */

interface WSeries {
  labels: Labels;
  /** how far back this series is kept, ms */
  keepMs: number;
  t: Float64Array;
  v: Float64Array;
  /** first live index */
  start: number;
  /** end (exclusive) */
  n: number;
}

export interface WindowStats {
  series: number;
  samples: number;
  bytes: number;
  dropped: Record<'late' | 'series_limit', number>;
}

/** A selector of a loaded rule and how far back from an evaluation it reads, ms. */
export interface WindowSelector {
  matchers: Matcher[];
  keepMs: number;
}

export class RuleWindow implements Queryable {
  private byKey = new Map<string, WSeries>();
  private byName = new Map<string, Set<WSeries>>();
  /** matcher lists per metric name (`''`: selectors without a fixed name) */
  private selectorsByName = new Map<string, WindowSelector[]>();
  private anySelectors: WindowSelector[] = [];
  private wantCache = new Map<string, number>();
  private keepAll = false;
  windowMs = 0;
  dropped = { late: 0, series_limit: 0 };

  constructor(public maxSeries = 1_000_000) {}

  /**
   * The rules changed: which series to keep and for how long (per selector). `windowMs` is the
   * longest keep, used for series without a selector of their own (keepAll). Series no longer
   * wanted are dropped.
   */
  configure(selectors: WindowSelector[], windowMs: number, keepAll = false): void {
    this.selectorsByName = new Map();
    this.anySelectors = [];
    for (const sel of selectors) {
      const name = sel.matchers.find((m) => m.name === METRIC_NAME && m.type === '=');
      if (name) this.selectorsByName.set(name.value, [...(this.selectorsByName.get(name.value) ?? []), sel]);
      else this.anySelectors.push(sel);
    }
    this.keepAll = keepAll;
    this.windowMs = windowMs;
    this.wantCache = new Map();
    for (const [k, s] of this.byKey) {
      const keep = this.keepOf(s.labels);
      if (keep === 0) this.remove(k, s);
      else s.keepMs = keep;
    }
  }

  /** How long a series is kept (0: not at all): the longest reach of the selectors matching it. */
  private keepOf(l: LabelSet): number {
    let keep = 0;
    for (const sel of this.selectorsByName.get(l[METRIC_NAME] ?? '') ?? []) if (sel.keepMs > keep && matchesAll(sel.matchers, l as Labels)) keep = sel.keepMs;
    for (const sel of this.anySelectors) if (sel.keepMs > keep && matchesAll(sel.matchers, l as Labels)) keep = sel.keepMs;
    if (keep === 0 && this.keepAll) keep = this.windowMs;
    return keep;
  }

  /** How long a series would be kept, 0 if not wanted (cached per label set). */
  wants(l: LabelSet, key = plainKey(l)): number {
    let w = this.wantCache.get(key);
    if (w === undefined) {
      w = this.keepOf(l);
      if (this.wantCache.size > 4 * this.maxSeries) this.wantCache.clear();
      this.wantCache.set(key, w);
    }
    return w;
  }

  /** Add one sample if a rule can select its series. Returns whether it was kept. */
  append(labels: LabelSet, t: number, v: number): boolean {
    // most families no rule names: refused by name before any key is built
    if (!this.keepAll && this.anySelectors.length === 0 && !this.selectorsByName.has(labels[METRIC_NAME] ?? '')) return false;
    const frozen = Object.isFrozen(labels);
    // the fan-out's label objects are new per report: key them without building a frozen copy first
    const k = frozen ? frozenKey(labels as Labels) : plainKey(labels);
    let s = this.byKey.get(k);
    if (!s) {
      const l = frozen ? (labels as Labels) : makeLabels(labels);
      const keepMs = this.wants(l, k);
      if (keepMs === 0) return false;
      if (this.byKey.size >= this.maxSeries) {
        this.dropped.series_limit++;
        return false;
      }
      s = { labels: l, keepMs, t: new Float64Array(4), v: new Float64Array(4), start: 0, n: 0 };
      this.byKey.set(k, s);
      const name = l[METRIC_NAME] ?? '';
      let set = this.byName.get(name);
      if (!set) {
        set = new Set();
        this.byName.set(name, set);
      }
      set.add(s);
    }
    if (s.n > s.start) {
      const last = s.t[s.n - 1]!;
      if (t < last) {
        this.dropped.late++;
        return false;
      }
      if (t === last) {
        s.v[s.n - 1] = v;
        return true;
      }
    }
    if (s.n === s.t.length) {
      const live = s.n - s.start;
      const cap = live * 2 > s.t.length ? s.t.length * 2 : s.t.length;
      const nt = new Float64Array(cap);
      const nv = new Float64Array(cap);
      nt.set(s.t.subarray(s.start, s.n));
      nv.set(s.v.subarray(s.start, s.n));
      s.t = nt;
      s.v = nv;
      s.start = 0;
      s.n = live;
    }
    s.t[s.n] = t;
    s.v[s.n] = v;
    s.n++;
    return true;
  }

  private remove(k: string, s: WSeries): void {
    this.byKey.delete(k);
    const set = this.byName.get(s.labels[METRIC_NAME] ?? '');
    set?.delete(s);
    if (set && set.size === 0) this.byName.delete(s.labels[METRIC_NAME] ?? '');
  }

  /** Drop samples older than each series' keep, and series left empty; shrink buffers mostly empty. */
  trim(now: number): void {
    for (const [k, s] of this.byKey) {
      const minT = now - s.keepMs;
      let i = s.start;
      while (i < s.n && s.t[i]! < minT) i++;
      s.start = i;
      if (s.start === s.n) {
        this.remove(k, s);
        continue;
      }
      const live = s.n - s.start;
      if (s.t.length > 16 && live * 4 < s.t.length) {
        const cap = Math.max(4, live * 2);
        s.t = copy(s.t, s.start, s.n, cap);
        s.v = copy(s.v, s.start, s.n, cap);
        s.start = 0;
        s.n = live;
      }
    }
  }

  *select(matchers: readonly Matcher[], minT: number, maxT: number): Iterable<SeriesData> {
    const nameEq = matchers.find((m) => m.name === METRIC_NAME && m.type === '=');
    const cands: Iterable<WSeries> = nameEq ? (this.byName.get(nameEq.value) ?? []) : [...this.byName.values()].flatMap((s) => [...s]);
    for (const s of cands) {
      if (s.n === s.start || s.t[s.n - 1]! < minT || s.t[s.start]! > maxT) continue;
      if (!matchesAll(matchers, s.labels)) continue;
      yield { labels: s.labels, t: s.t.subarray(s.start, s.n), v: s.v.subarray(s.start, s.n) };
    }
  }

  stats(): WindowStats {
    let samples = 0;
    let bytes = 0;
    for (const [k, s] of this.byKey) {
      samples += s.n - s.start;
      // two Float64Array buffers + the label set (key string ≈ its labels) + per-series overhead
      bytes += 16 * s.t.length + 2 * k.length + 200;
    }
    return { series: this.byKey.size, samples, bytes, dropped: { ...this.dropped } };
  }
}

const frozenKeys = new WeakMap<Labels, string>();
function frozenKey(l: Labels): string {
  let k = frozenKeys.get(l);
  if (k === undefined) {
    k = plainKey(l);
    frozenKeys.set(l, k);
  }
  return k;
}

/** The window's key of a label set (names sorted, empty values left out), without freezing it. */
function plainKey(l: LabelSet): string {
  const names = Object.keys(l).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let k = '';
  for (const n of names) {
    const v = l[n]!;
    if (v !== '') k += `${n}\xff${v}\xfe`;
  }
  return k;
}

function copy(a: Float64Array, from: number, to: number, cap: number): Float64Array {
  const out = new Float64Array(cap);
  out.set(a.subarray(from, to));
  return out;
}
