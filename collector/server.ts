import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BATCH_CONTENT_TYPE, INGEST_BATCH_PATH, INGEST_PATH } from '../contract/types.js';
import type { Logger } from '../lib/log.js';
import { VERSION } from '../lib/version.js';
import { type CollectorConfig, parseListen } from './config.js';
import { Fleet } from './fleet/fleet.js';
import { type Answer, checkHeaders, ingestBatch, ingestReport, reject } from './ingest/ingest.js';
import { RateLimiter } from './ingest/ratelimit.js';
import { type CollectorMetrics, createCollectorMetrics } from './self-metrics.js';
import { type NodeRow, Store } from './store/store.js';

export interface NodeStatus extends NodeRow {
  up: boolean;
}

/** Pure: is a node up at `now`? Down after `downAfterIntervals` report intervals without a report. */
export function nodeUp(n: Pick<NodeRow, 'lastSeen' | 'interval'>, now: number, downAfterIntervals: number): boolean {
  return now - n.lastSeen <= n.interval * 1000 * downAfterIntervals;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; version=0.0.4; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Read a body of at most `max` bytes; resolves undefined (and stops reading) beyond it. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class Collector {
  readonly store: Store;
  readonly fleet: Fleet;
  readonly metrics: CollectorMetrics;
  private server: Server | undefined;
  private readonly limiter: RateLimiter;

  constructor(
    readonly cfg: CollectorConfig,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.store = new Store(cfg.dataDir);
    this.fleet = new Fleet({ seriesTtlMs: cfg.metrics.seriesTtlSeconds * 1000 });
    this.metrics = createCollectorMetrics();
    this.limiter = new RateLimiter(cfg.ingest.rateLimit?.requestsPerSecond ?? 5, cfg.ingest.rateLimit?.burst ?? 60);
  }

  nodes(): NodeStatus[] {
    const now = this.now();
    return this.store.nodes().map((n) => ({ ...n, up: nodeUp(n, now, this.cfg.nodes.downAfterIntervals) }));
  }

  /** Fleet series, node liveness, then the collector's own metrics. */
  async renderMetrics(): Promise<string> {
    const now = this.now();
    const nodes = this.nodes();
    const down = new Set(nodes.filter((n) => !n.up).map((n) => n.id));
    let out = this.fleet.render(now, down);
    const upLines = ['# HELP xunjian_node_up Whether the node reported within the last nodes.downAfterIntervals report intervals.', '# TYPE xunjian_node_up gauge'];
    const seenLines = ['# HELP xunjian_node_last_report_timestamp_seconds When the node last reported (collector clock).', '# TYPE xunjian_node_last_report_timestamp_seconds gauge'];
    for (const n of nodes) {
      const l = `{node="${n.id}",site="${n.site.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}",zone="${n.zone}"}`;
      upLines.push(`xunjian_node_up${l} ${n.up ? 1 : 0}`);
      seenLines.push(`xunjian_node_last_report_timestamp_seconds${l} ${n.lastSeen / 1000}`);
    }
    out += `${upLines.join('\n')}\n${seenLines.join('\n')}\n`;
    this.metrics.fleetSeries.set(this.fleet.seriesCount());
    this.metrics.typeConflicts.set(this.fleet.typeConflicts);
    out += await this.metrics.registry.metrics();
    return out;
  }

  private async handleReport(req: IncomingMessage, batch: boolean): Promise<Answer> {
    const early = checkHeaders(this, req.headers, batch ? BATCH_CONTENT_TYPE : 'application/json');
    if (early) return early;
    const max = this.cfg.ingest.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(this, 413, 'body_too_large', `body of ${declared} bytes exceeds ingest.maxBodyBytes (${max})`);
    const raw = await readBody(req, max);
    if (!raw) return reject(this, 413, 'body_too_large', `body exceeds ingest.maxBodyBytes (${max})`);
    const end = this.metrics.ingestSeconds.startTimer();
    try {
      const deps = { store: this.store, fleet: this.fleet, cfg: this.cfg.ingest, metrics: this.metrics, now: this.now, limiter: this.limiter };
      // One SQLite transaction per request: the replay record and the report commit with one fsync.
      return this.store.db.transaction(() => (batch ? ingestBatch(deps, req.headers, raw) : ingestReport(deps, req.headers, raw)))();
    } finally {
      end();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://collector');
    const path = url.pathname;
    if (path === INGEST_PATH || path === INGEST_BATCH_PATH) {
      if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed', message: 'use POST' }, { allow: 'POST' });
      const a = await this.handleReport(req, path === INGEST_BATCH_PATH);
      if (a.status >= 400) this.log.warn('report rejected', { status: a.status, error: (a.body as { error: string }).error, remote: req.socket.remoteAddress });
      // A refused body may be left unread: close the connection rather than read it.
      return send(res, a.status, a.body, { ...a.headers, ...(req.complete ? {} : { connection: 'close' }) });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method_not_allowed', message: 'use GET' }, { allow: 'GET' });
    if (path === '/metrics') return send(res, 200, await this.renderMetrics());
    if (path === '/healthz') return send(res, 200, { status: 'ok', version: VERSION });
    if (path === '/api/v1/nodes') return send(res, 200, { nodes: this.nodes() });
    const fm = /^\/api\/v1\/nodes\/([^/]+)\/facts$/.exec(path);
    if (fm) {
      const f = this.store.facts(decodeURIComponent(fm[1]!));
      return f ? send(res, 200, f) : send(res, 404, { error: 'not_found', message: 'no facts stored for this node' });
    }
    return send(res, 404, { error: 'not_found', message: `no route ${path}` });
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = parseListen(this.cfg.listen);
    const tls = this.cfg.tls ?? { certFile: '', keyFile: '', clientCaFile: '', requireClientCert: false };
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.route(req, res).catch((err: Error) => {
        this.log.error('request failed', { path: req.url, error: err.message });
        if (!res.headersSent) send(res, 500, { error: 'internal', message: 'internal error' });
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
    server.requestTimeout = 60_000;
    server.headersTimeout = 15_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s) {
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    this.store.close();
  }
}
