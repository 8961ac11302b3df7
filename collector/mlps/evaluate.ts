/**
 * The pure MLPS evaluator: (facts + collection times + parameters + pack + now) → a result per check
 * with the evidence that decided it, and scores. No I/O, no clock: `now` is an input.
 */
import type { Evidence, Fact } from '../../contract/facts/posture.js';
import { type TargetKind, factVariables } from './cel.js';
import type { Check, Grade, Pack } from './pack.js';

export type Status = 'pass' | 'fail' | 'not_applicable' | 'unknown' | 'manual';
export const STATUSES: readonly Status[] = ['pass', 'fail', 'not_applicable', 'unknown', 'manual'];

/** What is evaluated: a node (host), a network device or the collector, with its facts. */
export interface Target {
  id: string;
  kind: TargetKind;
  zone?: string;
  site?: string;
  facts: Record<string, Fact>;
  /** When the facts were collected (ISO time); null/absent = not known, so every check is unknown. */
  collectedAt?: string | null;
  /** Per-fact collection times, where facts came at different times (overrides collectedAt). */
  factCollectedAt?: Record<string, string>;
}

export interface EvidenceItem {
  fact: string;
  /** The fact's value, as short JSON; `unknown` when the fact is. */
  value: string;
  source?: string;
  line?: number;
  excerpt?: string;
}

export interface CheckResult {
  check: string;
  clause: string;
  status: Status;
  /** Why a result is unknown, not applicable or manual (missing fact, stale, evaluation error …). */
  reason?: string;
  evidence: EvidenceItem[];
  /** The oldest collection time among the check's facts. */
  collectedAt: string | null;
}

export interface Score {
  passed: number;
  failed: number;
  unknown: number;
  notApplicable: number;
  manual: number;
  /** passed ÷ (passed + failed); null when nothing passed or failed. */
  ratio: number | null;
}

export interface TargetEvaluation {
  target: { id: string; kind: TargetKind; zone?: string; site?: string };
  grade: Grade;
  pack: { name: string; version: string };
  evaluatedAt: string;
  results: CheckResult[];
  score: Score;
  /** Per clause family (`8.1.4`) and per section (`8.1.4.1`). */
  byFamily: Record<string, Score>;
  bySection: Record<string, Score>;
}

const MAX_VALUE = 200;
const short = (v: unknown): string => {
  const s = JSON.stringify(v) ?? 'null';
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
};

/** A JSON value as the CEL context wants it: null object fields and map entries left out (`has()` tests them). */
export function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

/** The CEL context of a target's `ok` facts: variable → field → value. */
export function factContext(target: Target): Record<string, Record<string, unknown>> {
  const ctx: Record<string, Record<string, unknown>> = {};
  for (const v of factVariables(target.kind)) ctx[v] = {};
  for (const [id, f] of Object.entries(target.facts)) {
    if (f.status !== 'ok' || f.value === null || f.value === undefined) continue;
    const i = id.indexOf('.');
    const v = id.slice(0, i);
    if (!ctx[v]) continue; // a fact of no declared variable (newer agent): no check can name it
    ctx[v][id.slice(i + 1)] = stripNulls(f.value);
  }
  return ctx;
}

