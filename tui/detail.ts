import type { DeviceInterfaces, InterfaceRow } from '../collector/api/interfaces.js';
import type { NodeSummary } from '../collector/api/summary.js';
import type { Compliance, NodeFacts, Result } from './client.js';
import type { Labels } from './i18n.js';
import { type AlertView, DASH, type DeviceView, formatAge, ipv6State, nodeState } from './model.js';
import { padTo, truncate } from './width.js';

/** Pure: the Node detail screen as text lines (scrolled by the app). */

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const pct = (x: number | null) => (x === null ? DASH : `${(x * 100).toFixed(1)}%`);

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.join(', ');
  return undefined;
}

/** `key: value` lines of an object's scalar fields, one level of nesting flattened (`os.kernel`). */
function fields(o: Record<string, unknown>, indent: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    const s = scalar(v);
    if (s !== undefined) out.push(`${indent}${k}: ${s}`);
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) {
        const s2 = scalar(v2);
        if (s2 !== undefined) out.push(`${indent}${k}.${k2}: ${s2}`);
      }
    }
  }
  return out;
}

export interface DetailInput {
  node: NodeSummary | undefined;
  id: string;
  facts: Result<NodeFacts> | null;
  /** `GET /api/v1/compliance/:node` (security); null while loading. */
  compliance?: Result<Compliance> | null;
  devices: Result<DeviceView[]> | null;
  /** `GET /api/v1/nodes/:id/interfaces` (viewer); null while loading. */
  interfaces?: Result<DeviceInterfaces[]> | null;
  alerts: Result<AlertView[]> | null;
}

/** Detail lines are cut to this many display columns (the smallest layout; CJK counts 2). */
export const DETAIL_WIDTH = 80;

/** Pure: the failing MLPS checks, three lines each (id clause title / evidence / remediation), each within 80 columns. */
export function complianceLines(c: Result<Compliance> | null, L: Labels): string[] {
  const cut = (s: string) => truncate(s, DETAIL_WIDTH);
  if (!c) return [`  ${L.loading}`];
  if (!c.ok) return [cut(`  ${c.kind === 'unavailable' ? L.noEvaluation : c.kind === 'forbidden' ? `${L.forbidden} (security)` : c.message}`)];
  const out = [`  ${L.failingChecks}: ${c.value.failing.length}   (${c.value.score.passed} / ${c.value.score.passed + c.value.score.failed})`];
  for (const f of c.value.failing) {
    const title = f.title[L.lang] || f.title.en || f.title.zh;
    const fix = f.remediation[L.lang] || f.remediation.en || f.remediation.zh;
    out.push(cut(`  ✗ ${f.check} ${f.clause} ${title}`), cut(`      ${L.evidence}: ${f.evidence || DASH}`), cut(`      ${L.remediation}: ${fix || DASH}`));
  }
  return out;
}

/** SI with one decimal (`950`, `1.5k`, `100.0M`, `1.0G`); null is `–`. */
export function formatBps(v: number | null): string {
  if (v === null) return DASH;
  const a = Math.abs(v);
  if (a < 1000) return String(Math.round(v));
  for (const [d, u] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const)
    if (a >= d * 0.9995) return `${(v / d).toFixed(1)}${u}`;
  return String(Math.round(v));
}

