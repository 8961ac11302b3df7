import type { LabelSet } from '../core/component.js';
import { evalInstantRaw, type Expr, type Matcher, MemoryQueryable, parse, type Queryable, SharedResults, selectors } from './promql/index.js';
import type { InstantSample } from './types.js';
import type { TestEngine } from './unittest.js';

/**
 * The one place the rules package meets the PromQL engine (`promql/`): parsing (which also refuses
 * what is outside our subset), instant queries as rules need them, and what the window needs to know
 * of an expression (its selectors, how far back it reads).
 */

export type { Expr, Matcher, Queryable };
export { SharedResults };

export const LOOKBACK_MS = 300_000;

export function parseExpr(text: string): Expr {
  return parse(text);
}

/**
 * An instant query for a rule: a vector, or a scalar as one label-less sample (Prometheus's
 * EngineQueryFunc). `shared`: the sub-expression results shared by the rules of its group.
 */
export function instantQuery(expr: Expr, t: number, q: Queryable, shared?: SharedResults): InstantSample[] {
  const r = evalInstantRaw(expr, t, q, { lookbackMs: LOOKBACK_MS, ...(shared ? { shared } : {}) });
  if (r.type === 'vector') return r.samples.map((s) => ({ labels: s.labels as LabelSet, value: s.value }));
  if (r.type === 'scalar') return [{ labels: {}, value: r.value }];
  throw new Error('rule result is not a vector or scalar');
}

/** Each selector of an expression and how far back from the evaluation time it reads, ms. */
export function exprNeeds(e: Expr): { matchers: Matcher[]; reachMs: number }[] {
  return selectors(e).map(({ selector, rangeMs }) => ({
    matchers: selector.matchers,
    // an instant selector reads the lookback back; a range selector its range; offset shifts both back
    reachMs: (rangeMs > 0 ? rangeMs : LOOKBACK_MS) + Math.max(0, selector.offsetMs),
  }));
}

/** The engine as `xunjian rules test` drives it: MemoryQueryable stores, our instant queries. */
export const testEngine: TestEngine<Expr> = {
  parse: parseExpr,
  newStore() {
    const m = new MemoryQueryable();
    return {
      append: (labels, t, v) => m.append(labels, t, v),
      instant: (expr, t) => instantQuery(expr, t, m),
      group: (exprs) => {
        const shared = new SharedResults(exprs);
        return (expr, t) => instantQuery(expr, t, m, shared);
      },
    };
  },
};
