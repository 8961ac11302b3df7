import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { uncompressSync } from 'snappy';
import { type AcceptedReport, type CollectorContext, EMPTY_FLEET, type SeriesSample } from '../core/component.js';
import { createLogger } from '../../lib/log.js';
import { openDatabase } from '../store/db.js';
import type { CollectorConfig } from '../config.js';
import { decodeWriteRequest, type WireSeries } from './wire.js';

/** Test support for remote-write (no I/O beyond loopback and a temporary directory). */

export function tmpDir(prefix = 'xj-rw-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testContext(db: Database.Database, now: () => number = Date.now): CollectorContext & { logs: string[] } {
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => logs.push(l) });
  return {
    logs,
    cfg: () => ({}) as CollectorConfig,
    db,
    log,
    now,
    registry: new Registry(),
    audit: { record: () => undefined, query: () => [] } as unknown as CollectorContext['audit'],
    series: { appendOwn: () => undefined },
    fleet: EMPTY_FLEET,
    hub: { alerts: { send: () => undefined } },
  };
}

export function openTestDb(dir: string): Database.Database {
  return openDatabase(dir);
}

export function report(samples: SeriesSample[], node = 'town-01'): AcceptedReport {
  return {
    report: { node } as unknown as AcceptedReport['report'],
    stream: '',
    receivedAt: Date.now(),
    samples,
    changedFacts: [],
    newStream: false,
  };
}

export function sample(name: string, labels: Record<string, string>, value: number, ts: number): SeriesSample {
  return { labels: { __name__: name, ...labels }, value, ts, type: 'gauge' };
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  series: WireSeries[];
  status: number;
  at: number;
}

/**
 * A loopback remote-write receiver that decodes every request (snappy block + protobuf) and answers
 * from a script of statuses (then 204). It refuses requests without the protocol's headers with 415.
 */
export async function receiver(script: { status: number; headers?: Record<string, string> }[] = []) {
  const requests: ReceivedRequest[] = [];
  const steps = [...script];
  let fallback = 204;
  let delayMs = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ok =
        req.method === 'POST' &&
        req.headers['content-encoding'] === 'snappy' &&
        req.headers['content-type'] === 'application/x-protobuf' &&
        req.headers['x-prometheus-remote-write-version'] === '0.1.0';
      const step = ok ? (steps.shift() ?? { status: fallback }) : { status: 415 };
      const series = ok ? decodeWriteRequest(uncompressSync(Buffer.concat(chunks)) as Buffer) : [];
      requests.push({ headers: req.headers, series, status: step.status, at: Date.now() });
      const answer = () => {
        res.writeHead(step.status, step.headers);
        res.end(step.status >= 300 ? 'refused by script' : '');
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    requests,
    /** Samples of acknowledged (2xx) requests as `labels|ts|value` strings, in arrival order. */
    accepted(): string[] {
      const out: string[] = [];
      for (const r of requests)
        if (r.status < 300)
          for (const s of r.series) for (const x of s.samples) out.push(`${s.labels.map(([n, v]) => `${n}=${v}`).join(',')}|${x.ts}|${x.value}`);
      return out;
    },
    /** The status after the script ran out (default 204). */
    setDefault(status: number) {
      fallback = status;
    },
    /** Answer each request this much later (a slow receiver). */
    setDelay(ms: number) {
      delayMs = ms;
    },
    setScript(next: { status: number; headers?: Record<string, string> }[]) {
      steps.splice(0, steps.length, ...next);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  if (!m) throw new Error(`no metric ${name}`);
  const v = m.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}
