/**
 * Typed AST of the PromQL subset Xunjian evaluates (see README.md). Produced by `parse()` from the
 * `@prometheus-io/lezer-promql` 0.42 tree; every node carries its position in the expression text.
 */

/** Character offsets [start, end) in the expression text. */
export interface Pos {
  start: number;
  end: number;
}

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export type MatchType = '=' | '!=' | '=~' | '!~';

/** A label matcher. `re` is the compiled, fully anchored regular expression for `=~` / `!~`. */
export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  readonly re?: RegExp;
}

/** `@ <timestamp>` (milliseconds), `@ start()` or `@ end()`. */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  kind: 'number';
  value: number;
  pos: Pos;
}

export interface StringLiteral {
  kind: 'string';
  value: string;
  pos: Pos;
}

export interface VectorSelector {
  kind: 'vector';
  /** Metric name written before the braces, if any (it is also among `matchers` as `__name__="…"`). */
  name?: string;
  matchers: Matcher[];
  /** `offset` in milliseconds (0 when absent). */
  offsetMs: number;
  at?: AtModifier;
  pos: Pos;
}

export interface MatrixSelector {
  kind: 'matrix';
  selector: VectorSelector;
  rangeMs: number;
  pos: Pos;
}

export const RANGE_FUNCTIONS = [
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'changes',
  'resets',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'present_over_time',
  'quantile_over_time',
  'absent_over_time',
] as const;

export const INSTANT_FUNCTIONS = [
  'absent',
  'time',
  'timestamp',
  'vector',
  'scalar',
  'clamp',
  'clamp_min',
  'clamp_max',
  'abs',
  'ceil',
  'floor',
  'sqrt',
  'sgn',
  'round',
  'label_replace',
  'label_join',
  'histogram_quantile',
] as const;

export type FunctionName = (typeof RANGE_FUNCTIONS)[number] | (typeof INSTANT_FUNCTIONS)[number];

export interface Call {
  kind: 'call';
  func: FunctionName;
  args: Expr[];
  pos: Pos;
}

export const AGGREGATE_OPS = ['sum', 'avg', 'min', 'max', 'count', 'count_values', 'quantile', 'stddev', 'stdvar', 'group', 'topk', 'bottomk'] as const;
export type AggregateOp = (typeof AGGREGATE_OPS)[number];

export interface Aggregate {
  kind: 'aggregate';
  op: AggregateOp;
  /** Label names of `by (…)` / `without (…)`, sorted. */
  grouping: string[];
  without: boolean;
  /** The parameter of topk/bottomk/quantile (scalar) and count_values (string). */
  param?: Expr;
  expr: Expr;
  pos: Pos;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** true for `on(…)`, false for `ignoring(…)` or no clause. */
  on: boolean;
  labels: string[];
  /** Labels of `group_left(…)` / `group_right(…)`. */
  include: string[];
}

export interface Binary {
  kind: 'binary';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** The `bool` modifier of a comparison. */
  bool: boolean;
  /** Present only when both sides are instant vectors. */
  matching?: VectorMatching;
  pos: Pos;
}

export interface Unary {
  kind: 'unary';
  op: '-' | '+';
  expr: Expr;
  pos: Pos;
}

export interface Paren {
  kind: 'paren';
  expr: Expr;
  pos: Pos;
}

export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | Call | Aggregate | Binary | Unary | Paren;

export interface FunctionSignature {
  args: ValueType[];
  /** Number of optional trailing arguments (of the last arg type); -1: unbounded. 0: fixed arity. */
  variadic: number;
  returns: ValueType;
}

