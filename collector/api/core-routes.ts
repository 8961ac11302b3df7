import { VERSION } from '../../lib/version.js';
import type { Collector } from '../server.js';
import { API_TOKEN_NAME } from '../store/apitokens.js';
import { type ApiRequest, HttpError, json, ROLES, type Role, type Route } from './types.js';

/** Paging of a list: `?page=1&pageSize=500` (pageSize ≤ 5000; absent: everything). */
export function page<T>(items: T[], q: URLSearchParams): { items: T[]; total: number; page: number; pageSize: number } {
  const size = q.has('pageSize') ? Number(q.get('pageSize')) : items.length || 1;
  const p = q.has('page') ? Number(q.get('page')) : 1;
  if (!Number.isInteger(size) || size < 1 || size > Math.max(5000, items.length))
    throw new HttpError(400, 'bad_request', 'pageSize must be an integer from 1 to 5000');
  if (!Number.isInteger(p) || p < 1) throw new HttpError(400, 'bad_request', 'page must be an integer from 1');
  return { items: items.slice((p - 1) * size, p * size), total: items.length, page: p, pageSize: size };
}

function int(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new HttpError(400, 'bad_request', `${k} must be a number (ms since the epoch)`);
  return n;
}

const actorOf = (r: ApiRequest) => r.actor?.name ?? 'anonymous';

/** The core's routes: health, metrics, fleet registry, facts, devices, audit, API tokens, reload. */
export function coreRoutes(c: Collector): Route[] {
  return [
    { method: 'GET', path: '/healthz', access: 'public', handler: () => json({ status: 'ok', version: VERSION }) },
    {
      method: 'GET',
      path: '/metrics',
      access: 'viewer',
      handler: async () => ({ status: 200, body: await c.renderMetrics(), contentType: 'text/plain; version=0.0.4; charset=utf-8' }),
    },
    {
      method: 'GET',
      path: '/api/v1/nodes',
      access: 'viewer',
      handler: (r) => {
        const p = page(c.nodes(), r.query);
        return json({ nodes: p.items, total: p.total, page: p.page, pageSize: p.pageSize });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/:id',
      access: 'viewer',
      handler: (r) => {
        const n = c.nodes().find((x) => x.id === r.params.id);
        if (!n) throw new HttpError(404, 'not_found', `no node '${r.params.id}'`);
        return json(n);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/:id/facts',
      access: 'security',
      handler: (r) => {
        const f = c.store.latestFacts(r.params.id!);
        if (!f) throw new HttpError(404, 'not_found', 'no facts stored for this node');
        return json(f);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/:id/facts/:group/history',
      access: 'security',
      handler: (r) => json({ history: c.store.facts.history(r.params.id!, r.params.group!, Math.min(int(r.query, 'limit') ?? 50, 1000)) }),
    },
    {
      method: 'GET',
      path: '/api/v1/devices',
      access: 'viewer',
      handler: (r) => {
        const p = page(c.store.devices.list(), r.query);
        return json({ devices: p.items, total: p.total, page: p.page, pageSize: p.pageSize });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/audit',
      access: 'security',
      handler: (r) => {
        const q = r.query;
        const entries = c.audit.query({
          since: int(q, 'since'),
          until: int(q, 'until'),
          before: int(q, 'before'),
          limit: int(q, 'limit'),
          action: q.get('action') ?? undefined,
          actor: q.get('actor') ?? undefined,
        });
        return json({ entries });
      },
    },
    { method: 'GET', path: '/api/v1/api-tokens', access: 'admin', handler: () => json({ tokens: c.store.apiTokens.list() }) },
    {
      method: 'POST',
      path: '/api/v1/api-tokens',
      access: 'admin',
      handler: (r) => {
        const b = (r.body ?? {}) as { name?: unknown; role?: unknown };
        if (typeof b.name !== 'string' || !API_TOKEN_NAME.test(b.name))
          throw new HttpError(400, 'bad_request', "body needs 'name': letters, digits, '.', '_', '@', '-' (max 64)");
        if (typeof b.role !== 'string' || !ROLES.includes(b.role as Role))
          throw new HttpError(400, 'bad_request', `body needs 'role': one of ${ROLES.join(', ')}`);
        const t = c.store.apiTokens.create(b.name, b.role as Role);
        c.audit.record({
          actor: actorOf(r),
          remote: r.remote,
          action: 'api_token.create',
          target: b.name,
          outcome: 'success',
          detail: { role: b.role, id: t.id },
        });
        return json({ name: b.name, role: b.role, id: t.id, token: t.token }, 201);
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/api-tokens/:name',
      access: 'admin',
      handler: (r) => {
        const n = c.store.apiTokens.revoke(r.params.name!);
        c.audit.record({
          actor: actorOf(r),
          remote: r.remote,
          action: 'api_token.revoke',
          target: r.params.name!,
          outcome: n ? 'success' : 'failure',
          detail: { revoked: n },
        });
        if (!n) throw new HttpError(404, 'not_found', `no active API token named '${r.params.name}'`);
        return json({ revoked: n });
      },
    },
    {
      method: 'POST',
      path: '/api/v1/-/reload',
      access: 'admin',
      handler: async (r) => {
        const res = await c.reload(actorOf(r), r.remote);
        if (!res.ok) throw new HttpError(400, 'invalid_config', res.error);
        return json({ status: 'reloaded' });
      },
    },
  ];
}
