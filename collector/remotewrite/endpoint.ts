import { setMaxListeners } from 'node:events';
import { compressSync } from 'snappy';
import type { Logger } from '../../lib/log.js';
import type { RemoteWriteEndpointConfig } from './config.js';
import type { RemoteWriteMetrics } from './metrics.js';
import type { Cursor, Segment, SegmentStore } from './store.js';
import { desiredShards, EwmaRate, SHARD_UPDATE_MS } from './shards.js';
import type { Transport } from './transport.js';
import { backoffMs, buildBatch, classifyStatus, encodeWriteRequest, type QueuedSample, redactUrl, retryAfterMs } from './wire.js';

/** A queued sample with its position: segment id and 1-based index in the shard's part of it (one object per sample and endpoint). */
interface Item extends QueuedSample {
  seg: number;
  idx: number;
  /** when it entered the shard buffer (ms), for batchSendDeadline */
  at: number;
}

interface Shard {
  buf: Item[];
  /** acknowledged position (persisted) */
  cursor: Cursor;
  /** the request in flight (retried until acknowledged, refused, abandoned or stopped) */
  sending?: Item[];
  /** the backlog cap dropped the segments of the request in flight: give up retrying it */
  abandon: boolean;
  /** retired by a reshard: the loop ends once the buffer is empty */
  closed: boolean;
  wake?: () => void;
  wakeSleep?: () => void;
}

/** Is the item after the cursor (not yet acknowledged by it)? */
function after(it: Item, c: Cursor): boolean {
  return it.seg > c.segment || (it.seg === c.segment && it.idx > c.offset);
}

/** Segments distributed per pump step (each holds one report's samples) before yielding. */
const READ_BATCH = 16;
/**
 * Samples of segments offered while the reader was behind, kept in memory (oldest first) so it does
 * not decode them back from the database; beyond this they are read from there.
 */
const TAIL_SAMPLES = 200_000;

export interface EndpointDeps {
  store: SegmentStore;
  metrics: RemoteWriteMetrics;
  log: Logger;
  now(): number;
  transport: Transport;
  /** How often the desired shard count is recomputed (ms, default SHARD_UPDATE_MS = 10 s). */
  shardUpdateMs?: number;
}

type SendResult = 'done' | 'stopped' | 'abandoned';

/**
 * One remote-write endpoint: a reader that hands segments to shards (by series hash), shards that batch
 * and send with retries, the cursor of each shard persisted when the endpoint acknowledged a batch,
 * the shard count adjusted to the load (`reshard`), and the durable backlog capped (`checkpoint`).
 */
export class EndpointQueue {
  readonly name: string;
  private shards: Shard[];
  private readPos: number;
  /** every stored segment before readPos is distributed; no stored segment at or after it was skipped */
  private caughtUp = false;
  private unread: number;
  private running = false;
  private stopping = false;
  private resharding = false;
  private reshardP: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private failing = false;
  private pumpScheduled = false;
  private readonly labels: { remote_name: string; url: string };
  private highestSent = 0;
  private readonly sleepers = new Set<() => void>();
  private readonly inRate = new EwmaRate();
  private readonly outRate = new EwmaRate();
  private readonly sendSeconds = new EwmaRate();
  private lastUpdate = performance.now();
  private shardTimer?: NodeJS.Timeout;
  private readonly updateMs: number;
  /** the current backlog-cap episode (samples dropped since it began), logged once */
  private dropEpisode?: { dropped: number; since: number; acked: boolean };
  /** segments offered but not distributed yet (see TAIL_SAMPLES) */
  private readonly tail = new Map<number, Segment>();
  private tailSamples = 0;

