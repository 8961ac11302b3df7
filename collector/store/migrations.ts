/**
 * The core domains' migrations (nodes, tokens, receipts, facts, devices, API tokens), applied by
 * `migrate(db, 'core', CORE_MIGRATIONS)`. Steps 1–2 predate per-domain versions (they were
 * `PRAGMA user_version` 1–2, taken over on first open). Never edit a step: append one.
 */
export const CORE_MIGRATIONS = [
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
  `CREATE TABLE seen_signatures (node_id TEXT NOT NULL, signature TEXT NOT NULL, expires_at INTEGER NOT NULL,
     PRIMARY KEY (node_id, signature)) WITHOUT ROWID;
   CREATE INDEX seen_signatures_expiry ON seen_signatures(expires_at);`,
  // Receipts per (node, stream, seq) with retention; each stream keeps its high-water seq and the
  // highest pruned seq, so dedup holds after old receipts are deleted.
  `CREATE TABLE receipts (node_id TEXT NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL, sent_at INTEGER NOT NULL,
     received_at INTEGER NOT NULL, samples INTEGER NOT NULL, PRIMARY KEY (node_id, stream, seq)) WITHOUT ROWID;
   CREATE INDEX receipts_received ON receipts(received_at);
   INSERT INTO receipts SELECT node_id, '', seq, sent_at, received_at, samples FROM reports;
   CREATE TABLE streams (node_id TEXT NOT NULL, stream TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
     high_seq INTEGER NOT NULL, pruned_seq INTEGER NOT NULL DEFAULT 0, reports INTEGER NOT NULL, PRIMARY KEY (node_id, stream)) WITHOUT ROWID;
   INSERT INTO streams SELECT node_id, '', min(received_at), max(received_at), max(seq), 0, count(*) FROM reports GROUP BY node_id;
   DROP TABLE reports;`,
  // Facts by group with provenance, and their history (a row per change).
  `CREATE TABLE fact_groups (node_id TEXT NOT NULL, grp TEXT NOT NULL, digest TEXT NOT NULL, json TEXT NOT NULL,
     collected_at INTEGER NOT NULL, received_at INTEGER NOT NULL, changed_at INTEGER NOT NULL, source TEXT NOT NULL,
     status TEXT NOT NULL, PRIMARY KEY (node_id, grp)) WITHOUT ROWID;
   CREATE TABLE fact_history (id INTEGER PRIMARY KEY, node_id TEXT NOT NULL, grp TEXT NOT NULL, digest TEXT NOT NULL,
     json TEXT NOT NULL, collected_at INTEGER NOT NULL, received_at INTEGER NOT NULL);
   CREATE INDEX fact_history_node ON fact_history(node_id, grp, collected_at);
   INSERT INTO fact_groups SELECT f.node_id, j.key, '', j.value, f.sent_at, f.received_at, f.sent_at, '', 'ok'
     FROM facts f, json_each(f.json) j;
   DROP TABLE facts;`,
  `CREATE TABLE devices (id TEXT PRIMARY KEY, node_id TEXT NOT NULL, target TEXT NOT NULL, sys_name TEXT, sys_object_id TEXT,
     sys_descr TEXT, vendor TEXT, firmware TEXT, serial TEXT, site TEXT NOT NULL, zone TEXT NOT NULL, grade INTEGER NOT NULL,
     first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, last_poll_ok INTEGER);
   CREATE INDEX devices_node ON devices(node_id);`,
  `CREATE TABLE api_tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, digest BLOB NOT NULL UNIQUE,
     created_at INTEGER NOT NULL, revoked_at INTEGER, last_used_at INTEGER);
   CREATE INDEX api_tokens_name ON api_tokens(name);`,
];
