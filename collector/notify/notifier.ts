import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Registry } from 'prom-client';
import { ConfigError } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import { HttpError, json, type Route as ApiRoute } from '../api/types.js';
import type { AlertView } from '../alerts/types.js';
import type { OutgoingAlert } from '../core/component.js';
import type { NotifyConfig, ReceiverConfig } from './config.js';
import { Dispatcher, type FlushResult, type NflogEntry, toNotified } from './dispatch.js';
import { parseDuration } from './duration.js';
import { Outbox, outboxMetrics } from './outbox.js';
import { AlertmanagerClient, AlertmanagerForwarder, forwarderMetrics } from './receivers/alertmanager/alertmanager.js';
import { RECEIVERS } from './receivers/index.js';
import type { Receiver, ReceiverEnv } from './receivers/types.js';
import { type Route, RouteError, buildRoute, walkRoutes } from './route.js';

/**
 * notify/: from alert state to people. The route tree groups alerts (dispatch.ts), each notification
 * becomes an outbox row (outbox.ts) in the same transaction as the group's notification log entry,
 * and the outbox delivers to the receivers. Every alert also goes to the Alertmanagers as sent.
 */
const SOURCE = 'collector config';

export interface NotifierDeps {
  db: Database.Database;
  now(): number;
  log: Logger;
  registry: Registry;
}

function readSecretFile(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError(SOURCE, key, `cannot read file '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `inline` or the content of `file` (exactly one may be set). */
export function secretValue(inline: string | undefined, file: string | undefined, key: string): string | undefined {
  if (inline !== undefined && file !== undefined) throw new ConfigError(SOURCE, key, `give the value or ${key.split('.').pop()}File, not both`);
  if (file !== undefined) return readSecretFile(file, `${key}File`);
  return inline === '' ? undefined : inline;
}

export function buildReceivers(cfg: NotifyConfig): Map<string, Receiver> {
  const out = new Map<string, Receiver>();
  cfg.receivers.forEach((rc: ReceiverConfig, i) => {
    const key = `notify.receivers.${i}`;
    if (out.has(rc.name)) throw new ConfigError(SOURCE, `${key}.name`, `receiver name '${rc.name}' is used twice`);
    const env: ReceiverEnv = {
      externalURL: cfg.externalURL,
      timezone: cfg.timezone,
      key,
      secret: (inline, file, name) => {
        const dot = name.lastIndexOf('.');
        const fileKey = dot < 0 ? `${name}File` : `${name.slice(0, dot + 1)}${name.slice(dot + 1)}File`;
        if (inline !== undefined && file !== undefined) throw new ConfigError(SOURCE, `${key}.${name}`, `give ${name} or ${fileKey}, not both`);
        if (file !== undefined) return readSecretFile(file, `${key}.${fileKey}`);
        return inline === '' ? undefined : inline;
      },
      readFile: (path, name) => {
        try {
          return readFileSync(path, 'utf8');
        } catch (err) {
          throw new ConfigError(SOURCE, `${key}.${name}`, `cannot read file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      },
      fail: (name, expected) => {
        throw new ConfigError(SOURCE, `${key}.${name}`, expected);
      },
    };
    out.set(rc.name, RECEIVERS[rc.type](rc, env));
  });
  return out;
}

export function buildTree(cfg: NotifyConfig, receivers: ReadonlyMap<string, Receiver>): Route {
  let root: Route;
  try {
    root = buildRoute(cfg.route);
  } catch (err) {
    if (err instanceof RouteError) throw new ConfigError(SOURCE, err.key, err.message);
    throw err;
  }
  if (receivers.size > 0) {
    const check = (r: Route, key: string) => {
      if (!receivers.has(r.receiver))
        throw new ConfigError(SOURCE, `${key}.receiver`, `no receiver named '${r.receiver}' (expected one of: ${[...receivers.keys()].join(', ')})`);
    };
    const visit = (r: Route, key: string) => {
      check(r, key);
      r.routes.forEach((child, i) => {
        visit(child, `${key}.routes.${i}`);
      });
    };
    visit(root, 'notify.route');
  }
  return root;
}

