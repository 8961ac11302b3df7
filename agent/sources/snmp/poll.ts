import type { Varbind } from 'net-snmp';
import type { Sample } from '../../../contract/types.js';
import type { Scraper } from './client.js';
import type { Profile } from './profiles.js';
import { T, isError, labelValue, parseIndex, sampleValue } from './values.js';

export type Walked = Map<string, Varbind>;

const under = (oid: string, root: string) => oid.startsWith(`${root}.`);

/** The OIDs to walk for a set of profiles: every table entry, plus lookup columns outside them. */
export function walkRoots(profiles: readonly Profile[]): string[] {
  const entries = new Set<string>();
  for (const p of profiles) for (const t of p.tables ?? []) entries.add(t.entry);
  const roots = new Set(entries);
  for (const p of profiles) for (const t of p.tables ?? []) for (const l of Object.values(t.lookups ?? {})) if (![...entries].some((e) => under(l.oid, e))) roots.add(l.oid);
  return [...roots];
}

export function scalarOids(profiles: readonly Profile[]): string[] {
  return [...new Set(profiles.flatMap((p) => (p.scalars ?? []).map((s) => s.oid)))];
}

/**
 * Pure: samples of the profiles from the varbinds read, with snmp_exporter's names and labels
 * (index labels, lookups; strings as a label of the metric's own name with value 1).
 */
export function buildSamples(profiles: readonly Profile[], vb: Walked, target: Record<string, string>, ts: number): { samples: Sample[]; help: Record<string, string> } {
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
  // One pass over the varbinds: each is matched to its table column by prefix; lookups decoded once.
  const lookupCache = new Map<string, string>();
  const columns = new Map<string, { t: NonNullable<Profile['tables']>[number]; col: NonNullable<Profile['tables']>[number]['columns'][number] }>();
  const entries: string[] = [];
  for (const p of profiles) {
    for (const t of p.tables ?? []) {
      entries.push(`${t.entry}.`);
      for (const col of t.columns) {
        columns.set(`${t.entry}.${col.column}`, { t, col });
        if (col.help) help[col.name] = col.help;
      }
    }
  }
  for (const [oid, v] of vb) {
    if (isError(v.type)) continue;
    const entry = entries.find((e) => oid.startsWith(e));
    if (!entry) continue;
    const rest = oid.slice(entry.length);
    const dot = rest.indexOf('.');
    const hit = dot > 0 ? columns.get(`${entry}${rest.slice(0, dot)}`) : undefined;
    if (!hit) continue;
    const { t, col } = hit;
    const suffix = rest.slice(dot + 1).split('.').map(Number);
    const idx = parseIndex(suffix, t.indexes.map((i) => i.type));
    if (!idx) continue;
    const labels: Record<string, string> = {};
    t.indexes.forEach((ix, i) => {
      labels[ix.label] = idx[i]!;
    });
    if (t.filter && Object.entries(t.filter).some(([k, want]) => labels[k] !== want)) continue;
    for (const [label, l] of Object.entries(t.lookups ?? {})) {
      const key = l.index ? l.index.map((name) => labels[name]).join('.') : suffix.join('.');
      const loid = `${l.oid}.${key}`;
      let text = lookupCache.get(loid);
      if (text === undefined) {
        const lv = vb.get(loid);
        text = lv && !isError(lv.type) ? labelValue(lv.type, lv.value) : '';
        lookupCache.set(loid, text);
      }
      labels[label] = text;
    }
    push(col.name, col.type, v, { ...labels, ...target });
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

/** GET scalars in PDUs of at most `per` varbinds. */
export async function getAll(s: Scraper, oids: string[], per = 20): Promise<Varbind[]> {
  const out: Varbind[] = [];
  for (let i = 0; i < oids.length; i += per) out.push(...(await s.get(oids.slice(i, i + per))));
  return out;
}

/** One poll: scalars by GET, tables by concurrent walks. */
export async function pollDevice(s: Scraper, profiles: readonly Profile[], walkConcurrency = 4): Promise<Walked> {
  const vb: Walked = new Map();
  for (const v of await getAll(s, [...new Set([SYS_UPTIME, ...scalarOids(profiles)])])) vb.set(v.oid, v);
  const walked = await mapLimit(walkRoots(profiles), walkConcurrency, (root) => s.walk(root));
  for (const list of walked) for (const v of list) vb.set(v.oid, v);
  return vb;
}

export function uptimeTicks(vb: Walked): number | undefined {
  const v = vb.get(SYS_UPTIME);
  return v && v.type === T.TimeTicks && typeof v.value === 'number' ? v.value : undefined;
}
