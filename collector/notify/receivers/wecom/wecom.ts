import { DeliveryError, type ReceiverFactory } from '../types.js';
import { postJson } from '../http.js';
import { apiCode, robotText } from '../robot.js';

/**
 * WeCom (企业微信) group robot: `POST …/cgi-bin/webhook/send?key=KEY`. Markdown (≤ 4096 bytes; @ by
 * `<@userid>` in the content) or text (≤ 2048 bytes; `mentioned_list`, `mentioned_mobile_list`).
 * No signature. errcode 45009 (frequency limit) and -1 (busy) are retried, other errcodes given up.
 */
const DEFAULT_URL = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send';
const RETRY = new Set([-1, 45009, 45033]);

export const wecomReceiver: ReceiverFactory = (cfg, env) => {
  const key = env.secret(cfg.token, cfg.tokenFile, 'token');
  const base = cfg.url ?? DEFAULT_URL;
  if (!/^https?:\/\//.test(base)) env.fail('url', 'expected an http:// or https:// URL');
  if (!key && !/[?&]key=/.test(base)) env.fail('token', 'expected the robot key (token or tokenFile)');
  const url = key ? `${base}${base.includes('?') ? '&' : '?'}key=${encodeURIComponent(key)}` : base;
  const text = cfg.msgType === 'text';
  return {
    name: cfg.name,
    type: 'wecom',
    rateLimitPerMinute: cfg.rateLimitPerMinute ?? 20,
    sendResolved: cfg.sendResolved,
    async send(n, ctx) {
      const firing = n.status === 'firing';
      let body: unknown;
      if (text) {
        const content = robotText(n, cfg, env, { style: 'text', maxBytes: 2048, now: ctx.now });
        const mentioned_list = firing ? [...cfg.mentionUserIds, ...(cfg.mentionAll ? ['@all'] : [])] : [];
        const mentioned_mobile_list = firing ? cfg.mentionMobiles : [];
        body = {
          msgtype: 'text',
          text: { content, ...(mentioned_list.length ? { mentioned_list } : {}), ...(mentioned_mobile_list.length ? { mentioned_mobile_list } : {}) },
        };
      } else {
        const trailer = firing && cfg.mentionUserIds.length ? cfg.mentionUserIds.map((u) => `<@${u}>`).join(' ') : undefined;
        body = { msgtype: 'markdown', markdown: { content: robotText(n, cfg, env, { style: 'markdown', maxBytes: 4096, now: ctx.now, trailer }) } };
      }
      const r = await postJson(url, body, { timeoutMs: cfg.timeoutSeconds * 1000, signal: ctx.signal, what: `wecom ${cfg.name}` });
      const c = apiCode(r.json);
      if (!c) throw new DeliveryError(`wecom ${cfg.name}: HTTP ${r.status}, unexpected answer`, false);
      if (c.code !== 0) throw new DeliveryError(`wecom ${cfg.name}: errcode ${c.code} ${c.msg.slice(0, 120)}`, RETRY.has(c.code));
      if (r.status !== 200) throw new DeliveryError(`wecom ${cfg.name}: HTTP ${r.status}`, false);
    },
  };
};
