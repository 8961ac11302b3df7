import { compressSync } from 'snappy';
import type { Logger } from '../../lib/log.js';
import type { RemoteWriteEndpointConfig } from './config.js';
import type { RemoteWriteMetrics } from './metrics.js';
import { type Cursor, type Segment, type SegmentStore, shardPart } from './store.js';
import type { Transport } from './transport.js';
import { backoffMs, buildBatch, classifyStatus, encodeWriteRequest, type QueuedSample, redactUrl, retryAfterMs } from './wire.js';

/** A queued sample with its position: segment id and 1-based index in the shard's part of it. */
interface Item {
  s: QueuedSample;
  seg: number;
  idx: number;
  /** when it entered the shard buffer (ms), for batchSendDeadline */
  at: number;
}

interface Shard {
  buf: Item[];
  /** acknowledged position (persisted) */
  cursor: Cursor;
  inflight: number;
  wake?: () => void;
}

/** Segments read from the database per pump step (each holds one report's samples). */
const READ_BATCH = 16;

export interface EndpointDeps {
  store: SegmentStore;
  metrics: RemoteWriteMetrics;
  log: Logger;
  now(): number;
  transport: Transport;
}

/**
 * One remote-write endpoint: a reader that hands segments to shards (by series hash), shards that batch
 * and send with retries, and the cursor of each shard persisted when the endpoint acknowledged a batch.
 */
export class EndpointQueue {
  readonly name: string;
  private readonly shards: Shard[];
  private readPos: number;
  /** every stored segment before readPos is distributed; no stored segment at or after it was skipped */
  private caughtUp = false;
  private unread: number;
  private running = false;
  private stopping = false;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private failing = false;
  private pumpScheduled = false;
  private readonly labels: { remote_name: string; url: string };
  private highestSent = 0;
  private readonly sleepers = new Set<() => void>();

  constructor(
    readonly cfg: RemoteWriteEndpointConfig,
    private readonly deps: EndpointDeps,
  ) {
    this.name = cfg.name;
    this.labels = { remote_name: cfg.name, url: redactUrl(cfg.url) };
    const n = cfg.queue.shards;
    const { cursors, resharded } = deps.store.cursors(cfg.name, n);
    if (resharded)
      deps.log.warn('remote-write shard count changed: unacknowledged backlog is resent from the oldest shard position', { remote_name: cfg.name, shards: n });
    this.shards = cursors.map((cursor) => ({ buf: [], cursor, inflight: 0 }));
    this.readPos = Math.min(...cursors.map((c) => c.segment));
    this.unread = deps.store.samplesFrom(this.readPos);
    const m = deps.metrics;
    // every series of the endpoint exists from the start, at 0 (rate() and alerts see a first value)
    for (const c of [m.samples, m.failed, m.retried, m.dropped, m.bytes]) c.inc(this.labels, 0);
    m.highestSent.set(this.labels, 0);
    m.shards.set(this.labels, n);
    m.shardCapacity.set(this.labels, cfg.queue.capacity);
    m.maxSamplesPerSend.set(this.labels, cfg.queue.maxSamplesPerSend);
    this.updatePending();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.pump();
    this.loops = this.shards.map((_, i) => this.run(i));
  }

  /** Offer a segment just persisted: taken straight from memory when the reader is caught up and has room. */
  offer(seg: Segment): void {
    this.unread += seg.count;
    if (this.running && this.caughtUp && seg.id >= this.readPos && this.hasRoom()) this.distribute(seg);
    else {
      this.caughtUp = false;
      this.schedulePump();
    }
    this.updatePending();
  }

  /** Samples not yet acknowledged. */
  pending(): number {
    let n = this.unread;
    for (const sh of this.shards) n += sh.buf.length + sh.inflight;
    return n;
  }

  /**
   * Persist the position of idle shards (nothing buffered or in flight): everything before the read
   * position is theirs and done, so old segments can be compacted.
   */
  checkpoint(): void {
    const next: (Cursor | undefined)[] = this.shards.map((sh) => {
      if (sh.buf.length || sh.inflight) return undefined;
      const c = sh.cursor;
      if (c.segment >= this.readPos) return undefined;
      sh.cursor = { segment: this.readPos, offset: 0 };
      return sh.cursor;
    });
    if (next.some(Boolean)) this.deps.store.saveCursors(this.name, this.shards.length, next);
  }

