/**
 * PromQL text → our typed AST, through the `@prometheus-io/lezer-promql` 0.42 grammar (Prometheus
 * 2.42's operator precedence and associativity). The checks of Prometheus's parser (`checkAST`,
 * offset/@ placement, argument types) run here, plus the subset: anything else is a `PromQLError`
 * naming the construct and its offset in the text.
 */
import { parser as lezer } from '@prometheus-io/lezer-promql';
import {
  AGGREGATE_OPS,
  type AggregateOp,
  type AtModifier,
  type BinaryOp,
  type Expr,
  FUNCTIONS,
  type FunctionName,
  type Matcher,
  type MatchType,
  type Pos,
  typeOf,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { formatGoFloat, formatGoFloatG, matches, METRIC_NAME } from './labels.js';
import { compileGoRegex, RegexSyntaxError } from './regex.js';

export class PromQLError extends Error {
  constructor(
    message: string,
    /** Offset of the offending construct in the expression, when known. */
    readonly position?: number,
  ) {
    super(position === undefined ? message : `${message} (at position ${position})`);
    this.name = 'PromQLError';
  }
}

interface Node {
  name: string;
  from: number;
  to: number;
  error: boolean;
  children: Node[];
}

function toNode(input: string): Node {
  const tree = lezer.parse(input);
  const cur = tree.cursor();
  const build = (): Node => {
    const n: Node = { name: cur.name, from: cur.from, to: cur.to, error: cur.type.isError, children: [] };
    if (cur.firstChild()) {
      do n.children.push(build());
      while (cur.nextSibling());
      cur.parent();
    }
    return n;
  };
  return fixPrecedence(fixPostfix(build()), input);
}

const POSTFIX = new Set(['OffsetExpr', 'StepInvariantExpr', 'MatrixSelector', 'SubqueryExpr']);

/**
 * lezer-promql 0.42 binds `offset`, `@` and `[range]` looser than binary and unary operators
 * (`a - b offset 5m` comes out as `(a - b) offset 5m`); Prometheus's yacc grammar binds them tightest
 * (`a - (b offset 5m)`). Rotate such modifiers down onto the rightmost operand.
 */
function fixPostfix(n: Node): Node {
  const children = n.children.map(fixPostfix);
  let node: Node = { ...n, children };
  if (POSTFIX.has(node.name)) {
    const i = node.children.findIndex((c) => EXPR_NODES.has(c.name));
    const operand = node.children[i];
    if (operand && (operand.name === 'BinaryExpr' || operand.name === 'UnaryExpr')) {
      const j = operand.children.findLastIndex((c) => EXPR_NODES.has(c.name));
      const last = operand.children[j]!;
      const inner = fixPostfix({ ...node, from: last.from, children: node.children.map((c, k) => (k === i ? last : c)) });
      node = { ...operand, to: node.to, children: operand.children.map((c, k) => (k === j ? inner : c)) };
    }
  }
  return node;
}

const PREC: Record<string, number> = {
  Or: 1,
  And: 2,
  Unless: 2,
  Eql: 3,
  Neq: 3,
  Gtr: 3,
  Lss: 3,
  Gte: 3,
  Lte: 3,
  Add: 4,
  Sub: 4,
  Mul: 5,
  Div: 5,
  Mod: 5,
  Atan2: 5,
  Pow: 6,
};
const UNARY_PREC = 5; // unary_op expr %prec MUL

type Item = { kind: 'atom'; node: Node } | { kind: 'op'; name: string; nodes: Node[] } | { kind: 'unary'; op: Node };

function signedNumber(n: Node, input: string): boolean {
  return n.name === 'NumberLiteral' && /^[-+]/.test(input.slice(n.from, n.to));
}

/**
 * Rebuild operator chains with Prometheus's precedence and associativity from their tokens in text
 * order. Needed because lezer's tree is shaped by where it attached `offset`/`@`/`[range]` (see
 * fixPostfix) and reads a sign as part of a number (`-2 ^ 2`, which Prometheus reads as -(2^2)).
 */
function fixPrecedence(n: Node, input: string): Node {
  if (n.name !== 'BinaryExpr' && n.name !== 'UnaryExpr' && !signedNumber(n, input)) {
    // The timestamp of `@` is a (possibly signed) number of its own, not an operand.
    const keep = n.name === 'StepInvariantExpr' ? n.children.filter((c) => c.name === 'NumberLiteral').at(-1) : undefined;
    const first = n.children.find((c) => EXPR_NODES.has(c.name));
    return { ...n, children: n.children.map((c) => (c === keep && c !== first ? c : fixPrecedence(c, input))) };
  }
  const items: Item[] = [];
  const flatten = (x: Node): void => {
    if (x.name === 'BinaryExpr') {
      const idx = x.children.map((c, i) => (EXPR_NODES.has(c.name) ? i : -1)).filter((i) => i >= 0);
      const first = idx[0];
      const last = idx[idx.length - 1];
      if (first === undefined || last === undefined || first === last) {
        items.push({ kind: 'atom', node: { ...x, children: x.children.map((c) => fixPrecedence(c, input)) } });
        return;
      }
      flatten(x.children[first]!);
      const between = x.children.slice(first + 1, last);
      const op = between.find((c) => c.name in PREC);
      items.push({ kind: 'op', name: op?.name ?? '', nodes: between });
      flatten(x.children[last]!);
    } else if (x.name === 'UnaryExpr') {
      const op = x.children.find((c) => c.name === 'UnaryOp');
      const inner = x.children.find((c) => EXPR_NODES.has(c.name));
      if (!op || !inner) {
        items.push({ kind: 'atom', node: x });
        return;
      }
      items.push({ kind: 'unary', op });
      flatten(inner);
    } else if (signedNumber(x, input)) {
      items.push({ kind: 'unary', op: { name: 'UnaryOp', from: x.from, to: x.from + 1, error: false, children: [] } });
      const rest = input.slice(x.from + 1, x.to);
      items.push({ kind: 'atom', node: { ...x, from: x.from + 1 + (rest.length - rest.trimStart().length) } });
    } else items.push({ kind: 'atom', node: fixPrecedence(x, input) });
  };
  flatten(n);
  let i = 0;
  const primary = (): Node => {
    const it = items[i++];
    if (!it) return { name: '⚠', from: input.length, to: input.length, error: true, children: [] };
    if (it.kind === 'unary') {
      const operand = climb(UNARY_PREC + 1);
      return { name: 'UnaryExpr', from: it.op.from, to: operand.to, error: false, children: [it.op, operand] };
    }
    if (it.kind === 'atom') return it.node;
    return { name: '⚠', from: it.nodes[0]?.from ?? 0, to: it.nodes[0]?.to ?? 0, error: true, children: [] };
  };
  const climb = (minPrec: number): Node => {
    let lhs = primary();
    for (;;) {
      const it = items[i];
      if (it?.kind !== 'op') return lhs;
      const p = PREC[it.name] ?? 0;
      if (p < minPrec) return lhs;
      i++;
      const rhs = climb(it.name === 'Pow' ? p : p + 1);
      lhs = { name: 'BinaryExpr', from: lhs.from, to: rhs.to, error: false, children: [lhs, ...it.nodes, rhs] };
    }
  };
  return climb(0);
}

function firstError(n: Node): Node | undefined {
  if (n.error) return n;
  for (const c of n.children) {
    const e = firstError(c);
    if (e) return e;
  }
  return undefined;
}

const FUNCTION_NAMES = new Set(Object.keys(FUNCTIONS));
const AGG = new Set<string>(AGGREGATE_OPS);

const BIN_OPS: Record<string, BinaryOp | 'atan2'> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};

