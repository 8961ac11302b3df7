import type Database from 'better-sqlite3';
import type { Registry } from 'prom-client';
import type { MetricType, Report } from '../../contract/types.js';
import type { Logger } from '../../lib/log.js';
import type { Route } from '../api/types.js';
import type { Audit } from '../audit/audit.js';
import type { CollectorConfig } from '../config.js';

/**
 * The collector's core contract: ingest commits a report, then hands it to every component that
 * consumes (`append`), after the commit, outside the transaction. A component is one capability
 * (series/exposition, rule window, remote-write queue, MLPS engine, …) with its own lifecycle, routes
 * and metrics. A throwing or slow component is its own problem: the fan-out counts and logs the
 * failure, the others and ingest go on (see fanout.ts).
 */

/** A label set as an object; series labels always include `__name__`. */
export type LabelSet = Record<string, string>;

/** One sample as the fleet sees it: the agent's sample with the target labels applied. */
export interface SeriesSample {
  /** Labels including `__name__` and the target labels `node`, `site`, `zone` (+ the node's free labels). */
  labels: LabelSet;
  value: number;
  type: MetricType;
  /** The sample's own timestamp (agent clock, ms). */
  ts: number;
  /** Source interval, seconds (at least the report interval); the series' staleness is a few of these. */
  intervalSeconds?: number;
  /** The series' exposition key `{a="1",…}` (labels without `__name__`, in their order): a stable series id within its family. */
  key?: string;
}

/** A fact group as stored: its content and provenance. */
export interface FactGroupRecord {
  /** Group name, e.g. `host.posture`, `network.device.core-sw1`. */
  group: string;
  value: unknown;
  /** When the agent collected it (the report's sentAt unless the group says otherwise), ms. */
  collectedAt: number;
  /** When the collector received it, ms. */
  receivedAt: number;
  /** `ok`, or `stale` when the source that produces it failed its last run (the group is the last good one). */
  status: 'ok' | 'stale';
}

/** What every consumer receives after a report committed. */
export interface AcceptedReport {
  report: Report;
  /** The report's stream id (`""` for agents that send none). */
  stream: string;
  receivedAt: number;
  /** The report's samples with target labels, in report order (reserved names already refused). */
  samples: SeriesSample[];
  /** Fact groups whose content changed with this report (empty when none did). */
  changedFacts: FactGroupRecord[];
  /** The report opened a new stream for a node that already had one (its agent state was reset, or a second agent uses the id). */
  newStream: boolean;
}

/** One capability hosted by the collector. Every member is optional except `name`. */
export interface Component {
  readonly name: string;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** Apply a new, already validated config. Throw to refuse it (the old config stays in force). */
  reload?(cfg: CollectorConfig): void | Promise<void>;
  /** Post-commit consumer. Must not block: queue work and return. */
  append?(r: AcceptedReport): void;
  /**
   * In-transaction consumer, for what must never be lost (a durable remote-write queue): called inside
   * the ingest transaction, after the report's rows, on the same database handle. Throwing refuses the
   * report (500, the agent retries) — so keep it to one cheap INSERT. A crash after the commit and
   * before `append` then loses nothing: the rows are there, and the agent's resend is a duplicate.
   */
  commit?(r: AcceptedReport): void;
  /** HTTP routes this component serves (see api/types.ts). */
  routes?(): Route[];
  /** Extra exposition text appended to /metrics (complete families: # HELP/# TYPE and lines). */
  exposition?(now: number): string;
}

/** Alerts as Prometheus's notifier sends them (rules → alerts/): firing, or resolved with endsAt. */
export interface OutgoingAlert {
  labels: LabelSet;
  annotations: LabelSet;
  /** ms */
  startsAt: number;
  /** ms; for a firing alert: now + 4 × max(resend delay, group interval); for a resolved one: when it resolved. */
  endsAt: number;
  generatorURL?: string;
  /** The alert's value at its last evaluation (Prometheus keeps it for templates). */
  value?: number;
}

/** Where rules and MLPS send alerts. alerts/ implements it; until it is wired, alerts are only counted. */
export interface AlertSink {
  send(alerts: OutgoingAlert[]): void;
}

/** Appends series the collector produces itself (recording rules, ALERTS, …) into the series store. */
export interface SeriesAppender {
  /** `source` names the producer (e.g. `rules`); `intervalSeconds` drives staleness like an agent source's. */
  appendOwn(source: string, samples: SeriesSample[], intervalSeconds: number): void;
}

/** What a component factory is given. Cross-component services are late-bound fields of `hub`. */
export interface CollectorContext {
  /** The config in force (changes on reload). */
  cfg(): CollectorConfig;
  db: Database.Database;
  log: Logger;
  now(): number;
  /** prom-client registry for the component's own metrics (exposed on /metrics). */
  registry: Registry;
  audit: Audit;
  series: SeriesAppender;
  /** Read access to the fleet's durable state (registry, facts, devices). */
  fleet: FleetReader;
  hub: Hub;
}

/** A FleetReader with nothing in it, for components tested on their own. */
export const EMPTY_FLEET: FleetReader = { nodes: () => [], facts: () => undefined, devices: () => [], nodeSeries: () => [] };

/** The registry and facts as components read them (the store's domains, read-only). */
export interface FleetReader {
  nodes(): { id: string; site: string; zone: string; grade: number; labels: LabelSet; up: boolean; lastSeen: number; interval: number }[];
  /** The node's fact groups with provenance; undefined when it has none. */
  facts(node: string): FactGroupRecord[] | undefined;
  devices(): { id: string; node: string; target: string; site: string; zone: string; grade: number; vendor: string | null; sysName: string | null }[];
  /**
   * The collector's own per-node series at `now` — `xunjian_node_up`, `xunjian_node_last_report_timestamp_seconds`,
   * `xunjian_node_clock_skew_seconds`, `xunjian_node_live_streams` — as /metrics shows them (derived, not stored).
   */
  nodeSeries?(now: number): SeriesSample[];
}

/** Late-bound services between components; a component that provides one sets it in its factory. */
export interface Hub {
  alerts: AlertSink;
  /** Set by the MLPS component: a node's or device's overall score (passed ÷ (passed + failed)), null when unknown. */
  mlpsScore?: (target: string) => number | null;
  /** Set by the alerts component: firing alerts per node (by the `node` label), for summaries. */
  activeAlertsByNode?: () => Map<string, number>;
}

export type ComponentFactory = (ctx: CollectorContext) => Component;