  constructor(
    readonly cfg: RemoteWriteEndpointConfig,
    private readonly deps: EndpointDeps,
  ) {
    this.name = cfg.name;
    this.labels = { remote_name: cfg.name, url: redactUrl(cfg.url) };
    // one abort listener per request in flight: up to maxShards at once
    setMaxListeners(cfg.queue.maxShards + 16, this.abort.signal);
    this.updateMs = deps.shardUpdateMs ?? SHARD_UPDATE_MS;
    const q = cfg.queue;
    // start with the count the saved positions were written for (no resend), within the bounds
    const n = Math.min(q.maxShards, Math.max(q.minShards, deps.store.shardCount(cfg.name) ?? q.minShards));
    const { cursors, resharded } = deps.store.cursors(cfg.name, n);
    if (resharded)
      deps.log.warn('remote-write shard bounds changed: unacknowledged backlog is resent from the oldest shard position', { remote_name: cfg.name, shards: n });
    this.shards = cursors.map((cursor) => this.newShard(cursor));
    this.readPos = Math.min(...cursors.map((c) => c.segment));
    this.unread = deps.store.samplesFrom(this.readPos);
    const m = deps.metrics;
    // every series of the endpoint exists from the start, at 0 (rate() and alerts see a first value)
    for (const c of [m.samples, m.failed, m.retried, m.bytes]) c.inc(this.labels, 0);
    for (const reason of ['superseded', 'backlog_full']) m.dropped.inc({ ...this.labels, reason }, 0);
    m.highestSent.set(this.labels, 0);
    m.shards.set(this.labels, n);
    m.shardsDesired.set(this.labels, n);
    m.shardsMin.set(this.labels, q.minShards);
    m.shardsMax.set(this.labels, q.maxShards);
    m.shardCapacity.set(this.labels, q.capacity);
    m.maxSamplesPerSend.set(this.labels, q.maxSamplesPerSend);
    m.maxBacklogBytes.set(this.labels, q.maxBacklogBytes);
    m.backlogBytes.set(this.labels, 0);
    this.updatePending();
  }

  private newShard(cursor: Cursor): Shard {
    return { buf: [], cursor, abandon: false, closed: false };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.pump();
    const n = this.shards.length;
    this.loops = this.shards.map((sh, i) => this.run(sh, i, n));
    this.lastUpdate = performance.now();
    this.shardTimer = setInterval(() => this.updateShards(), this.updateMs);
    this.shardTimer.unref();
  }

  /** Offer a segment just persisted: taken straight from memory when the reader is caught up and has room. */
  offer(seg: Segment): void {
    this.unread += seg.count;
    this.inRate.add(seg.count);
    if (this.running && this.caughtUp && !this.resharding && seg.id === this.readPos && this.hasRoom()) this.distribute(seg);
    else {
      this.caughtUp = false;
      if (seg.id >= this.readPos && this.tailSamples + seg.count <= TAIL_SAMPLES) {
        this.tail.set(seg.id, seg);
        this.tailSamples += seg.count;
      }
      this.schedulePump();
    }
    this.updatePending();
  }

  /** Samples not yet acknowledged. */
  pending(): number {
    let n = this.unread;
    for (const sh of this.shards) n += sh.buf.length + (sh.sending?.length ?? 0);
    return n;
  }

  /** The shards running now. */
  shardCount(): number {
    return this.shards.length;
  }

  /**
   * Every few seconds (the component's checkpoint): cap the durable backlog, then persist the position
   * of idle shards (nothing buffered or in flight): everything before the read position is theirs and
   * done, so old segments can be compacted.
   */
  checkpoint(): void {
    this.capBacklog();
    const next: (Cursor | undefined)[] = this.shards.map((sh) => {
      if (sh.buf.length || sh.sending) return undefined;
      const c = sh.cursor;
      if (c.segment >= this.readPos) return undefined;
      sh.cursor = { segment: this.readPos, offset: 0 };
      return sh.cursor;
    });
    if (next.some(Boolean)) this.deps.store.saveCursors(this.name, this.shards.length, next);
  }

