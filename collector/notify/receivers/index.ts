import type { ReceiverType } from '../config.js';
import { dingtalkReceiver } from './dingtalk/dingtalk.js';
import { emailReceiver } from './email/email.js';
import { feishuReceiver } from './feishu/feishu.js';
import type { ReceiverFactory } from './types.js';
import { webhookReceiver } from './webhook/webhook.js';
import { wecomReceiver } from './wecom/wecom.js';

/** Receiver types, one line each. Alertmanager is not here: see alertmanager/ (it gets every alert). */
export const RECEIVERS: Record<ReceiverType, ReceiverFactory> = {
  webhook: webhookReceiver,
  wecom: wecomReceiver,
  dingtalk: dingtalkReceiver,
  feishu: feishuReceiver,
  email: emailReceiver,
};
