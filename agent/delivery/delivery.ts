import type { Logger } from '../../lib/log.js';
import { type BatchPushResult, type PushResult, type PushTarget, probeCollector, pushBatch, pushReport, targetName } from './push.js';
import { pendingCount } from '../spool/plan.js';
import type { Spool } from '../spool/spool.js';
import { type BackoffOptions, backoffDelay, takeBatch } from './plan.js';

/**
 * Delivery of spooled reports to one or more collectors.
 *
 * - `failover`: one lane (spool cursor `failover`) over all collectors; each batch goes to the first
 *   collector not in backoff, in configured order (so the first healthy one).
 * - `fanout`: one lane per collector, each with its own cursor; a file is deleted once every lane
 *   acknowledged it.
 *
 * A lane sends the oldest unacknowledged reports first, in seq order, one request at a time, in batches
 * when more than one is pending. A failed request puts that collector in backoff (exponential, jitter,
 * Retry-After as a floor).
 */
export type DeliveryMode = 'failover' | 'fanout';

export interface DeliveryOptions {
  mode: DeliveryMode;
  batchMaxReports: number;
  batchMaxBytes: number;
  backoff: BackoffOptions;
  /**
   * While every collector of a lane is in backoff after a network error or a 5xx without Retry-After,
   * probe them this often (`GET /healthz`, headers only) and send at once when one answers. 0: no probe.
   */
  probeIntervalMs?: number;
}

export interface DeliveryDeps {
  push?: (t: PushTarget, nodeId: string, body: Buffer) => Promise<PushResult>;
  pushBatch?: (t: PushTarget, nodeId: string, bodies: Buffer[]) => Promise<BatchPushResult>;
  onAck?: (seq: number, collector: string) => void;
  /** Whether a collector answers at all (default: `probeCollector`). */
  probe?: (t: PushTarget) => Promise<boolean>;
  random?: () => number;
  now?: () => number;
}

export interface DeliveryCounters {
  sent: number;
  pushErrors: number;
  rejected: number;
}

interface TargetState {
  t: PushTarget;
  name: string;
  failures: number;
  downUntil: number;
  noBatch: boolean;
  /** In backoff for a failure a probe may end early (not a Retry-After the collector asked for). */
  probeable: boolean;
}

class Lane {
  running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  stopped = false;

  constructor(
    readonly name: string,
    readonly targets: TargetState[],
    private readonly d: Delivery,
  ) {}

  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.kick(), Math.max(1, delayMs));
    const every = this.d.opts.probeIntervalMs ?? 0;
    if (every > 0 && delayMs > every) this.scheduleProbe(every);
  }

  /** At most one probe pending: a new report kicking the lane does not push the probe back. */
  private scheduleProbe(every: number): void {
    if (this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe(every);
    }, every);
  }

  /** One probe round over the collectors in a probeable backoff; the first that answers ends its backoff. */
  private async probe(every: number): Promise<void> {
    if (this.stopped || this.running || this.probing) return;
    const now = this.d.now();
    const down = this.targets.filter((t) => t.probeable && t.downUntil > now + every);
    if (!down.length) return;
    this.probing = true;
    let back: TargetState[] = [];
    try {
      const answers = await Promise.all(down.map((t) => this.d.probe(t.t).catch(() => false)));
      back = down.filter((_, i) => answers[i]);
    } finally {
      this.probing = false;
    }
    if (this.stopped) return;
    if (!back.length) {
      this.scheduleProbe(every);
      return;
    }
    for (const t of back) {
      t.downUntil = 0;
      t.probeable = false;
      this.d.log.info('collector answers again: sending now instead of waiting for the backoff', { collector: t.name });
    }
    clearTimeout(this.timer);
    void this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async run(): Promise<void> {
    const { spool, opts } = this.d;
    while (!this.stopped) {
      const batch = takeBatch(spool.list(), spool.cursor(this.name), opts.batchMaxReports, opts.batchMaxBytes);
      if (batch.length === 0) return;
      const now = this.d.now();
      const ts = this.targets.find((t) => t.downUntil <= now);
      if (!ts) {
        this.schedule(Math.min(...this.targets.map((t) => t.downUntil)) - now);
        return;
      }
      const items: { seq: number; body: Buffer }[] = [];
      for (const e of batch) {
        const body = spool.read(e.seq);
        if (body) items.push({ seq: e.seq, body });
      }
      if (items.length === 0) continue; // all quarantined or gone: the next batch
      const useBatch = items.length > 1 && !ts.noBatch;
      const held = (useBatch ? items : items.slice(0, 1)).map((i) => i.seq);
      // In flight: not dropped for the spool bounds until this request ended (acknowledged or not).
      spool.hold(held);
      try {
        if (await this.send(ts, items, useBatch)) return;
      } finally {
        spool.release(held);
      }
    }
  }

  /** One request and what its answer means; true when the lane must stop now. */
  private async send(ts: TargetState, items: { seq: number; body: Buffer }[], useBatch: boolean): Promise<boolean> {
    const { spool, opts, log } = this.d;
    const r: BatchPushResult | PushResult = useBatch
      ? await this.d.pushBatch(
          ts.t,
          this.d.nodeId,
          items.map((i) => i.body),
        )
      : await this.d.push(ts.t, this.d.nodeId, items[0]!.body);
    if (this.stopped && r.kind === 'retry') return true;
    if (r.kind === 'retry') {
      this.d.counters.pushErrors++;
      ts.failures++;
      const delay = backoffDelay(ts.failures, opts.backoff, this.d.random(), r.retryAfterMs);
      ts.downUntil = this.d.now() + delay;
      ts.probeable = r.retryAfterMs === undefined;
      log.warn('push failed; will retry', {
        collector: ts.name,
        firstSeq: items[0]!.seq,
        reports: useBatch ? items.length : 1,
        ...(r.status ? { status: r.status } : {}),
        error: r.error,
        reason: r.message,
        retryInSeconds: delay / 1000,
        pending: pendingCount(spool.list(), spool.cursor(this.name)),
      });
      return false;
    }
    ts.failures = 0;
    ts.downUntil = 0;
    ts.probeable = false;
    if (useBatch && r.kind === 'rejected') {
      // The collector refused the batch as a whole (no batch endpoint, too large...): one by one from now on.
      ts.noBatch = true;
      log.warn('collector refused a batch; sending one report per request', { collector: ts.name, status: r.status, error: r.error });
      return false;
    }
    const sent = useBatch ? items : items.slice(0, 1);
    if (r.kind === 'rejected') {
      this.d.counters.rejected++;
      log.error('collector rejected report; dropped', { collector: ts.name, seq: sent[0]!.seq, status: r.status, error: r.error, reason: r.message });
    } else if ('results' in r) {
      r.results.forEach((res, i) => {
        const seq = sent[i]!.seq;
        if ('status' in res) {
          this.d.counters.sent++;
          this.d.onAck(seq, ts.name);
        } else {
          this.d.counters.rejected++;
          log.error('collector rejected report; dropped', { collector: ts.name, seq, error: res.error, reason: res.message });
        }
      });
    } else {
      this.d.counters.sent++;
      this.d.onAck(sent[0]!.seq, ts.name);
    }
    spool.ack(this.name, sent[sent.length - 1]!.seq);
    return false;
  }
}

