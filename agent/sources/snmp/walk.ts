/**
 * Pure: combined walks for SNMPv2c (no I/O). The next OID of every walk in flight goes into ONE
 * GETBULK request (non-repeaters first, then one OID per walk, max-repetitions as configured), as
 * Zabbix's "combined requests": fewer packets and fewer round trips waited for in sequence, the same
 * varbinds collected.
 *
 * The response is row-major (RFC 3416 §4.2.3): after the non-repeaters, repetition r of request OID k
 * is varbind `r × K + k`. Each cursor takes its varbinds in order and ends at the first one leaving its
 * root's subtree, passing its range's upper bound, or reporting endOfMibView; a cursor that ended
 * leaves the next request, and its slot goes to the next range waiting. An agent trims a GETBULK
 * response to its maximum message size (snmpsimd: 64 varbinds): a cursor then simply continues from
 * the last OID it got, and one the response left without any varbind is asked again as it was.
 *
 * A walk may be split into ranges at OIDs seen in the previous poll of the target (`learnPlan`): the
 * range (after, upTo] holds the subtree's OIDs after `after` up to and including `upTo`, the last
 * range is open to the end of the subtree, so the ranges together always cover the whole subtree
 * whatever changed since (a row gone, a row added: a range just holds fewer or more OIDs). Ranges
 * sized to what one response carries per cursor let K ranges finish in one round trip each.
 */
import type { Varbind } from 'net-snmp';
import { T } from './values.js';

/** Numeric OID order: negative when a < b (read in place: called once per varbind of a combined walk). */
export function compareOids(a: string, b: string): number {
  let i = 0;
  let j = 0;
  for (;;) {
    if (i >= a.length || j >= b.length) return i >= a.length ? (j >= b.length ? 0 : -1) : 1;
    let x = 0;
    for (let c = a.charCodeAt(i); i < a.length && c !== 46; c = a.charCodeAt(++i)) x = x * 10 + c - 48;
    let y = 0;
    for (let c = b.charCodeAt(j); j < b.length && c !== 46; c = b.charCodeAt(++j)) y = y * 10 + c - 48;
    if (x !== y) return x - y;
    i++;
    j++;
  }
}

export const inSubtree = (root: string, oid: string): boolean => oid.length > root.length && oid.charCodeAt(root.length) === 46 && oid.startsWith(root);

/** What a target's previous poll taught: where to split each root's walk, and how many OIDs one response carries per cursor. */
export interface WalkPlan {
  /** root → the upper bounds of its ranges but the last (OIDs of the previous poll, increasing) */
  bounds: Map<string, string[]>;
  /** OIDs per range: max-repetitions, or less when the agent trimmed responses */
  size: number;
  /** OIDs per request the agent accepted (after a tooBig or error fallback) */
  perRequest: number;
}

interface Cursor {
  walk: number;
  /** the last OID got (the next request asks for the OIDs after it) */
  last: string;
  upTo: string | undefined;
  out: Varbind[];
}

/** One request of a combined walk: the cursors asked, in the order of their OIDs. */
export interface BulkStep {
  cursors: readonly Cursor[];
  oids: string[];
}

export class CombinedWalk {
  /** cursors not ended and not in a request in flight, the ones asked before first */
  private readonly waiting: Cursor[] = [];
  /** per walk: its ranges' cursors in range order */
  private readonly ranges: Cursor[][];
  private perRequest: number;
  /** the smallest share of varbinds per cursor in a trimmed response (for the next poll's ranges) */
  private share = Number.POSITIVE_INFINITY;

  constructor(
    readonly roots: readonly string[],
    perRequest: number,
    private readonly maxRepetitions: number,
    plan?: WalkPlan,
  ) {
    this.perRequest = Math.max(1, Math.min(perRequest, plan?.perRequest ?? perRequest));
    this.ranges = roots.map((root, walk) => {
      const bounds = plan?.bounds.get(root) ?? [];
      const list: Cursor[] = [];
      let after = root;
      for (const b of bounds) {
        list.push({ walk, last: after, upTo: b, out: [] });
        after = b;
      }
      list.push({ walk, last: after, upTo: undefined, out: [] });
      return list;
    });
    for (const list of this.ranges) this.waiting.push(...list);
  }

  /** OIDs per request now (halved by `shrink`). */
  get oidsPerRequest(): number {
    return this.perRequest;
  }

  /**
   * The next request: up to `oidsPerRequest` cursors neither ended nor in another request in flight;
   * undefined when there are none (every walk ended, or the rest are in flight: their requests hand
   * back the cursors that go on, `feed`). Several may be in flight at once.
   */
  next(): BulkStep | undefined {
    if (!this.waiting.length) return undefined;
    const cursors = this.waiting.splice(0, this.perRequest);
    return { cursors, oids: cursors.map((c) => c.last) };
  }

  /** A request to ask again as it was (its cursors go first). */
  requeue(step: BulkStep): void {
    this.waiting.unshift(...step.cursors);
  }