function outboxOptions(cfg: NotifyConfig) {
  return {
    retryInitialMs: parseDuration(cfg.outbox.retryInitial),
    retryMaxMs: parseDuration(cfg.outbox.retryMax),
    maxAgeMs: parseDuration(cfg.outbox.maxAge),
    keepSentMs: parseDuration(cfg.outbox.keepSent),
  };
}

function amClients(cfg: NotifyConfig): AlertmanagerClient[] {
  return cfg.alertmanagers.map((a, i) => new AlertmanagerClient(a, secretValue(a.bearerToken, a.bearerTokenFile, `notify.alertmanagers.${i}.bearerToken`)));
}

export class Notifier {
  private receivers: Map<string, Receiver>;
  private root: Route;
  private readonly dispatcher: Dispatcher;
  readonly outbox: Outbox;
  private forwarder: AlertmanagerForwarder;
  private readonly fm;
  private readonly q;
  private lastPrune = 0;

  constructor(
    private readonly d: NotifierDeps,
    cfg: NotifyConfig,
  ) {
    this.outbox = new Outbox(d.db, d.now, outboxOptions(cfg), outboxMetrics(d.registry, d.db), d.log.child({ component: 'notify' }));
    this.q = {
      nflogGet: d.db.prepare<[string, string], { firing: string; resolved: string; sent_at: number; seq: number }>(
        'SELECT * FROM notify_nflog WHERE group_key = ? AND receiver = ?',
      ),
      nflogPut: d.db.prepare(
        `INSERT INTO notify_nflog (group_key, receiver, firing, resolved, sent_at, seq) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (group_key, receiver) DO UPDATE SET firing = excluded.firing, resolved = excluded.resolved, sent_at = excluded.sent_at, seq = excluded.seq`,
      ),
    };
    this.receivers = buildReceivers(cfg);
    this.root = buildTree(cfg, this.receivers);
    this.dispatcher = new Dispatcher(this.root, (r) => this.receivers.get(r)?.sendResolved ?? true, {
      get: (gk, r): NflogEntry | undefined => {
        const row = this.q.nflogGet.get(gk, r);
        return row ? { firing: JSON.parse(row.firing), resolved: JSON.parse(row.resolved), sentAt: row.sent_at, seq: row.seq } : undefined;
      },
    });
    this.fm = forwarderMetrics(d.registry);
    this.forwarder = new AlertmanagerForwarder(amClients(cfg), this.fm, d.log.child({ component: 'notify' }));
  }

  /** Built-in receivers configured (else alerts only go to the Alertmanagers). */
  get enabled(): boolean {
    return this.receivers.size > 0;
  }

  hasReceiver(name: string): boolean {
    return this.receivers.has(name);
  }

  alertmanagers(): AlertmanagerClient[] {
    return this.forwarder.clients;
  }

  /** Every alert as the rules sent it, to every Alertmanager. */
  forward(alerts: OutgoingAlert[]): void {
    if (this.forwarder.clients.length) this.forwarder.enqueue(alerts);
  }

  /** Alert state changed (sent by rules, expired, claimed, silenced, …). */
  update(views: readonly AlertView[]): void {
    if (this.enabled) this.dispatcher.update(views, this.d.now());
  }

  /** Queue an escalation of one alert to `receiver`; false when that step was queued before. */
  escalate(view: AlertView, step: number, receiver: string, unclaimedMs: number): boolean {
    const now = this.d.now();
    const groupKey = `escalation:${view.fingerprint}`;
    return this.outbox.enqueue(receiver, `${groupKey}:${view.startsAt}#${step}`, {
      receiver,
      groupKey,
      groupLabels: {},
      status: 'firing',
      alerts: [toNotified(view)],
      escalation: { step, unclaimedMs },
      createdAt: now,
    });
  }

