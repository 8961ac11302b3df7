import { Counter, Gauge } from 'prom-client';
import type { Route } from '../api/types.js';
import type { AcceptedReport, CollectorContext, Component } from '../core/component.js';
import type { CollectorConfig } from '../config.js';
import { AlertingRule } from './alerting.js';
import { alertsBody, queryBody, queryRangeBody, rulesBody } from './api.js';
import { DEFAULT_RULES_CONFIG, type RulesConfig, RulesManager } from './manager.js';
import { RulesStateStore } from './store.js';

/**
 * The rules component: Prometheus's rule manager in the collector. Consumes the fan-out into the rule
 * window, evaluates the groups on their schedule, sends alerts through ctx.hub.alerts, writes recording
 * results and ALERTS/ALERTS_FOR_STATE through ctx.series.appendOwn('rules', …), keeps alert state in
 * SQLite, serves the Prometheus-shaped rules/alerts/query API.
 */

export interface RulesComponent extends Component {
  manager: RulesManager;
  /** Series the collector produces itself into the window (pushed by the host when it has them). */
  appendSeries(samples: readonly WindowSample[]): void;
  /**
   * Series read at each evaluation cycle (pulled): the host's node liveness (`xunjian_node_up`, which
   * exists only at exposition time) and the like, so the shipped XunjianNodeDown works embedded.
   */
  setSeriesSource(fn: (now: number) => readonly WindowSample[]): void;
}

export interface WindowSample {
  labels: Record<string, string>;
  value: number;
  ts: number;
}

export function rulesConfigOf(cfg: CollectorConfig): RulesConfig {
  const r: Partial<RulesConfig> = cfg.rules ?? {};
  return { ...DEFAULT_RULES_CONFIG, ...r, window: { ...DEFAULT_RULES_CONFIG.window, ...(r.window ?? {}) } };
}

export function createRulesComponent(ctx: CollectorContext): RulesComponent {
  let cfg = rulesConfigOf(ctx.cfg());
  const state = new RulesStateStore(ctx.db);
  const manager = new RulesManager(cfg, {
    log: ctx.log,
    now: () => ctx.now(),
    notify: (alerts) => ctx.hub.alerts.send(alerts),
    appendOwn: (samples, intervalSeconds) => ctx.series.appendOwn('rules', samples, intervalSeconds),
    state,
    beforeCycle: async (now) => {
      await scrapeRegistry(ctx, now, (samples) => manager.ingest(samples));
      if (source) manager.ingest(source(now));
    },
  });
  // the collector's per-node series (xunjian_node_up, …) exist at evaluation time only: pulled each cycle
  let source: ((now: number) => readonly WindowSample[]) | undefined = ctx.fleet.nodeSeries;
  registerMetrics(ctx, manager);
  let started = false;

  return {
    name: 'rules',
    manager,
    start() {
      if (!cfg.enabled) return;
      manager.loadAtStart();
      manager.start();
      started = true;
    },
    stop() {
      manager.stop();
    },
    reload(next: CollectorConfig) {
      const nc = rulesConfigOf(next);
      if (!nc.enabled) {
        manager.stop();
        manager.load(nc, []);
        started = false;
        cfg = nc;
        return;
      }
      manager.load(nc); // throws RulesLoadError: the rules in force keep running
      cfg = nc;
      if (!started) {
        manager.start();
        started = true;
      }
    },
    append(r: AcceptedReport) {
      if (!started) return;
      manager.ingest(r.samples);
    },
    appendSeries(samples) {
      if (started) manager.ingest(samples);
    },
    setSeriesSource(fn) {
      source = fn;
    },
    routes(): Route[] {
      return [
        {
          method: 'GET',
          path: '/api/v1/rules',
          access: 'viewer',
          handler: (req) => ({ status: 200, body: rulesBody(manager, req.query.get('type') ?? undefined) }),
        },
        { method: 'GET', path: '/api/v1/alerts', access: 'viewer', handler: () => ({ status: 200, body: alertsBody(manager) }) },
        { method: 'GET', path: '/api/v1/query', access: 'viewer', handler: (req) => ({ status: 200, body: queryBody(manager, req.query, ctx.now()) }) },
        { method: 'GET', path: '/api/v1/query_range', access: 'viewer', handler: (req) => ({ status: 200, body: queryRangeBody(manager, req.query) }) },
      ];
    },
  };
}

/**
 * The collector's own metrics (ctx.registry: ingest rejects, the rules' own metrics, …) into the window
 * at each cycle, as a Prometheus scraping the collector would see them; the window keeps only the
 * series a rule selects.
 */
async function scrapeRegistry(
  ctx: CollectorContext,
  now: number,
  ingest: (s: { labels: Record<string, string>; value: number; ts: number }[]) => void,
): Promise<void> {
  const fams = await ctx.registry.getMetricsAsJSON();
  const samples: { labels: Record<string, string>; value: number; ts: number }[] = [];
  for (const f of fams) {
    for (const v of f.values as { value: number; labels: Record<string, string | number>; metricName?: string }[]) {
      const labels: Record<string, string> = { __name__: v.metricName ?? f.name };
      for (const [k, x] of Object.entries(v.labels)) labels[k] = String(x);
      samples.push({ labels, value: v.value, ts: now });
    }
  }
  ingest(samples);
}

