import { readFileSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.js';
import { ensurePrivateDir, writeFileAtomic } from '../../lib/fs.js';
import { type Bounds, deletableThrough, type Entry, planDrops } from './plan.js';
import { decodeRecord, encodeRecord, parseRecordFileName, recordFileName } from './record.js';

/**
 * The agent's durable spool: one checksummed file per report (see record.ts), written with
 * temp file + fsync + rename + directory fsync before the report is sent; one cursor file per collector
 * holding the highest seq it acknowledged; a file is deleted once every collector's cursor has passed
 * it. See README.md for the crash analysis.
 */
export interface SpoolOptions extends Bounds {
  dir: string;
  log: Logger;
  now?: () => number;
}

interface SpoolState {
  /** Reports dropped (bounds) since the spool was created. */
  dropped: number;
  /** Highest seq dropped; files at or below it left by a crash are deleted without counting again. */
  droppedThrough: number;
  /** Corrupt report files moved to quarantine/. */
  quarantined: number;
}

const CURSOR_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export class Spool {
  readonly dir: string;
  readonly quarantineDir: string;
  private entries: Entry[] = [];
  private state: SpoolState = { dropped: 0, droppedThrough: 0, quarantined: 0 };
  private readonly cursors = new Map<string, number>();
  private active: string[] = [];
  private readonly now: () => number;
  /** Seqs in a request right now (count per lane): not dropped for the bounds meanwhile. */
  private readonly held = new Map<number, number>();

  constructor(private readonly o: SpoolOptions) {
    this.dir = o.dir;
    this.quarantineDir = join(o.dir, 'quarantine');
    this.now = o.now ?? Date.now;
    const open = ensurePrivateDir(o.dir).openMode;
    if (open !== undefined)
      o.log.warn('spool directory is readable by group or others (it holds every report): chmod 700 it', { dir: o.dir, mode: open.toString(8) });
    ensurePrivateDir(this.quarantineDir);
    this.load();
  }

  private get statePath(): string {
    return join(this.dir, 'state.json');
  }

  private load(): void {
    try {
      const s = JSON.parse(readFileSync(this.statePath, 'utf8')) as Partial<SpoolState>;
      for (const k of ['dropped', 'droppedThrough', 'quarantined'] as const) {
        if (typeof s[k] === 'number' && Number.isSafeInteger(s[k]) && s[k]! >= 0) this.state[k] = s[k]!;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.o.log.warn('spool state unreadable: counters restart at 0', { file: this.statePath, error: (err as Error).message });
    }
    const found: Entry[] = [];
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      if (name.includes('.tmp-')) {
        // a write interrupted by a crash: never renamed, so never acknowledged as spooled
        unlinkSync(path);
        continue;
      }
      if (name.startsWith('cursor.') && name.endsWith('.json')) {
        const c = name.slice('cursor.'.length, -'.json'.length);
        try {
          const v = JSON.parse(readFileSync(path, 'utf8')) as { seq?: unknown };
          if (typeof v.seq === 'number' && Number.isSafeInteger(v.seq) && v.seq >= 0) this.cursors.set(c, v.seq);
        } catch (err) {
          this.o.log.warn('spool cursor unreadable: that collector gets every spooled report again', { file: path, error: (err as Error).message });
        }
        continue;
      }
      const seq = parseRecordFileName(name);
      if (seq === undefined) continue;
      if (seq <= this.state.droppedThrough) {
        unlinkSync(path);
        continue;
      }
      let buf: Buffer;
      try {
        buf = readFileSync(path);
      } catch (err) {
        // e.g. a directory named like a report (EISDIR): set aside, never a reason not to start
        this.quarantine(seq, `unreadable ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        continue;
      }
      const rec = decodeRecord(buf);
      if (!rec.ok || rec.record.seq !== seq) {
        this.quarantine(seq, rec.ok ? `seq ${rec.record.seq} in file of seq ${seq}` : rec.reason);
        continue;
      }
      found.push({ seq, bytes: statSync(path).size, createdAt: rec.record.createdAt });
    }
    found.sort((a, b) => a.seq - b.seq);
    this.entries = found;
  }

  private saveState(): void {
    writeFileAtomic(this.statePath, JSON.stringify(this.state));
  }

  private quarantine(seq: number, reason: string): void {
    const name = recordFileName(seq);
    const file = join(this.dir, name);
    const to = join(this.quarantineDir, `${name}.${this.now()}`);
    try {
      renameSync(file, to);
    } catch (err) {
      this.o.log.error('cannot move corrupt spool file to quarantine; deleting it', { file, seq, error: (err as Error).message });
      try {
        unlinkSync(file);
      } catch {
        // already gone (or a directory that cannot be removed this way: left for the operator, never read)
      }
    }
    this.state.quarantined++;
    this.saveState();
    this.entries = this.entries.filter((e) => e.seq !== seq);
    this.o.log.error('corrupt spool file quarantined; that report is lost', { seq, reason, file, movedTo: to });
  }

  /** Spooled reports, ascending by seq (a copy). */
  list(): Entry[] {
    return [...this.entries];
  }

  get maxSeq(): number {
    return this.entries.length ? this.entries[this.entries.length - 1]!.seq : 0;
  }

  /**
   * The highest seq the spool has ever seen (files, cursors, drops): a lower bound for the next seq even
   * when seq.json was lost, so a new report never reuses a seq a collector already holds.
   */
  get highestSeq(): number {
    return Math.max(this.maxSeq, this.state.droppedThrough, ...this.cursors.values());
  }

  stats(): { reports: number; bytes: number; dropped: number; quarantined: number } {
    let bytes = 0;
    for (const e of this.entries) bytes += e.bytes;
    return { reports: this.entries.length, bytes, dropped: this.state.dropped, quarantined: this.state.quarantined };
  }

  /** Write a report durably; returns once it is on disk. Then drops the oldest reports beyond the bounds. */
  put(seq: number, body: Buffer, createdAt = this.now()): void {
    if (seq <= this.maxSeq) throw new Error(`spool seq must increase: ${seq} after ${this.maxSeq}`);
    const data = encodeRecord({ seq, createdAt, body });
    writeFileAtomic(join(this.dir, recordFileName(seq)), data);
    this.entries.push({ seq, bytes: data.length, createdAt });
    this.enforceBounds();
  }

  /** Mark seqs as being sent: they are not dropped for the bounds until released. */
  hold(seqs: readonly number[]): void {
    for (const s of seqs) this.held.set(s, (this.held.get(s) ?? 0) + 1);
  }

  /** The request carrying `seqs` ended; the bounds apply to them again (now, if still spooled). */
  release(seqs: readonly number[]): void {
    for (const s of seqs) {
      const n = (this.held.get(s) ?? 0) - 1;
      if (n > 0) this.held.set(s, n);
      else this.held.delete(s);
    }
    this.enforceBounds();
  }

  /** Drop the oldest reports beyond the byte and age bounds; returns how many were dropped. */
  enforceBounds(): number {
    const k = planDrops(this.entries, this.o, this.now(), new Set(this.held.keys()));
    if (k === 0) return 0;
    const gone = this.entries.slice(0, k);
    // Count first (with the highest dropped seq), then delete: a crash in between leaves files that
    // load() deletes without counting them twice.
    this.state.dropped += k;
    this.state.droppedThrough = Math.max(this.state.droppedThrough, gone[k - 1]!.seq);
    this.saveState();
    for (const e of gone) this.unlink(e.seq);
    this.entries = this.entries.slice(k);
    this.o.log.warn('spool full: dropped oldest reports', {
      dropped: k,
      firstSeq: gone[0]!.seq,
      lastSeq: gone[k - 1]!.seq,
      droppedTotal: this.state.dropped,
      maxBytes: this.o.maxBytes,
      maxAgeSeconds: this.o.maxAgeMs / 1000,
    });
    return k;
  }

  /** The body of a spooled report, or undefined when it is gone or corrupt (then quarantined). */
  read(seq: number): Buffer | undefined {
    let buf: Buffer;
    try {
      buf = readFileSync(join(this.dir, recordFileName(seq)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.entries = this.entries.filter((e) => e.seq !== seq);
        return undefined;
      }
      this.quarantine(seq, `unreadable ${join(this.dir, recordFileName(seq))}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
    const rec = decodeRecord(buf);
    if (!rec.ok || rec.record.seq !== seq) {
      this.quarantine(seq, rec.ok ? `seq ${rec.record.seq} in file of seq ${seq}` : rec.reason);
      return undefined;
    }
    return rec.record.body;
  }

  /** The collectors sharing the spool; files are deleted once all of them acknowledged them. */
  setCollectors(names: string[]): void {
    for (const n of names) if (!CURSOR_NAME.test(n)) throw new Error(`invalid spool cursor name '${n}'`);
    this.active = [...names];
    this.collect();
  }

  cursor(name: string): number {
    return this.cursors.get(name) ?? 0;
  }

  /** Record that collector `name` acknowledged everything up to `seq`, durably, then delete what all have. */
  ack(name: string, seq: number): void {
    if (seq <= this.cursor(name)) return;
    writeFileAtomic(join(this.dir, `cursor.${name}.json`), JSON.stringify({ seq }));
    this.cursors.set(name, seq);
    this.collect();
  }

  private collect(): void {
    const through = deletableThrough(this.active.map((n) => this.cursor(n)));
    let k = 0;
    while (k < this.entries.length && this.entries[k]!.seq <= through) {
      this.unlink(this.entries[k]!.seq);
      k++;
    }
    if (k) this.entries = this.entries.slice(k);
  }

  private unlink(seq: number): void {
    try {
      unlinkSync(join(this.dir, recordFileName(seq)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
