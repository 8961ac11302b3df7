import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { LabelSet } from '../core/component.js';

/**
 * Prometheus remote-write 1.0 on the wire, without code generation:
 *
 *   message WriteRequest { repeated TimeSeries timeseries = 1; }
 *   message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   message Label        { string name = 1; string value = 2; }
 *   message Sample       { double value = 1; int64 timestamp = 2; }   // ms
 *
 * Pure functions only: encoding, decoding (tests and the durable queue), batching, hashing, the
 * retry policy. No I/O here.
 */

/** Label pairs sorted by name, unique, no empty values (Prometheus treats an empty label as absent). */
export type Labels = readonly (readonly [string, string])[];

export interface WireSample {
  value: number;
  /** ms since the epoch */
  ts: number;
}

export interface WireSeries {
  labels: Labels;
  samples: WireSample[];
  /** The series' Label fields already encoded (`labelBytes`), written as they are. */
  labelBytes?: Uint8Array;
}

/** A series' identity on the wire, computed once per series: sorted labels, key, shard hash and encoded Label fields. */
export interface WireIdentity {
  labels: Labels;
  key: string;
  hash: number;
  labelBytes: Uint8Array;
}

/** The Label fields of a TimeSeries (field 1, repeated), encoded. */
export function encodeLabels(labels: Labels): Uint8Array {
  const w = new BinaryWriter();
  for (const [name, value] of labels) {
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(name);
    w.tag(2, WireType.LengthDelimited).string(value);
    w.join();
  }
  return w.finish();
}

export function wireIdentity(labels: Labels, key = seriesKey(labels)): WireIdentity {
  return { labels, key, hash: fnv1a(key), labelBytes: encodeLabels(labels) };
}

/**
 * Wire identities by a stable id of the label set (the series store's family + exposition key), so a
 * series' labels are sorted and encoded once, not once per sample and request. Bounded: emptied when
 * it holds `max` series (then refilled by the series still reported).
 */
export class IdentityCache {
  /** family (`__name__`) → exposition key → identity: no key string is built per sample */
  private readonly byFamily = new Map<string, Map<string, WireIdentity>>();
  private size = 0;
  constructor(private readonly max = 1_000_000) {}
  /** The identity of a label set whose series store key (labels without `__name__`) is `key`. */
  of(set: LabelSet, key: string | undefined): WireIdentity {
    if (key === undefined) return wireIdentity(sortedLabels(set));
    const family = set.__name__ ?? '';
    let fam = this.byFamily.get(family);
    let w = fam?.get(key);
    if (!w) {
      if (this.size >= this.max) {
        this.byFamily.clear();
        this.size = 0;
        fam = undefined;
      }
      if (!fam) {
        fam = new Map();
        this.byFamily.set(family, fam);
      }
      w = wireIdentity(sortedLabels(set));
      fam.set(key, w);
      this.size++;
    }
    return w;
  }
}

/** Sorted, de-emptied label pairs of a label set (the spec: sorted by name, unique). */
export function sortedLabels(set: LabelSet): Labels {
  const out: [string, string][] = [];
  for (const name of Object.keys(set).sort()) {
    const v = set[name];
    if (v !== undefined && v !== '') out.push([name, v]);
  }
  return out;
}

/** A stable identity of a sorted label list (label names cannot contain `\xff`, values may contain anything but it never collides: pairs are length-framed). */
export function seriesKey(labels: Labels): string {
  let k = '';
  for (const [n, v] of labels) k += `${n.length}:${n}=${v.length}:${v},`;
  return k;
}

