import { ConfigError, type ConfigSpec, validateConfig } from '../../lib/config.js';
import { HttpError, json, type ApiRequest, type Route as ApiRoute } from '../api/types.js';
import type { AuditInput } from '../audit/audit.js';
import type { CollectorConfig } from '../config.js';
import type { AlertSink, CollectorContext, Component, ComponentFactory, OutgoingAlert } from '../core/component.js';
import { type NotifyConfig, notifySchema } from '../notify/config.js';
import { formatDuration, parseDuration } from '../notify/duration.js';
import { Notifier } from '../notify/notifier.js';
import { type AlertsConfig, alertsSchema } from './config.js';
import { type Matcher, MatcherError, matchesAll, matches, matcherString, parseMatchers } from './labels.js';
import { AlertStore, type Silence, type StoredAlert, silenceState } from './store.js';
import type { AlertView } from './types.js';

/**
 * alerts/: the receiving side of the rules' notifier (AlertSink). Keeps alert state, claims,
 * acknowledgements and silences; hands state changes to notify/ and every alert to the
 * Alertmanagers; escalates unclaimed alerts; serves the disposal API. Every action is audited.
 */
export type HostConfig = CollectorConfig & { alerts?: AlertsConfig; notify?: NotifyConfig };

const sectionSpec: ConfigSpec = {
  kind: 'collector',
  envPrefix: 'XUNJIAN_COLLECTOR__',
  schema: { type: 'object', properties: { alerts: alertsSchema, notify: notifySchema } },
};

/** The two sections with defaults filled (the host's loader fills them once wired; this covers configs built in code). */
export function sections(cfg: HostConfig): { alerts: AlertsConfig; notify: NotifyConfig } {
  return validateConfig(sectionSpec, { alerts: cfg.alerts, notify: cfg.notify }, 'collector config');
}

interface Step {
  afterMs: number;
  receiver: string;
  matchers: Matcher[];
}

function escalationSteps(a: AlertsConfig, hasReceiver: (name: string) => boolean): Step[] {
  return a.escalation
    .map((s, i) => {
      const key = `alerts.escalation.${i}`;
      if (!hasReceiver(s.receiver)) throw new ConfigError('collector config', `${key}.receiver`, `no receiver named '${s.receiver}' in notify.receivers`);
      let matchers: Matcher[];
      try {
        matchers = s.matchers.flatMap((m) => parseMatchers(m));
      } catch (err) {
        throw new ConfigError('collector config', `${key}.matchers`, (err as Error).message);
      }
      return { afterMs: parseDuration(s.after), receiver: s.receiver, matchers };
    })
    .sort((x, y) => x.afterMs - y.afterMs);
}

const signature = (v: AlertView) => `${v.status}|${v.silencedBy.join(',')}|${v.claim?.by ?? ''}|${v.ack?.by ?? ''}|${v.updatedAt}`;

export class AlertsComponent implements Component, AlertSink {
  readonly name = 'alerts';
  readonly store: AlertStore;
  readonly notifier: Notifier;
  private cfg: AlertsConfig;
  private steps: Step[];
  private readonly last = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lastSync = 0;
  private lastTick = 0;

  constructor(private readonly ctx: CollectorContext) {
    const s = sections(ctx.cfg() as HostConfig);
    this.cfg = s.alerts;
    this.store = new AlertStore(ctx.db);
    this.notifier = new Notifier({ db: ctx.db, now: ctx.now, log: ctx.log, registry: ctx.registry }, s.notify);
    this.steps = escalationSteps(this.cfg, (n) => this.notifier.hasReceiver(n));
    this.store.refreshSilences(ctx.now());
    this.lastTick = ctx.now();
    this.notifier.update(this.views());
    for (const v of this.views()) this.last.set(v.fingerprint, signature(v));
  }

  private views(): AlertView[] {
    const now = this.ctx.now();
    return this.store.all().map((a) => this.store.view(a, now));
  }

