import type { LabelSet } from '../../../core/component.js';
import { expect2xx, postJson } from '../http.js';
import type { Notification, ReceiverFactory } from '../types.js';

/**
 * Generic webhook: Alertmanager's webhook payload, version 4, so existing webhook consumers work.
 * `X-Xunjian-Notification-Id` is the outbox id, the same on every retry (an idempotency key).
 */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function common(sets: LabelSet[]): LabelSet {
  if (sets.length === 0) return {};
  const out: LabelSet = { ...sets[0] };
  for (const s of sets.slice(1)) for (const k of Object.keys(out)) if (s[k] !== out[k]) delete out[k];
  return out;
}

export function webhookPayload(n: Notification, externalURL: string, maxAlerts: number) {
  const shown = maxAlerts > 0 ? n.alerts.slice(0, maxAlerts) : n.alerts;
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - shown.length,
    status: n.status,
    receiver: n.receiver,
    groupLabels: n.groupLabels,
    commonLabels: common(n.alerts.map((a) => a.labels)),
    commonAnnotations: common(n.alerts.map((a) => a.annotations)),
    externalURL,
    alerts: shown.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt).toISOString(),
      endsAt: a.status === 'resolved' ? new Date(a.endsAt).toISOString() : ZERO_TIME,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
  };
}

export const webhookReceiver: ReceiverFactory = (cfg, env) => {
  if (!cfg.url || !/^https?:\/\//.test(cfg.url)) return env.fail('url', 'expected the webhook URL (http:// or https://)');
  const url = cfg.url;
  const token = env.secret(cfg.token, cfg.tokenFile, 'token');
  return {
    name: cfg.name,
    type: 'webhook',
    rateLimitPerMinute: cfg.rateLimitPerMinute ?? 0,
    sendResolved: cfg.sendResolved,
    async send(n, ctx) {
      const headers: Record<string, string> = { 'x-xunjian-notification-id': String(ctx.id) };
      if (token) headers.authorization = `Bearer ${token}`;
      const r = await postJson(url, webhookPayload(n, env.externalURL, cfg.maxAlerts), {
        timeoutMs: cfg.timeoutSeconds * 1000,
        signal: ctx.signal,
        headers,
        what: `webhook ${cfg.name}`,
      });
      expect2xx(r, `webhook ${cfg.name}`);
    },
  };
};
