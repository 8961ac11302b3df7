import { describe, expect, it } from 'vitest';
import { type Expr, selectors, typeOf } from './ast.js';
import { PromQLError, parse, parseDuration, unquote } from './parse.js';

/** A compact rendering of the AST to compare structure (precedence, modifiers). */
function show(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'vector': {
      const ms = e.matchers.filter((m) => !(m.name === '__name__' && m.value === e.name && m.type === '='));
      let s = `${e.name ?? ''}${ms.length ? `{${ms.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(',')}}` : ''}`;
      if (e.offsetMs) s += ` offset ${e.offsetMs}ms`;
      if (e.at) s += ` @ ${e.at.kind === 'time' ? e.at.ms : `${e.at.kind}()`}`;
      return s;
    }
    case 'matrix':
      return `${show(e.selector).replace(/ (offset|@).*$/, '')}[${e.rangeMs}ms]${show(e.selector).match(/ (offset|@).*$/)?.[0] ?? ''}`;
    case 'call':
      return `${e.func}(${e.args.map(show).join(', ')})`;
    case 'aggregate':
      return `${e.op}${e.grouping.length || e.without ? ` ${e.without ? 'without' : 'by'}(${e.grouping.join(',')})` : ''}(${e.param ? `${show(e.param)}, ` : ''}${show(e.expr)})`;
    case 'binary': {
      const m = e.matching;
      const mod =
        m && (m.labels.length || m.on || m.include.length || m.card === 'many-to-one' || m.card === 'one-to-many')
          ? ` ${m.on ? 'on' : 'ignoring'}(${m.labels.join(',')})${m.card === 'many-to-one' ? ` group_left(${m.include.join(',')})` : m.card === 'one-to-many' ? ` group_right(${m.include.join(',')})` : ''}`
          : '';
      return `(${show(e.lhs)} ${e.op}${e.bool ? ' bool' : ''}${mod} ${show(e.rhs)})`;
    }
    case 'unary':
      return `(${e.op}${show(e.expr)})`;
    case 'paren':
      return show(e.expr);
  }
}

describe('parse: structure, precedence and associativity as Prometheus 2.42', () => {
  it.each([
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
    ['1 - 2 - 3', '((1 - 2) - 3)'],
    ['-2 ^ 2', '(-(2 ^ 2))'],
    ['-a ^ 2', '(-(a ^ 2))'],
    ['-a * b', '((-a) * b)'],
    ['a > b and c < d or e', '(((a > b) and (c < d)) or e)'],
    ['a unless b and c', '((a unless b) and c)'],
    ['a == bool b + 1', '(a == bool (b + 1))'],
    ['a - b offset 5m', '(a - b offset 300000ms)'],
    ['a * b offset 1m + c', '((a * b offset 60000ms) + c)'],
    ['-a offset 1m', '(-a offset 60000ms)'],
    // found by the differential test (seed 5): the offset inside the chain must not regroup it
    ['7 == bool a or on(j) b offset 30s * c', '((7 == bool a) or on(j) (b offset 30000ms * c))'],
    ['a or b offset 1m ^ c', '(a or (b offset 60000ms ^ c))'],
    ['a * b @ 10', '(a * b @ 10000)'],
    ['a * b @ -10', '(a * b @ -10000)'],
    ['1 + -2 ^ 2 * 3', '(1 + ((-(2 ^ 2)) * 3))'],
    ['2 * -3 ^ 2', '(2 * (-(3 ^ 2)))'],
    ['- - a', '(-(-a))'],
    ['a - b @ 100 offset 1m', '(a - b offset 60000ms @ 100000)'],
    ['a offset -1m', 'a offset -60000ms'],
    ['rate(a[5m] offset 1m)', 'rate(a[300000ms] offset 60000ms)'],
    ['x @ start()', 'x @ start()'],
    ['x @ 1.5', 'x @ 1500'],
    ['x @ -1.0005', 'x @ -1001'],
    ['sum(x) by (b, a)', 'sum by(a,b)(x)'],
    ['sum without (a) (x)', 'sum without(a)(x)'],
    ['topk(3, x)', 'topk(3, x)'],
    ['count_values("v", x)', 'count_values("v", x)'],
    ['a + on(x) group_left(y) b', '(a + on(x) group_left(y) b)'],
    ['a / ignoring(x) group_right b', '(a / ignoring(x) group_right() b)'],
    ['a and on() b', '(a and on() b)'],
    ['{__name__="up", job=~"a|b"}', '{__name__="up",job=~"a|b"}'],
    ['017', '15'],
    ['0x10', '16'],
    ['1e3', '1000'],
    ['.5', '0.5'],
    ['Inf', 'Infinity'],
    ['-inf', '-Infinity'],
    ['"a\\tb"', '"a\\tb"'],
    ["'x'", '"x"'],
    ['`a\\b`', '"a\\\\b"'],
    ['foo # comment', 'foo'],
  ])('%s  →  %s', (input, want) => {
    expect(show(parse(input))).toBe(want);
  });
});

