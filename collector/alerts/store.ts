import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { OutgoingAlert } from '../core/component.js';
import { migrate } from '../store/db.js';
import { type Matcher, fingerprint, matchesAll } from './labels.js';
import type { AlertCore, AlertView, Disposal } from './types.js';

/**
 * Alert state (SQLite, domain `alerts`): every alert the rules sent, keyed by label fingerprint, with
 * its claim, acknowledgement and escalation step; silences. Kept in memory, written through.
 * An alert firing again after it resolved (a new startsAt) is a new incident: claim, ack and
 * escalation start over.
 */
export const ALERTS_MIGRATIONS = [
  `CREATE TABLE alerts (fingerprint TEXT PRIMARY KEY, labels TEXT NOT NULL, annotations TEXT NOT NULL, starts_at INTEGER NOT NULL,
     ends_at INTEGER NOT NULL, generator_url TEXT NOT NULL, value REAL, updated_at INTEGER NOT NULL,
     claimed_by TEXT, claimed_at INTEGER, claim_comment TEXT, acked_by TEXT, acked_at INTEGER, ack_comment TEXT,
     escalation_step INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE alert_silences (id TEXT PRIMARY KEY, matchers TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,
     created_by TEXT NOT NULL, comment TEXT NOT NULL, created_at INTEGER NOT NULL, expired_by TEXT, expired_at INTEGER,
     alertmanagers TEXT NOT NULL DEFAULT '{}');`,
];

export interface StoredAlert extends AlertCore {
  updatedAt: number;
  claim?: Disposal;
  ack?: Disposal;
  escalationStep: number;
}

/** Per Alertmanager (by URL): its silence id, or the last error creating/expiring it there. */
export interface AmSync {
  id?: string;
  error?: string;
  expired?: boolean;
}

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
  expiredBy?: string;
  expiredAt?: number;
  alertmanagers: Record<string, AmSync>;
  /** Set on a silence made directly in an Alertmanager (its URL); not stored here, re-read every sync. */
  external?: string;
}

export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(s: Silence, now: number): SilenceState {
  if (s.expiredAt !== undefined || s.endsAt <= now) return 'expired';
  return s.startsAt > now ? 'pending' : 'active';
}

interface AlertRow {
  fingerprint: string;
  labels: string;
  annotations: string;
  starts_at: number;
  ends_at: number;
  generator_url: string;
  value: number | null;
  updated_at: number;
  claimed_by: string | null;
  claimed_at: number | null;
  claim_comment: string | null;
  acked_by: string | null;
  acked_at: number | null;
  ack_comment: string | null;
  escalation_step: number;
}

interface SilenceRow {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
  expired_by: string | null;
  expired_at: number | null;
  alertmanagers: string;
}

const disposal = (by: string | null, at: number | null, comment: string | null): Disposal | undefined =>
  by && at !== null ? { by, at, comment: comment ?? '' } : undefined;

export class AlertStore {
  private readonly alerts = new Map<string, StoredAlert>();
  private readonly silences = new Map<string, Silence>();
  private external: Silence[] = [];
  /** Silences active at the last refreshSilences(), and per alert the ids muting it (incremental). */
  private active = new Map<string, Silence>();
  private readonly muted = new Map<string, string[]>();
  private readonly q;