function evidenceOf(check: Check, target: Target): EvidenceItem[] {
  const out: EvidenceItem[] = [];
  const seen = new Set<string>();
  for (const id of check.facts) {
    const f = target.facts[id];
    if (!f) {
      out.push({ fact: id, value: 'missing' });
      continue;
    }
    const value = f.status === 'ok' ? short(f.value) : 'unknown';
    if (!f.evidence.length) out.push({ fact: id, value, ...(f.reason ? { excerpt: f.reason } : {}) });
    for (const e of f.evidence) {
      // facts read from the same line (firewall.input and firewall.input6 from one inet table) show it once
      const key = `${e.source}\u0000${e.line ?? ''}\u0000${e.excerpt}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ fact: id, value, source: e.source, ...(e.line !== undefined ? { line: e.line } : {}), excerpt: e.excerpt });
    }
  }
  return out;
}

export interface EvaluateOptions {
  /** Resolved parameters of this target (pack defaults with the site's overrides, see params.ts). */
  params: Record<string, unknown>;
  now: Date;
}

/** One check against a target whose CEL context is ready. */
export function evaluateCheck(check: Check, target: Target, ctx: Record<string, unknown>, o: EvaluateOptions): CheckResult {
  const evidence = evidenceOf(check, target);
  let oldest: number | null = null;
  let reason: string | undefined;
  const maxAgeMs = Number(o.params.maxFactAgeHours ?? 24) * 3_600_000;
  for (const id of check.facts) {
    const f = target.facts[id];
    if (!f) {
      reason ??= `fact ${id} was not reported (an agent older than this fact, or a collection that did not produce it)`;
      continue;
    }
    if (f.status !== 'ok') {
      reason ??= `fact ${id} is unknown: ${f.reason ?? 'no reason given'}`;
      continue;
    }
    const at = target.factCollectedAt?.[id] ?? target.collectedAt ?? null;
    const t = at ? Date.parse(at) : Number.NaN;
    if (Number.isNaN(t)) {
      reason ??= `fact ${id} has no collection time`;
      continue;
    }
    if (oldest === null || t < oldest) oldest = t;
    if (o.now.getTime() - t > maxAgeMs) reason ??= `fact ${id} is stale: collected ${at}, more than ${o.params.maxFactAgeHours} h before ${o.now.toISOString()}`;
  }
  const collectedAt = oldest === null ? null : new Date(oldest).toISOString();
  const base = { check: check.id, clause: check.clause, evidence, collectedAt };
  if (reason) return { ...base, status: 'unknown', reason };
  try {
    if (check.compiled.when && check.compiled.when(ctx) !== true) return { ...base, status: 'not_applicable', reason: `not applicable: ${check.when}` };
    const ok = check.compiled.condition(ctx);
    if (ok === true) return { ...base, status: 'pass' };
    if (ok === false) return check.onFalse === 'manual' ? { ...base, status: 'manual', reason: 'not found automatically: verify by hand (see guidance)' } : { ...base, status: 'fail' };
    return { ...base, status: 'unknown', reason: `condition returned ${short(ok)}, not a boolean` };
  } catch (err) {
    return { ...base, status: 'unknown', reason: `evaluation error: ${String((err as Error).message ?? err).split('\n')[0]}` };
  }
}

export function emptyScore(): Score {
  return { passed: 0, failed: 0, unknown: 0, notApplicable: 0, manual: 0, ratio: null };
}

export function addToScore(s: Score, status: Status): void {
  if (status === 'pass') s.passed++;
  else if (status === 'fail') s.failed++;
  else if (status === 'unknown') s.unknown++;
  else if (status === 'not_applicable') s.notApplicable++;
  else s.manual++;
  s.ratio = s.passed + s.failed ? s.passed / (s.passed + s.failed) : null;
}

/** Scores of a list of results: overall, per family (`8.1.4`) and per section (`8.1.4.1`). */
export function scoreResults(results: readonly { clause: string; status: Status }[]): { score: Score; byFamily: Record<string, Score>; bySection: Record<string, Score> } {
  const score = emptyScore();
  const byFamily: Record<string, Score> = {};
  const bySection: Record<string, Score> = {};
  for (const r of results) {
    const section = r.clause.split(' ')[0]!;
    const family = section.split('.').slice(0, 3).join('.');
    addToScore(score, r.status);
    byFamily[family] ??= emptyScore();
    bySection[section] ??= emptyScore();
    addToScore(byFamily[family], r.status);
    addToScore(bySection[section], r.status);
  }
  return { score, byFamily: sortedByClause(byFamily), bySection: sortedByClause(bySection) };
}

/** Compares clause numbers numerically: 8.1.4.2 < 8.1.4.10. */
export function compareClause(a: string, b: string): number {
  const x = a.split(/[. ]/);
  const y = b.split(/[. ]/);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? '';
    const q = y[i] ?? '';
    const d = /^\d+$/.test(p) && /^\d+$/.test(q) ? Number(p) - Number(q) : p.localeCompare(q);
    if (d) return d;
  }
  return 0;
}

const sortedByClause = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => compareClause(a, b)));

/** Every check of the pack that applies to the target's kind, in the pack's (the standard's) order. */
export function evaluateTarget(pack: Pack, target: Target, o: EvaluateOptions): TargetEvaluation {
  const ctx: Record<string, unknown> = { ...factContext(target), params: o.params, now: o.now };
  const results: CheckResult[] = [];
  for (const c of pack.checks) if (c.appliesTo === target.kind) results.push(evaluateCheck(c, target, ctx, o));
  return {
    target: { id: target.id, kind: target.kind, ...(target.zone ? { zone: target.zone } : {}), ...(target.site ? { site: target.site } : {}) },
    grade: pack.grade,
    pack: { name: pack.name, version: pack.version },
    evaluatedAt: o.now.toISOString(),
    results,
    ...scoreResults(results),
  };
}

/** The manual items of a pack (no automated check covers them) as results, with their guidance as reason. */
export function manualResults(pack: Pack, lang: 'zh-CN' | 'en' = 'zh-CN'): CheckResult[] {
  return pack.manual.map((i) => ({ check: `manual.${i.clause.replace(' ', '.')}`, clause: i.clause, status: 'manual', reason: lang === 'en' ? i.guidance.en : i.guidance.zh, evidence: [], collectedAt: null }));
}

// ------------------------------------------------------------------------------------ facts of devices

/**
 * A `network.device.<target>` group as a target: each key a fact `device.<key>` (status ok), with
 * the probe as evidence (the group carries no per-fact evidence of its own).
 */
export function deviceTarget(id: string, group: Record<string, unknown>, collectedAt: string | null, extra: { zone?: string; site?: string } = {}): Target {
  const facts: Record<string, Fact> = {};
  for (const [k, v] of Object.entries(group)) {
    const e: Evidence = { source: `SNMP probe of ${id}`, excerpt: `${k}: ${short(v)}` };
    facts[`device.${k}`] = { status: 'ok', value: v, evidence: [e] };
  }
  return { id, kind: 'network_device', facts, collectedAt, ...extra };
}