function registerMetrics(ctx: CollectorContext, m: RulesManager): void {
  const registers = [ctx.registry];
  const perGroup = (name: string, help: string, value: (g: ReturnType<RulesManager['allGroups']>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['rule_group'],
      registers,
      collect() {
        this.reset();
        for (const g of m.allGroups()) this.set({ rule_group: g.key }, value(g));
      },
    });
  perGroup('xunjian_rule_group_last_duration_seconds', 'Duration of the last evaluation of the rule group.', (g) => g.lastDurationSeconds);
  perGroup('xunjian_rule_group_interval_seconds', 'The interval of the rule group.', (g) => g.intervalMs / 1000);
  perGroup('xunjian_rule_group_last_evaluation_timestamp_seconds', 'When the rule group was last evaluated (evaluation time).', (g) => g.lastEvaluation / 1000);
  perGroup('xunjian_rule_group_last_evaluation_samples', 'Samples returned by the last evaluation of the rule group.', (g) => g.lastSamples);
  perGroup('xunjian_rule_group_rules', 'Rules in the rule group.', (g) => g.rules.length);
  const perGroupCounter = (name: string, help: string, map: Map<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: ['rule_group'],
      registers,
      collect() {
        this.reset();
        for (const g of m.allGroups()) this.inc({ rule_group: g.key }, map.get(g.key) ?? 0);
      },
    });
  perGroupCounter('xunjian_rule_evaluations_total', 'Rule evaluations, per group.', m.counters.evaluations);
  perGroupCounter('xunjian_rule_evaluation_failures_total', 'Rule evaluations that failed, per group.', m.counters.failures);
  perGroupCounter('xunjian_rule_group_iterations_missed_total', 'Evaluation ticks skipped because the group ran late.', m.counters.missed);
  new Gauge({
    name: 'xunjian_rule_alerts',
    help: 'Alerts of the alerting rules, by state (pending, firing).',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const n = { pending: 0, firing: 0 };
      for (const g of m.allGroups())
        for (const r of g.rules) if (r instanceof AlertingRule) for (const a of r.activeAlerts()) if (a.state !== 'inactive') n[a.state]++;
      this.set({ state: 'pending' }, n.pending);
      this.set({ state: 'firing' }, n.firing);
    },
  });
  new Counter({
    name: 'xunjian_rule_notifications_total',
    help: 'Alerts handed to the notifier (firing re-sends and resolutions included).',
    registers,
    collect() {
      this.reset();
      this.inc(m.counters.alertsSent);
    },
  });
  new Counter({
    name: 'xunjian_rule_template_errors_total',
    help: 'Label or annotation templates that failed to expand (the text says <error expanding template: …>).',
    registers,
    collect() {
      this.reset();
      this.inc(m.counters.templateErrors);
    },
  });
  new Gauge({
    name: 'xunjian_rules_config_last_reload_successful',
    help: 'Whether the last load of the rule files succeeded (1) or a file was refused (0).',
    registers,
    collect() {
      this.set(m.counters.lastReloadOk ? 1 : 0);
    },
  });
  new Gauge({
    name: 'xunjian_rules_config_last_reload_success_timestamp_seconds',
    help: 'When the rule files last loaded without error.',
    registers,
    collect() {
      this.set(m.counters.lastReloadSuccess / 1000);
    },
  });
  const win = (name: string, help: string, f: (s: ReturnType<RulesManager['window']['stats']>) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(f(m.window.stats()));
      },
    });
  win('xunjian_rule_window_series', 'Series held in the rule window.', (s) => s.series);
  win('xunjian_rule_window_samples', 'Samples held in the rule window.', (s) => s.samples);
  win('xunjian_rule_window_bytes', 'Estimated memory of the rule window (sample buffers and label sets).', (s) => s.bytes);
  new Gauge({
    name: 'xunjian_rule_window_length_seconds',
    help: 'How far back the rule window keeps samples (longest rule reach + one interval).',
    registers,
    collect() {
      this.set(m.window.windowMs / 1000);
    },
  });
  new Counter({
    name: 'xunjian_rule_window_dropped_samples_total',
    help: 'Samples not taken into the rule window: late (older than the newest sample of their series by more than the series is kept) or over the series limit.',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const d = m.window.stats().dropped;
      this.inc({ reason: 'late' }, d.late);
      this.inc({ reason: 'series_limit' }, d.series_limit);
    },
  });
  new Counter({
    name: 'xunjian_rule_window_out_of_order_samples_total',
    help: 'Samples older than the newest sample of their series, inserted into the rule window at their time.',
    registers,
    collect() {
      this.reset();
      this.inc(m.window.stats().outOfOrder);
    },
  });
}
