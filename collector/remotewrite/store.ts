import type Database from 'better-sqlite3';
import { migrate } from '../store/db.js';
import { decodeWriteRequest, encodeWriteRequest, fnv1a, type Labels, seriesKey, type WireIdentity, type WireSample, type WireSeries } from './wire.js';

/**
 * The durable queue: one segment row per appended report (its samples as a WriteRequest, grouped by
 * series), shared by every endpoint, and per endpoint and shard a cursor `(segment, offset)`: the shard
 * has been acknowledged everything it owns in segments before `segment` and the first `offset` of its
 * samples in `segment`. A segment every cursor has passed is deleted.
 */
const STEPS = [
  `CREATE TABLE remotewrite_segments (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     created_at INTEGER NOT NULL,
     samples INTEGER NOT NULL,
     data BLOB NOT NULL
   )`,
  `CREATE TABLE remotewrite_cursors (
     endpoint TEXT NOT NULL,
     shard INTEGER NOT NULL,
     shards INTEGER NOT NULL,
     segment INTEGER NOT NULL,
     "offset" INTEGER NOT NULL,
     PRIMARY KEY (endpoint, shard)
   )`,
  // the backlog cap (queue.maxBacklogBytes) sums segment sizes without reading the blobs
  'ALTER TABLE remotewrite_segments ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0',
  'UPDATE remotewrite_segments SET bytes = length(data)',
];

export interface Cursor {
  segment: number;
  offset: number;
}

/** A segment decoded, with each series' key and hash (the samples are the report's own objects, not copied). */
export interface Segment {
  id: number;
  count: number;
  series: { key: string; hash: number; labels: Labels; labelBytes?: Uint8Array; samples: readonly WireSample[] }[];
}

export function segmentFrom(id: number, series: readonly (WireSeries & { id?: WireIdentity })[]): Segment {
  let count = 0;
  const out: Segment['series'] = [];
  for (const s of series) {
    if (s.id) out.push({ key: s.id.key, hash: s.id.hash, labels: s.labels, labelBytes: s.id.labelBytes, samples: s.samples });
    else {
      const key = seriesKey(s.labels);
      out.push({ key, hash: fnv1a(key), labels: s.labels, samples: s.samples });
    }
    count += s.samples.length;
  }
  return { id, count, series: out };
}

export class SegmentStore {
  private readonly insert;
  private readonly readFrom;
  private readonly maxIdStmt;
  private readonly upsertCursor;
  private readonly pendingFrom;
  private readonly pendingBetween;
  private readonly bytesFrom;
  private readonly sizesFrom;
  private readonly firstFrom;

  /** the connection's synchronous level (the collector's: 2 = FULL) */
  private readonly sync: number;

  constructor(private readonly db: Database.Database) {
    migrate(db, 'remotewrite', STEPS);
    this.sync = Number(db.pragma('synchronous', { simple: true }));
    this.insert = db.prepare<[number, number, Buffer, number]>('INSERT INTO remotewrite_segments (created_at, samples, data, bytes) VALUES (?, ?, ?, ?)');
    this.readFrom = db.prepare<[number, number], { id: number; data: Buffer }>('SELECT id, data FROM remotewrite_segments WHERE id >= ? ORDER BY id LIMIT ?');
    // AUTOINCREMENT: ids never come back after the newest segments were deleted (cursors point past them).
    this.maxIdStmt = db.prepare<[], { id: number | null }>("SELECT seq AS id FROM sqlite_sequence WHERE name = 'remotewrite_segments'");
    this.upsertCursor = db.prepare<[string, number, number, number, number]>(
      'INSERT INTO remotewrite_cursors (endpoint, shard, shards, segment, "offset") VALUES (?, ?, ?, ?, ?) ON CONFLICT(endpoint, shard) DO UPDATE SET shards = excluded.shards, segment = excluded.segment, "offset" = excluded."offset"',
    );
    this.pendingFrom = db.prepare<[number], { n: number | null }>('SELECT SUM(samples) AS n FROM remotewrite_segments WHERE id >= ?');
    this.pendingBetween = db.prepare<[number, number], { n: number | null }>('SELECT SUM(samples) AS n FROM remotewrite_segments WHERE id >= ? AND id < ?');
    this.bytesFrom = db.prepare<[number], { n: number | null }>('SELECT SUM(bytes) AS n FROM remotewrite_segments WHERE id >= ?');
    this.firstFrom = db.prepare<[number], { id: number }>('SELECT id FROM remotewrite_segments WHERE id >= ? ORDER BY id LIMIT 1');
    this.sizesFrom = db.prepare<[number], { id: number; bytes: number }>('SELECT id, bytes FROM remotewrite_segments WHERE id >= ? ORDER BY id');
  }

  /** Persist one segment (grouped by series, per-series order kept); returns it decoded-equivalent. */
  append(series: readonly (WireSeries & { id?: WireIdentity })[], now: number): Segment {
    let count = 0;
    for (const s of series) count += s.samples.length;
    const data = Buffer.from(encodeWriteRequest(series));
    const id = Number(this.insert.run(now, count, data, data.length).lastInsertRowid);
    return segmentFrom(id, series);
  }

  read(fromId: number, limit: number): Segment[] {
    return this.readFrom.all(fromId, limit).map((r) => segmentFrom(r.id, decodeWriteRequest(r.data)));
  }

  /** The id of the first stored segment at or after `id`, if any. */
  firstIdFrom(id: number): number | undefined {
    return this.firstFrom.get(id)?.id;
  }