/** A link speed without needless decimals: `1G`, `2.5G`, `100M`, `64k`. */
export function formatSpeed(v: number | null): string {
  if (v === null) return DASH;
  for (const [d, u] of [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const)
    if (v >= d) return `${Number((v / d).toFixed(1))}${u}`;
  return String(v);
}

/** Errors (or discards) per second: `0`, `0.25`, `12.5`, `1.2k`. */
export function formatRate(v: number | null): string {
  if (v === null) return DASH;
  if (v === 0) return '0';
  if (v < 10) return v.toFixed(2);
  if (v < 1000) return v.toFixed(1);
  return formatBps(v);
}

const sumOrNull = (a: number | null, b: number | null) => (a === null && b === null ? null : (a ?? 0) + (b ?? 0));

/** The interface table's columns: [width, align] after a 4-column indent and the down mark. */
const IF_COLS: [keyof Labels['ifCol'], number, 'left' | 'right'][] = [
  ['name', 14, 'left'],
  ['oper', 6, 'left'],
  ['admin', 5, 'left'],
  ['speed', 5, 'right'],
  ['inBps', 7, 'right'],
  ['outBps', 7, 'right'],
  ['inUtil', 6, 'right'],
  ['outUtil', 6, 'right'],
  ['errors', 7, 'right'],
];

const ifRow = (cells: string[], mark: string) => `    ${mark} ${cells.map((c, i) => padTo(c, IF_COLS[i]![1], IF_COLS[i]![2])).join(' ')}`.trimEnd();

/** Pure: one interface as a table row (within 80 columns; the name cut, a wide character never split). */
export function interfaceLine(i: InterfaceRow, L: Labels): string {
  const name = i.ifName || i.ifDescr || `#${i.ifIndex}`;
  return ifRow(
    [
      truncate(name, IF_COLS[0]![1]),
      i.operStatus ? L.operStatus[i.operStatus] : DASH,
      i.adminStatus ? L.adminStatus[i.adminStatus] : DASH,
      formatSpeed(i.speedBps),
      formatBps(i.inBps),
      formatBps(i.outBps),
      pct(i.inUtilization),
      pct(i.outUtilization),
      formatRate(sumOrNull(i.inErrorsPerSecond, i.outErrorsPerSecond)),
    ],
    i.down ? '✗' : ' ',
  );
}

/** The interface table's header. */
export const interfaceHeader = (L: Labels): string =>
  ifRow(
    IF_COLS.map(([k]) => L.ifCol[k]),
    ' ',
  );

/**
 * Pure: the node's devices (registry rows: vendor, firmware) each followed by its interfaces (status,
 * speed, in/out bps, utilization, errors per second), from `GET /api/v1/nodes/:id/interfaces`.
 */
export function deviceLines(
  id: string,
  devices: Result<readonly DeviceView[]> | null,
  ifs: Result<readonly DeviceInterfaces[]> | null | undefined,
  L: Labels,
): string[] {
  const out: string[] = [];
  const listed = devices?.ok ? devices.value.filter((x) => x.node === id) : [];
  const polled = ifs?.ok ? ifs.value : [];
  const byTarget = new Map(polled.map((d) => [d.target, d]));
  const names = [...new Set([...listed.map((x) => x.name), ...polled.map((d) => d.target)])];
  for (const name of names) {
    const x = listed.find((l) => l.name === name);
    const d = byTarget.get(name);
    const up = x?.up ?? d?.up ?? null;
    const down = d ? `${d.interfacesDown}/${d.interfaces.length}` : (x?.interfacesDown ?? DASH);
    const what = x ? [x.address, x.vendor, x.firmware].filter(Boolean).join(' ') : '';
    out.push(truncate(`  ${name}${what ? ` ${what}` : ''} ${up === null ? DASH : up ? L.state.up : L.state.down} ${L.col.ifDown} ${down}`, DETAIL_WIDTH));
    if (d?.interfaces.length) out.push(interfaceHeader(L), ...d.interfaces.map((i) => interfaceLine(i, L)));
  }
  if (ifs === null || ifs === undefined) {
    if (!names.length) out.push(`  ${DASH}`);
    out.push(`  ${L.interfaces}: ${L.loading}`);
  } else if (!ifs.ok) {
    if (!names.length) out.push(`  ${DASH}`);
    out.push(
      truncate(`  ${L.interfaces}: ${ifs.kind === 'unavailable' ? L.notAvailable : ifs.kind === 'forbidden' ? L.forbidden : ifs.message}`, DETAIL_WIDTH),
    );
  } else if (!names.length) out.push(`  ${DASH}`);
  return out;
}

export function detailLines(d: DetailInput, L: Labels): string[] {
  const n = d.node;
  const out: string[] = [`${L.identity}`];
  if (n) {
    const st = nodeState(n);
    out.push(
      `  ${L.col.node}: ${n.id}   ${L.col.zone}: ${n.zone}   ${L.col.site}: ${n.site}   ${L.col.grade}: ${n.grade}`,
      `  ${L.col.state}: ${n.up ? L.state.up : L.state.down} (${st === 'ok' ? L.state.ok : st === 'down' ? L.state.down : L.state[st]})   ${L.col.age}: ${formatAge(n.lastSeenAgeSeconds)}`,
      `  ${L.col.devices}: ${n.devices ? `${n.devices.up}/${n.devices.total}` : DASH}   ${L.col.links}: ${n.linksDown ?? DASH}   ${L.col.score}: ${n.mlpsScore ?? DASH}   ${L.col.alerts}: ${n.activeAlerts ?? DASH}`,
    );
  } else out.push(`  ${L.col.node}: ${d.id}`);
  const facts = d.facts;
  const f = facts?.ok ? facts.value.facts : {};
  out.push('', L.inventory);
  if (!facts) out.push(`  ${L.loading}`);
  else if (!facts.ok) out.push(`  ${facts.kind === 'unavailable' ? L.noFacts : facts.kind === 'forbidden' ? `${L.forbidden} (security)` : facts.message}`);
  else if (!f['host.inventory']) out.push(`  ${DASH}`);
  else out.push(...fields(rec(f['host.inventory']), '  ').filter((l) => !l.includes('addresses')));

  out.push('', L.devicesOf);
  const devFacts = Object.entries(f).filter(([k]) => k.startsWith('network.device.'));
  const devs = deviceLines(d.id, d.devices, d.interfaces, L);
  // a node whose only device knowledge is its posture facts: no dash before them
  out.push(...(devFacts.length && devs[0] === `  ${DASH}` ? devs.slice(1) : devs));
  for (const [k, v] of devFacts) {
    const dv = rec(v);
    const fw = rec(dv.firmware);
    out.push(`  ${k.slice('network.device.'.length)}: ${[fw.vendor, fw.os, fw.version].filter(Boolean).join(' ') || DASH}`);
    const insecure = Array.isArray(dv.insecure) ? dv.insecure : [];
    for (const i of insecure) out.push(`    ! ${String(i)}`);
  }

  out.push('', L.probes);
  if (n) {
    out.push(`  IPv6: ${L.ipv6[ipv6State(n)]}   ${L.col.loss}: ${pct(n.ipv6.lossV6)} / ${pct(n.ipv6.lossV4)}   ${L.col.rate}: ${pct(n.ipv6.websiteRate)}`);
  } else out.push(`  ${DASH}`);

  out.push('', L.mlps);
  const posture = rec(rec(f['host.posture']).facts);
  const unknown = Object.entries(posture).filter(([, v]) => rec(v).status === 'unknown');
  out.push(`  ${L.col.score}: ${n?.mlpsScore ?? DASH}`);
  out.push(...complianceLines(d.compliance ?? null, L));
  for (const [k, v] of unknown.slice(0, 10)) out.push(`  ? ${k}: ${String(rec(v).reason ?? '')}`);

  out.push('', L.recentAlerts);
  if (!d.alerts) out.push(`  ${DASH}`);
  else if (!d.alerts.ok) out.push(`  ${d.alerts.kind === 'unavailable' ? L.notAvailable : d.alerts.message}`);
  else {
    const mine = d.alerts.value.filter((a) => a.node === d.id);
    if (!mine.length) out.push(`  ${DASH}`);
    for (const a of mine.slice(0, 20)) out.push(`  ${a.severity || DASH} ${a.name} ${L.alertState[a.state]} ${a.summary}`);
  }
  return out;
}
