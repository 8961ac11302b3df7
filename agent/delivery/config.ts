/** Config fragment of delivery: the TLS options of a collector entry and the `delivery` section (agent/config.ts includes both). */

export const collectorTlsProps = {
  name: {
    type: 'string',
    default: '',
    anyOf: [{ const: '' }, { pattern: '^[A-Za-z0-9._-]{1,64}$' }],
    description: 'Name of this collector in logs, metrics and the spool cursor file. Empty: host_port of the URL.',
  },
  caFile: { type: 'string', default: '', description: 'PEM CA bundle trusted for https:// (replaces the system CAs). Empty: the system CAs.' },
  pinnedCaSha256: {
    type: 'array',
    default: [],
    items: { type: 'string', pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$', patternDescription: 'a SHA-256 fingerprint in hex (colons optional)' },
    description: 'SHA-256 fingerprints of certificates of which at least one must be in the collector certificate chain (CA pinning). Empty: no pinning.',
  },
  certFile: { type: 'string', default: '', description: 'PEM client certificate for mutual TLS. Empty: none.' },
  keyFile: { type: 'string', default: '', description: 'PEM private key of certFile.' },
} as const;

/** Optional in the type so that configs built in code before these keys existed still compile; the loader fills defaults. */
export interface CollectorTlsConfig {
  name?: string;
  caFile?: string;
  pinnedCaSha256?: string[];
  certFile?: string;
  keyFile?: string;
}

export const deliverySchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'How spooled reports reach the collectors.',
  properties: {
    mode: {
      enum: ['failover', 'fanout'],
      default: 'failover',
      description:
        'failover: every report to the first healthy collector (in list order); fanout: every report to every collector (HA pair), each with its own spool cursor.',
    },
    batchMaxReports: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Most reports per request when catching up.' },
    batchMaxBytes: {
      type: 'integer',
      minimum: 1024,
      default: 1_048_576,
      description: 'Most bytes (gzipped) per batch request; one report is sent alone whatever its size.',
    },
    backoffInitialSeconds: {
      type: 'number',
      minimum: 0.01,
      default: 1,
      description: 'Wait after the first failed request to a collector; doubles per failure, with jitter.',
    },
    backoffMaxSeconds: {
      type: 'number',
      minimum: 0.01,
      default: 300,
      description: 'Longest wait between attempts (a Retry-After from the collector is honoured even when longer, up to 1 h).',
    },
    probeIntervalSeconds: {
      type: 'number',
      minimum: 0,
      maximum: 300,
      default: 2,
      description:
        'While every collector is in backoff after a network error or a 5xx, ask each this often whether it answers again (GET /healthz, a few hundred bytes) and send at once when it does. 0: wait for the backoff. A Retry-After is always honoured.',
    },
  },
} as const;

export const DEFAULT_DELIVERY: DeliveryConfig = {
  mode: 'failover',
  batchMaxReports: 100,
  batchMaxBytes: 1_048_576,
  backoffInitialSeconds: 1,
  backoffMaxSeconds: 300,
  probeIntervalSeconds: 2,
};

export interface DeliveryConfig {
  mode: 'failover' | 'fanout';
  batchMaxReports: number;
  batchMaxBytes: number;
  backoffInitialSeconds: number;
  backoffMaxSeconds: number;
  /** Optional in the type (configs built in code); the loader fills it. */
  probeIntervalSeconds?: number;
}
