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
    ctx[v][id.slice(i + 1)] = cached(id, f).stripped;
  }
  return ctx;
}

/** What every check needs of one fact, computed once per target evaluation. */
interface FactInfo {
  /** Evidence items of the fact (shared by the results that cite it; not to be mutated). */
  items: EvidenceItem[];
  /** Why a check citing this fact is unknown (missing, unknown, no time, stale), else undefined. */
  problem?: string;
  /** Collection time in ms (NaN when not known). */
  t: number;
}

/**
 * What depends on a fact object alone (its evidence items and its CEL value), kept as long as the
 * object lives: a target re-evaluated on schedule with unchanged facts builds neither again.
 */
interface FactDerived {
  id: string;
  items: EvidenceItem[];
  stripped: unknown;
}
const DERIVED = new WeakMap<Fact, FactDerived>();
function cached(id: string, f: Fact): FactDerived {
  let d = DERIVED.get(f);
  if (!d || d.id !== id) {
    const value = f.status === 'ok' ? short(f.value) : 'unknown';
    const items: EvidenceItem[] = [];
    if (!f.evidence.length) items.push(f.reason ? { fact: id, value, excerpt: f.reason } : { fact: id, value });
    for (const e of f.evidence)
      items.push(
        e.line !== undefined
          ? { fact: id, value, source: e.source, line: e.line, excerpt: e.excerpt }
          : { fact: id, value, source: e.source, excerpt: e.excerpt },
      );
    d = { id, items, stripped: f.status === 'ok' ? stripNulls(f.value) : null };
    DERIVED.set(f, d);
  }
  return d;
}

function factInfo(id: string, target: Target, o: EvaluateOptions, maxAgeMs: number, parse: (at: string) => number): FactInfo {
  const f = target.facts[id];
  if (!f)
    return {
      items: [{ fact: id, value: 'missing' }],
      problem: `fact ${id} was not reported (an agent older than this fact, or a collection that did not produce it)`,
      t: Number.NaN,
    };
  const { items } = cached(id, f);
  if (f.status !== 'ok') return { items, problem: `fact ${id} is unknown: ${f.reason ?? 'no reason given'}`, t: Number.NaN };
  const at = target.factCollectedAt?.[id] ?? target.collectedAt ?? null;
  const t = at ? parse(at) : Number.NaN;
  if (Number.isNaN(t)) return { items, problem: `fact ${id} has no collection time`, t };
  if (o.now.getTime() - t > maxAgeMs)
    return { items, problem: `fact ${id} is stale: collected ${at}, more than ${o.params.maxFactAgeHours} h before ${o.now.toISOString()}`, t };
  return { items, t };
}