  /**
   * The agent answered `step` with an error-status (tooBig, genErr …): ask fewer OIDs per request
   * (half), its cursors asked again first. False when already at one: the error is that walk's (the
   * cursors are not handed back).
   */
  shrink(step: BulkStep): boolean {
    if (this.perRequest <= 1 && step.cursors.length <= 1) return false;
    this.perRequest = Math.max(1, Math.min(this.perRequest, Math.ceil(step.cursors.length / 2)));
    this.requeue(step);
    return true;
  }

  /**
   * Feed the response to `step` (its varbinds from `offset`, after the non-repeaters); one without
   * any varbind for the walks halves the OIDs per request (`shrink`), or, asked for one, ends it. Returns an
   * error text when a device answered a cursor with an OID not after the one asked (a walk would
   * loop forever); undefined otherwise.
   */
  feed(step: BulkStep, vbs: readonly Varbind[], offset: number): string | undefined {
    const k = step.cursors.length;
    const n = vbs.length - offset;
    const ended = new Set<Cursor>();
    if (n <= 0) {
      // no repetition at all: an agent trimming the request's answer to nothing (snmpsimd past its
      // --max-varbinds) — fewer OIDs per request; for one OID, the end of its walk (as a single walk)
      if (k > 1) return void this.shrink(step);
      for (const c of step.cursors) ended.add(c);
    }
    for (let j = 0; j < k && j < n; j++) {
      const c = step.cursors[j]!;
      const root = this.roots[c.walk]!;
      for (let i = offset + j; i < vbs.length; i += k) {
        const v = vbs[i]!;
        if (v.type === T.EndOfMibView || !inSubtree(root, v.oid)) {
          ended.add(c);
          break;
        }
        if (i === offset + j && compareOids(v.oid, c.last) <= 0) return `OID not increasing in walk of ${root}: ${v.oid} after ${c.last}`;
        if (c.upTo !== undefined) {
          const cmp = compareOids(v.oid, c.upTo);
          if (cmp > 0) {
            ended.add(c);
            break;
          }
          c.out.push(v);
          c.last = v.oid;
          if (cmp === 0) {
            ended.add(c);
            break;
          }
          continue;
        }
        c.out.push(v);
        c.last = v.oid;
      }
    }
    // a response trimmed below K × max-repetitions, with no walk at its end: what one carries per cursor
    if (n > 0 && n < k * this.maxRepetitions && !vbs.some((v, i) => i >= offset && v.type === T.EndOfMibView))
      this.share = Math.min(this.share, Math.max(1, Math.floor(n / k)));
    // the cursors that go on are asked again first, in their order
    this.waiting.unshift(...step.cursors.filter((c) => !ended.has(c)));
    return undefined;
  }

  /** Each walk's varbinds in OID order (its ranges' in range order). */
  results(): Varbind[][] {
    return this.ranges.map((list) => {
      if (list.length === 1) return list[0]!.out;
      const out: Varbind[] = [];
      for (const c of list) for (const v of c.out) out.push(v);
      return out;
    });
  }

  /** The plan for the target's next poll, from this poll's varbinds (`results()`, once every walk ended). */
  learn(walked: readonly (readonly Varbind[])[] = this.results()): WalkPlan {
    const size = Math.min(this.maxRepetitions, this.share);
    return { bounds: learnBounds(this.roots, walked, size), size, perRequest: this.perRequest };
  }
}

/**
 * Pure: where to split each root's walk next time: every `size`-th OID of what it returned, so that
 * each range but the last holds `size` OIDs and ends exactly at its bound (no request to find its
 * end); the last range is open (OIDs added after the last one are walked too) and holds fewer than
 * `size`. A walk of fewer than `size` OIDs is not split.
 */
export function learnBounds(roots: readonly string[], walked: readonly (readonly Varbind[])[], size: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  roots.forEach((root, w) => {
    const vbs = walked[w] ?? [];
    const b: string[] = [];
    for (let i = size - 1; i < vbs.length; i += size) b.push(vbs[i]!.oid);
    if (b.length) out.set(root, b);
  });
  return out;
}

/**
 * Pure: the OIDs to ask as GETBULK non-repeaters for scalars (a GETNEXT each: `x` for `x.0`), or
 * undefined when a scalar is not an instance `.0` (a GETNEXT could not name it).
 */
export function nonRepeaterOids(scalars: readonly string[]): string[] | undefined {
  if (!scalars.every((o) => o.endsWith('.0') && o.length > 2)) return undefined;
  return scalars.map((o) => o.slice(0, -2));
}

/**
 * Pure: the scalars' varbinds from the non-repeaters of a response, as a GET would give them: the
 * scalar's own varbind when the GETNEXT landed on it, else noSuchObject for it.
 */
export function scalarsFromNonRepeaters(scalars: readonly string[], vbs: readonly Varbind[]): Varbind[] {
  return scalars.map((oid, i) => {
    const v = vbs[i];
    return v && v.oid === oid && v.type !== T.EndOfMibView ? v : { oid, type: T.NoSuchObject, value: null };
  });
}
