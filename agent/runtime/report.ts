import { createHash } from 'node:crypto';
import { CONTRACT_VERSION, type Facts, type NodeIdentity, type Report, type Sample } from '../../contract/types.js';

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
    const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
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
  now: number;
  samples: Sample[];
  help: Record<string, string>;
  facts?: Facts;
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
    sentAt: i.now,
    samples: i.samples.filter((s) => Number.isFinite(s.value)),
  };
  if (Object.keys(help).length) r.help = help;
  if (i.facts) r.facts = i.facts;
  return r;
}

/** A node-cron expression (with seconds) firing every `seconds`; throws when none exists. */
export function cronFor(seconds: number): string {
  if (seconds >= 1 && seconds < 60 && 60 % seconds === 0) return seconds === 1 ? '* * * * * *' : `*/${seconds} * * * * *`;
  if (seconds >= 60 && seconds < 3600 && seconds % 60 === 0 && 60 % (seconds / 60) === 0) return `0 */${seconds / 60} * * * *`;
  if (seconds >= 3600 && seconds % 3600 === 0 && 24 % (seconds / 3600) === 0) return `0 0 */${seconds / 3600} * * *`;
  throw new Error(`${seconds} s cannot be scheduled evenly: use a divisor of 60 s, of 60 min (in whole minutes) or of 24 h (in whole hours)`);
}
