import { describe, expect, it } from 'vitest';
import { evalInstant, exprKey, MemoryQueryable, parse, SharedResults, sharedUses } from './index.js';

const M = 60_000;

describe('exprKey: equal exactly when two expressions evaluate alike', () => {
  it.each([
    ['rate(x[5m])', 'rate( x [5m] )', true],
    ['rate(x[5m])', 'rate(x[300s])', true],
    ['(x)', 'x', true],
    ['sum by (b, a) (x)', 'sum by (a, b) (x)', true],
    ['x', 'x offset 1m', false],
    ['x offset 1m', 'x offset 60s', true],
    ['x', 'x @ 100', false],
    ['x @ start()', 'x @ end()', false],
    ['x{a="b"}', 'x{a="c"}', false],
    ['x{a="b"}', 'x{a=~"b"}', false],
    ['x{a="b",c="d"}', 'x{c="d",a="b"}', false],
    ['rate(x[5m])', 'rate(x[6m])', false],
    ['rate(x[5m])', 'irate(x[5m])', false],
    ['sum by (a) (x)', 'sum without (a) (x)', false],
    ['topk(2, x)', 'topk(3, x)', false],
    ['x / on(a) y', 'x / ignoring(a) y', false],
    ['x / on(a) group_left(b) y', 'x / on(a) group_left y', false],
    ['x > 1', 'x > bool 1', false],
    ['x - y', 'y - x', false],
    ['0 * x', '-0 * x', false],
    ['-x', 'x', false],
    ['label_replace(x, "a", "$1", "b", "(.*)")', 'label_replace(x, "a", "$1", "b", "(.+)")', false],
  ])('%s vs %s: %s', (a, b, same) => {
    expect(exprKey(parse(a)) === exprKey(parse(b))).toBe(same);
  });
});

describe('sharedUses: what a batch evaluates more than once', () => {
  it.each([
    { exprs: ['x > 1', 'y > 1'], uses: {} },
    { exprs: ['x > 1', 'x < 0'], uses: { x: 2 } },
    { exprs: ['rate(x[5m]) > 1', 'sum(rate(x[5m]))', 'rate(x[5m]) / y'], uses: { 'rate(x[5m])': 3 } },
    // the whole of `rate(x[5m]) > 1` is shared: its inner rate is computed once, inside it
    { exprs: ['rate(x[5m]) > 1', 'rate(x[5m]) > 1'], uses: { 'rate(x[5m]) > 1': 2 } },
    { exprs: ['x + x'], uses: { x: 2 } },
    { exprs: ['(x) > 1', 'x < 1'], uses: { x: 2 } },
    { exprs: ['1 + 1', '1 + 1 > bool 0'], uses: { '1 + 1': 2 } },
  ])('$exprs', ({ exprs, uses }) => {
    const want = new Map(Object.entries(uses).map(([e, n]) => [exprKey(parse(e)), n]));
    expect(sharedUses(exprs.map((e) => parse(e)))).toEqual(want);
  });
});

describe('SharedResults', () => {
  const store = () => {
    const q = new MemoryQueryable();
    for (let m = 0; m <= 10; m++) for (const i of ['a', 'b', 'c']) q.append({ __name__: 'x', i }, m * M, m * (i.charCodeAt(0) - 96));
    return q;
  };
  const batch = ['rate(x[5m]) > 0.01', 'sum(rate(x[5m]))', 'count(x) + count(x)', 'x > 5', 'x'];
  const run = (q: MemoryQueryable, shared?: SharedResults, at = 10 * M) =>
    batch.map((e) => {
      const r = evalInstant(parse(e), at, q, shared ? { shared } : {});
      return r.type === 'vector' ? r.samples : [];
    });

  it('returns what each query alone returns', () => {
    const exprs = batch.map((e) => parse(e));
    const shared = new SharedResults(exprs);
    expect(shared.size).toBe(3);
    const q = store();
    const alone = run(q);
    const together = batch.map((_e, i) => {
      const r = evalInstant(exprs[i]!, 10 * M, q, { shared });
      return r.type === 'vector' ? r.samples : [];
    });
    expect(together).toEqual(alone);
    expect(alone[1]![0]!.value).toBeCloseTo((1 + 2 + 3) / 60, 12);
    expect(alone[2]![0]!.value).toBe(6);
  });

  it('two batches taking turns at one time each answer as a fresh evaluation does', () => {
    const q = store();
    for (let m = 0; m <= 10; m++) q.append({ __name__: 'y', i: 'a' }, m * M, 1000 + m);
    const a = ['x * 2', 'x * 2 > 1'].map((e) => parse(e));
    const b = ['y * 3', 'y * 3 > 1'].map((e) => parse(e));
    const sa = new SharedResults(a);
    const sb = new SharedResults(b);
    const values = (e: ReturnType<typeof parse>, shared?: SharedResults) => {
      const r = evalInstant(e, 10 * M, q, shared ? { shared } : {});
      return r.type === 'vector' ? r.samples.map((s) => s.value) : [];
    };
    expect(values(a[0]!, sa)).toEqual([20, 40, 60]);
    // b keeps `y * 3` where a kept `x * 2`: a's second query must not read b's columns
    expect(values(b[0]!, sb)).toEqual([3030]);
    expect(values(a[1]!, sa)).toEqual(values(a[1]!));
    expect(values(a[1]!)).toEqual([20, 40, 60]);
    expect(values(b[1]!, sb)).toEqual([3030]);
  });

  it('forgets kept results when the store changes, the time changes or the batch ends', () => {
    const exprs = ['count(x)', 'count(x)'].map((e) => parse(e));
    const shared = new SharedResults(exprs);
    const q = store();
    const count = (i: number, at = 10 * M) => {
      const r = evalInstant(exprs[i]!, at, q, { shared });
      return r.type === 'vector' ? r.samples[0]?.value : undefined;
    };
    expect(count(0)).toBe(3);
    // a recording rule between the two wrote a series the second one selects
    q.append({ __name__: 'x', i: 'd' }, 10 * M, 1);
    expect(count(1)).toBe(4);
    // another time: evaluated afresh (nothing is within the lookback at minute 20)
    expect(count(0, 14 * M)).toBe(4);
    expect(count(1, 20 * M)).toBeUndefined();
    shared.end();
    expect(count(0)).toBe(4);
  });
});
