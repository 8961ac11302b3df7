import type { LabelSet } from '../core/component.js';
import type { Lang } from './config.js';
import { formatDuration } from './duration.js';
import type { NotifiedAlert, Notification } from './receivers/types.js';

/**
 * Notification text, bilingual, for a phone screen: what, where, since when, value, severity, runbook
 * and remediation links, who claimed it. Pure functions; size limits in UTF-8 bytes, truncated at
 * whole alerts with a line saying how many were left out.
 */
export interface RenderOptions {
  lang: Lang;
  timezone: string;
  externalURL: string;
  /** markdown (WeCom/DingTalk, email HTML source) or plain text (Feishu text, WeCom text, email). */
  style: 'markdown' | 'text';
  /** Largest result in UTF-8 bytes (0: unlimited). */
  maxBytes: number;
  now: number;
  /** Appended last, never truncated (the robots' @mentions). */
  trailer?: string;
}

const T = {
  'zh-CN': {
    firing: '告警',
    resolved: '已恢复',
    escalated: '升级',
    count: (n: number) => `${n} 条`,
    alertname: '告警名',
    where: '位置',
    since: '开始',
    resolvedAt: '恢复',
    lasting: '持续',
    value: '当前值',
    severity: '级别',
    detail: '说明',
    runbook: '运行手册',
    remediation: '处置建议',
    claimed: '认领',
    acked: '确认',
    unclaimed: (d: string) => `已 ${d} 无人认领`,
    omitted: (n: number) => `…另有 ${n} 条告警未显示`,
    open: '查看详情',
    node: '节点',
    site: '站点',
    zone: '区域',
    device: '设备',
    interface: '接口',
    instance: '实例',
    category: '类别',
    sev: { critical: '严重', warning: '警告', info: '提示' } as Record<string, string>,
    cat: { network: '网络', security: '安全', mlps: '等保' } as Record<string, string>,
  },
  en: {
    firing: 'FIRING',
    resolved: 'RESOLVED',
    escalated: 'ESCALATED',
    count: (n: number) => `${n}`,
    alertname: 'Alert',
    where: 'Where',
    since: 'Since',
    resolvedAt: 'Resolved',
    lasting: 'for',
    value: 'Value',
    severity: 'Severity',
    detail: 'Details',
    runbook: 'Runbook',
    remediation: 'Remediation',
    claimed: 'Claimed by',
    acked: 'Acknowledged by',
    unclaimed: (d: string) => `unclaimed for ${d}`,
    omitted: (n: number) => `…and ${n} more alert${n === 1 ? '' : 's'} not shown`,
    open: 'Open',
    node: 'node',
    site: 'site',
    zone: 'zone',
    device: 'device',
    interface: 'interface',
    instance: 'instance',
    category: 'category',
    sev: {} as Record<string, string>,
    cat: {} as Record<string, string>,
  },
};

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The longest prefix of `s` within `max` bytes, cut between code points. */
export function truncateBytes(s: string, max: number): string {
  if (utf8Bytes(s) <= max) return s;
  let n = 0;
  let out = '';
  for (const ch of s) {
    const b = utf8Bytes(ch);
    if (n + b > max) break;
    n += b;
    out += ch;
  }
  return out;
}

