import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../contract/sign.js';
import type { ConfigSpec } from '../lib/config.js';
import { type Level, logSchema } from '../lib/log.js';
import { type RemoteWriteEndpointConfig, remoteWriteSchema, type SeriesLimitConfig, seriesLimitSchema } from './remotewrite/config.js';

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
        maxBodyBytes: { type: 'integer', minimum: 1024, default: 8_388_608, description: 'Largest accepted request body as sent (gzipped), in bytes.' },
        maxDecompressedBytes: { type: 'integer', minimum: 1024, default: 67_108_864, description: 'Largest accepted report after decompression, in bytes.' },
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
          description: 'Reports whose signed timestamp is further than this from the collector clock are refused (stale_timestamp); a signature seen within this window is refused again (replayed).',
        },
        maxBatchReports: { type: 'integer', minimum: 1, default: 1000, description: 'Most reports in one batch request (POST /api/v1/reports/batch).' },
        rateLimit: {
          type: 'object',
          default: {},
          additionalProperties: false,
          description: 'Per-node request rate limit (token bucket); beyond it requests get 429 rate_limited with Retry-After. A batch counts as one request.',
          properties: {
            requestsPerSecond: { type: 'number', minimum: 0, default: 5, description: 'Average requests per second allowed per node; 0 disables the limit.' },
            burst: { type: 'integer', minimum: 1, default: 60, description: 'Requests a node may send at once (bucket size).' },
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
        downAfterIntervals: { type: 'number', minimum: 1, default: 3, description: 'A node is down (xunjian_node_up 0) after this many report intervals without a report.' },
      },
    },
    metrics: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'The fleet /metrics endpoint.',
      properties: {
        seriesTtlSeconds: {
          type: 'integer',
          minimum: 60,
          default: 900,
          description: 'A series not refreshed by its node for this long leaves /metrics (sources may poll less often than nodes report).',
        },
      },
    },
    remoteWrite: remoteWriteSchema,
    seriesLimit: seriesLimitSchema,
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
    /** Optional in the type; default 5 requests/s, burst 60. */
    rateLimit?: { requestsPerSecond: number; burst: number };
  };
  /** Optional in the type; absent or empty certFile: plain HTTP. */
  tls?: { certFile: string; keyFile: string; clientCaFile: string; requireClientCert: boolean };
  nodes: { downAfterIntervals: number };
  metrics: { seriesTtlSeconds: number };
  /** Optional in the type; the loader fills `[]`. See remotewrite/README.md. */
  remoteWrite?: RemoteWriteEndpointConfig[];
  /** Optional in the type; default no limit. */
  seriesLimit?: SeriesLimitConfig;
  log: { level: Level; format: 'text' | 'json' };
}

export const collectorConfigSpec: ConfigSpec = { kind: 'collector', envPrefix: 'XUNJIAN_COLLECTOR__', schema: collectorSchema };

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(listen.slice(i + 1)) };
}
