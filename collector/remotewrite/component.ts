import type { CollectorConfig } from '../config.js';
import type { AcceptedReport, CollectorContext, Component } from '../core/component.js';
import { checkRemoteWrite, type RemoteWriteEndpointConfig } from './config.js';
import { EndpointQueue } from './endpoint.js';
import { remoteWriteMetrics } from './metrics.js';
import { type Segment, SegmentStore } from './store.js';
import { httpTransport, type Transport } from './transport.js';
import { IdentityCache, type Labels, seriesKey, sortedLabels, type WireIdentity, type WireSeries, wireIdentity } from './wire.js';

export interface RemoteWriteOptions {
  /** The endpoints; default `ctx.cfg().remoteWrite`. */
  endpoints?: () => readonly RemoteWriteEndpointConfig[];
  /** Transport factory (default HTTP(S) with the endpoint's auth and TLS). */
  transport?: (c: RemoteWriteEndpointConfig, key: string) => Transport;
  /** How often idle shard positions are saved and passed segments deleted (ms, default 5000). */
  checkpointMs?: number;
  /** How often each queue recomputes its desired shard count (ms, default 10 000). */
  shardUpdateMs?: number;
}

/** Group a report's samples by series (first-seen order, per-series order kept), labels sorted. */
export function reportSeries(r: AcceptedReport, ids?: IdentityCache): (WireSeries & { id: WireIdentity })[] {
  const by = new Map<string, WireSeries & { id: WireIdentity }>();
  for (const s of r.samples) {
    if (!Number.isFinite(s.ts)) continue;
    let id: WireIdentity | undefined;
    let labels: Labels | undefined;
    let key: string;
    if (ids && s.key !== undefined) {
      id = ids.of(s.labels, s.key);
      key = id.key;
    } else {
      labels = sortedLabels(s.labels);
      key = seriesKey(labels);
    }
    let ws = by.get(key);
    if (!ws) {
      id ??= wireIdentity(labels!, key);
      ws = { labels: id.labels, labelBytes: id.labelBytes, samples: [], id };
      by.set(key, ws);
    }
    ws.samples.push({ value: s.value, ts: Math.trunc(s.ts) });
  }
  return [...by.values()];
}

function endpointsOf(cfg: CollectorConfig): readonly RemoteWriteEndpointConfig[] {
  return cfg.remoteWrite ?? [];
}

/**
 * Remote-write component: every accepted report's samples are persisted as one segment row inside the
 * ingest transaction (`commit`: committed with the report, so an acknowledged report is never lost),
 * then handed to each configured endpoint's queue after the commit (`append`). Without the commit hook
 * `append` persists before it returns.
 */
export function createRemoteWriteComponent(ctx: CollectorContext, opts: RemoteWriteOptions = {}): Component {
  const store = new SegmentStore(ctx.db);
  const metrics = remoteWriteMetrics(ctx.registry);
  const log = ctx.log.child({ component: 'remotewrite' });
  const configured = opts.endpoints ?? (() => endpointsOf(ctx.cfg()));
  const makeTransport = opts.transport ?? httpTransport;
  let queues: EndpointQueue[] = [];
  let timer: NodeJS.Timeout | undefined;
  let highestIn = 0;
  let started = false;
  /** Segments written by `commit` (in the ingest transaction), handed to the queues by `append`. */
  const committed = new WeakMap<AcceptedReport, Segment>();
  const ids = new IdentityCache();

  const build = (list: readonly RemoteWriteEndpointConfig[]): EndpointQueue[] => {
    const errs = checkRemoteWrite(list);
    if (errs.length) throw new Error(`config error: ${errs.join('; ')}`);
    store.retainEndpoints(list.map((e) => e.name));
    return list.map(
      (c, i) => new EndpointQueue(c, { store, metrics, log, now: ctx.now, transport: makeTransport(c, `remoteWrite.${i}`), shardUpdateMs: opts.shardUpdateMs }),
    );
  };
  queues = build(configured());
  if (queues.length === 0) store.compact();

  const checkpoint = () => {
    try {
      for (const q of queues) q.checkpoint();
      store.compact();
    } catch (err) {
      log.error('remote-write checkpoint failed', { error: (err as Error).message });
    }
  };

  return {
    name: 'remotewrite',
    start() {
      started = true;
      for (const q of queues) q.start();
      timer = setInterval(checkpoint, opts.checkpointMs ?? 5000);
      timer.unref();
    },
    async stop() {
      started = false;
      if (timer) clearInterval(timer);
      await Promise.all(queues.map((q) => q.stop()));
      checkpoint();
    },
    async reload(cfg) {
      const next = endpointsOf(cfg);
      const same = next.length === queues.length && next.every((c, i) => JSON.stringify(c) === JSON.stringify(queues[i]!.cfg));
      if (same) return;
      const errs = checkRemoteWrite(next);
      if (errs.length) throw new Error(`config error: ${errs.join('; ')}`);
      await Promise.all(queues.map((q) => q.stop()));
      queues = build(next);
      if (started) for (const q of queues) q.start();
      log.info('remote-write endpoints reloaded', { endpoints: queues.map((q) => q.name) });
    },
    // Inside the ingest transaction: the segment row commits with the report or not at all.
    commit(r) {
      if (queues.length === 0 || r.samples.length === 0) return;
      const series = reportSeries(r, ids);
      if (series.length === 0) return;
      committed.set(r, store.append(series, ctx.now()));
    },
    append(r) {
      if (queues.length === 0 || r.samples.length === 0) return;
      let seg = committed.get(r);
      committed.delete(r);
      if (!seg) {
        // a host without the in-transaction hook: persist now, before returning
        const series = reportSeries(r, ids);
        if (series.length === 0) return;
        seg = store.append(series, ctx.now());
      }
      metrics.samplesIn.inc(seg.count);
      for (const s of seg.series)
        for (const x of s.samples)
          if (x.ts > highestIn) {
            highestIn = x.ts;
            metrics.highestIn.set(x.ts / 1000);
          }
      for (const q of queues) q.offer(seg);
    },
  };
}
