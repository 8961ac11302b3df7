/** Lynis-style terminal output of one target's evaluation (`xunjian mlps check`). Pure. */
import type { Status, TargetEvaluation } from './evaluate.js';
import { type Lang, text } from './pack.js';
import { LABELS, type ReportMeta, evidenceWhere, pct } from './report/model.js';

const COLORS: Record<Status, string> = { pass: '\x1b[32m', fail: '\x1b[31m', unknown: '\x1b[33m', not_applicable: '\x1b[90m', manual: '\x1b[36m' };
const RESET = '\x1b[0m';

/** Display width: CJK and full-width characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}
const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - displayWidth(s)));
const oneLine = (s: string, max = 110) => {
  const l = s.split('\n')[0]!;
  return l.length > max ? `${l.slice(0, max - 1)}…` : l;
};

export interface TextOptions {
  color: boolean;
  /** List every manual item of the catalog (the default prints their count and sections). */
  allManual?: boolean;
}

export function renderCheckText(e: TargetEvaluation, meta: ReportMeta, o: TextOptions): string {
  const lang: Lang = meta.lang;
  const l = LABELS[lang];
  const labelW = Math.max(...Object.values(l.statuses).map(displayWidth));
  const badge = (s: Status) => {
    const t = `[ ${pad(l.statuses[s], labelW)} ]`;
    return o.color ? `${COLORS[s]}${t}${RESET}` : t;
  };
  const out: string[] = [];
  const grade = lang === 'en' ? `level ${e.grade}` : `第${e.grade === 3 ? '三' : '二'}级`;
  out.push(
    lang === 'en'
      ? `Xunjian MLPS 2.0 self-check - ${grade} (GB/T 22239-2019 ${e.grade === 3 ? '8.1' : '7.1'}), pack ${e.pack.name} ${e.pack.version}`
      : `Xunjian 等保 2.0 自检 — ${grade}（GB/T 22239-2019 ${e.grade === 3 ? '8.1' : '7.1'}），规则包 ${e.pack.name} ${e.pack.version}`,
  );
  const collected = e.results.find((r) => r.collectedAt)?.collectedAt ?? '–';
  out.push(
    `${l.target}: ${e.target.id}${e.target.zone ? ` (${l.zone} ${e.target.zone})` : ''} · ${l.collected} ${collected} · ${l.evaluated} ${e.evaluatedAt}`,
  );
  let section = '';
  for (const r of e.results) {
    const c = meta.checks[r.check];
    const sec = r.clause.split(' ')[0]!;
    if (sec !== section) {
      section = sec;
      out.push('', `[${sec} ${c ? `${text(c.family, lang)} / ${text(c.section, lang)}` : ''}]`);
    }
    out.push(`  ${badge(r.status)} ${pad(r.clause, 10)} ${text(c?.title, lang)}  (${r.check})`);
    if (r.status === 'pass' || r.status === 'not_applicable') {
      if (r.status === 'not_applicable' && r.reason) out.push(`      ${l.reason}: ${oneLine(r.reason)}`);
      continue;
    }
    if (r.reason) out.push(`      ${l.reason}: ${oneLine(r.reason)}`);
    for (const v of r.evidence.slice(0, 4))
      out.push(`      ${l.evidence}: ${evidenceWhere(v) ? `${evidenceWhere(v)}  ` : `${v.fact}  `}${oneLine(v.excerpt ?? v.value, 90)}`);
    if (r.evidence.length > 4) out.push(`      ${l.evidence}: … (+${r.evidence.length - 4})`);
    if (r.status === 'fail' || r.status === 'manual') out.push(`      ${l.remediation}: ${text(c?.remediation, lang)}`);
  }
  out.push('', `${l.manualItems}: ${meta.manual.length}`);
  if (o.allManual) {
    for (const m of meta.manual) out.push(`  ${badge('manual')} ${pad(m.clause, 10)} ${m.indicator}  ${text(m.title, lang)}`);
  } else {
    const secs = new Map<string, number>();
    for (const m of meta.manual)
      secs.set(`${m.clause.split(' ')[0]} ${text(m.section, lang)}`, (secs.get(`${m.clause.split(' ')[0]} ${text(m.section, lang)}`) ?? 0) + 1);
    out.push(`  ${[...secs].map(([s, n]) => `${s} (${n})`).join(', ')}`);
    out.push(lang === 'en' ? '  (--all-manual lists them; the report shows each with how to verify it)' : '  （--all-manual 逐项列出；报告中附核查方法）');
  }
  const s = e.score;
  out.push('');
  for (const [fam, fs] of Object.entries(e.byFamily))
    out.push(`  ${pad(fam, 8)} ${pad(pct(fs.ratio), 7)} ${l.passed} ${fs.passed}, ${l.failed} ${fs.failed}, ${l.unknown} ${fs.unknown}`);
  out.push(
    lang === 'en'
      ? `Score ${pct(s.ratio)} (${s.passed} passed, ${s.failed} failed); unknown ${s.unknown}, not applicable ${s.notApplicable}, manual ${s.manual} (+${meta.manual.length} items without an automated check)`
      : `符合率 ${pct(s.ratio)}（符合 ${s.passed}，不符合 ${s.failed}）；未知 ${s.unknown}，不适用 ${s.notApplicable}，人工核查 ${s.manual}（另有 ${meta.manual.length} 项无自动检查）`,
  );
  return `${out.join('\n')}\n`;
}
