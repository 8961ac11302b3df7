import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type HostConfig, sections } from '../../alerts/component.js';
import { renderTitle, utf8Bytes } from '../format.js';
import { buildReceivers } from '../notifier.js';
import { type Peer, sendJson, startPeer } from '../testing.js';
import { DeliveryError, type NotifiedAlert, type Notification } from './types.js';

const T0 = Date.UTC(2026, 11, 3, 7, 0, 0);
const alert = (i: number, over: Partial<NotifiedAlert> = {}): NotifiedAlert => ({
  fingerprint: `00000000000000${String(i).padStart(2, '0')}`,
  status: 'firing',
  labels: { alertname: 'LinkDown', severity: 'critical', node: `town-${i}`, site: '城区中心', zone: 'county-a', category: 'network' },
  annotations: { summary: `上联链路中断 ${i}`, runbook_url: 'https://wiki.example/linkdown' },
  startsAt: T0,
  endsAt: 0,
  generatorURL: 'http://collector/rules',
  value: 0,
  ...over,
});
const note = (alerts: NotifiedAlert[]): Notification => ({
  receiver: 'x',
  groupKey: '0{}:{alertname="LinkDown"}',
  groupLabels: { alertname: 'LinkDown' },
  status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
  alerts,
  createdAt: T0,
});

const peers: Peer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
});
async function peer(h: Parameters<typeof startPeer>[0]) {
  const p = await startPeer(h);
  peers.push(p);
  return p;
}
function receiver(rc: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { notify } = sections({ notify: { receivers: [{ name: 'x', ...rc }], externalURL: 'http://console.example', ...extra } } as unknown as HostConfig);
  return buildReceivers(notify).get('x')!;
}
const ctx = (id = 7) => ({ id, now: Date.now(), signal: new AbortController().signal });

