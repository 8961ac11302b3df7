import type Database from 'better-sqlite3';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../../lib/log.js';
import { migrate } from '../store/db.js';
import { SlidingWindowLimiter } from './ratelimit.js';
import { DeliveryError, type Notification, type Receiver } from './receivers/types.js';

/**
 * Durable outbox (SQLite, domain `notify`). A notification is a row before anything is sent; it is
 * delivered in id order per receiver, within the receiver's rate limit, retried with exponential
 * backoff while the head of the queue fails (later rows wait: order is kept), given up after maxAge.
 * `(receiver, dedup_key)` is unique: the same event of the same group is never queued twice. A row is
 * marked sent right after the receiver answered; only a crash between the answer and that write can
 * repeat it (the outbox id travels as an idempotency key: X-Xunjian-Notification-Id).
 */
export const NOTIFY_MIGRATIONS = [
  `CREATE TABLE notify_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, dedup_key TEXT NOT NULL, group_key TEXT NOT NULL,
     status TEXT NOT NULL, alerts INTEGER NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL, next_at INTEGER NOT NULL, last_attempt_at INTEGER, sent_at INTEGER, last_error TEXT,
     UNIQUE (receiver, dedup_key));
   CREATE INDEX notify_outbox_queue ON notify_outbox(receiver, state, id);
   CREATE TABLE notify_nflog (group_key TEXT NOT NULL, receiver TEXT NOT NULL, firing TEXT NOT NULL, resolved TEXT NOT NULL,
     sent_at INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (group_key, receiver));`,
];

export type OutboxState = 'pending' | 'sent' | 'failed' | 'expired';

export interface OutboxRow {
  id: number;
  receiver: string;
  dedupKey: string;
  groupKey: string;
  status: string;
  alerts: number;
  state: OutboxState;
  attempts: number;
  createdAt: number;
  nextAt: number;
  lastAttemptAt: number | null;
  sentAt: number | null;
  lastError: string | null;
}

export interface OutboxOptions {
  retryInitialMs: number;
  retryMaxMs: number;
  maxAgeMs: number;
  keepSentMs: number;
}

export interface OutboxMetrics {
  total: Counter<'receiver' | 'result'>;
  latency: Histogram<'receiver'>;
}

export function outboxMetrics(registry: Registry, db: Database.Database): OutboxMetrics {
  let count: Database.Statement<[], { receiver: string; n: number }> | undefined;
  const seen = new Set<string>();
  new Gauge({
    name: 'xunjian_notification_queue_length',
    help: 'Notifications waiting in the outbox, by receiver.',
    labelNames: ['receiver'],
    registers: [registry],
    collect() {
      count ??= db.prepare("SELECT receiver, count(*) AS n FROM notify_outbox WHERE state = 'pending' GROUP BY receiver");
      const rows = count.all();
      for (const r of seen) if (!rows.some((x) => x.receiver === r)) this.set({ receiver: r }, 0);
      for (const r of rows) {
        seen.add(r.receiver);
        this.set({ receiver: r.receiver }, r.n);
      }
    },
  });
  return {
    total: new Counter({
      name: 'xunjian_notifications_total',
      help: 'Delivery attempts by receiver and result: success, retry (failed, will retry), failed (given up: permanent error), expired (given up: too old).',
      labelNames: ['receiver', 'result'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'xunjian_notification_latency_seconds',
      help: 'From queueing to successful delivery, by receiver (includes retries and rate-limit waits).',
      labelNames: ['receiver'],
      buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600],
      registers: [registry],
    }),
  };
}

interface DbRow {
  id: number;
  receiver: string;
  dedup_key: string;
  group_key: string;
  status: string;
  alerts: number;
  payload: string;
  state: OutboxState;
  attempts: number;
  created_at: number;
  next_at: number;
  last_attempt_at: number | null;
  sent_at: number | null;
  last_error: string | null;
}

const toRow = (r: DbRow): OutboxRow => ({
  id: r.id,
  receiver: r.receiver,
  dedupKey: r.dedup_key,
  groupKey: r.group_key,
  status: r.status,
  alerts: r.alerts,
  state: r.state,
  attempts: r.attempts,
  createdAt: r.created_at,
  nextAt: r.next_at,
  lastAttemptAt: r.last_attempt_at,
  sentAt: r.sent_at,
  lastError: r.last_error,
});