describe('parse: refusals name the construct and its position', () => {
  it.each([
    ['a[5m:1m]', /subqueries .* not in the supported PromQL subset \(at position 2\)/],
    ['holt_winters(a[5m], 0.1, 0.1)', /function "holt_winters" is not in the supported PromQL subset \(at position 0\)/],
    ['a atan2 b', /atan2 operator is not in the supported PromQL subset \(at position 2\)/],
    ['sum(rate(x[5m]) offset 1m)', /offset modifier must be preceded by an instant vector selector .* \(at position 4\)/],
    ['foo offset 5m offset 1m', /offset may not be set multiple times/],
    ['foo offset 5m [1m]', /no offset modifiers allowed before range \(at position 14\)/],
    ['foo @ 1 [1m]', /no @ modifiers allowed before range/],
    ['foo @ 1 @ 2', /@ <timestamp> may not be set multiple times/],
    ['1 > 2', /comparisons between scalars must use BOOL modifier \(at position 2\)/],
    ['a + bool b', /bool modifier can only be used on comparison operators/],
    ['a and 1', /set operator "and" not allowed in binary scalar expression/],
    ['a and on(x) group_left b', /no grouping allowed for "and" operation/],
    ['a + on(x) group_left(x) b', /label "x" must not occur in ON and GROUP clause at once/],
    ['1 + on(x) a', /vector matching only allowed between instant vectors/],
    ['rate(a)', /expected type range vector in call to function "rate", got instant vector \(at position 5\)/],
    ['abs(a[5m])', /expected type instant vector in call to function "abs", got range vector/],
    ['round(a, 1, 2)', /expected at most 2 argument\(s\) in call to "round", got 3/],
    ['label_join(a, "b")', /expected at least 3 argument\(s\) in call to "label_join", got 2/],
    ['time(1)', /expected 0 argument\(s\) in call to "time", got 1/],
    ['topk(a)', /wrong number of arguments for aggregate expression provided, expected 2, got 1/],
    ['sum(a, b)', /wrong number of arguments for aggregate expression provided, expected 1, got 2/],
    ['quantile("x", a)', /expected type scalar in aggregation parameter, got string/],
    ['count_values("1x", a)', /invalid label name "1x"/],
    ['sum(1)', /expected type instant vector in aggregation expression, got scalar/],
    ['-"a"', /unary expression only allowed on expressions of type scalar or instant vector, got "string"/],
    ['a[5m][1m]', /ranges only allowed for vector selectors \(at position 5\)/],
    ['a[0s]', /duration must be greater than 0/],
    ['{}', /vector selector must contain at least one non-empty matcher/],
    ['{a=~".*"}', /vector selector must contain at least one non-empty matcher/],
    ['a{__name__="b"}', /metric name must not be set twice/],
    ['a{b=~"("}', /error parsing regexp "\(".*\(at position 2\)/],
    ['a{b=~"(?=x)"}', /unsupported group or flag syntax/],
    ['label_replace(a, "b", "", "c", "(")', /invalid regular expression in label_replace\(\): \(/],
    ['label_replace(a, "1b", "", "c", "")', /invalid destination label name in label_replace\(\): 1b/],
    ['a{', /syntax error: unexpected end of input \(at position 2\)/],
    ['a b', /syntax error/],
    ['', /no expression found in input/],
    ['"abc', /unterminated quoted string/],
    ['"a\\qb"', /invalid escape/],
    ['nofunc(a)', /unknown function with name "nofunc" \(at position 0\)/],
    ['a @ Inf', /timestamp out of bounds for @ modifier: \+Inf/],
    ['topk(Inf, a)', /Scalar value \+Inf overflows int64/],
  ])('%s', (input, msg) => {
    let caught: unknown;
    try {
      parse(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PromQLError);
    expect((caught as Error).message).toMatch(msg);
  });
});

describe('helpers', () => {
  it('parseDuration reads y/w/d/h/m/s/ms', () => {
    expect(parseDuration('1y2w3d4h5m6s7ms')).toBe(((((365 + 14 + 3) * 24 + 4) * 60 + 5) * 60 + 6) * 1000 + 7);
    expect(() => parseDuration('5m1h')).toThrow(PromQLError);
  });

  it('unquote follows Go', () => {
    expect(unquote('"\\u4e2d\\x41\\101\\n"')).toBe('中AA\n');
    expect(unquote("'\\''")).toBe("'");
    expect(() => unquote('"\\\'"')).toThrow(/invalid escape/);
  });

  it('typeOf and selectors', () => {
    const e = parse('sum(rate(a[5m] offset 1m)) / scalar(b) > bool 1');
    expect(typeOf(e)).toBe('vector');
    expect(typeOf(parse('time() + 1'))).toBe('scalar');
    expect(selectors(e).map((s) => [s.selector.name, s.rangeMs, s.selector.offsetMs])).toEqual([
      ['a', 300000, 60000],
      ['b', 0, 0],
    ]);
  });
});
