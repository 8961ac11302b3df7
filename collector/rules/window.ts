import type { LabelSet } from '../core/component.js';
import { type Labels, labelsKey, labelsMeta, makeLabels, type Matcher, matchesAll, METRIC_NAME, type Queryable, type SeriesData } from './promql/index.js';
import { lowerBound } from './promql/bounds.js';
import { deriveSelection } from './promql/ids.js';

/**
 * The rule window: an in-memory Queryable holding only the series the loaded rules can select, each
 * only as far back as the rules selecting it read (range or lookback, + offset, + one evaluation
 * interval): `last_over_time(x[1d])` keeps one day of `x`, not of every series.
 *
 * - Samples keep their own timestamps (an agent's spooled samples land at the time they were measured).
 * - A sample older than the newest of its series is inserted at its place (counted `outOfOrder`) when
 *   it is within the series' keep before that newest sample; older than that it is dropped and counted
 *   (`late`): the window would trim it anyway. One with an existing timestamp replaces the value.
 * - Memory is bounded: beyond `maxSeries` new series are dropped and counted (`series_limit`), and
 *   samples older than the window are trimmed at each `trim(now)`.
 *
 * Memory per series is small: samples live in shared slabs (see `Slabs`), the label set is interned
 * (`makeLabels`) and its key is the only string kept. Selections are cached per matcher list, sorted
 * in labels order, until the set of series changes (`gen`), so a steady window hands the evaluator the
 * same arrays each cycle.
 */

interface WSeries extends SeriesData {
  readonly labels: Labels;
  /** labelsKey(labels): the byKey key and the sort key */
  readonly key: string;
  /** how far back this series is kept, ms */
  keepMs: number;
  /** the slab's arrays; the series owns [base, base + cap) of them */
  t: Float64Array;
  v: Float64Array;
  base: number;
  cap: number;
  /** size class and slab number, to free the segment */
  cls: number;
  slab: number;
  /** live samples: [start, end) */
  start: number;
  end: number;
  /** removed from the window (still in an older selection or its family's `added` until the next merge) */
  dead: boolean;
}

/**
 * The series of one metric name: `sorted` in labels order (a new array whenever it changes, so a
 * selection handed out stays as it was), series added since then in `added`; `merge` folds them in
 * (sorting only the new ones), dropping the dead.
 */
interface Family {
  sorted: WSeries[];
  added: WSeries[];
  /** series of `sorted` removed since the last merge */
  dead: number;
  size: number;
  /** series added or moved since the family was last laid out (see relayout) */
  unordered: number;
}

export interface WindowStats {
  series: number;
  samples: number;
  bytes: number;
  /** late samples inserted at their place (older than the newest of their series, within its keep) */
  outOfOrder: number;
  dropped: Record<'late' | 'series_limit', number>;
}

/** A selector of a loaded rule and how far back from an evaluation it reads, ms. */
export interface WindowSelector {
  matchers: Matcher[];
  keepMs: number;
}

/** Smallest segment: 4 samples; classes double. */
const MIN_CLASS = 2;
/** Doubles per slab (1 MiB per array) for small classes; a large class gets 64 segments per slab. */
const SLAB_DOUBLES = 1 << 17;

/**
 * Sample storage: per size class (segments of 2^k samples) slabs of two parallel Float64Arrays (times,
 * values), segments handed out from a free list or the end of the last slab. A series costs its
 * segment's 16 bytes per sample slot and no typed-array objects of its own. A slab whose segments are
 * all free again is released (series growing from 4 to 8 to 16 samples leave their small slabs empty).
 */
interface SizeClass {
  t: Float64Array[];
  v: Float64Array[];
  /** segments in use per slab; -1: released */
  live: number[];
  /** doubles per slab */
  len: number;
  /** bump pointer in the last slab */
  used: number;
  /** free segment addresses (slab × len + offset); entries of released slabs are skipped */
  free: number[];
}

class Slabs {
  private classes: SizeClass[] = [];
  /** bytes of all slabs */
  bytes = 0;

