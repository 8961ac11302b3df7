import type { NodeSummary } from '../collector/api/summary.js';
import type { Labels } from './i18n.js';
import { padTo, strWidth } from './width.js';

/** Pure view logic of the TUI: node state, filters, sorting, layout, formatting, scrolling. */

export type NodeState = 'down' | 'alert' | 'degraded' | 'ok';

/** An alert as the collector's alert API returns it (tolerant: absent fields are undefined). */
export interface AlertView {
  fingerprint: string;
  name: string;
  severity: string;
  category: string;
  node: string;
  state: 'firing' | 'pending' | 'resolved';
  summary: string;
  /** ms */
  startsAt: number;
  claimedBy?: string;
  ackedBy?: string;
  silenced?: boolean;
}

/** An SNMP device as the collector's devices API returns it. */
export interface DeviceView {
  node: string;
  /** The agent's target name. */
  name: string;
  /** The device's sysName (or its address when known). */
  address: string;
  vendor: string;
  firmware: string;
  up: boolean | null;
  interfacesDown: number | null;
}

/** Loss over IPv6 this much above IPv4 (ratio) counts as an IPv6 problem. */
export const V6_LOSS_MARGIN = 0.05;
/** A website IPv6 support rate below this counts as an IPv6 problem. */
export const V6_RATE_MIN = 0.9;

export type Ipv6State = 'ok' | 'loss' | 'low' | 'none';

export function ipv6State(n: Pick<NodeSummary, 'ipv6'>): Ipv6State {
  const { lossV6, lossV4, websiteRate } = n.ipv6;
  if (lossV6 === null && websiteRate === null) return 'none';
  if (lossV6 !== null && lossV6 > (lossV4 ?? 0) + V6_LOSS_MARGIN) return 'loss';
  if (websiteRate !== null && websiteRate < V6_RATE_MIN) return 'low';
  return 'ok';
}

export function nodeState(n: NodeSummary): NodeState {
  if (!n.up) return 'down';
  if ((n.activeAlerts ?? 0) > 0) return 'alert';
  const devDown = n.devices ? n.devices.total - n.devices.up : 0;
  const s6 = ipv6State(n);
  if (devDown > 0 || (n.linksDown ?? 0) > 0 || s6 === 'loss' || s6 === 'low') return 'degraded';
  return 'ok';
}

const STATE_RANK: Record<NodeState, number> = { down: 0, alert: 1, degraded: 2, ok: 3 };

