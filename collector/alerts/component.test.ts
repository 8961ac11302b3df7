import { afterEach, describe, expect, it } from 'vitest';
import { type ApiRequest, HttpError } from '../api/types.js';
import type { OutgoingAlert } from '../core/component.js';
import { FakeClock, type Peer, apiRequest, startPeer, testEnv } from '../notify/testing.js';
import { AlertsComponent, alertsComponent } from './component.js';
import { fingerprint } from './labels.js';

const T0 = Date.UTC(2026, 11, 3, 7, 0, 0);
const S = 1000;
const M = 60 * S;

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface Hook {
  receiver: string;
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

async function setup(extra: Record<string, unknown> = {}) {
  const clock = new FakeClock(T0);
  const got: Hook[] = [];
  const peer: Peer = await startPeer((r, res) => {
    got.push(r.json as Hook);
    res.writeHead(200).end();
  });
  cleanup.push(() => peer.close());
  const env = testEnv(
    {
      notify: {
        receivers: [
          { name: 'ops', type: 'webhook', url: `${peer.url}/ops` },
          { name: 'lead', type: 'webhook', url: `${peer.url}/lead` },
        ],
        route: { receiver: 'ops', group_by: ['alertname'], group_wait: '30s', group_interval: '1m', repeat_interval: '1h' },
      },
      alerts: { escalation: [{ after: '15m', receiver: 'lead', matchers: ['severity="critical"'] }] },
      ...extra,
    },
    clock,
  );
  cleanup.push(() => env.close());
  const c = alertsComponent(env.ctx) as AlertsComponent;
  cleanup.push(() => c.stop());
  expect(env.ctx.hub.alerts).toBe(c);
  const route = (method: string, path: string) => {
    const r = c.routes().find((x) => x.method === method && x.path === path)!;
    return { ...r, handler: async (req: ApiRequest) => r.handler(req) };
  };
  const run = async (ms: number, step = 10 * S) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      await c.tick();
    }
  };
  return { clock, got, env, c, route, run };
}

const alert = (node: string, clockT: number, over: Partial<OutgoingAlert> = {}): OutgoingAlert => ({
  labels: { alertname: 'HostDown', severity: 'critical', node, site: 'city' },
  annotations: { summary: `${node} unreachable` },
  startsAt: T0,
  endsAt: clockT + 4 * M,
  ...over,
});
const fpOf = (node: string) => fingerprint({ alertname: 'HostDown', severity: 'critical', node, site: 'city' });

