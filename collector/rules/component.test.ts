import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import type { ApiRequest } from '../api/types.js';
import { SqliteAudit } from '../audit/audit.js';
import { type AcceptedReport, type CollectorContext, EMPTY_FLEET, type OutgoingAlert, type SeriesSample } from '../core/component.js';
import type { CollectorConfig } from '../config.js';
import { openDatabase } from '../store/db.js';
import { createRulesComponent, type RulesComponent } from './component.js';
import { DEFAULT_RULES_CONFIG, type RulesConfig, RulesLoadError } from './manager.js';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

const RULES = `groups:
  - name: test
    interval: 1m
    rules:
      - record: node:load:max
        expr: max by (node) (node_load1)
      - alert: NodeLoadHigh
        expr: node:load:max > 4
        for: 3m
        labels: {severity: warning}
        annotations:
          summary: "load {{ $value }} on {{ $labels.node }}"
`;

interface Harness {
  comp: RulesComponent;
  sent: OutgoingAlert[];
  own: { samples: SeriesSample[]; interval: number }[];
  clock: { now: number };
  registry: Registry;
}

function harness(dataDir: string, rulesFile: string, clock = { now: T0 }, extra: Partial<RulesConfig> = {}): Harness {
  const db = openDatabase(dataDir);
  const sent: OutgoingAlert[] = [];
  const own: Harness['own'] = [];
  const registry = new Registry();
  const rules: RulesConfig = { ...DEFAULT_RULES_CONFIG, builtin: false, files: [rulesFile], ...extra };
  const cfg = { rules } as unknown as CollectorConfig;
  const ctx: CollectorContext = {
    cfg: () => cfg,
    db,
    log: createLogger({ level: 'error', write: () => {} }),
    now: () => clock.now,
    registry,
    fleet: EMPTY_FLEET,
    audit: new SqliteAudit(db),
    series: { appendOwn: (_src, samples, interval) => own.push({ samples, interval }) },
    hub: { alerts: { send: (a) => sent.push(...a) } },
  };
  return { comp: createRulesComponent(ctx), sent, own, clock, registry };
}

function report(node: string, ts: number, load: number): AcceptedReport {
  return {
    report: {
      v: 1,
      node: { id: node, site: 's', zone: 'extranet', grade: 3, labels: {} },
      agent: { version: 't', interval: 60 },
      seq: 1,
      sentAt: ts,
      samples: [],
    } as unknown as AcceptedReport['report'],
    stream: '',
    receivedAt: ts,
    samples: [
      { labels: { __name__: 'node_load1', node, site: 's', zone: 'extranet' }, value: load, type: 'gauge', ts },
      { labels: { __name__: 'unrelated_metric', node }, value: 1, type: 'gauge', ts },
    ],
    changedFacts: [],
    newStream: false,
  };
}

/** Feed one report per node per minute and evaluate, minute by minute, from..to (inclusive). */
function run(h: Harness, from: number, to: number, load: (m: number) => number) {
  for (let m = from; m <= to; m++) {
    h.clock.now = T0 + m * M;
    h.comp.append!(report('n1', h.clock.now, load(m)));
    h.comp.manager.runDue(h.clock.now + 59_999);
  }
}

const get = (h: Harness, path: string, q = ''): unknown => {
  const r = h.comp.routes!().find((x) => x.path === path)!;
  const req = { method: 'GET', path, params: {}, query: new URLSearchParams(q), headers: {}, body: undefined, remote: '127.0.0.1' } as ApiRequest;
  return (r.handler(req) as { body: unknown }).body;
};

