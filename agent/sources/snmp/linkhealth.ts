import type { Sample } from '../../../contract/types.js';

/**
 * Pure link-health derivation between two polls of one device: bits per second, utilization against
 * ifHighSpeed, error and discard rates, oper-status changes. Counters are exact (BigInt). No spike is
 * ever produced: a reboot (sysUpTime went backwards), a 64-bit counter going backwards, a changed
 * ifCounterDiscontinuityTime, or an ifIndex now naming another interface yields no rate for that
 * interval, and the new values become the baseline.
 */
export interface IfCounters {
  name: string;
  /** 64 when from ifXTable (ifHC*), 32 when only ifTable exists. */
  bits: 32 | 64;
  inOctets: bigint;
  outOctets: bigint;
  inErrors?: bigint;
  outErrors?: bigint;
  inDiscards?: bigint;
  outDiscards?: bigint;
  /** Mbit/s (ifHighSpeed), or ifSpeed ÷ 1e6 without ifXTable. */
  speedMbps?: number;
  operStatus?: number;
  discontinuity?: number;
}

export interface Snapshot {
  /** sysUpTime in hundredths of a second. */
  uptime: number;
  /** Wall clock in ms, used when the uptime cannot give the interval. */
  at: number;
  ifs: Map<string, IfCounters>;
}

export interface LinkState {
  prev?: Snapshot;
  /** Oper-status changes seen per ifIndex, cumulative. */
  flaps: Map<string, number>;
}

const WRAP32 = 2n ** 32n;

/** Increase of a counter between two reads; undefined when it cannot be known. */
export function counterDelta(prev: bigint, cur: bigint, bits: 32 | 64): bigint | undefined {
  if (cur >= prev) return cur - prev;
  if (bits === 32) return cur + WRAP32 - prev; // one wrap of a Counter32
  return undefined; // Counter64 going backwards: a reset, not a wrap
}

/** Exact rate as a float: delta × scale ÷ seconds, computed in integers until the last step. */
export function rate(delta: bigint, scale: bigint, centiseconds: number): number {
  // (delta × scale × 100) ÷ centiseconds, with 6 decimal places kept exactly
  const num = delta * scale * 100n * 1_000_000n;
  return Number(num / BigInt(centiseconds)) / 1_000_000;
}

export type LinkEvent = 'reboot' | 'no_baseline';

export function deriveLinkHealth(state: LinkState, cur: Snapshot, labelsOf: (ifIndex: string) => Record<string, string>, ts: number): { samples: Sample[]; event?: LinkEvent } {
  const prev = state.prev;
  state.prev = cur;
  const samples: Sample[] = [];
  // flaps are counted whenever both polls saw the interface under the same identity
  if (prev) {
    for (const [ix, c] of cur.ifs) {
      const p = prev.ifs.get(ix);
      if (p && p.name === c.name && p.operStatus !== undefined && c.operStatus !== undefined && p.operStatus !== c.operStatus) state.flaps.set(ix, (state.flaps.get(ix) ?? 0) + 1);
    }
  }
  for (const ix of cur.ifs.keys()) {
    samples.push({ name: 'xunjian_link_oper_status_changes_total', labels: labelsOf(ix), value: state.flaps.get(ix) ?? 0, type: 'counter', ts });
  }
  if (!prev) return { samples, event: 'no_baseline' };
  if (cur.uptime < prev.uptime) {
    state.flaps.clear();
    return { samples, event: 'reboot' };
  }
  const cs = cur.uptime > prev.uptime ? cur.uptime - prev.uptime : Math.round((cur.at - prev.at) / 10);
  if (cs <= 0) return { samples };
  for (const [ix, c] of cur.ifs) {
    const p = prev.ifs.get(ix);
    if (!p || p.name !== c.name || p.bits !== c.bits) continue; // new or renumbered interface: baseline only
    if (c.discontinuity !== undefined && p.discontinuity !== undefined && c.discontinuity !== p.discontinuity) continue;
    const labels = labelsOf(ix);
    const g = (name: string, value: number) => samples.push({ name, labels, value, type: 'gauge', ts });
    const dIn = counterDelta(p.inOctets, c.inOctets, c.bits);
    const dOut = counterDelta(p.outOctets, c.outOctets, c.bits);
    if (dIn !== undefined) {
      const bps = rate(dIn, 8n, cs);
      g('xunjian_link_in_bits_per_second', bps);
      if (c.speedMbps) g('xunjian_link_in_utilization_ratio', bps / (c.speedMbps * 1e6));
    }
    if (dOut !== undefined) {
      const bps = rate(dOut, 8n, cs);
      g('xunjian_link_out_bits_per_second', bps);
      if (c.speedMbps) g('xunjian_link_out_utilization_ratio', bps / (c.speedMbps * 1e6));
    }
    for (const [key, name] of [
      ['inErrors', 'xunjian_link_in_errors_per_second'],
      ['outErrors', 'xunjian_link_out_errors_per_second'],
      ['inDiscards', 'xunjian_link_in_discards_per_second'],
      ['outDiscards', 'xunjian_link_out_discards_per_second'],
    ] as const) {
      const a = p[key];
      const b = c[key];
      if (a === undefined || b === undefined) continue;
      const d = counterDelta(a, b, 32); // error and discard counters are Counter32
      if (d !== undefined) g(name, rate(d, 1n, cs));
    }
  }
  return { samples };
}
