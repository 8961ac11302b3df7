import type { Expr, Matcher, VectorSelector } from './ast.js';

/**
 * Common sub-expressions of a batch of queries evaluated at one time (a rule group's rules): the
 * structural key of an expression, and which keys a batch evaluates more than once. Prometheus
 * evaluates every rule on its own; sharing a result is the same value, computed once.
 */

const keys = new WeakMap<Expr, string>();

const num = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

function matcherKey(m: Matcher): string {
  return `${JSON.stringify(m.name)}${m.type}${JSON.stringify(m.value)}`;
}

function selectorKey(v: VectorSelector): string {
  const at = v.at ? (v.at.kind === 'time' ? `@${num(v.at.ms)}` : `@${v.at.kind}`) : '';
  return `{${v.matchers.map(matcherKey).join(',')}} offset ${num(v.offsetMs)}${at}`;
}

/**
 * A string that two expressions share exactly when they evaluate alike: the tree without positions
 * (parentheses are transparent), numbers exact (`-0`, `NaN`), strings and label values quoted.
 */
export function exprKey(e: Expr): string {
  let k = keys.get(e);
  if (k !== undefined) return k;
  switch (e.kind) {
    case 'number':
      k = `n${num(e.value)}`;
      break;
    case 'string':
      k = `s${JSON.stringify(e.value)}`;
      break;
    case 'paren':
      k = exprKey(e.expr);
      break;
    case 'vector':
      k = `v${selectorKey(e)}`;
      break;
    case 'matrix':
      k = `m${selectorKey(e.selector)}[${num(e.rangeMs)}]`;
      break;
    case 'call':
      k = `c${e.func}(${e.args.map((a) => JSON.stringify(exprKey(a))).join(',')})`;
      break;
    case 'aggregate':
      k = `a${e.op} ${e.without ? 'without' : 'by'}${JSON.stringify(e.grouping)}(${e.param ? JSON.stringify(exprKey(e.param)) : ''},${JSON.stringify(exprKey(e.expr))})`;
      break;
    case 'binary': {
      const m = e.matching;
      const match = m ? JSON.stringify([m.card, m.on, m.labels, m.include]) : '';
      k = `b${e.op}${e.bool ? ' bool' : ''}${match}(${JSON.stringify(exprKey(e.lhs))},${JSON.stringify(exprKey(e.rhs))})`;
      break;
    }
    case 'unary':
      k = `u${e.op}(${JSON.stringify(exprKey(e.expr))})`;
      break;
  }
  keys.set(e, k);
  return k;
}

function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'call':
      return e.args;
    case 'aggregate':
      return e.param ? [e.param, e.expr] : [e.expr];
    case 'binary':
      return [e.lhs, e.rhs];
    case 'unary':
    case 'paren':
      return [e.expr];
    default:
      return [];
  }
}

const trivial = (e: Expr) => e.kind === 'number' || e.kind === 'string' || e.kind === 'paren';

/**
 * The sub-expressions a batch evaluates more than once and how often each is asked for, simulating
 * the evaluation: the first occurrence is computed (its children visited), later ones are answered
 * from the stored result (their children never asked).
 */
export function sharedUses(exprs: readonly Expr[]): Map<string, number> {
  const count = new Map<string, number>();
  const countAll = (e: Expr): void => {
    if (!trivial(e)) {
      const k = exprKey(e);
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    for (const c of children(e)) countAll(c);
  };
  for (const e of exprs) countAll(e);
  const uses = new Map<string, number>();
  const computed = new Set<string>();
  const simulate = (e: Expr): void => {
    if (!trivial(e)) {
      const k = exprKey(e);
      if (count.get(k)! >= 2) {
        uses.set(k, (uses.get(k) ?? 0) + 1);
        if (computed.has(k)) return;
        computed.add(k);
      }
    }
    for (const c of children(e)) simulate(c);
  };
  for (const e of exprs) simulate(e);
  for (const [k, n] of uses) if (n < 2) uses.delete(k);
  return uses;
}
