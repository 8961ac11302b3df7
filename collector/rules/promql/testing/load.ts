/**
 * Loads series written in Prometheus's test notation into a MemoryQueryable:
 * `name{l="v"} 1 2 _ stale 0+10x3 5-1x2` — one sample per interval from t=0; `_` skips a sample,
 * `stale` writes a staleness marker, `a+bxn` / `a-bxn` expands to n+1 samples.
 */
import { STALE_NAN } from '../eval.js';
import { makeLabels } from '../labels.js';
import { MemoryQueryable } from '../memory.js';

function parseSeriesLine(line: string): { labels: Record<string, string>; values: string } {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?(\{[^}]*\})?\s+(.*)$/.exec(line);
  if (!m) throw new Error(`bad series line: ${line}`);
  const labels: Record<string, string> = {};
  if (m[1]) labels.__name__ = m[1];
  for (const x of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) labels[x[1]!] = JSON.parse(`"${x[2]}"`) as string;
  return { labels, values: m[3]! };
}

const num = (s: string) => (s === 'Inf' || s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : s === 'NaN' ? Number.NaN : Number(s));

export function load(intervalMs: number, text: string, q = new MemoryQueryable()): MemoryQueryable {
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const { labels, values } = parseSeriesLine(line);
    const l = makeLabels(labels);
    let i = 0;
    for (const tok of values.trim().split(/\s+/)) {
      const exp = /^(-?[\d.]+(?:e[+-]?\d+)?)([+-][\d.]+)x(\d+)$/.exec(tok);
      const gap = /^_x(\d+)$/.exec(tok);
      if (tok === '_') i++;
      else if (gap) i += Number(gap[1]);
      else if (tok === 'stale') q.append(l, intervalMs * i++, STALE_NAN);
      else if (exp) {
        const a = Number(exp[1]);
        const b = Number(exp[2]);
        for (let k = 0; k <= Number(exp[3]); k++) q.append(l, intervalMs * i++, a + b * k);
      } else q.append(l, intervalMs * i++, num(tok));
    }
  }
  return q;
}
