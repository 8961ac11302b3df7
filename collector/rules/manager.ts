import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabelSet, OutgoingAlert, SeriesSample } from '../core/component.js';
import type { Logger } from '../../lib/log.js';
import { AlertingRule } from './alerting.js';
import { type Expr, exprNeeds, instantQuery, LOOKBACK_MS, parseExpr, SharedResults } from './engine.js';
import { globFiles } from './glob.js';
import { evalTimestamp, Group, groupKey, ruleId } from './group.js';
import { type GroupDef, parseDuration, parseRuleFile, RuleFileError } from './rulefile.js';
import type { RulesStateStore } from './store.js';
import { labelsKey, type OutSample, STALE_NAN } from './types.js';
import { RuleWindow, type WindowSelector } from './window.js';

/** The `rules:` config section (see config.ts for the schema, defaults and descriptions). */
export interface RulesConfig {
  enabled: boolean;
  builtin: boolean;
  files: string[];
  evaluationInterval: string;
  resendDelay: string;
  outageTolerance: string;
  forGracePeriod: string;
  externalLabels: Record<string, string>;
  externalURL: string;
  window: { maxSeries: number; keepAll: boolean };
}

export const DEFAULT_RULES_CONFIG: RulesConfig = {
  enabled: true,
  builtin: true,
  files: [],
  evaluationInterval: '1m',
  resendDelay: '1m',
  outageTolerance: '1h',
  forGracePeriod: '10m',
  externalLabels: {},
  externalURL: '',
  window: { maxSeries: 1_000_000, keepAll: false },
};

