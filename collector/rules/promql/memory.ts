/**
 * A simple in-memory Queryable: series appended (mostly) in time order, indexed by metric name, values in
 * Float64Array chunks (so stale markers keep their bit pattern), binary search on time in the
 * evaluator. For tests and small windows; the rules engine's window implements the same interface.
 */
import type { Matcher } from './ast.js';
import type { Queryable, SeriesData } from './eval.js';
import { type Labels, labelsKey, makeLabels, matchesAll, METRIC_NAME } from './labels.js';
import { lowerBound } from './bounds.js';

interface MemSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  n: number;
  /** The SeriesData handed out, until the next append. */
  view?: SeriesData;
}

export class MemoryQueryable implements Queryable {
  private readonly byKey = new Map<string, MemSeries>();
  private readonly byName = new Map<string, MemSeries[]>();
  private changes = 0;

  /** Changes with every append (see Queryable.version). */
  version(): number {
    return this.changes;
  }

  /**
   * Add one sample. In time order it is an append; a late sample (older than the series' newest) is
   * inserted at its place, so an evaluation sees data at the time it was measured. A sample at an
   * existing timestamp replaces the value.
   */
  append(labels: Labels | Record<string, string>, t: number, v: number): void {
    const l = Object.isFrozen(labels) ? (labels as Labels) : makeLabels(labels as Record<string, string>);
    const k = labelsKey(l);
    this.changes++;
    let s = this.byKey.get(k);
    if (!s) {
      s = { labels: l, t: new Float64Array(8), v: new Float64Array(8), n: 0 };
      this.byKey.set(k, s);
      const name = l[METRIC_NAME] ?? '';
      const list = this.byName.get(name);
      if (list) list.push(s);
      else this.byName.set(name, [s]);
    }
    s.view = undefined;
    let at = s.n;
    if (s.n > 0 && t <= s.t[s.n - 1]!) {
      // a late sample: binary search its place; the same timestamp replaces the value
      const lo = lowerBound(s.t, t, 0, s.n);
      if (s.t[lo] === t) {
        s.v[lo] = v;
        return;
      }
      at = lo;
    }
    if (s.n === s.t.length) {
      const nt = new Float64Array(s.t.length * 2);
      nt.set(s.t);
      const nv = new Float64Array(s.v.length * 2);
      nv.set(s.v);
      s.t = nt;
      s.v = nv;
    }
    if (at < s.n) {
      s.t.copyWithin(at + 1, at, s.n);
      s.v.copyWithin(at + 1, at, s.n);
    }
    s.t[at] = t;
    s.v[at] = v;
    s.n++;
  }

  /** Number of series held. */
  get size(): number {
    return this.byKey.size;
  }

  *select(matchers: readonly Matcher[], minT: number, maxT: number): Iterable<SeriesData> {
    const nameEq = matchers.find((m) => m.name === METRIC_NAME && m.type === '=');
    const candidates = nameEq ? (this.byName.get(nameEq.value) ?? []) : [...this.byName.values()].flat();
    for (const s of candidates) {
      if (s.n === 0 || s.t[s.n - 1]! < minT || s.t[0]! > maxT) continue;
      if (!matchesAll(matchers, s.labels)) continue;
      s.view ??= { labels: s.labels, t: s.t.subarray(0, s.n), v: s.v.subarray(0, s.n) };
      yield s.view;
    }
  }
}
