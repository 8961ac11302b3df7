import { LIMITS } from '../contract/schema.js';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../contract/sign.js';
import type { ConfigSpec } from '../lib/config.js';
import { type Level, logSchema } from '../lib/log.js';
import { type RemoteWriteEndpointConfig, remoteWriteSchema, type SeriesLimitConfig, seriesLimitSchema } from './remotewrite/config.js';
import { type RulesConfig, rulesSchema } from './rules/config.js';
import { type AlertsConfig, alertsSchema } from './alerts/config.js';
import { type NotifyConfig, notifySchema } from './notify/config.js';
import { type MlpsConfig, mlpsSchema } from './mlps/config.js';

/** Collector configuration schema: every option and its default is documented here. */
export const collectorSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: {
      type: 'string',
      default: '127.0.0.1:9700',
      pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
      patternDescription: 'HOST:PORT (IPv6 in brackets, e.g. [::1]:9700)',
      description: 'Address of the HTTP server (ingest, API, /metrics). Loopback by default.',
    },
    dataDir: { type: 'string', default: 'data', description: 'Directory of the SQLite store (collector.db).' },
    ingest: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'Report ingestion.',
      properties: {
        maxBodyBytes: { type: 'integer', minimum: 1024, default: LIMITS.bodyBytes, description: 'Largest accepted request body as sent (gzipped), in bytes.' },
        maxDecompressedBytes: {
          type: 'integer',
          minimum: 1024,
          default: LIMITS.reportBytes,
          description: 'Largest accepted report after decompression, in bytes.',
        },
        signatureAlgorithms: {
          type: 'array',
          items: { enum: [...SIGNATURE_ALGORITHMS] },
          minItems: 1,
          uniqueItems: true,
          default: [...SIGNATURE_ALGORITHMS],
          description: 'HMAC algorithms accepted on reports (hmac-sha256, hmac-sm3).',
        },
        maxClockSkewSeconds: {
          type: 'integer',
          minimum: 1,
          default: 300,
          description:
            'Reports whose signed timestamp is further than this from the collector clock are refused (stale_timestamp); a signature seen within this window is refused again (replayed).',
        },
        maxBatchReports: { type: 'integer', minimum: 1, default: 1000, description: 'Most reports in one batch request (POST /api/v1/reports/batch).' },
        maxConcurrentBodies: {
          type: 'integer',
          minimum: 1,
          default: 64,
          description: 'Most ingest bodies read at once (all nodes); beyond it a request is answered 503 overloaded with Retry-After before its body is read.',
        },
        maxInflightBytes: {
          type: 'integer',
          minimum: 65_536,
          default: 67_108_864,
          description: 'Most ingest body bytes (as sent) held at once, by the declared Content-Length; beyond it 503 overloaded.',
        },
        perNodeConcurrentBodies: {
          type: 'integer',
          minimum: 1,
          default: 2,
          description: 'Most ingest bodies of one node read at once; beyond it 429 rate_limited.',
        },
        bodyTimeoutSeconds: {
          type: 'number',
          exclusiveMinimum: 0,
          default: 15,
          description: 'A sender that has not delivered its whole body by then gets 408 and the connection is closed.',
        },
        rateLimit: {
          type: 'object',
          default: {},
          additionalProperties: false,
          description: 'Per-node request rate limit (token bucket); beyond it requests get 429 rate_limited with Retry-After. A batch counts as one request.',
          properties: {
            requestsPerSecond: { type: 'number', minimum: 0, default: 5, description: 'Average requests per second allowed per node; 0 disables the limit.' },
            burst: { type: 'integer', minimum: 1, default: 60, description: 'Requests a node may send at once (bucket size).' },
            bytesPerSecond: {
              type: 'number',
              minimum: 0,
              default: 8_388_608,
              description:
                'Average decompressed report bytes per second allowed per node (work, not requests); 0 disables. One report up to ingest.maxDecompressedBytes always fits a full bucket.',
            },
            bytesBurst: { type: 'integer', minimum: 1024, default: 134_217_728, description: 'Decompressed bytes a node may send at once (bucket size).' },
          },
        },
      },
    },
    tls: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'HTTPS for the listener. Empty certFile: plain HTTP (loopback, or TLS in front).',
      properties: {
        certFile: { type: 'string', default: '', description: 'PEM server certificate (chain). Set with keyFile to serve HTTPS.' },
        keyFile: { type: 'string', default: '', description: 'PEM private key of certFile.' },
        clientCaFile: { type: 'string', default: '', description: 'PEM CA bundle of client certificates (mutual TLS). Empty: no client certificates asked.' },
        requireClientCert: { type: 'boolean', default: false, description: 'Refuse TLS clients without a certificate signed by clientCaFile.' },
      },
    },
    nodes: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'Node liveness.',
      properties: {
        downAfterIntervals: {
          type: 'number',
          minimum: 1,
          default: 3,
          description: 'A node is down (xunjian_node_up 0) after this many report intervals without a report.',
        },
      },
    },
    metrics: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'The fleet /metrics endpoint.',
      properties: {
        staleAfterIntervals: {
          type: 'number',
          minimum: 1,
          default: 3,
          description:
            "A series ends after this many of its source's intervals (at least the node's report interval) without a refresh; series of a down node are not exposed.",
        },
        requireToken: {
          type: 'boolean',
          default: true,
          description: 'GET /metrics needs an API token (role viewer); false serves it to anyone who can reach the listener.',
        },
      },
    },
    retention: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'How long stored records are kept (pruned hourly).',
      properties: {
        receiptsDays: {
          type: 'number',
          minimum: 1,
          default: 30,
          description: 'Report receipts (node, stream, seq); dedup holds after pruning (the streams keep their high-water seq).',
        },
        auditDays: { type: 'number', minimum: 1, default: 180, description: 'Audit log entries (MLPS 2.0 asks for at least 180 days).' },
        factsHistoryDays: { type: 'number', minimum: 1, default: 365, description: "Facts history (each group's newest value is always kept)." },
      },
    },
    remoteWrite: remoteWriteSchema,
    seriesLimit: seriesLimitSchema,
    rules: rulesSchema,
    alerts: alertsSchema,
    notify: notifySchema,
    mlps: mlpsSchema,
    log: logSchema,
  },
} as const;

