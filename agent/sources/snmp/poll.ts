import type { Varbind } from 'net-snmp';
import type { Sample } from '../../../contract/types.js';
import { type Scraper, SnmpError } from './client.js';
import type { Profile } from './profiles.js';
import { T, isError, labelValue, parseIndex, sampleValue } from './values.js';
import { nonRepeaterOids } from './walk.js';

export type Walked = Map<string, Varbind>;

const under = (oid: string, root: string) => oid.startsWith(`${root}.`);

/** The OIDs to walk for a set of profiles: every table entry, plus lookup columns outside them. */
export function walkRoots(profiles: readonly Profile[]): string[] {
  const entries = new Set<string>();
  for (const p of profiles) for (const t of p.tables ?? []) entries.add(t.entry);
  const roots = new Set(entries);
  for (const p of profiles)
    for (const t of p.tables ?? []) for (const l of Object.values(t.lookups ?? {})) if (![...entries].some((e) => under(l.oid, e))) roots.add(l.oid);
  return [...roots];
}

export function scalarOids(profiles: readonly Profile[]): string[] {
  return [...new Set(profiles.flatMap((p) => (p.scalars ?? []).map((s) => s.oid)))];
}

/**
 * Pure: samples of the profiles from the varbinds read, with snmp_exporter's names and labels
 * (index labels, lookups; strings as a label of the metric's own name with value 1).
 */
export function buildSamples(
  profiles: readonly Profile[],
  vb: Walked,
  target: Record<string, string>,
  ts: number,
): { samples: Sample[]; help: Record<string, string> } {
  const samples: Sample[] = [];
  const help: Record<string, string> = {};
  const push = (name: string, type: 'counter' | 'gauge' | 'string', v: Varbind, labels: Record<string, string>) => {
    if (type === 'string') {
      samples.push({ name, labels: { ...labels, [name]: labelValue(v.type, v.value) }, value: 1, type: 'info', ts });
      return;
    }
    const value = sampleValue(v.type, v.value);
    if (value !== undefined) samples.push({ name, labels, value, type, ts });
  };
  for (const p of profiles) {
    for (const s of p.scalars ?? []) {
      const v = vb.get(s.oid);
      if (!v || isError(v.type)) continue;
      if (s.help) help[s.name] = s.help;
      push(s.name, s.type, v, { ...target });
    }
  }
  // One pass over the varbinds: each is matched to its table column by prefix. The labels of a row
  // (index, lookups, target) are built once and shared by all its columns.
  type Table = NonNullable<Profile['tables']>[number];
  interface Prepared {
    t: Table;
    types: Table['indexes'][number]['type'][];
    filter: [string, string][];
    lookups: [string, { oid: string; index?: string[] }][];
    rows: Map<string, Record<string, string> | null>;
  }
  const columns = new Map<string, { table: Prepared; col: Table['columns'][number] }>();
  const entries: string[] = [];
  for (const p of profiles) {
    for (const t of p.tables ?? []) {
      const table: Prepared = {
        t,
        types: t.indexes.map((i) => i.type),
        filter: Object.entries(t.filter ?? {}),
        lookups: Object.entries(t.lookups ?? {}),
        rows: new Map(),
      };
      entries.push(`${t.entry}.`);
      for (const col of t.columns) {
        columns.set(`${t.entry}.${col.column}`, { table, col });
        if (col.help) help[col.name] = col.help;
      }
    }
  }
  const rowLabels = (table: Prepared, suffix: string): Record<string, string> | null => {
    const idx = parseIndex(suffix.split('.').map(Number), table.types);
    if (!idx) return null;
    const labels: Record<string, string> = {};
    table.t.indexes.forEach((ix, i) => {
      labels[ix.label] = idx[i]!;
    });
    if (table.filter.some(([k, want]) => labels[k] !== want)) return null;
    for (const [label, l] of table.lookups) {
      const lv = vb.get(`${l.oid}.${l.index ? l.index.map((name) => labels[name]).join('.') : suffix}`);
      labels[label] = lv && !isError(lv.type) ? labelValue(lv.type, lv.value) : '';
    }
    return Object.assign(labels, target);
  };
  for (const [oid, v] of vb) {
    if (isError(v.type)) continue;
    const entry = entries.find((e) => oid.startsWith(e));
    if (!entry) continue;
    const dot = oid.indexOf('.', entry.length);
    const hit = dot > 0 ? columns.get(oid.slice(0, dot)) : undefined;
    if (!hit) continue;
    const suffix = oid.slice(dot + 1);
    let labels = hit.table.rows.get(suffix);
    if (labels === undefined) {
      labels = rowLabels(hit.table, suffix);
      hit.table.rows.set(suffix, labels);
    }
    if (labels) push(hit.col.name, hit.col.type, v, labels);
  }
  return { samples, help };
}

