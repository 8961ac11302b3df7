import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { listenOn } from '../../test/helpers/net.js';
import { createLogger } from '../../lib/log.js';
import type { ApiRequest, Role } from '../api/types.js';
import { SqliteAudit } from '../audit/audit.js';
import type { CollectorConfig } from '../config.js';
import { type CollectorContext, EMPTY_FLEET, type SeriesSample } from '../core/component.js';
import { openDatabase } from '../store/db.js';

/** Test support for alerts/ and notify/ (not shipped behaviour): loopback HTTP peers, a clock, a context. */
export interface Received {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
  json: unknown;
}

export interface Peer {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export async function startPeer(handle: (r: Received, res: ServerResponse) => unknown): Promise<Peer> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: Received = { method: req.method ?? '', url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers: req.headers, body, json };
      received.push(r);
      try {
        await handle(r, res);
      } catch (err) {
        res.writeHead(500).end(String(err));
      }
    });
  });
  const port = await listenOn(server, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

export class FakeClock {
  constructor(public t: number) {}
  now = (): number => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

export interface TestEnv {
  dir: string;
  ctx: CollectorContext;
  audit: SqliteAudit;
  registry: Registry;
  appended: SeriesSample[];
  logs: string[];
  setConfig(cfg: Record<string, unknown>): void;
  reopen(): TestEnv;
  close(): void;
}

export function testEnv(cfg: Record<string, unknown>, clock: FakeClock, dir = mkdtempSync(join(tmpdir(), 'xj-alerts-'))): TestEnv {
  const db = openDatabase(dir);
  const audit = new SqliteAudit(db, clock.now);
  const registry = new Registry();
  const appended: SeriesSample[] = [];
  const logs: string[] = [];
  let current = cfg;
  const ctx: CollectorContext = {
    cfg: () => current as unknown as CollectorConfig,
    db,
    log: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
    now: clock.now,
    registry,
    fleet: EMPTY_FLEET,
    audit,
    series: { appendOwn: (_s, samples) => appended.push(...samples) },
    hub: { alerts: { send: () => {} } },
  };
  const env: TestEnv = {
    dir,
    ctx,
    audit,
    registry,
    appended,
    logs,
    setConfig: (c) => {
      current = c;
    },
    reopen: () => {
      db.close();
      return testEnv(current, clock, dir);
    },
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

export function apiRequest(
  method: string,
  path: string,
  o: { role?: Role; name?: string; body?: unknown; params?: Record<string, string>; query?: string } = {},
): ApiRequest {
  return {
    method,
    path,
    params: o.params ?? {},
    query: new URLSearchParams(o.query ?? ''),
    headers: {},
    body: o.body,
    actor: { name: o.name ?? 'li.wei', role: o.role ?? 'operator', tokenId: 1 },
    remote: '127.0.0.1',
  };
}
