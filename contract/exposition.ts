import type { MetricType, Sample } from './types.js';

/** Prometheus text exposition format 0.0.4 helpers. */

const NEEDS_ESCAPE = /[\\\n"]/;

export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** `{a="1",b="2"}` in the set's own key order ('' when empty); `skip` leaves one label out (`__name__`). */
export function formatLabels(labels: Record<string, string>, skip?: string): string {
  let out = '';
  for (const k in labels) {
    if (k === skip) continue;
    out += `${out === '' ? '{' : ','}${k}="${escapeLabelValue(labels[k]!)}"`;
  }
  return out === '' ? '' : `${out}}`;
}

export function expositionType(t: MetricType): string {
  return t === 'info' ? 'gauge' : t;
}

export interface RenderOptions {
  help?: Record<string, string>;
  /** Append each sample's own timestamp (ms). */
  timestamps?: boolean;
}

/**
 * Render samples grouped by metric family (one HELP/TYPE per family, families in first-seen order),
 * as Prometheus requires.
 */
export function renderExposition(samples: readonly Sample[], opts: RenderOptions = {}): string {
  const families = new Map<string, Sample[]>();
  for (const s of samples) {
    const f = families.get(s.name);
    if (f) f.push(s);
    else families.set(s.name, [s]);
  }
  const lines: string[] = [];
  for (const [name, list] of families) {
    const help = opts.help?.[name];
    if (help) lines.push(`# HELP ${name} ${escapeHelp(help)}`);
    lines.push(`# TYPE ${name} ${expositionType(list[0]!.type)}`);
    for (const s of list) {
      const ts = opts.timestamps ? ` ${s.ts}` : '';
      lines.push(`${name}${formatLabels(s.labels)} ${formatValue(s.value)}${ts}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
