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

type Table = NonNullable<Profile['tables']>[number];
interface PreparedTable {
  t: Table;
  types: Table['indexes'][number]['type'][];
  filter: [string, string][];
  lookups: [string, { oid: string; index?: string[] }][];
}
interface Column {
  table: PreparedTable;
  col: Table['columns'][number];
}
/** A string V8 holds flat (one sequential string): startsWith on it needs no flattening of a cons or slice first. */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');
interface Prepared {
  profiles: readonly Profile[];
  /** `entry.column` → its table, column and prefix `entry.column.` (flat: see flat()); undefined for a column of no profile */
  columns: Map<string, Column | undefined>;
  /** each table entry OID with a trailing dot */
  entries: string[];
  /** `entry.column` → `entry.column.` (flat), for the columns met */
  prefixes: Map<string, string>;
  /** every column's help */
  help: Record<string, string>;
}
/** The tables of a profile set, prepared once per set (profiles are loaded once; a reload makes new objects). */
const prepared = new WeakMap<Profile, Prepared>();
function prepare(profiles: readonly Profile[]): Prepared {
  const first = profiles[0];
  const cached = first ? prepared.get(first) : undefined;
  if (cached && cached.profiles.length === profiles.length && cached.profiles.every((p, i) => p === profiles[i])) return cached;
  const columns: Prepared['columns'] = new Map();
  const entries: string[] = [];
  const help: Record<string, string> = {};
  for (const p of profiles) {
    for (const t of p.tables ?? []) {
      const table: PreparedTable = { t, types: t.indexes.map((i) => i.type), filter: Object.entries(t.filter ?? {}), lookups: Object.entries(t.lookups ?? {}) };
      entries.push(flat(`${t.entry}.`));
      for (const col of t.columns) {
        columns.set(`${t.entry}.${col.column}`, { table, col });
        if (col.help) help[col.name] = col.help;
      }
    }
  }
  const out = { profiles: [...profiles], columns, entries, prefixes: new Map<string, string>(), help };
  if (first) prepared.set(first, out);
  return out;
}

/**
 * The state of one buildSamples call. Its helpers are methods, not closures made per call: V8 keeps a
 * function's optimised code only while a function object using it lives, so closures made per poll
 * were compiled again after every full GC (bench/README.md, bench:snmp, "Closures").
 */
class SampleBuilder {
  readonly samples: Sample[] = [];
  /** table → row suffix → its labels (null: the row is filtered out or its index unreadable) */
  private readonly rows = new Map<PreparedTable, Map<string, Record<string, string> | null>>();
  /** lookup values per lookup OID and row (ifTable and ifXTable look up the same ifName, ifDescr, ifAlias) */
  private readonly looked = new Map<string, Map<string, string>>();

  constructor(
    private readonly vb: Walked,
    private readonly target: Record<string, string>,
    private readonly ts: number,
  ) {}

  push(name: string, type: 'counter' | 'gauge' | 'string', v: Varbind, labels: Record<string, string>): void {
    if (type === 'string') {
      this.samples.push({ name, labels: { ...labels, [name]: labelValue(v.type, v.value) }, value: 1, type: 'info', ts: this.ts });
      return;
    }
    const value = sampleValue(v.type, v.value);
    if (value !== undefined) this.samples.push({ name, labels, value, type, ts: this.ts });
  }

  rowsOf(table: PreparedTable): Map<string, Record<string, string> | null> {
    let m = this.rows.get(table);
    if (!m) {
      m = new Map();
      this.rows.set(table, m);
    }
    return m;
  }

  private lookup(oid: string, row: string): string {
    let m = this.looked.get(oid);
    if (!m) {
      m = new Map();
      this.looked.set(oid, m);
    }
    let value = m.get(row);
    if (value === undefined) {
      const lv = this.vb.get(`${oid}.${row}`);
      value = lv && !isError(lv.type) ? labelValue(lv.type, lv.value) : '';
      m.set(row, value);
    }
    return value;
  }

  rowLabels(table: PreparedTable, suffix: string): Record<string, string> | null {
    // one integer index (ifIndex): the suffix is its text (OID arcs have no leading zeros)
    const idx =
      table.types.length === 1 && table.types[0] === 'integer' && !suffix.includes('.') ? [suffix] : parseIndex(suffix.split('.').map(Number), table.types);
    if (!idx) return null;
    const labels: Record<string, string> = {};
    const indexes = table.t.indexes;
    for (let i = 0; i < indexes.length; i++) labels[indexes[i]!.label] = idx[i]!;
    for (const [k, want] of table.filter) if (labels[k] !== want) return null;
    for (const [label, l] of table.lookups) {
      let row = suffix;
      if (l.index) {
        row = '';
        for (let i = 0; i < l.index.length; i++) row += `${i ? '.' : ''}${labels[l.index[i]!] ?? ''}`;
      }
      labels[label] = this.lookup(l.oid, row);
    }
    return Object.assign(labels, this.target);
  }
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
  const b = new SampleBuilder(vb, target, ts);
  let scalarHelp: Record<string, string> | undefined;
  const prep = prepare(profiles);
  for (const p of profiles) {
    for (const s of p.scalars ?? []) {
      const v = vb.get(s.oid);
      if (!v || isError(v.type)) continue;
      if (s.help) {
        scalarHelp ??= {};
        scalarHelp[s.name] = s.help;
      }
      b.push(s.name, s.type, v, { ...target });
    }
  }
  // the scalars' help, then every column's (shared between polls: the callers copy it)
  const help = scalarHelp ? Object.assign(scalarHelp, prep.help) : prep.help;
  // One pass over the varbinds: each is matched to its table column by prefix (the column of the
  // previous varbind first: a walk returns a column's rows in a row). The labels of a row (index,
  // lookups, target) are built once and shared by all its columns.
  let prefix = '\0'; // the column prefix ("entry.column.") of the previous varbind, and its column
  let hit: Column | undefined;
  let tableRows: Map<string, Record<string, string> | null> | undefined;
  for (const [oid, v] of vb) {
    if (isError(v.type)) continue;
    if (!oid.startsWith(prefix)) {
      const entry = entryOf(prep.entries, oid);
      const dot = entry ? oid.indexOf('.', entry.length) : -1;
      if (dot < 0) {
        prefix = '\0';
        continue;
      }
      const key = oid.slice(0, dot);
      hit = prep.columns.get(key);
      let p = prep.prefixes.get(key);
      if (p === undefined) {
        p = flat(`${key}.`);
        prep.prefixes.set(key, p);
      }
      prefix = p;
      if (hit) tableRows = b.rowsOf(hit.table);
    }
    if (!hit) continue;
    const suffix = oid.slice(prefix.length);
    let labels = tableRows!.get(suffix);
    if (labels === undefined) {
      labels = b.rowLabels(hit.table, suffix);
      tableRows!.set(suffix, labels);
    }
    if (labels) b.push(hit.col.name, hit.col.type, v, labels);
  }
  return { samples: b.samples, help };
}

function entryOf(entries: readonly string[], oid: string): string | undefined {
  for (const e of entries) if (oid.startsWith(e)) return e;
  return undefined;
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
    const walks = s.walkCombined(roots, {
      perRequest: walkOidsPerRequest,
      concurrency: walkConcurrency,
      scalars: asNonRepeaters ? scalarList : undefined,
      onScalars: () => mark(undefined),
    });
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
