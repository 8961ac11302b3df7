import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../../../lib/log.js';
import type { OutgoingAlert } from '../../../core/component.js';
import type { Matcher } from '../../../alerts/labels.js';
import type { AlertmanagerConfig } from '../../config.js';
import { postJson } from '../http.js';
import { DeliveryError } from '../types.js';

/**
 * Alertmanager API v2 client and forwarder. Every alert the rules send goes to every Alertmanager
 * (they deduplicate among themselves), as Prometheus's notifier does: a bounded in-memory queue per
 * Alertmanager, batches of 64, no retry (the rules re-send active alerts every resend delay and
 * resolved ones for 15 minutes). Silences made in Xunjian are created there too.
 */
export const AM_QUEUE_CAPACITY = 10_000;
const BATCH = 64;

export interface AmSilence {
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface AmSilenceOut extends AmSilence {
  id: string;
  /** active, pending or expired */
  state: string;
}

export class AlertmanagerClient {
  readonly url: string;
  constructor(
    readonly cfg: AlertmanagerConfig,
    private readonly token?: string,
  ) {
    this.url = cfg.url.replace(/\/+$/, '');
  }

  private headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private opts(signal?: AbortSignal) {
    return {
      timeoutMs: this.cfg.timeoutSeconds * 1000,
      signal: signal ?? new AbortController().signal,
      headers: this.headers(),
      what: `alertmanager ${this.url}`,
    };
  }

  async postAlerts(alerts: OutgoingAlert[], signal?: AbortSignal): Promise<void> {
    const body = alerts.map((a) => ({
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt).toISOString(),
      endsAt: new Date(a.endsAt).toISOString(),
      ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
    }));
    const r = await postJson(`${this.url}/api/v2/alerts`, body, this.opts(signal));
    if (r.status !== 200) throw new DeliveryError(`alertmanager ${this.url}: HTTP ${r.status}: ${r.text.slice(0, 200)}`, false);
  }

  /** Returns the Alertmanager's silence id. */
  async createSilence(s: AmSilence, signal?: AbortSignal): Promise<string> {
    const body = {
      matchers: s.matchers.map((m) => ({
        name: m.name,
        value: m.value,
        isRegex: m.type === '=~' || m.type === '!~',
        isEqual: m.type === '=' || m.type === '=~',
      })),
      startsAt: new Date(s.startsAt).toISOString(),
      endsAt: new Date(s.endsAt).toISOString(),
      createdBy: s.createdBy,
      comment: s.comment || '-',
    };
    const r = await postJson(`${this.url}/api/v2/silences`, body, this.opts(signal));
    const id = r.json?.silenceID;
    if (r.status !== 200 || typeof id !== 'string')
      throw new DeliveryError(`alertmanager ${this.url}: silence refused: HTTP ${r.status}: ${r.text.slice(0, 200)}`, r.status >= 500);
    return id;
  }