/** Run `fn` over items with at most `n` at a time. */
export async function mapLimit<A, B>(items: readonly A[], n: number, fn: (a: A) => Promise<B>): Promise<B[]> {
  const out: B[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

export const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';
export const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';

/**
 * GET scalars in PDUs of at most `per` varbinds. SNMPv1 has no per-varbind exceptions: one missing
 * scalar fails the whole PDU with noSuchName (error-status 2, error-index naming it). That OID is
 * dropped and the rest asked again, so one absent scalar never loses the others.
 */
export async function getAll(s: Scraper, oids: string[], per = 20): Promise<Varbind[]> {
  const out: Varbind[] = [];
  for (let i = 0; i < oids.length; i += per) {
    let batch = oids.slice(i, i + per);
    while (batch.length) {
      try {
        out.push(...(await s.get(batch)));
        break;
      } catch (err) {
        if (!(err instanceof SnmpError) || err.status !== 2) throw err;
        const bad = noSuchNameOid(err.message, batch);
        // without an error-index naming the OID, ask one by one
        if (bad === undefined) {
          for (const oid of batch) out.push(...(await s.get([oid]).catch((e) => (e instanceof SnmpError && e.status === 2 ? [] : Promise.reject(e)))));
          break;
        }
        batch = batch.filter((o) => o !== bad);
      }
    }
  }
  return out;
}

/** Pure: the OID a noSuchName error names ("NoSuchName: 1.3.6…"), when it is one of those asked. */
export function noSuchNameOid(message: string, asked: readonly string[]): string | undefined {
  const m = /NoSuchName: ([\d.]+)/.exec(message);
  return m && asked.includes(m[1]!) ? m[1] : undefined;
}

/** GETBULK non-repeaters carried by a combined walk's first request at most (more: the scalars go by GET). */
export const MAX_NON_REPEATERS = 20;

/**
 * One poll: scalars by GET, tables by concurrent walks. On v1/v2c the GET goes out beside the walks
 * (one round trip less in sequence: the poll's CPU follows the round trips waited for, see bench:snmp);
 * on v3 it goes first, so that only one request discovers the engine of a new session. On v2c the
 * walks share GETBULK requests (`walkOidsPerRequest` OIDs each, ./walk.ts) and scalars that are
 * instances `.0` ride as the first request's non-repeaters. The varbinds are stored in the same order
 * either way (scalars, then each walk), so the samples are too.
 */
export async function pollDevice(
  s: Scraper,
  profiles: readonly Profile[],
  walkConcurrency = 4,
  marks: { uptimeAt?: number } = {},
  walkOidsPerRequest = 4,
): Promise<Walked> {
  const vb: Walked = new Map();
  // sysUpTime leads the first PDU: the wall clock of its reading is known to within a few round trips
  const scalarList = [...new Set([SYS_UPTIME, ...scalarOids(profiles)])];
  const roots = walkRoots(profiles);
  const mark = <V>(vbs: V): V => {
    marks.uptimeAt = Date.now();
    return vbs;
  };
  if (s.walkCombined && walkOidsPerRequest > 1 && roots.length) {
    const asNonRepeaters = scalarList.length <= MAX_NON_REPEATERS && nonRepeaterOids(scalarList) !== undefined;
    const scalars = asNonRepeaters ? undefined : getAll(s, scalarList).then(mark);
    const walks = s.walkCombined(roots, { perRequest: walkOidsPerRequest, scalars: asNonRepeaters ? scalarList : undefined, onScalars: () => mark(undefined) });
    const [got, walked] = await Promise.allSettled([scalars, walks]);
    if (got.status === 'rejected') throw got.reason;
    if (walked.status === 'rejected') throw walked.reason;
    // non-repeaters refused (an error-status down to one OID): the scalars by GET after all
    const sv: Varbind[] = got.value ?? walked.value.scalars ?? (await getAll(s, scalarList).then(mark));
    for (const v of sv) vb.set(v.oid, v);
    for (const list of walked.value.walks) for (const v of list) vb.set(v.oid, v);
    return vb;
  }
  const scalars = getAll(s, scalarList).then(mark);
  if (s.version === '3') await scalars;
  const walks = mapLimit(roots, walkConcurrency, (root) => s.walk(root));
  // both settle before the poll returns (no walk still running when the scraper is released)
  const [got, walked] = await Promise.allSettled([scalars, walks]);
  if (got.status === 'rejected') throw got.reason;
  if (walked.status === 'rejected') throw walked.reason;
  for (const v of got.value) vb.set(v.oid, v);
  for (const list of walked.value) for (const v of list) vb.set(v.oid, v);
  return vb;
}

export function uptimeTicks(vb: Walked): number | undefined {
  const v = vb.get(SYS_UPTIME);
  return v && v.type === T.TimeTicks && typeof v.value === 'number' ? v.value : undefined;
}
