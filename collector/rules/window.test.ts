import { describe, expect, it } from 'vitest';
import { parseExpr } from './engine.js';
import { evalInstant, labelsKey, makeLabels, type SeriesData } from './promql/index.js';
import { RuleWindow } from './window.js';

const M = 60_000;

/** A window keeping `x` for `keepMin` minutes. */
function windowFor(keepMin: number): RuleWindow {
  const w = new RuleWindow();
  const e = parseExpr('x');
  const o = parseExpr('other');
  if (e.kind !== 'vector' || o.kind !== 'vector') throw new Error('unexpected AST');
  w.configure(
    [
      { matchers: e.matchers, keepMs: keepMin * M },
      { matchers: o.matchers, keepMs: keepMin * M },
    ],
    keepMin * M,
  );
  return w;
}

function live(s: SeriesData): { t: number[]; v: number[] } {
  const t = Array.from(s.t).slice(s.start, s.end);
  const v = Array.from(s.v).slice(s.start, s.end);
  return { t: t.map((x) => x / M), v };
}

function only(w: RuleWindow): SeriesData {
  const e = parseExpr('x');
  if (e.kind !== 'vector') throw new Error('unexpected AST');
  const sel = w.selectSorted(e.matchers, 0, Number.MAX_SAFE_INTEGER);
  expect(sel).toHaveLength(1);
  return sel[0]!;
}

