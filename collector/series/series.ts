import { escapeHelp, escapeLabelValue, expositionType, formatLabels, formatValue } from '../../contract/exposition.js';
import type { MetricType, Report } from '../../contract/types.js';
import type { LabelSet, SeriesSample } from '../core/component.js';

/**
 * The fleet's series: structure (label set, type, value, sample timestamp, source interval) plus the
 * cached exposition line, so that /metrics stays string concatenation.
 *
 * Staleness is per series: a series ends once `staleAfterIntervals` × its interval have passed on the
 * collector clock without a refresh, where its interval is the larger of its source's interval (the
 * report's `intervals`) and the node's report interval: a daily ipv6check series lives for days, a
 * 15 s series for 45 s. A series whose node is down is not exposed (and ends for the rule engine, which
 * sees the same rule through `xunjian_node_up`). Series the collector makes itself (recording rules,
 * ALERTS) are owned by their producer, not by a node.
 */
export interface Series {
  name: string;
  /** Labels including `__name__`. */
  labels: LabelSet;
  /** The node whose report carried it; undefined for the collector's own series. */
  node: string | undefined;
  value: number;
  /** Sample timestamp, ms. */
  ts: number;
  /** Staleness interval, ms (source interval, at least the report interval). */
  intervalMs: number;
  /** Collector clock at the last refresh, ms. */
  seenAt: number;
  /** Cached exposition line (without timestamp). */
  line: string;
}

interface Family {
  type: MetricType;
  help?: string;
  series: Map<string, Series>;
}

export interface SeriesStoreOptions {
  staleAfterIntervals: number;
}

/** Names a node may not send: the collector's own families and the rule engine's. */
export const RESERVED_PREFIXES = ['xunjian_node_', 'xunjian_collector_', 'xunjian_rule_', 'xunjian_mlps_', 'xunjian_notification', 'xunjian_remote_storage_'];
export const RESERVED_NAMES = new Set(['ALERTS', 'ALERTS_FOR_STATE']);

export function reservedName(name: string): boolean {
  if (RESERVED_NAMES.has(name)) return true;
  for (const p of RESERVED_PREFIXES) if (name.startsWith(p)) return true;
  return false;
}

/** Interning of label values that repeat across series (node, site, zone, …), bounded. */
class Interner {
  private pool = new Map<string, string>();
  get(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (this.pool.size >= 200_000) this.pool = new Map();
    this.pool.set(s, s);
    return s;
  }
}

/** The target labels of a report's node: `node`, `site`, `zone` and its free labels. */
export function targetLabels(r: Report): LabelSet {
  const t: LabelSet = { node: r.node.id, site: r.node.site, zone: r.node.zone };
  for (const [k, v] of Object.entries(r.node.labels)) if (!(k in t)) t[k] = v;
  return t;
}

/**
 * Pure: a report's samples as fleet series samples. A sample label that collides with a target label is
 * kept as `exported_<name>` (Prometheus's honor_labels: false). Samples with reserved names are left out
 * and counted in `refused`.
 */
export function seriesSamples(r: Report, intern: (s: string) => string = (s) => s): { samples: SeriesSample[]; refused: number } {
  const target = targetLabels(r);
  const targetKeys = Object.keys(target);
  const out: SeriesSample[] = [];
  let refused = 0;
  let targetKey = '';
  for (const k of targetKeys) targetKey += `,${k}="${escapeLabelValue(target[k]!)}"`;
  for (const s of r.samples) {
    if (reservedName(s.name)) {
      refused++;
      continue;
    }
    // labels and their exposition key are built in one pass, in the same order
    const labels: LabelSet = { __name__: intern(s.name) };
    let key = '';
    let clash = false;
    for (const k in s.labels) {
      const name = k in target ? `exported_${k}` : k;
      if (name in labels) clash = true;
      labels[name] = s.labels[k]!;
      key += `,${name}="${escapeLabelValue(s.labels[k]!)}"`;
    }
    for (const k of targetKeys) labels[k] = intern(target[k]!);
    key = clash ? keyOf(labels) : `{${(key + targetKey).slice(1)}}`;
    const iv = r.intervals?.[s.name];
    out.push({ labels, key, value: s.value, type: s.type, ts: s.ts, intervalSeconds: Math.max(iv ?? 0, r.agent.interval) });
  }
  return { samples: out, refused };
}

