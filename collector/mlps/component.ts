/**
 * The MLPS component: the engine (engine.ts) wired into the collector. Evaluates a node when its
 * `host.posture` group changes, a device (`<node>/<target>`) when its `network.device.<target>` group
 * changes, the collector itself at start and reload, and everything from the stored facts at start
 * and every `mlps.evaluateIntervalMinutes` (so stale facts turn unknown). Results, history and
 * exceptions live in MlpsStore; a pass → fail change raises `MlpsCheckFailed` through ctx.hub.alerts,
 * re-sent every minute while it fails and resolved when it no longer fails or an exception covers it.
 */
import type { Fact } from '../../contract/facts/posture.js';
import { ConfigError } from '../../lib/config.js';
import { DEVICE_GROUP_PREFIX } from '../../contract/facts/device.js';
import { type ApiRequest, type ApiResponse, HttpError, type Route, json } from '../api/types.js';
import type { AcceptedReport, CollectorContext, Component, FactGroupRecord, FleetReader, OutgoingAlert } from '../core/component.js';
import type { CollectorConfig } from '../config.js';
import { migrate } from '../store/db.js';
import type { TargetKind } from './cel.js';
import { collectorFacts } from './collector-facts.js';
import { MlpsEngine } from './engine.js';
import { type CheckResult, type TargetEvaluation, deviceTarget } from './evaluate.js';
import { type Grade, type Pack, PackError, defaultPackDir, loadPack } from './pack.js';
import { NO_OVERRIDES, type ParamOverrides, loadParams } from './params.js';
import { type ReportMeta, packInfo } from './report/model.js';
import { htmlToPdf } from './report/pdf.js';
import { REPORT_FORMATS, type ReportFormat, renderReport } from './report/render.js';
import { MlpsStore } from './store.js';
import { DEFAULT_MLPS_CONFIG, type MlpsConfig } from './config.js';

export { type MlpsConfig, mlpsSchema } from './config.js';

export function mlpsConfigOf(cfg: CollectorConfig): MlpsConfig {
  return { ...DEFAULT_MLPS_CONFIG, ...(cfg.mlps ?? {}) };
}

/** Resend delay of firing MLPS alerts (Prometheus's notifier default); endsAt = now + 4 × it. */
export const RESEND_MS = 60_000;
export const COLLECTOR_TARGET = 'collector';

interface Loaded {
  packs: Record<Grade, Pack>;
  params: ParamOverrides;
}

/** Packs and parameters of a config; throws ConfigError (exit 2) naming the key or file:line on a bad pack or params file. */
export function loadMlps(c: MlpsConfig): Loaded {
  let packs: Record<Grade, Pack>;
  const dir = c.rulesDir || defaultPackDir();
  try {
    packs = { 2: loadPack(2, dir), 3: loadPack(3, dir) };
  } catch (err) {
    if (err instanceof PackError) throw new ConfigError('collector config', 'mlps.rulesDir', `${dir}: invalid MLPS pack:\n${err.message}`);
    throw err;
  }
  let params = c.paramsFile ? loadParams(c.paramsFile, packs[3]) : NO_OVERRIDES;
  if (c.staleAfterHours > 0) params = { ...params, defaults: { ...params.defaults, maxFactAgeHours: c.staleAfterHours } };
  return { packs, params };
}