describe('rule window: late samples (older than the newest of their series)', () => {
  // appends: [minute, value]; keep 6 min; expected live samples (minutes, values) and counters
  it.each([
    {
      name: 'in time order',
      keep: 6,
      appends: [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
      t: [0, 1, 2],
      v: [1, 2, 3],
      kept: [true, true, true],
      ooo: 0,
      late: 0,
    },
    {
      name: 'same timestamp replaces the value',
      keep: 6,
      appends: [
        [0, 1],
        [1, 2],
        [1, 9],
      ],
      t: [0, 1],
      v: [1, 9],
      kept: [true, true, true],
      ooo: 0,
      late: 0,
    },
    {
      name: 'late within the keep: inserted at its time',
      keep: 6,
      appends: [
        [0, 1],
        [2, 3],
        [1, 2],
      ],
      t: [0, 1, 2],
      v: [1, 2, 3],
      kept: [true, true, true],
      ooo: 1,
      late: 0,
    },
    {
      name: 'late at an existing older timestamp replaces it',
      keep: 6,
      appends: [
        [0, 1],
        [1, 2],
        [2, 3],
        [1, 7],
      ],
      t: [0, 1, 2],
      v: [1, 7, 3],
      kept: [true, true, true, true],
      ooo: 0,
      late: 0,
    },
    {
      name: 'late before the first sample',
      keep: 6,
      appends: [
        [3, 3],
        [4, 4],
        [1, 1],
      ],
      t: [1, 3, 4],
      v: [1, 3, 4],
      kept: [true, true, true],
      ooo: 1,
      late: 0,
    },
    {
      name: 'exactly keep before the newest: inserted',
      keep: 6,
      appends: [
        [10, 10],
        [4, 4],
      ],
      t: [4, 10],
      v: [4, 10],
      kept: [true, true],
      ooo: 1,
      late: 0,
    },
    {
      name: 'more than keep before the newest: dropped, counted late',
      keep: 6,
      appends: [
        [10, 10],
        [3, 3],
      ],
      t: [10],
      v: [10],
      kept: [true, false],
      ooo: 0,
      late: 1,
    },
    {
      name: 'late into a full segment (grows)',
      keep: 60,
      appends: [
        [0, 0],
        [2, 2],
        [3, 3],
        [4, 4],
        [1, 1],
        [5, 5],
      ],
      t: [0, 1, 2, 3, 4, 5],
      v: [0, 1, 2, 3, 4, 5],
      kept: [true, true, true, true, true, true],
      ooo: 1,
      late: 0,
    },
    {
      name: 'many late samples in reverse order',
      keep: 60,
      appends: [[20, 20], ...Array.from({ length: 19 }, (_v, i) => [19 - i, 19 - i])],
      t: Array.from({ length: 20 }, (_v, i) => i + 1),
      v: Array.from({ length: 20 }, (_v, i) => i + 1),
      kept: Array.from({ length: 20 }, () => true),
      ooo: 19,
      late: 0,
    },
  ])('$name', ({ keep, appends, t, v, kept, ooo, late }) => {
    const w = windowFor(keep);
    expect(appends.map(([m, x]) => w.append({ __name__: 'x', a: '1' }, m! * M, x!))).toEqual(kept);
    expect(live(only(w))).toEqual({ t, v });
    const st = w.stats();
    expect(st.samples).toBe(t.length);
    expect(st.outOfOrder).toBe(ooo);
    expect(st.dropped.late).toBe(late);
  });

  it('a late sample after a trim lands between the kept ones', () => {
    const w = windowFor(6);
    for (let m = 0; m <= 20; m += 2) w.append({ __name__: 'x' }, m * M, m);
    w.trim(20 * M);
    expect(live(only(w)).t).toEqual([14, 16, 18, 20]);
    expect(w.append({ __name__: 'x' }, 15 * M, 15)).toBe(true);
    // 13 is more than the 6 min keep before the newest (20): the next trim would drop it anyway
    expect(w.append({ __name__: 'x' }, 13 * M, 13)).toBe(false);
    expect(live(only(w))).toEqual({ t: [14, 15, 16, 18, 20], v: [14, 15, 16, 18, 20] });
    w.trim(21 * M);
    expect(live(only(w)).t).toEqual([15, 16, 18, 20]);
    expect(w.stats()).toMatchObject({ samples: 4, outOfOrder: 1, dropped: { late: 1, series_limit: 0 } });
  });

  it('an evaluation after the late sample arrived reads it at its own time', () => {
    const w = windowFor(11);
    for (const m of [0, 1, 2, 4, 5]) w.append({ __name__: 'x', node: 'n' }, m * M, m * 10);
    const q = (e: string, at: number) => {
      const r = evalInstant(parseExpr(e), at * M, w);
      return r.type === 'vector' ? r.samples.map((s) => s.value) : [];
    };
    expect(q('x', 3.5)).toEqual([20]);
    expect(q('count_over_time(x[10m])', 5)).toEqual([5]);
    // the sample of minute 3, spooled, arrives after minute 5
    expect(w.append({ __name__: 'x', node: 'n' }, 3 * M, 30)).toBe(true);
    expect(q('x', 3.5)).toEqual([30]);
    expect(q('count_over_time(x[10m])', 5)).toEqual([6]);
  });
});

describe('rule window: cached selections', () => {
  it('follow series added and removed, in labels order', () => {
    const w = windowFor(6);
    const e = parseExpr('x');
    if (e.kind !== 'vector') throw new Error('unexpected AST');
    const keys = () => w.selectSorted(e.matchers, 0, 0).map((s) => s.labels.i);
    w.append({ __name__: 'x', i: 'b' }, 0, 1);
    w.append({ __name__: 'x', i: 'c' }, 0, 1);
    expect(keys()).toEqual(['b', 'c']);
    expect(w.selectSorted(e.matchers, 0, 0)).toBe(w.selectSorted(e.matchers, 0, 0));
    // a series of another family leaves the selection of x cached; one of x does not
    const before = w.selectSorted(e.matchers, 0, 0);
    w.append({ __name__: 'other', i: 'z' }, 0, 1);
    expect(w.selectSorted(e.matchers, 0, 0)).toBe(before);
    w.append({ __name__: 'x', i: 'a' }, 5 * M, 1);
    expect(w.selectSorted(e.matchers, 0, 0)).not.toBe(before);
    expect(keys()).toEqual(['a', 'b', 'c']);
    w.trim(10 * M);
    expect(keys()).toEqual(['a']);
    expect(w.stats()).toMatchObject({ series: 1, samples: 1 });
  });

  it('keep the label set as given (empty values dropped), its key cached, nothing extra visible', () => {
    const w = windowFor(6);
    w.append({ zone: 'z', __name__: 'x', empty: '', a: '1' }, 0, 1);
    const l = only(w).labels;
    expect(l).toEqual({ __name__: 'x', a: '1', zone: 'z' });
    expect(Object.keys(l)).toEqual(['__name__', 'a', 'zone']);
    expect(JSON.stringify(l)).toBe('{"__name__":"x","a":"1","zone":"z"}');
    expect({ ...l }).toEqual({ __name__: 'x', a: '1', zone: 'z' });
    expect(Object.isFrozen(l)).toBe(true);
    expect(labelsKey(l)).toBe(labelsKey(makeLabels({ a: '1', __name__: 'x', zone: 'z' })));
  });
});

describe('rule window: a large family kept in labels order and laid out in it', () => {
  // 5 000 series (over the 4 096 from which a family is laid out again), created node by node as
  // agents report them, so labels order (if before node) differs from creation order
  const exprs = [
    'x',
    'rate(x[5m])',
    'sum by (node) (rate(x[5m]))',
    'x{if="if3"} > 0',
    'x / on(node, if) x',
    'x > 0 and on(node, if) x{if="if1"}',
    'count_over_time(x[10m])',
  ].map(parseExpr);
  const labels = (i: number) => ({ __name__: 'x', node: `node-${Math.floor(i / 10)}`, if: `if${i % 10}` });
  const feed = (w: { append(l: Record<string, string>, t: number, v: number): unknown }, from: number, to: number, series = [0, 5000]) => {
    for (let m = from; m < to; m++)
      for (let i = series[0]!; i < series[1]!; i++) w.append(labels(i), m * M, (i + 1) * (m + 1) + (m === 4 && i % 7 === 0 ? -i : 0));
  };
  const results = (q: Parameters<typeof evalInstant>[2], at: number) =>
    exprs.map((e) => {
      const r = evalInstant(e, at * M, q);
      return r.type === 'vector' ? r.samples.map((s) => `${labelsKey(s.labels)} ${s.value}`) : [];
    });
  const matchers = (text: string) => {
    const e = parseExpr(text);
    if (e.kind !== 'vector') throw new Error('unexpected AST');
    return e.matchers;
  };

  it('answers as a plain store does as series join and samples arrive', async () => {
    const { MemoryQueryable } = await import('./promql/index.js');
    const w = windowFor(11);
    const mem = new MemoryQueryable();
    feed(w, 0, 6);
    feed(mem, 0, 6);
    const part = w.selectSorted(matchers('x{if="if3"}'), 0, 0);
    expect(part).toHaveLength(500);
    const first = results(w, 5.5);
    expect(first).toEqual(results(mem, 5.5));
    expect(first[0]).toHaveLength(5000);
    const whole = w.selectSorted(matchers('x'), 0, 0);
    expect(part.every((s) => whole.includes(s))).toBe(true);
    // 800 more series (over an eighth of the family): merged in order and laid out again, so the
    // selections taken before hold objects the window no longer writes to, and are not handed out
    feed(w, 0, 6, [5000, 5800]);
    feed(mem, 0, 6, [5000, 5800]);
    const part2 = w.selectSorted(matchers('x{if="if3"}'), 0, 0);
    expect(part2).toHaveLength(580);
    const byKey = new Map(part2.map((s) => [labelsKey(s.labels), s]));
    expect(part.some((s) => byKey.get(labelsKey(s.labels)) === s)).toBe(false);
    expect(results(w, 5.5)).toEqual(results(mem, 5.5));
    // samples appended after the layout land in the laid-out series
    feed(w, 6, 9, [0, 5800]);
    feed(mem, 6, 9, [0, 5800]);
    expect(results(w, 8.5)).toEqual(results(mem, 8.5));
    expect(w.stats()).toMatchObject({ series: 5800, samples: 5800 * 9 });
    // (those samples grew every segment, so the family was laid out once more, taking this selection)
    const part3 = w.selectSorted(matchers('x{if="if3"}'), 0, 0);
    expect(part3.some((s, i) => s === part2[i])).toBe(false);
    // a few joining series are merged without a new layout: the others keep their objects
    feed(w, 8, 9, [5800, 5810]);
    feed(mem, 8, 9, [5800, 5810]);
    const part4 = w.selectSorted(matchers('x{if="if3"}'), 0, 0);
    expect(part4).toHaveLength(581);
    expect(part3.every((s) => part4.includes(s))).toBe(true);
    expect(results(w, 8.5)).toEqual(results(mem, 8.5));
    w.trim(15 * M);
    expect(w.stats()).toMatchObject({ series: 5810, samples: 5800 * 5 + 10 });
  });
});