  // ---- AlertSink ----

  send(alerts: OutgoingAlert[]): void {
    if (!alerts.length) return;
    const now = this.ctx.now();
    const fps = this.store.ingest(alerts, now);
    this.notifier.forward(alerts);
    this.push(fps.map((fp) => this.store.view(this.store.get(fp)!, now)));
  }

  private pushFps(fps: string[]): void {
    if (!fps.length) return;
    const now = this.ctx.now();
    this.push(
      fps.flatMap((fp) => {
        const a = this.store.get(fp);
        return a ? [this.store.view(a, now)] : [];
      }),
    );
  }

  /** Silences changed: re-evaluate muting, hand the alerts concerned to the dispatcher. */
  private silencesChanged(): void {
    this.pushFps(this.store.refreshSilences(this.ctx.now()));
  }

  /** Hand changed views to the dispatcher. */
  private push(views: AlertView[]): void {
    const changed = views.filter((v) => this.last.get(v.fingerprint) !== signature(v));
    for (const v of changed) this.last.set(v.fingerprint, signature(v));
    if (changed.length) this.notifier.update(changed);
  }

  // ---- lifecycle ----

  start(): void {
    this.timer = setInterval(() => {
      if (!this.ticking)
        this.ticking = this.tick()
          .catch((err) => this.ctx.log.error('alerts tick failed', { error: (err as Error).message }))
          .finally(() => (this.ticking = undefined));
    }, 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    await this.notifier.stop();
  }

  async reload(cfg: CollectorConfig): Promise<void> {
    const s = sections(cfg as HostConfig);
    const names = new Set(s.notify.receivers.map((r) => r.name));
    const steps = escalationSteps(s.alerts, (n) => names.has(n));
    await this.notifier.reload(s.notify, () => this.views());
    this.steps = steps;
    this.cfg = s.alerts;
  }

  /** One round: expiry and silence changes, escalation, Alertmanager silence sync, flush, delivery. */
  async tick(): Promise<void> {
    const now = this.ctx.now();
    // Only what changed: silences that started/ended, alerts whose endsAt passed since the last tick.
    const changed = new Set(this.store.refreshSilences(now));
    for (const a of this.store.all()) if (a.endsAt <= now && a.endsAt > this.lastTick) changed.add(a.fingerprint);
    this.lastTick = now;
    this.pushFps([...changed]);
    this.escalate(now);
    const keep = parseDuration(this.cfg.keepResolved);
    for (const a of this.store.all()) if (a.endsAt < now - keep) this.last.delete(a.fingerprint);
    this.store.pruneResolved(now - keep);
    this.store.pruneSilences(now - keep);
    if (now - this.lastSync >= 30_000) {
      this.lastSync = now;
      await this.syncSilences();
    }
    await this.notifier.tick();
  }

  private escalate(now: number): void {
    if (!this.steps.length) return;
    for (const a of this.store.all()) {
      if (a.endsAt <= now || a.claim || a.ack || a.escalationStep >= this.steps.length || this.store.silencedBy(a).length) continue;
      for (let i = a.escalationStep; i < this.steps.length; i++) {
        const s = this.steps[i]!;
        if (now - a.startsAt < s.afterMs) break;
        if (!matchesAll(s.matchers, a.labels)) continue;
        this.notifier.escalate(this.store.view(a, now), i + 1, s.receiver, now - a.startsAt);
        this.store.update(a.fingerprint, { escalationStep: i + 1 });
        this.ctx.audit.record({
          actor: 'system',
          remote: 'local',
          action: 'alert.escalate',
          target: a.fingerprint,
          outcome: 'success',
          detail: { alertname: a.labels.alertname, step: i + 1, receiver: s.receiver },
        });
      }
    }
  }

  /**
   * Create (or expire) silences in the Alertmanagers where that has not happened yet, and read back
   * the silences made directly there: they mute the built-in receivers too (one source of truth).
   */
  async syncSilences(): Promise<void> {
    const clients = this.notifier.alertmanagers();
    if (!clients.length) return;
    const now = this.ctx.now();
    const ours = new Set(this.store.allSilences().flatMap((s) => Object.values(s.alertmanagers).flatMap((a) => (a.id ? [a.id] : []))));
    const external: Silence[] = [];
    const failed = new Set<string>();
    for (const c of clients) {
      try {
        for (const s of await c.listSilences()) {
          if (ours.has(s.id) || s.state === 'expired' || external.some((x) => x.id === s.id)) continue;
          external.push({
            id: s.id,
            matchers: s.matchers,
            startsAt: s.startsAt,
            endsAt: s.endsAt,
            createdBy: s.createdBy,
            comment: s.comment,
            createdAt: s.startsAt,
            alertmanagers: { [c.url]: { id: s.id } },
            external: c.url,
          });
        }
      } catch (err) {
        failed.add(c.url);
        this.ctx.log.warn('cannot read the silences of an Alertmanager', { alertmanager: c.url, error: (err as Error).message });
      }
    }
    // An Alertmanager that did not answer keeps the silences last read from it.
    for (const s of this.store.externalSilences()) if (s.external && failed.has(s.external) && !external.some((x) => x.id === s.id)) external.push(s);
    this.store.setExternal(external);
    this.silencesChanged();
    for (const s of this.store.allSilences()) {
      const state = silenceState(s, now);
      let dirty = false;
      for (const c of clients) {
        const sync = s.alertmanagers[c.url] ?? {};
        try {
          if (state !== 'expired' && !sync.id) {
            s.alertmanagers[c.url] = { id: await c.createSilence(s) };
            dirty = true;
          } else if (s.expiredAt !== undefined && sync.id && !sync.expired) {
            await c.deleteSilence(sync.id);
            s.alertmanagers[c.url] = { id: sync.id, expired: true };
            dirty = true;
          }
        } catch (err) {
          const msg = (err as Error).message;
          if (sync.error !== msg) {
            s.alertmanagers[c.url] = { ...sync, error: msg };
            dirty = true;
          }
          this.ctx.log.warn('silence not synced to an Alertmanager', { silence: s.id, alertmanager: c.url, error: msg });
        }
      }
      if (dirty) this.store.putSilence(s);
    }
  }

  // ---- disposal (also used by the routes) ----

  private audit(req: ApiRequest, e: Omit<AuditInput, 'actor' | 'remote'>): void {
    this.ctx.audit.record({ actor: req.actor?.name ?? 'anonymous', remote: req.remote, ...e });
  }

  /** Run a disposal action: 4xx errors are audited as failure (409 conflicts as denied), then rethrown. */
  private act<T>(req: ApiRequest, action: string, target: string, fn: () => T | Promise<T>, detail?: Record<string, unknown>): Promise<T> {
    return Promise.resolve()
      .then(fn)
      .catch((err) => {
        const outcome = err instanceof HttpError && (err.status === 409 || err.status === 403) ? 'denied' : 'failure';
        this.audit(req, { action, target, outcome, detail: { ...detail, error: (err as Error).message } });
        throw err;
      });
  }

  private alertOr404(fp: string): StoredAlert {
    const a = this.store.get(fp);
    if (!a) throw new HttpError(404, 'not_found', `no alert with fingerprint ${fp}`);
    return a;
  }

  private afterChange(fp: string): AlertView {
    const v = this.store.view(this.store.get(fp)!, this.ctx.now());
    this.push([v]);
    return v;
  }

  private comment(body: unknown): string {
    if (body === undefined || body === null) return '';
    if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'expected a JSON object body');
    const c = (body as { comment?: unknown }).comment;
    if (c === undefined) return '';
    if (typeof c !== 'string' || c.length > 2000) throw new HttpError(400, 'bad_request', 'comment: expected a string of up to 2000 characters');
    return c;
  }