  /** The silences this Alertmanager holds (API v2 `GET /api/v2/silences`). */
  async listSilences(signal?: AbortSignal): Promise<AmSilenceOut[]> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/api/v2/silences`, {
        headers: this.headers(),
        signal: AbortSignal.any([signal ?? new AbortController().signal, AbortSignal.timeout(this.cfg.timeoutSeconds * 1000)]),
      });
    } catch (err) {
      throw new DeliveryError(`alertmanager ${this.url}: ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`, true);
    }
    const text = await res.text();
    if (res.status !== 200) throw new DeliveryError(`alertmanager ${this.url}: listing silences: HTTP ${res.status}`, true);
    const raw = JSON.parse(text) as {
      id: string;
      matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
      startsAt: string;
      endsAt: string;
      createdBy: string;
      comment: string;
      status: { state: string };
    }[];
    return raw.map((s) => ({
      id: s.id,
      matchers: s.matchers.map((m) => ({
        name: m.name,
        value: m.value,
        type: m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=',
      })),
      startsAt: Date.parse(s.startsAt),
      endsAt: Date.parse(s.endsAt),
      createdBy: s.createdBy,
      comment: s.comment,
      state: s.status.state,
    }));
  }

  async deleteSilence(id: string, signal?: AbortSignal): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/api/v2/silence/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        headers: this.headers(),
        signal: AbortSignal.any([signal ?? new AbortController().signal, AbortSignal.timeout(this.cfg.timeoutSeconds * 1000)]),
      });
    } catch (err) {
      throw new DeliveryError(`alertmanager ${this.url}: ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`, true);
    }
    const text = await res.text().catch(() => '');
    // 404: gone (expired and garbage-collected); "already expired": expired there before us. Both fine.
    if (res.status === 200 || res.status === 404 || /already expired/i.test(text)) return;
    throw new DeliveryError(`alertmanager ${this.url}: silence expiry refused: HTTP ${res.status}: ${text.slice(0, 200)}`, res.status >= 500);
  }
}

export interface ForwarderMetrics {
  sent: Counter<'alertmanager'>;
  errors: Counter<'alertmanager'>;
  dropped: Counter<'alertmanager'>;
  queue: Gauge<'alertmanager'>;
}

export function forwarderMetrics(registry: Registry): ForwarderMetrics {
  return {
    sent: new Counter({
      name: 'xunjian_alertmanager_alerts_sent_total',
      help: 'Alerts posted to an Alertmanager (API v2).',
      labelNames: ['alertmanager'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'xunjian_alertmanager_alerts_errors_total',
      help: 'Alerts whose post to an Alertmanager failed (not retried: the rules re-send).',
      labelNames: ['alertmanager'],
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'xunjian_alertmanager_alerts_dropped_total',
      help: 'Alerts dropped because an Alertmanager queue was full.',
      labelNames: ['alertmanager'],
      registers: [registry],
    }),
    queue: new Gauge({
      name: 'xunjian_alertmanager_queue_length',
      help: 'Alerts waiting to be posted to an Alertmanager.',
      labelNames: ['alertmanager'],
      registers: [registry],
    }),
  };
}

/** One queue per Alertmanager. */
export class AlertmanagerForwarder {
  private readonly queues = new Map<string, OutgoingAlert[]>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    readonly clients: AlertmanagerClient[],
    private readonly m: ForwarderMetrics,
    private readonly log: Logger,
    private readonly capacity = AM_QUEUE_CAPACITY,
  ) {
    for (const c of clients) {
      this.queues.set(c.url, []);
      m.queue.set({ alertmanager: c.url }, 0);
    }
  }

  enqueue(alerts: OutgoingAlert[]): void {
    for (const c of this.clients) {
      const q = this.queues.get(c.url)!;
      q.push(...alerts);
      if (q.length > this.capacity) {
        const n = q.length - this.capacity;
        q.splice(0, n);
        this.m.dropped.inc({ alertmanager: c.url }, n);
      }
      this.m.queue.set({ alertmanager: c.url }, q.length);
      if (!this.running.has(c.url)) {
        const p = this.drain(c).finally(() => this.running.delete(c.url));
        this.running.set(c.url, p);
      }
    }
  }

  private async drain(c: AlertmanagerClient): Promise<void> {
    const q = this.queues.get(c.url)!;
    while (q.length && !this.abort.signal.aborted) {
      const batch = q.splice(0, BATCH);
      this.m.queue.set({ alertmanager: c.url }, q.length);
      try {
        await c.postAlerts(batch, this.abort.signal);
        this.m.sent.inc({ alertmanager: c.url }, batch.length);
      } catch (err) {
        this.m.errors.inc({ alertmanager: c.url }, batch.length);
        this.log.warn('posting alerts to an Alertmanager failed', { alertmanager: c.url, alerts: batch.length, error: (err as Error).message });
      }
    }
  }

  /** Resolves when every queue is empty (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  async stop(timeoutMs = 5000): Promise<void> {
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.abort.abort();
  }
}
