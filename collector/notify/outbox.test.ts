import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/proc.js';
import { AlertsComponent } from '../alerts/component.js';
import type { OutgoingAlert } from '../core/component.js';
import { backoffMs } from './outbox.js';
import { SlidingWindowLimiter } from './ratelimit.js';
import { FakeClock, type Peer, sendJson, startPeer, testEnv, type TestEnv } from './testing.js';

const T0 = Date.UTC(2026, 11, 3, 7, 0, 0);
const S = 1000;

const firing = (i: number, now: number): OutgoingAlert => ({
  labels: { alertname: 'LinkDown', severity: 'warning', node: `town-${String(i).padStart(2, '0')}`, site: 'city' },
  annotations: { summary: `link ${i} down` },
  startsAt: T0,
  endsAt: now + 4 * 60 * S,
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function metric(env: TestEnv, name: string, labels: string): Promise<number | undefined> {
  const text = await env.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : undefined;
}

describe('sliding window and backoff', () => {
  it('allows N per rolling window', () => {
    const l = new SlidingWindowLimiter(3, 60 * S);
    for (const t of [0, 10 * S, 20 * S]) {
      expect(l.nextAllowedAt(t)).toBe(0);
      l.record(t);
    }
    expect(l.nextAllowedAt(30 * S)).toBe(60 * S);
    expect(l.nextAllowedAt(60 * S)).toBe(0); // the event at 0 left the window
    expect(new SlidingWindowLimiter(0).nextAllowedAt(0)).toBe(0);
  });
  it.each([
    [1, 10 * S],
    [2, 20 * S],
    [4, 80 * S],
    [7, 600 * S],
    [40, 600 * S],
  ])('attempt %i waits %i ms', (n, want) => {
    expect(backoffMs(n, 10 * S, 600 * S)).toBe(want);
  });
});

describe('outbox: restart mid-delivery', () => {
  it('nothing lost, nothing doubled across a stop and a reopen of the same database', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const ids: string[] = [];
    const peer = await startPeer(async (r, res) => {
      ids.push(String(r.headers['x-xunjian-notification-id']));
      if (ids.length === 1) await gate; // the first delivery is in flight when the collector stops
      res.writeHead(200).end();
    });
    cleanup.push(() => peer.close());
    const clock = new FakeClock(T0);
    const cfg = {
      notify: { receivers: [{ name: 'hook', type: 'webhook', url: `${peer.url}/hook` }], route: { receiver: 'hook', group_by: ['...'], group_wait: '0s' } },
    };
    let env = testEnv(cfg, clock);
    cleanup.push(() => env.close());
    let c = new AlertsComponent(env.ctx);
    c.send([1, 2, 3, 4, 5].map((i) => firing(i, clock.t)));
    const tick = c.tick();
    await waitFor(() => ids.length > 0, 5000, 'the first send under way', 5);
    const stopping = c.stop();
    release();
    await tick;
    await stopping;
    expect(ids).toEqual(['1']);
    expect(c.notifier.outbox.list({ state: 'pending' }).map((r) => r.id)).toEqual([5, 4, 3, 2]);

    env = env.reopen();
    c = new AlertsComponent(env.ctx);
    clock.advance(S);
    await c.tick();
    // the rules re-send the same alerts after the restart: no new notification (notification log)
    c.send([1, 2, 3, 4, 5].map((i) => firing(i, clock.t)));
    clock.advance(60 * S);
    await c.tick();
    await c.stop();
    expect(ids).toEqual(['1', '2', '3', '4', '5']);
    expect(c.notifier.outbox.list().map((r) => [r.id, r.state, r.attempts])).toEqual([5, 4, 3, 2, 1].map((id) => [id, 'sent', 1]));
    const nodes = peer.received.map((r) => (r.json as { alerts: { labels: { node: string } }[] }).alerts[0]!.labels.node);
    expect(nodes).toEqual(['town-01', 'town-02', 'town-03', 'town-04', 'town-05']);
  });
});

describe('outbox: a DingTalk robot down for 10 minutes', () => {
  it('delivers everything after, in order, never more than 20 per rolling minute', async () => {
    const SECRET = 'dt-secret';
    const clock = new FakeClock(T0);
    let downUntil = T0 + 10 * 60 * S;
    const accepted: { ts: number; node: string }[] = [];
    let throttled = 0;
    const peer: Peer = await startPeer((r, res) => {
      const ts = Number(r.url.searchParams.get('timestamp'));
      if (r.url.searchParams.get('sign') !== createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64'))
        return sendJson(res, 200, { errcode: 310000, errmsg: 'sign not match' });
      if (clock.t < downUntil) return res.writeHead(502).end('bad gateway');
      // the robot's own limit, by its clock (the injected one): 20 per rolling minute
      if (accepted.filter((a) => a.ts > ts - 60 * S).length >= 20) {
        throttled++;
        return sendJson(res, 200, { errcode: 130101, errmsg: 'send too fast' });
      }
      const text = (r.json as { markdown: { text: string } }).markdown.text;
      accepted.push({ ts, node: /节点 (town-\d+)/.exec(text)![1]! });
      sendJson(res, 200, { errcode: 0, errmsg: 'ok' });
    });
    cleanup.push(() => peer.close());
    const env = testEnv(
      {
        notify: {
          receivers: [{ name: 'dt', type: 'dingtalk', url: `${peer.url}/robot/send`, token: 't', secret: SECRET }],
          route: { receiver: 'dt', group_by: ['...'], group_wait: '0s' },
        },
      },
      clock,
    );
    cleanup.push(() => env.close());
    const c = new AlertsComponent(env.ctx);
    cleanup.push(() => c.stop());
    c.send(Array.from({ length: 30 }, (_, i) => firing(i + 1, clock.t)));
    await c.tick();
    expect(await metric(env, 'xunjian_notification_queue_length', 'receiver="dt"')).toBe(30);
    // 13 minutes, one tick per simulated second (the rules re-send every minute)
    for (let s = 1; s <= 13 * 60; s++) {
      clock.advance(S);
      if (s % 60 === 0) c.send(Array.from({ length: 30 }, (_, i) => firing(i + 1, clock.t)));
      await c.tick();
    }
    expect(throttled).toBe(0);
    expect(accepted.map((a) => a.node)).toEqual(Array.from({ length: 30 }, (_, i) => `town-${String(i + 1).padStart(2, '0')}`));
    for (const a of accepted) expect(accepted.filter((b) => b.ts > a.ts - 60 * S && b.ts <= a.ts).length).toBeLessThanOrEqual(20);
    expect(accepted[0]!.ts).toBeGreaterThanOrEqual(downUntil);
    // retries while down: 10, 20, 40, 80, 160, 320 s after each failure → first success at 630 s
    expect(accepted[0]!.ts).toBe(T0 + 630 * S);
    expect(accepted[19]!.ts - accepted[0]!.ts).toBeLessThan(60 * S);
    expect(accepted[20]!.ts).toBe(accepted[0]!.ts + 60 * S);
    expect(await metric(env, 'xunjian_notifications_total', 'receiver="dt",result="retry"')).toBe(6);
    expect(await metric(env, 'xunjian_notifications_total', 'receiver="dt",result="success"')).toBe(30);
    expect(await metric(env, 'xunjian_notification_queue_length', 'receiver="dt"')).toBe(0);
    expect((await env.registry.metrics()).includes(SECRET)).toBe(false);
    expect(env.logs.some((l) => l.includes('will retry') && l.includes('HTTP 502'))).toBe(true);
    expect(env.logs.join('\n')).not.toContain(SECRET);
    downUntil = 0;
  });
});

describe('outbox: Feishu bot limits', () => {
  it('at most 5 messages a second; the outbox API shows the queue', async () => {
    const clock = new FakeClock(T0);
    const peer = await startPeer((_r, res) => {
      sendJson(res, 200, { code: 0, msg: 'success', data: {} });
    });
    cleanup.push(() => peer.close());
    const env = testEnv(
      {
        notify: {
          receivers: [{ name: 'fs', type: 'feishu', url: `${peer.url}/open-apis/bot/v2/hook/tok` }],
          route: { receiver: 'fs', group_by: ['...'], group_wait: '0s' },
        },
      },
      clock,
    );
    cleanup.push(() => env.close());
    const c = new AlertsComponent(env.ctx);
    cleanup.push(() => c.stop());
    c.send(Array.from({ length: 12 }, (_, i) => firing(i + 1, clock.t)));
    await c.tick();
    expect(peer.received).toHaveLength(5);
    const api = c.routes().find((r) => r.path === '/api/v1/notifications')!;
    const body = (await api.handler({
      method: 'GET',
      path: '/api/v1/notifications',
      params: {},
      query: new URLSearchParams('state=pending'),
      headers: {},
      body: undefined,
      remote: '127.0.0.1',
    })) as {
      body: { notifications: { id: number; receiver: string; state: string; alerts: number }[]; receivers: unknown[] };
    };
    expect(body.body.notifications.map((n) => [n.id, n.state])).toEqual([12, 11, 10, 9, 8, 7, 6].map((id) => [id, 'pending']));
    expect(body.body.receivers).toEqual([{ name: 'fs', type: 'feishu', rateLimitPerMinute: 100, sendResolved: true }]);
    clock.advance(999);
    await c.tick();
    expect(peer.received).toHaveLength(5);
    clock.advance(1);
    await c.tick();
    expect(peer.received).toHaveLength(10);
    clock.advance(S);
    await c.tick();
    expect(peer.received).toHaveLength(12);
  });
});