const COMPARISON = new Set<string>(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set<string>(['and', 'or', 'unless']);

const EXPR_NODES = new Set([
  'AggregateExpr',
  'BinaryExpr',
  'FunctionCall',
  'MatrixSelector',
  'NumberLiteral',
  'OffsetExpr',
  'ParenExpr',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'VectorSelector',
  'StepInvariantExpr',
]);

/** A duration as model.ParseDuration reads it (y = 365d, w, d, h, m, s, ms), in milliseconds. */
export function parseDuration(s: string, pos?: number): number {
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(s);
  if (!m || s === '') throw new PromQLError(`not a valid duration string: ${JSON.stringify(s)}`, pos);
  const unit = [365 * 86400000, 7 * 86400000, 86400000, 3600000, 60000, 1000, 1];
  let ms = 0;
  for (let i = 0; i < unit.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * unit[i]!;
  if (!Number.isSafeInteger(ms)) throw new PromQLError(`duration out of range: ${JSON.stringify(s)}`, pos);
  return ms;
}

/** strutil.Unquote: Go string literal syntax for "…" and '…', raw for `…`. */
export function unquote(lit: string, pos?: number): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) throw new PromQLError(`unterminated quoted string ${lit}`, pos);
  const body = lit.slice(1, -1);
  if (q === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === q) throw new PromQLError(`invalid syntax in string ${lit}`, pos);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };
    if (e !== undefined && simple[e] !== undefined) {
      if ((e === "'" && q === '"') || (e === '"' && q === "'")) throw new PromQLError(`invalid escape \\${e} in string ${lit}`, pos);
      out += simple[e];
      continue;
    }
    const hex = (n: number) => {
      const h = body.slice(i + 1, i + 1 + n);
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new PromQLError(`invalid escape in string ${lit}`, pos);
      i += n;
      return Number.parseInt(h, 16);
    };
    if (e === 'x') {
      // \xHH is a byte; only ASCII bytes make a valid UTF-8 label value on their own.
      const b = hex(2);
      if (b > 0x7f) throw new PromQLError(`non-ASCII \\x escape in string ${lit} is not supported`, pos);
      out += String.fromCharCode(b);
    } else if (e === 'u') out += String.fromCodePoint(hex(4));
    else if (e === 'U') {
      const cp = hex(8);
      if (cp > 0x10ffff) throw new PromQLError(`invalid escape in string ${lit}`, pos);
      out += String.fromCodePoint(cp);
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const o = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o)) throw new PromQLError(`invalid octal escape in string ${lit}`, pos);
      const b = Number.parseInt(o, 8);
      if (b > 0x7f) throw new PromQLError(`non-ASCII octal escape in string ${lit} is not supported`, pos);
      out += String.fromCharCode(b);
      i += 2;
    } else throw new PromQLError(`invalid escape \\${e ?? ''} in string ${lit}`, pos);
  }
  return out;
}