  claim(req: ApiRequest, fp: string): Promise<AlertView> {
    return this.act(req, 'alert.claim', fp, () => {
      const comment = this.comment(req.body);
      const a = this.alertOr404(fp);
      const who = req.actor?.name ?? 'anonymous';
      if (this.store.view(a, this.ctx.now()).status !== 'firing')
        throw new HttpError(409, 'not_firing', `alert ${fp} is resolved; only firing alerts are claimed`);
      if (a.claim && a.claim.by !== who) throw new HttpError(409, 'already_claimed', `alert ${fp} is claimed by ${a.claim.by}`);
      this.store.update(fp, { claim: { by: who, at: this.ctx.now(), comment } });
      this.audit(req, { action: 'alert.claim', target: fp, outcome: 'success', detail: { alertname: a.labels.alertname, comment } });
      return this.afterChange(fp);
    });
  }

  unclaim(req: ApiRequest, fp: string): Promise<AlertView> {
    return this.act(req, 'alert.unclaim', fp, () => {
      const a = this.alertOr404(fp);
      const who = req.actor?.name ?? 'anonymous';
      if (!a.claim) throw new HttpError(409, 'not_claimed', `alert ${fp} is not claimed`);
      const force = req.query.get('force') === 'true';
      if (a.claim.by !== who && !force) throw new HttpError(409, 'claimed_by_other', `alert ${fp} is claimed by ${a.claim.by}; add ?force=true to release it`);
      this.store.update(fp, { claim: undefined });
      this.audit(req, { action: 'alert.unclaim', target: fp, outcome: 'success', detail: { alertname: a.labels.alertname, previousOwner: a.claim.by } });
      return this.afterChange(fp);
    });
  }