  constructor(private readonly db: Database.Database) {
    migrate(db, 'alerts', ALERTS_MIGRATIONS);
    this.q = {
      upsert: db.prepare(
        `INSERT INTO alerts (fingerprint, labels, annotations, starts_at, ends_at, generator_url, value, updated_at, claimed_by, claimed_at, claim_comment, acked_by, acked_at, ack_comment, escalation_step)
         VALUES (@fingerprint, @labels, @annotations, @starts_at, @ends_at, @generator_url, @value, @updated_at, @claimed_by, @claimed_at, @claim_comment, @acked_by, @acked_at, @ack_comment, @escalation_step)
         ON CONFLICT (fingerprint) DO UPDATE SET labels = excluded.labels, annotations = excluded.annotations, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
           generator_url = excluded.generator_url, value = excluded.value, updated_at = excluded.updated_at, claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at,
           claim_comment = excluded.claim_comment, acked_by = excluded.acked_by, acked_at = excluded.acked_at, ack_comment = excluded.ack_comment, escalation_step = excluded.escalation_step`,
      ),
      del: db.prepare('DELETE FROM alerts WHERE fingerprint = ?'),
      silPut: db.prepare(
        `INSERT INTO alert_silences (id, matchers, starts_at, ends_at, created_by, comment, created_at, expired_by, expired_at, alertmanagers)
         VALUES (@id, @matchers, @starts_at, @ends_at, @created_by, @comment, @created_at, @expired_by, @expired_at, @alertmanagers)
         ON CONFLICT (id) DO UPDATE SET ends_at = excluded.ends_at, expired_by = excluded.expired_by, expired_at = excluded.expired_at, alertmanagers = excluded.alertmanagers`,
      ),
      silDel: db.prepare('DELETE FROM alert_silences WHERE id = ?'),
    };
    for (const r of db.prepare('SELECT * FROM alerts').all() as AlertRow[]) {
      this.alerts.set(r.fingerprint, {
        fingerprint: r.fingerprint,
        labels: JSON.parse(r.labels),
        annotations: JSON.parse(r.annotations),
        startsAt: r.starts_at,
        endsAt: r.ends_at,
        generatorURL: r.generator_url,
        ...(r.value !== null ? { value: r.value } : {}),
        updatedAt: r.updated_at,
        claim: disposal(r.claimed_by, r.claimed_at, r.claim_comment),
        ack: disposal(r.acked_by, r.acked_at, r.ack_comment),
        escalationStep: r.escalation_step,
      });
    }
    for (const r of db.prepare('SELECT * FROM alert_silences').all() as SilenceRow[]) {
      this.silences.set(r.id, {
        id: r.id,
        matchers: JSON.parse(r.matchers),
        startsAt: r.starts_at,
        endsAt: r.ends_at,
        createdBy: r.created_by,
        comment: r.comment,
        createdAt: r.created_at,
        ...(r.expired_by !== null ? { expiredBy: r.expired_by } : {}),
        ...(r.expired_at !== null ? { expiredAt: r.expired_at } : {}),
        alertmanagers: JSON.parse(r.alertmanagers),
      });
    }
  }

  private write(a: StoredAlert): void {
    this.q.upsert.run({
      fingerprint: a.fingerprint,
      labels: JSON.stringify(a.labels),
      annotations: JSON.stringify(a.annotations),
      starts_at: a.startsAt,
      ends_at: a.endsAt,
      generator_url: a.generatorURL,
      value: a.value ?? null,
      updated_at: a.updatedAt,
      claimed_by: a.claim?.by ?? null,
      claimed_at: a.claim?.at ?? null,
      claim_comment: a.claim?.comment ?? null,
      acked_by: a.ack?.by ?? null,
      acked_at: a.ack?.at ?? null,
      ack_comment: a.ack?.comment ?? null,
      escalation_step: a.escalationStep,
    });
  }

  /** Apply alerts as the rules sent them; returns the fingerprints that changed. */
  ingest(alerts: readonly OutgoingAlert[], now: number): string[] {
    const changed: string[] = [];
    this.db.transaction(() => {
      for (const a of alerts) {
        const fp = fingerprint(a.labels);
        const old = this.alerts.get(fp);
        const newIncident = !old || (old.startsAt !== a.startsAt && old.endsAt <= now);
        const s: StoredAlert = {
          fingerprint: fp,
          labels: { ...a.labels },
          annotations: { ...a.annotations },
          startsAt: a.startsAt,
          endsAt: a.endsAt,
          generatorURL: a.generatorURL ?? '',
          ...(a.value !== undefined ? { value: a.value } : {}),
          updatedAt: now,
          claim: newIncident ? undefined : old.claim,
          ack: newIncident ? undefined : old.ack,
          escalationStep: newIncident ? 0 : old.escalationStep,
        };
        this.alerts.set(fp, s);
        this.write(s);
        changed.push(fp);
      }
    })();
    return changed;
  }

  get(fp: string): StoredAlert | undefined {
    return this.alerts.get(fp);
  }

  all(): StoredAlert[] {
    return [...this.alerts.values()];
  }

