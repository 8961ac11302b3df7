/**
 * Config sections of remote-write (`remoteWrite`) and of the per-node series limit (`seriesLimit`):
 * JSON Schema fragments for collector/config.ts, with defaults and descriptions, and their types.
 */

export const remoteWriteQueueSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'The endpoint queue (durable: samples wait in the collector database until the endpoint acknowledged them).',
  properties: {
    capacity: {
      type: 'integer',
      minimum: 1,
      default: 10000,
      description: 'Samples each shard holds in memory; the durable backlog beyond it is read from the database as the shard drains.',
    },
    maxSamplesPerSend: { type: 'integer', minimum: 1, default: 2000, description: 'Most samples in one request.' },
    batchSendDeadlineSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 5,
      description: 'A shard sends a smaller request once its oldest waiting sample waited this long.',
    },
    minShards: {
      type: 'integer',
      minimum: 1,
      maximum: 200,
      default: 1,
      description: 'Fewest shards (concurrent requests). A series always goes to the same shard (hash of its labels), so its samples stay in time order.',
    },
    maxShards: {
      type: 'integer',
      minimum: 1,
      maximum: 200,
      default: 16,
      description:
        'Most shards. Every 10 s the queue computes the shards it needs from the incoming rate, the time a request takes per sample and the pending backlog (as Prometheus does), and reshards between minShards and maxShards: shards first send what they hold, then the new ones start, so per-series order holds and nothing is sent twice. Set minShards = maxShards for a fixed count.',
    },
    maxBacklogBytes: {
      type: 'integer',
      minimum: 0,
      default: 1073741824,
      description:
        'Cap of this endpoint\'s durable backlog in the collector database (bytes of uncompressed protobuf, ≈ 120 per SNMP sample; like vmagent\'s -remoteWrite.maxDiskUsagePerURL). Beyond it the oldest unsent samples are dropped, counted in samples_dropped_total{reason="backlog_full"} and logged once per episode. 0: no cap (an endpoint down for days fills the disk). Default 1 GiB.',
    },
    minBackoffSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 0.03,
      description: 'First retry delay after a 5xx, 429 or network error; doubles per retry.',
    },
    maxBackoffSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 5,
      description: 'Longest retry delay (a Retry-After header replaces the computed delay, up to 300 s).',
    },
    retryOnHttp429: { type: 'boolean', default: true, description: 'Retry on 429 Too Many Requests (false: a 429 drops the request like other 4xx).' },
  },
} as const;

export const remoteWriteEndpointSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'url'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      patternDescription: 'letters, digits, _ . - (at most 64)',
      description: 'Name of the endpoint: the remote_name label of the metrics and the key of its durable queue position (renaming starts a new queue).',
    },
    url: {
      type: 'string',
      pattern: '^https?://[^\\s]+$',
      patternDescription: 'an http:// or https:// URL',
      description: 'Remote-write URL, e.g. http://prometheus:9090/api/v1/write or http://victoria:8428/api/v1/write.',
    },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0, default: 30, description: 'Timeout of one request.' },
    basicAuth: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'HTTP basic authentication (set username and password or passwordFile).',
      properties: {
        username: { type: 'string', default: '', description: 'User name; empty: no basic auth.' },
        password: { type: 'string', default: '', secret: true, description: 'Password (prefer passwordFile).' },
        passwordFile: { type: 'string', default: '', description: 'File holding the password (read at each request, trailing newline trimmed).' },
      },
    },
    bearerToken: { type: 'string', default: '', secret: true, description: 'Bearer token (prefer bearerTokenFile).' },
    bearerTokenFile: { type: 'string', default: '', description: 'File holding the bearer token (read at each request, so a rotated token is picked up).' },
    headers: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'string' },
      description: 'Extra request headers (e.g. X-Scope-OrgID for Mimir tenants). The protocol headers cannot be overridden.',
    },
    tls: {
      type: 'object',
      default: {},
      additionalProperties: false,
      description: 'TLS towards an https:// endpoint.',
      properties: {
        caFile: { type: 'string', default: '', description: 'PEM CA bundle to verify the server; empty: the system CAs.' },
        certFile: { type: 'string', default: '', description: 'PEM client certificate (mutual TLS), with keyFile.' },
        keyFile: { type: 'string', default: '', description: 'PEM private key of certFile.' },
        serverName: { type: 'string', default: '', description: 'Name to verify the server certificate against (SNI); empty: the URL host.' },
        insecureSkipVerify: { type: 'boolean', default: false, description: 'Do not verify the server certificate (tests only).' },
      },
    },
    queue: remoteWriteQueueSchema,
  },
} as const;