  /** The id the next segment will get (ids only grow). */
  nextId(): number {
    return (this.maxIdStmt.get()?.id ?? 0) + 1;
  }

  samplesFrom(id: number): number {
    return this.pendingFrom.get(id)?.n ?? 0;
  }

  /** Samples in segments `from ≤ id < to`. */
  samplesBetween(from: number, to: number): number {
    return to > from ? (this.pendingBetween.get(from, to)?.n ?? 0) : 0;
  }

  /** Bytes of the segments from `id` on (the backlog of a queue whose oldest position is `id`). */
  backlogBytes(id: number): number {
    return this.bytesFrom.get(id)?.n ?? 0;
  }

  /**
   * The backlog from `from` on in bytes, and the first segment id that brings it within `cap`: `from`
   * itself when it already fits, else the oldest id whose suffix is ≤ cap (the segments before it
   * are what falls off). `cap` 0: no cap.
   */
  backlog(from: number, cap: number): { bytes: number; cutoff: number } {
    const bytes = this.backlogBytes(from);
    if (cap <= 0 || bytes <= cap) return { bytes, cutoff: from };
    let left = bytes;
    for (const r of this.sizesFrom.iterate(from)) {
      if (left <= cap) return { bytes, cutoff: r.id };
      left -= r.bytes;
    }
    return { bytes, cutoff: this.nextId() };
  }

  /** The shard count an endpoint's saved positions were written for (undefined: none or inconsistent). */
  shardCount(endpoint: string): number | undefined {
    const rows = this.db
      .prepare<[string], { shard: number; shards: number }>('SELECT shard, shards FROM remotewrite_cursors WHERE endpoint = ? ORDER BY shard')
      .all(endpoint);
    const n = rows[0]?.shards;
    return n !== undefined && rows.length === n && rows.every((r, i) => r.shards === n && r.shard === i) ? n : undefined;
  }

  /** Replace an endpoint's positions by `shards` positions at `c` (after a reshard: every old shard acknowledged everything before `c`). */
  replaceCursors(endpoint: string, shards: number, c: Cursor): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM remotewrite_cursors WHERE endpoint = ?').run(endpoint);
      for (let i = 0; i < shards; i++) this.upsertCursor.run(endpoint, i, shards, c.segment, c.offset);
    })();
  }

  /**
   * The cursors of an endpoint for `shards` shards. A new endpoint starts at the next segment (it is
   * not sent history). When the shard count changed, every shard restarts at the oldest stored
   * position with offset 0 (at-least-once: already sent samples may be sent again).
   */
  cursors(endpoint: string, shards: number): { cursors: Cursor[]; resharded: boolean } {
    const rows = this.db
      .prepare<[string], { shard: number; shards: number; segment: number; offset: number }>(
        'SELECT shard, shards, segment, "offset" AS offset FROM remotewrite_cursors WHERE endpoint = ? ORDER BY shard',
      )
      .all(endpoint);
    if (rows.length === shards && rows.every((r, i) => r.shards === shards && r.shard === i)) {
      return { cursors: rows.map((r) => ({ segment: r.segment, offset: r.offset })), resharded: false };
    }
    const start = rows.length ? Math.min(...rows.map((r) => r.segment)) : this.nextId();
    const cursors = Array.from({ length: shards }, () => ({ segment: start, offset: 0 }));
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM remotewrite_cursors WHERE endpoint = ?').run(endpoint);
      cursors.forEach((c, i) => {
        this.upsertCursor.run(endpoint, i, shards, c.segment, c.offset);
      });
    })();
    return { cursors, resharded: rows.length > 0 };
  }

  /**
   * The position after an acknowledged request, saved without an fsync of its own (synchronous=NORMAL
   * for this one commit; in WAL mode that survives a process crash, and the next report's FULL commit
   * makes it durable on disk too). Power loss right after may lose the newest positions: those
   * acknowledged samples are sent again, identical. Saves one fsync per request.
   */
  saveCursor(endpoint: string, shard: number, shards: number, c: Cursor): void {
    const relax = this.sync > 1;
    if (relax) this.db.pragma('synchronous = NORMAL');
    try {
      this.upsertCursor.run(endpoint, shard, shards, c.segment, c.offset);
    } finally {
      if (relax) this.db.pragma(`synchronous = ${this.sync}`);
    }
  }

  saveCursors(endpoint: string, shards: number, cs: readonly (Cursor | undefined)[]): void {
    this.db.transaction(() => {
      cs.forEach((c, i) => {
        if (c) this.upsertCursor.run(endpoint, i, shards, c.segment, c.offset);
      });
    })();
  }

  /** Forget endpoints no longer configured (their positions would hold segments forever). */
  retainEndpoints(names: readonly string[]): void {
    const keep = new Set(names);
    const all = this.db.prepare<[], { endpoint: string }>('SELECT DISTINCT endpoint FROM remotewrite_cursors').all();
    const del = this.db.prepare('DELETE FROM remotewrite_cursors WHERE endpoint = ?');
    for (const r of all) if (!keep.has(r.endpoint)) del.run(r.endpoint);
  }

  /** Delete segments every cursor has fully passed; with no endpoint at all, every segment. Returns rows deleted. */
  compact(): number {
    const min = this.db.prepare<[], { m: number | null; n: number }>('SELECT MIN(segment) AS m, COUNT(*) AS n FROM remotewrite_cursors').get();
    if (!min || min.n === 0) return this.db.prepare('DELETE FROM remotewrite_segments').run().changes;
    return this.db.prepare('DELETE FROM remotewrite_segments WHERE id < ?').run(min.m).changes;
  }
}
