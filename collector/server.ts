import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { formatLabels, formatValue } from '../contract/exposition.js';
import { BATCH_CONTENT_TYPE, INGEST_BATCH_PATH, INGEST_PATH } from '../contract/types.js';
import type { Logger } from '../lib/log.js';
import { coreRoutes } from './api/core-routes.js';
import { collectorInterfacesSource, interfacesRoute } from './api/interfaces.js';
import { readBody, Router, sendJson } from './api/router.js';
import { collectorSummarySource, summaryRoute } from './api/summary.js';
import type { Route } from './api/types.js';
import { type Audit, SqliteAudit } from './audit/audit.js';
import { COMPONENTS } from './components.js';
import { type CollectorConfig, parseListen } from './config.js';
import type { AcceptedReport, CollectorContext, Component, ComponentFactory, Hub, SeriesSample } from './core/component.js';
import { type Answer, authenticateHeaders, checkHeaders, type IngestDeps, ingestBatch, ingestReport, reject } from './ingest/ingest.js';
import { RateLimiter } from './ingest/ratelimit.js';
import type { Counter } from 'prom-client';
import { SeriesLimiter, seriesLimitMetrics } from './remotewrite/limit.js';
import { type CollectorMetrics, createCollectorMetrics } from './self-metrics.js';
import { SeriesStore } from './series/series.js';
import { type NodeRow, Store } from './store/store.js';

export interface NodeStatus extends NodeRow {
  up: boolean;
  /** Streams that reported within the node's liveness window (more than one: two agents share the id). */
  liveStreams: number;
}

/** Pure: is a node up at `now`? Down after `downAfterIntervals` report intervals without a report. */
export function nodeUp(n: Pick<NodeRow, 'lastSeen' | 'interval'>, now: number, downAfterIntervals: number): boolean {
  return now - n.lastSeen <= n.interval * 1000 * downAfterIntervals;
}

/** Thrown inside the ingest transaction to roll it back when the request is refused. */
class Refused extends Error {
  constructor(readonly answer: Answer) {
    super('refused');
  }
}

/** Refused bodies up to this size are read and discarded, keeping the connection. */
const DRAIN_BYTES = 1_048_576;

const NODE_HELP: Record<string, string> = {
  xunjian_node_up: 'Whether the node reported within the last nodes.downAfterIntervals report intervals.',
  xunjian_node_last_report_timestamp_seconds: 'When the node last reported (collector clock).',
  xunjian_node_clock_skew_seconds: "The node's clock minus the collector's, from its last request's signed timestamp (includes transit time).",
  xunjian_node_live_streams: 'Report streams of the node seen within its liveness window (above 1: two agents use one node id).',
};

/**
 * The collector: ingest → one SQLite transaction → after commit, the series store and every hosted
 * component's `append` (the fan-out). Also the HTTP listener (router with API-token roles), reload,
 * retention. See ARCHITECTURE.md.
 */
export class Collector {
  readonly store: Store;
  readonly series: SeriesStore;
  readonly metrics: CollectorMetrics;
  readonly audit: Audit;
  readonly router: Router;
  readonly components: Component[];
  readonly hub: Hub;
  private server: Server | undefined;
  private limiter: RateLimiter;
  private bytesLimiter: RateLimiter;
  private inflight = { bodies: 0, bytes: 0, perNode: new Map<string, number>() };
  private readonly streamWarned = new Map<string, number>();
  /** Per node: signed request timestamp minus the collector clock at receipt, seconds (last accepted request). */
  private readonly clockSkew = new Map<string, number>();
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly seriesLimiter: SeriesLimiter;
  private readonly seriesRefused: Counter;
  private current: CollectorConfig;