/** The shipped rules (`rules/alerts/`), from the source tree or next to dist/. */
export function shippedRulesDir(): string | undefined {
  for (const rel of ['../../rules/alerts', '../../../rules/alerts']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Rule files of a config: the shipped ones (if builtin), then each glob's matches, de-duplicated. */
export function ruleFilesOf(cfg: RulesConfig, baseDir = process.cwd()): string[] {
  const out: string[] = [];
  const shipped = cfg.builtin ? shippedRulesDir() : undefined;
  if (shipped) for (const f of readdirSync(shipped).sort()) if (/\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f)) out.push(join(shipped, f));
  for (const g of cfg.files) {
    const p = isAbsolute(g) ? g : resolve(baseDir, g);
    const m = /[*?[]/.test(p) ? globFiles(p) : [p];
    for (const f of m) if (!out.includes(f)) out.push(f);
  }
  return out;
}

/** Parse every file; throws one RuleFileError per broken file, all of them, in a RulesLoadError. */
export class RulesLoadError extends Error {
  constructor(readonly errors: RuleFileError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'RulesLoadError';
  }
}

export function loadRuleFiles(files: string[]): GroupDef<Expr>[] {
  const defs: GroupDef<Expr>[] = [];
  const errors: RuleFileError[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      errors.push(new RuleFileError(f, [(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message]));
      continue;
    }
    try {
      defs.push(...parseRuleFile(f, text, parseExpr));
    } catch (e) {
      if (e instanceof RuleFileError) errors.push(e);
      else errors.push(new RuleFileError(f, [(e as Error).message]));
    }
  }
  if (errors.length) throw new RulesLoadError(errors);
  return defs;
}

export interface ManagerDeps {
  log: Logger;
  now(): number;
  notify(alerts: OutgoingAlert[]): void;
  /** Produced series into the series store (no staleness markers: the store ages series by interval). */
  appendOwn(samples: SeriesSample[], intervalSeconds: number): void;
  state?: RulesStateStore;
  /** Called before each evaluation cycle with the sample time to use (the earliest due evaluation time). */
  beforeCycle?: (ts: number) => Promise<void> | void;
}

export interface ManagerCounters {
  evaluations: Map<string, number>;
  failures: Map<string, number>;
  missed: Map<string, number>;
  alertsSent: number;
  lastReloadOk: boolean;
  lastReloadSuccess: number;
  templateErrors: number;
}

interface Scheduled {
  group: Group<Expr>;
  next: number;
}

/** Prometheus's rules Manager: owns the groups, the window, the schedule, restore and reload. */
export class RulesManager {
  readonly window: RuleWindow;
  private groups: Scheduled[] = [];
  /** per group: the sub-expressions its rules share, computed once per evaluation */
  private shared = new WeakMap<Group<Expr>, SharedResults>();
  private cfg: RulesConfig;
  private timer: NodeJS.Timeout | undefined;
  private restored = false;
  private running = false;
  readonly counters: ManagerCounters = {
    evaluations: new Map(),
    failures: new Map(),
    missed: new Map(),
    alertsSent: 0,
    lastReloadOk: false,
    lastReloadSuccess: 0,
    templateErrors: 0,
  };

  constructor(
    cfg: RulesConfig,
    private deps: ManagerDeps,
  ) {
    this.cfg = cfg;
    this.window = new RuleWindow(cfg.window.maxSeries);
  }

  get config(): RulesConfig {
    return this.cfg;
  }
  allGroups(): Group<Expr>[] {
    return this.groups.map((s) => s.group);
  }

  /** Parse the config's files and apply them. Throws RulesLoadError (nothing changes) when a file is broken. */
  load(cfg: RulesConfig = this.cfg, files = ruleFilesOf(cfg)): void {
    let defs: GroupDef<Expr>[];
    try {
      defs = loadRuleFiles(files);
    } catch (e) {
      this.counters.lastReloadOk = false;
      throw e;
    }
    this.cfg = cfg;
    this.apply(defs);
    this.counters.lastReloadOk = true;
    this.counters.lastReloadSuccess = this.deps.now();
  }

  /** At start: load what loads; a broken file is logged and left out (there is nothing older to keep). */
  loadAtStart(files = ruleFilesOf(this.cfg)): RuleFileError[] {
    const good: GroupDef<Expr>[] = [];
    const bad: RuleFileError[] = [];
    for (const f of files) {
      try {
        good.push(...loadRuleFiles([f]));
      } catch (e) {
        if (e instanceof RulesLoadError) bad.push(...e.errors);
        else throw e;
      }
    }
    for (const e of bad) this.deps.log.error('rule file refused', { file: e.file, errors: e.errors });
    this.apply(good);
    this.counters.lastReloadOk = bad.length === 0;
    if (bad.length === 0) this.counters.lastReloadSuccess = this.deps.now();
    return bad;
  }

  private intervalOf(d: GroupDef<Expr>): number {
    return d.intervalMs ?? parseDuration(this.cfg.evaluationInterval);
  }

  private apply(defs: GroupDef<Expr>[]): void {
    const now = this.deps.now();
    const old = new Map(this.groups.map((s) => [s.group.key, s]));
    const next: Scheduled[] = [];
    for (const d of defs) {
      const interval = this.intervalOf(d);
      const shared = new SharedResults(d.rules.map((r) => r.parsed));
      const g = new Group<Expr>(d, interval, {
        query: (e, t) => instantQuery(e, t, this.window, shared),
        notify: (alerts) => {
          this.counters.alertsSent += alerts.length;
          this.deps.notify(alerts);
        },
        append: (samples) => this.appendProduced(samples, interval),
        resendDelayMs: parseDuration(this.cfg.resendDelay),
        externalLabels: this.cfg.externalLabels,
        externalURL: this.cfg.externalURL,
        onTemplateError: (rule, err) => {
          this.counters.templateErrors++;
          this.deps.log.warn('expanding alert template failed', { rule, err });
        },
        onRuleError: (rule, err) => this.deps.log.warn('evaluating rule failed', { group: d.name, rule: rule.name, err: err.message }),
      });
      this.shared.set(g, shared);
      const prev = old.get(g.key);
      if (prev) {
        g.copyStateFrom(prev.group);
        old.delete(g.key);
      }
      next.push({ group: g, next: prev && prev.group.intervalMs === interval ? prev.next : evalTimestamp(g.key, interval, now) + interval });
    }
    // groups gone: their series go stale in the window
    for (const s of old.values()) this.appendToWindow(s.group.staleAll(now));
    this.groups = next;
    if (!this.restored) {
      this.restore(now);
      this.restored = true;
    }
    if (this.deps.state) {
      const keep = new Set(this.groups.flatMap((s) => s.group.rules.filter((r) => r instanceof AlertingRule).map((r) => ruleKey(s.group.key, r.def))));
      this.deps.state.forget(this.deps.state.ruleKeys().filter((k) => !keep.has(k)));
    }
    // the window: what every rule selects, as far back as the farthest-reaching rule reads
    const sels: WindowSelector[] = [];
    let longest = LOOKBACK_MS;
    for (const s of this.groups)
      for (const r of s.group.rules)
        for (const n of exprNeeds(r.def.parsed)) {
          // one interval more: the samples a tick reads stay until the next tick has read past them
          sels.push({ matchers: n.matchers, keepMs: n.reachMs + s.group.intervalMs });
          longest = Math.max(longest, n.reachMs + s.group.intervalMs);
        }
    this.window.configure(sels, longest, this.cfg.window.keepAll);
  }

  /** Alert state from SQLite: firing alerts stay firing (same startsAt); pending ones get Prometheus's `for` restore. */
  private restore(now: number): void {
    if (!this.deps.state) return;
    const { rules, groups } = this.deps.state.load();
    const tolerance = parseDuration(this.cfg.outageTolerance);
    const grace = parseDuration(this.cfg.forGracePeriod);
    for (const s of this.groups) {
      const downAt = groups.get(s.group.key);
      for (const r of s.group.rules) {
        if (!(r instanceof AlertingRule)) continue;
        const stored = rules.get(ruleKey(s.group.key, r.def));
        if (!stored || downAt === undefined || now - downAt > tolerance) continue;
        const hold = r.def.forMs;
        for (const [fp, a] of stored) {
          if (a.state === 'pending') {
            if (hold < grace) continue; // Prometheus skips restoring such rules: the alert waits `for` again
            const remaining = hold - (downAt - a.activeAt);
            if (remaining <= 0) {
              // it would have fired: activeAt stays, the next evaluation fires it
            } else if (remaining < grace) a.activeAt = now + grace - hold;
            else a.activeAt += now - downAt;
          }
          r.active.set(fp, a);
        }
        r.restored = true;
      }
    }
  }

  private appendToWindow(samples: OutSample[]): void {
    for (const s of samples) this.window.append(s.labels, s.ts, s.stale ? STALE_NAN : s.value);
  }

  private appendProduced(samples: OutSample[], intervalMs: number): void {
    this.appendToWindow(samples);
    const own: SeriesSample[] = [];
    for (const s of samples) if (!s.stale) own.push({ labels: s.labels, value: s.value, type: 'gauge', ts: s.ts });
    if (own.length) this.deps.appendOwn(own, intervalMs / 1000);
  }

  /** Samples from the fan-out (and the collector's own series) into the window. */
  ingest(samples: readonly { labels: LabelSet; value: number; ts: number }[]): void {
    for (const s of samples) this.window.append(s.labels, s.ts, s.value);
  }

  /** Evaluate every group whose tick is due at `now`; returns how many groups ran. */
  runDue(now: number): number {
    let ran = 0;
    for (const s of this.groups) {
      if (s.next > now) continue;
      const interval = s.group.intervalMs;
      // Prometheus evaluates the latest due tick and counts the ticks it skipped
      const ticks = Math.floor((now - s.next) / interval);
      if (ticks > 0) this.counters.missed.set(s.group.key, (this.counters.missed.get(s.group.key) ?? 0) + ticks);
      const ts = s.next + ticks * interval;
      this.evalGroup(s.group, ts);
      s.next = ts + interval;
      ran++;
    }
    this.window.trim(now);
    return ran;
  }

  /** One evaluation of a group at ts (also used by tests). */
  evalGroup(g: Group<Expr>, ts: number): void {
    const before = g.failures;
    const evals = g.evaluations;
    g.eval(ts);
    this.shared.get(g)?.end();
    const k = g.key;
    this.counters.evaluations.set(k, (this.counters.evaluations.get(k) ?? 0) + (g.evaluations - evals));
    this.counters.failures.set(k, (this.counters.failures.get(k) ?? 0) + (g.failures - before));
    if (this.deps.state) {
      const rules = g.rules.filter((r): r is AlertingRule<Expr> => r instanceof AlertingRule).map((r) => ({ key: ruleKey(g.key, r.def), alerts: r.active }));
      try {
        this.deps.state.save(g.key, ts, rules);
      } catch (e) {
        this.deps.log.error('saving alert state failed', { group: g.name, err: (e as Error).message });
      }
    }
  }

  /** One scheduler step: when a group is due, bring in the pulled series, then evaluate what is due. */
  async cycle(now: number): Promise<number> {
    const due = this.groups.filter((s) => s.next <= now);
    if (this.deps.beforeCycle && due.length) {
      // stamped at the earliest evaluation time about to run, so every due group sees them
      const ts = Math.min(...due.map((s) => s.next + Math.floor((now - s.next) / s.group.intervalMs) * s.group.intervalMs));
      await this.deps.beforeCycle(ts);
    }
    return this.runDue(now);
  }

  start(): void {
    this.running = true;
    const loop = async () => {
      if (!this.running) return;
      try {
        await this.cycle(this.deps.now());
      } catch (e) {
        this.deps.log.error('rule evaluation cycle failed', { err: (e as Error).message });
      }
      if (!this.running) return;
      const now = this.deps.now();
      const next = Math.min(...this.groups.map((s) => s.next), now + 60_000);
      this.timer = setTimeout(() => void loop(), Math.max(10, next - now));
      this.timer.unref?.();
    };
    void loop();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A stored alerting rule's identity: group key plus kind, name and labels. */
export function ruleKey(gk: string, def: GroupDef<Expr>['rules'][number]): string {
  return `${gk}\xfe${ruleId(def)}`;
}

export { groupKey, labelsKey };
