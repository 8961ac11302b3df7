import { hostname } from 'node:os';
import { join } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import { LIMITS } from '../../contract/schema.js';
import type { FactGroupMeta, Facts, NodeIdentity, Report, Sample } from '../../contract/types.js';
import { ensurePrivateDir } from '../../lib/fs.js';
import type { Logger } from '../../lib/log.js';
import { VERSION } from '../../lib/version.js';
import type { AgentConfig } from '../config.js';
import { type BatchPushResult, encodeReport, type PushResult, type PushTarget } from '../delivery/push.js';
import { DEFAULT_DELIVERY } from '../delivery/config.js';
import { Delivery } from '../delivery/delivery.js';
import { DEFAULT_SPOOL } from '../spool/config.js';
import { nextSeq } from '../spool/plan.js';
import { Spool } from '../spool/spool.js';
import type { Source, SourceResult } from '../source.js';
import { SampleBuffer, buildReport, factsDigest, shouldSendFacts, splitSamples } from './report.js';
import { cronFor, cronMinGapSeconds, reportOffsetSeconds } from './schedule.js';
import { SeqState } from './state.js';

export const AGENT_HELP: Record<string, string> = {
  xunjian_agent_info: 'Agent version.',
  xunjian_agent_source_duration_seconds: 'Duration of the last run of a source.',
  xunjian_agent_source_up: 'Whether the last run of a source succeeded.',
  xunjian_agent_source_runs_total: 'Runs of a source.',
  xunjian_agent_source_errors_total: 'Failed runs of a source (error or timeout).',
  xunjian_agent_source_skipped_total: 'Runs skipped because the previous run of the source was still going.',
  xunjian_agent_buffer_dropped_samples_total: 'Samples dropped because the buffer between reports was full.',
  xunjian_agent_reports_sent_total: 'Reports acknowledged by the collector.',
  xunjian_agent_push_errors_total: 'Failed push attempts.',
  xunjian_agent_reports_rejected_total: 'Reports the collector refused for their content (dropped).',
  xunjian_agent_spool_reports: 'Reports in the disk spool (not yet acknowledged by every collector).',
  xunjian_agent_spool_bytes: 'Size of the disk spool.',
  xunjian_agent_spool_dropped_reports_total: 'Reports dropped from the spool unsent to some collector because it exceeded spool.maxBytes or spool.maxAgeHours.',
  xunjian_agent_spool_quarantined_reports_total: 'Corrupt spool files moved to spool/quarantine (those reports are lost).',
  xunjian_agent_spool_write_errors_total: 'Reports that could not be written to the spool (their samples were put back in the buffer for the next report).',
  xunjian_agent_reports_split_total: 'Reports split in several because one would have exceeded the contract limits (samples or bytes).',
  xunjian_agent_collector_up: 'Whether the last request to a collector succeeded.',
  xunjian_agent_collector_pending_reports: 'Spooled reports a collector has not acknowledged yet.',
};

interface SourceStats {
  runs: number;
  errors: number;
  skipped: number;
  lastDuration: number;
  up: number;
}

export function nodeIdentity(cfg: AgentConfig): NodeIdentity {
  const id =
    cfg.node.id ||
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') ||
    'node';
  return { id, site: cfg.node.site, zone: cfg.node.zone, grade: cfg.node.grade, labels: cfg.node.labels };
}

/** Time budget of a source: 90% of its interval, or of the shortest gap between its cron runs. */
export function sourceBudgetMs(source: Pick<Source, 'intervalSeconds' | 'schedule'>): number {
  const gap = source.schedule ? (cronMinGapSeconds(source.schedule) ?? source.intervalSeconds) : source.intervalSeconds;
  return gap * 1000 * 0.9;
}

/** How long the first report waits for the sources' first runs: a slow one goes into a later report. */
export function firstReportWaitMs(reportIntervalSeconds: number): number {
  return Math.min(5000, reportIntervalSeconds * 500);
}