describe('rules component', () => {
  it('evaluates fan-out data, records, fires through the hub, appends ALERTS to the store, serves the API', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-rules-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, RULES);
    const h = harness(join(dir, 'data'), file);
    h.comp.start!();
    run(h, 0, 6, (m) => (m >= 1 ? 6 : 1));
    h.comp.stop!();
    // pending at 1m (first tick seeing 6), firing at 4m, sent then and again after the resend delay (1m) at 6m
    // (evaluation times carry the group's offset within the minute, as Prometheus spreads groups)
    expect(h.sent.map((a) => Math.floor((a.startsAt - T0) / M))).toEqual([4, 4]);
    expect(h.sent[0]).toMatchObject({
      labels: { alertname: 'NodeLoadHigh', node: 'n1', severity: 'warning' },
      annotations: { summary: 'load 6 on n1' },
      value: 6,
    });
    const a = h.sent[0]!;
    expect(a.endsAt - a.startsAt).toBe(4 * M);
    expect(h.sent[1]!.endsAt).toBe(a.startsAt + 2 * M + 4 * M);
    expect(a.generatorURL).toContain('/graph?g0.expr=node%3Aload%3Amax+%3E+4');
    // recording results and ALERTS into the series store, as `rules` own series at the group interval
    const names = new Set(h.own.flatMap((o) => o.samples.map((s) => s.labels.__name__)));
    expect([...names].sort()).toEqual(['ALERTS', 'ALERTS_FOR_STATE', 'node:load:max']);
    expect(new Set(h.own.map((o) => o.interval))).toEqual(new Set([60]));
    // the window holds only what the rules select
    expect(h.comp.manager.window.stats().series).toBeGreaterThan(0);
    const q = get(h, '/api/v1/query', `query=unrelated_metric&time=${(T0 + 6 * M) / 1000}`) as { data: { result: unknown[] } };
    expect(q.data.result).toEqual([]);
    const qr = get(h, '/api/v1/query', `query=node:load:max&time=${(T0 + 6 * M) / 1000}`);
    expect(qr).toEqual({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { __name__: 'node:load:max', node: 'n1' }, value: [(T0 + 6 * M) / 1000, '6'] }] },
    });
    const alerts = get(h, '/api/v1/alerts') as { data: { alerts: Record<string, unknown>[] } };
    expect(alerts.data.alerts).toEqual([
      {
        labels: { alertname: 'NodeLoadHigh', node: 'n1', severity: 'warning' },
        annotations: { summary: 'load 6 on n1' },
        state: 'firing',
        activeAt: expect.stringMatching(/^2026-01-05T08:01:\d\d(\.\d+)?Z$/),
        value: '6e+00',
      },
    ]);
    const rules = get(h, '/api/v1/rules', 'type=alert') as { data: { groups: { rules: Record<string, unknown>[]; interval: number }[] } };
    expect(rules.data.groups[0]!.interval).toBe(60);
    expect(rules.data.groups[0]!.rules).toHaveLength(1);
    expect(rules.data.groups[0]!.rules[0]).toMatchObject({
      name: 'NodeLoadHigh',
      type: 'alerting',
      state: 'firing',
      duration: 180,
      keepFiringFor: 0,
      health: 'ok',
      query: 'node:load:max > 4',
    });
    const range = get(h, '/api/v1/query_range', `query=node_load1&start=${(T0 + 4 * M) / 1000}&end=${(T0 + 6 * M) / 1000}&step=60`) as {
      data: { result: { values: unknown[] }[] };
    };
    expect(range.data.result[0]!.values).toEqual([
      [(T0 + 4 * M) / 1000, '6'],
      [(T0 + 5 * M) / 1000, '6'],
      [(T0 + 6 * M) / 1000, '6'],
    ]);
    expect(() => get(h, '/api/v1/query', 'query=rate(')).toThrow(/invalid parameter "query"/);
  });

  it('a restart neither loses firing alerts nor re-fires them as new', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-rules-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, RULES);
    const h1 = harness(join(dir, 'data'), file);
    h1.comp.start!();
    run(h1, 0, 6, () => 6);
    h1.comp.stop!();
    const firstStartsAt = h1.sent[0]!.startsAt;
    // restart 5 minutes later (within outageTolerance), same data directory
    const h2 = harness(join(dir, 'data'), file, { now: T0 + 11 * M });
    h2.comp.start!();
    const before = (get(h2, '/api/v1/alerts') as { data: { alerts: { state: string }[] } }).data.alerts;
    expect(before.map((a) => a.state)).toEqual(['firing']);
    run(h2, 11, 12, () => 6);
    h2.comp.stop!();
    expect(h2.sent.length).toBeGreaterThan(0);
    expect(h2.sent.every((a) => a.startsAt === firstStartsAt)).toBe(true);
    const metrics = await h2.registry.metrics();
    expect(metrics).toContain('xunjian_rule_alerts{state="firing"} 1');
    expect(metrics).toMatch(/xunjian_rule_evaluations_total\{rule_group="[^"]+r\.yaml;test"\} 4/);
    expect(metrics).toContain('xunjian_rule_group_rules{rule_group=');
    expect(metrics).toContain('xunjian_rule_window_series ');
    expect(metrics).toContain('xunjian_rules_config_last_reload_successful 1');
  });

  it('a restored pending alert keeps its for-progress (shifted by the downtime, as Prometheus)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-rules-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, RULES.replace('for: 3m', 'for: 30m'));
    const h1 = harness(join(dir, 'data'), file);
    h1.comp.start!();
    run(h1, 0, 20, () => 6); // pending since 0m, 20 of 30 minutes done
    h1.comp.stop!();
    const h2 = harness(join(dir, 'data'), file, { now: T0 + 25 * M });
    h2.comp.start!();
    const alert = (get(h2, '/api/v1/alerts') as { data: { alerts: { state: string; activeAt: string }[] } }).data.alerts[0]!;
    expect(alert.state).toBe('pending');
    // 10 minutes left ≥ forGracePeriod (10m): activeAt moves by the downtime (from 20m to 25m = 5m)
    expect(Date.parse(alert.activeAt)).toBe(T0 + 5 * M);
    h2.comp.stop!();
  });

  it('reload with a broken file is refused (file, line, reason) and the rules in force keep running', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-rules-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, RULES);
    const h = harness(join(dir, 'data'), file);
    h.comp.start!();
    run(h, 0, 1, () => 6);
    writeFileSync(file, RULES.replace('node:load:max > 4', 'node:load:max >'));
    const cfg = { rules: { ...DEFAULT_RULES_CONFIG, builtin: false, files: [file] } } as unknown as CollectorConfig;
    let err: unknown;
    try {
      h.comp.reload!(cfg);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RulesLoadError);
    expect((err as Error).message).toContain(`${file}: 8:15: group "test", rule 2, "NodeLoadHigh": could not parse expression:`);
    run(h, 2, 5, () => 6);
    expect(new Set(h.sent.map((a) => a.labels.alertname))).toEqual(new Set(['NodeLoadHigh']));
    expect(h.comp.manager.counters.lastReloadOk).toBe(false);
    // a good file reloads, alert state carried over (same rule name and labels)
    writeFileSync(file, RULES.replace('annotations:', 'annotations:\n          extra: "x"'));
    h.comp.reload!(cfg);
    const al = (get(h, '/api/v1/alerts') as { data: { alerts: { state: string }[] } }).data.alerts;
    expect(al.map((a) => a.state)).toEqual(['firing']);
    h.comp.stop!();
  });

  it('a broken file at start is left out and reported; the others load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-rules-'));
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(good, RULES);
    writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up\n        bogus: 1\n');
    const h = harness(join(dir, 'data'), good, { now: T0 }, { files: [good, bad] });
    h.comp.start!();
    expect(h.comp.manager.allGroups().map((g) => g.name)).toEqual(['test']);
    expect(h.comp.manager.counters.lastReloadOk).toBe(false);
    h.comp.stop!();
  });

  it("pulls the host's series (node liveness) and the collector's own metrics into the window each cycle", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-rules-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(
      file,
      'groups:\n  - name: live\n    rules:\n      - alert: Down\n        expr: xunjian_node_up == 0\n      - alert: Rejects\n        expr: test_rejected_total > 0\n',
    );
    const h = harness(join(dir, 'data'), file);
    const { Counter } = await import('prom-client');
    new Counter({ name: 'test_rejected_total', help: 'x', labelNames: ['reason'], registers: [h.registry] }).inc({ reason: 'bad_signature' }, 3);
    h.comp.setSeriesSource((now) => [{ labels: { __name__: 'xunjian_node_up', node: 'n9', site: 's', zone: 'z' }, value: 0, ts: now }]);
    h.comp.start!();
    h.comp.stop!();
    await h.comp.manager.cycle(T0 + 2 * M);
    const alerts = (get(h, '/api/v1/alerts') as { data: { alerts: { labels: Record<string, string>; state: string }[] } }).data.alerts;
    expect(alerts.map((a) => [a.labels.alertname, a.state, a.labels.node ?? a.labels.reason])).toEqual([
      ['Down', 'firing', 'n9'],
      ['Rejects', 'firing', 'bad_signature'],
    ]);
  });
});
