/**
 * A simple in-memory Queryable: series appended in time order, indexed by metric name, values in
 * Float64Array chunks (so stale markers keep their bit pattern), binary search on time in the
 * evaluator. For tests and small windows; the rules engine's window implements the same interface.
 */
import type { Matcher } from './ast.js';
import type { Queryable, SeriesData } from './eval.js';
import { type Labels, labelsKey, makeLabels, matchesAll, METRIC_NAME } from './labels.js';

interface MemSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  n: number;
}

export class MemoryQueryable implements Queryable {
  private readonly byKey = new Map<string, MemSeries>();
  private readonly byName = new Map<string, MemSeries[]>();

  /** Append one sample; timestamps of a series must not decrease (equal: the sample is replaced). */
  append(labels: Labels | Record<string, string>, t: number, v: number): void {
    const l = Object.isFrozen(labels) ? (labels as Labels) : makeLabels(labels as Record<string, string>);
    const k = labelsKey(l);
    let s = this.byKey.get(k);
    if (!s) {
      s = { labels: l, t: new Float64Array(8), v: new Float64Array(8), n: 0 };
      this.byKey.set(k, s);
      const name = l[METRIC_NAME] ?? '';
      const list = this.byName.get(name);
      if (list) list.push(s);
      else this.byName.set(name, [s]);
    }
    if (s.n > 0) {
      const last = s.t[s.n - 1]!;
      if (t < last) throw new Error(`out-of-order sample for ${k.replaceAll('\xff', '=').replaceAll('\xfe', ',')}: ${t} < ${last}`);
      if (t === last) {
        s.v[s.n - 1] = v;
        return;
      }
    }
    if (s.n === s.t.length) {
      const nt = new Float64Array(s.t.length * 2);
      nt.set(s.t);
      const nv = new Float64Array(s.v.length * 2);
      nv.set(s.v);
      s.t = nt;
      s.v = nv;
    }
    s.t[s.n] = t;
    s.v[s.n] = v;
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
      yield { labels: s.labels, t: s.t.subarray(0, s.n), v: s.v.subarray(0, s.n) };
    }
  }
}
