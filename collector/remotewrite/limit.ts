import { Counter, Gauge, type Registry } from 'prom-client';
import type { SeriesSample } from '../core/component.js';
import type { SeriesLimitConfig } from './config.js';
import { seriesKey, sortedLabels } from './wire.js';

/**
 * Cardinality guard: at most `limit(node)` active series per node. A series is active from its first
 * admitted sample until `idleSeconds` without one. Samples of a known series always pass; a new series
 * beyond the limit is refused (its samples counted, never stored or forwarded); a node without a limit
 * is not tracked. No I/O: ingest calls
 * `admit` with the report's samples before it stores them, and exposes `refused` in its answer.
 */
export class SeriesLimiter {
  private readonly nodes = new Map<string, Map<string, number>>();
  private lastSweep = 0;

  constructor(private cfg: SeriesLimitConfig) {}

  reload(cfg: SeriesLimitConfig): void {
    this.cfg = cfg;
  }

  limit(node: string): number {
    return this.cfg.overrides[node] ?? this.cfg.perNode;
  }

  /** Active series of a node (after the last sweep). */
  active(node: string): number {
    return this.nodes.get(node)?.size ?? 0;
  }

  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  /**
   * Split a node's samples into admitted and refused. `now` in ms. Keys are the sorted label sets,
   * so the same series under another label order is the same series.
   */
  admit(node: string, samples: readonly SeriesSample[], now: number): { admitted: SeriesSample[]; refused: number; refusedSeries: number } {
    this.sweep(now);
    const limit = this.limit(node);
    if (limit === 0) return { admitted: samples as SeriesSample[], refused: 0, refusedSeries: 0 };
    let seen = this.nodes.get(node);
    if (!seen) {
      seen = new Map();
      this.nodes.set(node, seen);
    }
    const admitted: SeriesSample[] = [];
    const refusedKeys = new Set<string>();
    let refused = 0;
    let expired = false;
    for (const s of samples) {
      const key = s.key !== undefined ? `${s.labels.__name__}${s.key}` : seriesKey(sortedLabels(s.labels));
      if (!seen.has(key) && seen.size >= limit && !expired) {
        // before refusing, free the slots of this node's idle series
        expired = true;
        const idle = this.cfg.idleSeconds * 1000;
        for (const [k, t] of seen) if (now - t >= idle) seen.delete(k);
      }
      if (seen.has(key) || seen.size < limit) {
        seen.set(key, now);
        admitted.push(s);
      } else {
        refused++;
        refusedKeys.add(key);
      }
    }
    return { admitted, refused, refusedSeries: refusedKeys.size };
  }

  /** Forget series idle for idleSeconds (at most once per tenth of that period). */
  sweep(now: number): void {
    const idle = this.cfg.idleSeconds * 1000;
    if (now - this.lastSweep < idle / 10) return;
    this.lastSweep = now;
    for (const [node, seen] of this.nodes) {
      for (const [k, t] of seen) if (now - t >= idle) seen.delete(k);
      if (seen.size === 0) this.nodes.delete(node);
    }
  }
}

/** The guard's metrics: refused samples and active series per node. */
export function seriesLimitMetrics(registry: Registry, limiter: SeriesLimiter) {
  const refused = new Counter({
    name: 'xunjian_collector_series_limit_refused_total',
    help: 'Samples refused because they would open a series beyond the node series limit (seriesLimit).',
    labelNames: ['node'],
    registers: [registry],
  });
  new Gauge({
    name: 'xunjian_collector_node_active_series',
    help: 'Active series of a node as the series limit counts them.',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const node of limiter.nodeIds()) this.set({ node }, limiter.active(node));
    },
  });
  return { refused };
}
