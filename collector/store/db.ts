import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The collector's one SQLite database (WAL, synchronous=FULL: an acknowledged report survives a crash
 * or power loss). The data directory is 0700 and the files 0600: token digests are HMAC keys.
 */
export function openDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const file = join(dataDir, 'collector.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  return db;
}

/**
 * Per-domain migrations: each domain (nodes, receipts, facts, audit, alerts, …) owns an ordered list of
 * SQL steps, applied once each, in a transaction per step. Versions live in `schema_migrations`, so
 * domains evolve independently. Keep the SQL portable (PostgreSQL is on the roadmap).
 */
export function migrate(db: Database.Database, domain: string, steps: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (domain TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const row = db.prepare<[string], { version: number }>('SELECT version FROM schema_migrations WHERE domain = ?').get(domain);
  for (let i = row?.version ?? 0; i < steps.length; i++) {
    db.transaction(() => {
      db.exec(steps[i]!);
      db.prepare('INSERT INTO schema_migrations (domain, version) VALUES (?, ?) ON CONFLICT(domain) DO UPDATE SET version = excluded.version').run(
        domain,
        i + 1,
      );
    })();
  }
}