describe('alerts component: claim, ack, escalation, audit', () => {
  it('routes: viewer reads, operator acts', async () => {
    const { c } = await setup();
    expect(c.routes().map((r) => `${r.method} ${r.path} ${r.access}`)).toEqual([
      'GET /api/v1/alerts/active viewer',
      'POST /api/v1/alerts/:fingerprint/claim operator',
      'DELETE /api/v1/alerts/:fingerprint/claim operator',
      'POST /api/v1/alerts/:fingerprint/ack operator',
      'GET /api/v1/silences viewer',
      'POST /api/v1/silences operator',
      'DELETE /api/v1/silences/:id operator',
      'GET /api/v1/notifications viewer',
      'GET /api/v1/notifications/:id viewer',
    ]);
  });

  it('a claimed alert shows its owner, stops repeating and is not escalated; the unclaimed one escalates once', async () => {
    const { clock, got, env, c, route, run } = await setup();
    // the rules re-send every minute
    const resend = () => c.send([alert('town-01', clock.t), alert('town-02', clock.t)]);
    resend();
    await run(30 * S);
    expect(got.map((g) => [g.receiver, g.alerts.map((a) => a.labels.node)])).toEqual([['ops', ['town-01', 'town-02']]]);

    const claim = route('POST', '/api/v1/alerts/:fingerprint/claim');
    const res = await claim.handler(apiRequest('POST', '/x', { params: { fingerprint: fpOf('town-01') }, body: { comment: '我去机房看看' }, name: 'li.wei' }));
    expect(res.status).toBe(200);
    expect((res.body as { alert: { claim: unknown } }).alert.claim).toEqual({ by: 'li.wei', at: clock.t, comment: '我去机房看看' });
    const other = await claim.handler(apiRequest('POST', '/x', { params: { fingerprint: fpOf('town-01') }, name: 'wang.fang' })).catch((e) => e);
    expect(other).toBeInstanceOf(HttpError);
    expect([other.status, other.code]).toEqual([409, 'already_claimed']);
    const ack = await route('POST', '/api/v1/alerts/:fingerprint/ack').handler(
      apiRequest('POST', '/x', { params: { fingerprint: fpOf('town-01') }, name: 'zhao.lei', body: { comment: 'seen' } }),
    );
    expect((ack.body as { alert: { ack: { by: string } } }).alert.ack.by).toBe('zhao.lei');

    for (let m = 0; m < 20; m++) {
      resend();
      await run(M);
    }
    // 15 minutes after the start only the unclaimed town-02 escalated, once
    const lead = got.filter((g) => g.receiver === 'lead');
    expect(lead.map((g) => g.alerts.map((a) => a.labels.node))).toEqual([['town-02']]);

    const list = await route('GET', '/api/v1/alerts/active').handler(apiRequest('GET', '/x', { query: 'state=firing', role: 'viewer' }));
    const alerts = (list.body as { alerts: { labels: { node: string }; claim?: { by: string } }[] }).alerts;
    expect(alerts.map((a) => [a.labels.node, a.claim?.by])).toEqual([
      ['town-01', 'li.wei'],
      ['town-02', undefined],
    ]);

    // after the repeat interval the group repeats (town-02 is unclaimed) and shows the owner of town-01
    for (let m = 0; m < 45; m++) {
      resend();
      await run(M);
    }
    const ops = got.filter((g) => g.receiver === 'ops');
    expect(ops).toHaveLength(2);

    const audit = env.audit.query({}).map((e) => [e.actor, e.remote, e.action, e.target, e.outcome]);
    expect(audit).toEqual([
      ['system', 'local', 'alert.escalate', fpOf('town-02'), 'success'],
      ['zhao.lei', '127.0.0.1', 'alert.ack', fpOf('town-01'), 'success'],
      ['wang.fang', '127.0.0.1', 'alert.claim', fpOf('town-01'), 'denied'],
      ['li.wei', '127.0.0.1', 'alert.claim', fpOf('town-01'), 'success'],
    ]);
    expect(env.audit.query({ action: 'alert.claim' }).at(-1)!.detail).toEqual({ alertname: 'HostDown', comment: '我去机房看看' });

    // every alert in the group claimed: no more repeats
    await claim.handler(apiRequest('POST', '/x', { params: { fingerprint: fpOf('town-02') }, name: 'li.wei' }));
    for (let m = 0; m < 70; m++) {
      resend();
      await run(M, 30 * S);
    }
    expect(got.filter((g) => g.receiver === 'ops')).toHaveLength(2);

    // resolve: a notification with both resolved
    c.send([alert('town-01', clock.t, { endsAt: clock.t }), alert('town-02', clock.t, { endsAt: clock.t })]);
    await run(M);
    const last = got.at(-1)!;
    expect([last.receiver, last.status, last.alerts.map((a) => a.status)]).toEqual(['ops', 'resolved', ['resolved', 'resolved']]);
  });

  it('bad requests are 4xx and audited as failures', async () => {
    const { env, route } = await setup();
    const claim = route('POST', '/api/v1/alerts/:fingerprint/claim');
    const e1 = await claim.handler(apiRequest('POST', '/x', { params: { fingerprint: 'nothex' } })).catch((e) => e);
    expect([e1.status, e1.code]).toEqual([400, 'bad_request']);
    const e2 = await claim.handler(apiRequest('POST', '/x', { params: { fingerprint: '0123456789abcdef' } })).catch((e) => e);
    expect([e2.status, e2.code]).toEqual([404, 'not_found']);
    expect(env.audit.query({}).map((e) => [e.action, e.target, e.outcome])).toEqual([['alert.claim', '0123456789abcdef', 'failure']]);
    const e3 = await route('GET', '/api/v1/alerts/active')
      .handler(apiRequest('GET', '/x', { query: 'filter=zone=~"("' }))
      .catch((e) => e);
    expect(e3.status).toBe(400);
  });
});

