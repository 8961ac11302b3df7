import { HttpError } from '../api/types.js';
import type { LabelSet } from '../core/component.js';
import { AlertingRule } from './alerting.js';
import { type Expr, LOOKBACK_MS, parseExpr } from './engine.js';
import { formatFloat } from './gofmt.js';
import type { RulesManager } from './manager.js';
import { evalInstantRaw, evalRange } from './promql/index.js';
import { sortLabels } from './types.js';

/**
 * The HTTP API in the shape of Prometheus's (`/api/v1/rules`, `/api/v1/alerts`, `/api/v1/query`,
 * `/api/v1/query_range`): the same JSON, so Grafana and scripts written for Prometheus read it.
 * The query routes evaluate over the rule window (the series the loaded rules select, their results
 * and ALERTS), not over every series of the fleet; `rules.window.keepAll` widens that.
 */

/** Go's time.Time JSON (RFC 3339 with trimmed fractional seconds, UTC); 0 → Go's zero time. */
export function goTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString(); // …T00:00:00.123Z
  return iso.replace(/\.(\d{3})Z$/, (_m, f: string) => (f === '000' ? 'Z' : `.${f.replace(/0+$/, '')}Z`));
}

const fv = (v: number) => formatFloat(v, 'f', -1);

export function rulesBody(m: RulesManager, type?: string) {
  if (type !== undefined && type !== 'alert' && type !== 'record')
    throw new HttpError(400, 'bad_data', `invalid query parameter type: ${JSON.stringify(type)} (alert or record)`);
  const groups = m.allGroups().map((g) => ({
    name: g.name,
    file: g.file,
    rules: g.rules
      .filter((r) => type === undefined || (type === 'alert') === r instanceof AlertingRule)
      .map((r) => {
        const common = {
          name: r.name,
          query: r.def.expr,
          labels: sortLabels(r.def.labels),
          health: r.health,
          ...(r.lastError ? { lastError: r.lastError } : {}),
          evaluationTime: r.evaluationSeconds,
          lastEvaluation: goTime(r.lastEvaluation),
        };
        if (r instanceof AlertingRule)
          return {
            state: r.state(),
            name: r.name,
            query: r.def.expr,
            duration: r.def.forMs / 1000,
            keepFiringFor: r.def.keepFiringForMs / 1000,
            labels: common.labels,
            annotations: sortLabels(r.def.annotations),
            alerts: alertsOf(r),
            health: r.health,
            ...(r.lastError ? { lastError: r.lastError } : {}),
            evaluationTime: r.evaluationSeconds,
            lastEvaluation: common.lastEvaluation,
            type: 'alerting',
          };
        return { ...common, type: 'recording' };
      }),
    interval: g.intervalMs / 1000,
    limit: g.def.limit,
    evaluationTime: g.lastDurationSeconds,
    lastEvaluation: goTime(g.lastEvaluation),
  }));
  return { status: 'success', data: { groups } };
}

function alertsOf(r: AlertingRule<Expr>) {
  return r.activeAlerts().map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    state: a.state,
    activeAt: goTime(a.activeAt),
    ...(a.keepFiringSince ? { keepFiringSince: goTime(a.keepFiringSince) } : {}),
    value: formatFloat(a.value, 'e', -1),
  }));
}

export function alertsBody(m: RulesManager) {
  const alerts = m.allGroups().flatMap((g) => g.rules.filter((r): r is AlertingRule<Expr> => r instanceof AlertingRule).flatMap(alertsOf));
  return { status: 'success', data: { alerts } };
}

/** Prometheus's parseTime: Unix seconds (float) or RFC 3339. */
export function parseTime(s: string, name: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  if (/^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(t)) return t;
  throw new HttpError(400, 'bad_data', `invalid parameter ${JSON.stringify(name)}: cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/** Prometheus's parseDuration for `step`: seconds (float) or a duration (`15s`). */
function parseStep(s: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(s);
  if (!m || s === '') throw new HttpError(400, 'bad_data', `invalid parameter "step": cannot parse ${JSON.stringify(s)} to a valid duration`);
  const mult = [365 * 86400e3, 7 * 86400e3, 86400e3, 3600e3, 60e3, 1e3, 1];
  return m.slice(1).reduce((a, g, i) => a + (g ? Number(g) * mult[i]! : 0), 0);
}

function parseQuery(q: string | null): Expr {
  if (!q) throw new HttpError(400, 'bad_data', 'invalid parameter "query": no expression given');
  try {
    return parseExpr(q);
  } catch (e) {
    throw new HttpError(400, 'bad_data', `invalid parameter "query": ${(e as Error).message}`);
  }
}

export function queryBody(m: RulesManager, params: URLSearchParams, now: number) {
  const expr = parseQuery(params.get('query'));
  const tp = params.get('time');
  const t = tp ? parseTime(tp, 'time') : now;
  let r: ReturnType<typeof evalInstantRaw>;
  try {
    r = evalInstantRaw(expr, t, m.window, { lookbackMs: LOOKBACK_MS });
  } catch (e) {
    throw new HttpError(422, 'execution', (e as Error).message);
  }
  const ts = t / 1000;
  switch (r.type) {
    case 'vector':
      return { status: 'success', data: { resultType: 'vector', result: r.samples.map((s) => ({ metric: s.labels as LabelSet, value: [ts, fv(s.value)] })) } };
    case 'scalar':
      return { status: 'success', data: { resultType: 'scalar', result: [ts, fv(r.value)] } };
    case 'string':
      return { status: 'success', data: { resultType: 'string', result: [ts, r.value] } };
    case 'matrix':
      return {
        status: 'success',
        data: { resultType: 'matrix', result: r.series.map((s) => ({ metric: s.labels as LabelSet, values: s.t.map((x, i) => [x / 1000, fv(s.v[i]!)]) })) },
      };
  }
}

export function queryRangeBody(m: RulesManager, params: URLSearchParams) {
  const expr = parseQuery(params.get('query'));
  const sp = params.get('start');
  const ep = params.get('end');
  const stp = params.get('step');
  if (!sp) throw new HttpError(400, 'bad_data', 'invalid parameter "start": missing');
  if (!ep) throw new HttpError(400, 'bad_data', 'invalid parameter "end": missing');
  if (!stp) throw new HttpError(400, 'bad_data', 'invalid parameter "step": missing');
  const start = parseTime(sp, 'start');
  const end = parseTime(ep, 'end');
  const step = parseStep(stp);
  if (end < start) throw new HttpError(400, 'bad_data', 'end timestamp must not be before start time');
  if (step <= 0) throw new HttpError(400, 'bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
  if ((end - start) / step > 11000)
    throw new HttpError(400, 'bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  let r: ReturnType<typeof evalRange>;
  try {
    r = evalRange(expr, start, end, step, m.window, { lookbackMs: LOOKBACK_MS });
  } catch (e) {
    throw new HttpError(422, 'execution', (e as Error).message);
  }
  if (r.type === 'string') throw new HttpError(400, 'bad_data', 'invalid expression type "string" for range query, must be Scalar or instant Vector');
  return {
    status: 'success',
    data: { resultType: 'matrix', result: r.series.map((s) => ({ metric: s.labels as LabelSet, values: s.t.map((x, i) => [x / 1000, fv(s.v[i]!)]) })) },
  };
}
