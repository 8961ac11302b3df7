/**
 * Facts about the collector itself (group `collector.self`), for the MLPS 8.1.5 安全管理中心 checks:
 * the collector builds them from its own config and state (no agent sends them). Same fact shape as
 * `host.posture`: each fact `ok` with a value and evidence (config file and key), or `unknown` with a
 * reason.
 */
export const COLLECTOR_GROUP = 'collector.self';

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;
const strs = { type: 'array', items: str } as const;
const nul = { type: 'null' } as const;
const or = (...s: object[]) => ({ anyOf: s });
const obj = (props: Record<string, object>) => ({ type: 'object', required: Object.keys(props), additionalProperties: false, properties: props });

export const COLLECTOR_FACT_VALUES = {
  /** How agents reach the collector: TLS on the listener (or in front), per-node tokens, accepted HMACs. */
  'collector.agentChannel': obj({ tls: bool, mutualTls: bool, perNodeTokens: bool, signatureAlgorithms: strs }),
  /** The audit log of administrative actions. */
  'collector.audit': obj({ enabled: bool, retentionDays: or(nul, num) }),
  /** API roles that have at least one token (viewer, operator, security, admin). */
  'collector.roles': strs,
  /** Nodes and devices known, and those that reported within their liveness window. */
  'collector.monitoring': obj({ nodes: num, nodesReporting: num, devices: num }),
  /** Retention of facts history and of the audit log, in days (null: kept forever). */
  'collector.retention': obj({ factsHistoryDays: or(nul, num), auditLogDays: or(nul, num) }),
  /** Alert rules loaded and notification receivers configured. */
  'collector.alerting': obj({ rules: num, receivers: num }),
} as const;

export type CollectorFactId = keyof typeof COLLECTOR_FACT_VALUES;