  /**
   * queue.maxBacklogBytes: when the segments this endpoint still needs exceed the cap, the oldest ones
   * fall off: unread segments are skipped, buffered samples of them removed, a request in flight
   * holding them given up at its next retry; every shard's position moves past them (persisted), so
   * they are compacted. Counted in samples_dropped_total{reason="backlog_full"}, logged once per
   * episode (it ends at the first check that finds the backlog within the cap after the endpoint
   * acknowledged a request again).
   */
  private capBacklog(): void {
    const cap = this.cfg.queue.maxBacklogBytes;
    const oldest = Math.min(...this.shards.map((sh) => sh.cursor.segment));
    const { bytes, cutoff } = this.deps.store.backlog(oldest, cap);
    const m = this.deps.metrics;
    if (cutoff <= oldest) {
      m.backlogBytes.set(this.labels, bytes);
      // the episode ends once the endpoint acknowledged again and the backlog fits
      if (this.dropEpisode?.acked) {
        this.deps.log.info('remote-write backlog within queue.maxBacklogBytes again', {
          remote_name: this.name,
          dropped: this.dropEpisode.dropped,
          seconds: Math.round((this.deps.now() - this.dropEpisode.since) / 1000),
        });
        this.dropEpisode = undefined;
      }
      return;
    }
    let dropped = 0;
    if (this.readPos < cutoff) {
      const n = this.deps.store.samplesBetween(this.readPos, cutoff);
      dropped += n;
      this.unread = Math.max(0, this.unread - n);
      this.readPos = cutoff;
      this.dropTail(cutoff);
      this.caughtUp = false;
    }
    for (const sh of this.shards) {
      if (sh.cursor.segment < cutoff) sh.cursor = { segment: cutoff, offset: 0 };
      let k = 0;
      while (k < sh.buf.length && !after(sh.buf[k]!, sh.cursor)) k++;
      if (k) {
        sh.buf.splice(0, k);
        dropped += k;
      }
      if (sh.sending && !after(sh.sending[0]!, sh.cursor)) {
        sh.abandon = true;
        sh.wakeSleep?.();
      }
    }
    this.deps.store.saveCursors(
      this.name,
      this.shards.length,
      this.shards.map((sh) => sh.cursor),
    );
    m.backlogBytes.set(this.labels, this.deps.store.backlogBytes(cutoff));
    this.countBacklogDrop(dropped, bytes);
    this.updatePending();
    this.schedulePump();
  }

  private countBacklogDrop(n: number, bytes?: number): void {
    if (n <= 0) return;
    this.deps.metrics.dropped.inc({ ...this.labels, reason: 'backlog_full' }, n);
    if (this.dropEpisode) {
      this.dropEpisode.dropped += n;
      this.dropEpisode.acked = false;
      return;
    }
    this.dropEpisode = { dropped: n, since: this.deps.now(), acked: false };
    this.deps.log.warn('remote-write backlog over queue.maxBacklogBytes: the oldest unsent samples are dropped', {
      remote_name: this.name,
      maxBacklogBytes: this.cfg.queue.maxBacklogBytes,
      backlogBytes: bytes,
      dropped: n,
    });
  }

