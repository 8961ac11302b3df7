/**
 * MlpsStore: MLPS results, their history (since when each check passes or fails) and exceptions
 * (整改中 / accepted risk) in the collector's SQLite database. Given an open better-sqlite3
 * `Database`; creates its tables if absent (plain SQL, portable to PostgreSQL). Who set an exception
 * is stored with it; writing the audit log entry is the caller's (api/ → audit/).
 */
import type Database from 'better-sqlite3';
import type { CheckResult, EvidenceItem, Status, TargetEvaluation } from './evaluate.js';
import type { Grade } from './pack.js';
import type { ReportException } from './report/model.js';

export const MLPS_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS mlps_results (
    node TEXT NOT NULL, grade INTEGER NOT NULL, check_id TEXT NOT NULL, clause TEXT NOT NULL,
    status TEXT NOT NULL, since TEXT NOT NULL, evaluated_at TEXT NOT NULL, collected_at TEXT,
    reason TEXT, evidence TEXT NOT NULL, pack_version TEXT NOT NULL,
    PRIMARY KEY (node, grade, check_id))`,
  `CREATE TABLE IF NOT EXISTS mlps_history (
    node TEXT NOT NULL, grade INTEGER NOT NULL, check_id TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS mlps_history_node ON mlps_history (node, check_id, at)',
  `CREATE TABLE IF NOT EXISTS mlps_exceptions (
    node TEXT NOT NULL, check_id TEXT NOT NULL, until TEXT NOT NULL, reason TEXT NOT NULL,
    set_by TEXT NOT NULL, set_at TEXT NOT NULL, PRIMARY KEY (node, check_id))`,
];

export interface StoredResult extends CheckResult {
  node: string;
  grade: Grade;
  /** Since when the check has had this status (the evaluation that first gave it). */
  since: string;
  evaluatedAt: string;
  packVersion: string;
}

export interface StatusChange {
  check: string;
  from: Status | null;
  to: Status;
}

export class MlpsStore {
  private readonly q;

  constructor(private readonly db: Database.Database) {
    for (const s of MLPS_SCHEMA) db.exec(s);
    this.q = {
      current: db.prepare<[string, number], { check_id: string; status: Status; since: string }>(
        'SELECT check_id, status, since FROM mlps_results WHERE node = ? AND grade = ?',
      ),
      upsert: db.prepare(
        `INSERT INTO mlps_results (node, grade, check_id, clause, status, since, evaluated_at, collected_at, reason, evidence, pack_version)
         VALUES (@node, @grade, @check, @clause, @status, @since, @evaluatedAt, @collectedAt, @reason, @evidence, @packVersion)
         ON CONFLICT (node, grade, check_id) DO UPDATE SET clause = excluded.clause, status = excluded.status, since = excluded.since,
           evaluated_at = excluded.evaluated_at, collected_at = excluded.collected_at, reason = excluded.reason, evidence = excluded.evidence, pack_version = excluded.pack_version`,
      ),
      history: db.prepare('INSERT INTO mlps_history (node, grade, check_id, status, at) VALUES (?, ?, ?, ?, ?)'),
      dropGone: db.prepare('DELETE FROM mlps_results WHERE node = ? AND grade = ? AND check_id = ?'),
      results: db.prepare<[string], Row>('SELECT * FROM mlps_results WHERE node = ? ORDER BY grade, rowid'),
      historyOf: db.prepare<[string, string], { status: Status; at: string; grade: number }>(
        'SELECT status, at, grade FROM mlps_history WHERE node = ? AND check_id = ? ORDER BY at, rowid',
      ),
      setException: db.prepare(
        `INSERT INTO mlps_exceptions (node, check_id, until, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (node, check_id) DO UPDATE SET until = excluded.until, reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at`,
      ),
      removeException: db.prepare('DELETE FROM mlps_exceptions WHERE node = ? AND check_id = ?'),
      exceptions: db.prepare<[string], { node: string; check_id: string; until: string; reason: string; set_by: string }>(
        'SELECT node, check_id, until, reason, set_by FROM mlps_exceptions WHERE until >= ? ORDER BY node, check_id',
      ),
      removeNode: [db.prepare('DELETE FROM mlps_results WHERE node = ?'), db.prepare('DELETE FROM mlps_exceptions WHERE node = ?')],
    };
  }

