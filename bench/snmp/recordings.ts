/**
 * Pure: a device recording (snmprec text, `oid|tag|value` lines) resized to N interfaces, for
 * bench:snmp's device sizes. The rows of ifTable (1.3.6.1.2.1.2.2.1) and ifXTable
 * (1.3.6.1.2.1.31.1.1.1) are the only ones touched; every other line stays as recorded.
 *
 * - N ≤ the recorded interfaces: the rows of the first N ifIndexes (numeric order) are kept.
 * - N > recorded: copy k (k = 1, 2, …) of every row gets ifIndex `k × stride + ifIndex` (stride the
 *   power of ten above the largest recorded ifIndex), in both tables and in the ifIndex column's
 *   value, and ifName/ifDescr get the suffix `/k`; copies are added until N rows exist (the last copy
 *   may be partial, again in ifIndex order).
 *
 * ifNumber (1.3.6.1.2.1.2.1.0) is set to N. The output is sorted in numeric OID order, as snmpsimd
 * expects. Deterministic: the same input and N give the same text.
 */
const IF_ENTRY = '1.3.6.1.2.1.2.2.1.';
const IFX_ENTRY = '1.3.6.1.2.1.31.1.1.1.';
const IF_NUMBER = '1.3.6.1.2.1.2.1.0';
const IF_DESCR_COL = 2;
const IF_INDEX_COL = 1;
const IFX_NAME_COL = 1;

interface Row {
  entry: string;
  column: number;
  ifIndex: number;
  tag: string;
  value: string;
}

function parseRow(line: string): Row | undefined {
  const bar = line.indexOf('|');
  if (bar < 0) return undefined;
  const oid = line.slice(0, bar);
  const entry = oid.startsWith(IF_ENTRY) ? IF_ENTRY : oid.startsWith(IFX_ENTRY) ? IFX_ENTRY : undefined;
  if (!entry) return undefined;
  const rest = oid.slice(entry.length).split('.');
  if (rest.length !== 2) return undefined;
  const bar2 = line.indexOf('|', bar + 1);
  return { entry, column: Number(rest[0]), ifIndex: Number(rest[1]), tag: line.slice(bar + 1, bar2), value: line.slice(bar2 + 1) };
}

/** Numeric OID order: negative when a < b. */
export function compareOid(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d) return d;
  }
  return x.length - y.length;
}

/** The interfaces (ifIndex values of ifTable's ifIndex column) of a recording, in numeric order. */
export function interfacesOf(snmprec: string): number[] {
  const out: number[] = [];
  for (const line of snmprec.split('\n')) {
    const r = parseRow(line);
    if (r && r.entry === IF_ENTRY && r.column === IF_INDEX_COL) out.push(r.ifIndex);
  }
  return out.sort((a, b) => a - b);
}

const suffixed = (tag: string, value: string, k: number): string => (tag === '4x' ? value + Buffer.from(`/${k}`).toString('hex') : `${value}/${k}`);

export function resizeRecording(snmprec: string, n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new Error(`resizeRecording: interface count must be a positive integer, got ${n}`);
  const recorded = interfacesOf(snmprec);
  if (!recorded.length) throw new Error('resizeRecording: the recording has no ifTable rows (1.3.6.1.2.1.2.2.1.1.*)');
  const stride = 10 ** String(Math.max(...recorded)).length;
  // the ifIndexes of the result, and for each the recorded ifIndex it copies and its copy number
  const wanted = new Map<number, { from: number; k: number }>();
  for (let k = 0; wanted.size < n; k++) {
    for (const ix of recorded) {
      if (wanted.size === n) break;
      wanted.set(k * stride + ix, { from: ix, k });
    }
  }
  const byFrom = new Map<number, { ix: number; k: number }[]>();
  for (const [ix, w] of wanted) {
    const list = byFrom.get(w.from) ?? [];
    list.push({ ix, k: w.k });
    byFrom.set(w.from, list);
  }
  const lines: string[] = [];
  for (const line of snmprec.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith(`${IF_NUMBER}|`)) {
      lines.push(`${IF_NUMBER}|2|${n}`);
      continue;
    }
    const r = parseRow(line);
    if (!r) {
      lines.push(line);
      continue;
    }
    for (const { ix, k } of byFrom.get(r.ifIndex) ?? []) {
      let value = r.value;
      if (k > 0 && r.entry === IF_ENTRY && r.column === IF_INDEX_COL) value = String(ix);
      else if (k > 0 && ((r.entry === IF_ENTRY && r.column === IF_DESCR_COL) || (r.entry === IFX_ENTRY && r.column === IFX_NAME_COL)))
        value = suffixed(r.tag, r.value, k);
      lines.push(`${r.entry}${r.column}.${ix}|${r.tag}|${value}`);
    }
  }
  const oid = (l: string) => l.slice(0, l.indexOf('|'));
  return `${lines.sort((a, b) => compareOid(oid(a), oid(b))).join('\n')}\n`;
}