describe('DingTalk robot (signed)', () => {
  const SECRET = 'SEC7d2f0c1e+/=secret';
  const TOKEN = 'dt-token-1';
  // The robot's checks, written from DingTalk's documentation (not from our client).
  const dingtalk = () =>
    peer((r, res) => {
      const q = r.url.searchParams;
      if (r.url.pathname !== '/robot/send' || q.get('access_token') !== TOKEN) return sendJson(res, 200, { errcode: 300001, errmsg: 'token is not exist' });
      const ts = q.get('timestamp') ?? '';
      const want = createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64');
      if (q.get('sign') !== want || Math.abs(Date.now() - Number(ts)) > 3_600_000) return sendJson(res, 200, { errcode: 310000, errmsg: 'sign not match' });
      sendJson(res, 200, { errcode: 0, errmsg: 'ok' });
    });

  it('sends a signed markdown message with mentions', async () => {
    const p = await dingtalk();
    const r = receiver({ type: 'dingtalk', url: `${p.url}/robot/send`, token: TOKEN, secret: SECRET, mentionMobiles: ['13800000000'] });
    expect(r.rateLimitPerMinute).toBe(20);
    const n = note([alert(1)]);
    await r.send(n, ctx());
    expect(p.received).toHaveLength(1);
    const got = p.received[0]!;
    // the sign is URL-encoded in the raw query (base64 '+', '/', '=' escaped)
    expect(got.url.search).toMatch(/[?&]sign=[A-Za-z0-9%]+(&|$)/);
    const body = got.json as { msgtype: string; markdown: { title: string; text: string }; at: unknown };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toBe(renderTitle(n, 'zh-CN'));
    expect(body.markdown.text).toContain('上联链路中断 1');
    expect(body.markdown.text.endsWith('@13800000000')).toBe(true);
    expect(body.at).toEqual({ atMobiles: ['13800000000'], atUserIds: [], isAtAll: false });
  });

  it('a wrong secret is refused by the robot and not retried', async () => {
    const p = await dingtalk();
    const r = receiver({ type: 'dingtalk', url: `${p.url}/robot/send`, token: TOKEN, secret: 'wrong' });
    const err = await r.send(note([alert(1)]), ctx()).catch((e) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('errcode 310000');
    expect(err.message).not.toContain(TOKEN);
  });

  it('"sending too fast" is retried', async () => {
    const p = await peer((_r, res) => sendJson(res, 200, { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' }));
    const err = await receiver({ type: 'dingtalk', url: p.url, token: TOKEN })
      .send(note([alert(1)]), ctx())
      .catch((e) => e);
    expect(err.retryable).toBe(true);
  });
});

describe('Feishu bot (signed)', () => {
  const SECRET = 'fs-secret-9';
  const feishu = () =>
    peer((r, res) => {
      const b = r.json as { timestamp?: string; sign?: string; msg_type?: string; content?: { text?: string } };
      if (r.url.pathname !== '/open-apis/bot/v2/hook/hook-token')
        return sendJson(res, 404, { code: 19001, msg: 'param invalid: incoming webhook access token invalid' });
      const ts = b.timestamp ?? '';
      const want = createHmac('sha256', `${ts}\n${SECRET}`).update('').digest('base64');
      if (b.sign !== want || Math.abs(Date.now() / 1000 - Number(ts)) > 3600)
        return sendJson(res, 200, { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' });
      if (b.msg_type !== 'text' || typeof b.content?.text !== 'string') return sendJson(res, 400, { code: 9499, msg: 'Bad Request' });
      sendJson(res, 200, { code: 0, msg: 'success', data: {} });
    });

  it('sends a signed text message, timestamp in seconds', async () => {
    const p = await feishu();
    const r = receiver({ type: 'feishu', url: `${p.url}/open-apis/bot/v2/hook/`, token: 'hook-token', secret: SECRET, lang: 'en', mentionAll: true });
    await r.send(note([alert(1)]), ctx());
    const b = p.received[0]!.json as { timestamp: string; content: { text: string } };
    expect(b.timestamp).toMatch(/^\d{10}$/);
    expect(b.content.text.startsWith('[FIRING:1] LinkDown')).toBe(true);
    expect(b.content.text.endsWith('<at user_id="all">所有人</at>')).toBe(true);
  });

  it('a wrong secret is refused (code 19021), not retried', async () => {
    const p = await feishu();
    const err = await receiver({ type: 'feishu', url: `${p.url}/open-apis/bot/v2/hook/hook-token`, secret: 'nope' })
      .send(note([alert(1)]), ctx())
      .catch((e) => e);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('19021');
  });
});

describe('WeCom group robot', () => {
  const wecom = () =>
    peer((r, res) => {
      if (r.url.pathname !== '/cgi-bin/webhook/send' || r.url.searchParams.get('key') !== 'wk-1')
        return sendJson(res, 200, { errcode: 93000, errmsg: 'invalid webhook url' });
      const b = r.json as { msgtype: string; markdown?: { content: string }; text?: { content: string } };
      const content = b.markdown?.content ?? b.text?.content ?? '';
      const max = b.msgtype === 'markdown' ? 4096 : 2048;
      if (utf8Bytes(content) > max) return sendJson(res, 200, { errcode: 40058, errmsg: `content exceed max length ${max}` });
      sendJson(res, 200, { errcode: 0, errmsg: 'ok' });
    });

  it('markdown within 4096 bytes, the rest counted; @ by user id', async () => {
    const p = await wecom();
    const r = receiver({ type: 'wecom', url: `${p.url}/cgi-bin/webhook/send`, token: 'wk-1', mentionUserIds: ['zhangsan'] });
    const many = Array.from({ length: 40 }, (_, i) => alert(i));
    await r.send(note(many), ctx());
    const b = p.received[0]!.json as { msgtype: string; markdown: { content: string } };
    expect(b.msgtype).toBe('markdown');
    const c = b.markdown.content;
    expect(utf8Bytes(c)).toBeLessThanOrEqual(4096);
    const shown = c.match(/^🔴 /gm)!.length;
    expect(c).toContain(`…另有 ${40 - shown} 条告警未显示`);
    expect(c.endsWith('<@zhangsan>')).toBe(true);
  });

  it('text with mentioned_mobile_list within 2048 bytes', async () => {
    const p = await wecom();
    const r = receiver({
      type: 'wecom',
      url: `${p.url}/cgi-bin/webhook/send`,
      token: 'wk-1',
      msgType: 'text',
      mentionMobiles: ['13800000001'],
      mentionAll: true,
    });
    await r.send(note(Array.from({ length: 20 }, (_, i) => alert(i))), ctx());
    const b = p.received[0]!.json as { text: { content: string; mentioned_list: string[]; mentioned_mobile_list: string[] } };
    expect(utf8Bytes(b.text.content)).toBeLessThanOrEqual(2048);
    expect(b.text.mentioned_list).toEqual(['@all']);
    expect(b.text.mentioned_mobile_list).toEqual(['13800000001']);
  });

  it('a wrong key is refused, not retried; the key is not in the error', async () => {
    const p = await wecom();
    const err = await receiver({ type: 'wecom', url: `${p.url}/cgi-bin/webhook/send`, token: 'wk-2' })
      .send(note([alert(1)]), ctx())
      .catch((e) => e);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('wecom x: errcode 93000 invalid webhook url');
  });
});

describe('webhook (Alertmanager payload v4)', () => {
  it('posts the exact payload with bearer token and idempotency id', async () => {
    const p = await peer((r, res) => (r.headers.authorization === 'Bearer wh-secret' ? res.writeHead(200).end() : res.writeHead(401).end()));
    const r = receiver({ type: 'webhook', url: `${p.url}/hook`, token: 'wh-secret', maxAlerts: 1 });
    const resolved = alert(2, {
      status: 'resolved',
      endsAt: T0 + 60_000,
      annotations: { summary: '上联链路中断 2', runbook_url: 'https://wiki.example/linkdown' },
    });
    await r.send(note([alert(1), resolved]), ctx(42));
    const got = p.received[0]!;
    expect(got.headers['x-xunjian-notification-id']).toBe('42');
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.json).toEqual({
      version: '4',
      groupKey: '0{}:{alertname="LinkDown"}',
      truncatedAlerts: 1,
      status: 'firing',
      receiver: 'x',
      groupLabels: { alertname: 'LinkDown' },
      commonLabels: { alertname: 'LinkDown', severity: 'critical', site: '城区中心', zone: 'county-a', category: 'network' },
      commonAnnotations: { runbook_url: 'https://wiki.example/linkdown' },
      externalURL: 'http://console.example',
      alerts: [
        {
          status: 'firing',
          labels: alert(1).labels,
          annotations: alert(1).annotations,
          startsAt: '2026-12-03T07:00:00.000Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://collector/rules',
          fingerprint: '0000000000000001',
        },
      ],
    });
  });

  it('401 is permanent, 503 retried', async () => {
    const p = await peer((r, res) => res.writeHead(r.url.pathname === '/down' ? 503 : 401).end('no'));
    const e1 = await receiver({ type: 'webhook', url: `${p.url}/x` })
      .send(note([alert(1)]), ctx())
      .catch((e) => e);
    expect([e1.retryable, e1.message]).toEqual([false, 'webhook x: HTTP 401: no']);
    const e2 = await receiver({ type: 'webhook', url: `${p.url}/down` })
      .send(note([alert(1)]), ctx())
      .catch((e) => e);
    expect([e2.retryable, e2.message]).toEqual([true, 'webhook x: HTTP 503']);
  });
});

describe('receiver config errors name the key', () => {
  it.each([
    [{ type: 'webhook' }, 'notify.receivers.0.url'],
    [{ type: 'wecom' }, 'notify.receivers.0.token'],
    [{ type: 'dingtalk', token: 'a', secretFile: '/nonexistent/secret' }, 'notify.receivers.0.secretFile'],
    [{ type: 'dingtalk', token: 'a', secret: 's', secretFile: '/x' }, 'notify.receivers.0.secret'],
    [{ type: 'email', to: ['a@b'], from: 'c@d' }, 'notify.receivers.0.smtp'],
  ])('%j', (rc, key) => {
    expect(() => receiver(rc)).toThrow(expect.objectContaining({ key }));
  });
  it('the secret value never appears in the error', () => {
    expect(() => sections({ notify: { receivers: [{ name: 'x', type: 'dingtalk', secret: 42 }] } } as unknown as HostConfig)).toThrow(
      /notify.receivers.0.secret: expected string$/,
    );
  });
});