const M: ValueType[] = ['matrix'];
export const FUNCTIONS: Record<FunctionName, FunctionSignature> = {
  rate: { args: M, variadic: 0, returns: 'vector' },
  irate: { args: M, variadic: 0, returns: 'vector' },
  increase: { args: M, variadic: 0, returns: 'vector' },
  delta: { args: M, variadic: 0, returns: 'vector' },
  idelta: { args: M, variadic: 0, returns: 'vector' },
  deriv: { args: M, variadic: 0, returns: 'vector' },
  changes: { args: M, variadic: 0, returns: 'vector' },
  resets: { args: M, variadic: 0, returns: 'vector' },
  avg_over_time: { args: M, variadic: 0, returns: 'vector' },
  min_over_time: { args: M, variadic: 0, returns: 'vector' },
  max_over_time: { args: M, variadic: 0, returns: 'vector' },
  sum_over_time: { args: M, variadic: 0, returns: 'vector' },
  count_over_time: { args: M, variadic: 0, returns: 'vector' },
  last_over_time: { args: M, variadic: 0, returns: 'vector' },
  stddev_over_time: { args: M, variadic: 0, returns: 'vector' },
  stdvar_over_time: { args: M, variadic: 0, returns: 'vector' },
  present_over_time: { args: M, variadic: 0, returns: 'vector' },
  quantile_over_time: { args: ['scalar', 'matrix'], variadic: 0, returns: 'vector' },
  absent_over_time: { args: M, variadic: 0, returns: 'vector' },
  absent: { args: ['vector'], variadic: 0, returns: 'vector' },
  time: { args: [], variadic: 0, returns: 'scalar' },
  timestamp: { args: ['vector'], variadic: 0, returns: 'vector' },
  vector: { args: ['scalar'], variadic: 0, returns: 'vector' },
  scalar: { args: ['vector'], variadic: 0, returns: 'scalar' },
  clamp: { args: ['vector', 'scalar', 'scalar'], variadic: 0, returns: 'vector' },
  clamp_min: { args: ['vector', 'scalar'], variadic: 0, returns: 'vector' },
  clamp_max: { args: ['vector', 'scalar'], variadic: 0, returns: 'vector' },
  abs: { args: ['vector'], variadic: 0, returns: 'vector' },
  ceil: { args: ['vector'], variadic: 0, returns: 'vector' },
  floor: { args: ['vector'], variadic: 0, returns: 'vector' },
  sqrt: { args: ['vector'], variadic: 0, returns: 'vector' },
  sgn: { args: ['vector'], variadic: 0, returns: 'vector' },
  round: { args: ['vector', 'scalar'], variadic: 1, returns: 'vector' },
  label_replace: { args: ['vector', 'string', 'string', 'string', 'string'], variadic: 0, returns: 'vector' },
  label_join: { args: ['vector', 'string', 'string', 'string'], variadic: -1, returns: 'vector' },
  histogram_quantile: { args: ['scalar', 'vector'], variadic: 0, returns: 'vector' },
};

/** The value type an expression evaluates to (as Prometheus's `Expr.Type()`). */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vector':
      return 'vector';
    case 'matrix':
      return 'matrix';
    case 'call':
      return FUNCTIONS[e.func].returns;
    case 'aggregate':
      return 'vector';
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
    case 'paren':
      return typeOf(e.expr);
  }
}

/** Every vector selector of an expression (inside matrix selectors too), e.g. to derive a window. */
export function selectors(e: Expr, out: { selector: VectorSelector; rangeMs: number }[] = []): { selector: VectorSelector; rangeMs: number }[] {
  switch (e.kind) {
    case 'vector':
      out.push({ selector: e, rangeMs: 0 });
      break;
    case 'matrix':
      out.push({ selector: e.selector, rangeMs: e.rangeMs });
      break;
    case 'call':
      for (const a of e.args) selectors(a, out);
      break;
    case 'aggregate':
      if (e.param) selectors(e.param, out);
      selectors(e.expr, out);
      break;
    case 'binary':
      selectors(e.lhs, out);
      selectors(e.rhs, out);
      break;
    case 'unary':
    case 'paren':
      selectors(e.expr, out);
      break;
  }
  return out;
}

/**
 * How far from the evaluation time an expression reads samples: `behindMs` into the past (range or
 * lookback plus offset), `aheadMs` into the future (negative offsets), and whether an `@` modifier
 * pins some selector to an absolute time (then no window relative to "now" covers it).
 */
export function sampleWindow(e: Expr, lookbackMs = 300_000): { behindMs: number; aheadMs: number; absolute: boolean } {
  let behindMs = 0;
  let aheadMs = 0;
  let absolute = false;
  for (const { selector, rangeMs } of selectors(e)) {
    if (selector.at) absolute = true;
    behindMs = Math.max(behindMs, selector.offsetMs + (rangeMs || lookbackMs));
    aheadMs = Math.max(aheadMs, -selector.offsetMs);
  }
  return { behindMs, aheadMs, absolute };
}
