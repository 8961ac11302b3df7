/** Public API of the PromQL subset engine (see README.md). */
export * from './ast.js';
export { evalInstant, evalInstantRaw, evalRange, isStaleNaN, SharedResults, STALE_NAN } from './eval.js';
export { exprKey, sharedUses } from './shared.js';
export type { EvalOptions, InstantResult, Queryable, RangeResult, RangeSeries, Sample, SeriesData } from './eval.js';
export {
  compareLabels,
  dropMetricName,
  EMPTY_LABELS,
  formatGoFloat,
  formatGoFloatE,
  formatPromValue,
  type Labels,
  labelsKey,
  labelsMeta,
  labelsString,
  makeLabels,
  matches,
  matchesAll,
  METRIC_NAME,
} from './labels.js';
export { MemoryQueryable } from './memory.js';
export { isValidLabelName, makeMatcher, PromQLError, parse, parseDuration } from './parse.js';
