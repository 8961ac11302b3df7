/**
 * Expressions of the differential test: every function, aggregation and operator of the subset,
 * over the metrics of gen.ts, plus seeded random compositions.
 */
import { RANGE_FUNCTIONS } from '../ast.js';
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
  'dt_gauge offset -5m',
  'rate(dt_counter_total[5m] offset -2m)',
  `dt_gauge @ ${at(T0 + 600_000)} offset -1m`,
  `dt_gauge @ ${at(T0 + 600_000)}`,
  `dt_gauge @ ${at(T0 + 600_000)} offset 1m`,
  'dt_gauge @ start()',
  'dt_gauge @ end()',
  'dt_churn',
  'dt_special',
  'dt_counter_total[1m]',
  'dt_churn[2m]',
  'dt_gauge[90s] offset 1m',
  // regular expressions: Go RE2 semantics on awkward label values
  'dt_text{v=~".*"}',
  'dt_text{v=~"a.b"}',
  'dt_text{v=~"(?s)line.break"}',
  'dt_text{v=~"line.break"}',
  'dt_text{v=~"."}',
  'dt_text{v=~".+\\\\s.+"}',
  'dt_text{v=~"\\\\S+"}',
  'dt_text{v=~"\\\\p{Han}+.*"}',
  'dt_text{v=~"\\\\pL+\\\\PL.*"}',
  'dt_text{v=~"(?i)mixed.*"}',
  'dt_text{v=~"[[:alnum:]-]+\\\\:\\\\d+"}',
  'dt_text{v=~"\\\\Qweb-01:\\\\E.*"}',
  'dt_text{v=~"web-\\\\d{2}:\\\\d+"}',
  'dt_text{v!~".+"}',
  'dt_text{v=""}',
  'count(dt_text{v!~"a.*"})',
  'label_replace(dt_text, "first", "$1", "v", "(.)(.*)")',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${h} is label_replace's replacement syntax
  'label_replace(dt_text, "host", "${h}", "v", "(?P<h>[^:]+):.*")',
  'label_join(dt_text, "vk", "|", "v", "k")',
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
  `timestamp(dt_gauge @ ${at(T0 + 1_200_000)} offset 30m)`,
  `timestamp(dt_gauge @ ${at(T0 + 300_000)} offset -10m)`,
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
  '7 == bool dt_counter_total or on(job) dt_churn offset 30s * scalar(dt_counter_total)',
  'dt_gauge > 10 or dt_other offset 1m ^ 2 unless dt_churn',
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
  'time() - timestamp(dt_gauge) > 30',
  'count_values("job", round(dt_other / 10))',
  'label_replace(dt_gauge, "__name__", "renamed", "", "")',
  'label_replace(dt_gauge{mode="user"}, "__name__", "renamed", "", "") + on(job, instance) dt_other',
  'sum by (job) (dt_gauge) > bool on(job) group_left sum by (job) (dt_other)',
  'avg without (mode) (dt_gauge) / on(job, instance) (dt_other > 0)',
  'dt_gauge unless on(instance) (dt_info{version="v1"})',
  'min_over_time(dt_gauge[5m] @ end())',
  'rate(dt_counter_total[2m] @ start() offset -1m)',
];

/**
 * Go computes x^y for non-integer y as Exp(yf·Log(x)) with its amd64 assembly Exp (FMA-based);
 * JavaScript's Math.exp/Math.log may differ in the last bit: compared to a relative 2^-50 instead.
 */
export const APPROX = new Set(['2 ^ dt_other', 'dt_other ^ 1.5']);

const METRICS = ['dt_gauge', 'dt_other', 'dt_counter_total', 'dt_churn', 'dt_special'];
const RANGE_FNS = RANGE_FUNCTIONS.filter((f) => !['present_over_time', 'quantile_over_time', 'absent_over_time'].includes(f));
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
    if (r < 0.4) return `${m} offset ${pick(['30s', '2m', '5m', '-1m'])}`;
    if (r < 0.45) return `${m} @ ${pick(['1700000600', '1700001500.5', 'start()', 'end()'])}`;
    return m;
  };
  const num = () => String(Math.round(rnd() * 40 - 10));
  const vec = (d: number): string => {
    const r = rnd();
    if (d <= 0 || r < 0.2) return sel();
    if (r < 0.35) return `${pick(RANGE_FNS)}(${pick(METRICS)}[${pick(RANGES)}]${rnd() < 0.2 ? ` offset ${pick(['1m', '-1m', '3m'])}` : ''})`;
    if (r < 0.4) return `quantile_over_time(${pick(['0', '0.1', '0.5', '0.99', '1'])}, ${pick(METRICS)}[${pick(RANGES)}])`;
    if (r < 0.5) return `${pick(AGGS)} ${pick(['by', 'without'])} (${pick(['job', 'instance', 'job, instance', 'mode', ''])}) (${vec(d - 1)})`;
    if (r < 0.53) return `quantile by (job) (${pick(['0.2', '0.5', '0.9'])}, ${vec(d - 1)})`;
    if (r < 0.56) return `count_values("v", round(${vec(d - 1)}))`;
    if (r < 0.62) return `${pick(['abs', 'ceil', 'floor', 'sgn', 'timestamp', 'sqrt', 'round'])}(${vec(d - 1)})`;
    if (r < 0.65) return `clamp(${vec(d - 1)}, ${num()}, ${num()})`;
    if (r < 0.68) return `label_replace(${vec(d - 1)}, "job", "$1", "instance", "i(.)")`;
    if (r < 0.7) return `histogram_quantile(${pick(['0.5', '0.9'])}, sum by (le${rnd() < 0.5 ? ', job' : ''}) (rate(dt_hist_bucket[${pick(RANGES)}])))`;
    if (r < 0.78) return `${vec(d - 1)} ${pick(OPS)}${rnd() < 0.3 ? ' bool' : ''} ${rnd() < 0.7 ? num() : `scalar(${vec(d - 1)})`}`;
    if (r < 0.82) return `${num()} ${pick(OPS)}${rnd() < 0.3 ? ' bool' : ''} ${vec(d - 1)}`;
    if (r < 0.9) return `${vec(d - 1)} ${pick(['and', 'or', 'unless'])}${rnd() < 0.4 ? ` on(${pick(['job', 'instance', ''])})` : ''} ${vec(d - 1)}`;
    if (r < 0.92) return `${vec(d - 1)} ${pick(['*', '+', '>'])} on(instance) group_left(version) dt_info`;
    if (r < 0.94) return `-${vec(d - 1)}`;
    if (r < 0.96) return `(${vec(d - 1)})`;
    return `${pick(AGGS)} by (job) (${vec(d - 1)}) ${pick(['+', '/', '>', '-'])} on(job) group_right ${pick(AGGS)} by (job, instance) (${vec(d - 1)})`;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(vec(3));
  return out;
}