  constructor(
    cfg: CollectorConfig,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Re-reads the config for reload (SIGHUP, POST /api/v1/-/reload); absent: reload re-applies the current one. */
    private readonly loadConfig?: () => CollectorConfig,
    factories: readonly ComponentFactory[] = COMPONENTS,
  ) {
    this.current = cfg;
    this.store = new Store(cfg.dataDir);
    this.series = new SeriesStore({ staleAfterIntervals: cfg.metrics.staleAfterIntervals });
    this.metrics = createCollectorMetrics();
    this.audit = new SqliteAudit(this.store.db, now);
    this.limiter = this.requestLimiter(cfg);
    this.bytesLimiter = this.byteLimiter(cfg);
    this.seriesLimiter = new SeriesLimiter(cfg.seriesLimit ?? { perNode: 0, overrides: {}, idleSeconds: 3600 });
    this.seriesRefused = seriesLimitMetrics(this.metrics.registry, this.seriesLimiter).refused;
    let dropped = 0;
    this.hub = {
      alerts: {
        send: (a) => {
          dropped += a.length;
          if (dropped === a.length) this.log.warn('alerts produced but no alert receiver is configured', { alerts: a.length });
        },
      },
    };
    const ctx: CollectorContext = {
      cfg: () => this.current,
      db: this.store.db,
      log,
      now,
      registry: this.metrics.registry,
      audit: this.audit,
      series: {
        appendOwn: (_source: string, samples: SeriesSample[], intervalSeconds: number) =>
          this.series.append(samples, undefined, this.now(), undefined, intervalSeconds),
      },
      fleet: {
        nodes: () => this.nodes(),
        facts: (node) => this.store.facts.ofNode(node),
        devices: () => this.store.devices.list(),
        nodeSeries: (now) => this.nodeSeries(now),
      },
      hub: this.hub,
    };
    this.components = factories.map((f) => f(ctx));
    this.router = new Router({ apiTokens: this.store.apiTokens, audit: this.audit, log, now, metricsNeedToken: () => this.current.metrics.requireToken });
    this.router.raw('POST', INGEST_PATH, (req, res) => this.handleIngest(req, res, false));
    this.router.raw('POST', INGEST_BATCH_PATH, (req, res) => this.handleIngest(req, res, true));
    this.router.setRoutes(this.routes());
  }

  get cfg(): CollectorConfig {
    return this.current;
  }

  private requestLimiter(cfg: CollectorConfig): RateLimiter {
    return new RateLimiter(cfg.ingest.rateLimit?.requestsPerSecond ?? 5, cfg.ingest.rateLimit?.burst ?? 60);
  }

  private byteLimiter(cfg: CollectorConfig): RateLimiter {
    return new RateLimiter(
      cfg.ingest.rateLimit?.bytesPerSecond ?? 8_388_608,
      Math.max(cfg.ingest.rateLimit?.bytesBurst ?? 134_217_728, cfg.ingest.maxDecompressedBytes),
    );
  }

  private routes(): Route[] {
    return [
      ...coreRoutes(this),
      summaryRoute(collectorSummarySource(this, this.now), this.now),
      interfacesRoute(collectorInterfacesSource(this, this.now), this.now),
      ...this.components.flatMap((c) => c.routes?.() ?? []),
    ];
  }

  nodes(): NodeStatus[] {
    const now = this.now();
    const k = this.current.nodes.downAfterIntervals;
    return this.store.nodes().map((n) => ({
      ...n,
      up: nodeUp(n, now, k),
      liveStreams: n.streams.filter((s) => now - s.lastSeen <= n.interval * 1000 * k).length,
    }));
  }

  /** The per-node families the collector derives (liveness, last report, clock skew, streams), as series. */
  nodeSeries(now: number, nodes: NodeStatus[] = this.nodes()): SeriesSample[] {
    const out: SeriesSample[] = [];
    for (const n of nodes) {
      const l = { node: n.id, site: n.site, zone: n.zone };
      const add = (name: string, value: number) => out.push({ labels: { __name__: name, ...l }, value, type: 'gauge', ts: now });
      add('xunjian_node_up', n.up ? 1 : 0);
      add('xunjian_node_last_report_timestamp_seconds', n.lastSeen / 1000);
      const skew = this.clockSkew.get(n.id);
      if (skew !== undefined && n.up) add('xunjian_node_clock_skew_seconds', skew);
      add('xunjian_node_live_streams', n.liveStreams);
    }
    return out;
  }

