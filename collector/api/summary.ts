import type { LabelSet } from '../core/component.js';
import type { Collector } from '../server.js';
import { HttpError, type Route, json } from './types.js';

/**
 * `GET /api/v1/summary?page=&pageSize=` (viewer): the fleet at a glance, one row per node, so that a
 * client (the TUI) sees 2,000 nodes in one round trip. Rows are ordered by node id and paged.
 * Fields whose producer is not wired (MLPS score, active alerts) are `null`, as are device, link and
 * IPv6 fields of a node that sends no such series.
 */
export interface NodeSummary {
  id: string;
  zone: string;
  site: string;
  /** MLPS grade (1-5). */
  grade: number;
  up: boolean;
  /** Seconds since the last accepted report (collector clock). */
  lastSeenAgeSeconds: number;
  /** SNMP targets the node polls (`xunjian_snmp_up`), and how many answered; null: no SNMP target. */
  devices: { up: number; total: number } | null;
  /** Interfaces administratively up and operationally not up (`ifAdminStatus` 1, `ifOperStatus` ≠ 1); null: no interface series. */
  linksDown: number | null;
  ipv6: {
    /** Mean ICMP loss of the node's probes over IPv6 and over IPv4 (`xunjian_probe_icmp_loss_ratio{ip}`), 0-1. */
    lossV6: number | null;
    lossV4: number | null;
    /** Lowest website IPv6 support rate of the node's sites, any level (`xunjian_website_ipv6_support_ratio`), 0-1. */
    websiteRate: number | null;
  };
  /** MLPS compliance score 0-100 (null until mlps/ provides it). */
  mlpsScore: number | null;
  /** Active (firing) alerts about the node (null until alerts/ provides it). */
  activeAlerts: number | null;
}

export interface SummaryPage {
  nodes: NodeSummary[];
  page: number;
  pageSize: number;
  total: number;
  /** ms, collector clock. */
  generatedAt: number;
}

export interface SummaryNode {
  id: string;
  zone: string;
  site: string;
  grade: number;
  up: boolean;
  /** ms */
  lastSeen: number;
}

export interface SeriesPoint {
  labels: LabelSet;
  value: number;
}

/** The metric names the summary reads from a node's latest series. */
export const SUMMARY_METRICS = [
  'xunjian_snmp_up',
  'ifAdminStatus',
  'ifOperStatus',
  'xunjian_probe_icmp_loss_ratio',
  'xunjian_website_ipv6_support_ratio',
] as const;