  private commit(results: FlushResult[]): void {
    if (!results.length) return;
    this.d.db.transaction(() => {
      for (const r of results) {
        this.q.nflogPut.run(r.groupKey, r.receiver, JSON.stringify(r.entry.firing), JSON.stringify(r.entry.resolved), r.entry.sentAt, r.entry.seq);
        if (r.notification) this.outbox.enqueue(r.receiver, `${r.groupKey}#${r.entry.seq}`, r.notification);
      }
    })();
  }

  /** Flush due groups into the outbox (synchronously, in one transaction). */
  flush(): void {
    if (this.enabled) this.commit(this.dispatcher.flushDue(this.d.now()));
  }

  /** Deliver what is due. */
  async pump(): Promise<void> {
    await this.outbox.pump(this.receivers);
  }

  async tick(): Promise<void> {
    this.flush();
    const now = this.d.now();
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      this.outbox.prune(now);
    }
    await this.pump();
  }

  /** Apply a new config; throws (ConfigError) and keeps the old one when it is invalid. */
  async reload(cfg: NotifyConfig, current: () => readonly AlertView[]): Promise<void> {
    const receivers = buildReceivers(cfg);
    const root = buildTree(cfg, receivers);
    const clients = amClients(cfg);
    await this.outbox.stop();
    for (const r of this.receivers.values()) await r.close?.();
    await this.forwarder.stop();
    this.receivers = receivers;
    this.root = root;
    this.outbox.setOptions(outboxOptions(cfg));
    this.forwarder = new AlertmanagerForwarder(clients, this.fm, this.d.log.child({ component: 'notify' }));
    this.dispatcher.reset(root);
    this.update(current());
  }

  async stop(): Promise<void> {
    await this.outbox.stop();
    await this.forwarder.stop();
    for (const r of this.receivers.values()) await r.close?.();
  }

  /** Tests: wait for the Alertmanager queues to drain. */
  flushAlertmanagers(): Promise<void> {
    return this.forwarder.flush();
  }

  routes(): ApiRoute[] {
    return [
      {
        method: 'GET',
        path: '/api/v1/notifications',
        access: 'viewer',
        handler: (req) => {
          const state = req.query.get('state') ?? undefined;
          if (state && !['pending', 'sent', 'failed', 'expired'].includes(state))
            throw new HttpError(400, 'bad_request', 'state: expected pending, sent, failed or expired');
          const num = (k: string) => {
            const v = req.query.get(k);
            if (v === null) return undefined;
            if (!/^[0-9]+$/.test(v)) throw new HttpError(400, 'bad_request', `${k}: expected a whole number`);
            return Number(v);
          };
          return json({
            notifications: this.outbox.list({ receiver: req.query.get('receiver') ?? undefined, state, limit: num('limit'), before: num('before') }),
            receivers: [...this.receivers.values()].map((r) => ({
              name: r.name,
              type: r.type,
              rateLimitPerMinute: r.rateLimitPerMinute,
              sendResolved: r.sendResolved,
            })),
            groups: this.dispatcher.snapshot(),
          });
        },
      },
      {
        method: 'GET',
        path: '/api/v1/notifications/:id',
        access: 'viewer',
        handler: (req) => {
          const id = req.params.id ?? '';
          if (!/^[0-9]+$/.test(id)) throw new HttpError(400, 'bad_request', 'id: expected a whole number');
          const row = this.outbox.list({ before: Number(id) + 1, limit: 1 })[0];
          if (!row || row.id !== Number(id)) throw new HttpError(404, 'not_found', `no notification ${id}`);
          return json({ ...row, notification: this.outbox.payload(row.id) });
        },
      },
    ];
  }

  /** For the route walk in tests and the README. */
  routeTree(): Route {
    return this.root;
  }
}

export { walkRoutes };