  /**
   * Stores a target's evaluation in one transaction: each result (its `since` kept while the status
   * stays), a history row for every status change, results of checks no longer in the pack removed.
   * Returns the changes (from null = first seen).
   */
  record(e: TargetEvaluation): StatusChange[] {
    const tx = this.db.transaction(() => {
      const before = new Map(this.q.current.all(e.target.id, e.grade).map((r) => [r.check_id, r]));
      const changes: StatusChange[] = [];
      for (const r of e.results) {
        const b = before.get(r.check);
        before.delete(r.check);
        const changed = !b || b.status !== r.status;
        if (changed) {
          changes.push({ check: r.check, from: b?.status ?? null, to: r.status });
          this.q.history.run(e.target.id, e.grade, r.check, r.status, e.evaluatedAt);
        }
        this.q.upsert.run({
          node: e.target.id,
          grade: e.grade,
          check: r.check,
          clause: r.clause,
          status: r.status,
          since: changed ? e.evaluatedAt : b!.since,
          evaluatedAt: e.evaluatedAt,
          collectedAt: r.collectedAt,
          reason: r.reason ?? null,
          evidence: JSON.stringify(r.evidence),
          packVersion: e.pack.version,
        });
      }
      for (const gone of before.keys()) this.q.dropGone.run(e.target.id, e.grade, gone);
      return changes;
    });
    return tx();
  }

  /** The stored results of a node, with since when each has had its status. */
  results(node: string): StoredResult[] {
    return this.q.results.all(node).map((r) => ({
      node: r.node,
      grade: r.grade as Grade,
      check: r.check_id,
      clause: r.clause,
      status: r.status as Status,
      since: r.since,
      evaluatedAt: r.evaluated_at,
      collectedAt: r.collected_at,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      evidence: JSON.parse(r.evidence) as EvidenceItem[],
      packVersion: r.pack_version,
    }));
  }

  /** Status changes of one check on a node, oldest first. */
  history(node: string, check: string): { status: Status; at: string; grade: Grade }[] {
    return this.q.historyOf.all(node, check).map((h) => ({ ...h, grade: h.grade as Grade }));
  }

  /** Marks a (failing) check on a node as accepted until a date (YYYY-MM-DD), with the reason and who. */
  setException(x: ReportException, now: Date): void {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(x.until)) throw new Error(`until: ${x.until}: expected a date YYYY-MM-DD`);
    if (!x.reason.trim()) throw new Error('reason: required');
    if (!x.by.trim()) throw new Error('by: required');
    this.q.setException.run(x.target, x.check, x.until, x.reason, x.by, now.toISOString());
  }

  removeException(node: string, check: string): boolean {
    return this.q.removeException.run(node, check).changes > 0;
  }

  /** Exceptions still valid on a day (YYYY-MM-DD, default today). */
  exceptions(day = new Date().toISOString().slice(0, 10)): ReportException[] {
    return this.q.exceptions.all(day).map((x) => ({ target: x.node, check: x.check_id, until: x.until, reason: x.reason, by: x.set_by }));
  }

  /** A node removed from the fleet: its results and exceptions (history stays for the record). */
  removeNode(node: string): void {
    for (const s of this.q.removeNode) s.run(node);
  }
}

interface Row {
  node: string;
  grade: number;
  check_id: string;
  clause: string;
  status: string;
  since: string;
  evaluated_at: string;
  collected_at: string | null;
  reason: string | null;
  evidence: string;
  pack_version: string;
}
