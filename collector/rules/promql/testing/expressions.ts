/**
 * Expressions of the differential test: every function, aggregation and operator of the subset,
 * over the metrics of gen.ts, plus seeded random compositions.
 */
import { mulberry32 } from './gen.js';

export const T0 = 1_700_000_000_000;
const at = (ms: number) => (ms / 1000).toString();

export const FIXED: string[] = [
  // selectors, matchers, offset, @
  'dt_gauge',
  'dt_gauge{job="a"}',
  'dt_gauge{job!="a"}',
  'dt_gauge{instance=~"i[12]"}',
  'dt_gauge{instance!~"i1|i3",mode="user"}',
  '{__name__=~"dt_(gauge|other)"}',
  '{job="b",__name__=~"dt_.*"}',
  'dt_gauge{instance=~".*"}',
  'dt_gauge{instance=~""}',
  'dt_gauge offset 2m',
  'dt_gauge offset 47s',
  `dt_gauge @ ${at(T0 + 600_000)}`,
  `dt_gauge @ ${at(T0 + 600_000)} offset 1m`,
  'dt_gauge @ start()',
  'dt_gauge @ end()',
  'dt_churn',
  'dt_special',
  'dt_counter_total[1m]',
  'dt_churn[2m]',
  'dt_gauge[90s] offset 1m',
  // range functions
  'rate(dt_counter_total[1m])',
  'rate(dt_counter_total[5m])',
  'rate(dt_counter_total[47s])',
  'rate(dt_counter_total[5m] offset 3m)',
  `rate(dt_counter_total[5m] @ ${at(T0 + 900_000)})`,
  'irate(dt_counter_total[1m])',
  'irate(dt_counter_total[5m])',
  'increase(dt_counter_total[2m])',
  'increase(dt_churn[10m])',
  'delta(dt_gauge[3m])',
  'delta(dt_counter_total[1500ms])',
  'idelta(dt_gauge[2m])',
  'deriv(dt_gauge[5m])',
  'deriv(dt_counter_total[3m])',
  'changes(dt_gauge[5m])',
  'changes(dt_special[5m])',
  'resets(dt_counter_total[10m])',
  'avg_over_time(dt_gauge[2m])',
  'avg_over_time(dt_special[3m])',
  'min_over_time(dt_gauge[2m])',
  'min_over_time(dt_special[3m])',
  'max_over_time(dt_gauge[4m])',
  'max_over_time(dt_special[3m])',
  'sum_over_time(dt_gauge[3m])',
  'sum_over_time(dt_special[3m])',
  'count_over_time(dt_gauge[1m])',
  'count_over_time(dt_churn[5m])',
  'last_over_time(dt_gauge[1m])',
  'last_over_time(dt_churn[10m])',
  'quantile_over_time(0.3, dt_gauge[5m])',
  'quantile_over_time(0.9, dt_counter_total[2m])',
  'quantile_over_time(1.5, dt_gauge[2m])',
  'quantile_over_time(-1, dt_gauge[2m])',
  'stddev_over_time(dt_gauge[5m])',
  'stdvar_over_time(dt_gauge[5m])',
  'present_over_time(dt_churn[2m])',
  'absent_over_time(dt_churn[1m])',
  'absent_over_time(dt_churn{pod="p1"}[1m])',
  'absent_over_time(nope{job="x",a=~"b"}[5m])',
  // instant functions
  'absent(dt_gauge)',
  'absent(nope{job="x",env="prod",env=~"p.*"})',
  'absent(dt_churn{pod="p2"})',
  'time()',
  'time() - 1700000000',
  'timestamp(dt_gauge)',
  'timestamp(dt_gauge offset 1m)',
  `timestamp(dt_gauge @ ${at(T0 + 300_000)})`,
  'timestamp(dt_gauge * 2)',
  'vector(1)',
  'vector(time())',
  'scalar(dt_gauge{job="a",instance="i1",mode="user"})',
  'scalar(dt_gauge)',
  'dt_gauge * scalar(dt_other{job="a",instance="i2"})',
  'clamp(dt_gauge, 10, 40)',
  'clamp(dt_gauge, 5, 1)',
  'clamp_min(dt_gauge, 0)',
  'clamp_max(dt_special, 50)',
  'abs(dt_gauge)',
  'ceil(dt_gauge)',
  'floor(dt_gauge)',
  'sqrt(dt_other)',
  'sgn(dt_gauge)',
  'round(dt_gauge)',
  'round(dt_gauge, 0.3)',
  'round(dt_gauge, 5)',
  'round(dt_special, 0.1)',
  'label_replace(dt_gauge, "foo", "$1-x", "instance", "i(.*)")',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${1} is label_replace's replacement syntax
  'label_replace(dt_gauge, "foo", "${1}x$2", "instance", "(i)(\\\\d)")',
  'label_replace(dt_gauge, "instance", "", "instance", ".*")',
  'label_replace(dt_gauge, "foo", "bar", "nolabel", "")',
  'label_replace(dt_gauge, "job", "$name", "mode", "(?P<name>u.*)")',
  'label_join(dt_gauge, "foo", ",", "job", "instance", "mode")',
  'label_join(dt_gauge, "job", "", "nolabel")',
  'histogram_quantile(0.9, dt_hist_bucket)',
  'histogram_quantile(0.5, rate(dt_hist_bucket[5m]))',
  'histogram_quantile(0.99, sum by (le) (rate(dt_hist_bucket[5m])))',
  'histogram_quantile(0.1, sum by (le, job) (increase(dt_hist_bucket[2m])))',
  'histogram_quantile(1.5, dt_hist_bucket)',
  'histogram_quantile(-0.5, dt_hist_bucket)',
  'histogram_quantile(0.5, dt_hist_bucket{le!="+Inf"})',
  // aggregations
  'sum(dt_gauge)',
  'sum by (job) (dt_gauge)',
  'sum without (instance) (dt_gauge)',
  'sum(dt_special)',
  'avg(dt_gauge)',
  'avg by (mode) (dt_gauge)',
  'avg(dt_special)',
  'min by (job) (dt_gauge)',
  'max without (mode, instance) (dt_gauge)',
  'max(dt_special)',
  'min(dt_special)',
  'count(dt_gauge)',
  'count by (job) (dt_churn)',
  'count_values("value", round(dt_gauge / 20))',
  'count_values by (job) ("v", dt_info)',
  'count_values without (instance) ("v", ceil(dt_other / 10))',
  'stddev(dt_gauge)',
  'stddev by (job) (dt_gauge)',
  'stdvar without (mode) (dt_gauge)',
  'group by (job) (dt_gauge)',
  'quantile(0.25, dt_gauge)',
  'quantile by (job) (0.9, dt_gauge)',
  'quantile(0.5, dt_special)',
  'topk(2, dt_gauge)',
  'topk by (job) (1, dt_gauge)',
  'topk(3, round(dt_gauge / 10))',
  'topk(2, dt_special)',
  'bottomk(2, dt_gauge)',
  'bottomk without (instance) (2, round(dt_gauge / 30))',
  'bottomk(3, dt_special)',
  'topk(0, dt_gauge)',
  'topk(scalar(dt_gauge{job="a",instance="i1",mode="user"}) / 20, dt_gauge)',
  'sum(rate(dt_counter_total[5m])) by (job)',
  'sum by (__name__) ({__name__=~"dt_gauge|dt_other"})',
  // arithmetic, comparison, bool
  'dt_gauge + 1',
  '2 * dt_gauge',
  '1 - dt_gauge',
  'dt_gauge / 3',
  'dt_gauge / 0',
  '0 / dt_gauge',
  'dt_gauge % 7',
  '-7 % dt_other',
  'dt_gauge ^ 2',
  'dt_gauge ^ 3',
  '2 ^ dt_other',
  'dt_other ^ 0.5',
  'dt_other ^ -1',
  'dt_other ^ 1.5',
  '1 + 2 * 3 - 4 / 8',
  '2 ^ 3 ^ 2',
  '-2 ^ 2',
  '(1 + 2) % 2',
  '-dt_gauge',
  '- dt_gauge ^ 2',
  '+dt_gauge',
  '-(-dt_gauge)',
  'dt_gauge > 20',
  'dt_gauge > bool 20',
  '20 < dt_gauge',
  '20 < bool dt_gauge',
  'dt_gauge == bool dt_gauge',
  'dt_gauge != 0',
  'dt_gauge >= 10 <= 40',
  '1 == bool 1',
  '2 < bool 1',
  'dt_special == dt_special',
  'dt_special > bool 10',
  // vector matching
  'dt_gauge - dt_other',
  'dt_other - dt_other',
  'dt_gauge * on(job, instance) group_left dt_other',
  'dt_gauge * ignoring(mode) group_left dt_other',
  'dt_other / on(job, instance) group_right dt_gauge',
  'dt_gauge > on(job, instance) group_left dt_other',
  'dt_gauge > bool ignoring(mode) group_left dt_other',
  'dt_other + on(instance) group_left(version) dt_info',
  'dt_gauge * on(instance) group_left(version) dt_info',
  'dt_info * on(instance) group_right(version) dt_other',
  'dt_gauge + on(job) dt_other',
  'dt_gauge + dt_gauge',
  'dt_other + ignoring(job) dt_other',
  'sum by (job) (dt_gauge) / on(job) group_right sum by (job, instance) (dt_gauge)',
  'dt_gauge / ignoring(mode) sum without (mode) (dt_gauge)',
  'rate(dt_counter_total[5m]) / on(job, instance) group_left sum without (mode) (dt_gauge)',
  // set operators
  'dt_gauge and dt_other',
  'dt_gauge and on(instance) dt_other{job="a"}',
  'dt_gauge or dt_other',
  'dt_gauge{job="a"} or dt_gauge{job="b"}',
  'dt_churn or on(job) dt_other',
  'dt_gauge unless dt_other',
  'dt_gauge unless on(job) dt_churn',
  'dt_gauge and ignoring(mode) dt_other > 20',
  'dt_gauge > 10 and dt_gauge < 30 or dt_other',
  'vector(1) and dt_gauge',
  'dt_gauge or vector(0)',
  'sum(dt_churn) or vector(0)',
  // functions dropping names → labelset clashes
  'rate({__name__=~"dt_counter_total|dt_gauge"}[5m])',
  'abs({__name__=~"dt_gauge|dt_other"})',
  '-{__name__=~"dt_other|dt_counter_total"}',
  'last_over_time({__name__=~"dt_other|dt_counter_total"}[1m])',
  'histogram_quantile(0.5, {__name__=~"dt_hist_bucket|dt_other"})',
  'rate({__name__=~"dt_early|dt_late"}[1m])',
  'last_over_time({__name__=~"dt_early|dt_late"}[1m])',
  '-{__name__=~"dt_early|dt_late"}',
  'abs({__name__=~"dt_early|dt_late"})',
  '{__name__=~"dt_early|dt_late"} * 2',
  'sum({__name__=~"dt_early|dt_late"}) by (k)',
  // alerting-style expressions
  'up == 0',
  'absent(up{job="node"})',
  'rate(dt_counter_total[5m]) > 0.5',
  'avg_over_time(dt_gauge[5m]) > 30 and on(instance) dt_info',
  '(dt_gauge - dt_gauge offset 5m) / dt_gauge offset 5m * 100',
  'max_over_time(dt_gauge[5m]) - min_over_time(dt_gauge[5m]) > 10',
  'changes(dt_churn[10m]) > 3 or absent_over_time(dt_churn[5m])',
  'count by (job) (dt_gauge > 20) / count by (job) (dt_gauge)',
  'sum by (job) (increase(dt_counter_total[10m])) > 100',
];

