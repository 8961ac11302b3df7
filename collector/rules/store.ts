import type Database from 'better-sqlite3';
import { migrate } from '../store/db.js';
import type { Alert } from './alerting.js';

/**
 * Alert state in SQLite (migration domain `rules`): every alert of every alerting rule with its
 * lifecycle times, written after each group evaluation when it changed, read at start. A collector
 * restart thus neither loses firing alerts nor re-fires them as new (same startsAt, same activeAt).
 */

const STEPS = [
  `CREATE TABLE rules_alerts (
     rule_key TEXT NOT NULL,
     fp TEXT NOT NULL,
     state TEXT NOT NULL,
     labels TEXT NOT NULL,
     annotations TEXT NOT NULL,
     value REAL,
     active_at INTEGER NOT NULL,
     fired_at INTEGER NOT NULL,
     resolved_at INTEGER NOT NULL,
     last_sent_at INTEGER NOT NULL,
     valid_until INTEGER NOT NULL,
     keep_firing_since INTEGER NOT NULL,
     PRIMARY KEY (rule_key, fp))`,
  `CREATE TABLE rules_groups (
     group_key TEXT PRIMARY KEY,
     last_eval INTEGER NOT NULL)`,
];

interface Row {
  rule_key: string;
  fp: string;
  state: string;
  labels: string;
  annotations: string;
  value: number | null;
  active_at: number;
  fired_at: number;
  resolved_at: number;
  last_sent_at: number;
  valid_until: number;
  keep_firing_since: number;
}

export interface StoredRule {
  alerts: Map<string, Alert>;
}

export class RulesStateStore {
  private upsert: Database.Statement;
  private del: Database.Statement;
  private delRule: Database.Statement;
  private setGroup: Database.Statement;
  /** What was last written per rule key and fingerprint (to write only changes). */
  private written = new Map<string, Map<string, string>>();

  constructor(private db: Database.Database) {
    migrate(db, 'rules', STEPS);
    this.upsert = db.prepare(
      `INSERT INTO rules_alerts (rule_key, fp, state, labels, annotations, value, active_at, fired_at, resolved_at, last_sent_at, valid_until, keep_firing_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(rule_key, fp) DO UPDATE SET state = excluded.state, labels = excluded.labels, annotations = excluded.annotations, value = excluded.value,
         active_at = excluded.active_at, fired_at = excluded.fired_at, resolved_at = excluded.resolved_at, last_sent_at = excluded.last_sent_at,
         valid_until = excluded.valid_until, keep_firing_since = excluded.keep_firing_since`,
    );
    this.del = db.prepare('DELETE FROM rules_alerts WHERE rule_key = ? AND fp = ?');
    this.delRule = db.prepare('DELETE FROM rules_alerts WHERE rule_key = ?');
    this.setGroup = db.prepare(
      'INSERT INTO rules_groups (group_key, last_eval) VALUES (?, ?) ON CONFLICT(group_key) DO UPDATE SET last_eval = excluded.last_eval',
    );
  }

  /** Every stored rule's alerts, by rule key; and each group's last evaluation time. */
  load(): { rules: Map<string, Map<string, Alert>>; groups: Map<string, number> } {
    const rules = new Map<string, Map<string, Alert>>();
    for (const r of this.db.prepare<[], Row>('SELECT * FROM rules_alerts').all()) {
      let m = rules.get(r.rule_key);
      if (!m) {
        m = new Map();
        rules.set(r.rule_key, m);
      }
      const a: Alert = {
        state: r.state as Alert['state'],
        labels: JSON.parse(r.labels),
        annotations: JSON.parse(r.annotations),
        value: r.value ?? Number.NaN,
        activeAt: r.active_at,
        firedAt: r.fired_at,
        resolvedAt: r.resolved_at,
        lastSentAt: r.last_sent_at,
        validUntil: r.valid_until,
        keepFiringSince: r.keep_firing_since,
      };
      m.set(r.fp, a);
      let w = this.written.get(r.rule_key);
      if (!w) {
        w = new Map();
        this.written.set(r.rule_key, w);
      }
      w.set(r.fp, signature(a));
    }
    const groups = new Map<string, number>();
    for (const g of this.db.prepare<[], { group_key: string; last_eval: number }>('SELECT * FROM rules_groups').all()) groups.set(g.group_key, g.last_eval);
    return { rules, groups };
  }

  /** Write a group's evaluation: its rules' alerts that changed, those gone, the evaluation time. */
  save(groupKey: string, lastEval: number, rules: { key: string; alerts: Map<string, Alert> }[]): void {
    this.db.transaction(() => {
      for (const r of rules) {
        let w = this.written.get(r.key);
        if (!w) {
          w = new Map();
          this.written.set(r.key, w);
        }
        for (const [fp, a] of r.alerts) {
          const sig = signature(a);
          if (w.get(fp) === sig) continue;
          this.upsert.run(
            r.key,
            fp,
            a.state,
            JSON.stringify(a.labels),
            JSON.stringify(a.annotations),
            Number.isFinite(a.value) ? a.value : null,
            a.activeAt,
            a.firedAt,
            a.resolvedAt,
            a.lastSentAt,
            a.validUntil,
            a.keepFiringSince,
          );
          w.set(fp, sig);
        }
        for (const fp of [...w.keys()]) {
          if (r.alerts.has(fp)) continue;
          this.del.run(r.key, fp);
          w.delete(fp);
        }
      }
      this.setGroup.run(groupKey, lastEval);
    })();
  }

  /** Forget rules that are no longer loaded. */
  forget(ruleKeys: Iterable<string>): void {
    this.db.transaction(() => {
      for (const k of ruleKeys) {
        this.delRule.run(k);
        this.written.delete(k);
      }
    })();
  }

  ruleKeys(): string[] {
    return this.db
      .prepare<[], { rule_key: string }>('SELECT DISTINCT rule_key FROM rules_alerts')
      .all()
      .map((r) => r.rule_key);
  }
}

/** What makes a stored alert stale: everything but the value and the send times (those move each cycle). */
function signature(a: Alert): string {
  return `${a.state}|${a.activeAt}|${a.firedAt}|${a.resolvedAt}|${a.keepFiringSince}|${JSON.stringify(a.annotations)}`;
}