/** What the route reads; bound to the node registry, the series store, mlps/ and alerts/ by the host. */
export interface SummarySource {
  /** Every node, any order. */
  nodes(): SummaryNode[];
  /** The live series of these metric names, by node (`labels.__name__` set); read once per request. */
  series(names: readonly string[]): Map<string, SeriesPoint[]>;
  /** MLPS score per node, read once per request; absent: every score null. */
  mlpsScores?(): Map<string, number> | undefined;
  /** Firing alerts per node (`labels.node`), read once per request; absent: every count null, a node without one 0. */
  activeAlerts?(): Map<string, number> | undefined;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Pure: one node's summary from its registry row and latest series. */
export function summarizeNode(n: SummaryNode, series: readonly SeriesPoint[], now: number): Omit<NodeSummary, 'mlpsScore' | 'activeAlerts'> {
  const targets = new Map<string, boolean>();
  const admin = new Map<string, number>();
  const oper = new Map<string, number>();
  const loss: Record<string, number[]> = { '4': [], '6': [] };
  const rates: number[] = [];
  for (const s of series) {
    const name = s.labels.__name__;
    if (!Number.isFinite(s.value)) continue;
    if (name === 'xunjian_snmp_up') targets.set(s.labels.target ?? '', s.value === 1);
    else if (name === 'ifAdminStatus' || name === 'ifOperStatus') {
      const key = `${s.labels.target ?? ''}\u0000${s.labels.ifIndex ?? ''}`;
      (name === 'ifAdminStatus' ? admin : oper).set(key, s.value);
    } else if (name === 'xunjian_probe_icmp_loss_ratio') loss[s.labels.ip ?? '']?.push(s.value);
    else if (name === 'xunjian_website_ipv6_support_ratio') rates.push(s.value);
  }
  let linksDown: number | null = null;
  if (oper.size) {
    linksDown = 0;
    // Admin status unknown (profile without it): count every interface not up.
    for (const [k, v] of oper) if (v !== 1 && (admin.get(k) ?? 1) === 1) linksDown++;
  }
  const up = [...targets.values()].filter(Boolean).length;
  return {
    id: n.id,
    zone: n.zone,
    site: n.site,
    grade: n.grade,
    up: n.up,
    lastSeenAgeSeconds: Math.max(0, Math.round((now - n.lastSeen) / 1000)),
    devices: targets.size ? { up, total: targets.size } : null,
    linksDown,
    ipv6: { lossV6: mean(loss['6']!), lossV4: mean(loss['4']!), websiteRate: rates.length ? Math.min(...rates) : null },
  };
}

export const SUMMARY_PATH = '/api/v1/summary';
export const SUMMARY_DEFAULT_PAGE_SIZE = 2000;
export const SUMMARY_MAX_PAGE_SIZE = 5000;

function intParam(q: URLSearchParams, key: string, dflt: number, max: number): number {
  const raw = q.get(key);
  if (raw === null || raw === '') return dflt;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
    throw new HttpError(400, 'bad_request', `${key}: expected an integer from 1 to ${max}, got '${raw.slice(0, 40)}'`);
  return Number(raw);
}

/** Pure over its source: the page of summaries. */
export function summaryPage(src: SummarySource, now: number, page: number, pageSize: number): SummaryPage {
  const all = src.nodes().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const slice = all.slice((page - 1) * pageSize, page * pageSize);
  const byNode = slice.length ? src.series(SUMMARY_METRICS) : new Map<string, SeriesPoint[]>();
  const scores = slice.length ? src.mlpsScores?.() : undefined;
  const alerts = slice.length ? src.activeAlerts?.() : undefined;
  return {
    nodes: slice.map((n) => ({
      ...summarizeNode(n, byNode.get(n.id) ?? [], now),
      mlpsScore: scores?.get(n.id) ?? null,
      activeAlerts: alerts ? (alerts.get(n.id) ?? 0) : null,
    })),
    page,
    pageSize,
    total: all.length,
    generatedAt: now,
  };
}

export function summaryRoute(src: SummarySource, now: () => number = Date.now): Route {
  return {
    method: 'GET',
    path: SUMMARY_PATH,
    access: 'viewer',
    handler(req) {
      const page = intParam(req.query, 'page', 1, 1_000_000);
      const pageSize = intParam(req.query, 'pageSize', SUMMARY_DEFAULT_PAGE_SIZE, SUMMARY_MAX_PAGE_SIZE);
      return json(summaryPage(src, now(), page, pageSize));
    },
  };
}

/** What the summary needs of the alerts component (collector/alerts: `listAlerts`). */
/**
 * The summary's source in a collector: its node registry (with liveness), its series store, and what
 * the hub offers: MLPS scores (mlps/, a ratio shown as 0-100) and active alert counts (alerts/).
 */
export function collectorSummarySource(c: Pick<Collector, 'nodes' | 'series' | 'hub'>, now: () => number = Date.now): SummarySource {
  const perNode = (f: (node: string) => number | null) => () => {
    const out = new Map<string, number>();
    for (const n of c.nodes()) {
      const v = f(n.id);
      if (v !== null && Number.isFinite(v)) out.set(n.id, v);
    }
    return out;
  };
  // read from the hub on each request: components set these late
  return {
    mlpsScores: () => {
      const f = c.hub.mlpsScore;
      return f
        ? perNode((id) => {
            const r = f(id);
            return r === null ? null : Math.round(r * 1000) / 10;
          })()
        : undefined;
    },
    activeAlerts: () => c.hub.activeAlertsByNode?.(),
    nodes: () => c.nodes().map((n) => ({ id: n.id, zone: n.zone, site: n.site, grade: n.grade, up: n.up, lastSeen: n.lastSeen })),
    series: (names) => {
      const out = new Map<string, SeriesPoint[]>();
      const t = now();
      for (const name of names) {
        for (const s of c.series.family(name, t)) {
          if (s.node === undefined) continue;
          const l = out.get(s.node);
          if (l) l.push({ labels: s.labels, value: s.value });
          else out.set(s.node, [{ labels: s.labels, value: s.value }]);
        }
      }
      return out;
    },
  };
}
