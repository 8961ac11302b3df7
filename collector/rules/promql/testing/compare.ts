/** Canonical forms of Prometheus's and our results, compared as sets with values as Go formats them. */
import type { InstantResult, RangeResult, RangeSeries } from '../eval.js';
import { formatGoFloat, formatPromValue, labelsKey, labelsString, makeLabels } from '../labels.js';
import type { PromAnswer } from './prometheus.js';

export type Canon =
  | { kind: 'error'; message: string }
  | { kind: 'scalar' | 'string'; value: string }
  | { kind: 'vector' | 'matrix'; items: Map<string, string> };

const pretty = (k: string) => k.replaceAll('\x00', '=').replaceAll('\x01', ',');

export function canonProm(a: PromAnswer): Canon {
  if (!a.ok) return { kind: 'error', message: a.error };
  const d = a.data;
  switch (d.resultType) {
    case 'scalar':
    case 'string':
      return { kind: d.resultType, value: d.result[1] };
    case 'vector':
      return { kind: 'vector', items: new Map(d.result.map((s) => [labelsKey(makeLabels(s.metric)), s.value[1]])) };
    case 'matrix':
      return {
        kind: 'matrix',
        items: new Map(d.result.map((s) => [labelsKey(makeLabels(s.metric)), s.values.map(([t, v]) => `${Math.round(t * 1000)}:${v}`).join(' ')])),
      };
  }
}

function canonSeries(series: RangeSeries[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of series) {
    const k = labelsKey(s.labels);
    if (m.has(k)) throw new Error(`our result holds ${labelsString(s.labels)} twice`);
    m.set(k, s.t.map((t, i) => `${t}:${formatPromValue(s.v[i]!)}`).join(' '));
  }
  return m;
}

export function canonOurs(run: () => InstantResult | RangeResult | { type: 'matrix'; series: RangeSeries[] }): Canon {
  let r: InstantResult | RangeResult | { type: 'matrix'; series: RangeSeries[] };
  try {
    r = run();
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  switch (r.type) {
    case 'scalar':
      return { kind: 'scalar', value: formatGoFloat(r.value) };
    case 'string':
      return { kind: 'string', value: r.value };
    case 'vector': {
      const m = new Map<string, string>();
      for (const s of r.samples) {
        const k = labelsKey(s.labels);
        if (m.has(k)) throw new Error(`our result holds ${labelsString(s.labels)} twice`);
        m.set(k, formatPromValue(s.value));
      }
      return { kind: 'vector', items: m };
    }
    case 'matrix':
      return { kind: 'matrix', items: canonSeries(r.series) };
  }
}

const num = (s: string) => (s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));

/**
 * Values (or range series "t:v t:v") equal within a relative 2^-50 ('ulp'), or — where the order of
 * float operations is random in Prometheus itself ('order') — within 1e-9 × max(1, |v|).
 */
function close(a: string, b: string, how: 'ulp' | 'order'): boolean {
  const xs = a.split(' ');
  const ys = b.split(' ');
  if (xs.length !== ys.length) return false;
  return xs.every((x, i) => {
    const [tx, vx] = x.includes(':') ? x.split(':') : ['', x];
    const [ty, vy] = ys[i]!.includes(':') ? ys[i]!.split(':') : ['', ys[i]!];
    const p = num(vx!);
    const q = num(vy!);
    const tol = how === 'ulp' ? Math.abs(p) * 2 ** -50 : 1e-9 * Math.max(1, Math.abs(p));
    return tx === ty && (p === q || (Number.isNaN(p) && Number.isNaN(q)) || Math.abs(p - q) <= tol);
  });
}

function firstDifference(theirs: string, ours: string): string {
  const a = theirs.split(' ');
  const b = ours.split(' ');
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) return `prometheus ${a[i] ?? '(end)'}, ours ${b[i] ?? '(end)'} (point ${i} of ${a.length}/${b.length})`;
  return 'equal';
}

/** Differences, empty when equal. Errors compare by presence (messages are reported, not compared). */
export function diff(theirs: Canon, ours: Canon, approx: false | 'ulp' | 'order' = false): string[] {
  if (theirs.kind === 'error' || ours.kind === 'error') {
    if (theirs.kind === ours.kind) return [];
    return [
      `prometheus: ${theirs.kind === 'error' ? `error ${theirs.message}` : theirs.kind}; ours: ${ours.kind === 'error' ? `error ${ours.message}` : ours.kind}`,
    ];
  }
  if (theirs.kind !== ours.kind) return [`result type: prometheus ${theirs.kind}, ours ${ours.kind}`];
  if (theirs.kind === 'scalar' || theirs.kind === 'string') {
    const o = ours as { value: string };
    return theirs.value === o.value ? [] : [`value: prometheus ${theirs.value}, ours ${o.value}`];
  }
  const o = (ours as { items: Map<string, string> }).items;
  const t = (theirs as { items: Map<string, string> }).items;
  const out: string[] = [];
  for (const [k, v] of t) {
    const w = o.get(k);
    if (w === undefined) out.push(`missing {${pretty(k)}} = ${v}`);
    else if (w !== v && !(approx && close(v, w, approx))) out.push(`{${pretty(k)}}: ${firstDifference(v, w)}`);
  }
  for (const [k, w] of o) if (!t.has(k)) out.push(`extra {${pretty(k)}} = ${w}`);
  return out;
}
