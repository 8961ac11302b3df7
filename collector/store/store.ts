import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newToken, tokenDigest, tokenMatches } from '../../contract/sign.js';
import type { Report } from '../../contract/types.js';

/**
 * The collector's durable state in SQLite (WAL, synchronous=FULL: an acknowledged report survives a
 * crash or power loss). Node registry, token digests (never tokens), received report sequence
 * numbers, latest facts per node.
 */
export interface NodeRow {
  id: string;
  site: string;
  zone: string;
  grade: number;
  labels: Record<string, string>;
  agentVersion: string;
  interval: number;
  firstSeen: number;
  lastSeen: number;
  lastSeq: number;
  reports: number;
  factsAt: number | null;
}

export interface TokenRow {
  id: number;
  node: string;
  createdAt: number;
  revokedAt: number | null;
}

const MIGRATIONS = [
  `CREATE TABLE nodes (
     id TEXT PRIMARY KEY, site TEXT NOT NULL, zone TEXT NOT NULL, grade INTEGER NOT NULL, labels TEXT NOT NULL,
     agent_version TEXT NOT NULL, interval REAL NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
     last_seq INTEGER NOT NULL, reports INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE tokens (
     id INTEGER PRIMARY KEY, node_id TEXT NOT NULL, digest BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER);
   CREATE INDEX tokens_node ON tokens(node_id);
   CREATE TABLE reports (
     node_id TEXT NOT NULL, seq INTEGER NOT NULL, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL, samples INTEGER NOT NULL,
     PRIMARY KEY (node_id, seq)) WITHOUT ROWID;
   CREATE TABLE facts (node_id TEXT PRIMARY KEY, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL, json TEXT NOT NULL);`,
  // Replay protection: signatures seen while their timestamp is inside the accepted window.
  `CREATE TABLE seen_signatures (node_id TEXT NOT NULL, signature TEXT NOT NULL, expires_at INTEGER NOT NULL,
     PRIMARY KEY (node_id, signature)) WITHOUT ROWID;
   CREATE INDEX seen_signatures_expiry ON seen_signatures(expires_at);`,
];

