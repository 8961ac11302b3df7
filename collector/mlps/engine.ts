/**
 * MlpsEngine: the collector-side consumer in one class with a small interface. It holds the loaded
 * packs and site parameters, evaluates a node (or device) when its facts change, keeps each target's
 * latest evaluation, reports pass → fail regressions (for alerts/, category `mlps`), and renders
 * `xunjian_mlps_check_status` / `xunjian_mlps_score_ratio`. No I/O: the lead wires facts in,
 * results to MlpsStore and regressions to the alert pipeline.
 */
import { escapeLabelValue } from '../../contract/exposition.js';
import type { Fact } from '../../contract/facts/posture.js';
import type { TargetKind } from './cel.js';
import { type CheckResult, type Status, type TargetEvaluation, evaluateTarget } from './evaluate.js';
import type { Grade, Pack } from './pack.js';
import { NO_OVERRIDES, type ParamOverrides, resolveParams } from './params.js';

export interface NodeMeta {
  grade: Grade;
  kind?: TargetKind;
  zone?: string;
  site?: string;
  /** When the facts were collected (the report's time for the facts group). */
  collectedAt: string | null;
  factCollectedAt?: Record<string, string>;
}

/** A check that passed in the previous evaluation of a target and fails now. */
export interface Regression {
  node: string;
  grade: Grade;
  check: string;
  clause: string;
  at: string;
  result: CheckResult;
}

export interface EngineOptions {
  packs: Partial<Record<Grade, Pack>>;
  params?: ParamOverrides;
  now?: () => Date;
}

/** Metric value of a status: 1 pass, 0 fail, -1 unknown; not applicable and manual are not exported. */
export const STATUS_VALUE: Partial<Record<Status, number>> = { pass: 1, fail: 0, unknown: -1 };

export const MLPS_METRICS_HELP = {
  xunjian_mlps_check_status: 'MLPS 2.0 check result per target: 1 pass, 0 fail, -1 unknown (not applicable and manual results are not exported).',
  xunjian_mlps_score_ratio: 'MLPS 2.0 score per target: passed / (passed + failed), overall (clause="all"), per clause family (8.1.4) and section (8.1.4.1).',
} as const;

interface Entry {
  evaluation: TargetEvaluation;
  status: string | undefined;
  score: string | undefined;
}

/** pass → fail between two evaluations of a target (same pack: results in the same order, compared by index). */
export function regressionsOf(node: string, before: TargetEvaluation, now: TargetEvaluation): Regression[] {
  const out: Regression[] = [];
  const a = before.results;
  const b = now.results;
  const aligned = a.length === b.length && a.every((r, i) => r.check === b[i]!.check);
  const prev = aligned ? undefined : new Map(a.map((r) => [r.check, r.status]));
  for (let i = 0; i < b.length; i++) {
    const r = b[i]!;
    if (r.status === 'fail' && (prev ? prev.get(r.check) : a[i]!.status) === 'pass')
      out.push({ node, grade: now.grade, check: r.check, clause: r.clause, at: now.evaluatedAt, result: r });
  }
  return out;
}

export class MlpsEngine {
  private packs: Partial<Record<Grade, Pack>>;
  private params: ParamOverrides;
  private readonly now: () => Date;
  private readonly latest = new Map<string, Entry>();

  constructor(o: EngineOptions) {
    this.packs = o.packs;
    this.params = o.params ?? NO_OVERRIDES;
    this.now = o.now ?? (() => new Date());
  }

  /** New packs or parameters (config reload); the next evaluations use them. */
  reload(o: Pick<EngineOptions, 'packs' | 'params'>): void {
    this.packs = o.packs;
    this.params = o.params ?? NO_OVERRIDES;
  }

  pack(grade: Grade): Pack | undefined {
    return this.packs[grade];
  }

  /**
   * Evaluates one target's facts (a node's `host.posture` facts, a device's `device.*` facts from
   * deviceTarget, the collector's own) and returns the results and the regressions since its
   * previous evaluation. Throws when no pack of the grade is loaded.
   */
  evaluateNode(nodeId: string, facts: Record<string, Fact>, meta: NodeMeta): { evaluation: TargetEvaluation; regressions: Regression[] } {
    const pack = this.packs[meta.grade];
    if (!pack) throw new Error(`no MLPS pack loaded for level ${meta.grade}`);
    const target = {
      id: nodeId,
      kind: meta.kind ?? 'host',
      zone: meta.zone,
      site: meta.site,
      facts,
      collectedAt: meta.collectedAt,
      factCollectedAt: meta.factCollectedAt,
    };
    const evaluation = evaluateTarget(pack, target, { params: resolveParams(pack, this.params, target), now: this.now() });
    const before = this.latest.get(nodeId)?.evaluation;
    const regressions = before && before.grade === evaluation.grade ? regressionsOf(nodeId, before, evaluation) : [];
    // the metric lines are rendered at the next scrape, once however often the target changed
    this.latest.set(nodeId, { evaluation, status: undefined, score: undefined });
    return { evaluation, regressions };
  }

  /** The latest evaluation of a target. */
  get(nodeId: string): TargetEvaluation | undefined {
    return this.latest.get(nodeId)?.evaluation;
  }

  /** Every latest evaluation (for the report and /api/v1/compliance). */
  all(): TargetEvaluation[] {
    return [...this.latest.values()].map((e) => e.evaluation);
  }

  /** A target removed from the fleet: its results and series go. */
  remove(nodeId: string): void {
    this.latest.delete(nodeId);
  }

  /** The two metric families as exposition text (each target's lines are rendered when it is evaluated). */
  metrics(): string {
    if (!this.latest.size) return '';
    let status = `# HELP xunjian_mlps_check_status ${MLPS_METRICS_HELP.xunjian_mlps_check_status}\n# TYPE xunjian_mlps_check_status gauge\n`;
    let score = `# HELP xunjian_mlps_score_ratio ${MLPS_METRICS_HELP.xunjian_mlps_score_ratio}\n# TYPE xunjian_mlps_score_ratio gauge\n`;
    for (const e of this.latest.values()) {
      if (e.status === undefined || e.score === undefined) Object.assign(e, renderTarget(e.evaluation));
      status += e.status;
      score += e.score;
    }
    return status + score;
  }
}

const CHECK_LABELS = new Map<string, string>();

/** The exposition lines of one target's evaluation. Pure. */
export function renderTarget(e: TargetEvaluation): { status: string; score: string } {
  const node = escapeLabelValue(e.target.id);
  const grade = String(e.grade);
  let status = '';
  for (const r of e.results) {
    const v = STATUS_VALUE[r.status];
    if (v === undefined) continue;
    let lbl = CHECK_LABELS.get(r.check);
    if (!lbl) {
      lbl = `check="${escapeLabelValue(r.check)}",clause="${escapeLabelValue(r.clause)}"`;
      CHECK_LABELS.set(r.check, lbl);
    }
    status += `xunjian_mlps_check_status{node="${node}",grade="${grade}",${lbl}} ${v}\n`;
  }
  let score = '';
  const line = (clause: string, ratio: number | null) => {
    if (ratio !== null) score += `xunjian_mlps_score_ratio{node="${node}",grade="${grade}",clause="${clause}"} ${ratio}\n`;
  };
  line('all', e.score.ratio);
  for (const [k, s] of Object.entries(e.byFamily)) line(k, s.ratio);
  for (const [k, s] of Object.entries(e.bySection)) line(k, s.ratio);
  return { status, score };
}
