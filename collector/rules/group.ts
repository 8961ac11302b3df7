import type { LabelSet } from '../core/component.js';
import { AlertingRule, type EvalEnv, type Health } from './alerting.js';
import type { GroupDef, RuleDef } from './rulefile.js';
import { type AppendFunc, labelsKey, type NotifyFunc, type OutSample, type QueryFunc, STALE_NAN } from './types.js';

/**
 * A recording rule (Prometheus's `rules/recording.go`): the expression's result renamed to the rule's
 * name, the rule's labels applied.
 */
export class RecordingRule<E = unknown> {
  readonly kind = 'record' as const;
  readonly name: string;
  health: Health = 'unknown';
  lastError = '';
  lastEvaluation = 0;
  evaluationSeconds = 0;
  constructor(readonly def: RuleDef<E>) {
    this.name = def.name;
  }
  eval(ts: number, query: QueryFunc<E>, env: EvalEnv): OutSample[] {
    const res = query(this.def.parsed, ts);
    const out: OutSample[] = [];
    const seen = new Set<string>();
    for (const s of res) {
      const labels: LabelSet = { ...s.labels, __name__: this.name };
      for (const [k, v] of Object.entries(this.def.labels)) {
        if (v === '') delete labels[k];
        else labels[k] = v;
      }
      const k = labelsKey(labels);
      if (seen.has(k)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(k);
      out.push({ labels, value: s.value, ts });
    }
    if (env.limit > 0 && out.length > env.limit) throw new Error(`exceeded limit of ${env.limit} with ${out.length} series`);
    return out;
  }
}

export type Rule<E = unknown> = AlertingRule<E> | RecordingRule<E>;

export interface GroupOptions<E> {
  query: QueryFunc<E>;
  notify: NotifyFunc;
  append: AppendFunc;
  /** ms */
  resendDelayMs: number;
  externalLabels: LabelSet;
  externalURL: string;
  /** Wall clock for durations (ms, fractional allowed); defaults to performance.now. */
  clock?: () => number;
  onTemplateError?: (rule: string, err: string) => void;
  onRuleError?: (rule: Rule<E>, err: Error) => void;
}

/** `file;group`, as Prometheus's GroupKey. */
export function groupKey(file: string, name: string): string {
  return `${file};${name}`;
}

/**
 * A group: its rules evaluated in order at each tick, recording results visible to the rules after
 * them (the append function feeds the window), series a rule stopped returning marked stale, alerts
 * handed to the notify function as Prometheus's resend logic decides.
 */
export class Group<E = unknown> {
  readonly rules: Rule<E>[];
  readonly key: string;
  lastEvaluation = 0;
  lastDurationSeconds = 0;
  lastSamples = 0;
  evaluations = 0;
  failures = 0;
  private previous: Map<string, LabelSet>[];

  constructor(
    readonly def: GroupDef<E>,
    readonly intervalMs: number,
    private opts: GroupOptions<E>,
  ) {
    this.key = groupKey(def.file, def.name);
    this.rules = def.rules.map((r) => (r.kind === 'alert' ? new AlertingRule<E>(r) : new RecordingRule<E>(r)));
    this.previous = this.rules.map(() => new Map());
  }

  get name(): string {
    return this.def.name;
  }
  get file(): string {
    return this.def.file;
  }

  /** One cycle at evaluation time ts (ms). */
  eval(ts: number): void {
    const clock = this.opts.clock ?? (() => performance.now());
    const g0 = clock();
    let samplesTotal = 0;
    const env: EvalEnv = {
      externalLabels: this.opts.externalLabels,
      externalURL: this.opts.externalURL,
      limit: this.def.limit,
      onTemplateError: this.opts.onTemplateError,
    };
    this.rules.forEach((rule, i) => {
      const t0 = clock();
      this.evaluations++;
      let vector: OutSample[];
      try {
        vector = rule.eval(ts, this.opts.query, env);
      } catch (e) {
        rule.health = 'err';
        rule.lastError = (e as Error).message;
        this.failures++;
        rule.lastEvaluation = ts;
        rule.evaluationSeconds = (clock() - t0) / 1000;
        this.opts.onRuleError?.(rule, e as Error);
        return;
      }
      rule.health = 'ok';
      rule.lastError = '';
      samplesTotal += vector.length;
      if (rule instanceof AlertingRule) {
        const alerts = rule.alertsToSend(ts, this.opts.resendDelayMs, this.intervalMs, this.opts.externalURL);
        if (alerts.length) this.opts.notify(alerts);
      }
      const returned = new Map<string, LabelSet>();
      const out: OutSample[] = [];
      for (const s of vector) {
        const k = labelsKey(s.labels);
        if (returned.has(k)) continue; // a duplicate sample for the timestamp: dropped, as the TSDB does
        returned.set(k, s.labels);
        out.push(s);
      }
      for (const [k, l] of this.previous[i]!) if (!returned.has(k)) out.push({ labels: l, value: STALE_NAN, ts, stale: true });
      this.previous[i] = returned;
      if (out.length) this.opts.append(out);
      rule.lastEvaluation = ts;
      rule.evaluationSeconds = (clock() - t0) / 1000;
    });
    this.lastSamples = samplesTotal;
    this.lastEvaluation = ts;
    this.lastDurationSeconds = (clock() - g0) / 1000;
  }

  /** Staleness markers for every series this group produced (the group is going away). */
  staleAll(ts: number): OutSample[] {
    const out: OutSample[] = [];
    for (const m of this.previous) for (const l of m.values()) out.push({ labels: l, value: STALE_NAN, ts, stale: true });
    this.previous = this.rules.map(() => new Map());
    return out;
  }

  /** Carry state from the group this one replaces (reload): alerts of rules with equal name and labels. */
  copyStateFrom(old: Group<E>): void {
    const byId = new Map<string, Rule<E>[]>();
    for (const r of old.rules) {
      const id = ruleId(r.def);
      byId.set(id, [...(byId.get(id) ?? []), r]);
    }
    this.rules.forEach((r, i) => {
      const id = ruleId(r.def);
      const cands = byId.get(id);
      const o = cands?.shift();
      if (!o) return;
      const oi = old.rules.indexOf(o);
      this.previous[i] = old.previous[oi] ?? new Map();
      if (r instanceof AlertingRule && o instanceof AlertingRule) {
        r.active = o.active;
        r.restored = o.restored;
      }
      r.health = o.health;
      r.lastError = o.lastError;
      r.lastEvaluation = o.lastEvaluation;
      r.evaluationSeconds = o.evaluationSeconds;
    });
    this.lastEvaluation = old.lastEvaluation;
    this.lastDurationSeconds = old.lastDurationSeconds;
  }
}

/** A rule's identity across reloads: kind, name and labels (Prometheus's nameAndLabels). */
export function ruleId(r: RuleDef<unknown>): string {
  return `${r.kind}\xff${r.name}\xff${labelsKey(r.labels)}`;
}

/**
 * Prometheus's evaluation timestamp of a group: ticks at multiples of the interval shifted by an
 * offset from the group's hash, so groups spread over the interval.
 */
export function evalTimestamp(key: string, intervalMs: number, now: number): number {
  const offset = hashOffset(key, intervalMs);
  const adjNow = now - offset;
  const base = adjNow - (((adjNow % intervalMs) + intervalMs) % intervalMs);
  return base + offset;
}

function hashOffset(key: string, intervalMs: number): number {
  // FNV-1a 32 bit: deterministic per group key
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % intervalMs;
}