  /** Fleet series, node liveness, the components' families, then the collector's own metrics. */
  async renderMetrics(): Promise<string> {
    const now = this.now();
    const nodes = this.nodes();
    const down = new Set(nodes.filter((n) => !n.up).map((n) => n.id));
    let out = this.series.render(now, down);
    const fams = new Map<string, string>();
    for (const s of this.nodeSeries(now, nodes)) {
      const name = s.labels.__name__!;
      fams.set(name, `${fams.get(name) ?? ''}${name}${formatLabels(s.labels, '__name__')} ${formatValue(s.value)}\n`);
    }
    for (const [name, lines] of fams) out += `# HELP ${name} ${NODE_HELP[name]}\n# TYPE ${name} gauge\n${lines}`;
    for (const c of this.components) out += c.exposition?.(now) ?? '';
    this.metrics.fleetSeries.set(this.series.seriesCount());
    this.metrics.typeConflicts.set(this.series.typeConflicts);
    out += await this.metrics.registry.metrics();
    return out;
  }

  /** After commit: the series store, then every consumer; a consumer's failure is its own. */
  private fanOut(accepted: AcceptedReport[]): void {
    for (const a of accepted) {
      const node = a.report.node.id;
      if (a.newStream) this.noteNewStream(a);
      this.series.append(a.samples, node, a.receivedAt, a.report.help, a.report.agent.interval);
      for (const c of this.components) {
        if (!c.append) continue;
        const end = this.metrics.consumerSeconds.startTimer({ consumer: c.name });
        try {
          c.append(a);
        } catch (err) {
          this.metrics.consumerErrors.inc({ consumer: c.name });
          this.log.error('consumer failed on an accepted report (the report is stored)', {
            consumer: c.name,
            node,
            seq: a.report.seq,
            error: (err as Error).message,
          });
        } finally {
          end();
        }
      }
    }
  }

  private noteNewStream(a: AcceptedReport): void {
    const node = a.report.node.id;
    this.metrics.newStreams.inc({ node });
    const last = this.streamWarned.get(node) ?? 0;
    if (a.receivedAt - last < 600_000) return;
    this.streamWarned.set(node, a.receivedAt);
    const others = this.store.receipts.streams(node).filter((s) => s.stream !== a.stream);
    const live = others.filter((s) => a.receivedAt - s.lastSeen <= a.report.agent.interval * 1000 * this.current.nodes.downAfterIntervals);
    this.log.warn(
      live.length
        ? 'node reports on two live streams: two agents use this node id (their reports are both kept; give each its own id)'
        : "node started a new report stream: its agent's state was reset (seq starts again; nothing is lost)",
      { node, stream: a.stream, seq: a.report.seq, previous: others.map((s) => ({ stream: s.stream, highSeq: s.highSeq })) },
    );
  }

  private async handleIngest(req: IncomingMessage, res: ServerResponse, batch: boolean): Promise<void> {
    const a = await this.ingest(req, batch);
    if (a.status >= 400) this.log.warn('report rejected', { status: a.status, error: (a.body as { error: string }).error, remote: req.socket.remoteAddress });
    // A body refused unread: a small one is discarded as it arrives (never buffered) so the client reads
    // the answer on a healthy connection; after a large one the connection is closed.
    const small = Number(req.headers['content-length'] ?? Number.POSITIVE_INFINITY) <= DRAIN_BYTES;
    if (!req.complete && small) req.resume();
    sendJson(res, a.status, a.body, { ...a.headers, ...(req.complete || small ? {} : { connection: 'close' }) });
  }