/** Prometheus 2.42 refuses these (parse or evaluation error); so must we, when parsing. */
export const INVALID: string[] = [
  'dt_gauge offset 5m offset 1m',
  'dt_gauge @ 100 @ 200',
  'dt_gauge offset 5m [1m]',
  'dt_gauge @ 100 [1m]',
  'rate(dt_gauge[5m]) offset 1m',
  '(dt_gauge) offset 1m',
  'sum(dt_gauge) @ 100',
  'dt_gauge offset 0s',
  '1 > 2',
  'dt_gauge and 1',
  '1 or dt_gauge',
  'dt_gauge + on(job) group_left(job) dt_other',
  'dt_gauge and on(job) group_left dt_other',
  'dt_gauge + bool dt_other',
  'rate(dt_gauge)',
  'rate(dt_gauge[0s])',
  'dt_gauge[5m][1m]',
  '(dt_gauge + 1)[5m]',
  '{}',
  '{job=""}',
  '{job=~".*"}',
  'dt_gauge{__name__="dt_other"}',
  'dt_gauge{job=~"("}',
  'sum(dt_gauge, dt_other)',
  'topk(dt_gauge)',
  'topk("x", dt_gauge)',
  'count_values(1, dt_gauge)',
  'count_values("1a", dt_gauge)',
  'quantile(dt_gauge, dt_other)',
  'topk(Inf, dt_gauge)',
  'abs(1)',
  'abs(dt_gauge, dt_other)',
  'round(dt_gauge, 1, 2)',
  'label_join(dt_gauge, "a")',
  'label_replace(dt_gauge, "1a", "", "job", "")',
  'label_replace(dt_gauge, "a", "", "job", "(")',
  'label_join(dt_gauge, "a", ",", "1b")',
  'histogram_quantile(dt_gauge, dt_other)',
  'time(1)',
  'vector(dt_gauge)',
  'scalar(1)',
  '-"a"',
  '"a" + 1',
  'dt_gauge + "a"',
  'dt_gauge{',
  'dt_gauge)',
  '(dt_gauge',
  'sum by (job) by (mode) (dt_gauge)',
  'sum(dt_gauge) by ("job")',
  'dt_gauge @ start',
  'dt_gauge @ Inf',
  'dt_gauge offset 1x',
  '1 +',
  'dt_gauge dt_other',
  '',
  '"unterminated',
  'nofunc(dt_gauge)',
];

/** Valid PromQL outside the subset: Prometheus accepts it, we refuse and name the construct. */
export const OUTSIDE_SUBSET: [string, RegExp][] = [
  ['dt_gauge[5m:1m]', /subqueries/],
  ['max_over_time(dt_gauge[5m:])', /subqueries/],
  ['dt_gauge atan2 dt_other', /atan2/],
  ['holt_winters(dt_gauge[5m], 0.5, 0.5)', /"holt_winters" is not in the supported PromQL subset/],
  ['predict_linear(dt_gauge[5m], 3600)', /"predict_linear"/],
  ['sort(dt_gauge)', /"sort"/],
  ['exp(dt_gauge)', /"exp"/],
  ['day_of_week()', /"day_of_week"/],
];

/** Valid corner cases of the syntax (numbers, strings, commas, comments, modifiers). */
export const SYNTAX: string[] = [
  '017 + 09',
  '0x1F * 1e3 - .5 + 5.',
  'Inf',
  '-Inf',
  'NaN',
  'nan + 1',
  'dt_gauge offset 1h30m',
  'count_over_time(dt_gauge[1h30m15s])',
  'sum without () (dt_gauge)',
  'sum(dt_gauge) by (job,)',
  'dt_gauge{job="a",}',
  "dt_gauge{job='a'}",
  'dt_gauge{job=`a`}',
  'dt_gauge{mode=~"us\\\\w+"}',
  'dt_gauge{mode=~"(?i)USER"}',
  'dt_gauge # a comment',
  'sum(dt_gauge) without (job)',
  'rate(dt_counter_total[5m] @ 1700000900 offset 1m)',
  'dt_gauge @ 1700000900.5',
  'dt_gauge @ 1.7e9',
  '1 == bool 2',
  'dt_gauge == bool on(job, instance) group_left dt_other',
  '(((dt_gauge)))',
  '- - dt_gauge',
  'label_join(dt_gauge, "a", ",")',
  'round(dt_gauge)',
  'absent(dt_gauge{job="a"} offset 1h)',
  'time() + -2 ^ 2',
  '-1 ^ 0.5',
  '2 * -dt_gauge ^ 2',
];
