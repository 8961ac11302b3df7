// @prometheus-io/lezer-promql 0.42 ships types but no "types" condition in its package.json exports,
// so NodeNext resolution cannot see them: declare the one export we use.
declare module '@prometheus-io/lezer-promql' {
  export const parser: import('@lezer/lr').LRParser;
}
