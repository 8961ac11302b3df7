import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../server.js';
import { startTestCollector } from '../test-support.js';
import { ROLES, type Role } from './types.js';

/**
 * Every route with every role and without a token, against the documented table (collector/README.md):
 * the least role of each route. A route missing here fails the completeness check, so a new route must
 * be documented with its role.
 */
const DOCUMENTED: Record<string, Role | 'public' | 'node'> = {
  'POST /api/v1/reports': 'node',
  'POST /api/v1/reports/batch': 'node',
  'GET /healthz': 'public',
  'GET /metrics': 'viewer',
  'GET /api/v1/nodes': 'viewer',
  'GET /api/v1/nodes/:id': 'viewer',
  'GET /api/v1/devices': 'viewer',
  'GET /api/v1/summary': 'viewer',
  'GET /api/v1/nodes/:id/interfaces': 'viewer',
  'GET /api/v1/nodes/:id/facts': 'security',
  'GET /api/v1/nodes/:id/facts/:group/history': 'security',
  'GET /api/v1/audit': 'security',
  'GET /api/v1/api-tokens': 'admin',
  'POST /api/v1/api-tokens': 'admin',
  'DELETE /api/v1/api-tokens/:name': 'admin',
  'POST /api/v1/-/reload': 'admin',
  'GET /api/v1/rules': 'viewer',
  'GET /api/v1/alerts': 'viewer',
  'GET /api/v1/query': 'viewer',
  'GET /api/v1/query_range': 'viewer',
  'GET /api/v1/alerts/active': 'viewer',
  'POST /api/v1/alerts/:fingerprint/claim': 'operator',
  'DELETE /api/v1/alerts/:fingerprint/claim': 'operator',
  'POST /api/v1/alerts/:fingerprint/ack': 'operator',
  'GET /api/v1/silences': 'viewer',
  'POST /api/v1/silences': 'operator',
  'DELETE /api/v1/silences/:id': 'operator',
  'GET /api/v1/notifications': 'viewer',
  'GET /api/v1/notifications/:id': 'viewer',
  'GET /api/v1/compliance': 'security',
  'GET /api/v1/compliance/report': 'security',
  'GET /api/v1/compliance/exceptions': 'security',
  'POST /api/v1/compliance/exceptions': 'security',
  'DELETE /api/v1/compliance/exceptions/:id': 'security',
  'GET /api/v1/compliance/:target': 'security',
  'GET /api/v1/compliance/:target/history/:check': 'security',
};

let c: Collector;
let base: string;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  ({ collector: c, base } = await startTestCollector());
  for (const r of ROLES) tokens[r] = c.store.apiTokens.create(`t-${r}`, r).token;
});
afterAll(() => c.close());

const concrete = (path: string) =>
  path
    .replace(':id', 'n1')
    .replace(':group', 'host.posture')
    .replace(':name', 'nobody')
    .replace(':fingerprint', '0123456789abcdef')
    .replace(':target', 'n1')
    .replace(':check', 'host.ident.uid0');

describe('API roles', () => {
  it('documents every route of the table', () => {
    const table = c.router.table().map((r) => `${r.method} ${r.path}`);
    expect(table.sort()).toEqual(Object.keys(DOCUMENTED).sort());
    for (const r of c.router.table()) expect([`${r.method} ${r.path}`, r.access]).toEqual([`${r.method} ${r.path}`, DOCUMENTED[`${r.method} ${r.path}`]]);
  });

  const cases = Object.entries(DOCUMENTED).filter(([, a]) => a !== 'node');
  it.each(cases)('%s: allowed from its role up, refused below and without a token', async (key, access) => {
    const [method, path] = key.split(' ') as ['GET' | 'POST' | 'DELETE', string];
    const url = `${base}${concrete(path)}`;
    const body = method === 'POST' ? (path === '/api/v1/api-tokens' ? '{}' : '') : undefined;
    const call = async (token?: string) => {
      const r = await request(url, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await r.body.text();
      return { status: r.statusCode, error: text.startsWith('{') ? (JSON.parse(text) as { error?: string }).error : undefined };
    };
    const anon = await call();
    if (access === 'public') expect(anon.status).toBe(200);
    else expect(anon).toEqual({ status: 401, error: 'missing_token' });
    expect(await call('xja_not-a-token')).toEqual(access === 'public' ? expect.objectContaining({ status: 200 }) : { status: 401, error: 'invalid_token' });
    for (const role of ROLES) {
      const r = await call(tokens[role]);
      const allowed = access === 'public' || ROLES.indexOf(role) >= ROLES.indexOf(access as Role);
      // allowed: the handler answered (200, or its own 4xx such as 404 for the made-up node)
      if (allowed) expect([role, r.status, r.error]).not.toEqual([role, 403, 'forbidden']);
      else expect([role, r.status, r.error]).toEqual([role, 403, 'forbidden']);
      if (allowed) expect([role, r.status]).not.toEqual([role, 401]);
    }
  });

  it('audits refused state changes and token management', async () => {
    const r = await request(`${base}/api/v1/api-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.operator}`, 'content-type': 'application/json' },
      body: '{"name":"x","role":"admin"}',
    });
    expect(r.statusCode).toBe(403);
    await r.body.dump();
    const ok = await request(`${base}/api/v1/api-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body: '{"name":"ops-1","role":"operator"}',
    });
    expect(ok.statusCode).toBe(201);
    const made = (await ok.body.json()) as { token: string; role: string };
    expect(made.role).toBe('operator');
    expect(c.store.apiTokens.verify(made.token)?.name).toBe('ops-1');
    const a = await request(`${base}/api/v1/audit?limit=10`, { headers: { authorization: `Bearer ${tokens.security}` } });
    const entries = ((await a.body.json()) as { entries: { actor: string; action: string; target: string; outcome: string; remote: string }[] }).entries;
    expect(entries.slice(0, 2).map(({ actor, action, target, outcome }) => ({ actor, action, target, outcome }))).toEqual([
      { actor: 't-admin', action: 'api_token.create', target: 'ops-1', outcome: 'success' },
      { actor: 't-operator', action: 'http.post', target: '/api/v1/api-tokens', outcome: 'denied' },
    ]);
    expect(entries[0]!.remote).toMatch(/127\.0\.0\.1/);
    // the token itself is never in the audit log
    expect(JSON.stringify(entries)).not.toContain(made.token);
  });
});
