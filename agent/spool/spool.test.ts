import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import { encodeRecord, recordFileName } from './record.js';
import { Spool } from './spool.js';

const lines: string[] = [];
const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
let dir: string;
let clock = 1_000_000;
const open = (o: { maxBytes?: number; maxAgeMs?: number } = {}) =>
  new Spool({ dir, maxBytes: o.maxBytes ?? 1e9, maxAgeMs: o.maxAgeMs ?? 1e9, log, now: () => clock });
const body = (n: number) => Buffer.from(`report-${n}`.padEnd(40, '.'));
const files = () =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.rpt'))
    .sort();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xj-spool-'));
  lines.length = 0;
  clock = 1_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Spool (files in a temp dir)', () => {
  it('keeps reports until every collector acknowledged them, across reopen', () => {
    const s = open();
    s.setCollectors(['a', 'b']);
    for (let i = 1; i <= 5; i++) s.put(i, body(i));
    expect(s.read(3)).toEqual(body(3));
    s.ack('a', 4);
    expect(files()).toHaveLength(5); // b has nothing yet
    s.ack('b', 2);
    expect(s.list().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(files()).toEqual([recordFileName(3), recordFileName(4), recordFileName(5)]);
    const r = open();
    r.setCollectors(['a', 'b']);
    expect(r.cursor('a')).toBe(4);
    expect(r.cursor('b')).toBe(2);
    expect(r.list().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(r.maxSeq).toBe(5);
    r.ack('b', 5);
    expect(r.list().map((e) => e.seq)).toEqual([5]); // a is at 4
  });

  it('refuses a seq that does not increase', () => {
    const s = open();
    s.put(3, body(3));
    expect(() => s.put(3, body(3))).toThrow('spool seq must increase: 3 after 3');
  });

  it('drops the oldest beyond maxBytes, counts them once even across a crash before deletion', () => {
    const size = encodeRecord({ seq: 1, createdAt: 0, body: body(1) }).length; // 100 bytes
    const s = open({ maxBytes: size * 3 });
    s.setCollectors(['a']);
    for (let i = 1; i <= 7; i++) s.put(i, body(i));
    expect(s.list().map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(s.stats()).toEqual({ reports: 3, bytes: size * 3, dropped: 4, quarantined: 0 });
    expect(lines.filter((l) => l.includes('spool full: dropped oldest reports'))).toHaveLength(4);
    // Simulate a kill after state.json counted a drop but before the file was deleted.
    writeFileSync(join(dir, recordFileName(3)), encodeRecord({ seq: 3, createdAt: clock, body: body(3) }));
    const r = open({ maxBytes: size * 3 });
    expect(r.list().map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(r.stats().dropped).toBe(4);
    expect(files()).not.toContain(recordFileName(3));
  });

  it('drops reports older than maxAge', () => {
    const s = open({ maxAgeMs: 10_000 });
    s.put(1, body(1));
    clock += 6000;
    s.put(2, body(2));
    clock += 6000;
    s.put(3, body(3)); // 1 is now 12 s old
    expect(s.list().map((e) => e.seq)).toEqual([2, 3]);
    expect(s.stats().dropped).toBe(1);
    clock += 20_000;
    expect(s.enforceBounds()).toBe(2);
    expect(s.stats()).toMatchObject({ reports: 0, dropped: 3 });
  });

  it('removes interrupted temp files and quarantines corrupt reports on open, delivering the rest', () => {
    const s = open();
    for (let i = 1; i <= 4; i++) s.put(i, body(i));
    writeFileSync(join(dir, `${recordFileName(5)}.tmp-1234`), 'half-written');
    const f2 = join(dir, recordFileName(2));
    writeFileSync(f2, encodeRecord({ seq: 2, createdAt: clock, body: body(2) }).subarray(0, 70)); // torn
    const r = open();
    expect(r.list().map((e) => e.seq)).toEqual([1, 3, 4]);
    expect(r.stats().quarantined).toBe(1);
    expect(readdirSync(join(dir, 'quarantine'))).toEqual([`${recordFileName(2)}.${clock}`]);
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
    expect(lines.some((l) => l.includes('corrupt spool file quarantined') && l.includes('length mismatch'))).toBe(true);
    // corrupted after open: found on read
    const f3 = join(dir, recordFileName(3));
    const bad = encodeRecord({ seq: 3, createdAt: clock, body: body(3) });
    bad[bad.length - 1] = 0;
    writeFileSync(f3, bad);
    expect(r.read(3)).toBeUndefined();
    expect(r.list().map((e) => e.seq)).toEqual([1, 4]);
    expect(r.stats().quarantined).toBe(2);
    expect(open().stats().quarantined).toBe(2); // persisted
  });

  it('highestSeq remembers acknowledged and dropped seqs after their files are gone', () => {
    const s = open({ maxBytes: 250 });
    s.setCollectors(['a']);
    s.put(1, body(1));
    s.put(2, body(2));
    s.put(3, body(3)); // 300 bytes > 250: 1 dropped
    s.ack('a', 3);
    expect(s.list()).toEqual([]);
    expect(s.maxSeq).toBe(0);
    expect(s.highestSeq).toBe(3);
    expect(open().highestSeq).toBe(3);
  });

  it('deletes nothing while no collector is configured', () => {
    const s = open();
    s.put(1, body(1));
    s.ack('a', 1);
    expect(files()).toHaveLength(1);
    s.setCollectors(['a']);
    expect(files()).toHaveLength(0);
  });

  it('a directory named like a report is quarantined, naming its path; the spool opens and the rest is kept', () => {
    const s = open();
    s.put(1, body(1));
    s.put(3, body(3));
    mkdirSync(join(dir, recordFileName(2)));
    clock = 42;
    const r = open();
    expect(r.list().map((e) => e.seq)).toEqual([1, 3]);
    expect(r.stats().quarantined).toBe(1);
    expect(readdirSync(join(dir, 'quarantine'))).toEqual([`${recordFileName(2)}.42`]);
    const line = lines.find((l) => l.includes('corrupt spool file quarantined'))!;
    expect(line).toContain(`unreadable ${join(dir, recordFileName(2))}: EISDIR`);
  });

  it('reports held by a request are not dropped for the bounds; released, the bounds apply', () => {
    const size = encodeRecord({ seq: 1, createdAt: 0, body: body(1) }).length;
    const s = open({ maxBytes: size * 2 });
    s.setCollectors(['a']);
    s.put(1, body(1));
    s.hold([1]);
    s.put(2, body(2));
    s.put(3, body(3)); // 3 reports > 2: seq 1 would go, but it is in flight
    expect(s.list().map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(s.stats().dropped).toBe(0);
    s.ack('a', 1); // acknowledged: deleted, never counted as dropped
    s.release([1]);
    expect(s.list().map((e) => e.seq)).toEqual([2, 3]);
    expect(s.stats().dropped).toBe(0);
    s.hold([2]);
    s.put(4, body(4));
    s.release([2]); // that request failed: now the bound drops it
    expect(s.list().map((e) => e.seq)).toEqual([3, 4]);
    expect(s.stats().dropped).toBe(1);
  });

  it('is created private (0700)', () => {
    const sub = join(dir, 'data', 'spool');
    new Spool({ dir: sub, maxBytes: 1e9, maxAgeMs: 1e9, log });
    expect(statSync(sub).mode & 0o777).toBe(0o700);
    expect(statSync(join(sub, 'quarantine')).mode & 0o777).toBe(0o700);
  });
});
