import { createHash } from 'node:crypto';
import type { LabelSet } from '../core/component.js';
import { labelsString } from '../alerts/labels.js';
import type { AlertView } from '../alerts/types.js';
import type { NotifiedAlert, Notification } from './receivers/types.js';
import { type Route, groupLabels, matchRoute } from './route.js';

/**
 * Aggregation groups with Alertmanager's timing and deduplication (dispatch/dispatch.go,
 * notify.DedupStage), written for an injected clock: `update` routes alerts into groups, `flushDue`
 * flushes the groups whose time came. A new group waits `group_wait` (or flushes at once when its
 * alert started more than group_wait ago); after a flush it waits `group_interval`. A flush notifies
 * when a firing alert is new since the last notification, when alerts resolved (with send_resolved,
 * or when all did), or when `repeat_interval` passed — except that claimed alerts do not repeat.
 * Silenced alerts stay in the group but are left out. Resolved alerts leave the group after a flush.
 */
export interface NflogEntry {
  firing: string[];
  resolved: string[];
  sentAt: number;
  seq: number;
}

export interface Nflog {
  get(groupKey: string, receiver: string): NflogEntry | undefined;
}

export interface FlushResult {
  groupKey: string;
  receiver: string;
  /** The new nflog entry to store (with seq + 1 when a notification is sent). */
  entry: NflogEntry;
  /** Undefined: nothing to send (the nflog is still updated, e.g. all resolved without send_resolved). */
  notification?: Notification;
}

interface Group {
  key: string;
  route: Route;
  labels: LabelSet;
  alerts: Map<string, AlertView>;
  nextFlushAt: number;
  hasFlushed: boolean;
}

export const groupKeyOf = (r: Route, labels: LabelSet): string => `${r.key}:${labelsString(groupLabels(r, labels))}`;

export function toNotified(a: AlertView): NotifiedAlert {
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: a.status === 'resolved' ? a.endsAt : 0,
    generatorURL: a.generatorURL,
    ...(a.value !== undefined ? { value: a.value } : {}),
    ...(a.claim ? { claimedBy: a.claim.by } : {}),
    ...(a.ack ? { ackedBy: a.ack.by } : {}),
  };
}

const byStart = (a: AlertView, b: AlertView) => {
  const x = labelsString(a.labels);
  const y = labelsString(b.labels);
  return a.startsAt - b.startsAt || (x < y ? -1 : x > y ? 1 : 0);
};
const subset = (a: readonly string[], b: readonly string[]) => {
  const s = new Set(b);
  return a.every((x) => s.has(x));
};

/** Alertmanager's needsUpdate, plus: a repeat needs an unclaimed firing alert. */
export function needsUpdate(
  entry: NflogEntry | undefined,
  firing: string[],
  resolved: string[],
  sendResolved: boolean,
  repeatMs: number,
  now: number,
  anyUnclaimed: boolean,
): boolean {
  if (!entry) return firing.length > 0;
  if (!subset(firing, entry.firing)) return true;
  if (firing.length === 0) return entry.firing.length > 0;
  if (sendResolved && !subset(resolved, entry.resolved)) return true;
  return anyUnclaimed && entry.sentAt <= now - repeatMs;
}

export class Dispatcher {
  private readonly groups = new Map<string, Group>();

  constructor(
    private root: Route,
    private readonly sendResolved: (receiver: string) => boolean,
    private readonly nflog: Nflog,
  ) {}

  /** Replace the tree (reload): groups are rebuilt by the caller's next `update` with every alert. */
  reset(root: Route): void {
    this.root = root;
    this.groups.clear();
  }

  update(alerts: readonly AlertView[], now: number): void {
    for (const a of alerts) {
      for (const r of matchRoute(this.root, a.labels)) {
        const key = groupKeyOf(r, a.labels);
        let g = this.groups.get(key);
        if (!g) {
          // A resolved alert opens no group (there is nothing to tell about it).
          if (a.status === 'resolved') continue;
          g = { key, route: r, labels: groupLabels(r, a.labels), alerts: new Map(), nextFlushAt: now + r.groupWaitMs, hasFlushed: false };
          this.groups.set(key, g);
        }
        g.alerts.set(a.fingerprint, a);
        if (!g.hasFlushed && a.startsAt + r.groupWaitMs < now) g.nextFlushAt = Math.min(g.nextFlushAt, now);
      }
    }
  }

  /** Earliest time a group is due (Infinity when none). */
  nextFlushAt(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const g of this.groups.values()) t = Math.min(t, g.nextFlushAt);
    return t;
  }

  groupCount(): number {
    return this.groups.size;
  }

  flushDue(now: number): FlushResult[] {
    const out: FlushResult[] = [];
    for (const g of [...this.groups.values()]) {
      if (g.nextFlushAt > now) continue;
      g.nextFlushAt = now + g.route.groupIntervalMs;
      g.hasFlushed = true;
      const res = this.flush(g, now);
      if (res) out.push(res);
      for (const a of [...g.alerts.values()]) if (a.status === 'resolved') g.alerts.delete(a.fingerprint);
      if (g.alerts.size === 0) this.groups.delete(g.key);
    }
    return out;
  }

  private flush(g: Group, now: number): FlushResult | undefined {
    const receiver = g.route.receiver;
    const shown = [...g.alerts.values()].filter((a) => a.silencedBy.length === 0);
    const firingAlerts = shown.filter((a) => a.status === 'firing').sort(byStart);
    const resolvedAlerts = shown.filter((a) => a.status === 'resolved').sort(byStart);
    const firing = firingAlerts.map((a) => a.fingerprint).sort();
    const resolved = resolvedAlerts.map((a) => a.fingerprint).sort();
    const entry = this.nflog.get(g.key, receiver);
    const sendResolved = this.sendResolved(receiver);
    if (
      !needsUpdate(
        entry,
        firing,
        resolved,
        sendResolved,
        g.route.repeatIntervalMs,
        now,
        firingAlerts.some((a) => !a.claim),
      )
    )
      return undefined;
    const next: NflogEntry = { firing, resolved, sentAt: now, seq: (entry?.seq ?? 0) + 1 };
    const alerts = [...firingAlerts, ...(sendResolved ? resolvedAlerts : [])];
    if (alerts.length === 0) return { groupKey: g.key, receiver, entry: next };
    return {
      groupKey: g.key,
      receiver,
      entry: next,
      notification: {
        receiver,
        groupKey: g.key,
        groupLabels: g.labels,
        status: firingAlerts.length ? 'firing' : 'resolved',
        alerts: alerts.map(toNotified),
        createdAt: now,
      },
    };
  }

  /** For the API: the groups and their alerts' fingerprints. */
  snapshot(): { groupKey: string; receiver: string; labels: LabelSet; alerts: string[]; nextFlushAt: number }[] {
    return [...this.groups.values()].map((g) => ({
      groupKey: g.key,
      receiver: g.route.receiver,
      labels: g.labels,
      alerts: [...g.alerts.keys()],
      nextFlushAt: g.nextFlushAt,
    }));
  }
}

/** Short digest for ids. */
export const digest = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);
