import { createHash } from 'node:crypto';
import { CONTRACT_VERSION, type FactGroupMeta, type Facts, type NodeIdentity, type Report, type Sample } from '../../contract/types.js';

/** Pure pieces of report assembly: sample buffering, facts change detection, report building. */

/** Holds samples between reports; beyond `max` the oldest are dropped and counted. */
export class SampleBuffer {
  private items: Sample[] = [];
  dropped = 0;
  constructor(private readonly max: number) {}
  push(samples: readonly Sample[]): void {
    for (const s of samples) this.items.push(s);
    const over = this.items.length - this.max;
    if (over > 0) {
      this.items.splice(0, over);
      this.dropped += over;
    }
  }
  /**
   * Put samples that could not be reported back in front (they are older than what came since);
   * beyond `max` the oldest are dropped and counted.
   */
  restore(samples: readonly Sample[]): void {
    if (!samples.length) return;
    this.items = [...samples, ...this.items];
    const over = this.items.length - this.max;
    if (over > 0) {
      this.items.splice(0, over);
      this.dropped += over;
    }
  }
  drain(): Sample[] {
    const out = this.items;
    this.items = [];
    return out;
  }
  get size(): number {
    return this.items.length;
  }
}

/** Canonical JSON (sorted keys) so equal facts give equal digests. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function factsDigest(facts: Facts): string {
  return createHash('sha256').update(canonicalJson(facts)).digest('hex');
}

/** Send facts when they differ from what the collector last acknowledged, or when the refresh period passed. */
export function shouldSendFacts(current: Facts, lastSent: { digest: string; at: number } | undefined, now: number, refreshMs: number): boolean {
  if (Object.keys(current).length === 0) return false;
  if (!lastSent) return true;
  return lastSent.digest !== factsDigest(current) || now - lastSent.at >= refreshMs;
}

export interface ReportInput {
  node: NodeIdentity;
  version: string;
  interval: number;
  seq: number;
  /** The seq state's stream id (absent: the report belongs to stream ""). */
  stream?: string;
  now: number;
  samples: Sample[];
  help: Record<string, string>;
  facts?: Facts;
  /** Source interval in seconds per metric name (only the report's names are sent). */
  intervals?: Record<string, number>;
  /** Provenance per fact group, sent with `facts`. */
  factsMeta?: Record<string, FactGroupMeta>;
}

export function buildReport(i: ReportInput): Report {
  const names = new Set(i.samples.map((s) => s.name));
  const help: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.help)) if (names.has(k)) help[k] = v;
  const r: Report = {
    v: CONTRACT_VERSION,
    node: i.node,
    agent: { version: i.version, interval: i.interval },
    seq: i.seq,
    ...(i.stream ? { stream: i.stream } : {}),
    sentAt: i.now,
    samples: i.samples.filter((s) => Number.isFinite(s.value)),
  };
  if (Object.keys(help).length) r.help = help;
  const intervals: Record<string, number> = {};
  for (const [k, v] of Object.entries(i.intervals ?? {})) if (names.has(k) && v !== i.interval) intervals[k] = v;
  if (Object.keys(intervals).length) r.intervals = intervals;
  if (i.facts) {
    r.facts = i.facts;
    const meta = Object.fromEntries(Object.entries(i.factsMeta ?? {}).filter(([g]) => g in i.facts!));
    if (Object.keys(meta).length) r.factsMeta = meta;
  }
  return r;
}

/** Bytes a sample takes in a report's JSON (its own JSON and the comma before it). */
export function sampleJsonBytes(s: Sample): number {
  return Buffer.byteLength(JSON.stringify(s)) + 1;
}

export interface SplitLimits {
  /** Most samples per report. */
  samples: number;
  /** Most bytes of a report's JSON. */
  bytes: number;
}

/**
 * Cut samples (in order) into the fewest consecutive chunks of which each fits the limits, the first
 * chunk carrying `firstOverheadBytes` of everything but samples (envelope, help, facts), the others
 * `overheadBytes`. Always at least one chunk (possibly empty). A single sample larger than the byte room
 * gets a chunk of its own (the contract's per-sample bounds keep it far below any report limit).
 */
export function splitSamples(samples: readonly Sample[], limits: SplitLimits, firstOverheadBytes: number, overheadBytes: number): Sample[][] {
  const out: Sample[][] = [];
  let cur: Sample[] = [];
  let bytes = firstOverheadBytes;
  for (const s of samples) {
    const b = sampleJsonBytes(s);
    if (cur.length > 0 && (cur.length >= limits.samples || bytes + b > limits.bytes)) {
      out.push(cur);
      cur = [];
      bytes = overheadBytes;
    }
    cur.push(s);
    bytes += b;
  }
  out.push(cur);
  return out;
}
