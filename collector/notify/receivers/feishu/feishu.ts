import { createHmac } from 'node:crypto';
import { postJson } from '../http.js';
import { apiCode, robotText } from '../robot.js';
import { DeliveryError, type ReceiverFactory } from '../types.js';

/**
 * Feishu (飞书) custom bot: `POST …/open-apis/bot/v2/hook/TOKEN`, body `{timestamp, sign, msg_type:
 * "text", content: {text}}`, timestamp in seconds, sign = base64(HMAC-SHA256(key = TS + "\n" + secret,
 * message = "")) — key and message the other way round from DingTalk. @ with `<at user_id="…">`.
 * Limits 100 messages a minute and 5 a second per bot. Codes 9499/11232 (frequency) are retried;
 * 19021 (bad signature) and others are not.
 */
const DEFAULT_URL = 'https://open.feishu.cn/open-apis/bot/v2/hook/';
const RETRY = new Set([9499, 11232, 11233]);

export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

export const feishuReceiver: ReceiverFactory = (cfg, env) => {
  const token = env.secret(cfg.token, cfg.tokenFile, 'token');
  const secret = env.secret(cfg.secret, cfg.secretFile, 'secret');
  const base = cfg.url ?? DEFAULT_URL;
  if (!/^https?:\/\//.test(base)) env.fail('url', 'expected an http:// or https:// URL');
  if (!token && base.endsWith('/')) env.fail('token', 'expected the hook token (token or tokenFile), or the whole hook URL in url');
  const url = token ? `${base.endsWith('/') ? base : `${base}/`}${encodeURIComponent(token)}` : base;
  return {
    name: cfg.name,
    type: 'feishu',
    rateLimitPerMinute: cfg.rateLimitPerMinute ?? 100,
    rateLimitPerSecond: 5,
    sendResolved: cfg.sendResolved,
    async send(n, ctx) {
      const firing = n.status === 'firing';
      const ats = firing ? [...cfg.mentionUserIds.map((u) => `<at user_id="${u}"></at>`), ...(cfg.mentionAll ? ['<at user_id="all">所有人</at>'] : [])] : [];
      const text = robotText(n, cfg, env, { style: 'text', maxBytes: 18000, now: ctx.now, trailer: ats.join(' ') || undefined });
      const ts = Math.floor(ctx.now / 1000);
      const body = { ...(secret ? { timestamp: String(ts), sign: feishuSign(secret, ts) } : {}), msg_type: 'text', content: { text } };
      const r = await postJson(url, body, { timeoutMs: cfg.timeoutSeconds * 1000, signal: ctx.signal, what: `feishu ${cfg.name}` });
      const c = apiCode(r.json);
      if (!c) throw new DeliveryError(`feishu ${cfg.name}: HTTP ${r.status}, unexpected answer`, false);
      if (c.code !== 0) throw new DeliveryError(`feishu ${cfg.name}: code ${c.code} ${c.msg.slice(0, 120)}`, RETRY.has(c.code));
      if (r.status !== 200) throw new DeliveryError(`feishu ${cfg.name}: HTTP ${r.status}`, false);
    },
  };
};