  classFor(n: number): number {
    let k = MIN_CLASS;
    while (1 << k < n) k++;
    return k;
  }

  /** A segment of class k: fills the series' t, v, base, cap, cls, slab. `fresh`: at the end of the last slab, not from the free list. */
  alloc(s: Pick<WSeries, 't' | 'v' | 'base' | 'cap' | 'cls' | 'slab'>, k: number, fresh = false): void {
    let c = this.classes[k];
    if (!c) {
      c = { t: [], v: [], live: [], len: Math.max(SLAB_DOUBLES, (1 << k) * 64), used: 0, free: [] };
      this.classes[k] = c;
    }
    const cap = 1 << k;
    let addr = fresh ? undefined : c.free.pop();
    while (addr !== undefined && c.live[Math.floor(addr / c.len)] === -1) addr = c.free.pop();
    if (addr === undefined) {
      const last = c.t.length - 1;
      if (last < 0 || c.live[last] === -1 || c.used + cap > c.len) {
        c.t.push(new Float64Array(c.len));
        c.v.push(new Float64Array(c.len));
        c.live.push(0);
        c.used = 0;
        this.bytes += 16 * c.len;
      }
      addr = (c.t.length - 1) * c.len + c.used;
      c.used += cap;
    }
    const slab = Math.floor(addr / c.len);
    c.live[slab]!++;
    s.t = c.t[slab]!;
    s.v = c.v[slab]!;
    s.base = addr - slab * c.len;
    s.cap = cap;
    s.cls = k;
    s.slab = slab;
  }

  free(s: WSeries): void {
    const c = this.classes[s.cls]!;
    if (--c.live[s.slab]! > 0) {
      c.free.push(s.slab * c.len + s.base);
      return;
    }
    // the slab is empty: release it (its free list entries are skipped from now on)
    c.live[s.slab] = -1;
    c.t[s.slab] = EMPTY;
    c.v[s.slab] = EMPTY;
    this.bytes -= 16 * c.len;
    if (c.free.length > 1024 && c.live.every((n) => n === -1)) c.free = [];
  }
}

const EMPTY = new Float64Array(0);
/** Per-series bytes besides samples (series object, label set and its meta slot, key string, map entries), estimated. */
const SERIES_OVERHEAD = 260;
/**
 * A family is laid out again when its whole-family selection is rebuilt, it has at least RELAYOUT_MIN
 * series (smaller ones fit in a cache anyway) and 1 / RELAYOUT_SHARE of them were added or moved
 * since its last layout (a few new series a cycle do not cost a copy of the family each time).
 */
const RELAYOUT_MIN = 4096;
const RELAYOUT_SHARE = 8;

export class RuleWindow implements Queryable {
  private byKey = new Map<string, WSeries>();
  private byName = new Map<string, Family>();
  /** matcher lists per metric name (`''`: selectors without a fixed name) */
  private selectorsByName = new Map<string, WindowSelector[]>();
  private anySelectors: WindowSelector[] = [];
  private wantCache = new Map<string, number>();
  private keepAll = false;
  private slabs = new Slabs();
  /**
   * Bumped when a series is added or removed: cached selections are then recomputed. Per metric name
   * too, so a new series of one family leaves the selections of the others (naming theirs) cached.
   */
  private gen = 0;
  private nameGen = new Map<string, number>();
  private selCache = new Map<string, { gen: number; series: WSeries[] }>();
  private samples = 0;
  private keyBytes = 0;
  /** bumped on every change of what a selection returns (see `version`) */
  private changes = 0;
  windowMs = 0;
  outOfOrder = 0;
  dropped = { late: 0, series_limit: 0 };

  constructor(public maxSeries = 1_000_000) {}