/** The evidence of a check: its facts' items, a line cited by two facts (firewall.input and .input6 from one inet table) once. */
function evidenceOf(infos: FactInfo[]): EvidenceItem[] {
  if (infos.length === 1) return infos[0]!.items;
  const out: EvidenceItem[] = [];
  const seen = new Set<string>();
  for (const fi of infos) {
    for (const e of fi.items) {
      if (e.source !== undefined) {
        const key = `${e.source}\u0000${e.line ?? ''}\u0000${e.excerpt}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      out.push(e);
    }
  }
  return out;
}

export interface EvaluateOptions {
  /** Resolved parameters of this target (pack defaults with the site's overrides, see params.ts). */
  params: Record<string, unknown>;
  now: Date;
}

/** The per-target state checks share: the CEL context and each fact's evidence, status and time. */
export class TargetState {
  readonly ctx: Record<string, unknown>;
  private readonly infos = new Map<string, FactInfo>();
  private readonly maxAgeMs: number;
  private readonly times = new Map<string, number>();
  private readonly isoOf = new Map<number, string>();
  constructor(
    readonly target: Target,
    readonly o: EvaluateOptions,
  ) {
    this.ctx = { ...factContext(target), params: o.params, now: o.now };
    this.maxAgeMs = Number(o.params.maxFactAgeHours ?? 24) * 3_600_000;
  }
  info(id: string): FactInfo {
    let fi = this.infos.get(id);
    if (!fi) {
      fi = factInfo(id, this.target, this.o, this.maxAgeMs, (at) => {
        let t = this.times.get(at);
        if (t === undefined) {
          t = Date.parse(at);
          this.times.set(at, t);
        }
        return t;
      });
      this.infos.set(id, fi);
    }
    return fi;
  }
  /** ISO text of a collection time (few distinct times per target). */
  iso(t: number): string | null {
    if (Number.isNaN(t)) return null;
    let s = this.isoOf.get(t);
    if (s === undefined) {
      s = new Date(t).toISOString();
      this.isoOf.set(t, s);
    }
    return s;
  }
}

/** One check against a target. */
export function evaluateCheck(check: Check, st: TargetState): CheckResult {
  const infos = check.facts.map((id) => st.info(id));
  const evidence = evidenceOf(infos);
  let oldest = Number.NaN;
  let reason: string | undefined;
  for (const fi of infos) {
    if (fi.problem) reason ??= fi.problem;
    if (!Number.isNaN(fi.t) && !(fi.t >= oldest)) oldest = fi.t;
  }
  const collectedAt = st.iso(oldest);
  if (reason) return { check: check.id, clause: check.clause, status: 'unknown', reason, evidence, collectedAt };
  try {
    if (check.compiled.when && check.compiled.when(st.ctx) !== true)
      return { check: check.id, clause: check.clause, status: 'not_applicable', reason: `not applicable: ${check.when}`, evidence, collectedAt };
    const ok = check.compiled.condition(st.ctx);
    if (ok === true) return { check: check.id, clause: check.clause, status: 'pass', evidence, collectedAt };
    if (ok === false)
      return check.onFalse === 'manual'
        ? { check: check.id, clause: check.clause, status: 'manual', reason: 'not found automatically: verify by hand (see guidance)', evidence, collectedAt }
        : { check: check.id, clause: check.clause, status: 'fail', evidence, collectedAt };
    return { check: check.id, clause: check.clause, status: 'unknown', reason: `condition returned ${short(ok)}, not a boolean`, evidence, collectedAt };
  } catch (err) {
    return {
      check: check.id,
      clause: check.clause,
      status: 'unknown',
      reason: `evaluation error: ${String((err as Error).message ?? err).split('\n')[0]}`,
      evidence,
      collectedAt,
    };
  }
}

export function emptyScore(): Score {
  return { passed: 0, failed: 0, unknown: 0, notApplicable: 0, manual: 0, ratio: null };
}

/** Counts a status (the ratio is set by scoreResults once all are counted). */
export function addToScore(s: Score, status: Status): void {
  if (status === 'pass') s.passed++;
  else if (status === 'fail') s.failed++;
  else if (status === 'unknown') s.unknown++;
  else if (status === 'not_applicable') s.notApplicable++;
  else s.manual++;
}

const finish = (s: Score): Score => {
  s.ratio = s.passed + s.failed ? s.passed / (s.passed + s.failed) : null;
  return s;
};

const PARTS = new Map<string, { section: string; family: string }>();
/** `8.1.4.1 a` → section `8.1.4.1`, family `8.1.4` (cached: the clause list is small). */
function clauseParts(clause: string): { section: string; family: string } {
  let p = PARTS.get(clause);
  if (!p) {
    const section = clause.split(' ')[0]!;
    p = { section, family: section.split('.').slice(0, 3).join('.') };
    PARTS.set(clause, p);
  }
  return p;
}

/** Scores of a list of results: overall, per family (`8.1.4`) and per section (`8.1.4.1`). */
export function scoreResults(results: readonly { clause: string; status: Status }[]): {
  score: Score;
  byFamily: Record<string, Score>;
  bySection: Record<string, Score>;
} {
  const score = emptyScore();
  const byFamily: Record<string, Score> = {};
  const bySection: Record<string, Score> = {};
  for (const r of results) {
    const { section, family } = clauseParts(r.clause);
    addToScore(score, r.status);
    byFamily[family] ??= emptyScore();
    bySection[section] ??= emptyScore();
    addToScore(byFamily[family], r.status);
    addToScore(bySection[section], r.status);
  }
  finish(score);
  for (const x of Object.values(byFamily)) finish(x);
  for (const x of Object.values(bySection)) finish(x);
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
  const st = new TargetState(target, o);
  const results: CheckResult[] = [];
  for (const c of pack.checks) if (c.appliesTo === target.kind) results.push(evaluateCheck(c, st));
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
  return pack.manual.map((i) => ({
    check: `manual.${i.clause.replace(' ', '.')}`,
    clause: i.clause,
    status: 'manual',
    reason: lang === 'en' ? i.guidance.en : i.guidance.zh,
    evidence: [],
    collectedAt: null,
  }));
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
