import type { Schema } from '../../lib/config.js';
import { durationSchema } from './duration.js';

/**
 * `notify:` config section: Alertmanager-shaped route tree (keys spelled as in alertmanager.yml so a
 * route can be copied over), the receivers, and the Alertmanagers every alert is pushed to.
 */

export const RECEIVER_TYPES = ['webhook', 'wecom', 'dingtalk', 'feishu', 'email'] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];
export type Lang = 'zh-CN' | 'en';

export interface RouteConfig {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: RouteConfig[];
}

export interface ReceiverConfig {
  name: string;
  type: ReceiverType;
  lang: Lang;
  sendResolved: boolean;
  /** Absent: the type's default (dingtalk/wecom 20, feishu 100, others unlimited). 0: unlimited. */
  rateLimitPerMinute?: number;
  timeoutSeconds: number;
  url?: string;
  token?: string;
  tokenFile?: string;
  secret?: string;
  secretFile?: string;
  mentionMobiles: string[];
  mentionUserIds: string[];
  mentionAll: boolean;
  msgType?: 'markdown' | 'text';
  maxAlerts: number;
  maxBytes?: number;
  from?: string;
  to: string[];
  smtp?: SmtpConfig;
}

export interface SmtpConfig {
  host: string;
  port: number;
  requireTLS: boolean;
  tls: boolean;
  user: string;
  password?: string;
  passwordFile?: string;
  caFile: string;
  rejectUnauthorized: boolean;
}

export interface AlertmanagerConfig {
  url: string;
  timeoutSeconds: number;
  bearerToken?: string;
  bearerTokenFile?: string;
}

export interface NotifyConfig {
  externalURL: string;
  timezone: string;
  route: RouteConfig;
  receivers: ReceiverConfig[];
  alertmanagers: AlertmanagerConfig[];
  outbox: { retryInitial: string; retryMax: string; maxAge: string; keepSent: string };
}

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', patternDescription: 'a name of letters, digits, _ . - (up to 64)' };

function routeSchema(depth: number, top: boolean): Schema {
  const s: Schema = {
    type: 'object',
    additionalProperties: false,
    description: top
      ? 'Root of the route tree (every alert enters here; it must name a receiver).'
      : 'A child route: matched depth-first, first match wins unless `continue`.',
    properties: {
      receiver: { ...NAME, description: 'Receiver of alerts this route matches (inherited from the parent when omitted).' },
      matchers: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'Alertmanager matchers, all must hold: severity="critical", zone=~"county-.*", category!="mlps", site!~"test-.*".',
      },
      continue: { type: 'boolean', default: false, description: 'Keep matching the following sibling routes after this one matched.' },
      group_by: {
        type: 'array',
        items: { type: 'string', pattern: '^([a-zA-Z_][a-zA-Z0-9_]*|\\.\\.\\.)$', patternDescription: "a label name, or '...' for all labels" },
        description: "Labels alerts are grouped by into one notification; ['...'] groups by all labels. Inherited.",
      },
      group_wait: { ...durationSchema('30s', 'Wait before the first notification of a new group. Inherited.'), default: undefined },
      group_interval: { ...durationSchema('5m', 'Wait before notifying about alerts added to a group already notified. Inherited.'), default: undefined },
      repeat_interval: {
        ...durationSchema('4h', 'Re-send a notification still firing after this long (claimed alerts are not repeated). Inherited.'),
        default: undefined,
      },
    },
  };
  for (const p of ['group_wait', 'group_interval', 'repeat_interval']) delete s.properties[p].default;
  if (depth > 0) s.properties.routes = { type: 'array', default: [], items: routeSchema(depth - 1, false), description: 'Child routes (up to 5 levels).' };
  if (top) {
    s.default = {};
    s.properties.group_by.default = ['alertname', 'site'];
    s.properties.group_wait.default = '30s';
    s.properties.group_interval.default = '5m';
    s.properties.repeat_interval.default = '4h';
    s.properties.receiver.default = 'default';
  }
  return s;
}

const SECRET_STR = { type: 'string', secret: true };

