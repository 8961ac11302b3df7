import type Database from 'better-sqlite3';

/** A report's sequence stream as the collector knows it. */
export interface StreamRow {
  node: string;
  stream: string;
  firstSeen: number;
  lastSeen: number;
  highSeq: number;
  reports: number;
}

/**
 * Receipts of accepted reports, keyed by (node, stream, seq), kept `retentionDays`. A stream's
 * high-water seq and its highest pruned seq survive pruning, so a resend of a pruned report is still
 * a duplicate.
 */
export class Receipts {
  private readonly q;
  constructor(private readonly db: Database.Database) {
    this.q = {
      has: db.prepare<[string, string, number], { seq: number }>('SELECT seq FROM receipts WHERE node_id = ? AND stream = ? AND seq = ?'),
      pruned: db.prepare<[string, string], { p: number }>('SELECT pruned_seq AS p FROM streams WHERE node_id = ? AND stream = ?'),
      insert: db.prepare('INSERT INTO receipts (node_id, stream, seq, sent_at, received_at, samples) VALUES (?, ?, ?, ?, ?, ?)'),
      upsertStream: db.prepare(`INSERT INTO streams (node_id, stream, first_seen, last_seen, high_seq, reports) VALUES (@node, @stream, @now, @now, @seq, 1)
        ON CONFLICT(node_id, stream) DO UPDATE SET last_seen = max(last_seen, @now), high_seq = max(high_seq, @seq), reports = reports + 1`),
      streams: db.prepare<[string], Record<string, unknown>>('SELECT * FROM streams WHERE node_id = ? ORDER BY last_seen DESC'),
      allStreams: db.prepare<[], Record<string, unknown>>('SELECT * FROM streams ORDER BY node_id, last_seen DESC'),
      seqs: db.prepare<[string], { seq: number }>('SELECT seq FROM receipts WHERE node_id = ? ORDER BY stream, seq'),
    };
  }

  /** Whether (node, stream, seq) was already accepted (also when its receipt has been pruned). */
  seen(node: string, stream: string, seq: number): boolean {
    if (this.q.has.get(node, stream, seq)) return true;
    const p = this.q.pruned.get(node, stream);
    return p !== undefined && seq <= p.p;
  }

  /** Record an accepted report; returns whether it opened a new stream for the node. */
  record(node: string, stream: string, seq: number, sentAt: number, receivedAt: number, samples: number): boolean {
    const fresh = this.q.pruned.get(node, stream) === undefined;
    this.q.insert.run(node, stream, seq, sentAt, receivedAt, samples);
    this.q.upsertStream.run({ node, stream, now: receivedAt, seq });
    return fresh;
  }

  streams(node?: string): StreamRow[] {
    const rows = node ? this.q.streams.all(node) : this.q.allStreams.all();
    return rows.map((r) => ({
      node: r.node_id as string,
      stream: r.stream as string,
      firstSeen: r.first_seen as number,
      lastSeen: r.last_seen as number,
      highSeq: r.high_seq as number,
      reports: r.reports as number,
    }));
  }

  /** Sequence numbers of a node's kept receipts (all streams), ascending per stream. */
  seqs(node: string): number[] {
    return this.q.seqs.all(node).map((r) => r.seq);
  }

  /** Delete receipts received before `before`; the streams' pruned marks rise accordingly. */
  prune(before: number): number {
    return this.db.transaction(() => {
      this.db
        .prepare(`UPDATE streams SET pruned_seq = max(pruned_seq, (SELECT max(seq) FROM receipts r
          WHERE r.node_id = streams.node_id AND r.stream = streams.stream AND r.received_at < ?))
          WHERE EXISTS (SELECT 1 FROM receipts r WHERE r.node_id = streams.node_id AND r.stream = streams.stream AND r.received_at < ?)`)
        .run(before, before);
      return this.db.prepare('DELETE FROM receipts WHERE received_at < ?').run(before).changes;
    })();
  }
}
