import type { ReceiverConfig } from '../config.js';
import { renderBody } from '../format.js';
import type { Notification, ReceiverEnv } from './types.js';

/** Shared by the chat robots: the text of a notification within the robot's byte limit. */
export function robotText(
  n: Notification,
  cfg: ReceiverConfig,
  env: ReceiverEnv,
  o: { style: 'markdown' | 'text'; maxBytes: number; now: number; trailer?: string },
): string {
  return renderBody(n, {
    lang: cfg.lang,
    timezone: env.timezone,
    externalURL: env.externalURL,
    style: o.style,
    maxBytes: cfg.maxBytes ?? o.maxBytes,
    now: o.now,
    trailer: o.trailer,
  });
}

/** Errors from the robots' JSON answers: `{errcode, errmsg}` (WeCom, DingTalk) or `{code, msg}` (Feishu). */
export function apiCode(json: Record<string, unknown> | undefined): { code: number; msg: string } | undefined {
  if (!json) return undefined;
  const code = json.errcode ?? json.code ?? json.StatusCode;
  if (typeof code !== 'number') return undefined;
  return { code, msg: String(json.errmsg ?? json.msg ?? json.StatusMessage ?? '') };
}