export const remoteWriteSchema = {
  type: 'array',
  default: [],
  items: remoteWriteEndpointSchema,
  description:
    'Prometheus remote-write 1.0 endpoints (Prometheus with --web.enable-remote-write-receiver, VictoriaMetrics, Mimir, Thanos receive). Every accepted sample goes to each, with its original timestamp. For Prometheus set storage.tsdb.out_of_order_time_window (an agent backlog is older than the newest sample).',
} as const;

export const seriesLimitSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Cardinality guard: the most active series one node may have; samples of further new series are refused and counted.',
  properties: {
    perNode: { type: 'integer', minimum: 0, default: 0, description: 'Active series allowed per node; 0: no limit.' },
    overrides: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'integer', minimum: 0 },
      description: 'Per-node limits by node id, replacing perNode (0: no limit for that node).',
    },
    idleSeconds: {
      type: 'integer',
      minimum: 60,
      default: 900,
      description: 'A series not seen for this long stops counting against its node.',
    },
  },
} as const;

export interface RemoteWriteQueueConfig {
  capacity: number;
  maxSamplesPerSend: number;
  batchSendDeadlineSeconds: number;
  minShards: number;
  maxShards: number;
  maxBacklogBytes: number;
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  retryOnHttp429: boolean;
}

export interface RemoteWriteEndpointConfig {
  name: string;
  url: string;
  timeoutSeconds: number;
  basicAuth: { username: string; password: string; passwordFile: string };
  bearerToken: string;
  bearerTokenFile: string;
  headers: Record<string, string>;
  tls: { caFile: string; certFile: string; keyFile: string; serverName: string; insecureSkipVerify: boolean };
  queue: RemoteWriteQueueConfig;
}

export interface SeriesLimitConfig {
  perNode: number;
  overrides: Record<string, number>;
  idleSeconds: number;
}

/** The queue defaults, from the schema (defaults are written once, there). */
export const DEFAULT_QUEUE = Object.fromEntries(
  Object.entries(remoteWriteQueueSchema.properties).map(([k, v]) => [k, v.default]),
) as unknown as RemoteWriteQueueConfig;

/** An endpoint config with every default filled (for configs built in code; the loader fills them from the schema). */
export function endpointConfig(
  e: { name: string; url: string } & Partial<Omit<RemoteWriteEndpointConfig, 'queue'>> & { queue?: Partial<RemoteWriteQueueConfig> },
): RemoteWriteEndpointConfig {
  return {
    timeoutSeconds: 30,
    bearerToken: '',
    bearerTokenFile: '',
    headers: {},
    ...e,
    basicAuth: { username: '', password: '', passwordFile: '', ...e.basicAuth },
    tls: { caFile: '', certFile: '', keyFile: '', serverName: '', insecureSkipVerify: false, ...e.tls },
    queue: { ...DEFAULT_QUEUE, ...e.queue },
  };
}

/** Config errors ajv cannot express: unique names, minShards ≤ maxShards, auth and TLS pairs. Returns `key: expectation` messages. */
export function checkRemoteWrite(endpoints: readonly RemoteWriteEndpointConfig[]): string[] {
  const errs: string[] = [];
  const seen = new Set<string>();
  endpoints.forEach((e, i) => {
    if (seen.has(e.name)) errs.push(`remoteWrite.${i}.name: names must be unique, "${e.name}" is used twice`);
    seen.add(e.name);
    if (e.queue.minShards > e.queue.maxShards) errs.push(`remoteWrite.${i}.queue.minShards: must not exceed maxShards (${e.queue.maxShards})`);
    if (Boolean(e.tls.certFile) !== Boolean(e.tls.keyFile)) errs.push(`remoteWrite.${i}.tls: certFile and keyFile go together (mutual TLS)`);
    if (e.basicAuth.username && e.basicAuth.password && e.basicAuth.passwordFile)
      errs.push(`remoteWrite.${i}.basicAuth: set password or passwordFile, not both`);
    if (e.bearerToken && e.bearerTokenFile) errs.push(`remoteWrite.${i}: set bearerToken or bearerTokenFile, not both`);
    if ((e.bearerToken || e.bearerTokenFile) && e.basicAuth.username) errs.push(`remoteWrite.${i}: basicAuth and a bearer token exclude each other`);
  });
  return errs;
}