/**
 * Go computes x^y for non-integer y as Exp(yf·Log(x)) with its amd64 assembly Exp (FMA-based);
 * JavaScript's Math.exp/Math.log may differ in the last bit: compared to a relative 2^-50 instead.
 */
export const APPROX = new Set(['2 ^ dt_other', 'dt_other ^ 1.5']);

/**
 * Prometheus's range queries feed each step the series of an intermediate result in Go map order
 * (random), so topk/bottomk break ties differently from run to run: instant steps only.
 */
export const INSTANT_ONLY = new Set(['topk(3, round(dt_gauge / 10))', 'bottomk without (instance) (2, round(dt_gauge / 30))']);

const METRICS = ['dt_gauge', 'dt_other', 'dt_counter_total', 'dt_churn', 'dt_special'];
const RANGE_FNS = ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'stddev_over_time', 'stdvar_over_time'];
const AGGS = ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group'];
const RANGES = ['30s', '1m', '2m', '5m', '7m13s'];
const OPS = ['+', '-', '*', '/', '%', '>', '<', '==', '!=', '>=', '<='];

/** Seeded random compositions of the subset. */
export function randomExpressions(seed: number, n: number): string[] {
  const rnd = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const sel = () => {
    const m = pick(METRICS);
    const r = rnd();
    if (r < 0.2) return `${m}{job="a"}`;
    if (r < 0.3) return `${m}{instance=~"i[13]"}`;
    if (r < 0.4) return `${m} offset ${pick(['30s', '2m', '5m'])}`;
    return m;
  };
  const vec = (d: number): string => {
    const r = rnd();
    if (d <= 0 || r < 0.25) return sel();
    if (r < 0.45) return `${pick(RANGE_FNS)}(${pick(METRICS)}[${pick(RANGES)}])`;
    if (r < 0.6) return `${pick(AGGS)} by (${pick(['job', 'instance', 'job, instance', 'mode'])}) (${vec(d - 1)})`;
    if (r < 0.7) return `${pick(['abs', 'ceil', 'floor', 'sgn', 'timestamp'])}(${vec(d - 1)})`;
    if (r < 0.8) return `${vec(d - 1)} ${pick(OPS)} ${Math.round(rnd() * 40 - 10)}`;
    if (r < 0.9) return `${vec(d - 1)} ${pick(['and', 'or', 'unless'])} ${vec(d - 1)}`;
    return `${pick(AGGS)} by (job) (${vec(d - 1)}) ${pick(['+', '/', '>', '-'])} on(job) group_right ${pick(AGGS)} by (job, instance) (${vec(d - 1)})`;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(vec(3));
  return out;
}