interface Firing {
  node: string;
  check: string;
  startsAt: number;
  lastSent: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface Job {
  id: string;
  kind: TargetKind;
  grade: Grade;
  zone?: string;
  site?: string;
  group: FactGroupRecord;
  /** A device's node and target, its asset (grade, zone, site) looked up when the job runs. */
  device?: { node: string; target: string };
}

const iso = (ms: number) => new Date(ms).toISOString();
const gradeOf = (g: number): Grade => (g >= 3 ? 3 : 2);
type DeviceAsset = ReturnType<FleetReader['devices']>[number];
/** Targets evaluated per turn of the event loop (≈ 50 ms at 10,000 nodes' rate). */
const DRAIN_CHUNK = 200;

export interface MlpsComponent extends Component {
  engine: MlpsEngine;
  store: MlpsStore;
  /** Resolves once the queued evaluations ran (tests). */
  idle(): Promise<void>;
}

export function createMlpsComponent(ctx: CollectorContext): MlpsComponent {
  let cfg = mlpsConfigOf(ctx.cfg());
  let loaded: Loaded | undefined;
  const engine = new MlpsEngine({ packs: {}, now: () => new Date(ctx.now()) });
  const store = new MlpsStore(ctx.db);
  migrate(ctx.db, 'mlps_alerts', [
    'CREATE TABLE mlps_alerts (node TEXT NOT NULL, check_id TEXT NOT NULL, starts_at INTEGER NOT NULL, labels TEXT NOT NULL, annotations TEXT NOT NULL, PRIMARY KEY (node, check_id))',
  ]);
  const q = {
    add: ctx.db.prepare('INSERT OR REPLACE INTO mlps_alerts (node, check_id, starts_at, labels, annotations) VALUES (?, ?, ?, ?, ?)'),
    del: ctx.db.prepare('DELETE FROM mlps_alerts WHERE node = ? AND check_id = ?'),
    all: ctx.db.prepare<[], { node: string; check_id: string; starts_at: number; labels: string; annotations: string }>('SELECT * FROM mlps_alerts'),
  };
  const firing = new Map<string, Firing>();
  const key = (node: string, check: string) => `${node}\u0000${check}`;
  const queue = new Map<string, Job>();
  let scheduled: NodeJS.Immediate | undefined;
  let idleWaiters: (() => void)[] = [];
  let timers: NodeJS.Timeout[] = [];
  let running = false;
  const metrics = { evaluations: 0, seconds: 0, errors: 0, alertsSent: 0 };

  const exceptionCovers = (node: string, check: string) => store.exceptions(iso(ctx.now()).slice(0, 10)).some((x) => x.target === node && x.check === check);

  function alertOf(e: TargetEvaluation, r: CheckResult): { labels: Record<string, string>; annotations: Record<string, string> } {
    const c = loaded?.packs[e.grade].checks.find((x) => x.id === r.check);
    const evidence = r.evidence
      .map((x) => `${x.fact} = ${x.value}${x.source ? ` (${x.source}${x.line !== undefined ? `:${x.line}` : ''}${x.excerpt ? `: ${x.excerpt}` : ''})` : ''}`)
      .join('; ');
    return {
      labels: {
        alertname: 'MlpsCheckFailed',
        category: 'mlps',
        severity: 'warning',
        node: e.target.id,
        check: r.check,
        clause: r.clause,
        grade: String(e.grade),
      },
      annotations: {
        summary: `MLPS check ${r.check} (${r.clause}) fails on ${e.target.id}: ${c?.title.en ?? r.check}`,
        summary_zh: `等保检查项 ${r.check}（${r.clause}）在 ${e.target.id} 上不符合：${c?.title.zh ?? r.check}`,
        description: `Evidence: ${evidence || 'none'}`,
        remediation: c?.remediation.en ?? '',
        remediation_zh: c?.remediation.zh ?? '',
      },
    };
  }

  const out = (f: Firing, now: number, resolved: boolean): OutgoingAlert => ({
    labels: f.labels,
    annotations: f.annotations,
    startsAt: f.startsAt,
    endsAt: resolved ? now : now + 4 * RESEND_MS,
  });

  function send(alerts: OutgoingAlert[]): void {
    if (!alerts.length) return;
    metrics.alertsSent += alerts.length;
    ctx.hub.alerts.send(alerts);
  }

  /** Stores an evaluation; fires on pass → fail, resolves what no longer fails. */
  function record(e: TargetEvaluation): void {
    const changes = store.record(e);
    const now = ctx.now();
    const toSend: OutgoingAlert[] = [];
    const byCheck = new Map(e.results.map((r) => [r.check, r]));
    for (const ch of changes) {
      const k = key(e.target.id, ch.check);
      if (ch.from === 'pass' && ch.to === 'fail' && !firing.has(k) && !exceptionCovers(e.target.id, ch.check)) {
        const a = alertOf(e, byCheck.get(ch.check)!);
        const f: Firing = { node: e.target.id, check: ch.check, startsAt: now, lastSent: now, ...a };
        firing.set(k, f);
        q.add.run(f.node, f.check, f.startsAt, JSON.stringify(f.labels), JSON.stringify(f.annotations));
        toSend.push(out(f, now, false));
      }
    }
    for (const [k, f] of firing) {
      if (f.node !== e.target.id) continue;
      if (byCheck.get(f.check)?.status !== 'fail') toSend.push(resolve(k, f, now));
    }
    send(toSend);
  }

  function resolve(k: string, f: Firing, now: number): OutgoingAlert {
    firing.delete(k);
    q.del.run(f.node, f.check);
    return out(f, now, true);
  }

  function evaluate(
    j: { id: string; kind: TargetKind; grade: Grade; zone?: string; site?: string },
    facts: Record<string, Fact>,
    collectedAt: string | null,
  ): void {
    const t0 = performance.now();
    try {
      const { evaluation } = engine.evaluateNode(j.id, facts, { grade: j.grade, kind: j.kind, zone: j.zone, site: j.site, collectedAt });
      record(evaluation);
      metrics.evaluations++;
    } catch (err) {
      metrics.errors++;
      ctx.log.warn('mlps evaluation failed', { target: j.id, error: (err as Error).message });
    } finally {
      metrics.seconds += (performance.now() - t0) / 1000;
    }
  }

  function evaluateGroup(j: Job): void {
    const at = iso(j.group.collectedAt);
    if (j.kind === 'host') {
      const v = j.group.value as { facts?: Record<string, Fact> } | null;
      evaluate(j, v?.facts ?? {}, at);
    } else {
      const t = deviceTarget(j.id, (j.group.value ?? {}) as Record<string, unknown>, at);
      evaluate(j, t.facts, at);
    }
  }

  /** Rules loaded by the rules component, read from its `xunjian_rule_group_rules` gauge (0 without it). */
  let ruleCount = 0;
  async function refreshRuleCount(): Promise<void> {
    try {
      const m = ctx.registry.getSingleMetric('xunjian_rule_group_rules');
      ruleCount = m ? (await m.get()).values.reduce((a, v) => a + v.value, 0) : 0;
    } catch {
      ruleCount = 0;
    }
  }

  /** The collector's own controls, from `c` (on reload the new config, before the host applies it). */
  function evaluateCollector(c: CollectorConfig = ctx.cfg()): void {
    let roles: string[] = [];
    try {
      roles = (ctx.db.prepare('SELECT DISTINCT role FROM api_tokens WHERE revoked_at IS NULL ORDER BY role').all() as { role: string }[]).map((r) => r.role);
    } catch {
      // no token store in this database (a component tested on its own)
    }
    const nodes = ctx.fleet.nodes();
    const facts = collectorFacts({
      configFile: 'collector config',
      tls: Boolean(c.tls?.certFile),
      mutualTls: Boolean(c.tls?.clientCaFile && c.tls.requireClientCert),
      perNodeTokens: true,
      signatureAlgorithms: [...c.ingest.signatureAlgorithms],
      audit: { enabled: true, retentionDays: c.retention.auditDays },
      roles,
      monitoring: { nodes: nodes.length, nodesReporting: nodes.filter((n) => n.up).length, devices: ctx.fleet.devices().length },
      retention: { factsHistoryDays: c.retention.factsHistoryDays, auditLogDays: c.retention.auditDays },
      alerting: { rules: ruleCount, receivers: c.notify?.receivers?.length ?? 0 },
    });
    // level 3: the management centre's 8.1.5 controls (a level 2 pack's 7.1.5 subset is weaker)
    evaluate({ id: COLLECTOR_TARGET, kind: 'collector', grade: 3 }, facts, iso(ctx.now()));
  }

  /**
   * Every node and device from the stored facts, and the collector. The targets join the queue and are
   * evaluated in chunks (`drain`), so a full evaluation of a large fleet never holds ingest up for long.
   */
  function evaluateAll(c?: CollectorConfig): void {
    if (!loaded) return;
    for (const n of ctx.fleet.nodes()) {
      for (const g of ctx.fleet.facts(n.id) ?? []) {
        const job = jobOf(n, g);
        if (job) queue.set(job.id, job);
      }
    }
    evaluateCollector(c);
    schedule();
  }

  /** The job of a node's fact group (a device's asset is looked up when the job runs), if MLPS evaluates it. */
  function jobOf(n: { id: string; grade: number; zone?: string; site?: string }, g: FactGroupRecord): Job | undefined {
    const base = { grade: gradeOf(n.grade), zone: n.zone, site: n.site, group: g };
    if (g.group === 'host.posture') return { id: n.id, kind: 'host', ...base };
    if (!g.group.startsWith(DEVICE_GROUP_PREFIX)) return undefined;
    const target = g.group.slice(DEVICE_GROUP_PREFIX.length);
    return { id: `${n.id}/${target}`, kind: 'network_device', ...base, device: { node: n.id, target } };
  }

  const schedule = () => {
    if (queue.size && !scheduled) scheduled = setImmediate(drain);
  };

  /** Evaluates up to DRAIN_CHUNK queued targets, then yields to the event loop until the queue is empty. */
  function drain(): void {
    scheduled = undefined;
    const jobs: Job[] = [];
    for (const [id, j] of queue) {
      queue.delete(id);
      jobs.push(j);
      if (jobs.length === DRAIN_CHUNK) break;
    }
    const devs = new Map<string, DeviceAsset>();
    if (jobs.some((j) => j.device)) for (const d of ctx.fleet.devices()) devs.set(`${d.node}\u0000${d.target}`, d);
    for (const j of jobs) {
      const d = j.device && devs.get(`${j.device.node}\u0000${j.device.target}`);
      evaluateGroup(d ? { ...j, grade: gradeOf(d.grade), zone: d.zone, site: d.site } : j);
    }
    if (queue.size) {
      schedule();
      return;
    }
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
  }

  function resendTick(): void {
    const now = ctx.now();
    const toSend: OutgoingAlert[] = [];
    for (const [k, f] of firing) {
      if (exceptionCovers(f.node, f.check)) toSend.push(resolve(k, f, now));
      else if (f.lastSent + RESEND_MS <= now) {
        f.lastSent = now;
        toSend.push(out(f, now, false));
      }
    }
    send(toSend);
  }

  function startTimers(): void {
    timers = [
      setInterval(() => void refreshRuleCount().then(() => evaluateAll()), cfg.evaluateIntervalMinutes * 60_000),
      setInterval(resendTick, RESEND_MS / 4),
    ];
    for (const t of timers) t.unref();
  }
  function stopTimers(): void {
    for (const t of timers) clearInterval(t);
    timers = [];
  }

  ctx.hub.mlpsScore = (target) => engine.get(target)?.score.ratio ?? null;

  // ---- API ----

  function evaluations(qs: URLSearchParams): TargetEvaluation[] {
    const node = qs.get('node');
    const site = qs.get('site');
    const zone = qs.get('zone');
    return engine
      .all()
      .filter((e) => !node || e.target.id === node || e.target.id.startsWith(`${node}/`))
      .filter((e) => !site || e.target.site === site)
      .filter((e) => !zone || e.target.zone === zone)
      .sort((a, b) => a.target.id.localeCompare(b.target.id));
  }

  const positive = (qs: URLSearchParams, k: string, def: number, max: number): number => {
    const v = qs.get(k);
    if (v === null) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, 'bad_request', `${k}: expected an integer from 1 to ${max}`);
    return n;
  };

