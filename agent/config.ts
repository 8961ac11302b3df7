import type { Grade, Zone } from '../contract/types.js';
import { NODE_ID, LABEL_NAME } from '../contract/schema.js';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../contract/sign.js';
import type { ConfigSpec } from '../lib/config.js';
import { type Level, logSchema } from '../lib/log.js';
import { type CollectorTlsConfig, collectorTlsProps, type DeliveryConfig, deliverySchema } from './delivery/config.js';
import { type SourcesConfig, sourcesSchema } from './sources/index.js';
import { type SpoolConfig, spoolSchema } from './spool/config.js';

const ALLOW_INSECURE = {
  type: 'boolean',
  default: false,
  description:
    'Accept a plain http:// URL to a collector on another host. Off: such a URL is a config error, because the bearer token travels with every request and the signing key is derived from it (anyone who sees one request can forge reports). Loopback URLs are always accepted. When on, the agent warns at start.',
} as const;

/** Agent configuration schema: the single place where every agent option and its default is documented. */
export const agentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    node: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'Identity of this node, sent with every report.',
      properties: {
        id: {
          type: 'string',
          default: '',
          description: 'Node id, unique in the fleet. Empty: the host name.',
          anyOf: [{ const: '' }, { pattern: NODE_ID }],
        },
        site: { type: 'string', default: '', maxLength: 256, description: 'Site this node serves (e.g. a county or township).' },
        zone: { enum: ['gov-cloud', 'extranet', 'other'], default: 'extranet', description: 'Network zone: gov-cloud, extranet or other.' },
        grade: { enum: [2, 3], default: 3, description: 'MLPS 2.0 grade (2 or 3) of the system this node belongs to.' },
        labels: {
          type: 'object',
          default: {},
          propertyNames: { pattern: LABEL_NAME },
          additionalProperties: { type: 'string' },
          description: 'Free labels copied onto every series of this node by the collector.',
          example: { region: 'east' },
        },
      },
    },
    collector: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'Where reports go.',
      properties: {
        url: {
          type: 'string',
          pattern: '^https?://[^\\s]+$',
          patternDescription: 'an http:// or https:// URL',
          default: 'http://127.0.0.1:9700',
          description: 'Collector base URL.',
        },
        token: {
          type: 'string',
          default: '',
          secret: true,
          description: 'Per-node bearer token (from `xunjian collector token create NODE`). Prefer tokenFile.',
        },
        tokenFile: { type: 'string', default: '', description: 'File holding the token (first line). Used when token is empty.' },
        signature: {
          enum: [...SIGNATURE_ALGORITHMS],
          default: 'hmac-sha256',
          description: 'HMAC algorithm signing each report: hmac-sha256 or hmac-sm3 (GB/T 32905).',
        },
        timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 300, default: 15, description: 'Timeout of one push request.' },
        allowInsecureHttp: ALLOW_INSECURE,
        ...collectorTlsProps,
      },
    },
    collectors: {
      type: 'array',
      default: [],
      description:
        'Several collectors (HA pair, fallback site); when not empty it replaces `collector`. Each entry takes the keys of `collector` (url required). See delivery.mode.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: { type: 'string', pattern: '^https?://[^\\s]+$', patternDescription: 'an http:// or https:// URL', description: 'Collector base URL.' },
          token: { type: 'string', default: '', secret: true, description: 'Per-node bearer token on this collector. Prefer tokenFile.' },
          tokenFile: { type: 'string', default: '', description: 'File holding the token (first line). Used when token is empty.' },
          signature: { enum: [...SIGNATURE_ALGORITHMS], default: 'hmac-sha256', description: 'HMAC algorithm: hmac-sha256 or hmac-sm3.' },
          timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 300, default: 15, description: 'Timeout of one push request.' },
          allowInsecureHttp: ALLOW_INSECURE,
          ...collectorTlsProps,
        },
      },
    },
    delivery: deliverySchema,
    spool: spoolSchema,
    report: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'How often buffered samples are sent.',
      properties: {
        intervalSeconds: {
          type: 'integer',
          minimum: 1,
          maximum: 3600,
          default: 60,
          description:
            'Seconds between reports; below 60 it must divide 60, above it must be whole minutes dividing 60 minutes.\nThe collector marks the node down after 3 missed intervals.',
        },
        maxBufferedSamples: {
          type: 'integer',
          minimum: 1000,
          default: 500000,
          description: 'Samples held between reports; beyond it the oldest are dropped and counted.',
        },
        factsRefreshHours: {
          type: 'number',
          exclusiveMinimum: 0,
          maximum: 168,
          default: 6,
          description: 'Facts are sent when they change and at least this often.',
        },
      },
    },
    dataDir: { type: 'string', default: 'data/agent', description: 'Directory for agent state (sequence number, spool/).' },
    sources: sourcesSchema,
    log: logSchema,
  },
} as const;

export interface AgentConfig {
  node: { id: string; site: string; zone: Zone; grade: Grade; labels: Record<string, string> };
  collector: CollectorEndpointConfig;
  /** Optional in the type (configs built in code); the loader always fills them. */
  collectors?: CollectorEndpointConfig[];
  delivery?: DeliveryConfig;
  spool?: SpoolConfig;
  report: { intervalSeconds: number; maxBufferedSamples: number; factsRefreshHours: number };
  dataDir: string;
  /** One section per registered source (sources/registry.ts), typed from its schema. */
  sources: SourcesConfig;
  log: { level: Level; format: 'text' | 'json' };
}

export interface CollectorEndpointConfig extends CollectorTlsConfig {
  url: string;
  token: string;
  tokenFile: string;
  signature: SignatureAlgorithm;
  timeoutSeconds: number;
  /** Optional in the type (configs built in code); the loader fills it. */
  allowInsecureHttp?: boolean;
}

export const agentConfigSpec: ConfigSpec = { kind: 'agent', envPrefix: 'XUNJIAN_AGENT__', schema: agentSchema };
