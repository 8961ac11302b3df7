import { describe, expect, it } from 'vitest';
import { evalInstant, evalInstantRaw, evalRange, goPow, type InstantResult, isStaleNaN, STALE_NAN } from './eval.js';
import { formatGoFloat, formatPromValue, labelsKey, makeLabels } from './labels.js';
import { MemoryQueryable } from './memory.js';
import { sampleWindow } from './ast.js';
import { parse } from './parse.js';
import { load } from './testing/load.js';

const M = 60_000;

/** `{a="b"} 1` lines → map for set comparison; a scalar is `scalar 1`. */
function expected(lines: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of lines) {
    const x = /^(\w*)(\{.*\})?\s+(\S+)$/.exec(l.trim())!;
    const labels: Record<string, string> = {};
    if (x[1] && x[1] !== 'scalar') labels.__name__ = x[1];
    for (const p of (x[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[p[1]!] = p[2]!;
    m.set(x[1] === 'scalar' ? 'scalar' : labelsKey(makeLabels(labels)), x[3]!);
  }
  return m;
}

function actual(r: InstantResult): Map<string, string> {
  if (r.type === 'scalar') return new Map([['scalar', formatGoFloat(r.value)]]);
  if (r.type === 'string') return new Map([['string', r.value]]);
  return new Map(r.samples.map((s) => [labelsKey(s.labels), formatGoFloat(s.value)]));
}

interface Case {
  name: string;
  data: string;
  interval?: number;
  expr: string;
  at: number;
  want?: string[];
  error?: RegExp;
}

const counters = `
http_requests{path="/foo"} 1 2 3 0 1 0 0 1 2 0
http_requests{path="/bar"} 1 2 3 4 5 1 2 3 4 5
http_requests{path="/biz"} 0 0 0 0 0 1 1 1 1 1`;

const CASES: Case[] = [
  // selection, lookback, staleness
  { name: 'lookback includes a sample exactly 5m old', data: 'x 1', expr: 'x', at: 5 * M, want: ['x 1'] },
  { name: 'lookback excludes a sample 5m + 1ms old', data: 'x 1', expr: 'x', at: 5 * M + 1, want: [] },
  { name: 'a stale marker ends the series at once', data: 'x 1 stale 3', expr: 'x', at: 5 * M + 30_000, want: [] },
  { name: 'the series returns after the stale marker', data: 'x 1 stale 3', expr: 'x', at: 10 * M, want: ['x 3'] },
  { name: 'range selectors skip stale markers', data: 'x 1 stale 3', expr: 'count_over_time(x[10m])', at: 10 * M, want: ['{} 2'] },
  { name: 'windows are closed on the left in 2.x ([t-5m, t])', data: 'x 1 2 3', expr: 'count_over_time(x[5m])', at: 10 * M, want: ['{} 2'] },
  { name: 'offset moves the window back', data: 'x 1 2 3', expr: 'x offset 5m', at: 10 * M, want: ['x 2'] },
  { name: 'negative offset looks ahead', data: 'x 1 2 3', expr: 'x offset -5m', at: 0, want: ['x 2'] },
  { name: '@ pins the evaluation time', data: 'x 1 2 3', expr: 'x @ 300', at: 10 * M, want: ['x 2'] },
  { name: 'timestamp() is the sample time', data: 'x 1 _ _', expr: 'timestamp(x)', at: 4 * M, want: ['{} 0'] },
  { name: 'timestamp() of an expression is the evaluation time', data: 'x 1', expr: 'timestamp(x * 1)', at: 4 * M, want: ['{} 240'] },
  // timestamp(x @ t offset d), 2.42: trimmed to [t-d-5m, t-d], looked up at t with the lookback from t
  { name: 'timestamp(x @ t offset d) finds nothing when d >= lookback', data: 'x _x20 1', expr: 'timestamp(x @ 6000 offset 1h)', at: 0, want: [] },
  { name: 'timestamp(x @ t offset d) measures the lookback from t', data: 'x 1 2', interval: 250_000, expr: 'timestamp(x @ 600 offset 1m)', at: 0, want: [] },
  { name: 'timestamp(x @ t offset d) within both windows', data: 'x 1 2', interval: 250_000, expr: 'timestamp(x @ 500 offset 1m)', at: 0, want: ['{} 250'] },
  { name: 'timestamp(x @ t)', data: 'x 1 2 3', expr: 'timestamp(x @ 600)', at: 0, want: ['{} 600'] },
  // counters
  { name: 'resets over 50m', data: counters, expr: 'resets(http_requests[50m])', at: 50 * M, want: ['{path="/foo"} 3', '{path="/bar"} 1', '{path="/biz"} 0'] },
  {
    name: 'changes over 50m',
    data: counters,
    expr: 'changes(http_requests[50m])',
    at: 50 * M,
    want: ['{path="/foo"} 8', '{path="/bar"} 9', '{path="/biz"} 1'],
  },
  {
    name: 'changes: NaN to NaN is no change',
    data: 'x{a="b"} NaN NaN NaN\nx{a="c"} 0 NaN 0',
    expr: 'changes(x[15m])',
    at: 15 * M,
    want: ['{a="b"} 0', '{a="c"} 2'],
  },
  { name: 'increase across a reset', data: 'c 0 1 2 3 2 3 4', expr: 'increase(c[30m])', at: 30 * M, want: ['{} 7'] },
  { name: 'rate with a reset in the middle', data: 'c 0+10x4 0+10x5', expr: 'rate(c[50m])', at: 50 * M, want: ['{} 0.03'] },
  { name: 'rate extrapolates to the window start', data: 'c 0+80x10', expr: 'rate(c[50m])', at: 50 * M, want: ['{} 0.26666666666666666'] },
  { name: 'rate needs two samples', data: 'c 5', expr: 'rate(c[5m])', at: 0, want: [] },
  { name: 'irate uses the last two samples', data: 'c 0 10 15', expr: 'irate(c[15m])', at: 10 * M, want: ['{} 0.016666666666666666'] },
  { name: 'irate after a reset takes the last value', data: 'c 10 20 5', expr: 'irate(c[15m])', at: 10 * M, want: ['{} 0.016666666666666666'] },
  { name: 'idelta', data: 'g 10 20 5', expr: 'idelta(g[15m])', at: 10 * M, want: ['{} -15'] },
  { name: 'delta extrapolates both ends', data: 'g 0 10 20', expr: 'delta(g[20m])', at: 15 * M, want: ['{} 40'] },
  { name: 'deriv of a line', data: 'g 0+30x10', expr: 'deriv(g[10m])', at: 10 * M, want: ['{} 0.1'] },
  { name: 'deriv of a constant', data: 'g 5 5 5', expr: 'deriv(g[10m])', at: 10 * M, want: ['{} 0'] },
  // over_time
  {
    name: 'avg/sum/min/max/count/last over time',
    data: 'g 1 4 2 8',
    expr: 'avg_over_time(g[15m]) + sum_over_time(g[15m]) * 0 + max_over_time(g[15m]) - min_over_time(g[15m]) + count_over_time(g[15m])',
    at: 15 * M,
    want: ['{} 14.75'],
  },
  { name: 'last_over_time keeps the metric name', data: 'g 1 4', expr: 'last_over_time(g[10m])', at: 5 * M, want: ['g 4'] },
  { name: 'quantile_over_time interpolates', data: 'g 1 2 3 4', expr: 'quantile_over_time(0.5, g[15m])', at: 15 * M, want: ['{} 2.5'] },
  { name: 'stddev_over_time', data: 'g 2 4 4 4 5 5 7 9', expr: 'stddev_over_time(g[35m])', at: 35 * M, want: ['{} 2'] },
  { name: 'absent_over_time of nothing', data: 'g 1', expr: 'absent_over_time(nope{a="b"}[5m])', at: 0, want: ['{a="b"} 1'] },
  { name: 'absent_over_time of something', data: 'g 1', expr: 'absent_over_time(g[5m])', at: 0, want: [] },
  // instant functions
  { name: 'absent labels from equality matchers', data: 'g 1', expr: 'absent(nope{a="b",c=~"d",e="f",e="g"})', at: 0, want: ['{a="b"} 1'] },
  { name: 'absent of a present series', data: 'g 1', expr: 'absent(g)', at: 0, want: [] },
  { name: 'scalar of one sample', data: 'g 3', expr: 'scalar(g)', at: 0, want: ['scalar 3'] },
  { name: 'scalar of two samples is NaN', data: 'g{a="1"} 3\ng{a="2"} 4', expr: 'scalar(g)', at: 0, want: ['scalar NaN'] },
  { name: 'vector(time())', data: 'g 1', expr: 'vector(time())', at: 90_000, want: ['{} 90'] },
  { name: 'clamp drops the name', data: 'g{a="1"} -5\ng{a="2"} 50', expr: 'clamp(g, 0, 10)', at: 0, want: ['{a="1"} 0', '{a="2"} 10'] },
  { name: 'clamp with min > max is empty', data: 'g 1', expr: 'clamp(g, 5, 1)', at: 0, want: [] },
  {
    name: 'round to nearest, ties up',
    data: 'g{a="1"} 2.5\ng{a="2"} -2.5\ng{a="3"} 7.3',
    expr: 'round(g)',
    at: 0,
    want: ['{a="1"} 3', '{a="2"} -2', '{a="3"} 7'],
  },
  { name: 'round to 0.5', data: 'g 7.3', expr: 'round(g, 0.5)', at: 0, want: ['{} 7.5'] },
  {
    name: 'label_replace with $1',
    data: 'g{instance="host:9100"} 1',
    expr: 'label_replace(g, "host", "$1", "instance", "(.*):.*")',
    at: 0,
    want: ['g{instance="host:9100",host="host"} 1'],
  },
  {
    name: 'label_replace: $1x names group "1x" (empty), as Go',
    data: 'g{i="ab"} 1',
    expr: 'label_replace(g, "d", "$1x", "i", "(a)b")',
    at: 0,
    want: ['g{i="ab"} 1'],
  },
  { name: 'label_replace: no match leaves the series', data: 'g{i="ab"} 1', expr: 'label_replace(g, "d", "x", "i", "zz")', at: 0, want: ['g{i="ab"} 1'] },
  { name: 'label_join', data: 'g{a="1",b="2"} 1', expr: 'label_join(g, "c", "-", "a", "b", "z")', at: 0, want: ['g{a="1",b="2",c="1-2-"} 1'] },
  // histogram_quantile
  {
    name: 'histogram_quantile interpolates in the bucket',
    data: 'h_bucket{le="1"} 10\nh_bucket{le="2"} 20\nh_bucket{le="+Inf"} 20',
    expr: 'histogram_quantile(0.75, h_bucket)',
    at: 0,
    want: ['{} 1.5'],
  },
  {
    name: 'histogram_quantile in the +Inf bucket returns the highest bound',
    data: 'h_bucket{le="1"} 10\nh_bucket{le="+Inf"} 20',
    expr: 'histogram_quantile(0.9, h_bucket)',
    at: 0,
    want: ['{} 1'],
  },
  {
    name: 'histogram_quantile without +Inf is NaN',
    data: 'h_bucket{le="1"} 10\nh_bucket{le="2"} 20',
    expr: 'histogram_quantile(0.5, h_bucket)',
    at: 0,
    want: ['{} NaN'],
  },
  {
    name: 'histogram_quantile fixes non-monotonic buckets',
    data: 'h_bucket{le="1"} 10\nh_bucket{le="2"} 8\nh_bucket{le="+Inf"} 10',
    expr: 'histogram_quantile(0.5, h_bucket)',
    at: 0,
    want: ['{} 0.5'],
  },
  { name: 'histogram_quantile q > 1', data: 'h_bucket{le="1"} 10\nh_bucket{le="+Inf"} 10', expr: 'histogram_quantile(2, h_bucket)', at: 0, want: ['{} +Inf'] },
  // aggregations
  { name: 'sum by', data: 'g{a="1",b="x"} 1\ng{a="1",b="y"} 2\ng{a="2",b="x"} 4', expr: 'sum by (a) (g)', at: 0, want: ['{a="1"} 3', '{a="2"} 4'] },
  { name: 'avg without', data: 'g{a="1",b="x"} 1\ng{a="1",b="y"} 2', expr: 'avg without (b) (g)', at: 0, want: ['{a="1"} 1.5'] },
  {
    name: 'count_values formats as Go',
    data: 'g{a="1"} 1e21\ng{a="2"} 0.0000001\ng{a="3"} 1e21',
    expr: 'count_values("v", g)',
    at: 0,
    want: ['{v="1000000000000000000000"} 2', '{v="0.0000001"} 1'],
  },
  { name: 'topk keeps the name', data: 'g{a="1"} 1\ng{a="2"} 3\ng{a="3"} 2', expr: 'topk(2, g)', at: 0, want: ['g{a="2"} 3', 'g{a="3"} 2'] },
  {
    name: 'bottomk by',
    data: 'g{a="1",b="x"} 1\ng{a="2",b="x"} 3\ng{a="3",b="y"} 2',
    expr: 'bottomk by (b) (1, g)',
    at: 0,
    want: ['g{a="1",b="x"} 1', 'g{a="3",b="y"} 2'],
  },
  { name: 'quantile', data: 'g{a="1"} 1\ng{a="2"} 3\ng{a="3"} 2\ng{a="4"} 10', expr: 'quantile(0.5, g)', at: 0, want: ['{} 2.5'] },
  {
    name: 'stddev',
    data: 'g{a="1"} 2\ng{a="2"} 4\ng{a="3"} 4\ng{a="4"} 4\ng{a="5"} 5\ng{a="6"} 5\ng{a="7"} 7\ng{a="8"} 9',
    expr: 'stddev(g)',
    at: 0,
    want: ['{} 2'],
  },
  { name: 'min/max with NaN first', data: 'g{a="1"} NaN\ng{a="2"} 3', expr: 'max(g)', at: 0, want: ['{} 3'] },
  { name: 'topk(0) is empty', data: 'g 1', expr: 'topk(0, g)', at: 0, want: [] },
  // operators
  { name: 'unary minus binds looser than ^', data: 'g 1', expr: '-2 ^ 2', at: 0, want: ['scalar -4'] },
  { name: '^ is right-associative', data: 'g 1', expr: '2 ^ 3 ^ 2', at: 0, want: ['scalar 512'] },
  { name: 'offset binds tighter than -', data: 'x 1 2 3', expr: 'x - x offset 5m', at: 10 * M, want: ['{} 1'] },
  { name: 'arithmetic drops the name', data: 'x{a="1"} 3', expr: 'x * 2', at: 0, want: ['{a="1"} 6'] },
  { name: 'comparison keeps the name and the value', data: 'x{a="1"} 3\nx{a="2"} 1', expr: 'x > 2', at: 0, want: ['x{a="1"} 3'] },
  { name: 'scalar on the left of a comparison keeps the vector value', data: 'x{a="1"} 3', expr: '2 < x', at: 0, want: ['x{a="1"} 3'] },
  { name: 'bool drops the name', data: 'x{a="1"} 3\nx{a="2"} 1', expr: 'x > bool 2', at: 0, want: ['{a="1"} 1', '{a="2"} 0'] },
  { name: 'one-to-one matching', data: 'a{i="1",j="x"} 6\nb{i="1",j="x"} 2\nb{i="2",j="x"} 5', expr: 'a / b', at: 0, want: ['{i="1",j="x"} 3'] },
  { name: 'on() keeps only the matching labels', data: 'a{i="1",j="x"} 6\nb{i="1",j="y"} 2', expr: 'a / on(i) b', at: 0, want: ['{i="1"} 3'] },
  {
    name: 'group_left takes labels from the one side',
    data: 'a{i="1",j="x"} 6\na{i="1",j="y"} 4\ninfo{i="1",v="9"} 1',
    expr: 'a * on(i) group_left(v) info',
    at: 0,
    want: ['{i="1",j="x",v="9"} 6', '{i="1",j="y",v="9"} 4'],
  },
  {
    name: 'group_right comparison returns the left value',
    data: 'a{i="1"} 6\nb{i="1",j="x"} 4\nb{i="1",j="y"} 9',
    expr: 'a > on(i) group_right b',
    at: 0,
    want: ['b{i="1",j="x"} 6'],
  },
  {
    name: 'and / unless / or',
    data: 'a{i="1"} 1\na{i="2"} 2\nb{i="2"} 20\nb{i="3"} 30',
    expr: '(a and b) or (a unless b) * 10 or b',
    at: 0,
    want: ['a{i="2"} 2', '{i="1"} 10', 'b{i="3"} 30'],
  },
  { name: '% follows the sign of the dividend', data: 'g 1', expr: '-7 % 3', at: 0, want: ['scalar -1'] },
  { name: 'x / 0', data: 'x{a="1"} 1\nx{a="2"} 0\nx{a="3"} -1', expr: 'x / 0', at: 0, want: ['{a="1"} +Inf', '{a="2"} NaN', '{a="3"} -Inf'] },
  // errors
  {
    name: 'many-to-many matching',
    data: 'a{i="1",j="x"} 1\nb{i="1",j="x"} 1\nb{i="1",j="y"} 1',
    expr: 'a + on(i) b',
    at: 0,
    error: /found duplicate series for the match group \{i="1"\} on the right hand-side/,
  },
  {
    name: 'many-to-one needs group_left',
    data: 'a{i="1",j="x"} 1\na{i="1",j="y"} 1\nb{i="1"} 1',
    expr: 'a + on(i) b',
    at: 0,
    error: /multiple matches for labels: many-to-one matching must be explicit/,
  },
  {
    name: 'duplicate labelset after dropping the name',
    data: 'a{i="1"} 1\nb{i="1"} 2',
    expr: 'rate({__name__=~"a|b"}[5m]) or abs({__name__=~"a|b"})',
    at: 0,
    error: /vector cannot contain metrics with the same labelset/,
  },
  { name: 'topk parameter out of int64', data: 'g 1', expr: 'topk(scalar(g) * 1e300 * 1e300, g)', at: 0, error: /overflows int64/ },
];

describe('evalInstant, table-driven (Prometheus 2.42 semantics)', () => {
  it.each(CASES)('$name: $expr', (c) => {
    const q = load(c.interval ?? 5 * M, c.data);
    const run = () => evalInstant(parse(c.expr), c.at, q);
    if (c.error) expect(run).toThrow(c.error);
    else expect(actual(run())).toEqual(expected(c.want!));
  });
});

describe('staleness markers', () => {
  it('recognises the exact pattern and its quietened form, not other NaNs', () => {
    expect(isStaleNaN(STALE_NAN)).toBe(true);
    expect([STALE_NAN].map(isStaleNaN)).toEqual([true]); // through a plain array (quiet bit set by V8)
    expect(isStaleNaN(Number.NaN)).toBe(false);
    expect(isStaleNaN(0)).toBe(false);
    const b = new Float64Array(1);
    new Uint32Array(b.buffer).set([1, 0x7ff80000]); // Go's math.NaN()
    expect(isStaleNaN(b[0]!)).toBe(false);
  });

  it('a Queryable with plain arrays still ends the series at the marker', () => {
    const q = { select: () => [{ labels: makeLabels({ __name__: 'x' }), t: [0, 60_000], v: [1, STALE_NAN] }] };
    expect(evalInstant(parse('x'), 90_000, q)).toEqual({ type: 'vector', samples: [] });
    expect(evalInstant(parse('x'), 30_000, q)).toEqual({ type: 'vector', samples: [{ labels: { __name__: 'x' }, value: 1 }] });
  });
});

describe('evalRange', () => {
  it('evaluates at every step; @ start()/end() pin to the range ends', () => {
    const q = load(M, 'x 0+1x10');
    const r = evalRange(parse('x @ end() - x @ start() + x * 0'), 2 * M, 6 * M, 2 * M, q);
    expect(r).toEqual({ type: 'matrix', series: [{ labels: {}, t: [2 * M, 4 * M, 6 * M], v: [4, 4, 4] }] });
  });

  it('a scalar expression gives one series without labels', () => {
    expect(evalRange(parse('time()'), 0, 2000, 1000, new MemoryQueryable())).toEqual({
      type: 'matrix',
      series: [{ labels: {}, t: [0, 1000, 2000], v: [0, 1, 2] }],
    });
  });

  it('refuses two input series that map to one labelset at different steps', () => {
    const q = load(M, 'a{k="1"} 1 2 _x10\nb{k="1"} _x10 1 2');
    expect(() => evalRange(parse('rate({__name__=~"a|b"}[2m])'), 0, 12 * M, M, q)).toThrow(/same labelset/);
    expect(() => evalInstant(parse('rate({__name__=~"a|b"}[2m])'), 2 * M, q)).not.toThrow();
  });

  it('refuses a zero step', () => {
    expect(() => evalRange(parse('1'), 0, 10, 0, new MemoryQueryable())).toThrow(/step/);
  });
});

describe('instant range-vector results', () => {
  it('returns the raw samples of the closed window', () => {
    const q = load(M, 'x 1 2 3 4');
    expect(evalInstantRaw(parse('x[2m]'), 3 * M, q)).toEqual({ type: 'matrix', series: [{ labels: { __name__: 'x' }, t: [M, 2 * M, 3 * M], v: [2, 3, 4] }] });
  });
});

describe('Go numerics', () => {
  it.each([
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [123.456, '123.456'],
    [-0, '-0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [5e-324, `0.${'0'.repeat(323)}5`],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [Number.NaN, 'NaN'],
    [2 ** 53, '9007199254740992'],
  ])('formatGoFloat(%s) = %s', (v, s) => expect(formatGoFloat(v)).toBe(s));

  it.each([
    [-2.4868995751603507e-14, '-2.4868995751603507e-14'],
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [1e-6, '0.000001'],
    [9.99e-7, '9.99e-07'],
    [0, '0'],
    [5e-324, '5e-324'],
    [-Infinity, '-Inf'],
  ])('formatPromValue(%s) = %s (the API format of vector values)', (v, s) => expect(formatPromValue(v)).toBe(s));

  it.each([
    [2, 10, 1024],
    [-2, 3, -8],
    [0, -1, Infinity],
    [-0, -1, -Infinity],
    [-8, 1 / 3, Number.NaN],
    [4, 0.5, 2],
    [10, -2, 0.01],
    [1.1, 2, 1.2100000000000002],
    [-1, Infinity, 1],
    [2, 1e10, Infinity],
    [0.5, 1100, 0],
  ])('goPow(%s, %s) = %s', (x, y, want) => expect(Object.is(goPow(x, y), want) || (Number.isNaN(want) && Number.isNaN(goPow(x, y)))).toBe(true));
});

describe('MemoryQueryable', () => {
  it('inserts late samples at their time and replaces a sample at the same time', () => {
    const q = new MemoryQueryable();
    q.append({ __name__: 'x' }, 0, 1);
    q.append({ __name__: 'x' }, 120_000, 3);
    expect(evalInstant(parse('count_over_time(x[5m])'), 120_000, q)).toEqual({ type: 'vector', samples: [{ labels: {}, value: 2 }] });
    q.append({ __name__: 'x' }, 60_000, 2); // late: measured before the newest sample
    q.append({ __name__: 'x' }, 120_000, 4); // same timestamp: replaced
    expect(evalInstantRaw(parse('x[5m]'), 120_000, q)).toEqual({
      type: 'matrix',
      series: [{ labels: { __name__: 'x' }, t: [0, 60_000, 120_000], v: [1, 2, 4] }],
    });
  });

  it('selects by metric name and matchers, only series with samples in the window', () => {
    const q = load(M, 'a{k="1"} 1 2\na{k="2"} _x10 5\nb{k="1"} 7');
    expect(actual(evalInstant(parse('a'), M, q))).toEqual(expected(['a{k="1"} 2']));
    expect([...q.select([{ name: 'k', type: '=', value: '1' }], 0, M)].map((s) => s.labels.__name__).sort()).toEqual(['a', 'b']);
    expect(q.size).toBe(3);
  });
});

describe('sampleWindow', () => {
  it.each([
    ['rate(x[10m] offset 5m) > y', { behindMs: 15 * M, aheadMs: 0, absolute: false }],
    ['x offset -2m', { behindMs: 3 * M, aheadMs: 2 * M, absolute: false }],
    ['x @ 100 + y', { behindMs: 5 * M, aheadMs: 0, absolute: true }],
    ['time()', { behindMs: 0, aheadMs: 0, absolute: false }],
  ])('%s', (e, want) => expect(sampleWindow(parse(e))).toEqual(want));
});