describe('silences', () => {
  it('silenced alerts are recorded but not notified; expiring the silence notifies them', async () => {
    const { clock, got, env, c, route, run } = await setup({ alerts: {} });
    const create = route('POST', '/api/v1/silences');
    const res = await create.handler(
      apiRequest('POST', '/x', { body: { matchers: ['node=~"town-0[12]"', 'alertname="HostDown"'], duration: '2h', comment: '割接 maintenance window' } }),
    );
    expect(res.status).toBe(201);
    const s = (res.body as { silence: { id: string; matchers: string[]; state: string; endsAt: number; createdBy: string } }).silence;
    expect(s).toMatchObject({ matchers: ['node=~"town-0[12]"', 'alertname="HostDown"'], state: 'active', endsAt: T0 + 2 * 3_600_000, createdBy: 'li.wei' });

    c.send([alert('town-01', clock.t), alert('town-03', clock.t)]);
    await run(40 * S);
    expect(got.map((g) => g.alerts.map((a) => a.labels.node))).toEqual([['town-03']]);
    const list = await route('GET', '/api/v1/alerts/active').handler(apiRequest('GET', '/x', { query: 'silenced=true' }));
    expect((list.body as { alerts: { labels: { node: string }; silencedBy: string[] }[] }).alerts.map((a) => [a.labels.node, a.silencedBy])).toEqual([
      ['town-01', [s.id]],
    ]);

    const del = await route('DELETE', '/api/v1/silences/:id').handler(apiRequest('DELETE', '/x', { params: { id: s.id }, name: 'wang.fang' }));
    expect((del.body as { silence: { state: string; expiredBy: string } }).silence).toMatchObject({ state: 'expired', expiredBy: 'wang.fang' });
    c.send([alert('town-01', clock.t), alert('town-03', clock.t)]);
    await run(M);
    expect(got.map((g) => g.alerts.map((a) => a.labels.node))).toEqual([['town-03'], ['town-01', 'town-03']]);
    const again = await route('DELETE', '/api/v1/silences/:id')
      .handler(apiRequest('DELETE', '/x', { params: { id: s.id } }))
      .catch((e) => e);
    expect(again.status).toBe(409);
    expect(env.audit.query({}).map((e) => [e.actor, e.action, e.target, e.outcome])).toEqual([
      ['li.wei', 'silence.expire', s.id, 'denied'],
      ['wang.fang', 'silence.expire', s.id, 'success'],
      ['li.wei', 'silence.create', s.id, 'success'],
    ]);
  });

  it('a silence starting later mutes from its start and stops muting at its end', async () => {
    const { clock, got, c, route, run } = await setup({ alerts: {} });
    const res = await route('POST', '/api/v1/silences').handler(
      apiRequest('POST', '/x', {
        body: { matchers: ['node="town-05"'], startsAt: new Date(T0 + 10 * M).toISOString(), endsAt: new Date(T0 + 30 * M).toISOString(), comment: 'later' },
      }),
    );
    const id = (res.body as { silence: { id: string; state: string } }).silence.id;
    expect((res.body as { silence: { state: string } }).silence.state).toBe('pending');
    const muted = () => c.listAlerts(new URLSearchParams('silenced=true')).map((a) => a.labels.node);
    c.send([alert('town-05', clock.t)]);
    await run(40 * S);
    expect(got).toHaveLength(1); // notified before the silence started
    for (let m = 0; m < 12; m++) {
      c.send([alert('town-05', clock.t)]);
      await run(M);
    }
    expect(muted()).toEqual(['town-05']);
    expect(c.listAlerts(new URLSearchParams())[0]!.silencedBy).toEqual([id]);
    for (let m = 0; m < 20; m++) {
      c.send([alert('town-05', clock.t)]);
      await run(M);
    }
    expect(clock.t).toBeGreaterThan(T0 + 30 * M);
    expect(muted()).toEqual([]);
  });

  it.each([
    [{ matchers: [], duration: '1h', comment: 'x' }, /matchers/],
    [{ matchers: ['node=~".*"'], duration: '1h', comment: 'x' }, /empty string/],
    [{ matchers: ['node="a"'], comment: 'x' }, /endsAt or duration/],
    [{ matchers: ['node="a"'], duration: '1h' }, /comment/],
    [{ matchers: ['node="a"'], duration: '90d', comment: 'x' }, /maxSilence/],
    [{ matchers: ['node=="a"'], duration: '1h', comment: 'x' }, /bad matcher/],
    [{ matchers: ['node="a"'], endsAt: '2020-01-01T00:00:00Z', comment: 'x' }, /after startsAt/],
  ])('refuses %j', async (body, msg) => {
    const { env, route } = await setup({ alerts: {} });
    const err = await route('POST', '/api/v1/silences')
      .handler(apiRequest('POST', '/x', { body }))
      .catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(msg);
    expect(env.audit.query({}).map((e) => [e.action, e.outcome])).toEqual([['silence.create', 'failure']]);
  });
});

