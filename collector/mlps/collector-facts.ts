/**
 * The collector's own facts (`collector.self`, contract/facts/collector.ts) from what the collector
 * knows of itself, for the 8.1.5 安全管理中心 checks. Pure: the lead passes config values and counts;
 * each fact's evidence names the config key (or the state) it came from.
 */
import type { Fact } from '../../contract/facts/posture.js';

export interface CollectorSelf {
  /** The config file (evidence source), e.g. /etc/xunjian/collector.yaml. */
  configFile: string;
  /** HTTPS on the listener (tls.certFile set), or TLS terminated in front (declared by the site). */
  tls: boolean;
  mutualTls: boolean;
  /** Every node has its own token (always true for this collector's token store). */
  perNodeTokens: boolean;
  /** ingest.signatureAlgorithms. */
  signatureAlgorithms: string[];
  audit: { enabled: boolean; retentionDays: number | null };
  /** Roles that hold at least one API token. */
  roles: string[];
  monitoring: { nodes: number; nodesReporting: number; devices: number };
  retention: { factsHistoryDays: number | null; auditLogDays: number | null };
  alerting: { rules: number; receivers: number };
}

const fact = (value: unknown, source: string, excerpt: string): Fact => ({ status: 'ok', value, evidence: [{ source, excerpt }] });

export function collectorFacts(c: CollectorSelf): Record<string, Fact> {
  const f = c.configFile;
  return {
    'collector.agentChannel': fact(
      { tls: c.tls, mutualTls: c.mutualTls, perNodeTokens: c.perNodeTokens, signatureAlgorithms: c.signatureAlgorithms },
      f,
      `tls: ${c.tls ? 'on' : 'off'}${c.mutualTls ? ' (client certificates required)' : ''}; ingest.signatureAlgorithms: ${c.signatureAlgorithms.join(', ')}; per-node tokens: ${c.perNodeTokens}`,
    ),
    'collector.audit': fact(c.audit, f, `audit.enabled: ${c.audit.enabled}; audit.retentionDays: ${c.audit.retentionDays ?? 'forever'}`),
    'collector.roles': fact(c.roles, 'collector token store', `roles with tokens: ${c.roles.join(', ') || 'none'}`),
    'collector.monitoring': fact(
      c.monitoring,
      'collector node registry',
      `nodes ${c.monitoring.nodes} (${c.monitoring.nodesReporting} reporting), devices ${c.monitoring.devices}`,
    ),
    'collector.retention': fact(
      c.retention,
      f,
      `facts history: ${c.retention.factsHistoryDays ?? 'forever'} days; audit log: ${c.retention.auditLogDays ?? 'forever'} days`,
    ),
    'collector.alerting': fact(c.alerting, f, `alert rules ${c.alerting.rules}, receivers ${c.alerting.receivers}`),
  };
}