  private async ingest(req: IncomingMessage, batch: boolean): Promise<Answer> {
    const cfg = this.current.ingest;
    const m = this.metrics;
    const early = checkHeaders(this, req.headers, batch ? BATCH_CONTENT_TYPE : 'application/json');
    if (early) return early;
    const auth = authenticateHeaders({ store: this.store, metrics: m, cfg, now: this.now }, req.headers);
    if ('status' in auth) return auth;
    const max = cfg.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > max) return reject(this, 413, 'body_too_large', `body of ${declared} bytes exceeds ingest.maxBodyBytes (${max})`);
    const expect = Number.isFinite(declared) ? declared : max;
    const f = this.inflight;
    if (f.bodies >= (cfg.maxConcurrentBodies ?? 64) || f.bytes + expect > (cfg.maxInflightBytes ?? 67_108_864)) {
      m.overloaded.inc({ reason: f.bodies >= (cfg.maxConcurrentBodies ?? 64) ? 'bodies' : 'bytes' });
      return reject(this, 503, 'overloaded', 'the collector is reading as many report bodies as it allows; retry shortly', { 'retry-after': '2' });
    }
    const mine = f.perNode.get(auth.node) ?? 0;
    if (mine >= (cfg.perNodeConcurrentBodies ?? 2)) {
      return reject(
        this,
        429,
        'rate_limited',
        `node '${auth.node}' has ${mine} reports in flight (ingest.perNodeConcurrentBodies); retry when they are answered`,
        { 'retry-after': '1' },
      );
    }
    f.bodies++;
    f.bytes += expect;
    f.perNode.set(auth.node, mine + 1);
    m.inflightBytes.set(f.bytes);
    try {
      const timeoutMs = (cfg.bodyTimeoutSeconds ?? 15) * 1000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const raw = await Promise.race([readBody(req, max), timedOut]).finally(() => clearTimeout(timer));
      if (raw === 'timeout')
        return reject(this, 408, 'body_timeout', `the body did not arrive within ingest.bodyTimeoutSeconds (${cfg.bodyTimeoutSeconds ?? 15} s)`);
      if (!raw) return reject(this, 413, 'body_too_large', `body exceeds ingest.maxBodyBytes (${max})`);
      const end = m.ingestSeconds.startTimer();
      const deps: IngestDeps = {
        store: this.store,
        cfg,
        metrics: m,
        now: this.now,
        limiter: this.limiter,
        bytesLimiter: this.bytesLimiter,
        intern: this.series.intern,
        admit: (node, samples) => {
          const r = this.seriesLimiter.admit(node, samples, this.now());
          if (r.refused) this.seriesRefused.inc({ node }, r.refused);
          return r;
        },
        accepted: [],
      };
      let answer: Answer;
      try {
        // One SQLite transaction per request: replay record, receipts, node and facts commit together
        // with one fsync, or not at all when the request is refused.
        answer = this.store.db.transaction(() => {
          const r = batch ? ingestBatch(deps, auth, req.headers, raw) : ingestReport(deps, auth, req.headers, raw);
          const stored = r.status < 400 && (!batch || (r.body as { results: { error?: string }[] }).results.some((x) => !x.error));
          if (!stored) throw new Refused(r);
          for (const acc of deps.accepted) for (const c of this.components) c.commit?.(acc);
          return r;
        })();
      } catch (err) {
        if (err instanceof Refused) return err.answer;
        throw err;
      } finally {
        end();
      }
      if (deps.accepted.length) this.clockSkew.set(auth.node, (Number(auth.ts) - deps.accepted[0]!.receivedAt) / 1000);
      this.fanOut(deps.accepted);
      for (const acc of deps.accepted) {
        m.samples.inc(acc.report.samples.length);
        let oldest = acc.report.sentAt;
        for (const s of acc.report.samples) if (s.ts < oldest) oldest = s.ts;
        const lag = Math.max(0, acc.receivedAt - oldest) / 1000;
        m.lagSeconds.observe(lag);
        m.nodeLagSeconds.set({ node: acc.report.node.id }, lag);
      }
      return answer;
    } finally {
      f.bodies--;
      f.bytes -= expect;
      const n = (f.perNode.get(auth.node) ?? 1) - 1;
      if (n <= 0) f.perNode.delete(auth.node);
      else f.perNode.set(auth.node, n);
      m.inflightBytes.set(f.bytes);
    }
  }

  /**
   * Re-read and apply the config. An invalid one is refused with its error (file, key, reason) and the
   * running one stays. Listener, TLS and data directory need a restart.
   */
  async reload(actor: string, remote: string): Promise<{ ok: true } | { ok: false; error: string }> {
    let next: CollectorConfig;
    try {
      next = this.loadConfig ? this.loadConfig() : this.current;
      for (const c of this.components) await c.reload?.(next);
    } catch (err) {
      const error = (err as Error).message;
      this.metrics.reloads.inc({ result: 'failure' });
      this.audit.record({ actor, remote, action: 'config.reload', target: 'collector', outcome: 'failure', detail: { error } });
      this.log.error('config reload refused; the running config stays', { error });
      return { ok: false, error };
    }
    const restart = (['listen', 'dataDir', 'tls'] as const).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(this.current[k]));
    this.current = { ...next, listen: this.current.listen, dataDir: this.current.dataDir, ...(this.current.tls ? { tls: this.current.tls } : {}) };
    this.limiter = this.requestLimiter(this.current);
    this.bytesLimiter = this.byteLimiter(this.current);
    this.series.setStaleAfterIntervals(this.current.metrics.staleAfterIntervals);
    if (this.current.seriesLimit) this.seriesLimiter.reload(this.current.seriesLimit);
    this.router.setRoutes(this.routes());
    this.metrics.reloads.inc({ result: 'success' });
    this.audit.record({
      actor,
      remote,
      action: 'config.reload',
      target: 'collector',
      outcome: 'success',
      ...(restart.length ? { detail: { needsRestart: restart } } : {}),
    });
    this.log.info('config reloaded', restart.length ? { needsRestart: restart.join(', ') } : {});
    return { ok: true };
  }

  /** Retention: receipts, audit, facts history and expired replay records. */
  prune(): void {
    const now = this.now();
    const r = this.current.retention;
    const receipts = this.store.receipts.prune(now - r.receiptsDays * 86_400_000);
    const audit = this.audit.prune(now, r.auditDays);
    const history = this.store.facts.prune(now - r.factsHistoryDays * 86_400_000);
    if (receipts + audit + history > 0) this.log.debug('retention pruned', { receipts, audit, history });
  }

  async listen(): Promise<AddressInfo> {
    const cfg = this.current;
    const { host, port } = parseListen(cfg.listen);
    const tls = cfg.tls ?? { certFile: '', keyFile: '', clientCaFile: '', requireClientCert: false };
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.router.handle(req, res).catch((err: Error) => {
        this.log.error('request failed', { path: req.url?.slice(0, 200), error: err.message });
        if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: 'internal error' });
        else res.destroy();
      });
    };
    const read = (file: string, key: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new Error(`tls.${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    };
    if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) throw new Error('tls.certFile and tls.keyFile go together');
    if (tls.requireClientCert && !tls.clientCaFile) throw new Error('tls.requireClientCert needs tls.clientCaFile');
    const server: Server = tls.certFile
      ? createHttpsServer(
          {
            cert: read(tls.certFile, 'certFile'),
            key: read(tls.keyFile, 'keyFile'),
            ...(tls.clientCaFile ? { ca: read(tls.clientCaFile, 'clientCaFile'), requestCert: true, rejectUnauthorized: tls.requireClientCert } : {}),
            minVersion: 'TLSv1.2',
          },
          handler,
        )
      : createServer(handler);
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    // Idle keep-alive sockets are kept well past the clients' reuse window (undici retires a socket a
    // second before the server's hint), so a busy agent never reuses one the server just closed.
    server.keepAliveTimeout = 30_000;
    // Malformed requests (over-long headers, bad syntax) get a JSON reason too, then the socket closes.
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const [status, error] =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'headers_too_large']
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'request_timeout']
            : [400, 'bad_request'];
      const body = `${JSON.stringify({ error, message: err.code === 'HPE_HEADER_OVERFLOW' ? 'request headers exceed the limit (16 KiB)' : `malformed request (${err.code ?? 'parse error'})` })}\n`;
      socket.end(
        `HTTP/1.1 ${status} ${error}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
    this.server = server;
    for (const c of this.components) await c.start?.();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), 3600_000);
    this.pruneTimer.unref();
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    const s = this.server;
    if (s) {
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    for (const c of [...this.components].reverse()) {
      try {
        await c.stop?.();
      } catch (err) {
        this.log.error('component failed to stop', { component: c.name, error: (err as Error).message });
      }
    }
    this.store.close();
  }
}