export function formatTime(ms: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  }).formatToParts(new Date(ms));
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  const zone = p('timeZoneName').replace(/^GMT(\+0)?$/, 'UTC');
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${zone}`;
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

const sevOf = (l: LabelSet, lang: Lang) => {
  const s = l.severity ?? '';
  return T[lang].sev[s] ? `${T[lang].sev[s]} ${s}` : s;
};

/** Subject line: `[告警 2 条] NodeDown · site-a` / `[FIRING:2] NodeDown · site-a`. */
export function renderTitle(n: Notification, lang: Lang): string {
  const t = T[lang];
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const resolved = n.alerts.length - firing;
  const sep = lang === 'en' ? ':' : ' ';
  const state =
    n.status === 'firing'
      ? `${t.firing}${sep}${t.count(firing)}${resolved ? `, ${t.resolved}${sep}${t.count(resolved)}` : ''}`
      : `${t.resolved}${sep}${t.count(resolved)}`;
  const esc = n.escalation ? `${t.escalated} ` : '';
  const names = [...new Set(n.alerts.map((a) => a.labels.alertname ?? ''))].filter(Boolean);
  const what = names.length === 1 ? names[0]! : names.length > 1 ? `${names[0]} +${names.length - 1}` : '';
  const where = n.groupLabels.site ?? n.groupLabels.zone ?? n.groupLabels.node ?? commonValue(n.alerts, 'site') ?? '';
  return `[${esc}${state}] ${what}${where ? ` · ${where}` : ''}`.trim();
}

function commonValue(alerts: NotifiedAlert[], k: string): string | undefined {
  const v = alerts[0]?.labels[k];
  return v !== undefined && alerts.every((a) => a.labels[k] === v) ? v : undefined;
}

function alertBlock(a: NotifiedAlert, i: number, o: RenderOptions): string {
  const t = T[o.lang];
  const md = o.style === 'markdown';
  const b = (s: string) => (md ? `**${s}**` : s);
  const link = (label: string, url: string) => (md ? `[${label}](${url})` : `${label}: ${url}`);
  const l = a.labels;
  // Rules may carry Chinese text beside the English (`summary_zh`, `description_zh`, `remediation_zh`).
  const ann = (k: string) => (o.lang === 'zh-CN' ? a.annotations[`${k}_zh`] || a.annotations[k] : a.annotations[k] || a.annotations[`${k}_zh`]) ?? '';
  const mark = a.status === 'firing' ? '🔴' : '✅';
  const title = ann('summary') || l.alertname || a.fingerprint;
  const sev = sevOf(l, o.lang);
  const lines = [`${mark} ${b(`${i}. ${title}`)}${sev ? ` (${sev})` : ''}`];
  const item = (k: string, v: string) => lines.push(`${md ? '- ' : '  '}${k}: ${v}`);
  const where = (['node', 'site', 'zone', 'device', 'interface', 'instance'] as const)
    .map((k) => {
      const v = k === 'interface' ? (l.interface ?? l.ifName ?? l.ifDescr) : l[k];
      return v ? `${t[k]} ${v}` : '';
    })
    .filter(Boolean);
  if (where.length) item(t.where, where.join(' · '));
  if (l.alertname && title !== l.alertname) item(t.alertname, l.alertname);
  if (l.category) item(t.category, t.cat[l.category] ? `${t.cat[l.category]} ${l.category}` : l.category);
  item(t.since, `${formatTime(a.startsAt, o.timezone)} (${t.lasting} ${formatDuration((a.status === 'resolved' ? a.endsAt : o.now) - a.startsAt)})`);
  if (a.status === 'resolved') item(t.resolvedAt, formatTime(a.endsAt, o.timezone));
  if (a.value !== undefined) item(t.value, formatValue(a.value));
  if (ann('description')) item(t.detail, truncateBytes(ann('description'), 600));
  const links: string[] = [];
  if (a.annotations.runbook_url) links.push(link(t.runbook, a.annotations.runbook_url));
  if (a.annotations.remediation_url) links.push(link(t.remediation, a.annotations.remediation_url));
  if (links.length) lines.push(`${md ? '- ' : '  '}${links.join(md ? ' · ' : '\n  ')}`);
  if (ann('remediation')) item(t.remediation, truncateBytes(ann('remediation'), 400));
  if (a.claimedBy) item(t.claimed, a.claimedBy);
  if (a.ackedBy) item(t.acked, a.ackedBy);
  return lines.join('\n');
}

/** The message text, within `maxBytes` (the trailer included). */
export function renderBody(n: Notification, o: RenderOptions): string {
  const t = T[o.lang];
  const md = o.style === 'markdown';
  const title = renderTitle(n, o.lang);
  const head = [md ? `### ${title}` : title];
  if (n.escalation) head.push(t.unclaimed(formatDuration(n.escalation.unclaimedMs)));
  const header = `${head.join('\n')}\n`;
  const foot: string[] = [];
  if (o.externalURL) foot.push(md ? `[${t.open}](${o.externalURL})` : `${t.open}: ${o.externalURL}`);
  if (o.trailer) foot.push(o.trailer);
  const footer = foot.length ? `\n${foot.join('\n')}` : '';
  const blocks = n.alerts.map((a, i) => `\n${alertBlock(a, i + 1, o)}\n`);
  const all = header + blocks.join('') + footer;
  if (!o.maxBytes || utf8Bytes(all) <= o.maxBytes) return all;
  let body = header;
  let shown = 0;
  for (const blk of blocks) {
    const omittedAfter = blocks.length - shown - 1;
    const tail = omittedAfter > 0 ? `\n${t.omitted(omittedAfter)}\n` : '';
    if (utf8Bytes(body + blk + tail + footer) > o.maxBytes) break;
    body += blk;
    shown++;
  }
  if (shown === 0) {
    // Not even one whole alert fits: cut the first one.
    const tail = blocks.length > 1 ? `\n${t.omitted(blocks.length - 1)}\n` : '';
    const room = o.maxBytes - utf8Bytes(header + tail + footer) - utf8Bytes('…\n');
    return truncateBytes(`${header}${truncateBytes(blocks[0]!, Math.max(0, room))}…\n${tail}${footer}`, o.maxBytes);
  }
  if (shown < blocks.length) body += `\n${t.omitted(blocks.length - shown)}\n`;
  return body + footer;
}
