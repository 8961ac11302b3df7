import type Database from 'better-sqlite3';
import { migrate } from '../store/db.js';

/**
 * Append-only audit log of every state-changing action (MLPS 8.1.5: a management centre records who
 * did what, when, from where, with what outcome). Rows are never updated; retention prunes whole rows
 * older than `retentionDays`.
 */
export interface AuditEntry {
  id: number;
  /** ms */
  at: number;
  /** API token name, `cli:<user>` for local commands, `system` for the collector itself. */
  actor: string;
  /** Source address, or `local`. */
  remote: string;
  /** Dotted verb, e.g. `api_token.create`, `config.reload`, `alert.claim`, `silence.create`. */
  action: string;
  target: string;
  outcome: 'success' | 'denied' | 'failure';
  /** Free JSON detail (never secrets). */
  detail?: Record<string, unknown>;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at'> & { at?: number };

export interface AuditQuery {
  since?: number;
  until?: number;
  action?: string;
  actor?: string;
  limit?: number;
  /** Entries with id below this (paging backwards). */
  before?: number;
}

export interface Audit {
  record(e: AuditInput): void;
  query(q?: AuditQuery): AuditEntry[];
  prune(now: number, retentionDays: number): number;
}

export class SqliteAudit implements Audit {
  private readonly ins;
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'audit', [
      `CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, remote TEXT NOT NULL,
         action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT);
       CREATE INDEX audit_log_at ON audit_log(at);`,
    ]);
    this.ins = db.prepare('INSERT INTO audit_log (at, actor, remote, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  record(e: AuditInput): void {
    this.ins.run(e.at ?? this.now(), e.actor, e.remote, e.action, e.target, e.outcome, e.detail ? JSON.stringify(e.detail) : null);
  }

  query(q: AuditQuery = {}): AuditEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (sql: string, v: string | number | undefined) => {
      if (v === undefined || v === '') return;
      where.push(sql);
      args.push(v);
    };
    add('at >= ?', q.since);
    add('at <= ?', q.until);
    add('action = ?', q.action);
    add('actor = ?', q.actor);
    add('id < ?', q.before);
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    const rows = this.db
      .prepare(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`)
      .all(...args) as {
      id: number;
      at: number;
      actor: string;
      remote: string;
      action: string;
      target: string;
      outcome: AuditEntry['outcome'];
      detail: string | null;
    }[];
    return rows.map((r) => ({ ...r, detail: r.detail ? JSON.parse(r.detail) : undefined }));
  }

  prune(now: number, retentionDays: number): number {
    return this.db.prepare('DELETE FROM audit_log WHERE at < ?').run(now - retentionDays * 86_400_000).changes;
  }
}