  ack(req: ApiRequest, fp: string): Promise<AlertView> {
    return this.act(req, 'alert.ack', fp, () => {
      const comment = this.comment(req.body);
      const a = this.alertOr404(fp);
      this.store.update(fp, { ack: { by: req.actor?.name ?? 'anonymous', at: this.ctx.now(), comment } });
      this.audit(req, { action: 'alert.ack', target: fp, outcome: 'success', detail: { alertname: a.labels.alertname, comment } });
      return this.afterChange(fp);
    });
  }

  createSilence(req: ApiRequest): Promise<Silence> {
    return this.act(req, 'silence.create', '-', async () => {
      const b = req.body as Record<string, unknown> | undefined;
      if (!b || typeof b !== 'object' || Array.isArray(b))
        throw new HttpError(400, 'bad_request', 'expected a JSON object {matchers, endsAt | duration, comment}');
      const raw = typeof b.matchers === 'string' ? [b.matchers] : b.matchers;
      if (!Array.isArray(raw) || raw.length === 0 || raw.some((m) => typeof m !== 'string'))
        throw new HttpError(400, 'bad_request', 'matchers: expected a list of matchers such as severity="critical"');
      let matchers: Matcher[];
      try {
        matchers = raw.flatMap((m) => parseMatchers(m as string));
      } catch (err) {
        if (err instanceof MatcherError) throw new HttpError(400, 'bad_request', `matchers: ${err.message}`);
        throw err;
      }
      if (!matchers.length) throw new HttpError(400, 'bad_request', 'matchers: expected at least one matcher');
      if (matchers.every((m) => matches(m, {})))
        throw new HttpError(400, 'bad_request', 'matchers: at least one matcher must not match the empty string (it would silence everything)');
      const now = this.ctx.now();
      const time = (k: string): number | undefined => {
        const v = b[k];
        if (v === undefined) return undefined;
        const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : Number.NaN;
        if (!Number.isFinite(t)) throw new HttpError(400, 'bad_request', `${k}: expected an RFC 3339 time or milliseconds`);
        return t;
      };
      const startsAt = Math.max(time('startsAt') ?? now, now);
      let endsAt = time('endsAt');
      if (b.duration !== undefined) {
        const d = typeof b.duration === 'string' ? parseDuration(b.duration) : Number.NaN;
        if (!Number.isFinite(d) || d <= 0) throw new HttpError(400, 'bad_request', 'duration: expected a duration such as 2h');
        if (endsAt !== undefined) throw new HttpError(400, 'bad_request', 'give endsAt or duration, not both');
        endsAt = startsAt + d;
      }
      if (endsAt === undefined) throw new HttpError(400, 'bad_request', 'endsAt or duration: required');
      if (endsAt <= startsAt) throw new HttpError(400, 'bad_request', 'endsAt: expected a time after startsAt');
      const max = parseDuration(this.cfg.maxSilence);
      if (endsAt - startsAt > max) throw new HttpError(400, 'bad_request', `the silence is longer than alerts.maxSilence (${this.cfg.maxSilence})`);
      const comment = typeof b.comment === 'string' ? b.comment.trim() : '';
      if (!comment || comment.length > 2000) throw new HttpError(400, 'bad_request', 'comment: required (why the silence), up to 2000 characters');
      const s = this.store.addSilence({ matchers, startsAt, endsAt, createdBy: req.actor?.name ?? 'anonymous', comment, createdAt: now });
      for (const c of this.notifier.alertmanagers()) {
        try {
          s.alertmanagers[c.url] = { id: await c.createSilence(s) };
        } catch (err) {
          s.alertmanagers[c.url] = { error: (err as Error).message };
        }
      }
      this.store.putSilence(s);
      this.audit(req, {
        action: 'silence.create',
        target: s.id,
        outcome: 'success',
        detail: {
          matchers: matchers.map(matcherString),
          startsAt: new Date(startsAt).toISOString(),
          endsAt: new Date(endsAt).toISOString(),
          comment,
          duration: formatDuration(endsAt - startsAt),
        },
      });
      this.silencesChanged();
      return s;
    });
  }

