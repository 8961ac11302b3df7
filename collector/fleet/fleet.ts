import { escapeHelp, expositionType, formatLabels, formatValue } from '../../contract/exposition.js';
import type { MetricType, Report } from '../../contract/types.js';

/**
 * The fleet's latest samples, kept pre-rendered per series so that /metrics is string concatenation
 * (no per-scrape object churn). Each series carries the target labels `node`, `site`, `zone` and the
 * node's free labels; a sample label that collides with them is kept as `exported_<name>`, as
 * Prometheus does with honor_labels: false.
 */
interface Series {
  node: string;
  line: string;
  ts: number;
  /** When the collector last refreshed it, for the TTL. */
  seenAt: number;
}

interface Family {
  type: MetricType;
  help?: string;
  series: Map<string, Series>;
}

export interface FleetOptions {
  seriesTtlMs: number;
}

export class Fleet {
  private readonly families = new Map<string, Family>();
  typeConflicts = 0;

  constructor(private readonly opts: FleetOptions) {}

  /** Merge a report's samples: per series the newest sample (by its own timestamp) wins. */
  ingest(r: Report, now: number): void {
    const target: Record<string, string> = { node: r.node.id, site: r.node.site, zone: r.node.zone };
    for (const [k, v] of Object.entries(r.node.labels)) if (!(k in target)) target[k] = v;
    for (const s of r.samples) {
      let fam = this.families.get(s.name);
      if (!fam) {
        fam = { type: s.type, series: new Map() };
        this.families.set(s.name, fam);
      } else if (expositionType(fam.type) !== expositionType(s.type)) {
        this.typeConflicts++;
        continue;
      }
      const help = r.help?.[s.name];
      if (help) fam.help = help;
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.labels)) labels[k in target ? `exported_${k}` : k] = v;
      Object.assign(labels, target);
      const key = formatLabels(labels);
      const prev = fam.series.get(key);
      if (prev && prev.ts > s.ts) continue;
      fam.series.set(key, { node: r.node.id, line: `${s.name}${key} ${formatValue(s.value)}`, ts: s.ts, seenAt: now });
    }
  }

  /** Drop every series of a node (e.g. when it is removed). */
  forget(node: string): void {
    for (const f of this.families.values()) for (const [k, s] of f.series) if (s.node === node) f.series.delete(k);
  }

  /** Exposition of all live series; series of nodes in `hidden` (down nodes) are left out. */
  render(now: number, hidden: ReadonlySet<string> = new Set()): string {
    const out: string[] = [];
    for (const [name, fam] of this.families) {
      const lines: string[] = [];
      for (const [k, s] of fam.series) {
        if (now - s.seenAt > this.opts.seriesTtlMs) {
          fam.series.delete(k);
          continue;
        }
        if (!hidden.has(s.node)) lines.push(s.line);
      }
      if (fam.series.size === 0) {
        this.families.delete(name);
        continue;
      }
      if (lines.length === 0) continue;
      if (fam.help) out.push(`# HELP ${name} ${escapeHelp(fam.help)}`);
      out.push(`# TYPE ${name} ${expositionType(fam.type)}`);
      for (const l of lines) out.push(l);
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }

  seriesCount(): number {
    let n = 0;
    for (const f of this.families.values()) n += f.series.size;
    return n;
  }
}
