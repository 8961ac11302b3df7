/**
 * Seeded generator of promtool test files for the differential harness: random input series (gaps,
 * staleness markers, counter resets, series that start late or stop), random alerting and recording
 * rules over them, and tests with empty expectations, so that both `promtool test rules` and
 * `xunjian rules test` fail and print everything they got: every alert's labels and `$value` (shortest
 * round-trip float, so to the last bit) at every tested time, every expression's samples.
 */

import { RANGE_FUNCTIONS } from './promql/ast.js';
import { mulberry32 } from './promql/testing/gen.js';

export interface Generated {
  rules: string;
  test: (rulesFile: string) => string;
}

// range functions of one argument (quantile_over_time takes two; absent_/present_over_time give no values to compare)
const RANGE_FNS = RANGE_FUNCTIONS.filter((f) => !['stdvar_over_time', 'present_over_time', 'quantile_over_time', 'absent_over_time'].includes(f));
// Only aggregations whose float result does not depend on the order of the (at most two) series per
// group: promtool's own order is random (its test loader appends series in Go map order, so series
// references, and the order `avg`/`stddev` accumulate in, change from run to run: the last digits of
// its results vary between two runs of the same file).
const AGGS = ['sum', 'min', 'max', 'count'];

export function generate(seed: number): Generated {
  const rnd = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const steps = 24;
  const series: string[] = [];
  const insts = ['a', 'b', 'c'];
  // counters with resets, gaps, stale markers; gauges with churn
  for (const inst of insts) {
    let v = int(0, 50);
    const vals: string[] = [];
    for (let i = 0; i < steps; ) {
      const r = rnd();
      if (r < 0.1) {
        vals.push('_');
        i++;
      } else if (r < 0.15) {
        vals.push('stale');
        i++;
      } else if (r < 0.22) {
        v = int(0, 5); // reset
        vals.push(String(v));
        i++;
      } else if (r < 0.5) {
        const n = int(1, 4);
        const step = int(0, 20);
        vals.push(`${v}+${step}x${n}`);
        v += step * n;
        i += n + 1;
      } else {
        v += int(0, 30);
        vals.push(String(v));
        i++;
      }
    }
    series.push(`      - series: 'gen_requests_total{inst="${inst}",job="${inst === 'c' ? 'y' : 'x'}"}'\n        values: '${vals.join(' ')}'`);
    const g: string[] = [];
    const start = inst === 'c' ? int(0, 8) : 0;
    for (let i = 0; i < start; i++) g.push('_');
    for (let i = start; i < steps; i++) {
      const r = rnd();
      if (r < 0.08) g.push('_');
      else if (r < 0.12) g.push('stale');
      else g.push((Math.round(rnd() * 2000) / 10 - 50).toString());
    }
    series.push(`      - series: 'gen_temp{inst="${inst}",job="${inst === 'c' ? 'y' : 'x'}"}'\n        values: '${g.join(' ')}'`);
  }
  const sel = () => pick(['gen_requests_total', 'gen_requests_total{job="x"}', 'gen_requests_total{inst=~"a|c"}', 'gen_temp', 'gen_temp{inst!="b"}']);
  const exprs: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = rnd();
    let e: string;
    if (r < 0.45) e = `${pick(RANGE_FNS)}(${sel()}[${pick(['1m', '2m', '3m', '150s'])}])`;
    else if (r < 0.7) e = `${pick(AGGS)} by (job) (${pick(RANGE_FNS)}(${sel()}[${pick(['2m', '3m'])}]))`;
    else if (r < 0.85) e = `${sel()} ${pick(['>', '<', '>=', '!='])} ${int(-10, 100)}`;
    else e = `${sel()} ${pick(['*', '-', '/', '+'])} on(inst, job) ${pick(['gen_temp', 'gen_requests_total'])}`;
    if (rnd() < 0.4) e = `${e} ${pick(['>', '<'])} ${int(-5, 40)}`;
    exprs.push(e);
  }
  const rules: string[] = [
    'groups:',
    '  - name: gen',
    '    rules:',
    '      - record: gen:req:rate2m',
    '        expr: sum by (job) (rate(gen_requests_total[2m]))',
  ];
  exprs.forEach((e, i) => {
    rules.push(`      - alert: Gen${i}`, `        expr: ${JSON.stringify(e)}`);
    const f = pick(['0s', '1m', '2m', '3m']);
    if (f !== '0s') rules.push(`        for: ${f}`);
    if (rnd() < 0.3) rules.push(`        keep_firing_for: ${pick(['1m', '2m', '4m'])}`);
    rules.push('        annotations:', '          v: "{{ $value }}"');
  });
  rules.push(
    '      - alert: GenRecorded',
    '        expr: gen:req:rate2m > 1',
    '        for: 1m',
    '        annotations:',
    '          v: "{{ $value | humanize }}"',
  );
  const alertTests: string[] = [];
  for (let t = 0; t <= steps; t += int(1, 3))
    for (const name of [...exprs.map((_e, i) => `Gen${i}`), 'GenRecorded'])
      alertTests.push(`      - eval_time: ${t}m\n        alertname: ${name}\n        exp_alerts: [{exp_labels: {never: matches}}]`);
  const exprTests: string[] = [];
  for (let i = 0; i < 6; i++)
    exprTests.push(
      `      - expr: ${JSON.stringify(pick([...exprs, 'gen:req:rate2m', 'ALERTS', 'ALERTS_FOR_STATE']))}\n        eval_time: ${int(1, steps)}m\n        exp_samples: [{labels: '{never="matches"}', value: 0}]`,
    );
  return {
    rules: `${rules.join('\n')}\n`,
    test: (rulesFile) =>
      `rule_files: [${JSON.stringify(rulesFile)}]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n${series.join('\n')}\n    alert_rule_test:\n${alertTests.join('\n')}\n    promql_expr_test:\n${exprTests.join('\n')}\n`,
  };
}
