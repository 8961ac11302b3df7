/**
 * Assessor report renderers: a pure function of (evaluations, meta) → html | md | csv | json text.
 * PDF is the HTML printed by chromium (pdf.ts). The collector calls the same functions.
 */
import type { CheckResult, TargetEvaluation } from '../evaluate.js';
import { type Lang, text } from '../pack.js';
import { LABELS, type ReportMeta, delta, evidenceWhere, exceptionFor, fmtTime, overall, pct, trendOf } from './model.js';

export type ReportFormat = 'html' | 'md' | 'csv' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'md', 'csv', 'json'];

export function renderReport(format: ReportFormat, evals: readonly TargetEvaluation[], meta: ReportMeta): string {
  switch (format) {
    case 'html':
      return renderHtml(evals, meta);
    case 'md':
      return renderMarkdown(evals, meta);
    case 'csv':
      return renderCsv(evals, meta);
    case 'json':
      return renderJson(evals, meta);
  }
}

const L = (lang: Lang) => LABELS[lang];

// ------------------------------------------------------------------------------------ JSON

export function renderJson(evals: readonly TargetEvaluation[], meta: ReportMeta): string {
  const trend = trendOf(evals, meta.previous);
  const o = overall(evals);
  return `${JSON.stringify(
    {
      report: {
        generatedAt: meta.generatedAt,
        lang: meta.lang,
        grade: meta.grade,
        standard: meta.standard,
        pack: meta.pack,
        ...(meta.system ? { system: meta.system } : {}),
      },
      score: o.score,
      byFamily: o.byFamily,
      targets: evals.map((e) => ({
        ...e,
        trend: trend.get(e.target.id),
        results: e.results.map((r) => {
          const c = meta.checks[r.check];
          const x = exceptionFor(meta, e.target.id, r, meta.generatedAt);
          return {
            ...r,
            indicator: c?.indicator,
            title: text(c?.title, meta.lang),
            remediation: r.status === 'pass' ? undefined : text(c?.remediation, meta.lang),
            ...(x ? { exception: x } : {}),
          };
        }),
      })),
      manual: meta.manual.map((m) => ({ clause: m.clause, indicator: m.indicator, item: text(m.title, meta.lang), guidance: text(m.guidance, meta.lang) })),
    },
    null,
    2,
  )}\n`;
}

// ------------------------------------------------------------------------------------ CSV

