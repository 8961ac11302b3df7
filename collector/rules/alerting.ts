import type { LabelSet, OutgoingAlert } from '../core/component.js';
import type { RuleDef } from './rulefile.js';
import { expandAlertTemplate } from './template.js';
import { type InstantSample, labelsKey, type OutSample, type QueryFunc, sortLabels } from './types.js';

/**
 * An alerting rule with Prometheus 2.42's lifecycle (`rules/alerting.go`): every evaluation turns the
 * expression's result into alerts, inactive → pending → firing (after `for`) → resolved (inactive,
 * kept 15 min so the resolution is sent); `keep_firing_for` keeps a firing alert firing that long after
 * its condition stopped holding. Pure: the query and the clock are passed in.
 */

export type AlertState = 'inactive' | 'pending' | 'firing';

export interface Alert {
  state: AlertState;
  labels: LabelSet;
  annotations: LabelSet;
  value: number;
  /** ms; 0 = unset (as Go's zero time). */
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  lastSentAt: number;
  validUntil: number;
  keepFiringSince: number;
}

/** How long a resolved alert is kept (and re-sent as resolved). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

export type Health = 'unknown' | 'ok' | 'err';

export interface EvalEnv {
  externalLabels: LabelSet;
  externalURL: string;
  /** Max alerts (pending+firing) of the rule; 0 = no limit. */
  limit: number;
  /** Template expansion errors go here (Prometheus logs them at warn). */
  onTemplateError?: (rule: string, err: string) => void;
}

export class AlertingRule<E = unknown> {
  readonly kind = 'alert' as const;
  readonly name: string;
  /** Active alerts by their label set key (inactive ones kept until resolved retention ends). */
  active = new Map<string, Alert>();
  /** false until the state was restored (ALERTS series are written only once restored). */
  restored = true;
  health: Health = 'unknown';
  lastError = '';
  lastEvaluation = 0;
  evaluationSeconds = 0;

  constructor(readonly def: RuleDef<E>) {
    this.name = def.name;
  }

  /** One evaluation at ts: updates the alerts, returns the ALERTS / ALERTS_FOR_STATE samples. */
  eval(ts: number, query: QueryFunc<E>, env: EvalEnv): OutSample[] {
    const res = query(this.def.parsed, ts);
    const fresh = new Map<string, Alert>();
    for (const s of res) {
      const a = this.alertFrom(s, ts, env);
      const k = labelsKey(a.labels);
      if (fresh.has(k)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      fresh.set(k, a);
    }
    for (const [k, a] of fresh) {
      const cur = this.active.get(k);
      if (cur && cur.state !== 'inactive') {
        cur.value = a.value;
        cur.annotations = a.annotations;
        continue;
      }
      this.active.set(k, a);
    }
    const out: OutSample[] = [];
    let numActive = 0;
    for (const [k, a] of this.active) {
      if (!fresh.has(k)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.def.keepFiringForMs > 0) {
          if (a.keepFiringSince === 0) a.keepFiringSince = ts;
          if (ts - a.keepFiringSince < this.def.keepFiringForMs) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAt !== 0 && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) this.active.delete(k);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSince = 0;
      }
      numActive++;
      if (a.state === 'pending' && ts - a.activeAt >= this.def.forMs) {
        a.state = 'firing';
        a.firedAt = ts;
      }
      if (this.restored) {
        out.push({ labels: this.alertsSeries(a, 'ALERTS', true), value: 1, ts });
        out.push({ labels: this.alertsSeries(a, 'ALERTS_FOR_STATE', false), value: Math.floor(a.activeAt / 1000), ts });
      }
    }
    if (env.limit > 0 && numActive > env.limit) {
      this.active = new Map();
      throw new Error(`exceeded limit of ${env.limit} with ${numActive} alerts`);
    }
    return out;
  }

  private alertFrom(s: InstantSample, ts: number, env: EvalEnv): Alert {
    const data = { labels: s.labels, externalLabels: env.externalLabels, externalURL: env.externalURL, value: s.value };
    const expand = (text: string) => {
      const r = expandAlertTemplate(text, this.name, data);
      if (r.error) env.onTemplateError?.(this.name, r.error);
      return r.text;
    };
    const labels: LabelSet = { ...s.labels };
    delete labels.__name__;
    for (const [k, v] of Object.entries(this.def.labels)) labels[k] = expand(v);
    labels.alertname = this.name;
    const annotations: LabelSet = {};
    for (const [k, v] of Object.entries(this.def.annotations)) annotations[k] = expand(v);
    // Prometheus's label builder drops a label set to '' (annotations keep empty values)
    for (const [k, v] of Object.entries(labels)) if (v === '') delete labels[k];
    return {
      state: 'pending',
      labels: sortLabels(labels),
      annotations: sortLabels(annotations),
      value: s.value,
      activeAt: ts,
      firedAt: 0,
      resolvedAt: 0,
      lastSentAt: 0,
      validUntil: 0,
      keepFiringSince: 0,
    };
  }

  private alertsSeries(a: Alert, metric: string, withState: boolean): LabelSet {
    const l: LabelSet = { ...this.def.labels, ...a.labels, __name__: metric, alertname: this.name };
    if (withState) l.alertstate = a.state;
    for (const [k, v] of Object.entries(l)) if (v === '') delete l[k];
    return l;
  }

  /** Highest state over the rule's alerts (firing > pending > inactive). */
  state(): AlertState {
    let s: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') s = 'pending';
    }
    return s;
  }

  /** Pending and firing alerts (not the resolved ones kept for re-sending). */
  activeAlerts(): Alert[] {
    return [...this.active.values()].filter((a) => a.resolvedAt === 0);
  }

  /**
   * Alerts due to be sent at ts, as Prometheus's notifier: firing ones every resendDelay with
   * endsAt = ts + 4 × max(resendDelay, interval); resolved ones once more with endsAt = resolvedAt.
   */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number, externalURL: string): OutgoingAlert[] {
    const out: OutgoingAlert[] = [];
    for (const a of this.active.values()) {
      if (!needsSending(a, ts, resendDelayMs)) continue;
      a.lastSentAt = ts;
      a.validUntil = ts + 4 * Math.max(resendDelayMs, intervalMs);
      out.push({
        labels: { ...a.labels },
        annotations: { ...a.annotations },
        startsAt: a.firedAt,
        endsAt: a.resolvedAt !== 0 ? a.resolvedAt : a.validUntil,
        generatorURL: externalURL + tableLink(this.def.expr),
        value: a.value,
      });
    }
    return out;
  }
}

function needsSending(a: Alert, ts: number, resendDelayMs: number): boolean {
  if (a.state === 'pending') return false;
  // never sent (Go's zero time is long past: the first send is immediate)
  if (a.lastSentAt === 0) return true;
  if (a.resolvedAt > a.lastSentAt) return true;
  return a.lastSentAt + resendDelayMs < ts;
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/~/g, '%7E');
}

/** Prometheus's strutil.TableLinkForExpression. */
export function tableLink(expr: string): string {
  return `/graph?g0.expr=${queryEscape(expr)}&g0.tab=1`;
}