  update(fp: string, patch: Partial<Pick<StoredAlert, 'claim' | 'ack' | 'escalationStep'>>): StoredAlert | undefined {
    const a = this.alerts.get(fp);
    if (!a) return undefined;
    const n = { ...a, ...patch };
    for (const k of ['claim', 'ack'] as const) if (k in patch && patch[k] === undefined) delete n[k];
    this.alerts.set(fp, n);
    this.write(n);
    return n;
  }

  /** Forget resolved alerts that ended before `before`; returns how many. */
  pruneResolved(before: number): number {
    let n = 0;
    for (const a of [...this.alerts.values()]) {
      if (a.endsAt < before) {
        this.alerts.delete(a.fingerprint);
        this.muted.delete(a.fingerprint);
        this.q.del.run(a.fingerprint);
        n++;
      }
    }
    return n;
  }

  // ---- silences ----

  addSilence(s: Omit<Silence, 'id' | 'alertmanagers'>): Silence {
    const full: Silence = { ...s, id: randomUUID(), alertmanagers: {} };
    this.putSilence(full);
    return full;
  }

  putSilence(s: Silence): void {
    this.silences.set(s.id, s);
    this.q.silPut.run({
      id: s.id,
      matchers: JSON.stringify(s.matchers),
      starts_at: s.startsAt,
      ends_at: s.endsAt,
      created_by: s.createdBy,
      comment: s.comment,
      created_at: s.createdAt,
      expired_by: s.expiredBy ?? null,
      expired_at: s.expiredAt ?? null,
      alertmanagers: JSON.stringify(s.alertmanagers),
    });
  }

  silence(id: string): Silence | undefined {
    return this.silences.get(id);
  }

  allSilences(): Silence[] {
    return [...this.silences.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Delete silences expired before `before`. */
  pruneSilences(before: number): void {
    for (const s of [...this.silences.values()]) {
      const end = s.expiredAt ?? s.endsAt;
      if (end < before) {
        this.silences.delete(s.id);
        this.q.silDel.run(s.id);
      }
    }
  }

  /** Silences made directly in the Alertmanagers (one source of truth): they mute here too. */
  setExternal(silences: Silence[]): void {
    this.external = silences;
  }

  externalSilences(): Silence[] {
    return this.external;
  }

  /**
   * Re-evaluate which silences are active at `now` (created, expired, started, ended, read from an
   * Alertmanager) and update each alert's muting by the difference only; returns the fingerprints
   * whose muting changed. Cost: alerts × silences that changed, not alerts × all silences.
   */
  refreshSilences(now: number): string[] {
    const next = new Map<string, Silence>();
    for (const x of [...this.silences.values(), ...this.external]) if (silenceState(x, now) === 'active') next.set(x.id, x);
    const added = [...next.values()].filter((x) => !this.active.has(x.id));
    const removed = new Set([...this.active.keys()].filter((id) => !next.has(id)));
    this.active = next;
    if (!added.length && !removed.size) return [];
    const changed: string[] = [];
    for (const a of this.alerts.values()) {
      const cur = this.muted.get(a.fingerprint);
      if (!cur) continue; // computed on first use against the active set
      const ids = cur.filter((id) => !removed.has(id));
      for (const x of added) if (matchesAll(x.matchers, a.labels)) ids.push(x.id);
      if (ids.length !== cur.length || ids.some((id, i) => id !== cur[i])) {
        ids.sort();
        this.muted.set(a.fingerprint, ids);
        changed.push(a.fingerprint);
      }
    }
    return changed;
  }

  /** The ids of the active silences (ours and the Alertmanagers') muting this alert, as of the last refresh. */
  silencedBy(a: Pick<StoredAlert, 'fingerprint' | 'labels'>): string[] {
    let ids = this.muted.get(a.fingerprint);
    if (!ids) {
      ids = [];
      for (const x of this.active.values()) if (matchesAll(x.matchers, a.labels)) ids.push(x.id);
      ids.sort();
      this.muted.set(a.fingerprint, ids);
    }
    return ids;
  }

  view(a: StoredAlert, now: number): AlertView {
    return {
      fingerprint: a.fingerprint,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      ...(a.value !== undefined ? { value: a.value } : {}),
      status: a.endsAt > now ? 'firing' : 'resolved',
      updatedAt: a.updatedAt,
      silencedBy: [...this.silencedBy(a)],
      ...(a.claim ? { claim: a.claim } : {}),
      ...(a.ack ? { ack: a.ack } : {}),
    };
  }
}