const csvCell = (v: unknown): string => {
  const s = v === undefined || v === null ? '' : String(v);
  // a leading = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

const evidenceText = (r: CheckResult): string =>
  r.evidence.map((e) => [evidenceWhere(e), e.excerpt ?? `${e.fact} = ${e.value}`].filter(Boolean).join(' ')).join(' | ');

export function renderCsv(evals: readonly TargetEvaluation[], meta: ReportMeta): string {
  const head = [
    'target',
    'kind',
    'zone',
    'site',
    'grade',
    'clause',
    'indicator',
    'check',
    'title',
    'status',
    'reason',
    'evidence',
    'remediation',
    'collected_at',
    'evaluated_at',
    'pack',
    'pack_version',
    'exception_until',
    'exception_reason',
  ];
  const rows: unknown[][] = [head];
  for (const e of evals) {
    for (const r of e.results) {
      const c = meta.checks[r.check];
      const x = exceptionFor(meta, e.target.id, r, meta.generatedAt);
      rows.push([
        e.target.id,
        e.target.kind,
        e.target.zone,
        e.target.site,
        e.grade,
        r.clause,
        c?.indicator,
        r.check,
        text(c?.title, meta.lang),
        r.status,
        r.reason,
        evidenceText(r),
        r.status === 'pass' ? '' : text(c?.remediation, meta.lang),
        r.collectedAt,
        e.evaluatedAt,
        e.pack.name,
        e.pack.version,
        x?.until,
        x?.reason,
      ]);
    }
  }
  for (const m of meta.manual)
    rows.push([
      'system',
      '',
      '',
      '',
      meta.grade,
      m.clause,
      m.indicator,
      `manual.${m.clause.replace(' ', '.')}`,
      text(m.title, meta.lang),
      'manual',
      text(m.guidance, meta.lang),
      '',
      '',
      '',
      meta.generatedAt,
      meta.pack.name,
      meta.pack.version,
      '',
      '',
    ]);
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

// ------------------------------------------------------------------------------------ Markdown

const mdCell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');

export function renderMarkdown(evals: readonly TargetEvaluation[], meta: ReportMeta): string {
  const l = L(meta.lang);
  const trend = trendOf(evals, meta.previous);
  const o = overall(evals);
  const out: string[] = [];
  out.push(`# ${l.title(meta.grade)}${meta.system ? ` — ${meta.system}` : ''}`, '');
  out.push(`- ${l.standard}: ${meta.standard}`, `- ${l.pack}: ${meta.pack.name} ${meta.pack.version}`, `- ${l.generated}: ${fmtTime(meta.generatedAt)}`, '');
  out.push(
    `## ${l.summary}`,
    '',
    `${l.score}: **${pct(o.score.ratio)}** (${l.passed} ${o.score.passed}, ${l.failed} ${o.score.failed}; ${l.unknown} ${o.score.unknown}, ${l.notApplicable} ${o.score.notApplicable}, ${l.manual} ${o.score.manual}; ${l.noAutoCheck} ${meta.manual.length})`,
    '',
    `> ${l.scoreNote}`,
    '',
  );
  out.push(
    `| ${l.target} | ${l.kind} | ${l.zone} | ${l.score} | ${l.passed} | ${l.failed} | ${l.unknown} | ${l.notApplicable} | ${l.manual} | ${l.trend} |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const e of evals)
    out.push(
      `| ${mdCell(e.target.id)} | ${l.kinds[e.target.kind] ?? e.target.kind} | ${mdCell(e.target.zone ?? '')} | ${pct(e.score.ratio)} | ${e.score.passed} | ${e.score.failed} | ${e.score.unknown} | ${e.score.notApplicable} | ${e.score.manual} | ${delta(trend.get(e.target.id))} |`,
    );
  out.push('', `## ${l.byFamily}`, '', `| ${l.family} | ${l.score} | ${l.passed} | ${l.failed} | ${l.unknown} |`, '|---|---|---|---|---|');
  for (const [fam, s] of Object.entries(o.byFamily))
    out.push(`| ${fam} ${familyName(meta, fam)} | ${pct(s.ratio)} | ${s.passed} | ${s.failed} | ${s.unknown} |`);
  for (const e of evals) {
    const t = trend.get(e.target.id);
    out.push('', `## ${l.target}: ${mdCell(e.target.id)} (${l.kinds[e.target.kind] ?? e.target.kind})`, '');
    out.push(
      `${l.score} ${pct(e.score.ratio)} · ${l.collected} ${fmtTime(collectedOf(e))} · ${l.evaluated} ${fmtTime(e.evaluatedAt)} · ${l.pack} ${e.pack.version}`,
    );
    if (t && (t.regressions.length || t.fixed.length))
      out.push('', `${l.regressions}: ${t.regressions.join(', ') || l.none}; ${l.fixed}: ${t.fixed.join(', ') || l.none}`);
    out.push('', `| ${l.clause} | ${l.indicator} | ${l.check} | ${l.status} | ${l.evidence} | ${l.remediation} |`, '|---|---|---|---|---|---|');
    for (const r of e.results) {
      const c = meta.checks[r.check];
      const x = exceptionFor(meta, e.target.id, r, meta.generatedAt);
      const status = `${l.statuses[r.status]}${x ? ` (${l.accepted} ${l.until} ${x.until}: ${x.reason})` : ''}${r.reason && r.status !== 'fail' ? `<br>${r.reason}` : ''}`;
      const ev = r.evidence
        .map((v) => `${evidenceWhere(v) ? `\`${evidenceWhere(v)}\` ` : `\`${v.fact}\` `}${v.excerpt ?? valueText(v.value, meta.lang)}`)
        .join('<br>');
      out.push(
        `| ${r.clause} | ${c?.indicator ?? ''} | ${mdCell(text(c?.title, meta.lang))}<br>\`${r.check}\` | ${mdCell(status)} | ${mdCell(ev)} | ${r.status === 'pass' || r.status === 'not_applicable' ? '' : mdCell(text(c?.remediation, meta.lang))} |`,
      );
    }
  }
  out.push('', `## ${l.manualItems}`, '', `| ${l.clause} | ${l.indicator} | ${l.item} | ${l.guidance} |`, '|---|---|---|---|');
  for (const m of meta.manual) out.push(`| ${m.clause} | ${m.indicator} | ${mdCell(text(m.title, meta.lang))} | ${mdCell(text(m.guidance, meta.lang))} |`);
  return `${out.join('\n')}\n`;
}

const valueText = (v: string, lang: Lang): string => (v === 'null' ? L(lang).notSet : v);

/** The collection time shown for a target: the oldest among its results. */
function collectedOf(e: TargetEvaluation): string | null {
  let oldest: string | null = null;
  for (const r of e.results) if (r.collectedAt && (!oldest || r.collectedAt < oldest)) oldest = r.collectedAt;
  return oldest;
}

function familyName(meta: ReportMeta, fam: string): string {
  const c = Object.values(meta.checks).find((x) => x.clause.startsWith(`${fam}.`)) ?? meta.manual.find((m) => m.clause.startsWith(`${fam}.`));
  return c ? text(c.family, meta.lang) : '';
}

// ------------------------------------------------------------------------------------ HTML

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CSS = `
@page { size: A4; margin: 16mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; font-size: 10pt; color: #1a1a1a; margin: 0; line-height: 1.45; }
header.cover { border-bottom: 3px solid #1f4e8c; padding-bottom: 8px; margin-bottom: 14px; }
h1 { font-size: 18pt; margin: 0 0 6px; color: #1f4e8c; }
h2 { font-size: 13pt; margin: 18px 0 8px; color: #1f4e8c; border-bottom: 1px solid #c9d6ea; padding-bottom: 3px; }
h3 { font-size: 11pt; margin: 12px 0 6px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl.meta dt { color: #555; }
dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; table-layout: fixed; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
th, td { border: 1px solid #c8c8c8; padding: 3px 5px; vertical-align: top; text-align: left; overflow-wrap: anywhere; word-break: break-word; }
th { background: #eef3fa; font-weight: bold; }
td.num, th.num { text-align: right; white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; background: #f4f4f4; padding: 0 2px; }
.status { font-weight: bold; white-space: nowrap; display: inline-block; padding: 0 4px; border-radius: 3px; }
.s-pass { color: #156b2f; background: #e3f4e8; }
.s-fail { color: #a11a1a; background: #fbe4e4; }
.s-unknown { color: #7a5a00; background: #fff3cd; }
.s-not_applicable { color: #555; background: #eee; }
.s-manual { color: #1f4e8c; background: #e6eefa; }
.reason, .rem { color: #444; font-size: 9pt; }
.accepted { color: #7a5a00; font-size: 9pt; }
.ev { font-size: 8.5pt; margin: 0 0 2px; }
.note { color: #555; font-size: 9pt; }
.big { font-size: 16pt; font-weight: bold; color: #1f4e8c; }
section.target { page-break-before: always; break-before: page; }
section.manual { page-break-before: always; break-before: page; }
col.c-clause { width: 8.5%; } col.c-ind { width: 10%; } col.c-check { width: 22%; } col.c-status { width: 8.5%; } col.c-ev { width: 28%; } col.c-rem { width: 23%; }
td.clause, td.ind { white-space: nowrap; font-size: 8.5pt; overflow-wrap: normal; word-break: normal; }
td code.id { font-size: 7.5pt; color: #555; background: none; }
`;

export function renderHtml(evals: readonly TargetEvaluation[], meta: ReportMeta): string {
  const l = L(meta.lang);
  const trend = trendOf(evals, meta.previous);
  const o = overall(evals);
  const title = `${l.title(meta.grade)}${meta.system ? ` — ${meta.system}` : ''}`;
  const badge = (s: CheckResult['status']) => `<span class="status s-${s}">${esc(l.statuses[s])}</span>`;
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html><html lang="${meta.lang}"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head><body>`);
  parts.push(`<header class="cover"><h1>${esc(title)}</h1><dl class="meta">`);
  parts.push(`<dt>${l.standard}</dt><dd>${esc(meta.standard)} · GB/T 28448-2019</dd>`);
  if (meta.system) parts.push(`<dt>${l.system}</dt><dd>${esc(meta.system)}</dd>`);
  parts.push(
    `<dt>${l.pack}</dt><dd id="pack">${esc(meta.pack.name)} ${esc(meta.pack.version)}</dd><dt>${l.generated}</dt><dd id="generated" data-time="${esc(meta.generatedAt)}">${esc(fmtTime(meta.generatedAt))}</dd></dl></header>`,
  );
  // summary
  parts.push(`<section class="summary"><h2>${l.summary}</h2>`);
  parts.push(
    `<p><span class="big" id="overall-score">${pct(o.score.ratio)}</span> &nbsp; ${l.passed} ${o.score.passed} · ${l.failed} ${o.score.failed} · ${l.unknown} ${o.score.unknown} · ${l.notApplicable} ${o.score.notApplicable} · ${l.manual} ${o.score.manual} · ${l.noAutoCheck} ${meta.manual.length}</p>`,
  );
  parts.push(`<p class="note">${esc(l.scoreNote)}</p>`);
  parts.push(
    `<table id="targets"><colgroup><col style="width:26%"><col style="width:10%"><col style="width:10%"><col style="width:9%"><col style="width:7%"><col style="width:8%"><col style="width:7%"><col style="width:7%"><col style="width:8%"><col style="width:8%"></colgroup><thead><tr><th>${l.target}</th><th>${l.kind}</th><th>${l.zone}</th><th class="num">${l.score}</th><th class="num">${l.passed}</th><th class="num">${l.failed}</th><th class="num">${l.unknown}</th><th class="num">${l.notApplicable}</th><th class="num">${l.manual}</th><th class="num">${l.trend}</th></tr></thead><tbody>`,
  );
  for (const e of evals) {
    parts.push(
      `<tr data-target="${esc(e.target.id)}"><td><a href="#t-${esc(e.target.id)}">${esc(e.target.id)}</a></td><td>${esc(l.kinds[e.target.kind] ?? e.target.kind)}</td><td>${esc(e.target.zone ?? '')}</td><td class="num">${pct(e.score.ratio)}</td><td class="num">${e.score.passed}</td><td class="num">${e.score.failed}</td><td class="num">${e.score.unknown}</td><td class="num">${e.score.notApplicable}</td><td class="num">${e.score.manual}</td><td class="num">${esc(delta(trend.get(e.target.id)))}</td></tr>`,
    );
  }
  parts.push('</tbody></table>');
  parts.push(
    `<h3>${l.byFamily}</h3><table id="families"><colgroup><col style="width:52%"><col style="width:12%"><col style="width:12%"><col style="width:12%"><col style="width:12%"></colgroup><thead><tr><th>${l.family}</th><th class="num">${l.score}</th><th class="num">${l.passed}</th><th class="num">${l.failed}</th><th class="num">${l.unknown}</th></tr></thead><tbody>`,
  );
  for (const [fam, s] of Object.entries(o.byFamily))
    parts.push(
      `<tr data-family="${esc(fam)}"><td>${esc(fam)} ${esc(familyName(meta, fam))}</td><td class="num">${pct(s.ratio)}</td><td class="num">${s.passed}</td><td class="num">${s.failed}</td><td class="num">${s.unknown}</td></tr>`,
    );
  parts.push('</tbody></table></section>');
  // per target
  for (const e of evals) {
    const t = trend.get(e.target.id);
    parts.push(
      `<section class="target" id="t-${esc(e.target.id)}" data-target="${esc(e.target.id)}"><h2>${l.target}: ${esc(e.target.id)} <small>(${esc(l.kinds[e.target.kind] ?? e.target.kind)}${e.target.zone ? `, ${esc(e.target.zone)}` : ''})</small></h2>`,
    );
    const collected = collectedOf(e);
    parts.push(
      `<p>${l.score} <b>${pct(e.score.ratio)}</b> (${l.passed} ${e.score.passed}, ${l.failed} ${e.score.failed}, ${l.unknown} ${e.score.unknown}, ${l.notApplicable} ${e.score.notApplicable}, ${l.manual} ${e.score.manual}) · ${l.collected} ${esc(fmtTime(collected))} · ${l.evaluated} <span class="evaluated" data-time="${esc(e.evaluatedAt)}">${esc(fmtTime(e.evaluatedAt))}</span> · ${l.pack} ${esc(e.pack.name)} ${esc(e.pack.version)}</p>`,
    );
    if (t && (t.regressions.length || t.fixed.length))
      parts.push(`<p class="trend">${l.regressions}: ${esc(t.regressions.join(', ') || l.none)}; ${l.fixed}: ${esc(t.fixed.join(', ') || l.none)}</p>`);
    parts.push(
      `<table class="results"><colgroup><col class="c-clause"><col class="c-ind"><col class="c-check"><col class="c-status"><col class="c-ev"><col class="c-rem"></colgroup><thead><tr><th>${l.clause}</th><th>${l.indicator}</th><th>${l.check}</th><th>${l.status}</th><th>${l.evidence}</th><th>${l.remediation}</th></tr></thead><tbody>`,
    );
    let section = '';
    for (const r of e.results) {
      const c = meta.checks[r.check];
      const sec = r.clause.split(' ')[0]!;
      if (sec !== section) {
        section = sec;
        parts.push(`<tr class="section"><th colspan="6">${esc(sec)} ${esc(c ? `${text(c.family, meta.lang)} / ${text(c.section, meta.lang)}` : '')}</th></tr>`);
      }
      const x = exceptionFor(meta, e.target.id, r, meta.generatedAt);
      const ev = r.evidence
        .map(
          (v) =>
            `<div class="ev">${evidenceWhere(v) ? `<code>${esc(evidenceWhere(v))}</code> ` : `<code>${esc(v.fact)}</code> `}${esc(v.excerpt ?? valueText(v.value, meta.lang))}</div>`,
        )
        .join('');
      const rem = r.status === 'pass' || r.status === 'not_applicable' ? '' : `<span class="rem">${esc(text(c?.remediation, meta.lang))}</span>`;
      const reason = r.reason && r.status !== 'fail' ? `<div class="reason">${esc(r.reason)}</div>` : '';
      const acc = x ? `<div class="accepted">${l.accepted} ${l.until} ${esc(x.until)}: ${esc(x.reason)} (${esc(x.by)})</div>` : '';
      parts.push(
        `<tr data-check="${esc(r.check)}" data-status="${r.status}"><td class="clause">${esc(r.clause)}</td><td class="ind">${esc(c?.indicator ?? '')}</td><td>${esc(text(c?.title, meta.lang))}<br><code class="id">${esc(r.check)}</code></td><td>${badge(r.status)}${acc}${reason}</td><td>${ev}${r.collectedAt && r.collectedAt !== collected ? `<div class="note">${l.collected} ${esc(fmtTime(r.collectedAt))}</div>` : ''}</td><td>${rem}</td></tr>`,
      );
    }
    parts.push('</tbody></table></section>');
  }
  // manual items
  parts.push(
    `<section class="manual"><h2>${l.manualItems}</h2><table id="manual"><colgroup><col style="width:10%"><col style="width:11%"><col style="width:40%"><col style="width:39%"></colgroup><thead><tr><th>${l.clause}</th><th>${l.indicator}</th><th>${l.item}</th><th>${l.guidance}</th></tr></thead><tbody>`,
  );
  // the guidance is per section: one cell spanning the section's items
  const bySection = new Map<string, typeof meta.manual>();
  for (const m of meta.manual) {
    const sec = m.clause.split(' ')[0]!;
    bySection.set(sec, [...(bySection.get(sec) ?? []), m]);
  }
  for (const [sec, ms] of bySection) {
    parts.push(`<tr class="section"><th colspan="4">${esc(sec)} ${esc(`${text(ms[0]!.family, meta.lang)} / ${text(ms[0]!.section, meta.lang)}`)}</th></tr>`);
    ms.forEach((m, i) => {
      const g = i === 0 ? `<td rowspan="${ms.length}" class="guidance">${esc(text(m.guidance, meta.lang))}</td>` : '';
      parts.push(
        `<tr data-clause="${esc(m.clause)}"><td class="clause">${esc(m.clause)}</td><td class="ind">${esc(m.indicator)}</td><td>${esc(text(m.title, meta.lang))}</td>${g}</tr>`,
      );
    });
  }
  parts.push('</tbody></table></section></body></html>\n');
  return parts.join('');
}
