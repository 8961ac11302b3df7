import { createHmac } from 'node:crypto';
import { renderTitle } from '../../format.js';
import { postJson } from '../http.js';
import { apiCode, robotText } from '../robot.js';
import { DeliveryError, type ReceiverFactory } from '../types.js';

/**
 * DingTalk (钉钉) custom robot: `POST …/robot/send?access_token=T&timestamp=TS&sign=S`, TS in ms,
 * S = urlencode(base64(HMAC-SHA256(key = secret, message = TS + "\n" + secret))). Markdown message;
 * @ by mobile needs `@mobile` inside the text as well as in `at.atMobiles`. A robot sending more than
 * 20 messages a minute is throttled for 10 minutes: the receiver's rate limit defaults to 20/min.
 * errcode 130101 (sending too fast) is retried; 310000 (bad signature, keyword, IP) is not.
 */
const DEFAULT_URL = 'https://oapi.dingtalk.com/robot/send';
const RETRY = new Set([-1, 130101, 130102]);

export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

export const dingtalkReceiver: ReceiverFactory = (cfg, env) => {
  const token = env.secret(cfg.token, cfg.tokenFile, 'token');
  const secret = env.secret(cfg.secret, cfg.secretFile, 'secret');
  const base = cfg.url ?? DEFAULT_URL;
  if (!/^https?:\/\//.test(base)) env.fail('url', 'expected an http:// or https:// URL');
  if (!token && !/[?&]access_token=/.test(base)) env.fail('token', 'expected the robot access_token (token or tokenFile)');
  return {
    name: cfg.name,
    type: 'dingtalk',
    rateLimitPerMinute: cfg.rateLimitPerMinute ?? 20,
    sendResolved: cfg.sendResolved,
    async send(n, ctx) {
      const q = new URLSearchParams();
      if (token) q.set('access_token', token);
      if (secret) {
        q.set('timestamp', String(ctx.now));
        q.set('sign', dingtalkSign(secret, ctx.now));
      }
      const url = `${base}${base.includes('?') ? '&' : '?'}${q.toString()}`;
      const firing = n.status === 'firing';
      const mobiles = firing ? cfg.mentionMobiles : [];
      const userIds = firing ? cfg.mentionUserIds : [];
      const trailer = [...mobiles.map((m) => `@${m}`), ...userIds.map((u) => `@${u}`)].join(' ') || undefined;
      const body = {
        msgtype: 'markdown',
        markdown: { title: renderTitle(n, cfg.lang), text: robotText(n, cfg, env, { style: 'markdown', maxBytes: 20000, now: ctx.now, trailer }) },
        at: { atMobiles: mobiles, atUserIds: userIds, isAtAll: firing && cfg.mentionAll },
      };
      const r = await postJson(url, body, { timeoutMs: cfg.timeoutSeconds * 1000, signal: ctx.signal, what: `dingtalk ${cfg.name}` });
      const c = apiCode(r.json);
      if (!c) throw new DeliveryError(`dingtalk ${cfg.name}: HTTP ${r.status}, unexpected answer`, false);
      if (c.code !== 0) throw new DeliveryError(`dingtalk ${cfg.name}: errcode ${c.code} ${c.msg.slice(0, 120)}`, RETRY.has(c.code));
      if (r.status !== 200) throw new DeliveryError(`dingtalk ${cfg.name}: HTTP ${r.status}`, false);
    },
  };
};
