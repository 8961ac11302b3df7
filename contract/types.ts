/**
 * Wire contract v1 between agent and collector. See contract/README.md.
 * Everything the agent sends and the collector accepts is described here and in schema.ts.
 */

/** The contract version this build speaks. A report with a higher `v` is refused with `unsupported_contract_version`. */
export const CONTRACT_VERSION = 1 as const;

/** Where a node sits in the e-gov network. */
export const ZONES = ['gov-cloud', 'extranet', 'other'] as const;
export type Zone = (typeof ZONES)[number];

/** MLPS 2.0 grade of the system the node belongs to. */
export type Grade = 2 | 3;

export interface NodeIdentity {
  /** Stable node id: [A-Za-z0-9][A-Za-z0-9._-]{0,127}. */
  id: string;
  /** Site the node serves, e.g. a county or township name. */
  site: string;
  zone: Zone;
  grade: Grade;
  /** Free labels (Prometheus label name rules), copied onto the node's series by the collector. */
  labels: Record<string, string>;
}

/**
 * Prometheus metric types. `info` is a gauge whose value is 1 and whose labels carry the data
 * (rendered as `gauge` in the text exposition, as snmp_exporter does for `*_info`).
 */
export type MetricType = 'counter' | 'gauge' | 'info' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  type: MetricType;
  /** Milliseconds since the Unix epoch, on the agent's clock, when the value was read. */
  ts: number;
}

/** Facts: structured posture and inventory data, keyed by fact group (e.g. `host.inventory`). */
export type Facts = Record<string, unknown>;

export interface FactGroupMeta {
  /** ms since the epoch, agent clock. */
  collectedAt: number;
  /** The source that produces the group. */
  source: string;
  status: 'ok' | 'stale';
}

export interface AgentInfo {
  version: string;
  /** Seconds between reports; the collector marks the node down after 3 missed intervals. */
  interval: number;
}

export interface Report {
  /** Contract version. */
  v: typeof CONTRACT_VERSION;
  node: NodeIdentity;
  agent: AgentInfo;
  /** Per-node sequence number, strictly increasing across agent restarts. */
  seq: number;
  /**
   * Identity of the sequence (an epoch id created with the agent's seq state, new when that state is
   * recreated, e.g. after its data directory was reset). The collector dedups on (node, stream, seq).
   * Absent from older agents: their reports belong to the stream named `""`.
   */
  stream?: string;
  /** The agent's clock when the report was assembled, ms since epoch. */
  sentAt: number;
  samples: Sample[];
  /**
   * Source interval in seconds per metric name (optional): how often the source that produced the
   * samples runs. The collector keeps a series live for a few of these intervals (at least the report
   * interval), so a daily source's series do not vanish between its runs.
   */
  intervals?: Record<string, number>;
  /** HELP text per metric name (optional). */
  help?: Record<string, string>;
  /** Present when facts changed, or periodically; absent otherwise. */
  facts?: Facts;
  /**
   * Provenance per fact group (optional, with `facts`): when the source last collected it and whether
   * that source's last run succeeded (`stale`: the group is the last good one of a failing source).
   */
  factsMeta?: Record<string, FactGroupMeta>;
}

/** HTTP details of the ingest endpoint. */
export const INGEST_PATH = '/api/v1/reports';
export const HEADER_NODE = 'x-xunjian-node';
export const HEADER_TIMESTAMP = 'x-xunjian-timestamp';
export const HEADER_SIGNATURE = 'x-xunjian-signature';
export const HEADER_CONTRACT = 'x-xunjian-contract';

/** Body of every 4xx/5xx answer of the collector API. */
export interface ApiError {
  error: string;
  message: string;
}

/** Body of a 2xx answer to a report. */
export interface IngestAck {
  status: 'accepted' | 'duplicate';
  node: string;
  seq: number;
}

/**
 * Batch ingest (additive to v1): several reports in one request, for catch-up after an outage.
 * Body: newline-delimited JSON (`application/x-ndjson`), one report per line, usually sent as
 * `Content-Encoding: gzip` — a concatenation of gzip members (one per spooled report) is a valid gzip
 * stream. Authentication and signature as for one report, over the whole body as sent. A collector
 * without this path answers 404; the agent then falls back to one report per request.
 */
export const INGEST_BATCH_PATH = '/api/v1/reports/batch';
export const BATCH_CONTENT_TYPE = 'application/x-ndjson';

/** Outcome of one line of a batch, in line order. */
export type BatchItemResult = IngestAck | (ApiError & { line: number; seq?: number });

/** Body of a 200 answer to a batch: one result per non-empty line, in order. */
export interface BatchAck {
  results: BatchItemResult[];
}