describe('state survives a restart', () => {
  it('claims and silences are persisted', async () => {
    const { clock, env, c, route } = await setup();
    c.send([alert('town-01', clock.t)]);
    await route('POST', '/api/v1/alerts/:fingerprint/claim').handler(
      apiRequest('POST', '/x', { params: { fingerprint: fpOf('town-01') }, body: { comment: 'mine' } }),
    );
    await route('POST', '/api/v1/silences').handler(apiRequest('POST', '/x', { body: { matchers: 'node="town-09"', duration: '1h', comment: 'x' } }));
    await c.stop();
    const env2 = env.reopen();
    const c2 = new AlertsComponent(env2.ctx);
    const list = c2.listAlerts(new URLSearchParams());
    expect(list.map((a) => [a.labels.node, a.claim?.by, a.claim?.comment])).toEqual([['town-01', 'li.wei', 'mine']]);
    expect(c2.store.allSilences().map((s) => s.comment)).toEqual(['x']);
    await c2.stop();
    env2.ctx.db.close();
  });
});

describe('config errors and reload', () => {
  it.each([
    [
      {
        notify: {
          receivers: [{ name: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/' }],
          route: { receiver: 'ops', routes: [{ receiver: 'nobody', matchers: ['zone="a"'] }] },
        },
      },
      'notify.route.routes.0.receiver',
    ],
    [
      {
        notify: {
          receivers: [{ name: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/' }],
          route: { receiver: 'ops', routes: [{ matchers: ['zone=~"("'] }] },
        },
      },
      'notify.route.routes.0.matchers',
    ],
    [
      {
        notify: { receivers: [{ name: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/' }], route: { receiver: 'ops' } },
        alerts: { escalation: [{ after: '15m', receiver: 'lead' }] },
      },
      'alerts.escalation.0.receiver',
    ],
    [{ notify: { receivers: [{ name: 'ops', type: 'pager' }] } }, 'notify.receivers.0.type'],
    [{ notify: { route: { group_wait: 'soon' } } }, 'notify.route.group_wait'],
  ])('%j → %s', (cfg, key) => {
    const env = testEnv(cfg, new FakeClock(T0));
    cleanup.push(() => env.close());
    expect(() => alertsComponent(env.ctx)).toThrow(expect.objectContaining({ key }));
  });

  it('reload applies a new route tree; an invalid one is refused and the old one stays', async () => {
    const { clock, got, env, c, run } = await setup();
    const cfg = env.ctx.cfg() as unknown as { notify: { route: Record<string, unknown>; receivers: unknown[] } };
    await expect(c.reload({ ...cfg, notify: { ...cfg.notify, route: { receiver: 'missing' } } } as never)).rejects.toThrow(/notify.route.receiver/);
    c.send([alert('town-01', clock.t)]);
    await run(40 * S);
    expect(got.map((g) => g.receiver)).toEqual(['ops']);
    await c.reload({ ...cfg, notify: { ...cfg.notify, route: { receiver: 'lead', group_by: ['alertname'], group_wait: '30s' } } } as never);
    c.send([alert('town-01', clock.t)]);
    await run(40 * S);
    expect(got.map((g) => g.receiver)).toEqual(['ops', 'lead']);
  });
});
