/**
 * Dense integer ids for the evaluator's matching signatures, and per-selection caches of what is
 * derived from each series' labels (signature ids, group numbers, result label sets). The window
 * hands out the same sorted selection array while its series stay, so these are computed once per
 * series, not once per evaluation, and read by position: no label set is touched in the hot loops.
 */

const ids = new Map<string, number>();
const strs: string[] = [];
let epoch = 0;
/** Signatures before the table starts afresh (only ids, never results, depend on it). */
const MAX_IDS = 4_000_000;

/** The id of a signature string; ids are dense from 0. */
export function sigId(s: string): number {
  let id = ids.get(s);
  if (id === undefined) {
    if (strs.length >= MAX_IDS) {
      ids.clear();
      strs.length = 0;
      epoch++;
    }
    id = strs.length;
    ids.set(s, id);
    strs.push(s);
  }
  return id;
}

/** The signature of an id. */
export function sigOf(id: number): string {
  return strs[id]!;
}

/** Changes when the table started afresh: ids from before are void. */
export function sigEpoch(): number {
  return epoch;
}

/**
 * A set of ids with a value each, cleared in O(1): a slot is set when its stamp is the current round.
 * One per use site (matching, set operators); `begin()` starts an empty set.
 */
export class IdTable {
  private stamp = new Int32Array(1024);
  private slot = new Int32Array(1024);
  private round = 0;

  begin(): void {
    const n = strs.length;
    if (n > this.stamp.length) {
      // grown empty: the new round below is above any stamp of the old arrays anyway
      let len = this.stamp.length;
      while (len < n) len *= 2;
      this.stamp = new Int32Array(len);
      this.slot = new Int32Array(len);
      this.round = 0;
    }
    if (++this.round === 0x7fffffff) {
      this.stamp.fill(0);
      this.round = 1;
    }
  }

  has(id: number): boolean {
    return this.stamp[id] === this.round;
  }

  /** The value of id (valid when `has(id)`). */
  get(id: number): number {
    return this.slot[id]!;
  }

  set(id: number, v: number): void {
    this.stamp[id] = this.round;
    this.slot[id] = v;
  }
}

/** Group numbers by position, each group's labels once built, and the numbers by grouping key. */
export interface PositionGroups {
  idx: Int32Array;
  labels: unknown[];
  byKey: Map<string, number>;
}

/** Per selection array: derived data by series position, keyed by what it is for (a clause, a flag). */
export interface PositionCache {
  epoch: number;
  sig: Map<string, Int32Array>;
  group: Map<string, PositionGroups>;
  result: Map<string, unknown[]>;
  /** the cache of the selection this one was derived from, and the position map (see deriveSelection) */
  anc: { cache: PositionCache; from: Int32Array } | undefined;
}

const caches = new WeakMap<object, PositionCache>();

/**
 * Selections derived from an earlier one (a store merged new series into a sorted family, or moved
 * it): `from[i]` is the earlier position of series i, -1 for a new one. One step back only: a chain
 * would keep every earlier array alive.
 */
const lineage = new WeakMap<object, { prev: object; from: Int32Array }>();

/** `next` holds the series of `prev` at positions `from` (-1: not in prev); its caches start from prev's. */
export function deriveSelection(next: object, prev: object, from: Int32Array): void {
  lineage.delete(prev);
  lineage.set(next, { prev, from });
}

/** The earlier selection's cache and the position map, if it had a cache. */
export function ancestor(base: object): { cache: PositionCache; from: Int32Array } | undefined {
  return positionCache(base).anc;
}

/**
 * The caches of a selection array (ids from an older epoch dropped). A new one takes over the cache
 * of the selection it was derived from as its ancestor, which gives up its own: at most two
 * generations are kept, and the earlier array itself is let go.
 */
export function positionCache(base: object): PositionCache {
  let c = caches.get(base);
  if (c === undefined || c.epoch !== epoch) {
    c = { epoch, sig: new Map(), group: new Map(), result: new Map(), anc: undefined };
    const l = lineage.get(base);
    if (l !== undefined) {
      lineage.delete(base);
      const prev = caches.get(l.prev);
      if (prev !== undefined && prev.epoch === epoch) {
        prev.anc = undefined;
        c.anc = { cache: prev, from: l.from };
      }
    }
    caches.set(base, c);
  }
  return c;
}

/**
 * Scratch space for an evaluation's columns: typed arrays handed out as views of a few large buffers
 * and reused from the start by `reset()`, so an evaluation allocates no array buffers of its own (at
 * millions of series those would make V8 mark the whole heap every cycle). A buffer that runs out is
 * replaced by one twice its size; views of the old one stay valid until they are dropped.
 */
export class Scratch {
  private f = new Float64Array(1 << 16);
  private i = new Int32Array(1 << 16);
  private fu = 0;
  private iu = 0;

  f64(n: number): Float64Array {
    if (this.fu + n > this.f.length) {
      this.f = new Float64Array(Math.max(this.f.length * 2, n));
      this.fu = 0;
    }
    const a = this.f.subarray(this.fu, this.fu + n);
    this.fu += n;
    return a;
  }

  i32(n: number): Int32Array {
    if (this.iu + n > this.i.length) {
      this.i = new Int32Array(Math.max(this.i.length * 2, n));
      this.iu = 0;
    }
    const a = this.i.subarray(this.iu, this.iu + n);
    this.iu += n;
    return a;
  }

  /** Everything handed out so far is free again. */
  reset(): void {
    this.fu = 0;
    this.iu = 0;
  }
}