export const notifySchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Alert notifications: route tree, receivers (webhook, WeCom, DingTalk, Feishu, email), Alertmanagers and the durable outbox.',
  properties: {
    externalURL: { type: 'string', default: '', description: 'Base URL people open from a notification (the console or Grafana); empty: no link.' },
    timezone: { type: 'string', default: 'Asia/Shanghai', description: 'IANA time zone of times in notification text.' },
    route: routeSchema(4, true),
    receivers: {
      type: 'array',
      default: [],
      description: 'Receivers, each one integration. Secrets (token, secret, smtp.password) may be given as files (tokenFile, secretFile, smtp.passwordFile).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type'],
        properties: {
          name: { ...NAME, description: 'Name used by routes.' },
          type: {
            enum: [...RECEIVER_TYPES],
            description: 'webhook, wecom, dingtalk, feishu or email (Alertmanagers are listed under notify.alertmanagers and get every alert).',
          },
          lang: { enum: ['zh-CN', 'en'], default: 'zh-CN', description: 'Language of the notification text.' },
          sendResolved: { type: 'boolean', default: true, description: 'Also notify when alerts resolve.' },
          rateLimitPerMinute: {
            type: 'integer',
            minimum: 0,
            description:
              'Most messages per rolling minute (0: no limit). Default by type: dingtalk 20 and wecom 20 (the robots throttle beyond), feishu 100, others none.',
          },
          timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 300, default: 10, description: 'Timeout of one delivery attempt.' },
          url: { type: 'string', description: 'Endpoint. webhook: required. wecom/dingtalk/feishu: the vendor API by default (change for a proxy).' },
          token: { ...SECRET_STR, description: 'webhook: bearer token; wecom: robot key; dingtalk: access_token; feishu: hook token.' },
          tokenFile: { type: 'string', description: 'File holding `token` (trailing newline ignored).' },
          secret: { ...SECRET_STR, description: 'dingtalk/feishu: signing secret (加签密钥).' },
          secretFile: { type: 'string', description: 'File holding `secret`.' },
          mentionMobiles: {
            type: 'array',
            items: { type: 'string' },
            default: [],
            description: 'wecom (text)/dingtalk: mobile numbers to @ on firing notifications.',
          },
          mentionUserIds: {
            type: 'array',
            items: { type: 'string' },
            default: [],
            description: 'wecom/dingtalk/feishu: user ids to @ on firing notifications.',
          },
          mentionAll: { type: 'boolean', default: false, description: '@ everyone on firing notifications.' },
          msgType: {
            enum: ['markdown', 'text'],
            description: 'wecom: markdown (4096 bytes, @ by user id) or text (2048 bytes, @ by mobile too). Default markdown.',
          },
          maxAlerts: {
            type: 'integer',
            minimum: 0,
            default: 0,
            description: 'webhook: most alerts in one payload (0: all); the rest are counted in truncatedAlerts.',
          },
          maxBytes: {
            type: 'integer',
            minimum: 256,
            description: 'Largest message text in bytes. Default by type: wecom 4096 (text 2048), dingtalk 20000, feishu 18000, email unlimited.',
          },
          from: { type: 'string', description: 'email: From address.' },
          to: { type: 'array', items: { type: 'string' }, default: [], description: 'email: recipients.' },
          smtp: {
            type: 'object',
            additionalProperties: false,
            description: 'email: SMTP server.',
            required: ['host'],
            properties: {
              host: { type: 'string', description: 'SMTP host.' },
              port: { type: 'integer', minimum: 1, maximum: 65535, default: 587, description: 'SMTP port (587 submission with STARTTLS, 465 implicit TLS).' },
              requireTLS: { type: 'boolean', default: true, description: 'Refuse to send unless the server upgrades with STARTTLS.' },
              tls: { type: 'boolean', default: false, description: 'Implicit TLS from the first byte (port 465).' },
              user: { type: 'string', default: '', description: 'Login user; empty: no authentication.' },
              password: { ...SECRET_STR, description: 'Login password.' },
              passwordFile: { type: 'string', description: 'File holding the password.' },
              caFile: { type: 'string', default: '', description: 'PEM CA bundle trusted for the server certificate (empty: the system store).' },
              rejectUnauthorized: { type: 'boolean', default: true, description: 'Verify the server certificate.' },
            },
          },
        },
      },
    },
    alertmanagers: {
      type: 'array',
      default: [],
      description: 'Alertmanagers (API v2) receiving every alert as Prometheus sends them (each gets all, they dedupe), and every silence made here.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: {
            type: 'string',
            pattern: '^https?://',
            patternDescription: 'an http:// or https:// URL',
            description: 'Base URL, e.g. http://127.0.0.1:9093.',
          },
          timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 300, default: 10, description: 'Timeout of one request.' },
          bearerToken: { ...SECRET_STR, description: 'Bearer token sent to it (when behind an authenticating proxy).' },
          bearerTokenFile: { type: 'string', description: 'File holding bearerToken.' },
        },
      },
    },
    outbox: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'The durable outbox (SQLite): retries, in order per receiver.',
      properties: {
        retryInitial: durationSchema('10s', 'First retry delay; doubled per failed attempt.'),
        retryMax: durationSchema('10m', 'Longest retry delay.'),
        maxAge: durationSchema('24h', 'A notification still undelivered after this long is given up (state expired).'),
        keepSent: durationSchema('7d', 'Delivered, failed and expired notifications are kept this long for the API.'),
      },
    },
  },
} as const satisfies Schema;
