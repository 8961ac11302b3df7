import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FactGroupMeta, Report } from '../../contract/types.js';
import type { FactGroupRecord } from '../core/component.js';

/** Which source produces a fact group (for reports without factsMeta). */
export function sourceOfGroup(group: string): string {
  if (group === 'host.posture') return 'posture';
  if (group === 'host.inventory') return 'host';
  if (group.startsWith('network.device.')) return 'snmp';
  if (group === 'network.website_ipv6') return 'ipv6check';
  return group.split('.')[0] ?? group;
}

/** Canonical JSON (sorted keys), so equal content gives equal digests whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * Pure: the provenance of each group of a report. A group's collection time is the agent's
 * `factsMeta` when given, else the report's `sentAt` when its content changed; an unchanged resend keeps
 * the stored time, so a failing source's last good group ages visibly instead of being refreshed.
 */
export function factProvenance(
  r: Report,
  group: string,
  digest: string,
  prev: { digest: string; collectedAt: number } | undefined,
  sourceUp: (source: string) => boolean | undefined,
): { collectedAt: number; source: string; status: 'ok' | 'stale' } {
  const meta: FactGroupMeta | undefined = r.factsMeta?.[group];
  const source = meta?.source ?? sourceOfGroup(group);
  if (meta) return { collectedAt: meta.collectedAt, source, status: meta.status };
  const changed = !prev || prev.digest !== digest;
  const collectedAt = changed ? r.sentAt : prev.collectedAt;
  return { collectedAt, source, status: sourceUp(source) === false ? 'stale' : 'ok' };
}

export interface FactHistoryRow {
  group: string;
  digest: string;
  collectedAt: number;
  receivedAt: number;
  value: unknown;
}

/** Facts per node and group, with provenance and a history row per change. */
export class FactStore {
  private readonly q;
  constructor(private readonly db: Database.Database) {
    this.q = {
      get: db.prepare<[string, string], { digest: string; collected_at: number }>('SELECT digest, collected_at FROM fact_groups WHERE node_id = ? AND grp = ?'),
      upsert: db.prepare(`INSERT INTO fact_groups (node_id, grp, digest, json, collected_at, received_at, changed_at, source, status)
        VALUES (@node, @grp, @digest, @json, @collectedAt, @receivedAt, @receivedAt, @source, @status)
        ON CONFLICT(node_id, grp) DO UPDATE SET digest = @digest, json = @json, collected_at = @collectedAt, received_at = @receivedAt,
          changed_at = CASE WHEN fact_groups.digest = @digest THEN fact_groups.changed_at ELSE @receivedAt END, source = @source, status = @status
        WHERE @collectedAt >= fact_groups.collected_at`),
      history: db.prepare('INSERT INTO fact_history (node_id, grp, digest, json, collected_at, received_at) VALUES (?, ?, ?, ?, ?, ?)'),
      ofNode: db.prepare<[string], Record<string, unknown>>('SELECT * FROM fact_groups WHERE node_id = ? ORDER BY grp'),
      hist: db.prepare<[string, string, number], Record<string, unknown>>(
        'SELECT grp, digest, json, collected_at, received_at FROM fact_history WHERE node_id = ? AND grp = ? ORDER BY collected_at DESC, id DESC LIMIT ?',
      ),
    };
  }

  /**
   * Store a report's fact groups (inside the ingest transaction). Returns the groups whose content
   * changed. `sourceUp` answers from the report's `xunjian_agent_source_up` samples.
   */
  put(r: Report, receivedAt: number, sourceUp: (source: string) => boolean | undefined): FactGroupRecord[] {
    const changed: FactGroupRecord[] = [];
    for (const [group, value] of Object.entries(r.facts ?? {})) {
      const json = canonicalJson(value);
      const digest = createHash('sha256').update(json).digest('hex').slice(0, 32);
      const prev = this.q.get.get(r.node.id, group);
      const p = factProvenance(r, group, digest, prev ? { digest: prev.digest, collectedAt: prev.collected_at } : undefined, sourceUp);
      if (prev && p.collectedAt < prev.collected_at) continue; // an older collection (late report) does not replace a newer one
      this.q.upsert.run({ node: r.node.id, grp: group, digest, json, collectedAt: p.collectedAt, receivedAt, source: p.source, status: p.status });
      if (!prev || prev.digest !== digest) {
        this.q.history.run(r.node.id, group, digest, json, p.collectedAt, receivedAt);
        changed.push({ group, value, collectedAt: p.collectedAt, receivedAt, status: p.status });
      }
    }
    return changed;
  }

  /** The node's groups with provenance; undefined when it has none. */
  ofNode(node: string): FactGroupRecord[] | undefined {
    const rows = this.q.ofNode.all(node);
    if (rows.length === 0) return undefined;
    return rows.map((r) => ({
      group: r.grp as string,
      value: JSON.parse(r.json as string),
      collectedAt: r.collected_at as number,
      receivedAt: r.received_at as number,
      status: r.status as 'ok' | 'stale',
    }));
  }

  history(node: string, group: string, limit = 50): FactHistoryRow[] {
    return this.q.hist.all(node, group, limit).map((r) => ({
      group: r.grp as string,
      digest: r.digest as string,
      collectedAt: r.collected_at as number,
      receivedAt: r.received_at as number,
      value: JSON.parse(r.json as string),
    }));
  }

  /** Delete history rows older than `before`, keeping each group's newest row. */
  prune(before: number): number {
    return this.db.prepare(`DELETE FROM fact_history WHERE received_at < ? AND id NOT IN (SELECT max(id) FROM fact_history GROUP BY node_id, grp)`).run(before)
      .changes;
  }
}
