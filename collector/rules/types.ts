import type { LabelSet, OutgoingAlert } from '../core/component.js';
import { goQuote } from './gofmt.js';

/** One element of an instant vector (a scalar result is one sample with no labels). */
export interface InstantSample {
  labels: LabelSet;
  value: number;
}

/** A sample a rule produces (recording result, ALERTS, ALERTS_FOR_STATE, or a staleness marker). */
export interface OutSample {
  labels: LabelSet;
  value: number;
  ts: number;
  /**
   * A staleness marker. Carried as a flag: a NaN's payload does not survive every path through V8
   * (object fields may canonicalise it), so the marker's bits are written only where stored.
   */
  stale?: true;
}

/** Evaluate an expression at an instant (ms). Throws on evaluation errors. */
export type QueryFunc<E> = (expr: E, tMs: number) => InstantSample[];
/** Hand alerts to the notifier (alerts/ through ctx.hub.alerts). */
export type NotifyFunc = (alerts: OutgoingAlert[]) => void;
/** Append produced samples (store + rule window). */
export type AppendFunc = (samples: OutSample[]) => void;

/** Prometheus's staleness marker (NaN with bit pattern 0x7ff0000000000002), as the engine defines it. */
export { isStaleNaN, STALE_NAN } from './promql/index.js';

/** Canonical key of a label set: sorted `name\xffvalue\xff…` (Prometheus's label set identity). */
export function labelsKey(l: LabelSet): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}\xff${l[k]}`)
    .join('\xff');
}

/** Label set sorted by name (Prometheus's order), as a new object. */
export function sortLabels(l: LabelSet): LabelSet {
  const out: LabelSet = {};
  for (const k of Object.keys(l).sort()) out[k] = l[k]!;
  return out;
}

/** Prometheus's Labels.String(): `{a="b", c="d"}` with Go %q quoting of values. */
export function labelsString(l: LabelSet): string {
  return `{${Object.keys(l)
    .sort()
    .map((k) => `${k}=${goQuote(l[k]!)}`)
    .join(', ')}}`;
}