  /** Stop: no new requests; requests in flight get `graceMs` to finish, then are aborted (their samples stay queued). */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    if (this.shardTimer) clearInterval(this.shardTimer);
    for (const sh of this.shards) sh.wake?.();
    for (const w of [...this.sleepers]) w();
    const timer = setTimeout(() => this.abort.abort(), graceMs);
    await this.reshardP;
    await Promise.all(this.loops);
    clearTimeout(timer);
    this.running = false;
    await this.deps.transport.close();
  }

  /** Recompute the desired shard count from the smoothed rates; reshard when it changed (every updateMs). */
  updateShards(): void {
    const t = performance.now();
    const secs = (t - this.lastUpdate) / 1000;
    this.lastUpdate = t;
    const q = this.cfg.queue;
    const d = desiredShards({
      current: this.shards.length,
      min: q.minShards,
      max: q.maxShards,
      inRate: this.inRate.tick(secs),
      outRate: this.outRate.tick(secs),
      sendSecondsRate: this.sendSeconds.tick(secs),
      pending: this.pending(),
      healthy: !this.failing,
    });
    if (Number.isFinite(d.desired)) this.deps.metrics.shardsDesired.set(this.labels, d.desired);
    if (d.shards !== this.shards.length && !this.resharding && !this.stopping) this.reshardP = this.reshard(d.shards);
  }

  /**
   * Change the shard count. The reader pauses, every shard sends what it holds at once (no batch
   * deadline) until acknowledged; then every old shard has been acknowledged everything before the
   * read position, so the new shards all start there (saved in one transaction) and the reader goes
   * on. A series' old samples are acknowledged before its new shard sends any: per-series order holds,
   * nothing acknowledged is lost or sent twice. Resolves when done (or skipped: stopping, already
   * resharding, same count).
   */
  async reshard(n: number): Promise<void> {
    const from = this.shards.length;
    if (this.resharding || !this.running || this.stopping || n === from || n < 1) return;
    this.resharding = true;
    try {
      for (const sh of this.shards) sh.wake?.();
      while (!this.stopping && this.shards.some((sh) => sh.buf.length || sh.sending)) await this.sleep(20);
      if (this.stopping) return;
      const old = this.loops;
      for (const sh of this.shards) {
        sh.closed = true;
        sh.wake?.();
      }
      await Promise.all(old);
      if (this.stopping) return;
      const c: Cursor = { segment: this.readPos, offset: 0 };
      this.deps.store.replaceCursors(this.name, n, c);
      this.shards = Array.from({ length: n }, () => this.newShard({ ...c }));
      this.loops = this.shards.map((sh, i) => this.run(sh, i, n));
      this.deps.metrics.shards.set(this.labels, n);
      this.deps.log.info('remote-write resharded', { remote_name: this.name, from, to: n });
    } catch (err) {
      this.deps.log.error('remote-write reshard failed', { remote_name: this.name, error: (err as Error).message });
    } finally {
      this.resharding = false;
      this.schedulePump();
    }
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

  /** Distribute segments from readPos (from memory when offered recently, else from the database) while every shard has room. */
  private pump(): void {
    if (!this.running || this.stopping || this.resharding) return;
    for (let k = 0; k < READ_BATCH; k++) {
      if (!this.hasRoom() || this.resharding) return;
      let seg = this.tail.get(this.readPos);
      if (!seg) {
        try {
          const id = this.deps.store.firstIdFrom(this.readPos);
          seg = id === undefined ? undefined : (this.tail.get(id) ?? this.deps.store.read(id, 1)[0]);
        } catch (err) {
          this.deps.log.error('remote-write queue read failed', { remote_name: this.name, error: (err as Error).message });
          return;
        }
      }
      if (!seg) {
        this.caughtUp = true;
        return;
      }
      this.distribute(seg);
    }
    this.schedulePump();
  }

  private distribute(seg: Segment): void {
    const n = this.shards.length;
    const at = this.deps.now();
    this.unread = Math.max(0, this.unread - seg.count);
    // per shard: how many of its samples in this segment were seen so far, and how many to skip
    const seen = new Array<number>(n).fill(0);
    const skip = this.shards.map((sh) => (seg.id < sh.cursor.segment ? Number.POSITIVE_INFINITY : seg.id === sh.cursor.segment ? sh.cursor.offset : 0));
    for (const s of seg.series) {
      const i = s.hash % n;
      const sh = this.shards[i]!;
      for (const x of s.samples) {
        const idx = ++seen[i]!;
        if (idx <= skip[i]!) continue;
        sh.buf.push({ key: s.key, labels: s.labels, labelBytes: s.labelBytes, value: x.value, ts: x.ts, seg: seg.id, idx, at });
      }
    }
    for (let i = 0; i < n; i++) if (seen[i]! > skip[i]!) this.shards[i]!.wake?.();
    this.readPos = seg.id + 1;
    this.dropTail(this.readPos);
    this.updatePending();
  }

  /** Forget tail segments before `id` (distributed or skipped); the tail is in id order (offers are). */
  private dropTail(id: number): void {
    for (const [k, seg] of this.tail) {
      if (k >= id) break;
      this.tail.delete(k);
      this.tailSamples -= seg.count;
    }
  }

  private updatePending(): void {
    this.deps.metrics.pending.set(this.labels, this.pending());
  }

  private wait(sh: Shard, ms?: number): Promise<void> {
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

  /** Sleep `ms`; woken early by stop, or by the backlog cap abandoning the shard's request. */
  private sleep(ms: number, sh?: Shard): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.stopping) return resolve();
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        if (sh) sh.wakeSleep = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
      if (sh) sh.wakeSleep = done;
    });
  }

  private async run(sh: Shard, i: number, n: number): Promise<void> {
    const q = this.cfg.queue;
    const deadline = q.batchSendDeadlineSeconds * 1000;
    while (!this.stopping) {
      if (sh.buf.length === 0) {
        if (sh.closed) return;
        await this.wait(sh);
        continue;
      }
      const age = this.deps.now() - sh.buf[0]!.at;
      // while resharding, send what is held at once
      if (!this.resharding && sh.buf.length < q.maxSamplesPerSend && age < deadline) {
        await this.wait(sh, deadline - age);
        continue;
      }
      const batch = sh.buf.splice(0, q.maxSamplesPerSend);
      sh.sending = batch;
      this.schedulePump();
      const res = await this.send(sh, batch);
      sh.sending = undefined;
      if (res === 'done') {
        sh.abandon = false;
        const last = batch[batch.length - 1]!;
        // (the backlog cap may have moved the position past this batch meanwhile: positions only grow)
        if (after(last, sh.cursor)) {
          sh.cursor = { segment: last.seg, offset: last.idx };
          try {
            this.deps.store.saveCursor(this.name, i, n, sh.cursor);
          } catch (err) {
            // the position is kept in memory; at worst a restart resends this batch
            this.deps.log.error('remote-write position not saved', { remote_name: this.name, error: (err as Error).message });
          }
        }
      } else if (res === 'abandoned') {
        // the cap dropped (part of) this batch: count what fell off, keep the rest in front
        sh.abandon = false;
        const keep = batch.filter((b) => after(b, sh.cursor));
        this.countBacklogDrop(batch.length - keep.length);
        sh.buf.unshift(...keep);
      } else {
        // stopping: the batch goes back in front (its samples stay in the durable queue regardless)
        sh.buf.unshift(...batch);
      }
      this.updatePending();
    }
  }

  /** Send one batch until acknowledged or refused ('done'), the queue stops, or the backlog cap drops it first. */
  private async send(sh: Shard, batch: Item[]): Promise<SendResult> {
    const m = this.deps.metrics;
    const q = this.cfg.queue;
    const { series, superseded } = buildBatch(batch);
    if (superseded) m.dropped.inc({ ...this.labels, reason: 'superseded' }, superseded);
    const n = batch.length - superseded;
    const body = compressSync(encodeWriteRequest(series));
    let maxTs = 0;
    for (const b of batch) if (b.ts > maxTs) maxTs = b.ts;
    for (let attempt = 1; ; attempt++) {
      if (this.stopping && attempt > 1) return 'stopped';
      if (sh.abandon) return 'abandoned';
      const end = m.duration.startTimer(this.labels);
      let status = 0;
      let retryAfter: string | undefined;
      let text = '';
      try {
        ({ status, retryAfter, text } = await this.deps.transport.post(body, this.abort.signal));
      } catch (err) {
        if (this.abort.signal.aborted) return 'stopped';
        text = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
      }
      this.sendSeconds.add(end());
      m.bytes.inc(this.labels, body.length);
      let verdict = status === 0 ? 'retry' : classifyStatus(status, text);
      if (status === 429 && !q.retryOnHttp429) verdict = 'drop';
      if (verdict === 'ok') {
        m.samples.inc(this.labels, n);
        this.outRate.add(n);
        if (this.dropEpisode) this.dropEpisode.acked = true;
        if (maxTs > this.highestSent) {
          this.highestSent = maxTs;
          m.highestSent.set(this.labels, maxTs / 1000);
        }
        if (this.failing) this.deps.log.info('remote-write endpoint accepts again', { remote_name: this.name, attempts: attempt });
        this.failing = false;
        return 'done';
      }
      if (verdict === 'drop') {
        m.failed.inc(this.labels, n);
        this.outRate.add(n);
        this.deps.log.warn('remote-write request refused, samples dropped', { remote_name: this.name, status, samples: n, response: text.slice(0, 256) });
        return 'done';
      }
      if (!this.failing)
        this.deps.log.warn('remote-write request failed, retrying', {
          remote_name: this.name,
          status: status || undefined,
          error: status ? undefined : text,
          response: status ? text.slice(0, 256) : undefined,
        });
      this.failing = true;
      if (this.stopping) return 'stopped';
      m.retried.inc(this.labels, n);
      const ra = status === 429 || status >= 500 ? retryAfterMs(retryAfter, Date.now()) : undefined;
      await this.sleep(backoffMs(attempt, q.minBackoffSeconds * 1000, q.maxBackoffSeconds * 1000, ra), sh);
    }
  }
}