  /** Stop: no new requests; requests in flight get `graceMs` to finish, then are aborted (their samples stay queued). */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    for (const sh of this.shards) sh.wake?.();
    for (const w of [...this.sleepers]) w();
    const timer = setTimeout(() => this.abort.abort(), graceMs);
    await Promise.all(this.loops);
    clearTimeout(timer);
    this.running = false;
    await this.deps.transport.close();
  }

  private hasRoom(): boolean {
    const cap = this.cfg.queue.capacity;
    return this.shards.every((sh) => sh.buf.length < cap);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || !this.running) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Read stored segments from readPos while every shard has room. */
  private pump(): void {
    if (!this.running || this.stopping) return;
    if (!this.hasRoom()) return;
    let segs: Segment[];
    try {
      segs = this.deps.store.read(this.readPos, READ_BATCH);
    } catch (err) {
      this.deps.log.error('remote-write queue read failed', { remote_name: this.name, error: (err as Error).message });
      return;
    }
    for (const seg of segs) {
      if (!this.hasRoom()) return;
      this.distribute(seg);
    }
    if (segs.length === READ_BATCH) this.schedulePump();
    else if (this.hasRoom()) this.caughtUp = true;
  }

  private distribute(seg: Segment): void {
    const n = this.shards.length;
    const at = this.deps.now();
    this.unread = Math.max(0, this.unread - seg.count);
    for (let i = 0; i < n; i++) {
      const sh = this.shards[i]!;
      const part = shardPart(seg, i, n);
      if (part.length === 0) continue;
      const c = sh.cursor;
      const skip = seg.id < c.segment ? part.length : seg.id === c.segment ? c.offset : 0;
      if (skip >= part.length) continue;
      for (let j = skip; j < part.length; j++) sh.buf.push({ s: part[j]!, seg: seg.id, idx: j + 1, at });
      sh.wake?.();
    }
    this.readPos = seg.id + 1;
    this.updatePending();
  }

  private updatePending(): void {
    this.deps.metrics.pending.set(this.labels, this.pending());
  }

  private wait(i: number, ms?: number): Promise<void> {
    const sh = this.shards[i]!;
    return new Promise<void>((resolve) => {
      const done = () => {
        sh.wake = undefined;
        if (timer) clearTimeout(timer);
        resolve();
      };
      const timer = ms !== undefined ? setTimeout(done, Math.max(1, ms)) : undefined;
      sh.wake = done;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.stopping) return resolve();
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private async run(i: number): Promise<void> {
    const sh = this.shards[i]!;
    const q = this.cfg.queue;
    const deadline = q.batchSendDeadlineSeconds * 1000;
    while (!this.stopping) {
      if (sh.buf.length === 0) {
        await this.wait(i);
        continue;
      }
      const age = this.deps.now() - sh.buf[0]!.at;
      if (sh.buf.length < q.maxSamplesPerSend && age < deadline) {
        await this.wait(i, deadline - age);
        continue;
      }
      const batch = sh.buf.splice(0, q.maxSamplesPerSend);
      sh.inflight = batch.length;
      this.schedulePump();
      const acked = await this.send(batch);
      sh.inflight = 0;
      if (acked) {
        const last = batch[batch.length - 1]!;
        sh.cursor = { segment: last.seg, offset: last.idx };
        try {
          this.deps.store.saveCursor(this.name, i, this.shards.length, sh.cursor);
        } catch (err) {
          // the position is kept in memory; at worst a restart resends this batch
          this.deps.log.error('remote-write position not saved', { remote_name: this.name, error: (err as Error).message });
        }
      } else {
        // stopping: the batch goes back in front (its samples stay in the durable queue regardless)
        sh.buf.unshift(...batch);
      }
      this.updatePending();
    }
  }

  /** Send one batch until acknowledged or dropped (true), or the queue stops first (false). */
  private async send(batch: Item[]): Promise<boolean> {
    const m = this.deps.metrics;
    const q = this.cfg.queue;
    const { series, superseded } = buildBatch(batch.map((b) => b.s));
    if (superseded) m.dropped.inc(this.labels, superseded);
    const n = batch.length - superseded;
    const body = compressSync(encodeWriteRequest(series));
    let maxTs = 0;
    for (const b of batch) if (b.s.ts > maxTs) maxTs = b.s.ts;
    for (let attempt = 1; ; attempt++) {
      if (this.stopping && attempt > 1) return false;
      const end = m.duration.startTimer(this.labels);
      let status = 0;
      let retryAfter: string | undefined;
      let text = '';
      try {
        ({ status, retryAfter, text } = await this.deps.transport.post(body, this.abort.signal));
      } catch (err) {
        if (this.abort.signal.aborted) return false;
        text = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
      }
      end();
      m.bytes.inc(this.labels, body.length);
      let verdict = status === 0 ? 'retry' : classifyStatus(status, text);
      if (status === 429 && !q.retryOnHttp429) verdict = 'drop';
      if (verdict === 'ok') {
        m.samples.inc(this.labels, n);
        if (maxTs > this.highestSent) {
          this.highestSent = maxTs;
          m.highestSent.set(this.labels, maxTs / 1000);
        }
        if (this.failing) this.deps.log.info('remote-write endpoint accepts again', { remote_name: this.name, attempts: attempt });
        this.failing = false;
        return true;
      }
      if (verdict === 'drop') {
        m.failed.inc(this.labels, n);
        this.deps.log.warn('remote-write request refused, samples dropped', { remote_name: this.name, status, samples: n, response: text.slice(0, 256) });
        return true;
      }
      if (!this.failing)
        this.deps.log.warn('remote-write request failed, retrying', {
          remote_name: this.name,
          status: status || undefined,
          error: status ? undefined : text,
          response: status ? text.slice(0, 256) : undefined,
        });
      this.failing = true;
      if (this.stopping) return false;
      m.retried.inc(this.labels, n);
      const ra = status === 429 || status >= 500 ? retryAfterMs(retryAfter, Date.now()) : undefined;
      await this.sleep(backoffMs(attempt, q.minBackoffSeconds * 1000, q.maxBackoffSeconds * 1000, ra));
    }
  }
}