  function summary(e: TargetEvaluation) {
    const ex = store.exceptions(iso(ctx.now()).slice(0, 10)).filter((x) => x.target === e.target.id);
    return {
      target: e.target.id,
      kind: e.target.kind,
      site: e.target.site ?? null,
      zone: e.target.zone ?? null,
      grade: e.grade,
      pack: e.pack,
      evaluatedAt: e.evaluatedAt,
      score: e.score.ratio,
      counts: { passed: e.score.passed, failed: e.score.failed, unknown: e.score.unknown, notApplicable: e.score.notApplicable, manual: e.score.manual },
      failing: e.results
        .filter((r) => r.status === 'fail')
        .map((r) => ({
          check: r.check,
          clause: r.clause,
          evidence: r.evidence,
          collectedAt: r.collectedAt,
          exception: ex.find((x) => x.check === r.check) ?? null,
        })),
    };
  }

  function list(req: ApiRequest): ApiResponse {
    const status = req.query.get('status');
    if (status !== null && !['pass', 'fail', 'unknown'].includes(status))
      throw new HttpError(400, 'bad_request', 'status: expected pass (no failing check), fail (a failing check) or unknown (an unknown check)');
    const page = positive(req.query, 'page', 1, 1_000_000);
    const pageSize = positive(req.query, 'pageSize', 100, 1000);
    const all = evaluations(req.query).filter(
      (e) => status === null || (status === 'fail' ? e.score.failed > 0 : status === 'unknown' ? e.score.unknown > 0 : e.score.failed === 0),
    );
    return json({ total: all.length, page, pageSize, targets: all.slice((page - 1) * pageSize, page * pageSize).map(summary) });
  }