export class Delivery {
  readonly lanes: Lane[];
  readonly counters: DeliveryCounters = { sent: 0, pushErrors: 0, rejected: 0 };
  readonly push: NonNullable<DeliveryDeps['push']>;
  readonly pushBatch: NonNullable<DeliveryDeps['pushBatch']>;
  readonly random: () => number;
  readonly now: () => number;
  readonly onAck: (seq: number, collector: string) => void;
  readonly probe: (t: PushTarget) => Promise<boolean>;

  constructor(
    readonly spool: Spool,
    targets: PushTarget[],
    readonly nodeId: string,
    readonly opts: DeliveryOptions,
    readonly log: Logger,
    deps: DeliveryDeps = {},
  ) {
    this.push = deps.push ?? pushReport;
    this.pushBatch = deps.pushBatch ?? pushBatch;
    this.random = deps.random ?? Math.random;
    this.now = deps.now ?? Date.now;
    this.onAck = deps.onAck ?? (() => {});
    this.probe = deps.probe ?? probeCollector;
    // A caller that injects only `push` (tests, embedding) gets one report per request, never real batches.
    const noBatch = deps.push !== undefined && deps.pushBatch === undefined;
    const states = targets.map((t) => ({ t, name: targetName(t), failures: 0, downUntil: 0, noBatch, probeable: false }));
    const names = new Set(states.map((s) => s.name));
    if (names.size !== states.length) throw new Error(`collector names must be unique, got ${states.map((s) => s.name).join(', ')}`);
    this.lanes =
      opts.mode === 'failover' || states.length <= 1
        ? [new Lane(opts.mode === 'failover' ? 'failover' : (states[0]?.name ?? 'failover'), states, this)]
        : states.map((s) => new Lane(s.name, [s], this));
    if (states.length) spool.setCollectors(this.lanes.map((l) => l.name));
  }

  /** Start every idle lane; resolves when the lanes started (or running) now have stopped. */
  kick(): Promise<void> {
    return Promise.all(this.lanes.map((l) => l.kick())).then(() => {});
  }

  /** Per collector: whether its last request succeeded, and reports it has not acknowledged yet. */
  status(): { collector: string; up: boolean; pending: number }[] {
    const entries = this.spool.list();
    const out: { collector: string; up: boolean; pending: number }[] = [];
    for (const l of this.lanes) {
      const pending = pendingCount(entries, this.spool.cursor(l.name));
      for (const t of l.targets) out.push({ collector: t.name, up: t.failures === 0, pending });
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const l of this.lanes) l.stop();
    await Promise.all(this.lanes.map((l) => l.running));
  }
}