export interface CollectorConfig {
  listen: string;
  dataDir: string;
  ingest: {
    maxBodyBytes: number;
    maxDecompressedBytes: number;
    signatureAlgorithms: SignatureAlgorithm[];
    maxClockSkewSeconds: number;
    /** Optional in the type (configs built in code); the loader always fills it. Default 1000. */
    maxBatchReports?: number;
    /** Optional in the type; default 5 requests/s, burst 60, 8 MiB/s, 128 MiB burst. */
    rateLimit?: { requestsPerSecond: number; burst: number; bytesPerSecond?: number; bytesBurst?: number };
    maxConcurrentBodies?: number;
    maxInflightBytes?: number;
    perNodeConcurrentBodies?: number;
    bodyTimeoutSeconds?: number;
  };
  /** Optional in the type; absent or empty certFile: plain HTTP. */
  tls?: { certFile: string; keyFile: string; clientCaFile: string; requireClientCert: boolean };
  nodes: { downAfterIntervals: number };
  metrics: { staleAfterIntervals: number; requireToken: boolean };
  retention: { receiptsDays: number; auditDays: number; factsHistoryDays: number };
  /** Optional in the type; the loader fills `[]`. See remotewrite/README.md. */
  remoteWrite?: RemoteWriteEndpointConfig[];
  /** Optional in the type; default no limit. */
  seriesLimit?: SeriesLimitConfig;
  /** Optional in the type (configs built in code); the loader always fills it. See collector/rules/. */
  rules?: RulesConfig;
  /** Optional in the type (configs built in code); the loader always fills it. See alerts/README.md. */
  alerts?: AlertsConfig;
  /** Optional in the type; the loader always fills it. See notify/README.md. */
  notify?: NotifyConfig;
  /** Optional in the type; the loader always fills it. See mlps/README.md. */
  mlps?: MlpsConfig;
  log: { level: Level; format: 'text' | 'json' };
}

export const collectorConfigSpec: ConfigSpec = { kind: 'collector', envPrefix: 'XUNJIAN_COLLECTOR__', schema: collectorSchema };

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(listen.slice(i + 1)) };
}