/** Go's strconv.ParseInt(s, 0, 64), then ParseFloat, as the PromQL lexer's numbers. */
function parseNumber(text: string, pos: number): number {
  let s = text.replace(/\s+/g, '');
  let sign = 1;
  while (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -sign;
    s = s.slice(1);
  }
  const low = s.toLowerCase();
  if (low === 'inf') return sign * Infinity;
  if (low === 'nan') return Number.NaN;
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(s)) v = hexOrOctal(s.slice(2), 16);
  else if (/^0[0-7]+$/.test(s)) v = hexOrOctal(s.slice(1), 8);
  else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) v = Number(s);
  else throw new PromQLError(`error parsing number ${JSON.stringify(text)}`, pos);
  return sign * v;
}

function hexOrOctal(digits: string, base: number): number {
  const b = BigInt(base);
  let n = 0n;
  for (const d of digits) n = n * b + BigInt(Number.parseInt(d, base));
  if (n > 2n ** 63n - 1n) throw new PromQLError(`number out of range: ${digits}`);
  return Number(n);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isValidLabelName(s: string): boolean {
  return LABEL_NAME.test(s);
}

export function makeMatcher(name: string, type: MatchType, value: string, pos?: number): Matcher {
  if (type === '=~' || type === '!~') {
    try {
      return Object.freeze({ name, type, value, re: compileGoRegex(value) });
    } catch (err) {
      if (err instanceof RegexSyntaxError)
        throw new PromQLError(`error parsing regexp ${JSON.stringify(value)}: ${err.message.replace(/^Invalid regular expression: /, '')}`, pos);
      throw err;
    }
  }
  return Object.freeze({ name, type, value });
}

interface SelectorState {
  offsetSet: boolean;
}

class Converter {
  private readonly sel = new WeakMap<VectorSelector, SelectorState>();
  constructor(private readonly input: string) {}

  text(n: Node): string {
    return this.input.slice(n.from, n.to);
  }

  pos(n: Node): Pos {
    return { start: n.from, end: n.to };
  }

  fail(msg: string, n: Node | number): never {
    throw new PromQLError(msg, typeof n === 'number' ? n : n.from);
  }

  exprChildren(n: Node): Node[] {
    return n.children.filter((c) => EXPR_NODES.has(c.name));
  }

  convert(n: Node): Expr {
    switch (n.name) {
      case 'NumberLiteral':
        return { kind: 'number', value: parseNumber(this.text(n), n.from), pos: this.pos(n) };
      case 'StringLiteral':
        return { kind: 'string', value: unquote(this.text(n), n.from), pos: this.pos(n) };
      case 'ParenExpr': {
        const [inner] = this.exprChildren(n);
        return { kind: 'paren', expr: this.convert(inner!), pos: this.pos(n) };
      }
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector':
        return this.matrixSelector(n);
      case 'OffsetExpr':
        return this.offset(n);
      case 'StepInvariantExpr':
        return this.at(n);
      case 'SubqueryExpr':
        return this.fail('subqueries (expr[range:step]) are not in the supported PromQL subset', n.children.find((c) => c.name === 'Duration')?.from ?? n.from);
      case 'UnaryExpr':
        return this.unary(n);
      case 'BinaryExpr':
        return this.binary(n);
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      default:
        return this.fail(`unexpected ${n.name} ${JSON.stringify(this.text(n))}`, n);
    }
  }

  vectorSelector(n: Node): VectorSelector {
    const ident = n.children.find((c) => c.name === 'Identifier');
    const lm = n.children.find((c) => c.name === 'LabelMatchers');
    const matchers: Matcher[] = [];
    for (const m of lm?.children.filter((c) => c.name === 'LabelMatcher') ?? []) {
      const [ln, op, str] = m.children;
      if (!ln || !op || !str || str.name !== 'StringLiteral') this.fail(`invalid label matcher ${JSON.stringify(this.text(m))}`, m);
      const type = this.text(op) as MatchType;
      matchers.push(makeMatcher(this.text(ln), type, unquote(this.text(str), str.from), m.from));
    }
    const name = ident ? this.text(ident) : undefined;
    if (name !== undefined) {
      for (const m of matchers)
        if (m.name === METRIC_NAME) this.fail(`metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(m.value)}`, n);
      matchers.push(makeMatcher(METRIC_NAME, '=', name));
    } else if (!matchers.some((m) => !matches(m, ''))) {
      this.fail('vector selector must contain at least one non-empty matcher', n);
    }
    const vs: VectorSelector = { kind: 'vector', matchers, offsetMs: 0, pos: this.pos(n) };
    if (name !== undefined) vs.name = name;
    this.sel.set(vs, { offsetSet: false });
    return vs;
  }

  matrixSelector(n: Node): Expr {
    const [inner] = this.exprChildren(n);
    const dur = n.children.find((c) => c.name === 'Duration');
    const e = this.convert(inner!);
    // Prometheus reports these at the opening bracket.
    const bracket = dur ? dur.from - 1 : n.from;
    if (e.kind !== 'vector') this.fail('ranges only allowed for vector selectors', bracket);
    if (this.sel.get(e)?.offsetSet) this.fail('no offset modifiers allowed before range', bracket);
    if (e.at) this.fail('no @ modifiers allowed before range', bracket);
    const rangeMs = parseDuration(this.text(dur!), dur!.from);
    if (rangeMs === 0) this.fail('duration must be greater than 0', dur!);
    return { kind: 'matrix', selector: e, rangeMs, pos: this.pos(n) };
  }

  target(e: Expr, n: Node, what: string): VectorSelector {
    if (e.kind === 'vector') return e;
    if (e.kind === 'matrix') return e.selector;
    return this.fail(`${what} modifier must be preceded by an instant vector selector or range vector selector or a subquery`, n);
  }

  offset(n: Node): Expr {
    const [inner] = this.exprChildren(n);
    const e = this.convert(inner!);
    const vs = this.target(e, n, 'offset');
    const negative = n.children.some((c) => c.name === 'Sub');
    const dur = n.children.find((c) => c.name === 'Duration');
    if (!dur) this.fail('unexpected offset: expected a duration', n);
    const st = this.sel.get(vs)!;
    if (st.offsetSet) this.fail('offset may not be set multiple times', n);
    const ms = parseDuration(this.text(dur), dur.from);
    if (ms === 0) this.fail('duration must be greater than 0', dur);
    st.offsetSet = true;
    vs.offsetMs = negative ? -ms : ms;
    e.pos = this.pos(n);
    return e;
  }

  at(n: Node): Expr {
    const [inner] = this.exprChildren(n);
    const e = this.convert(inner!);
    const vs = this.target(e, n, '@');
    if (vs.at) this.fail('@ <timestamp> may not be set multiple times', n);
    let at: AtModifier;
    const pre = n.children.find((c) => c.name === 'AtModifierPreprocessors');
    const num = n.children.filter((c) => c.name === 'NumberLiteral').at(-1);
    if (pre) at = { kind: this.text(pre) === 'start' ? 'start' : 'end' };
    else if (num && num !== inner) {
      const ts = parseNumber(this.text(num), num.from);
      if (!Number.isFinite(ts) || ts >= 2 ** 63 || ts <= -(2 ** 63))
        this.fail(`timestamp out of bounds for @ modifier: ${Number.isFinite(ts) ? ts.toFixed(6) : formatGoFloat(ts)}`, n);
      at = { kind: 'time', ms: goRound(ts * 1000) };
    } else return this.fail('unexpected @: expected a timestamp, start() or end()', n);
    vs.at = at;
    e.pos = this.pos(n);
    return e;
  }

  unary(n: Node): Expr {
    const op = n.children.find((c) => c.name === 'UnaryOp');
    const [inner] = this.exprChildren(n);
    const e = this.convert(inner!);
    const sign = op && this.text(op) === '-' ? '-' : '+';
    const t = typeOf(e);
    if (t !== 'scalar' && t !== 'vector')
      this.fail(`unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(docType(t))}`, n);
    if (e.kind === 'number') return { kind: 'number', value: sign === '-' ? -e.value : e.value, pos: this.pos(n) };
    return { kind: 'unary', op: sign, expr: e, pos: this.pos(n) };
  }

  binary(n: Node): Expr {
    const [lhsNode, rhsNode] = this.exprChildren(n);
    const opNode = n.children.find((c) => c.name in BIN_OPS && c !== lhsNode && c !== rhsNode);
    if (!lhsNode || !rhsNode || !opNode) return this.fail(`incomplete binary expression ${JSON.stringify(this.text(n))}`, n);
    const op = BIN_OPS[opNode.name]!;
    if (op === 'atan2') this.fail('the atan2 operator is not in the supported PromQL subset', opNode);
    return this.binaryFrom(op, lhsNode, rhsNode, opNode, n);
  }

  binaryFrom(op: BinaryOp, lhsNode: Node, rhsNode: Node, opNode: Node, n: Node): Expr {
    const lhs = this.convert(lhsNode);
    const rhs = this.convert(rhsNode);
    const bool = n.children.some((c) => c.name === 'BoolModifier');
    const mm = n.children.find((c) => c.name === 'MatchingModifierClause');
    const matching: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };
    if (mm) {
      const groups = mm.children.filter((c) => c.name === 'GroupingLabels');
      matching.on = mm.children.some((c) => c.name === 'On');
      matching.labels = groups[0] ? this.labelList(groups[0]) : [];
      if (mm.children.some((c) => c.name === 'GroupLeft')) matching.card = 'many-to-one';
      if (mm.children.some((c) => c.name === 'GroupRight')) matching.card = 'one-to-many';
      matching.include = groups[1] ? this.labelList(groups[1]) : [];
    }
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    const at = opNode.from;
    if (bool && !COMPARISON.has(op)) this.fail('bool modifier can only be used on comparison operators', at);
    if (COMPARISON.has(op) && !bool && lt === 'scalar' && rt === 'scalar') this.fail('comparisons between scalars must use BOOL modifier', at);
    if (SET_OPS.has(op) && matching.card === 'one-to-one') matching.card = 'many-to-many';
    if (matching.on)
      for (const l of matching.labels)
        if (matching.include.includes(l)) this.fail(`label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`, at);
    if (lt !== 'scalar' && lt !== 'vector') this.fail('binary expression must contain only scalar and instant vector types', lhsNode);
    if (rt !== 'scalar' && rt !== 'vector') this.fail('binary expression must contain only scalar and instant vector types', rhsNode);
    let vm: VectorMatching | undefined = matching;
    if (lt !== 'vector' || rt !== 'vector') {
      if (matching.labels.length > 0) this.fail('vector matching only allowed between instant vectors', n);
      vm = undefined;
    } else if (SET_OPS.has(op)) {
      if (matching.card === 'one-to-many' || matching.card === 'many-to-one') this.fail(`no grouping allowed for "${op}" operation`, n);
    }
    if ((lt === 'scalar' || rt === 'scalar') && SET_OPS.has(op)) this.fail(`set operator "${op}" not allowed in binary scalar expression`, n);
    const b: Expr = { kind: 'binary', op, lhs, rhs, bool, pos: this.pos(n) };
    if (vm) b.matching = vm;
    return b;
  }

  labelList(g: Node): string[] {
    return g.children.filter((c) => c.name === 'LabelName').map((c) => this.text(c));
  }

  args(body: Node | undefined): Expr[] {
    if (!body) return [];
    return this.exprChildren(body).map((c) => this.convert(c));
  }

  call(n: Node): Expr {
    const id = n.children.find((c) => c.name === 'FunctionIdentifier');
    const name = id ? this.text(id) : '';
    if (!FUNCTION_NAMES.has(name)) this.fail(`function ${JSON.stringify(name)} is not in the supported PromQL subset`, id ?? n);
    const func = name as FunctionName;
    const body = n.children.find((c) => c.name === 'FunctionCallBody');
    const args = this.args(body);
    const sig = FUNCTIONS[func];
    const nargs = sig.args.length;
    if (sig.variadic === 0) {
      if (nargs !== args.length) this.fail(`expected ${nargs} argument(s) in call to ${JSON.stringify(func)}, got ${args.length}`, n);
    } else {
      const na = nargs - 1;
      if (na > args.length) this.fail(`expected at least ${na} argument(s) in call to ${JSON.stringify(func)}, got ${args.length}`, n);
      if (sig.variadic > 0 && na + sig.variadic < args.length)
        this.fail(`expected at most ${na + sig.variadic} argument(s) in call to ${JSON.stringify(func)}, got ${args.length}`, n);
    }
    args.forEach((a, i) => {
      const want = sig.args[Math.min(i, nargs - 1)]!;
      const got = typeOf(a);
      if (got !== want) this.fail(`expected type ${docType(want)} in call to function ${JSON.stringify(func)}, got ${docType(got)}`, a.pos.start);
    });
    if (func === 'label_replace' || func === 'label_join') this.checkLabelFunc(func, args);
    return { kind: 'call', func, args, pos: this.pos(n) };
  }

  /** Prometheus checks these when it first evaluates the call; a rule file is better refused at load. */
  checkLabelFunc(func: 'label_replace' | 'label_join', args: Expr[]): void {
    const str = (e: Expr) => {
      let x = e;
      while (x.kind === 'paren') x = x.expr;
      return x.kind === 'string' ? x.value : '';
    };
    if (func === 'label_replace') {
      const re = str(args[4]!);
      try {
        compileGoRegex(re);
      } catch {
        this.fail(`invalid regular expression in label_replace(): ${re}`, args[4]!.pos.start);
      }
      if (!isValidLabelName(str(args[1]!))) this.fail(`invalid destination label name in label_replace(): ${str(args[1]!)}`, args[1]!.pos.start);
    } else {
      for (const a of args.slice(3)) if (!isValidLabelName(str(a))) this.fail(`invalid source label name in label_join(): ${str(a)}`, a.pos.start);
      if (!isValidLabelName(str(args[1]!))) this.fail(`invalid destination label name in label_join(): ${str(args[1]!)}`, args[1]!.pos.start);
    }
  }

  aggregate(n: Node): Expr {
    const opNode = n.children.find((c) => c.name === 'AggregateOp');
    const op = opNode ? this.text(opNode) : '';
    if (!AGG.has(op)) this.fail(`aggregation ${JSON.stringify(op)} is not in the supported PromQL subset`, opNode ?? n);
    const mod = n.children.find((c) => c.name === 'AggregateModifier');
    const without = !!mod?.children.some((c) => c.name === 'Without');
    const g = mod?.children.find((c) => c.name === 'GroupingLabels');
    const grouping = g ? this.labelList(g).sort() : [];
    const args = this.args(n.children.find((c) => c.name === 'FunctionCallBody'));
    const aop = op as AggregateOp;
    if (args.length === 0) this.fail('no arguments for aggregate expression provided', n);
    const withParam = aop === 'topk' || aop === 'bottomk' || aop === 'quantile' || aop === 'count_values';
    const want = withParam ? 2 : 1;
    if (args.length !== want) this.fail(`wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`, n);
    const expr = args[want - 1]!;
    if (typeOf(expr) !== 'vector') this.fail(`expected type instant vector in aggregation expression, got ${docType(typeOf(expr))}`, expr.pos.start);
    const out: Expr = { kind: 'aggregate', op: aop, grouping, without, expr, pos: this.pos(n) };
    if (withParam) {
      const param = args[0]!;
      const pt = aop === 'count_values' ? 'string' : 'scalar';
      if (typeOf(param) !== pt) this.fail(`expected type ${docType(pt)} in aggregation parameter, got ${docType(typeOf(param))}`, param.pos.start);
      // Prometheus finds these when it evaluates; a literal parameter can be refused at load.
      const lit = unwrap(param);
      if (aop === 'count_values' && lit.kind === 'string' && !isValidLabelName(lit.value))
        this.fail(`invalid label name ${JSON.stringify(lit.value)}`, param.pos.start);
      if ((aop === 'topk' || aop === 'bottomk') && lit.kind === 'number' && !(lit.value <= 2 ** 63 && lit.value >= -(2 ** 63)))
        this.fail(`Scalar value ${formatGoFloatG(lit.value)} overflows int64`, param.pos.start);
      out.param = param;
    }
    return out;
  }
}

function unwrap(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}

/** math.Round: half away from zero. */
export function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function docType(t: ValueType): string {
  return t === 'vector' ? 'instant vector' : t === 'matrix' ? 'range vector' : t;
}

/** Parse a PromQL expression of the supported subset. Throws `PromQLError`. */
export function parse(input: string): Expr {
  if (input.trim() === '') throw new PromQLError('no expression found in input', 0);
  const root = toNode(input);
  const err = firstError(root);
  if (err) {
    const near = input.slice(err.from, Math.max(err.to, err.from + 1)).trim();
    const fn = /([a-zA-Z_][a-zA-Z0-9_]*)\s*$/.exec(input.slice(0, err.from));
    if (near.startsWith('(') && fn) throw new PromQLError(`unknown function with name ${JSON.stringify(fn[1])}`, fn.index);
    throw new PromQLError(near === '' ? 'syntax error: unexpected end of input' : `syntax error: unexpected ${JSON.stringify(near)}`, err.from);
  }
  const top = root.children.filter((c) => EXPR_NODES.has(c.name));
  if (top.length !== 1) throw new PromQLError('syntax error: expected exactly one expression', root.children[1]?.from ?? 0);
  return new Converter(input).convert(top[0]!);
}
