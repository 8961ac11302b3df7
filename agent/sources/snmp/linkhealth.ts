import type { Sample } from '../../../contract/types.js';

/**
 * Pure link-health derivation between two polls of one device: bits per second, utilization against
 * ifHighSpeed, error and discard rates, oper-status changes. Counters are exact (BigInt). No spike is
 * ever produced: a reboot (sysUpTime went backwards, or advanced much less than the wall clock), any
 * counter of an interface going backwards in a way that cannot be one plausible Counter32 wrap, a
 * changed ifCounterDiscontinuityTime, a switch between 32- and 64-bit counters, or an ifIndex now
 * naming another interface yields no rate for that interface and interval; the new values become the
 * baseline.
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
  /** ifLastChange (sysUpTime ticks of the last oper-status change). */
  lastChange?: number;
  discontinuity?: number;
}

export interface Snapshot {
  /** sysUpTime in hundredths of a second. */
  uptime: number;
  /** Wall clock in ms when sysUpTime was read. */
  at: number;
  ifs: Map<string, IfCounters>;
}

export interface LinkState {
  prev?: Snapshot;
  /** Oper-status changes seen per ifIndex, cumulative, for the interface of that name. */
  flaps: Map<string, { name: string; count: number }>;
}

const WRAP32 = 2n ** 32n;
const TWO32 = 2 ** 32;
/** A rate may exceed the nominal speed by this factor (timing jitter between device and agent). */
export const SPEED_SLACK = 1.05;
/** Bits of the smallest frame counted by error/discard counters (64-octet Ethernet frame). */
const MIN_FRAME_BITS = 512;

/**
 * Increase of a counter between two reads; undefined when it cannot be known. `most` is the largest
 * increase the link can make in the interval (speed × seconds), when known. A Counter64 going
 * backwards is a reset. A Counter32 going backwards is accepted as one wrap only when at most one
 * wrap was possible (most < 2^32) and the wrapped increase is plausible (≤ 1.05 × most); a 32-bit
 * counter whose link could have wrapped it several times in the interval gives no delta at all.
 */
export function counterDelta(prev: bigint, cur: bigint, bits: 32 | 64, most?: number): bigint | undefined {
  if (bits === 32 && most !== undefined && most >= TWO32) return undefined; // several wraps possible
  if (cur >= prev) return cur - prev;
  if (bits === 64 || most === undefined) return undefined; // a reset (or a wrap that cannot be told from one)
  const d = cur + WRAP32 - prev;
  return Number(d) <= SPEED_SLACK * most ? d : undefined;
}

/** Exact rate as a float: delta × scale ÷ seconds, computed in integers until the last step. */
export function rate(delta: bigint, scale: bigint, centiseconds: number): number {
  // (delta × scale × 100) ÷ centiseconds, with 6 decimal places kept exactly
  const num = delta * scale * 100n * 1_000_000n;
  return Number(num / BigInt(centiseconds)) / 1_000_000;
}

/** Slack between the device's uptime interval and the agent's wall-clock interval: 5 s + 5 %. */
export const uptimeTolerance = (wallMs: number) => 5000 + 0.05 * Math.abs(wallMs);

/**
 * Pure: the interval between two polls in centiseconds of device uptime, or 'reboot'. sysUpTime going
 * backwards is a reboot unless the wall clock agrees with a TimeTicks wrap at 2^32 (~497 days); an
 * uptime that advanced less than the wall clock minus the tolerance is a reboot too (the device
 * restarted and ran a while). An unchanged uptime within the tolerance (a static simulator) falls back
 * to the wall clock.
 */
export function uptimeInterval(prev: { uptime: number; at: number }, cur: { uptime: number; at: number }): number | 'reboot' {
  const wallMs = cur.at - prev.at;
  const tol = uptimeTolerance(wallMs);
  let d = cur.uptime - prev.uptime;
  if (d < 0) {
    const wrapped = d + TWO32;
    if (Math.abs(wrapped * 10 - wallMs) > tol) return 'reboot';
    d = wrapped;
  } else if (d * 10 < wallMs - tol) return 'reboot';
  return d > 0 ? d : Math.max(0, Math.round(wallMs / 10));
}

