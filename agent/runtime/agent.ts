import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { Facts, NodeIdentity, Sample } from '../../contract/types.js';
import type { Logger } from '../../lib/log.js';
import { VERSION } from '../../lib/version.js';
import type { AgentConfig } from '../config.js';
import { encodeReport, type PushResult, type PushTarget, pushReport } from '../push/push.js';
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
  xunjian_agent_outbox_dropped_reports_total: 'Reports dropped because the outbox was full.',
  xunjian_agent_outbox_reports: 'Reports waiting to be sent.',
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

/** Run one source with a time budget; a hung source is aborted, never waited on forever. */
export async function runSource(source: Source, log: Logger, timeoutMs: number): Promise<SourceResult> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`source ${source.name} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([source.collect({ signal: ac.signal, log: log.child({ source: source.name }), now: Date.now }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Pending {
  seq: number;
  body: Buffer;
  factsDigest?: string;
}

export interface AgentDeps {
  push?: (t: PushTarget, nodeId: string, body: Buffer) => Promise<PushResult>;
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
  private readonly outbox: Pending[] = [];
  private readonly maxOutbox = 1000;
  private counters = { sent: 0, pushErrors: 0, rejected: 0, outboxDropped: 0 };
  private tasks: ScheduledTask[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly sources: Source[],
    private readonly log: Logger,
    private readonly target: PushTarget | undefined,
    private readonly deps: AgentDeps = {},
  ) {
    this.node = nodeIdentity(cfg);
    this.buffer = new SampleBuffer(cfg.report.maxBufferedSamples);
    this.seq = new SeqState(cfg.dataDir);
    for (const s of sources) this.stats.set(s.name, { runs: 0, errors: 0, skipped: 0, lastDuration: 0, up: 0 });
  }

  /** Run one source now and buffer what it returns. */
  async collect(source: Source): Promise<void> {
    const st = this.stats.get(source.name)!;
    const t0 = performance.now();
    st.runs++;
    try {
      const r = await runSource(source, this.log, source.intervalSeconds * 1000 * 0.9);
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
    add('xunjian_agent_reports_sent_total', this.counters.sent, 'counter');
    add('xunjian_agent_push_errors_total', this.counters.pushErrors, 'counter');
    add('xunjian_agent_reports_rejected_total', this.counters.rejected, 'counter');
    add('xunjian_agent_outbox_dropped_reports_total', this.counters.outboxDropped, 'counter');
    add('xunjian_agent_outbox_reports', this.outbox.length, 'gauge');
    return out;
  }

  /** What `--once` prints: the buffered samples plus self-metrics, without touching the sequence. */
  snapshot(): { samples: Sample[]; help: Record<string, string>; facts: Facts } {
    return { samples: [...this.buffer.drain(), ...this.selfSamples(Date.now())], help: this.help, facts: this.facts };
  }

  /** Turn the buffer into a report, queue it, and try to send everything queued. */
  async report(): Promise<void> {
    const now = Date.now();
    const samples = [...this.buffer.drain(), ...this.selfSamples(now)];
    const sendFacts = shouldSendFacts(this.facts, this.lastFactsSent, now, this.cfg.report.factsRefreshHours * 3600_000);
    const seq = this.seq.next();
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
    this.outbox.push({ seq, body: encodeReport(report), factsDigest: sendFacts ? factsDigest(this.facts) : undefined });
    if (this.outbox.length > this.maxOutbox) {
      const dropped = this.outbox.splice(0, this.outbox.length - this.maxOutbox);
      this.counters.outboxDropped += dropped.length;
      this.log.warn('outbox full: dropped oldest reports', { dropped: dropped.length, firstSeq: dropped[0]!.seq });
    }
    await this.flush();
  }

  /** Send queued reports in order; stop at the first transient failure. Never runs twice at once. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    if (!this.target) return;
    const push = this.deps.push ?? pushReport;
    while (this.outbox.length) {
      const p = this.outbox[0]!;
      const r = await push(this.target, this.node.id, p.body);
      if (r.kind === 'retry') {
        this.counters.pushErrors++;
        this.log.warn('push failed; will retry', { seq: p.seq, status: r.status, error: r.error, reason: r.message, queued: this.outbox.length });
        return;
      }
      this.outbox.shift();
      if (r.kind === 'rejected') {
        this.counters.rejected++;
        this.log.error('collector rejected report; dropped', { seq: p.seq, status: r.status, error: r.error, reason: r.message });
        continue;
      }
      this.counters.sent++;
      if (p.factsDigest) this.lastFactsSent = { digest: p.factsDigest, at: Date.now() };
      this.log.debug('report acknowledged', { seq: p.seq, duplicate: r.duplicate });
      this.deps.onAck?.(p.seq);
    }
  }

  /** Collect everything once, send the first report at once, then run on schedules. */
  async start(): Promise<void> {
    await this.collectAll();
    await this.report();
    for (const s of this.sources) {
      const task = cron.schedule(cronFor(s.intervalSeconds), () => this.collect(s), { noOverlap: true, name: `source:${s.name}` });
      task.on('execution:overlap', () => {
        this.stats.get(s.name)!.skipped++;
        this.log.warn('source still running at its next tick: run skipped', { source: s.name });
      });
      this.tasks.push(task);
    }
    const reporter = cron.schedule(cronFor(this.cfg.report.intervalSeconds), () => this.report(), { noOverlap: true, name: 'report' });
    this.tasks.push(reporter);
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    await this.flushing;
    for (const s of this.sources) await s.close?.();
  }
}