  /** Changes whenever samples or series are added or removed (shared results of a rule group are then recomputed). */
  version(): number {
    return this.changes;
  }

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
    this.selCache = new Map();
    this.changes++;
    for (const s of [...this.byKey.values()]) {
      const keep = this.keepOf(s.labels);
      if (keep === 0) this.remove(s);
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

  /**
   * How long a series would be kept, 0 if not wanted. Refusals are cached per label set (a series
   * in the window is found by its key before this is asked).
   */
  wants(l: LabelSet, key = plainKey(l)): number {
    let w = this.wantCache.get(key);
    if (w === undefined) {
      w = this.keepOf(l);
      if (w === 0) {
        if (this.wantCache.size > this.maxSeries) this.wantCache.clear();
        this.wantCache.set(key, w);
      }
    }
    return w;
  }

  /** Add one sample if a rule can select its series. Returns whether it was kept. */
  append(labels: LabelSet, t: number, v: number): boolean {
    // most families no rule names: refused by name before any key is built
    if (!this.keepAll && this.anySelectors.length === 0 && !this.selectorsByName.has(labels[METRIC_NAME] ?? '')) return false;
    const k = plainKey(labels);
    let s = this.byKey.get(k);
    if (!s) {
      const keepMs = this.wants(labels, k);
      if (keepMs === 0) return false;
      if (this.byKey.size >= this.maxSeries) {
        this.dropped.series_limit++;
        return false;
      }
      s = this.add(makeLabels(labels, k), k, keepMs);
    }
    const end = s.end;
    if (end > s.start) {
      const last = s.t[end - 1]!;
      if (t <= last) return this.insertLate(s, t, v, last);
    }
    if (end === s.base + s.cap) this.grow(s);
    s.t[s.end] = t;
    s.v[s.end] = v;
    s.end++;
    this.samples++;
    this.changes++;
    return true;
  }

  private add(labels: Labels, key: string, keepMs: number): WSeries {
    const s: WSeries = { labels, key, keepMs, t: EMPTY, v: EMPTY, base: 0, cap: 0, cls: 0, slab: 0, start: 0, end: 0, dead: false };
    this.slabs.alloc(s, MIN_CLASS);
    s.start = s.base;
    s.end = s.base;
    this.byKey.set(key, s);
    const name = labels[METRIC_NAME] ?? '';
    let fam = this.byName.get(name);
    if (!fam) {
      fam = { sorted: [], added: [], dead: 0, size: 0, unordered: 0 };
      this.byName.set(name, fam);
    }
    fam.added.push(s);
    fam.size++;
    fam.unordered++;
    this.keyBytes += 2 * key.length;
    this.bump(name);
    return s;
  }

  /** A sample at or before the newest of its series: replace, insert at its place, or drop if beyond the keep. */
  private insertLate(s: WSeries, t: number, v: number, last: number): boolean {
    this.changes++;
    if (t === last) {
      s.v[s.end - 1] = v;
      return true;
    }
    if (t < last - s.keepMs) {
      this.dropped.late++;
      return false;
    }
    const lo = lowerBound(s.t, t, s.start, s.end);
    if (s.t[lo] === t) {
      s.v[lo] = v;
      return true;
    }
    const at = lo - s.start;
    if (s.end === s.base + s.cap) this.grow(s);
    const i = s.start + at;
    s.t.copyWithin(i + 1, i, s.end);
    s.v.copyWithin(i + 1, i, s.end);
    s.t[i] = t;
    s.v[i] = v;
    s.end++;
    this.samples++;
    this.outOfOrder++;
    return true;
  }

  /** The segment is full: move the live samples to its start, or to a segment twice the size. */
  private grow(s: WSeries): void {
    const live = s.end - s.start;
    if (live * 2 <= s.cap) {
      s.t.copyWithin(s.base, s.start, s.end);
      s.v.copyWithin(s.base, s.start, s.end);
    } else {
      this.move(s, s.cls + 1);
      this.disorder(s);
    }
    s.start = s.base;
    s.end = s.base + live;
  }

  /** Copy the live samples into a segment of class k (start/end are then relative to the new base). */
  private move(s: WSeries, k: number, fresh = false): void {
    const ot = s.t;
    const ov = s.v;
    const from = s.start;
    const live = s.end - s.start;
    this.slabs.free(s);
    this.slabs.alloc(s, k, fresh);
    const nt = s.t;
    const nv = s.v;
    const to = s.base;
    for (let i = 0; i < live; i++) {
      nt[to + i] = ot[from + i]!;
      nv[to + i] = ov[from + i]!;
    }
    s.start = s.base;
    s.end = s.base + live;
  }

  private bump(name: string): void {
    this.changes++;
    this.gen++;
    this.nameGen.set(name, this.gen);
  }

  private remove(s: WSeries): void {
    this.byKey.delete(s.key);
    const name = s.labels[METRIC_NAME] ?? '';
    const fam = this.byName.get(name);
    s.dead = true;
    if (fam) {
      fam.dead++;
      if (--fam.size === 0) this.byName.delete(name);
    }
    this.slabs.free(s);
    this.samples -= s.end - s.start;
    this.keyBytes -= 2 * s.key.length;
    this.bump(name);
  }

  /** Drop samples older than each series' keep, and series left empty; shrink segments mostly empty. */
  trim(now: number): void {
    const empty: WSeries[] = [];
    for (const s of this.byKey.values()) {
      const minT = now - s.keepMs;
      const t = s.t;
      let i = s.start;
      while (i < s.end && t[i]! < minT) i++;
      if (i > s.start) this.changes++;
      this.samples -= i - s.start;
      s.start = i;
      if (i === s.end) {
        empty.push(s);
        continue;
      }
      const live = s.end - i;
      if (s.cls > MIN_CLASS + 2 && live * 4 < s.cap) {
        this.move(s, Math.max(MIN_CLASS, this.slabs.classFor(live * 2)));
        this.disorder(s);
      }
    }
    for (const s of empty) this.remove(s);
  }

  *select(matchers: readonly Matcher[], minT: number, maxT: number): Iterable<SeriesData> {
    for (const s of this.selectSorted(matchers, minT, maxT) as WSeries[]) if (s.end > s.start && s.t[s.end - 1]! >= minT && s.t[s.start]! <= maxT) yield s;
  }

  /**
   * The series matching all matchers, in labels order: one array per matcher list, cached until a
   * series is added or removed (the evaluator cuts samples to its ranges; series without samples in
   * [minT, maxT] may be included, as the Queryable contract allows).
   */
  selectSorted(matchers: readonly Matcher[], _minT: number, _maxT: number): readonly SeriesData[] {
    const ck = cacheKey(matchers);
    const nameEq = matchers.find((m) => m.name === METRIC_NAME && m.type === '=');
    if (nameEq) {
      // series that grew or shrank (moved) since the last layout count too, not only new ones
      const fam = this.byName.get(nameEq.value);
      if (fam && this.wantsLayout(fam)) this.sortedOf(nameEq.value, fam);
    }
    // a selector naming its metric depends only on that name's series
    const gen = nameEq ? (this.nameGen.get(nameEq.value) ?? 0) : this.gen;
    const c = this.selCache.get(ck);
    if (c && c.gen === gen) return c.series;
    let out: WSeries[];
    if (nameEq) {
      // the family is kept in labels order: a selection is it, or the part of it that matches
      const fam = this.byName.get(nameEq.value);
      const sorted = fam ? this.sortedOf(nameEq.value, fam) : [];
      out = matchers.length === 1 ? sorted : sorted.filter((s) => matchesAll(matchers, s.labels));
    } else {
      out = [];
      for (const [name, fam] of this.byName) for (const s of this.sortedOf(name, fam)) if (matchesAll(matchers, s.labels)) out.push(s);
      out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    // ad-hoc queries (/api/v1/query) must not grow the cache without bound
    if (this.selCache.size >= 1000) this.selCache.clear();
    // (sortedOf may have laid the family out again: its generation moved on)
    this.selCache.set(ck, { gen: nameEq ? (this.nameGen.get(nameEq.value) ?? 0) : this.gen, series: out });
    return out;
  }

  /**
   * A family in labels order: the series added since the last call sorted and merged in, the removed
   * ones left out (a new array, so selections handed out keep theirs; the evaluator is told which
   * positions carry over, `deriveSelection`). Laid out again when much of it is new (see relayout).
   */
  private sortedOf(name: string, fam: Family): WSeries[] {
    const prev = fam.sorted;
    let from: Int32Array | undefined;
    if (fam.added.length > 0 || fam.dead > 0) {
      const added = fam.added.filter((s) => !s.dead).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      // at most this long: `dead` may count series that were still in `added`
      const out: WSeries[] = new Array(prev.length + added.length);
      from = new Int32Array(out.length);
      let i = 0;
      let j = 0;
      let n = 0;
      while (i < prev.length || j < added.length) {
        const p = prev[i];
        if (p?.dead) {
          i++;
          continue;
        }
        if (p !== undefined && (j === added.length || p.key < added[j]!.key)) {
          from[n] = i++;
          out[n++] = p;
        } else {
          from[n] = -1;
          out[n++] = added[j++]!;
        }
      }
      out.length = n;
      if (n < from.length) from = from.subarray(0, n);
      fam.sorted = out;
      fam.added = [];
      fam.dead = 0;
    }
    if (this.wantsLayout(fam)) {
      this.relayout(name, fam);
      from ??= identity(fam.sorted.length);
    }
    if (from !== undefined) deriveSelection(fam.sorted, prev, from);
    return fam.sorted;
  }

  private wantsLayout(fam: Family): boolean {
    return fam.size >= RELAYOUT_MIN && fam.unordered * RELAYOUT_SHARE >= fam.size;
  }

  private disorder(s: WSeries): void {
    const fam = this.byName.get(s.labels[METRIC_NAME] ?? '');
    if (fam) fam.unordered++;
  }

  /**
   * Lay a family out in labels order, as the evaluator visits it: each series becomes a new object
   * with its samples moved to fresh slab space, one after the other, so a scan reads memory in order
   * instead of jumping across a heap of gigabytes. The family's cached selections (holding the old
   * objects) are void from here on; the evaluator's position caches carry over.
   */
  private relayout(name: string, fam: Family): void {
    fam.unordered = 0;
    const prev = fam.sorted;
    const out: WSeries[] = new Array(prev.length);
    for (let i = 0; i < prev.length; i++) {
      const o = prev[i]!;
      // the shape of add()'s objects
      const s: WSeries = {
        labels: o.labels,
        key: o.key,
        keepMs: o.keepMs,
        t: o.t,
        v: o.v,
        base: o.base,
        cap: o.cap,
        cls: o.cls,
        slab: o.slab,
        start: o.start,
        end: o.end,
        dead: false,
      };
      this.move(s, s.cls, true);
      this.byKey.set(s.key, s);
      out[i] = s;
    }
    fam.sorted = out;
    this.bump(name);
  }

  stats(): WindowStats {
    const n = this.byKey.size;
    return {
      series: n,
      samples: this.samples,
      // the slabs (sample buffers, including free segments) + per series: its key string and overhead
      bytes: this.slabs.bytes + this.keyBytes + SERIES_OVERHEAD * n,
      outOfOrder: this.outOfOrder,
      dropped: { ...this.dropped },
    };
  }
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

const matcherKeys = new WeakMap<readonly Matcher[], string>();

/** A matcher list as a string (cached per list: a rule's selectors are the same arrays each cycle). */
function cacheKey(ms: readonly Matcher[]): string {
  let k = matcherKeys.get(ms);
  if (k === undefined) {
    k = ms.map((m) => `${m.name}\x00${m.type}\x00${m.value}`).join('\x01');
    matcherKeys.set(ms, k);
  }
  return k;
}

/**
 * The window's key of a label set: its labelsKey (names sorted, empty values left out), computed
 * without building a frozen copy first (the fan-out's label objects are new per report).
 */
function plainKey(l: LabelSet): string {
  if (labelsMeta(l as Labels) !== undefined) return labelsKey(l as Labels);
  const names = Object.keys(l);
  let sorted = true;
  for (let i = 1; i < names.length; i++) if (names[i - 1]! > names[i]!) sorted = false;
  if (!sorted) names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let k = '';
  for (const n of names) {
    const v = l[n]!;
    if (v !== '') k += `${n}\x00${v}\x01`;
  }
  return k;
}