  expireSilence(req: ApiRequest, id: string): Promise<Silence> {
    return this.act(req, 'silence.expire', id, async () => {
      const ext = this.store.externalSilences().find((x) => x.id === id);
      if (ext) {
        // made in an Alertmanager: expire it there
        const c = this.notifier.alertmanagers().find((x) => x.url === ext.external);
        if (!c) throw new HttpError(409, 'unknown_alertmanager', `silence ${id} belongs to an Alertmanager no longer configured`);
        try {
          await c.deleteSilence(id);
        } catch (err) {
          throw new HttpError(502, 'alertmanager_error', (err as Error).message);
        }
        const done = { ...ext, expiredAt: this.ctx.now(), expiredBy: req.actor?.name ?? 'anonymous' };
        this.store.setExternal(this.store.externalSilences().filter((x) => x.id !== id));
        this.audit(req, {
          action: 'silence.expire',
          target: id,
          outcome: 'success',
          detail: { matchers: ext.matchers.map(matcherString), alertmanager: ext.external },
        });
        this.silencesChanged();
        return done;
      }
      const s = this.store.silence(id);
      if (!s) throw new HttpError(404, 'not_found', `no silence ${id}`);
      const now = this.ctx.now();
      if (silenceState(s, now) === 'expired') throw new HttpError(409, 'already_expired', `silence ${id} has already expired`);
      s.expiredAt = now;
      s.expiredBy = req.actor?.name ?? 'anonymous';
      for (const c of this.notifier.alertmanagers()) {
        const sync = s.alertmanagers[c.url];
        if (!sync?.id) continue;
        try {
          await c.deleteSilence(sync.id);
          s.alertmanagers[c.url] = { id: sync.id, expired: true };
        } catch (err) {
          s.alertmanagers[c.url] = { ...sync, error: (err as Error).message };
        }
      }
      this.store.putSilence(s);
      this.audit(req, { action: 'silence.expire', target: id, outcome: 'success', detail: { matchers: s.matchers.map(matcherString) } });
      this.silencesChanged();
      return s;
    });
  }

  // ---- API ----

