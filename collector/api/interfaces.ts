import type { Collector } from '../server.js';
import type { SeriesPoint } from './summary.js';
import { HttpError, type Route, json } from './types.js';

/**
 * `GET /api/v1/nodes/:id/interfaces` (viewer): the SNMP devices a node polls and their interfaces,
 * with status, traffic, utilization and error rates, from the node's latest series.
 *
 * Rates are not computed here: the series store keeps one sample per series, and the agent already
 * derives them per poll (agent/sources/snmp/linkhealth.ts: exact BigInt counter deltas over the
 * device's own sysUpTime, Counter32 wraps, resets and reboots give no rate instead of a spike). This
 * route reads those `xunjian_link_*` series next to snmp_exporter's `ifOperStatus`, `ifAdminStatus`,
 * `ifHighSpeed`/`ifSpeed` and the interface labels. A rate is null until the agent has polled the
 * device twice (or after a counter reset).
 */
export const IF_OPER_STATUS = ['up', 'down', 'testing', 'unknown', 'dormant', 'notPresent', 'lowerLayerDown'] as const;
export const IF_ADMIN_STATUS = ['up', 'down', 'testing'] as const;
export type OperStatus = (typeof IF_OPER_STATUS)[number];
export type AdminStatus = (typeof IF_ADMIN_STATUS)[number];

export interface InterfaceRow {
  ifIndex: string;
  ifName: string;
  ifDescr: string;
  ifAlias: string;
  /** IF-MIB ifAdminStatus by name; null: not polled (profile without it) or a value outside the MIB. */
  adminStatus: AdminStatus | null;
  operStatus: OperStatus | null;
  /** Admin up (or unknown) and oper not up: what the summary counts as a link down. */
  down: boolean;
  /** ifHighSpeed × 10⁶, else ifSpeed; bits per second. */
  speedBps: number | null;
  inBps: number | null;
  outBps: number | null;
  /** 0-1 of speedBps (the agent's `xunjian_link_{in,out}_utilization_ratio`). */
  inUtilization: number | null;
  outUtilization: number | null;
  inErrorsPerSecond: number | null;
  outErrorsPerSecond: number | null;
  inDiscardsPerSecond: number | null;
  outDiscardsPerSecond: number | null;
}

export interface DeviceInterfaces {
  target: string;
  /** `xunjian_snmp_up` of the last poll; null: no such series. */
  up: boolean | null;
  interfacesDown: number;
  interfaces: InterfaceRow[];
}

export interface NodeInterfaces {
  node: string;
  devices: DeviceInterfaces[];
  /** ms, collector clock. */
  generatedAt: number;
}

/** Metric name → the row field it fills (rates and ratios as they are; speeds and statuses apart). */
const RATE_FIELDS = {
  xunjian_link_in_bits_per_second: 'inBps',
  xunjian_link_out_bits_per_second: 'outBps',
  xunjian_link_in_utilization_ratio: 'inUtilization',
  xunjian_link_out_utilization_ratio: 'outUtilization',
  xunjian_link_in_errors_per_second: 'inErrorsPerSecond',
  xunjian_link_out_errors_per_second: 'outErrorsPerSecond',
  xunjian_link_in_discards_per_second: 'inDiscardsPerSecond',
  xunjian_link_out_discards_per_second: 'outDiscardsPerSecond',
} as const;

/** The metric names the route reads from a node's series. */
export const INTERFACE_METRICS = ['xunjian_snmp_up', 'ifAdminStatus', 'ifOperStatus', 'ifHighSpeed', 'ifSpeed', ...Object.keys(RATE_FIELDS)] as const;

const NAME_LABELS = ['ifName', 'ifDescr', 'ifAlias'] as const;

/** An interface with nothing known yet but its index (`over` sets what is). */
export function interfaceRow(ifIndex: string, over: Partial<InterfaceRow> = {}): InterfaceRow {
  return {
    ifIndex,
    ifName: '',
    ifDescr: '',
    ifAlias: '',
    adminStatus: null,
    operStatus: null,
    down: false,
    speedBps: null,
    inBps: null,
    outBps: null,
    inUtilization: null,
    outUtilization: null,
    inErrorsPerSecond: null,
    outErrorsPerSecond: null,
    inDiscardsPerSecond: null,
    outDiscardsPerSecond: null,
    ...over,
  };
}