export class Store {
  readonly db: Database.Database;
  private readonly q;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'collector.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const db = this.db;
    this.q = {
      tokensOf: db.prepare<[string], { id: number; digest: Buffer }>('SELECT id, digest FROM tokens WHERE node_id = ? AND revoked_at IS NULL'),
      hasReport: db.prepare<[string, number], { seq: number }>('SELECT seq FROM reports WHERE node_id = ? AND seq = ?'),
      insertReport: db.prepare('INSERT INTO reports (node_id, seq, sent_at, received_at, samples) VALUES (?, ?, ?, ?, ?)'),
      upsertNode: db.prepare(`INSERT INTO nodes (id, site, zone, grade, labels, agent_version, interval, first_seen, last_seen, last_seq, reports)
        VALUES (@id, @site, @zone, @grade, @labels, @agentVersion, @interval, @now, @now, @seq, 1)
        ON CONFLICT(id) DO UPDATE SET site = @site, zone = @zone, grade = @grade, labels = @labels, agent_version = @agentVersion,
          interval = @interval, last_seen = @now, last_seq = max(last_seq, @seq), reports = reports + 1`),
      upsertFacts: db.prepare(`INSERT INTO facts (node_id, sent_at, received_at, json) VALUES (?, ?, ?, ?)
        ON CONFLICT(node_id) DO UPDATE SET sent_at = excluded.sent_at, received_at = excluded.received_at, json = excluded.json
        WHERE excluded.sent_at >= facts.sent_at`),
      nodes: db.prepare(`SELECT n.*, f.sent_at AS facts_at FROM nodes n LEFT JOIN facts f ON f.node_id = n.id ORDER BY n.id`),
      facts: db.prepare<[string], { json: string; sent_at: number }>('SELECT json, sent_at FROM facts WHERE node_id = ?'),
      seqs: db.prepare<[string], { seq: number }>('SELECT seq FROM reports WHERE node_id = ? ORDER BY seq'),
      seenSig: db.prepare<[string, string, number], { e: number }>('SELECT expires_at AS e FROM seen_signatures WHERE node_id = ? AND signature = ? AND expires_at >= ?'),
      putSig: db.prepare('INSERT OR REPLACE INTO seen_signatures (node_id, signature, expires_at) VALUES (?, ?, ?)'),
      pruneSigs: db.prepare('DELETE FROM seen_signatures WHERE expires_at < ?'),
    };
  }

  private migrate(): void {
    const v = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = v; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  /** True when the node has at least one active token. */
  isEnrolled(node: string): boolean {
    return this.q.tokensOf.all(node).length > 0;
  }

  /** Whether `token` is an active token of `node`. */
  authenticate(node: string, token: string): boolean {
    return this.q.tokensOf.all(node).some((t) => tokenMatches(token, t.digest));
  }

  /** Store a report's bookkeeping atomically; false when (node, seq) was already stored. */
  recordReport(r: Report, receivedAt: number): boolean {
    return this.db.transaction(() => {
      if (this.q.hasReport.get(r.node.id, r.seq)) return false;
      this.q.insertReport.run(r.node.id, r.seq, r.sentAt, receivedAt, r.samples.length);
      this.q.upsertNode.run({
        id: r.node.id,
        site: r.node.site,
        zone: r.node.zone,
        grade: r.node.grade,
        labels: JSON.stringify(r.node.labels),
        agentVersion: r.agent.version,
        interval: r.agent.interval,
        now: receivedAt,
        seq: r.seq,
      });
      if (r.facts) this.q.upsertFacts.run(r.node.id, r.sentAt, receivedAt, JSON.stringify(r.facts));
      return true;
    })();
  }

  private sigWrites = 0;

  /**
   * Replay protection: remember a signature until `expiresAt`; false when it is already remembered (a
   * replayed request). Survives restarts. Expired entries are pruned every 256 writes.
   */
  rememberSignature(node: string, signature: string, expiresAt: number, now: number): boolean {
    return this.db.transaction(() => {
      if (this.q.seenSig.get(node, signature, now)) return false;
      this.q.putSig.run(node, signature, expiresAt);
      if (++this.sigWrites % 256 === 0) this.q.pruneSigs.run(now);
      return true;
    })();
  }

  /** Received-at times of a node's reports, ascending by seq (for delivery checks). */
  receipts(node: string): { seq: number; receivedAt: number }[] {
    return (this.db.prepare('SELECT seq, received_at FROM reports WHERE node_id = ? ORDER BY seq').all(node) as { seq: number; received_at: number }[]).map((r) => ({
      seq: r.seq,
      receivedAt: r.received_at,
    }));
  }

  nodes(): NodeRow[] {
    return (this.q.nodes.all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as string,
      site: r.site as string,
      zone: r.zone as string,
      grade: r.grade as number,
      labels: JSON.parse(r.labels as string),
      agentVersion: r.agent_version as string,
      interval: r.interval as number,
      firstSeen: r.first_seen as number,
      lastSeen: r.last_seen as number,
      lastSeq: r.last_seq as number,
      reports: r.reports as number,
      factsAt: (r.facts_at as number | null) ?? null,
    }));
  }

  facts(node: string): { facts: Record<string, unknown>; sentAt: number } | undefined {
    const r = this.q.facts.get(node);
    return r ? { facts: JSON.parse(r.json), sentAt: r.sent_at } : undefined;
  }

  /** Sequence numbers stored for a node, ascending. */
  seqs(node: string): number[] {
    return this.q.seqs.all(node).map((r) => r.seq);
  }

  /** Create a token for a node; the token is returned once and only its digest is stored. */
  createToken(node: string, now = Date.now()): string {
    const token = newToken();
    this.db.prepare('INSERT INTO tokens (node_id, digest, created_at) VALUES (?, ?, ?)').run(node, tokenDigest(token), now);
    return token;
  }

  tokens(node?: string): TokenRow[] {
    const rows = this.db
      .prepare(`SELECT id, node_id, created_at, revoked_at FROM tokens ${node ? 'WHERE node_id = ?' : ''} ORDER BY node_id, id`)
      .all(...(node ? [node] : [])) as { id: number; node_id: string; created_at: number; revoked_at: number | null }[];
    return rows.map((r) => ({ id: r.id, node: r.node_id, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /** Revoke every active token of a node; returns how many. */
  revokeTokens(node: string, now = Date.now()): number {
    return this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE node_id = ? AND revoked_at IS NULL').run(now, node).changes;
  }

  close(): void {
    this.db.close();
  }
}
