/**
 * What a report is made of: the evaluations (results) and the meta the renderers need (check texts
 * from the pack, manual items, previous results for the trend, accepted exceptions). Pure.
 */
import type { CheckResult, Score, Status, TargetEvaluation } from '../evaluate.js';
import { scoreResults } from '../evaluate.js';
import type { Grade, Lang, Pack, Text } from '../pack.js';

export interface CheckInfo {
  id: string;
  clause: string;
  indicator: string;
  family: Text;
  section: Text;
  title: Text;
  rationale: Text;
  remediation: Text;
  appliesTo: string;
}

export interface ManualItem {
  clause: string;
  indicator: string;
  family: Text;
  section: Text;
  title: Text;
  guidance: Text;
}

/** A failing check accepted on a target until a date (整改中 / accepted risk). */
export interface ReportException {
  target: string;
  check: string;
  until: string;
  reason: string;
  by: string;
}

export interface ReportMeta {
  lang: Lang;
  generatedAt: string;
  grade: Grade;
  pack: { name: string; version: string };
  standard: string;
  /** The system assessed (e.g. 某市电子政务外网), shown in the title. */
  system?: string;
  checks: Record<string, CheckInfo>;
  manual: ManualItem[];
  /** The results of the previous report, for the trend. */
  previous?: TargetEvaluation[];
  exceptions?: ReportException[];
}

/** The check texts and manual items of a pack, for ReportMeta. */
export function packInfo(pack: Pack): Pick<ReportMeta, 'grade' | 'pack' | 'standard' | 'checks' | 'manual'> {
  const checks: Record<string, CheckInfo> = {};
  for (const c of pack.checks) {
    checks[c.id] = {
      id: c.id,
      clause: c.clause,
      indicator: c.item.indicator,
      family: c.item.family.title,
      section: c.item.section.title,
      title: c.title,
      rationale: c.rationale,
      remediation: c.remediation,
      appliesTo: c.appliesTo,
    };
  }
  const manual = pack.manual.map((i) => ({
    clause: i.clause,
    indicator: i.indicator,
    family: i.family.title,
    section: i.section.title,
    title: i.title,
    guidance: i.guidance,
  }));
  return { grade: pack.grade, pack: { name: pack.name, version: pack.version }, standard: 'GB/T 22239-2019', checks, manual };
}

export interface TargetTrend {
  target: string;
  previousRatio: number | null;
  ratio: number | null;
  /** pass → fail since the previous results. */
  regressions: string[];
  /** fail → pass since the previous results. */
  fixed: string[];
}

/** The trend of each target against the previous results (targets without previous results: all null/empty). */
export function trendOf(current: readonly TargetEvaluation[], previous: readonly TargetEvaluation[] | undefined): Map<string, TargetTrend> {
  const prev = new Map((previous ?? []).map((e) => [e.target.id, e]));
  const out = new Map<string, TargetTrend>();
  for (const e of current) {
    const p = prev.get(e.target.id);
    const before = new Map((p?.results ?? []).map((r) => [r.check, r.status]));
    const regressions: string[] = [];
    const fixed: string[] = [];
    for (const r of e.results) {
      const b = before.get(r.check);
      if (b === 'pass' && r.status === 'fail') regressions.push(r.check);
      if (b === 'fail' && r.status === 'pass') fixed.push(r.check);
    }
    out.set(e.target.id, { target: e.target.id, previousRatio: p ? p.score.ratio : null, ratio: e.score.ratio, regressions, fixed });
  }
  return out;
}

/** The accepted exception covering a failing result, if one is still valid at `at`. */
export function exceptionFor(meta: ReportMeta, target: string, r: CheckResult, at: string): ReportException | undefined {
  if (r.status !== 'fail') return undefined;
  return meta.exceptions?.find((x) => x.target === target && x.check === r.check && x.until >= at.slice(0, 10));
}

/** Scores across all targets: overall and per family. */
export function overall(evals: readonly TargetEvaluation[]): { score: Score; byFamily: Record<string, Score> } {
  const all: { clause: string; status: Status }[] = [];
  for (const e of evals) for (const r of e.results) all.push(r);
  const s = scoreResults(all);
  return { score: s.score, byFamily: s.byFamily };
}