const emptyRow = (ifIndex: string): InterfaceRow & { highSpeed: number | null; speed: number | null } => ({
  ...interfaceRow(ifIndex),
  highSpeed: null,
  speed: null,
});

const byIndex = (a: string, b: string) => {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
};

/**
 * Pure: one node's devices and interfaces from its latest series (`labels.__name__` set). Series
 * without a `target` label are not SNMP and are ignored; an interface is keyed by (target, ifIndex).
 */
export function nodeInterfaces(series: readonly SeriesPoint[]): DeviceInterfaces[] {
  const devices = new Map<string, { up: boolean | null; ifs: Map<string, ReturnType<typeof emptyRow>> }>();
  const device = (t: string) => {
    let d = devices.get(t);
    if (!d) {
      d = { up: null, ifs: new Map() };
      devices.set(t, d);
    }
    return d;
  };
  for (const s of series) {
    const name = s.labels.__name__ ?? '';
    const target = s.labels.target;
    if (target === undefined || !(INTERFACE_METRICS as readonly string[]).includes(name)) continue;
    const d = device(target);
    if (name === 'xunjian_snmp_up') {
      d.up = s.value === 1;
      continue;
    }
    const ix = s.labels.ifIndex;
    if (ix === undefined) continue;
    let row = d.ifs.get(ix);
    if (!row) {
      row = emptyRow(ix);
      d.ifs.set(ix, row);
    }
    for (const l of NAME_LABELS) if (!row[l] && s.labels[l]) row[l] = s.labels[l]!;
    if (!Number.isFinite(s.value)) continue;
    if (name === 'ifOperStatus') row.operStatus = IF_OPER_STATUS[s.value - 1] ?? null;
    else if (name === 'ifAdminStatus') row.adminStatus = IF_ADMIN_STATUS[s.value - 1] ?? null;
    else if (name === 'ifHighSpeed') row.highSpeed = s.value;
    else if (name === 'ifSpeed') row.speed = s.value;
    else row[RATE_FIELDS[name as keyof typeof RATE_FIELDS]] = s.value;
  }
  return [...devices.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([target, d]) => {
      const interfaces = [...d.ifs.values()]
        .sort((a, b) => byIndex(a.ifIndex, b.ifIndex))
        .map(({ highSpeed, speed, ...row }) => ({
          ...row,
          // ifHighSpeed 0 with ifSpeed set: a slow link (ifHighSpeed rounds to Mbit/s)
          speedBps: highSpeed ? highSpeed * 1e6 : (speed ?? (highSpeed === 0 ? 0 : null)),
          down: row.operStatus !== null && row.operStatus !== 'up' && (row.adminStatus ?? 'up') === 'up',
        }));
      return { target, up: d.up, interfacesDown: interfaces.filter((i) => i.down).length, interfaces };
    });
}

export const INTERFACES_PATH = '/api/v1/nodes/:id/interfaces';

/** What the route reads: is the node known, and its live series of these names. */
export interface InterfacesSource {
  hasNode(id: string): boolean;
  series(node: string, names: readonly string[]): SeriesPoint[];
}

export function interfacesRoute(src: InterfacesSource, now: () => number = Date.now): Route {
  return {
    method: 'GET',
    path: INTERFACES_PATH,
    access: 'viewer',
    handler(req) {
      const id = req.params.id ?? '';
      if (!src.hasNode(id)) throw new HttpError(404, 'not_found', `no node '${id.slice(0, 200)}'`);
      const body: NodeInterfaces = { node: id, devices: nodeInterfaces(src.series(id, INTERFACE_METRICS)), generatedAt: now() };
      return json(body);
    },
  };
}

/** The route's source in a collector: its node registry and its series store. */
export function collectorInterfacesSource(c: Pick<Collector, 'nodes' | 'series'>, now: () => number = Date.now): InterfacesSource {
  return {
    hasNode: (id) => c.nodes().some((n) => n.id === id),
    series: (node, names) => {
      const out: SeriesPoint[] = [];
      const t = now();
      for (const name of names) for (const s of c.series.family(name, t)) if (s.node === node) out.push({ labels: s.labels, value: s.value });
      return out;
    },
  };
}