/** Exposition key of a label set: `{a="1",…}` without `__name__`, in the set's own key order. */
function keyOf(labels: LabelSet): string {
  return formatLabels(labels, '__name__');
}

export class SeriesStore {
  private readonly families = new Map<string, Family>();
  private readonly interner = new Interner();
  typeConflicts = 0;

  constructor(private opts: SeriesStoreOptions) {}

  setStaleAfterIntervals(n: number): void {
    this.opts = { ...this.opts, staleAfterIntervals: n };
  }

  intern = (s: string): string => this.interner.get(s);

  /**
   * Merge samples: per series the newest sample (by its own timestamp) wins; an older sample (a late
   * report from a spool) refreshes nothing. `node` owns them (undefined: the collector's own).
   */
  append(samples: readonly SeriesSample[], node: string | undefined, now: number, help?: Record<string, string>, defaultIntervalSeconds = 60): void {
    for (const s of samples) {
      const name = s.labels.__name__!;
      let fam = this.families.get(name);
      if (!fam) {
        fam = { type: s.type, series: new Map() };
        this.families.set(name, fam);
      } else if (expositionType(fam.type) !== expositionType(s.type)) {
        this.typeConflicts++;
        continue;
      }
      const h = help?.[name];
      if (h) fam.help = h;
      const key = s.key ?? keyOf(s.labels);
      const prev = fam.series.get(key);
      if (prev && prev.ts > s.ts) continue;
      const intervalMs = (s.intervalSeconds ?? defaultIntervalSeconds) * 1000;
      if (prev) {
        // updated in place: the label set is the same, only value and times move
        if (prev.value !== s.value) prev.line = `${name}${key} ${formatValue(s.value)}`;
        prev.value = s.value;
        prev.ts = s.ts;
        prev.seenAt = now;
        prev.intervalMs = intervalMs;
        prev.node = node;
        continue;
      }
      fam.series.set(key, { name, labels: s.labels, node, value: s.value, ts: s.ts, intervalMs, seenAt: now, line: `${name}${key} ${formatValue(s.value)}` });
    }
  }

  /** Pure rule of staleness: is `s` still live at `now`? */
  live(s: Pick<Series, 'seenAt' | 'intervalMs'>, now: number): boolean {
    return now - s.seenAt <= s.intervalMs * this.opts.staleAfterIntervals;
  }

  /** Drop ended series; returns how many. Called on every render and by a timer. */
  sweep(now: number): number {
    let n = 0;
    for (const [name, fam] of this.families) {
      for (const [k, s] of fam.series) {
        if (!this.live(s, now)) {
          fam.series.delete(k);
          n++;
        }
      }
      if (fam.series.size === 0) this.families.delete(name);
    }
    return n;
  }

  /** Exposition of all live series; series of nodes in `hidden` (down nodes) are left out. */
  render(now: number, hidden: ReadonlySet<string> = new Set()): string {
    this.sweep(now);
    let out = '';
    for (const [name, fam] of this.families) {
      let lines = '';
      for (const s of fam.series.values()) if (s.node === undefined || !hidden.has(s.node)) lines += `${s.line}\n`;
      if (lines === '') continue;
      if (fam.help) out += `# HELP ${name} ${escapeHelp(fam.help)}\n`;
      out += `# TYPE ${name} ${expositionType(fam.type)}\n${lines}`;
    }
    return out;
  }

  /** Live series of one family (all nodes), for summaries and the API. */
  *family(name: string, now: number): Iterable<Series> {
    const fam = this.families.get(name);
    if (!fam) return;
    for (const s of fam.series.values()) if (this.live(s, now)) yield s;
  }

  /** Live series of one node, every family. */
  *ofNode(node: string, now: number): Iterable<Series> {
    for (const fam of this.families.values()) for (const s of fam.series.values()) if (s.node === node && this.live(s, now)) yield s;
  }

  seriesCount(): number {
    let n = 0;
    for (const f of this.families.values()) n += f.series.size;
    return n;
  }
}