/** Largest report the agent builds: the contract's limits (contract/schema.ts LIMITS). */
const REPORT_LIMITS = { samples: LIMITS.samples, bytes: LIMITS.reportBytes };

/**
 * Run one source with a time budget; a hung source is aborted, never waited on forever. `onSettled`
 * fires when the source's own promise settles, which may be after the budget gave up on it.
 */
export async function runSource(source: Source, log: Logger, timeoutMs: number, onSettled?: () => void): Promise<SourceResult> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`source ${source.name} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  const run = new Promise<SourceResult>((resolve) => resolve(source.collect({ signal: ac.signal, log: log.child({ source: source.name }), now: Date.now })));
  if (onSettled) run.then(onSettled, onSettled);
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface AgentDeps {
  push?: (t: PushTarget, nodeId: string, body: Buffer) => Promise<PushResult>;
  pushBatch?: (t: PushTarget, nodeId: string, bodies: Buffer[]) => Promise<BatchPushResult>;
  probe?: (t: PushTarget) => Promise<boolean>;
  onAck?: (seq: number) => void;
}

/** The agent: sources on their schedules fill a buffer; every report interval the buffer becomes a report. */
export class Agent {
  readonly node: NodeIdentity;
  private readonly buffer: SampleBuffer;
  private readonly help: Record<string, string> = { ...AGENT_HELP };
  private readonly facts: Facts = {};
  /** Provenance of each fact group: when its source last produced it, and whether that source's last run failed. */
  private readonly factsMeta: Record<string, FactGroupMeta> = {};
  /** Source interval (seconds) per metric name, so the collector keeps a slow source's series between its runs. */
  private readonly intervals: Record<string, number> = {};
  private lastFactsSent: { digest: string; at: number } | undefined;
  private readonly stats = new Map<string, SourceStats>();
  private readonly seq: SeqState | undefined;
  private readonly budgets = new Map<string, number>();
  private spoolWriteErrors = 0;
  private splitReports = 0;
  private stopped = false;
  /** Facts digest per spooled seq carrying facts, until acknowledged. */
  private readonly factsInFlight = new Map<number, string>();
  private readonly spool: Spool | undefined;
  private readonly delivery: Delivery | undefined;
  private readonly targets: PushTarget[];
  private tasks: ScheduledTask[] = [];
  /** Sources whose collect() has not settled yet. */
  private readonly running = new Set<string>();

  constructor(
    private readonly cfg: AgentConfig,
    private readonly sources: Source[],
    private readonly log: Logger,
    target: PushTarget | PushTarget[] | undefined,
    private readonly deps: AgentDeps = {},
  ) {
    this.node = nodeIdentity(cfg);
    this.buffer = new SampleBuffer(cfg.report.maxBufferedSamples);
    this.targets = target === undefined ? [] : Array.isArray(target) ? target : [target];
    if (this.targets.length) {
      const open = ensurePrivateDir(cfg.dataDir).openMode;
      if (open !== undefined) log.warn('data directory is readable by group or others: chmod 700 it', { dir: cfg.dataDir, mode: open.toString(8) });
      const spool = { ...DEFAULT_SPOOL, ...cfg.spool };
      const delivery = { ...DEFAULT_DELIVERY, ...cfg.delivery };
      this.spool = new Spool({
        dir: join(cfg.dataDir, 'spool'),
        maxBytes: spool.maxBytes,
        maxAgeMs: spool.maxAgeHours * 3600_000,
        log: log.child({ component: 'spool' }),
      });
      this.delivery = new Delivery(
        this.spool,
        this.targets,
        this.node.id,
        {
          mode: delivery.mode,
          batchMaxReports: delivery.batchMaxReports,
          batchMaxBytes: delivery.batchMaxBytes,
          backoff: { initialMs: delivery.backoffInitialSeconds * 1000, maxMs: delivery.backoffMaxSeconds * 1000 },
          probeIntervalMs: (delivery.probeIntervalSeconds ?? 0) * 1000,
        },
        log,
        { push: deps.push, pushBatch: deps.pushBatch, probe: deps.probe, onAck: (seq) => this.acked(seq) },
      );
      // after the spool: a missing or damaged seq.json resumes after the highest seq the spool knows
      this.seq = new SeqState(cfg.dataDir, { log, floor: this.spool.highestSeq });
    }
    for (const s of sources) {
      this.stats.set(s.name, { runs: 0, errors: 0, skipped: 0, lastDuration: 0, up: 0 });
      this.budgets.set(s.name, sourceBudgetMs(s));
    }
  }

  /**
   * Run one source now and buffer what it returns. While its previous run is still going (including
   * one the time budget gave up on but that has not returned yet) the run is skipped and counted,
   * never stacked.
   */
  async collect(source: Source): Promise<void> {
    const st = this.stats.get(source.name)!;
    if (this.running.has(source.name)) {
      st.skipped++;
      this.log.warn('source still running at its next tick: run skipped', { source: source.name });
      return;
    }
    this.running.add(source.name);
    const t0 = performance.now();
    st.runs++;
    const produced = new Set<string>();
    try {
      const r = await runSource(source, this.log, this.budgets.get(source.name)!, () => this.running.delete(source.name));
      this.buffer.push(r.samples);
      const every = Math.round(sourceBudgetMs(source) / 900);
      for (const s of r.samples) this.intervals[s.name] = every;
      if (r.help) Object.assign(this.help, r.help);
      if (r.facts) {
        Object.assign(this.facts, r.facts);
        for (const g of Object.keys(r.facts)) {
          this.factsMeta[g] = { collectedAt: Date.now(), source: source.name, status: 'ok' };
          produced.add(g);
        }
      }
      if (r.error) {
        st.errors++;
        st.up = 0;
        this.log.warn('source failed in part (what it collected is kept)', { source: source.name, error: r.error });
      } else st.up = 1;
    } catch (err) {
      st.errors++;
      st.up = 0;
      this.log.warn('source failed', { source: source.name, error: (err as Error).message });
    } finally {
      // the groups a failed run did not refresh are the last good ones: stale until it succeeds again
      if (st.up === 0) for (const [g, m] of Object.entries(this.factsMeta)) if (m.source === source.name && !produced.has(g)) m.status = 'stale';
      st.lastDuration = (performance.now() - t0) / 1000;
    }
  }

  /** Every source once, concurrently. */
  async collectAll(): Promise<void> {
    await Promise.all(this.sources.map((s) => this.collect(s)));
  }

  selfSamples(now: number): Sample[] {
    const out: Sample[] = [];
    const add = (name: string, value: number, type: Sample['type'], labels: Record<string, string> = {}) => out.push({ name, labels, value, type, ts: now });
    add('xunjian_agent_info', 1, 'info', { version: VERSION });
    for (const [source, st] of this.stats) {
      add('xunjian_agent_source_duration_seconds', st.lastDuration, 'gauge', { source });
      add('xunjian_agent_source_up', st.up, 'gauge', { source });
      add('xunjian_agent_source_runs_total', st.runs, 'counter', { source });
      add('xunjian_agent_source_errors_total', st.errors, 'counter', { source });
      add('xunjian_agent_source_skipped_total', st.skipped, 'counter', { source });
    }
    add('xunjian_agent_buffer_dropped_samples_total', this.buffer.dropped, 'counter');
    const c = this.delivery?.counters ?? { sent: 0, pushErrors: 0, rejected: 0 };
    add('xunjian_agent_reports_sent_total', c.sent, 'counter');
    add('xunjian_agent_push_errors_total', c.pushErrors, 'counter');
    add('xunjian_agent_reports_rejected_total', c.rejected, 'counter');
    if (this.spool && this.delivery) {
      const st = this.spool.stats();
      add('xunjian_agent_spool_reports', st.reports, 'gauge');
      add('xunjian_agent_spool_bytes', st.bytes, 'gauge');
      add('xunjian_agent_spool_dropped_reports_total', st.dropped, 'counter');
      add('xunjian_agent_spool_quarantined_reports_total', st.quarantined, 'counter');
      add('xunjian_agent_spool_write_errors_total', this.spoolWriteErrors, 'counter');
      add('xunjian_agent_reports_split_total', this.splitReports, 'counter');
      for (const c of this.delivery.status()) {
        add('xunjian_agent_collector_up', c.up ? 1 : 0, 'gauge', { collector: c.collector });
        add('xunjian_agent_collector_pending_reports', c.pending, 'gauge', { collector: c.collector });
      }
    }
    return out;
  }

  /** What `--once` prints: the buffered samples plus self-metrics, without touching the sequence. */
  snapshot(): { samples: Sample[]; help: Record<string, string>; facts: Facts } {
    return { samples: [...this.buffer.drain(), ...this.selfSamples(Date.now())], help: this.help, facts: this.facts };
  }

  /**
   * Turn the buffer into reports and write them to the disk spool (durably: they survive a kill from
   * here on), then start sending. Samples beyond the contract's limits (samples, bytes) go into further
   * reports with the next seqs: an unsendable report is never built. A report that cannot be written to
   * the spool is counted and its samples go back into the buffer for the next report. With `wait`
   * (default) resolves when the lanes stopped (all sent or in backoff); the scheduler does not wait, so a
   * long catch-up never delays the next report.
   */
  async report(opts: { wait?: boolean } = {}): Promise<void> {
    if (!this.spool || !this.delivery || !this.seq) throw new Error('agent has no collector to report to');
    const now = Date.now();
    const drained = this.buffer.drain();
    const samples = [...drained, ...this.selfSamples(now)];
    const sendFacts = shouldSendFacts(this.facts, this.lastFactsSent, now, this.cfg.report.factsRefreshHours * 3600_000);
    const facts = sendFacts ? structuredClone(this.facts) : undefined;
    const digest = sendFacts ? factsDigest(this.facts) : undefined;
    const first = nextSeq(this.seq.current, this.spool.highestSeq);
    const parts = this.encodeParts(samples, facts, now, first);
    if (parts.length > 1) {
      this.splitReports++;
      this.log.info('report split at the contract limits', {
        reports: parts.length,
        samples: samples.length,
        maxSamples: REPORT_LIMITS.samples,
        maxBytes: REPORT_LIMITS.bytes,
      });
    }
    let seq = first;
    for (const [i, part] of parts.entries()) {
      try {
        this.spool.put(seq, part.body, now);
      } catch (err) {
        this.spoolWriteErrors++;
        // the samples of this part and the following ones wait for the next report (self-metrics are made afresh)
        const keep = samples.slice(part.from, drained.length);
        this.buffer.restore(keep);
        this.log.error('cannot write report to the spool: its samples are kept for the next report', {
          seq,
          error: (err as Error).message,
          keptSamples: keep.length,
          unsentParts: parts.length - i,
        });
        break;
      }
      try {
        this.seq.advanceTo(seq);
      } catch (err) {
        // the spooled report keeps the seq from being reused (nextSeq also reads the spool)
        this.log.error('cannot persist the seq state', { file: this.seq.path, seq, error: (err as Error).message });
      }
      if (i === 0 && digest) this.factsInFlight.set(seq, digest);
      seq++;
    }
    const sending = this.flush();
    if (opts.wait !== false) await sending;
  }

  /**
   * The gzipped reports for these samples, each within the contract's limits: cut by sample count and
   * JSON bytes, and a part whose gzip is still over the body limit is halved again. Facts ride in the
   * first part. `from` is the index in `samples` of a part's first sample.
   */
  private encodeParts(samples: Sample[], facts: Facts | undefined, now: number, seq: number): { body: Buffer; from: number }[] {
    const base = (s: Sample[], withFacts: boolean, n = seq): Report =>
      buildReport({
        node: this.node,
        version: VERSION,
        interval: this.cfg.report.intervalSeconds,
        seq: n,
        stream: this.seq!.stream,
        now,
        samples: s,
        help: this.help,
        intervals: this.intervals,
        facts: withFacts ? facts : undefined,
        factsMeta: this.factsMeta,
      });
    // envelope plus every HELP text (an upper bound: each part keeps only its own metrics' help) and room for a longer seq
    const helpBytes = Buffer.byteLength(JSON.stringify(this.help)) + 10;
    const overhead = Buffer.byteLength(JSON.stringify(base([], false))) + helpBytes + 32;
    const firstOverhead = overhead + (facts ? Buffer.byteLength(JSON.stringify(facts)) + 10 : 0);
    const chunks = splitSamples(samples, REPORT_LIMITS, firstOverhead, overhead);
    const out: { body: Buffer; from: number }[] = [];
    const queue: { s: Sample[]; from: number }[] = [];
    let from = 0;
    for (const c of chunks) {
      queue.push({ s: c, from });
      from += c.length;
    }
    while (queue.length) {
      const q = queue.shift()!;
      const body = encodeReport(base(q.s, out.length === 0, seq + out.length));
      if (body.length > LIMITS.bodyBytes && q.s.length > 1) {
        const half = Math.ceil(q.s.length / 2);
        queue.unshift({ s: q.s.slice(0, half), from: q.from }, { s: q.s.slice(half), from: q.from + half });
        continue;
      }
      out.push({ body, from: q.from });
    }
    return out;
  }

  private acked(seq: number): void {
    const digest = this.factsInFlight.get(seq);
    if (digest) {
      this.lastFactsSent = { digest, at: Date.now() };
      for (const k of this.factsInFlight.keys()) if (k <= seq) this.factsInFlight.delete(k);
    }
    this.log.debug('report acknowledged', { seq });
    this.deps.onAck?.(seq);
  }

  /** Send what the spool holds (every collector lane not in backoff); resolves when the lanes stop. */
  flush(): Promise<void> {
    return this.delivery?.kick() ?? Promise.resolve();
  }

  /**
   * Start every source now and on its schedule (its interval, or its cron expression), and the reports
   * on theirs: every `report.intervalSeconds`, at this node's stable offset inside the interval
   * (`reportOffsetSeconds`). The first report goes out once every source's first run ended, or after
   * `firstReportWaitMs` at most: a slow first run (an ipv6check crawl) delays nothing, its samples go
   * into a later report.
   */
  async start(): Promise<void> {
    const first = this.sources.map((s) => this.collect(s));
    for (const s of this.sources) {
      this.tasks.push(cron.schedule(s.schedule ?? cronFor(s.intervalSeconds), () => this.collect(s), { name: `source:${s.name}` }));
    }
    const interval = this.cfg.report.intervalSeconds;
    const offset = reportOffsetSeconds(this.node.id, interval);
    const reporter = cron.schedule(
      cronFor(interval, offset),
      async () => {
        try {
          await this.report({ wait: false });
        } catch (err) {
          this.log.error('cannot spool report', { error: (err as Error).message });
        }
      },
      { noOverlap: true, name: 'report' },
    );
    this.tasks.push(reporter);
    this.log.debug('report schedule', { intervalSeconds: interval, offsetSeconds: offset });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(first), new Promise((r) => (timer = setTimeout(r, firstReportWaitMs(interval))))]);
    clearTimeout(timer);
    if (!this.stopped) await this.report({ wait: false });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    await this.delivery?.stop();
    for (const s of this.sources) await s.close?.();
  }
}
