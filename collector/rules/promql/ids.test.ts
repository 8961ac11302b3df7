import { describe, expect, it } from 'vitest';
import { ancestor, deriveSelection, IdTable, positionCache, Scratch, sigId, sigOf } from './ids.js';

describe('signature ids', () => {
  it('are dense, stable and reversible', () => {
    const a = sigId('ids-test-a');
    const b = sigId('ids-test-b');
    expect(b).toBe(a + 1);
    expect(sigId('ids-test-a')).toBe(a);
    expect(sigOf(b)).toBe('ids-test-b');
  });

  it('IdTable: empty at each begin, values per id', () => {
    const t = new IdTable();
    const a = sigId('ids-test-a');
    const b = sigId('ids-test-b');
    t.begin();
    t.set(a, 7);
    expect([t.has(a), t.get(a), t.has(b)]).toEqual([true, 7, false]);
    t.begin();
    expect(t.has(a)).toBe(false);
  });
});

describe('position caches of derived selections', () => {
  it('take the earlier cache as ancestor once, and keep two generations only', () => {
    const s0 = [{}, {}];
    const c0 = positionCache(s0);
    c0.sig.set('k', Int32Array.of(5, 6));
    const s1 = [{}, {}, {}];
    deriveSelection(s1, s0, Int32Array.of(0, -1, 1));
    expect(ancestor(s1)).toEqual({ cache: c0, from: Int32Array.of(0, -1, 1) });
    const s2 = [{}];
    deriveSelection(s2, s1, Int32Array.of(2));
    const c2 = positionCache(s2);
    expect(c2.anc?.cache).toBe(positionCache(s1));
    // s1's cache gave up its own ancestor when s2's took it
    expect(positionCache(s1).anc).toBeUndefined();
    // a selection without an earlier cache has no ancestor
    const s3 = [{}];
    deriveSelection(s3, [{}], Int32Array.of(0));
    expect(ancestor(s3)).toBeUndefined();
  });
});

describe('Scratch', () => {
  it('hands out disjoint views until reset, and keeps old views valid when it grows', () => {
    const s = new Scratch();
    const a = s.f64(10);
    const b = s.f64(10);
    a.fill(1);
    b.fill(2);
    expect(a[9]).toBe(1);
    const big = s.f64(1 << 17);
    big.fill(3);
    expect([a[0], b[0], big[0]]).toEqual([1, 2, 3]);
    s.reset();
    const c = s.i32(4);
    c.fill(9);
    expect(c.length).toBe(4);
  });
});