/** FNV-1a 32-bit of a string's UTF-16 code units: the shard of a series (per-series order holds within a shard). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function encodeWriteRequest(series: readonly WireSeries[]): Uint8Array {
  const w = new BinaryWriter();
  for (const s of series) {
    w.tag(1, WireType.LengthDelimited).fork();
    if (s.labelBytes) w.raw(s.labelBytes);
    else
      for (const [name, value] of s.labels) {
        w.tag(1, WireType.LengthDelimited).fork();
        w.tag(1, WireType.LengthDelimited).string(name);
        w.tag(2, WireType.LengthDelimited).string(value);
        w.join();
      }
    for (const smp of s.samples) {
      w.tag(2, WireType.LengthDelimited).fork();
      w.tag(1, WireType.Bit64).double(smp.value);
      w.tag(2, WireType.Varint).int64(smp.ts);
      w.join();
    }
    w.join();
  }
  return w.finish();
}

function readMessage(r: BinaryReader, onField: (field: number, wt: WireType, r: BinaryReader) => boolean): void {
  const len = r.uint32();
  const end = r.pos + len;
  while (r.pos < end) {
    const [field, wt] = r.tag();
    if (!onField(field, wt, r)) r.skip(wt);
  }
}

/** Decode a WriteRequest (samples and labels; metadata and exemplars are skipped). */
export function decodeWriteRequest(buf: Uint8Array): WireSeries[] {
  const r = new BinaryReader(buf);
  const out: WireSeries[] = [];
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field !== 1 || wt !== WireType.LengthDelimited) {
      r.skip(wt);
      continue;
    }
    const labels: [string, string][] = [];
    const samples: WireSample[] = [];
    readMessage(r, (f, t, r) => {
      if (f === 1 && t === WireType.LengthDelimited) {
        let name = '';
        let value = '';
        readMessage(r, (lf, lt, r) => {
          if (lt !== WireType.LengthDelimited) return false;
          if (lf === 1) name = r.string();
          else if (lf === 2) value = r.string();
          else return false;
          return true;
        });
        labels.push([name, value]);
        return true;
      }
      if (f === 2 && t === WireType.LengthDelimited) {
        let value = 0;
        let ts = 0;
        readMessage(r, (sf, st, r) => {
          if (sf === 1 && st === WireType.Bit64) value = r.double();
          else if (sf === 2 && st === WireType.Varint) ts = Number(r.int64());
          else return false;
          return true;
        });
        samples.push({ value, ts });
        return true;
      }
      return false;
    });
    out.push({ labels, samples });
  }
  return out;
}

/** A sample as the queue holds it: its series (sorted labels, key) and value/time. */
export interface QueuedSample {
  key: string;
  labels: Labels;
  labelBytes?: Uint8Array;
  value: number;
  ts: number;
}

/**
 * One request's series from queued samples: grouped by series (first-seen order), each series' samples
 * sorted by time (stable), a repeated timestamp keeps the last queued value (Prometheus refuses a
 * request holding two different values at one timestamp). Returns the series and how many samples
 * were superseded that way.
 */
export function buildBatch(samples: readonly QueuedSample[]): { series: WireSeries[]; superseded: number } {
  const by = new Map<string, WireSeries>();
  for (const s of samples) {
    let ws = by.get(s.key);
    if (!ws) {
      ws = s.labelBytes ? { labels: s.labels, labelBytes: s.labelBytes, samples: [] } : { labels: s.labels, samples: [] };
      by.set(s.key, ws);
    }
    // the queued sample itself (it has value and ts): no copy per sample
    ws.samples.push(s);
  }
  let superseded = 0;
  for (const ws of by.values()) {
    const xs = ws.samples;
    let sorted = true;
    for (let i = 1; i < xs.length; i++) if (xs[i]!.ts <= xs[i - 1]!.ts) sorted = false;
    if (sorted) continue;
    // Stable sort, then keep the last of each run of equal timestamps.
    const idx = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x.ts - b.x.ts || a.i - b.i);
    const out: WireSample[] = [];
    for (const { x } of idx) {
      if (out.length > 0 && out[out.length - 1]!.ts === x.ts) {
        out[out.length - 1] = x;
        superseded++;
      } else out.push(x);
    }
    ws.samples = out;
  }
  return { series: [...by.values()], superseded };
}

/**
 * Responses that say 5xx but can never succeed: Prometheus before 2.44 answers a sample older than its
 * out-of-order window with 500 "too old sample" (later versions say 400). Retrying it would block the
 * shard forever, so it is dropped and counted like a 4xx.
 */
const PERMANENT_5XX = [/too old sample/i];

/** What to do with a response (the remote-write spec: retry 5xx and 429, never other 4xx). */
export function classifyStatus(status: number, body = ''): 'ok' | 'retry' | 'drop' {
  if (status >= 200 && status < 300) return 'ok';
  if (status >= 500 && PERMANENT_5XX.some((re) => re.test(body))) return 'drop';
  if (status === 429 || status >= 500) return 'retry';
  return 'drop';
}

/** Retry-After as a delay in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const h = header.trim();
  if (/^\d+$/.test(h)) return Number(h) * 1000;
  const t = Date.parse(h);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** Longest Retry-After honoured (a server asking for an hour is treated as asking for this). */
export const MAX_RETRY_AFTER_MS = 300_000;

/**
 * The wait before retry number `attempt` (1-based): min·2^(attempt−1), capped at max. A Retry-After
 * the server sent replaces it (as Prometheus does), up to MAX_RETRY_AFTER_MS.
 */
export function backoffMs(attempt: number, minMs: number, maxMs: number, retryAfter?: number): number {
  if (retryAfter !== undefined) return Math.min(MAX_RETRY_AFTER_MS, retryAfter);
  return Math.min(maxMs, minMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
}

/** The url label of the metrics: scheme, host and path only (user info and query may hold secrets). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