export function backoffMs(attempts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

export class Outbox {
  private readonly limiters = new Map<string, SlidingWindowLimiter>();
  private readonly running = new Map<string, Promise<void>>();
  private abort = new AbortController();
  private stopping = false;
  private readonly q;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
    private opts: OutboxOptions,
    private readonly m: OutboxMetrics,
    private readonly log: Logger,
  ) {
    migrate(db, 'notify', NOTIFY_MIGRATIONS);
    this.q = {
      insert: db.prepare(
        `INSERT INTO notify_outbox (receiver, dedup_key, group_key, status, alerts, payload, state, created_at, next_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (receiver, dedup_key) DO NOTHING`,
      ),
      head: db.prepare<[string], DbRow>("SELECT * FROM notify_outbox WHERE receiver = ? AND state = 'pending' ORDER BY id LIMIT 1"),
      sent: db.prepare('UPDATE notify_outbox SET state = ?, attempts = attempts + 1, last_attempt_at = ?, sent_at = ?, last_error = ? WHERE id = ?'),
      retry: db.prepare('UPDATE notify_outbox SET attempts = attempts + 1, last_attempt_at = ?, next_at = ?, last_error = ? WHERE id = ?'),
      expire: db.prepare("UPDATE notify_outbox SET state = 'expired', last_error = coalesce(last_error, 'expired before delivery') WHERE id = ?"),
      recent: db.prepare<[number], { receiver: string; t: number }>('SELECT receiver, last_attempt_at AS t FROM notify_outbox WHERE last_attempt_at > ?'),
    };
  }

  setOptions(opts: OutboxOptions): void {
    this.opts = opts;
  }

  /** Queue a notification; false when (receiver, dedupKey) is already queued or sent. */
  enqueue(receiver: string, dedupKey: string, n: Notification): boolean {
    const now = this.now();
    return this.q.insert.run(receiver, dedupKey, n.groupKey, n.status, n.alerts.length, JSON.stringify(n), now, now).changes === 1;
  }

  private readonly perSecond = new Map<string, SlidingWindowLimiter>();

  private secondLimiter(r: Receiver): SlidingWindowLimiter {
    const n = r.rateLimitPerSecond ?? 0;
    let l = this.perSecond.get(r.name);
    if (!l || l.limit !== n) {
      l = new SlidingWindowLimiter(n, 1000);
      this.perSecond.set(r.name, l);
    }
    return l;
  }

  private limiter(r: Receiver): SlidingWindowLimiter {
    let l = this.limiters.get(r.name);
    if (!l || l.limit !== r.rateLimitPerMinute) {
      l = new SlidingWindowLimiter(r.rateLimitPerMinute);
      // Attempts of the last minute (before a restart too) count against the robot's limit.
      const since = this.now() - 60_000;
      for (const x of this.q.recent.all(since)) if (x.receiver === r.name) l.record(x.t);
      this.limiters.set(r.name, l);
    }
    return l;
  }

  /** Deliver what is due for every receiver; resolves when each has nothing more it may send now. */
  async pump(receivers: ReadonlyMap<string, Receiver>): Promise<void> {
    const runs: Promise<void>[] = [];
    for (const r of receivers.values()) {
      let p = this.running.get(r.name);
      if (!p) {
        p = this.run(r).finally(() => this.running.delete(r.name));
        this.running.set(r.name, p);
      }
      runs.push(p);
    }
    await Promise.all(runs);
  }

  private async run(r: Receiver): Promise<void> {
    const limiter = this.limiter(r);
    const perSecond = this.secondLimiter(r);
    while (!this.stopping) {
      const row = this.q.head.get(r.name);
      if (!row) return;
      const now = this.now();
      if (now - row.created_at > this.opts.maxAgeMs) {
        this.q.expire.run(row.id);
        this.m.total.inc({ receiver: r.name, result: 'expired' });
        this.log.warn('notification given up: too old', { receiver: r.name, id: row.id, attempts: row.attempts, lastError: row.last_error ?? undefined });
        continue;
      }
      if (row.next_at > now) return;
      if (limiter.nextAllowedAt(now) > now || perSecond.nextAllowedAt(now) > now) return;
      limiter.record(now);
      perSecond.record(now);
      const n = JSON.parse(row.payload) as Notification;
      try {
        await r.send(n, { id: row.id, now, signal: this.abort.signal });
        const done = this.now();
        this.q.sent.run('sent', now, done, null, row.id);
        this.m.total.inc({ receiver: r.name, result: 'success' });
        this.m.latency.observe({ receiver: r.name }, Math.max(0, done - row.created_at) / 1000);
      } catch (err) {
        const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message ?? String(err), true);
        if (e.retryable) {
          const next = now + backoffMs(row.attempts + 1, this.opts.retryInitialMs, this.opts.retryMaxMs);
          this.q.retry.run(now, next, e.message, row.id);
          this.m.total.inc({ receiver: r.name, result: 'retry' });
          this.log.warn('notification delivery failed, will retry', {
            receiver: r.name,
            id: row.id,
            attempt: row.attempts + 1,
            retryInSeconds: (next - now) / 1000,
            error: e.message,
          });
          return;
        }
        this.q.sent.run('failed', now, null, e.message, row.id);
        this.m.total.inc({ receiver: r.name, result: 'failed' });
        this.log.error('notification given up: permanent error', { receiver: r.name, id: row.id, error: e.message });
      }
    }
  }

  list(q: { receiver?: string; state?: string; limit?: number; before?: number } = {}): OutboxRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.receiver) {
      where.push('receiver = ?');
      args.push(q.receiver);
    }
    if (q.state) {
      where.push('state = ?');
      args.push(q.state);
    }
    if (q.before) {
      where.push('id < ?');
      args.push(q.before);
    }
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    const rows = this.db
      .prepare(`SELECT * FROM notify_outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`)
      .all(...args) as DbRow[];
    return rows.map(toRow);
  }

  payload(id: number): Notification | undefined {
    const r = this.db.prepare<[number], { payload: string }>('SELECT payload FROM notify_outbox WHERE id = ?').get(id);
    return r ? (JSON.parse(r.payload) as Notification) : undefined;
  }

  /** Delete finished rows, and notification-log entries of groups not notified, older than keepSent. */
  prune(now: number): number {
    const before = now - this.opts.keepSentMs;
    this.db.prepare('DELETE FROM notify_nflog WHERE sent_at < ?').run(before);
    return this.db.prepare("DELETE FROM notify_outbox WHERE state != 'pending' AND coalesce(sent_at, last_attempt_at, created_at) < ?").run(before).changes;
  }

  /** Let in-flight deliveries finish (up to timeoutMs), then abort them; nothing new starts. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    const all = Promise.all([...this.running.values()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.abort.abort();
    await all;
    this.stopping = false;
    this.abort = new AbortController();
  }
}
