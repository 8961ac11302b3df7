/**
 * Seeded generator of input series for the differential tests: counters with resets, gauges with
 * gaps, staleness markers and NaN, series that appear and leave (label churn), classic histograms and
 * an info metric for group_left. Deterministic for a seed.
 */
import { isStaleNaN, STALE_NAN } from '../eval.js';
import { compareLabels, type Labels, makeLabels } from '../labels.js';

export interface GenSeries {
  labels: Labels;
  t: number[];
  /** Float64Array so stale markers keep their bit pattern. */
  v: Float64Array;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenOptions {
  seed: number;
  /** First sample time, ms. */
  start: number;
  /** Data span, ms. */
  spanMs: number;
  intervalMs: number;
}

/**
 * Split off late samples: from some series, a few samples (never the first or the last, never a stale
 * marker) that arrive in a second write, after newer ones — as an agent's spool delivers after an outage.
 */
export function splitLate(series: GenSeries[], seed: number): { first: GenSeries[]; late: GenSeries[] } {
  const rnd = mulberry32(seed);
  const first: GenSeries[] = [];
  const late: GenSeries[] = [];
  for (const s of series) {
    const keep: number[] = [];
    const hold: number[] = [];
    for (let i = 0; i < s.t.length; i++) {
      const marker = isStaleNaN(s.v[i]!);
      if (i > 0 && i < s.t.length - 1 && !marker && rnd() < 0.08) hold.push(i);
      else keep.push(i);
    }
    first.push(pick(s, keep));
    if (hold.length > 0) late.push(pick(s, hold));
  }
  return { first, late };
}

function pick(s: GenSeries, idx: number[]): GenSeries {
  const v = new Float64Array(idx.length);
  idx.forEach((i, k) => {
    v[k] = s.v[i]!;
  });
  return { labels: s.labels, t: idx.map((i) => s.t[i]!), v };
}

export function generate(o: GenOptions): GenSeries[] {
  const rnd = mulberry32(o.seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const out: GenSeries[] = [];
  const steps = Math.floor(o.spanMs / o.intervalMs);
  const jitter = () => Math.floor((rnd() - 0.5) * o.intervalMs * 0.2);
  const times = (from: number, to: number, gapP: number) => {
    const ts: number[] = [];
    let gap = 0;
    for (let i = from; i < to; i++) {
      if (gap > 0) {
        gap--;
        continue;
      }
      if (rnd() < gapP) {
        gap = 1 + Math.floor(rnd() * 8);
        continue;
      }
      ts.push(o.start + i * o.intervalMs + jitter());
    }
    return ts;
  };
  const push = (labels: Record<string, string>, ts: number[], vals: number[], staleAtEnd = false, staleAt: number[] = []) => {
    const t = [...ts];
    const v = [...vals];
    // stale markers inside the series: the sample at those indices becomes a marker
    const f = new Float64Array(v.length + (staleAtEnd ? 1 : 0));
    f.set(v);
    for (const i of staleAt) if (i < f.length) f[i] = STALE_NAN;
    if (staleAtEnd) {
      t.push((t.at(-1) ?? o.start) + o.intervalMs);
      f[f.length - 1] = STALE_NAN;
    }
    out.push({ labels: makeLabels(labels), t, v: f });
  };

  const jobs = ['a', 'b'];
  const instances = ['i1', 'i2', 'i3'];
  // counters with resets and gaps
  for (const job of jobs)
    for (const instance of instances) {
      const ts = times(0, steps, 0.03);
      let c = Math.floor(rnd() * 1000);
      const vals = ts.map(() => {
        if (rnd() < 0.03) c = Math.floor(rnd() * 5);
        else c += Math.floor(rnd() * 20) + (rnd() < 0.3 ? 0.5 : 0);
        return c;
      });
      push({ __name__: 'dt_counter_total', job, instance }, ts, vals);
    }
  // gauges (two modes) with occasional stale markers in the middle
  for (const job of jobs)
    for (const instance of instances)
      for (const mode of ['user', 'system']) {
        const ts = times(0, steps, 0.05);
        let g = rnd() * 100 - 20;
        const vals = ts.map(() => {
          g += (rnd() - 0.5) * 10;
          return Math.round(g * 1000) / 1000;
        });
        const stale = rnd() < 0.4 ? [Math.floor(rnd() * ts.length)] : [];
        push({ __name__: 'dt_gauge', job, instance, mode }, ts, vals, false, stale);
      }
  // a second gauge for one-to-one matching (no mode label)
  for (const job of jobs)
    for (const instance of instances) {
      const ts = times(0, steps, 0.04);
      const vals = ts.map(() => Math.round(rnd() * 50 * 100) / 100 - 5);
      push({ __name__: 'dt_other', job, instance }, ts, vals);
    }
  // info metric (version label) for group_left/group_right
  for (const instance of instances) {
    const ts = times(0, steps, 0);
    push(
      { __name__: 'dt_info', instance, version: `v${Math.floor(rnd() * 3)}` },
      ts,
      ts.map(() => 1),
    );
  }
  // churn: series that appear late and/or leave with a stale marker or silently
  for (let k = 0; k < 6; k++) {
    const from = Math.floor(rnd() * steps * 0.6);
    const to = Math.min(steps, from + 10 + Math.floor(rnd() * steps * 0.5));
    const ts = times(from, to, 0.02);
    let g = Math.floor(rnd() * 10);
    const vals = ts.map(() => (g += Math.floor(rnd() * 3)));
    push({ __name__: 'dt_churn', pod: `p${k}`, job: pick(jobs) }, ts, vals, rnd() < 0.5);
  }
  // the same labels under two names, one after the other: a clash only a whole range query sees
  {
    const half = Math.floor(steps / 2);
    const early = times(0, half, 0);
    const late = times(half + 24, steps, 0); // after the lookback of the last early sample
    push(
      { __name__: 'dt_early', k: '1' },
      early,
      early.map((_, i) => i * 3),
    );
    push(
      { __name__: 'dt_late', k: '1' },
      late,
      late.map((_, i) => i * 2),
    );
  }
  // label values where Go's and JavaScript's regular expressions read characters differently
  {
    const values = ['a\rb', 'line\nbreak', '中文\u3000x', '😀', 'web-01:9100', 'Mixed Case', 'a\u2028b', ''];
    values.forEach((v, k) => {
      const ts = times(0, steps, 0.02);
      push(
        { __name__: 'dt_text', v, k: String(k) },
        ts,
        ts.map(() => k),
      );
    });
  }
  // gauge with NaN and ±Inf values
  for (const instance of ['i1', 'i2']) {
    const ts = times(0, steps, 0.02);
    const vals = ts.map(() => {
      const r = rnd();
      if (r < 0.05) return Number.NaN;
      if (r < 0.07) return Infinity;
      if (r < 0.09) return -Infinity;
      return Math.round(rnd() * 1000) / 10;
    });
    push({ __name__: 'dt_special', instance }, ts, vals);
  }
  // classic histogram: cumulative buckets per job
  const les = ['0.1', '0.5', '1', '2.5', '+Inf'];
  for (const job of jobs) {
    const ts = times(0, steps, 0);
    const counts = les.map(() => 0);
    const rows = ts.map(() => {
      const n = Math.floor(rnd() * 10);
      for (let i = 0; i < n; i++) {
        const x = rnd() * 3;
        for (let b = 0; b < les.length; b++) if (x <= Number(les[b] === '+Inf' ? Infinity : les[b])) counts[b]!++;
      }
      return [...counts];
    });
    for (let b = 0; b < les.length; b++)
      push(
        { __name__: 'dt_hist_bucket', job, le: les[b]! },
        ts,
        rows.map((r) => r[b]!),
      );
  }
  out.sort((a, b) => compareLabels(a.labels, b.labels));
  return out;
}
