import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from '../../lib/log.js';
import type { Audit } from '../audit/audit.js';
import type { ApiTokens } from '../store/apitokens.js';
import { type Actor, type ApiRequest, type ApiResponse, HttpError, ROLES, type Role, type Route } from './types.js';

/**
 * The collector's HTTP routing: a route table (method, path, least role, body limit, handler) on
 * find-my-way — Fastify's router, chosen over Fastify itself because ingest needs the raw request
 * (authenticate from the headers, then read a bounded body, then verify its signature) and Fastify's
 * body pipeline would sit in the way; the rest of the API is small JSON handlers.
 *
 * Every route but `public` ones needs `Authorization: Bearer <API token>` whose role is at least the
 * route's. Refusals are JSON `{error, message}`: 401 missing/invalid token, 403 role too low (audited
 * for state-changing routes), 404/405, 413, 400 for malformed URLs or JSON.
 */
export const JSON_BODY_LIMIT = 65_536;

export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendResponse(res: ServerResponse, r: ApiResponse): void {
  if (typeof r.body === 'string' || Buffer.isBuffer(r.body)) {
    res.writeHead(r.status, { 'content-type': r.contentType ?? 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(r.body), ...r.headers });
    res.end(r.body);
    return;
  }
  sendJson(res, r.status, r.body, r.headers);
}

/** Read a body of at most `max` bytes; undefined (reading stopped) beyond it. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
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
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

export function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** A raw route handles the request itself (ingest); it still gets the router's URL and error handling. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;

export interface RouterDeps {
  apiTokens: ApiTokens;
  audit: Audit;
  log: Logger;
  now(): number;
  /** When false, `GET /metrics` is served without a token. */
  metricsNeedToken(): boolean;
}

type Entry = { kind: 'api'; route: Route } | { kind: 'raw'; handler: RawHandler };

export class Router {
  private fmw = this.fresh();
  private routes: Route[] = [];

  constructor(private readonly deps: RouterDeps) {}

  private fresh() {
    return FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 256 });
  }

  /** Replace the API route table (raw routes stay). */
  private raws: { method: HTTPMethod; path: string; handler: RawHandler }[] = [];

  raw(method: HTTPMethod, path: string, handler: RawHandler): void {
    this.raws.push({ method, path, handler });
    this.fmw.on(method, path, () => {}, { kind: 'raw', handler } satisfies Entry);
  }

  setRoutes(routes: Route[]): void {
    const fmw = this.fresh();
    for (const r of this.raws) fmw.on(r.method, r.path, () => {}, { kind: 'raw', handler: r.handler } satisfies Entry);
    for (const r of routes) {
      fmw.on(r.method, r.path, () => {}, { kind: 'api', route: r } satisfies Entry);
      if (r.method === 'GET') fmw.on('HEAD', r.path, () => {}, { kind: 'api', route: r } satisfies Entry);
    }
    this.fmw = fmw;
    this.routes = routes;
  }

  table(): { method: string; path: string; access: string }[] {
    return [
      ...this.raws.map((r) => ({ method: r.method, path: r.path, access: 'node' })),
      ...this.routes.map((r) => ({ method: r.method, path: r.path, access: r.access })),
    ];
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    let path: string;
    try {
      path = decodeURI(rawPath);
    } catch {
      return sendJson(res, 400, { error: 'bad_url', message: 'the URL path has a malformed percent-encoding' });
    }
    const method = (req.method ?? 'GET') as HTTPMethod;
    let found: ReturnType<typeof this.fmw.find>;
    try {
      found = this.fmw.find(method, rawPath);
    } catch {
      return sendJson(res, 400, { error: 'bad_url', message: 'the URL path has a malformed percent-encoding' });
    }
    if (!found) {
      const allowed = (['GET', 'POST', 'PUT', 'DELETE'] as const).filter((m) => m !== method && this.fmw.find(m, rawPath));
      if (allowed.length) return sendJson(res, 405, { error: 'method_not_allowed', message: `use ${allowed.join(' or ')}` }, { allow: allowed.join(', ') });
      return sendJson(res, 404, { error: 'not_found', message: `no route ${path.slice(0, 200)}` });
    }
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) {
      if (v === undefined) continue;
      try {
        params[k] = decodeURIComponent(v);
      } catch {
        return sendJson(res, 400, { error: 'bad_url', message: `path parameter ${k} has a malformed percent-encoding` });
      }
    }
    const entry = found.store as Entry;
    if (entry.kind === 'raw') return entry.handler(req, res, params);
    const route = entry.route;
    const remote = req.socket.remoteAddress ?? 'unknown';
    let actor: Actor | undefined;
    const open = route.access === 'public' || (route.path === '/metrics' && !this.deps.metricsNeedToken());
    if (!open) {
      const tok = bearer(req);
      if (!tok)
        return sendJson(
          res,
          401,
          { error: 'missing_token', message: 'Authorization: Bearer <API token> is required (xunjian collector api-token create)' },
          { 'www-authenticate': 'Bearer' },
        );
      const row = this.deps.apiTokens.verify(tok, this.deps.now());
      if (!row)
        return sendJson(res, 401, { error: 'invalid_token', message: 'the API token is not valid (unknown or revoked)' }, { 'www-authenticate': 'Bearer' });
      actor = { name: row.name, role: row.role, tokenId: row.id };
      const need = route.access as Role;
      if (!roleAllows(row.role, need)) {
        if (route.method !== 'GET') {
          this.deps.audit.record({
            actor: row.name,
            remote,
            action: `http.${route.method.toLowerCase()}`,
            target: path,
            outcome: 'denied',
            detail: { role: row.role, needs: need },
          });
        }
        return sendJson(res, 403, { error: 'forbidden', message: `this route needs role ${need} or higher; the token has ${row.role}` });
      }
    }
    let body: unknown;
    if (route.method !== 'GET') {
      const limit = route.bodyLimit ?? JSON_BODY_LIMIT;
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) return sendJson(res, 413, { error: 'body_too_large', message: `body exceeds ${limit} bytes` }, { connection: 'close' });
      const raw = await readBody(req, limit);
      if (!raw) return sendJson(res, 413, { error: 'body_too_large', message: `body exceeds ${limit} bytes` }, { connection: 'close' });
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          return sendJson(res, 400, { error: 'malformed_json', message: `body is not valid JSON: ${(err as Error).message}` });
        }
      }
    }
    const apiReq: ApiRequest = {
      method: route.method,
      path,
      params,
      query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      headers: req.headers,
      body,
      remote,
      ...(actor ? { actor } : {}),
    };
    try {
      sendResponse(res, await route.handler(apiReq));
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.code, message: err.message });
      throw err;
    }
  }
}
