import type Database from 'better-sqlite3';
import { newToken, tokenDigest, tokenMatches } from '../../contract/sign.js';
import type { Report } from '../../contract/types.js';
import type { FactGroupRecord } from '../core/component.js';
import { ApiTokens } from './apitokens.js';
import { migrate, openDatabase } from './db.js';
import { DeviceStore } from './devices.js';
import { FactStore } from './facts.js';
import { CORE_MIGRATIONS } from './migrations.js';
import { Receipts, type StreamRow } from './receipts.js';

/**
 * The collector's durable state in SQLite, one module per domain over one database: the node
 * registry and node tokens (here), receipts and streams (`receipts.ts`), facts with provenance and
 * history (`facts.ts`), devices (`devices.ts`), API tokens (`apitokens.ts`); other capabilities
 * migrate their own domains on the same handle. The transaction boundary is ingest's.
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
  /** Highest seq of the node's most recent stream. */
  lastSeq: number;
  reports: number;
  factsAt: number | null;
  /** The node's report streams, newest first (more than one: the agent's state was reset, or two agents share the id). */
  streams: StreamRow[];
}

export interface RecordResult {
  stored: boolean;
  /** The report opened a stream the node had not used before (while it already had one). */
  newStream: boolean;
  changedFacts: FactGroupRecord[];
}

export interface TokenRow {
  id: number;
  node: string;
  createdAt: number;
  revokedAt: number | null;
}

export class Store {
  readonly db: Database.Database;
  readonly receipts: Receipts;
  readonly facts: FactStore;
  readonly devices: DeviceStore;
  readonly apiTokens: ApiTokens;
  private readonly q;

  constructor(dataDir: string) {
    this.db = openDatabase(dataDir);
    const db = this.db;
    // Databases made before per-domain versions hold the core steps as user_version.
    const legacy = db.pragma('user_version', { simple: true }) as number;
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (domain TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    if (legacy > 0) db.prepare("INSERT OR IGNORE INTO schema_migrations (domain, version) VALUES ('core', ?)").run(legacy);
    migrate(db, 'core', CORE_MIGRATIONS);
    this.receipts = new Receipts(db);
    this.facts = new FactStore(db);
    this.devices = new DeviceStore(db);
    this.apiTokens = new ApiTokens(db);
    this.q = {
      tokensOf: db.prepare<[string], { id: number; digest: Buffer }>('SELECT id, digest FROM tokens WHERE node_id = ? AND revoked_at IS NULL'),
      upsertNode: db.prepare(`INSERT INTO nodes (id, site, zone, grade, labels, agent_version, interval, first_seen, last_seen, last_seq, reports)
        VALUES (@id, @site, @zone, @grade, @labels, @agentVersion, @interval, @now, @now, @seq, 1)
        ON CONFLICT(id) DO UPDATE SET site = @site, zone = @zone, grade = @grade, labels = @labels, agent_version = @agentVersion,
          interval = @interval, last_seen = @now, last_seq = @seq, reports = reports + 1`),
      nodes: db.prepare(`SELECT n.*, (SELECT max(collected_at) FROM fact_groups f WHERE f.node_id = n.id) AS facts_at FROM nodes n ORDER BY n.id`),
      seenSig: db.prepare<[string, string, number], { e: number }>(
        'SELECT expires_at AS e FROM seen_signatures WHERE node_id = ? AND signature = ? AND expires_at >= ?',
      ),
      putSig: db.prepare('INSERT OR REPLACE INTO seen_signatures (node_id, signature, expires_at) VALUES (?, ?, ?)'),
      pruneSigs: db.prepare('DELETE FROM seen_signatures WHERE expires_at < ?'),
    };
  }

  /** True when the node has at least one active token. */
  isEnrolled(node: string): boolean {
    return this.q.tokensOf.all(node).length > 0;
  }

  /** Whether `token` is an active token of `node`. */
  authenticate(node: string, token: string): boolean {
    return this.q.tokensOf.all(node).some((t) => tokenMatches(token, t.digest));
  }

  /**
   * Store a report's bookkeeping atomically (receipt, node, facts, devices); `stored` false when
   * (node, stream, seq) was already accepted. `sourceUp` tells whether a source's last run succeeded.
   */
  recordReport(r: Report, receivedAt: number, sourceUp: (source: string) => boolean | undefined = () => undefined): RecordResult {
    return this.db.transaction((): RecordResult => {
      const stream = r.stream ?? '';
      if (this.receipts.seen(r.node.id, stream, r.seq)) return { stored: false, newStream: false, changedFacts: [] };
      const known = this.receipts.streams(r.node.id).length > 0;
      const fresh = this.receipts.record(r.node.id, stream, r.seq, r.sentAt, receivedAt, r.samples.length);
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
      const changedFacts = r.facts ? this.facts.put(r, receivedAt, sourceUp) : [];
      if (r.facts) this.devices.put(r, receivedAt);
      return { stored: true, newStream: fresh && known, changedFacts };
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

  nodes(): NodeRow[] {
    return (this.q.nodes.all() as Record<string, unknown>[])
      .map((r) => ({
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
        streams: this.receipts.streams(r.id as string),
      }))
      .map((n) => ({ ...n, lastSeq: n.streams[0]?.highSeq ?? n.lastSeq }));
  }

  /** The node's latest facts, one entry per group, with the newest collection time. */
  latestFacts(node: string): { facts: Record<string, unknown>; collectedAt: number; groups: Omit<FactGroupRecord, 'value'>[] } | undefined {
    const groups = this.facts.ofNode(node);
    if (!groups) return undefined;
    return {
      facts: Object.fromEntries(groups.map((g) => [g.group, g.value])),
      collectedAt: Math.max(...groups.map((g) => g.collectedAt)),
      groups: groups.map(({ value: _v, ...g }) => g),
    };
  }

  /** Sequence numbers stored for a node (kept receipts), ascending. */
  seqs(node: string): number[] {
    return this.receipts.seqs(node);
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