export const SORT_KEYS = ['state', 'node', 'zone', 'site', 'age', 'alerts', 'score'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface NodeQuery {
  text: string;
  zone: string | null;
  sort: SortKey;
  desc: boolean;
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** Lower-cased search text of a row, computed once per row object (rows are replaced on refresh). */
const haystacks = new WeakMap<NodeSummary, string>();
function haystack(r: NodeSummary): string {
  let h = haystacks.get(r);
  if (h === undefined) {
    h = `${r.id}\u0000${r.site}\u0000${r.zone}`.toLowerCase();
    haystacks.set(r, h);
  }
  return h;
}

/** Pure: the rows to show, filtered by text (node, site, zone; case-insensitive) and zone, then sorted (ties by node id). */
export function selectNodes(rows: readonly NodeSummary[], q: NodeQuery): NodeSummary[] {
  const text = q.text.trim().toLowerCase();
  const out = rows.filter((r) => (q.zone === null || r.zone === q.zone) && (!text || haystack(r).includes(text)));
  const key = (r: NodeSummary): string | number => {
    switch (q.sort) {
      case 'state':
        return STATE_RANK[nodeState(r)];
      case 'node':
        return r.id;
      case 'zone':
        return r.zone;
      case 'site':
        return r.site;
      case 'age':
        return -r.lastSeenAgeSeconds;
      case 'alerts':
        return -(r.activeAlerts ?? -1);
      case 'score':
        return r.mlpsScore ?? 101;
    }
  };
  const dir = q.desc ? -1 : 1;
  // keys computed once per row, not once per comparison
  const keyed = out.map((r) => ({ r, k: key(r) }));
  keyed.sort((a, b) => dir * cmp(a.k, b.k) || cmp(a.r.id, b.r.id));
  return keyed.map((x) => x.r);
}

/** Pure: zones present, sorted; `z` cycles null (all) → each → null. */
export function zonesOf(rows: readonly NodeSummary[]): string[] {
  return [...new Set(rows.map((r) => r.zone))].sort();
}

export function nextZone(zones: readonly string[], cur: string | null): string | null {
  if (zones.length === 0) return null;
  if (cur === null) return zones[0]!;
  const i = zones.indexOf(cur);
  return i < 0 || i === zones.length - 1 ? null : zones[i + 1]!;
}

/** Pure: seconds as a short age (`42s`, `5m`, `3h`, `2d`). */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export const DASH = '–';
const pct = (x: number | null) => (x === null ? DASH : `${Math.round(x * 100)}%`);

/** A table column: title, width (0: flexible, shares what is left by `flex`), alignment. */
export interface Column<R> {
  key: string;
  title: string;
  width: number;
  flex?: number;
  /** Minimum width of a flexible column. */
  min?: number;
  align?: 'left' | 'right';
  cell(r: R): string;
}

/** Pure: resolve flexible widths so that the columns plus one space between each fill `total`. */
export function layout<R>(cols: readonly Column<R>[], total: number): number[] {
  const fixed = cols.reduce((a, c) => a + (c.flex ? 0 : c.width), 0) + Math.max(0, cols.length - 1);
  const flexSum = cols.reduce((a, c) => a + (c.flex ?? 0), 0);
  const left = Math.max(0, total - fixed);
  const widths = cols.map((c) => (c.flex ? Math.max(c.min ?? 1, Math.floor((left * c.flex) / flexSum)) : c.width));
  // hand out the rounding remainder to the first flexible column
  const used = widths.reduce((a, w) => a + w, 0) + Math.max(0, cols.length - 1);
  const first = cols.findIndex((c) => c.flex);
  if (first >= 0 && used < total) widths[first]! += total - used;
  return widths;
}

/** Pure: one table line, every cell cut or padded to its column (CJK counted as two columns). */
export function renderRow<R>(cols: readonly Column<R>[], widths: readonly number[], r: R): string {
  return cols.map((c, i) => padTo(c.cell(r), widths[i]!, c.align)).join(' ');
}

export function renderHeader<R>(cols: readonly Column<R>[], widths: readonly number[]): string {
  return cols.map((c, i) => padTo(c.title, widths[i]!, c.align)).join(' ');
}

/** The Nodes table's columns for a terminal `width` columns wide (two IPv6 figures from 110 columns on). */
export function nodeColumns(L: Labels, width: number): Column<NodeSummary>[] {
  const stateWord = (r: NodeSummary) => {
    const s = nodeState(r);
    return s === 'down' ? L.state.down : s === 'ok' ? L.state.up : L.state[s];
  };
  const cols: Column<NodeSummary>[] = [
    { key: 'node', title: L.col.node, width: 0, flex: 3, min: 8, cell: (r) => r.id },
    { key: 'zone', title: L.col.zone, width: 10, cell: (r) => r.zone },
    { key: 'site', title: L.col.site, width: 0, flex: 2, min: 6, cell: (r) => r.site },
    { key: 'grade', title: L.col.grade, width: 4, align: 'right', cell: (r) => String(r.grade) },
    { key: 'state', title: L.col.state, width: 5, cell: stateWord },
    { key: 'age', title: L.col.age, width: 4, align: 'right', cell: (r) => formatAge(r.lastSeenAgeSeconds) },
    { key: 'devices', title: L.col.devices, width: 5, align: 'right', cell: (r) => (r.devices ? `${r.devices.up}/${r.devices.total}` : DASH) },
    { key: 'links', title: L.col.links, width: 4, align: 'right', cell: (r) => (r.linksDown === null ? DASH : String(r.linksDown)) },
    { key: 'ipv6', title: L.col.ipv6, width: 8, cell: (r) => L.ipv6[ipv6State(r)] },
  ];
  if (width >= 110) {
    cols.push(
      {
        key: 'loss',
        title: L.col.loss,
        width: 10,
        align: 'right',
        cell: (r) => (r.ipv6.lossV6 === null && r.ipv6.lossV4 === null ? DASH : `${pct(r.ipv6.lossV6)}/${pct(r.ipv6.lossV4)}`),
      },
      { key: 'rate', title: L.col.rate, width: 7, align: 'right', cell: (r) => pct(r.ipv6.websiteRate) },
    );
  }
  cols.push(
    { key: 'score', title: L.col.score, width: 5, align: 'right', cell: (r) => (r.mlpsScore === null ? DASH : String(Math.round(r.mlpsScore))) },
    { key: 'alerts', title: L.col.alerts, width: 4, align: 'right', cell: (r) => (r.activeAlerts === null ? DASH : String(r.activeAlerts)) },
  );
  return cols;
}

export function deviceColumns(L: Labels): Column<DeviceView>[] {
  return [
    { key: 'device', title: L.col.device, width: 0, flex: 2, min: 8, cell: (d) => d.name },
    { key: 'sysName', title: L.col.sysName, width: 0, flex: 2, min: 8, cell: (d) => d.address || DASH },
    { key: 'node', title: L.col.node, width: 0, flex: 2, min: 8, cell: (d) => d.node },
    { key: 'vendor', title: L.col.vendor, width: 8, cell: (d) => d.vendor || DASH },
    { key: 'firmware', title: L.col.firmware, width: 0, flex: 2, min: 8, cell: (d) => d.firmware || DASH },
    { key: 'state', title: L.col.state, width: 5, cell: (d) => (d.up === null ? DASH : d.up ? L.state.up : L.state.down) },
    { key: 'ifDown', title: L.col.ifDown, width: 4, align: 'right', cell: (d) => (d.interfacesDown === null ? DASH : String(d.interfacesDown)) },
  ];
}

export function alertColumns(L: Labels, now: number): Column<AlertView>[] {
  return [
    { key: 'severity', title: L.col.severity, width: 8, cell: (a) => a.severity || DASH },
    { key: 'alert', title: L.col.alert, width: 0, flex: 3, min: 10, cell: (a) => a.name },
    { key: 'node', title: L.col.node, width: 0, flex: 2, min: 8, cell: (a) => a.node || DASH },
    { key: 'category', title: L.col.category, width: 8, cell: (a) => a.category || DASH },
    { key: 'state', title: L.col.state, width: 8, cell: (a) => L.alertState[a.state] },
    { key: 'since', title: L.col.since, width: 5, align: 'right', cell: (a) => formatAge(Math.max(0, Math.round((now - a.startsAt) / 1000))) },
    {
      key: 'owner',
      title: L.col.owner,
      width: 0,
      flex: 2,
      min: 8,
      cell: (a) => [a.claimedBy, a.ackedBy && `✓${a.ackedBy}`, a.silenced && '⏸'].filter(Boolean).join(' ') || DASH,
    },
  ];
}

/** Pure: alerts shown, by filters; firing first, then newest. */
export function selectAlerts(
  alerts: readonly AlertView[],
  f: { text: string; severity: string | null; category: string | null; showResolved: boolean },
): AlertView[] {
  const text = f.text.trim().toLowerCase();
  const rank = { firing: 0, pending: 1, resolved: 2 } as const;
  return alerts
    .filter(
      (a) =>
        (f.showResolved || a.state !== 'resolved') &&
        (f.severity === null || a.severity === f.severity) &&
        (f.category === null || a.category === f.category) &&
        (!text || `${a.name}\u0000${a.node}\u0000${a.summary}\u0000${a.category}`.toLowerCase().includes(text)),
    )
    .sort((a, b) => rank[a.state] - rank[b.state] || b.startsAt - a.startsAt || cmp(a.fingerprint, b.fingerprint));
}

export function selectDevices(devices: readonly DeviceView[], text: string): DeviceView[] {
  const t = text.trim().toLowerCase();
  return devices
    .filter((d) => !t || `${d.name}\u0000${d.node}\u0000${d.vendor}\u0000${d.firmware}\u0000${d.address}`.toLowerCase().includes(t))
    .sort((a, b) => cmp(a.node, b.node) || cmp(a.name, b.name));
}

/** Pure: cycle a value through `values` (null = all). */
export function cycle(values: readonly string[], cur: string | null): string | null {
  return nextZone(values, cur);
}

/** Pure: the first visible row index keeping `cursor` inside a window of `height` rows. */
export function scrollOffset(offset: number, cursor: number, height: number, total: number): number {
  if (height <= 0) return 0;
  let o = offset;
  if (cursor < o) o = cursor;
  if (cursor >= o + height) o = cursor - height + 1;
  return Math.max(0, Math.min(o, Math.max(0, total - height)));
}

export function clamp(i: number, total: number): number {
  return total === 0 ? 0 : Math.max(0, Math.min(i, total - 1));
}

/** Pure: HH:MM:SS of `ms` in local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}

/** Pure: `left` and `right` on one line of exactly `width` columns (left cut first). */
export function spread(left: string, right: string, width: number): string {
  const rw = strWidth(right);
  if (rw >= width) return padTo(right, width);
  return padTo(left, width - rw - 1) + ' ' + right;
}