export type LinkEvent = 'reboot' | 'no_baseline';

const ERROR_KEYS = [
  ['inErrors', 'xunjian_link_in_errors_per_second'],
  ['outErrors', 'xunjian_link_out_errors_per_second'],
  ['inDiscards', 'xunjian_link_in_discards_per_second'],
  ['outDiscards', 'xunjian_link_out_discards_per_second'],
] as const;

export function deriveLinkHealth(
  state: LinkState,
  cur: Snapshot,
  labelsOf: (ifIndex: string) => Record<string, string>,
  ts: number,
): { samples: Sample[]; event?: LinkEvent } {
  const prev = state.prev;
  state.prev = cur;
  const samples: Sample[] = [];
  const cs = prev ? uptimeInterval(prev, cur) : undefined;
  const reboot = cs === 'reboot';
  if (reboot) state.flaps.clear();
  // flaps: counted per ifIndex while it names the same interface; an interface gone is forgotten
  for (const ix of state.flaps.keys()) if (!cur.ifs.has(ix)) state.flaps.delete(ix);
  for (const [ix, c] of cur.ifs) {
    let f = state.flaps.get(ix);
    if (!f || f.name !== c.name) {
      f = { name: c.name, count: 0 };
      state.flaps.set(ix, f);
    }
    const p = prev?.ifs.get(ix);
    if (p && !reboot && p.name === c.name) {
      if (p.operStatus !== undefined && c.operStatus !== undefined && p.operStatus !== c.operStatus) f.count++;
      // same status but ifLastChange moved: it went away and came back within the interval
      else if (p.lastChange !== undefined && c.lastChange !== undefined && p.lastChange !== c.lastChange) f.count += 2;
    }
    samples.push({ name: 'xunjian_link_oper_status_changes_total', labels: labelsOf(ix), value: f.count, type: 'counter', ts });
  }
  if (!prev) return { samples, event: 'no_baseline' };
  if (cs === 'reboot') return { samples, event: 'reboot' };
  if (!cs || cs <= 0) return { samples };
  const seconds = cs / 100;
  for (const [ix, c] of cur.ifs) {
    const p = prev.ifs.get(ix);
    if (!p || p.name !== c.name || p.bits !== c.bits) continue; // new or renumbered interface, or 32↔64-bit switch: baseline only
    if (c.discontinuity !== undefined && p.discontinuity !== undefined && c.discontinuity !== p.discontinuity) continue;
    const bps = c.speedMbps ? c.speedMbps * 1e6 : undefined;
    const mostOctets = bps !== undefined ? (bps / 8) * seconds : undefined;
    const mostPackets = bps !== undefined ? (bps / MIN_FRAME_BITS) * seconds : undefined;
    const dIn = counterDelta(p.inOctets, c.inOctets, c.bits, mostOctets);
    const dOut = counterDelta(p.outOctets, c.outOctets, c.bits, mostOctets);
    if (dIn === undefined || dOut === undefined) continue; // reset or ambiguous: no rate of this interface
    const errs: [string, bigint][] = [];
    let reset = false;
    for (const [key, name] of ERROR_KEYS) {
      const a = p[key];
      const b = c[key];
      if (a === undefined || b === undefined) continue;
      // error and discard counters are Counter32 even beside ifHC*; they never run near line rate,
      // so only a backwards step is checked against what the link could carry
      const d = counterDelta(a, b, 32, b < a ? mostPackets : undefined);
      if (d === undefined) reset = true;
      else errs.push([name, d]);
    }
    if (reset) continue;
    const labels = labelsOf(ix);
    const g = (name: string, value: number) => samples.push({ name, labels, value, type: 'gauge', ts });
    const inBps = rate(dIn, 8n, cs);
    g('xunjian_link_in_bits_per_second', inBps);
    if (bps) g('xunjian_link_in_utilization_ratio', inBps / bps);
    const outBps = rate(dOut, 8n, cs);
    g('xunjian_link_out_bits_per_second', outBps);
    if (bps) g('xunjian_link_out_utilization_ratio', outBps / bps);
    for (const [name, d] of errs) g(name, rate(d, 1n, cs));
  }
  return { samples };
}