  listAlerts(q: URLSearchParams): AlertView[] {
    const state = q.get('state') ?? 'all';
    if (!['firing', 'resolved', 'all'].includes(state)) throw new HttpError(400, 'bad_request', 'state: expected firing, resolved or all');
    const silenced = q.get('silenced');
    if (silenced !== null && silenced !== 'true' && silenced !== 'false') throw new HttpError(400, 'bad_request', 'silenced: expected true or false');
    let filter: Matcher[] = [];
    const f = q.get('filter');
    if (f) {
      try {
        filter = parseMatchers(f);
      } catch (err) {
        throw new HttpError(400, 'bad_request', `filter: ${(err as Error).message}`);
      }
    }
    return this.views()
      .filter((v) => state === 'all' || v.status === state)
      .filter((v) => silenced === null || v.silencedBy.length > 0 === (silenced === 'true'))
      .filter((v) => matchesAll(filter, v.labels))
      .sort((a, b) => (a.status === b.status ? b.startsAt - a.startsAt : a.status === 'firing' ? -1 : 1));
  }

  routes(): ApiRoute[] {
    const fp = (req: ApiRequest) => {
      const v = req.params.fingerprint ?? '';
      if (!/^[0-9a-f]{16}$/.test(v)) throw new HttpError(400, 'bad_request', 'fingerprint: expected 16 hex digits');
      return v;
    };
    const silenceOut = (s: Silence) => ({ ...s, matchers: s.matchers.map(matcherString), state: silenceState(s, this.ctx.now()) });
    return [
      { method: 'GET', path: '/api/v1/alerts/active', access: 'viewer', handler: (req) => json({ alerts: this.listAlerts(req.query) }) },
      {
        method: 'POST',
        path: '/api/v1/alerts/:fingerprint/claim',
        access: 'operator',
        handler: async (req) => json({ alert: await this.claim(req, fp(req)) }),
      },
      {
        method: 'DELETE',
        path: '/api/v1/alerts/:fingerprint/claim',
        access: 'operator',
        handler: async (req) => json({ alert: await this.unclaim(req, fp(req)) }),
      },
      { method: 'POST', path: '/api/v1/alerts/:fingerprint/ack', access: 'operator', handler: async (req) => json({ alert: await this.ack(req, fp(req)) }) },
      {
        method: 'GET',
        path: '/api/v1/silences',
        access: 'viewer',
        handler: (req) => {
          const state = req.query.get('state') ?? 'all';
          if (!['active', 'pending', 'expired', 'all'].includes(state))
            throw new HttpError(400, 'bad_request', 'state: expected active, pending, expired or all');
          const all = [...this.store.allSilences(), ...this.store.externalSilences()];
          return json({ silences: all.map(silenceOut).filter((s) => state === 'all' || s.state === state) });
        },
      },
      {
        method: 'POST',
        path: '/api/v1/silences',
        access: 'operator',
        handler: async (req) => json({ silence: silenceOut(await this.createSilence(req)) }, 201),
      },
      {
        method: 'DELETE',
        path: '/api/v1/silences/:id',
        access: 'operator',
        handler: async (req) => {
          const id = req.params.id ?? '';
          if (!/^[0-9a-f-]{36}$/.test(id)) throw new HttpError(400, 'bad_request', 'id: expected a silence id (UUID)');
          return json({ silence: silenceOut(await this.expireSilence(req, id)) });
        },
      },
      ...this.notifier.routes(),
    ];
  }
}

/** Component factory: register in collector/components.ts. Provides ctx.hub.alerts. */
export const alertsComponent: ComponentFactory = (ctx) => {
  const c = new AlertsComponent(ctx);
  ctx.hub.alerts = c;
  ctx.hub.activeAlertsByNode = () => {
    const counts = new Map<string, number>();
    for (const a of c.listAlerts(new URLSearchParams({ state: 'firing' }))) {
      const n = a.labels.node;
      if (n !== undefined) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    return counts;
  };
  return c;
};