  function one(req: ApiRequest): TargetEvaluation {
    const e = engine.get(req.params.target ?? '');
    if (!e) throw new HttpError(404, 'not_found', `no MLPS evaluation of target '${req.params.target}'`);
    return e;
  }

  function createException(req: ApiRequest): ApiResponse {
    const b = req.body as Record<string, unknown> | undefined;
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'bad_request', 'expected a JSON object {target, check, until, reason}');
    for (const k of ['target', 'check', 'until', 'reason'] as const)
      if (typeof b[k] !== 'string' || !(b[k] as string).trim()) throw new HttpError(400, 'bad_request', `${k}: expected a non-empty string`);
    const x = {
      target: b.target as string,
      check: b.check as string,
      until: b.until as string,
      reason: b.reason as string,
      by: req.actor?.name ?? 'anonymous',
    };
    if (!/^\d{4}-\d{2}-\d{2}$/.test(x.until) || Number.isNaN(Date.parse(x.until))) throw new HttpError(400, 'bad_request', 'until: expected a date YYYY-MM-DD');
    if (x.until < iso(ctx.now()).slice(0, 10)) throw new HttpError(400, 'bad_request', 'until: expected today or a later date');
    const e = engine.get(x.target);
    if (!e) throw new HttpError(400, 'bad_request', `target: no MLPS evaluation of '${x.target}'`);
    if (!e.results.some((r) => r.check === x.check))
      throw new HttpError(400, 'bad_request', `check: '${x.check}' is not a check of ${x.target}'s level ${e.grade} pack`);
    store.setException(x, new Date(ctx.now()));
    ctx.audit.record({
      actor: x.by,
      remote: req.remote,
      action: 'mlps_exception.create',
      target: `${x.target} ${x.check}`,
      outcome: 'success',
      detail: { until: x.until, reason: x.reason },
    });
    resendTick();
    return json({ exception: { id: exceptionId(x.target, x.check), ...x } }, 201);
  }

  function deleteException(req: ApiRequest): ApiResponse {
    const id = req.params.id ?? '';
    const [target, check] = parseExceptionId(id);
    if (!store.removeException(target, check)) throw new HttpError(404, 'not_found', `no MLPS exception '${id}'`);
    ctx.audit.record({
      actor: req.actor?.name ?? 'anonymous',
      remote: req.remote,
      action: 'mlps_exception.delete',
      target: `${target} ${check}`,
      outcome: 'success',
    });
    return json({ deleted: id });
  }

  async function report(req: ApiRequest): Promise<ApiResponse> {
    const format = req.query.get('format') ?? 'html';
    if (![...REPORT_FORMATS, 'pdf'].includes(format)) throw new HttpError(400, 'bad_request', `format: expected ${[...REPORT_FORMATS, 'pdf'].join(', ')}`);
    const lang = req.query.get('lang') ?? 'zh-CN';
    if (lang !== 'zh-CN' && lang !== 'en') throw new HttpError(400, 'bad_request', 'lang: expected zh-CN or en');
    if (!loaded) throw new HttpError(503, 'mlps_disabled', 'MLPS evaluation is disabled (mlps.enabled)');
    const evals = evaluations(req.query);
    const grade = gradeOf(Math.max(2, ...evals.map((e) => e.grade)));
    const meta: ReportMeta = { lang, generatedAt: iso(ctx.now()), ...packInfo(loaded.packs[grade]), exceptions: store.exceptions(iso(ctx.now()).slice(0, 10)) };
    if (format === 'pdf') return { status: 200, body: Buffer.from(await htmlToPdf(renderReport('html', evals, meta))), contentType: 'application/pdf' };
    const types: Record<ReportFormat, string> = {
      html: 'text/html; charset=utf-8',
      md: 'text/markdown; charset=utf-8',
      csv: 'text/csv; charset=utf-8',
      json: 'application/json; charset=utf-8',
    };
    return { status: 200, body: renderReport(format as ReportFormat, evals, meta), contentType: types[format as ReportFormat] };
  }

  return {
    name: 'mlps',
    engine,
    store,
    idle: () => (scheduled ? new Promise<void>((r) => idleWaiters.push(r)) : Promise.resolve()),
    async start() {
      if (!cfg.enabled) return;
      loaded = loadMlps(cfg);
      await refreshRuleCount();
      engine.reload(loaded);
      const now = ctx.now();
      for (const r of q.all.all())
        firing.set(key(r.node, r.check_id), {
          node: r.node,
          check: r.check_id,
          startsAt: r.starts_at,
          lastSent: now - RESEND_MS,
          labels: JSON.parse(r.labels),
          annotations: JSON.parse(r.annotations),
        });
      evaluateAll();
      resendTick();
      startTimers();
      running = true;
    },
    stop() {
      stopTimers();
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
      running = false;
    },
    async reload(next: CollectorConfig) {
      const nc = mlpsConfigOf(next);
      const before = cfg;
      if (!nc.enabled) {
        stopTimers();
        running = false;
        loaded = undefined;
        cfg = nc;
        return;
      }
      const l = loadMlps(nc); // throws: the packs in force stay
      await refreshRuleCount();
      const wasRunning = running;
      const same =
        loaded &&
        JSON.stringify(loaded.params) === JSON.stringify(l.params) &&
        loaded.packs[2].version === l.packs[2].version &&
        loaded.packs[3].version === l.packs[3].version &&
        nc.rulesDir === before.rulesDir;
      loaded = l;
      cfg = nc;
      engine.reload(l);
      stopTimers();
      startTimers();
      running = true;
      // new packs or parameters change every target's results; otherwise only the collector's own
      if (!wasRunning || !same) evaluateAll(next);
      else evaluateCollector(next);
    },
    append(r: AcceptedReport) {
      if (!running) return;
      for (const g of r.changedFacts) {
        // the node's grade/zone/site until drain() looks a device's asset up (off the ingest path)
        const job = jobOf(r.report.node, g);
        if (job) queue.set(job.id, job);
      }
      schedule();
    },
    routes(): Route[] {
      return [
        { method: 'GET', path: '/api/v1/compliance', access: 'security', handler: list },
        { method: 'GET', path: '/api/v1/compliance/report', access: 'security', handler: report },
        {
          method: 'GET',
          path: '/api/v1/compliance/exceptions',
          access: 'security',
          handler: () => json({ exceptions: store.exceptions(iso(ctx.now()).slice(0, 10)).map((x) => ({ id: exceptionId(x.target, x.check), ...x })) }),
        },
        { method: 'POST', path: '/api/v1/compliance/exceptions', access: 'security', handler: createException },
        { method: 'DELETE', path: '/api/v1/compliance/exceptions/:id', access: 'security', handler: deleteException },
        {
          method: 'GET',
          path: '/api/v1/compliance/:target',
          access: 'security',
          handler: (req) => {
            const e = one(req);
            // the failing checks' titles and remediation, bilingual (the TUI's node detail shows them)
            const checks: Record<string, { title: { zh: string; en: string }; remediation: { zh: string; en: string } }> = {};
            for (const r of e.results) {
              const c = r.status === 'fail' ? loaded?.packs[e.grade].checks.find((x) => x.id === r.check) : undefined;
              if (c) checks[r.check] = { title: c.title, remediation: c.remediation };
            }
            return json({ evaluation: e, stored: store.results(e.target.id), checks });
          },
        },
        {
          method: 'GET',
          path: '/api/v1/compliance/:target/history/:check',
          access: 'security',
          handler: (req) => {
            const e = one(req);
            if (!e.results.some((r) => r.check === req.params.check))
              throw new HttpError(404, 'not_found', `no check '${req.params.check}' in ${e.target.id}'s evaluation`);
            return json({ target: e.target.id, check: req.params.check, history: store.history(e.target.id, req.params.check ?? '') });
          },
        },
      ];
    },
    exposition(): string {
      let s = engine.metrics();
      s += '# HELP xunjian_mlps_evaluations_total MLPS target evaluations run.\n# TYPE xunjian_mlps_evaluations_total counter\n';
      s += `xunjian_mlps_evaluations_total ${metrics.evaluations}\n`;
      s += '# HELP xunjian_mlps_evaluation_errors_total MLPS target evaluations that failed (logged).\n# TYPE xunjian_mlps_evaluation_errors_total counter\n';
      s += `xunjian_mlps_evaluation_errors_total ${metrics.errors}\n`;
      s += '# HELP xunjian_mlps_evaluation_seconds_total Time spent evaluating MLPS targets.\n# TYPE xunjian_mlps_evaluation_seconds_total counter\n';
      s += `xunjian_mlps_evaluation_seconds_total ${metrics.seconds}\n`;
      s +=
        '# HELP xunjian_mlps_alerts_sent_total MLPS alerts (firing and resolved) sent to the alert pipeline.\n# TYPE xunjian_mlps_alerts_sent_total counter\n';
      s += `xunjian_mlps_alerts_sent_total ${metrics.alertsSent}\n`;
      s += '# HELP xunjian_mlps_alerts_firing MLPS checks alerting (pass → fail, no exception).\n# TYPE xunjian_mlps_alerts_firing gauge\n';
      s += `xunjian_mlps_alerts_firing ${firing.size}\n`;
      return s;
    },
  };
}

/** An exception's id in the API: `<target>~<check>` (check ids have no `~`), URL-encoded in paths. */
export const exceptionId = (target: string, check: string) => `${target}~${check}`;
function parseExceptionId(id: string): [string, string] {
  const i = id.lastIndexOf('~');
  if (i <= 0) throw new HttpError(400, 'bad_request', `id: expected <target>~<check>, got '${id}'`);
  return [id.slice(0, i), id.slice(i + 1)];
}
