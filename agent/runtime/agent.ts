import { hostname } from 'node:os';
import { join } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import type { Facts, NodeIdentity, Sample } from '../../contract/types.js';
import type { Logger } from '../../lib/log.js';
import { VERSION } from '../../lib/version.js';
import type { AgentConfig } from '../config.js';
import { type BatchPushResult, encodeReport, type PushResult, type PushTarget } from '../push/push.js';
import { DEFAULT_DELIVERY, DEFAULT_SPOOL } from '../spool/config.js';
import { Delivery } from '../spool/delivery.js';
import { nextSeq } from '../spool/plan.js';
import { Spool } from '../spool/spool.js';
import type { Source, SourceResult } from '../source.js';
import { SampleBuffer, buildReport, cronFor, factsDigest, shouldSendFacts } from './report.js';
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
  const id = cfg.node.id || hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'node';
  return { id, site: cfg.node.site, zone: cfg.node.zone, grade: cfg.node.grade, labels: cfg.node.labels };
}

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
  onAck?: (seq: number) => void;
}

/** The agent: sources on their schedules fill a buffer; every report interval the buffer becomes a report. */
export class Agent {
  readonly node: NodeIdentity;
  private readonly buffer: SampleBuffer;
  private readonly help: Record<string, string> = { ...AGENT_HELP };
  private readonly facts: Facts = {};
  private lastFactsSent: { digest: string; at: number } | undefined;
  private readonly stats = new Map<string, SourceStats>();
  private readonly seq: SeqState;
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
    this.seq = new SeqState(cfg.dataDir);
    this.targets = target === undefined ? [] : Array.isArray(target) ? target : [target];
    if (this.targets.length) {
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
        },
        log,
        { push: deps.push, pushBatch: deps.pushBatch, onAck: (seq) => this.acked(seq) },
      );
    }
    for (const s of sources) this.stats.set(s.name, { runs: 0, errors: 0, skipped: 0, lastDuration: 0, up: 0 });
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
    try {
      const r = await runSource(source, this.log, source.intervalSeconds * 1000 * 0.9, () => this.running.delete(source.name));
      this.buffer.push(r.samples);
      if (r.help) Object.assign(this.help, r.help);
      if (r.facts) Object.assign(this.facts, r.facts);
      st.up = 1;
    } catch (err) {
      st.errors++;
      st.up = 0;
      this.log.warn('source failed', { source: source.name, error: (err as Error).message });
    } finally {
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
   * Turn the buffer into a report and write it to the disk spool (durably: it survives a kill from
   * here on), then start sending. With `wait` (default) resolves when the lanes stopped (all sent or
   * in backoff); the scheduler does not wait, so a long catch-up never delays the next report.
   */
  async report(opts: { wait?: boolean } = {}): Promise<void> {
    if (!this.spool || !this.delivery) throw new Error('agent has no collector to report to');
    const now = Date.now();
    const samples = [...this.buffer.drain(), ...this.selfSamples(now)];
    const sendFacts = shouldSendFacts(this.facts, this.lastFactsSent, now, this.cfg.report.factsRefreshHours * 3600_000);
    const seq = nextSeq(this.seq.current, this.spool.highestSeq);
    const report = buildReport({
      node: this.node,
      version: VERSION,
      interval: this.cfg.report.intervalSeconds,
      seq,
      now,
      samples,
      help: this.help,
      facts: sendFacts ? structuredClone(this.facts) : undefined,
    });
    this.spool.put(seq, encodeReport(report), now);
    this.seq.advanceTo(seq);
    if (sendFacts) this.factsInFlight.set(seq, factsDigest(this.facts));
    const sending = this.flush();
    if (opts.wait !== false) await sending;
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

  /** Collect everything once, send the first report at once, then run on schedules. */
  async start(): Promise<void> {
    await this.collectAll();
    await this.report({ wait: false });
    for (const s of this.sources) {
      this.tasks.push(cron.schedule(cronFor(s.intervalSeconds), () => this.collect(s), { name: `source:${s.name}` }));
    }
    const reporter = cron.schedule(
      cronFor(this.cfg.report.intervalSeconds),
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
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    await this.delivery?.stop();
    for (const s of this.sources) await s.close?.();
  }
}
