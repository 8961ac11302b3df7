/**
 * Grafana's variable expansion, as far as our queries use it, so that a panel query can be parsed or
 * run outside Grafana: `$__rate_interval`, `$__interval`, `$__range` (and `_s`/`_ms`), template
 * variables as the "All" regex (or given values, joined as Grafana does for a multi-value regex), and
 * `label_values(metric, label)` variable queries as the metric selector they read.
 */
export function expandForPromtool(expr: string, opts: { range?: string; rateInterval?: string; vars?: Record<string, string[]> } = {}): string {
  const range = opts.range ?? '1h';
  const lv = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(expr.trim());
  if (lv) return expandForPromtool(lv[1]!, opts);
  return expr
    .replace(/\$__rate_interval/g, opts.rateInterval ?? '5m')
    .replace(/\$__interval/g, '1m')
    .replace(/\$__range_s/g, String(seconds(range)))
    .replace(/\$__range_ms/g, String(seconds(range) * 1000))
    .replace(/\$__range/g, range)
    .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name: string) => {
      const v = opts.vars?.[name];
      return v?.length ? (v.length === 1 ? v[0]! : `(${v.join('|')})`) : '.*';
    });
}

function seconds(d: string): number {
  const m = /^(\d+)([smhd])$/.exec(d);
  if (!m) throw new Error(`duration ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