export const LABELS = {
  'zh-CN': {
    title: (g: number) => `网络安全等级保护 2.0 合规检查报告（第${g === 3 ? '三' : '二'}级）`,
    standard: '依据标准',
    pack: '规则包',
    generated: '生成时间',
    system: '被测系统',
    summary: '总体情况',
    target: '对象',
    kind: '类型',
    zone: '区域',
    score: '符合率',
    passed: '符合',
    failed: '不符合',
    unknown: '未知',
    notApplicable: '不适用',
    manual: '人工核查',
    trend: '较上次',
    byFamily: '按安全类别',
    family: '安全类别',
    clause: '条款',
    indicator: '测评指标',
    check: '检查项',
    status: '结果',
    evidence: '证据',
    remediation: '整改建议',
    evaluated: '评估时间',
    collected: '采集时间',
    manualItems: '人工核查项（无自动检查）',
    guidance: '核查方法',
    item: '要求',
    regressions: '新增不符合',
    fixed: '已整改',
    accepted: '已接受风险',
    until: '至',
    none: '无',
    scoreNote: '符合率 = 符合 ÷（符合 + 不符合）；未知、不适用、人工核查项不计入，单独列出。',
    kinds: { host: '主机', network_device: '网络设备', collector: '采集器' } as Record<string, string>,
    statuses: { pass: '符合', fail: '不符合', not_applicable: '不适用', unknown: '未知', manual: '人工核查' } as Record<Status, string>,
    reason: '说明',
    contents: '目录',
    notSet: '（未配置）',
    noAutoCheck: '无自动检查项',
  },
  en: {
    title: (g: number) => `MLPS 2.0 compliance report (level ${g})`,
    standard: 'Standard',
    pack: 'Rule pack',
    generated: 'Generated',
    system: 'System',
    summary: 'Summary',
    target: 'Target',
    kind: 'Kind',
    zone: 'Zone',
    score: 'Score',
    passed: 'Passed',
    failed: 'Failed',
    unknown: 'Unknown',
    notApplicable: 'Not applicable',
    manual: 'Manual',
    trend: 'Since last',
    byFamily: 'By category',
    family: 'Category',
    clause: 'Clause',
    indicator: 'Indicator',
    check: 'Check',
    status: 'Result',
    evidence: 'Evidence',
    remediation: 'Remediation',
    evaluated: 'Evaluated',
    collected: 'Collected',
    manualItems: 'Manual items (no automated check)',
    guidance: 'How to verify',
    item: 'Requirement',
    regressions: 'New failures',
    fixed: 'Fixed',
    accepted: 'Accepted risk',
    until: 'until',
    none: 'none',
    scoreNote: 'Score = passed ÷ (passed + failed); unknown, not applicable and manual results are not counted and are shown apart.',
    kinds: { host: 'host', network_device: 'network device', collector: 'collector' } as Record<string, string>,
    statuses: { pass: 'PASS', fail: 'FAIL', not_applicable: 'N/A', unknown: 'UNKNOWN', manual: 'MANUAL' } as Record<Status, string>,
    reason: 'Note',
    contents: 'Contents',
    notSet: '(not configured)',
    noAutoCheck: 'items without an automated check',
  },
} as const;

export const pct = (r: number | null): string => (r === null ? '–' : `${(Math.round(r * 1000) / 10).toFixed(1)}%`);

/** `+3.1 pp` / `−2.0 pp` / `–`. */
export function delta(t: TargetTrend | undefined): string {
  if (!t || t.previousRatio === null || t.ratio === null) return '–';
  // the difference of the percentages as shown (93.8% − 90.0% = +3.8 pp)
  const d = (Math.round(t.ratio * 1000) - Math.round(t.previousRatio * 1000)) / 10;
  return d === 0 ? '±0.0 pp' : `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} pp`;
}

/** `file:line` or the command of an evidence item. */
export const evidenceWhere = (e: { source?: string; line?: number }): string => (e.source ? `${e.source}${e.line !== undefined ? `:${e.line}` : ''}` : '');

/** `2026-12-03 07:43:37 UTC` (reports for people; JSON and CSV keep ISO 8601). */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
