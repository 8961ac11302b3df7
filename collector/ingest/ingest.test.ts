import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReport, pushReport } from '../../agent/delivery/push.js';
import { sign, tokenDigest } from '../../contract/sign.js';
import type { Report, Sample } from '../../contract/types.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { type CollectorConfig, collectorConfigSpec } from '../config.js';
import { Collector } from '../server.js';

/** Bad input against a real collector on loopback: each case → 4xx + JSON reason + metric, state untouched. */
let collector: Collector;
let base: string;
let token: string;

const report = (over: Partial<Report> = {}): Report => ({
  v: 1,
  node: { id: 'n1', site: 'site', zone: 'extranet', grade: 3, labels: {} },
  agent: { version: 'test', interval: 60 },
  seq: 1,
  sentAt: Date.now(),
  samples: [{ name: 'x_total', labels: { a: 'b' }, value: 42, type: 'counter', ts: Date.now() }],
  ...over,
});

interface Req {
  body?: Buffer;
  headers?: Record<string, string>;
  /** Sign with this token (default: the valid one) unless headers override. */
  token?: string;
  node?: string;
  ts?: string;
}

async function post(r: Req) {
  const body = r.body ?? gzipSync(Buffer.from(JSON.stringify(report())));
  const tok = r.token ?? token;
  const ts = r.ts ?? String(Date.now());
  const res = await request(`${base}/api/v1/reports`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: `Bearer ${tok}`,
      'x-xunjian-node': r.node ?? 'n1',
      'x-xunjian-timestamp': ts,
      'x-xunjian-signature': sign('hmac-sha256', tokenDigest(tok), ts, body),
      ...r.headers,
    },
  });
  return { status: res.statusCode, body: (await res.body.json()) as { error?: string; message?: string; status?: string } };
}

function state() {
  const db = collector.store.db;
  const count = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  return {
    nodes: collector.store.nodes(),
    seqs: collector.store.seqs('n1'),
    fleet: collector.series.render(Date.now()),
    facts: collector.store.latestFacts('n1'),
    // A refused request leaves no trace, its replay record included.
    rows: ['seen_signatures', 'receipts', 'streams', 'fact_groups', 'fact_history', 'devices'].map(count),
  };
}

/** `depth` nested objects, built without recursion. */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

async function rejectedCount(reason: string): Promise<number> {
  const m = await collector.metrics.rejected.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xj-ingest-'));
  const cfg = loadConfig<CollectorConfig>(collectorConfigSpec, undefined, {
    XUNJIAN_COLLECTOR__LISTEN: '127.0.0.1:0',
    XUNJIAN_COLLECTOR__DATADIR: dir,
    XUNJIAN_COLLECTOR__INGEST__MAXBODYBYTES: '65536',
    XUNJIAN_COLLECTOR__INGEST__MAXDECOMPRESSEDBYTES: '1048576',
  });
  collector = new Collector(cfg, createLogger({ level: 'error' }));
  const addr = await collector.listen();
  base = `http://127.0.0.1:${addr.port}`;
  token = collector.store.createToken('n1');
  collector.store.createToken('n2');
  // One good report first, so "untouched" means something.
  const ok = await pushReport(
    { url: base, token, signature: 'hmac-sm3', timeoutMs: 5000 },
    'n1',
    encodeReport(report({ facts: { 'host.inventory': { a: 1 } } })),
  );
  expect(ok).toEqual({ kind: 'ack', status: 200, duplicate: false });
});
afterAll(async () => {
  await collector.close();
});

describe('ingest', () => {
  it('stored the good report', () => {
    expect(collector.store.seqs('n1')).toEqual([1]);
    expect(collector.series.render(Date.now())).toContain('x_total{a="b",node="n1",site="site",zone="extranet"} 42');
    expect(collector.store.latestFacts('n1')?.facts).toEqual({ 'host.inventory': { a: 1 } });
  });

  it('acknowledges a resent report as duplicate without storing it twice', async () => {
    const before = state();
    const r = await post({});
    expect(r).toEqual({ status: 200, body: { status: 'duplicate', node: 'n1', seq: 1 } });
    // an answered request's signature is remembered (a replay of it is refused); nothing else changes
    before.rows[0]! += 1;
    expect(state()).toEqual(before);
  });

  const big = Buffer.alloc(70_000, 1);
  const bomb = gzipSync(Buffer.alloc(2_000_000, 32));
  const cases: [string, () => Req, number, string][] = [
    ['malformed JSON', () => ({ body: gzipSync(Buffer.from('{"v":1,')) }), 400, 'malformed_json'],
    ['not gzip', () => ({ body: Buffer.from('plain') }), 400, 'bad_encoding'],
    ['wrong content type', () => ({ headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
    ['unsupported encoding', () => ({ headers: { 'content-encoding': 'br' } }), 415, 'unsupported_encoding'],
    ['oversize body', () => ({ body: big }), 413, 'body_too_large'],
    ['oversize after decompression', () => ({ body: bomb }), 413, 'body_too_large'],
    ['missing token', () => ({ headers: { authorization: '' } }), 401, 'missing_token'],
    ['unknown node', () => ({ node: 'stranger' }), 403, 'unknown_node'],
    ['wrong token', () => ({ token: 'xj1_wrong' }), 401, 'invalid_token'],
    ['bad signature', () => ({ headers: { 'x-xunjian-signature': `hmac-sha256=${'0'.repeat(64)}` } }), 401, 'bad_signature'],
    ['stale timestamp', () => ({ ts: String(Date.now() - 3600_000) }), 401, 'stale_timestamp'],
    ['future contract version', () => ({ body: gzipSync(Buffer.from(JSON.stringify({ ...report({ seq: 2 }), v: 2 }))) }), 400, 'unsupported_contract_version'],
    ['invalid report', () => ({ body: gzipSync(Buffer.from(JSON.stringify({ ...report({ seq: 2 }), samples: [{ name: 'x' }] }))) }), 400, 'invalid_report'],
    [
      'malformed host.posture facts',
      () => ({
        body: gzipSync(Buffer.from(JSON.stringify(report({ seq: 2, facts: { 'host.posture': { schemaVersion: 1, root: '/', live: true, facts: {} } } })))),
      }),
      400,
      'invalid_report',
    ],
    [
      'facts nested 100,000 deep',
      () => ({ body: gzipSync(Buffer.from(JSON.stringify(report({ seq: 2 })).replace('"samples":', `"facts":{"x":${nested(100_000)}},"samples":`))) }),
      400,
      'invalid_report',
    ],
    [
      'a label name over 128 characters',
      () => ({
        body: gzipSync(
          Buffer.from(JSON.stringify(report({ seq: 2, samples: [{ name: 'm', labels: { ['l'.repeat(129)]: 'v' }, value: 1, type: 'gauge', ts: 1 }] }))),
        ),
      }),
      400,
      'invalid_report',
    ],
    [
      'help over 1024 characters',
      () => ({ body: gzipSync(Buffer.from(JSON.stringify(report({ seq: 2, help: { x_total: 'h'.repeat(1025) } })))) }),
      400,
      'invalid_report',
    ],
    [
      'report for another node',
      () => ({ body: gzipSync(Buffer.from(JSON.stringify(report({ seq: 2, node: { id: 'n2', site: '', zone: 'extranet', grade: 3, labels: {} } })))) }),
      403,
      'node_mismatch',
    ],
  ];
  it.each(cases)('%s → 4xx with a JSON reason, counted, nothing stored', async (_name, make, status, error) => {
    const before = state();
    const count = await rejectedCount(error);
    const r = await post(make());
    expect(r.status).toBe(status);
    expect(r.body.error).toBe(error);
    expect(typeof r.body.message).toBe('string');
    expect(r.body.message!.length).toBeGreaterThan(5);
    expect(r.body.message).not.toContain(token);
    expect(await rejectedCount(error)).toBe(count + 1);
    expect(state()).toEqual(before);
  });

  it('answers unknown routes and methods with JSON errors', async () => {
    const a = await request(`${base}/nope`);
    expect(a.statusCode).toBe(404);
    expect(await a.body.json()).toEqual({ error: 'not_found', message: 'no route /nope' });
    const b = await request(`${base}/api/v1/reports`);
    expect(b.statusCode).toBe(405);
    expect(((await b.body.json()) as { error: string }).error).toBe('method_not_allowed');
  });

  it('answers malformed URLs and over-long headers with JSON 4xx', async () => {
    const a = await request(`${base}/api/v1/nodes/%/facts`);
    expect([a.statusCode, await a.body.json()]).toEqual([400, { error: 'bad_url', message: expect.stringContaining('percent-encoding') }]);
    const b = await request(`${base}/api/v1/nodes`, { headers: { 'x-long': 'x'.repeat(20_000) } });
    expect([b.statusCode, ((await b.body.json()) as { error: string }).error]).toEqual([431, 'headers_too_large']);
  });

  it("refuses samples with the collector's reserved names, counts them, keeps the rest", async () => {
    const samples: Sample[] = [
      { name: 'xunjian_node_up', labels: {}, value: 1, type: 'gauge' as const, ts: Date.now() },
      { name: 'ALERTS', labels: { alertname: 'fake' }, value: 1, type: 'gauge' as const, ts: Date.now() },
      { name: 'kept_metric', labels: {}, value: 7, type: 'gauge' as const, ts: Date.now() },
    ];
    const r = await post({ body: encodeReport(report({ seq: 3, samples })) });
    expect(r.body.status).toBe('accepted');
    const page = collector.series.render(Date.now());
    expect(page).toContain('kept_metric{node="n1",site="site",zone="extranet"} 7');
    expect(page).not.toContain('ALERTS');
    expect(page).not.toContain('xunjian_node_up');
    expect((await collector.metrics.samplesRefused.get()).values).toEqual([{ labels: { reason: 'reserved_name' }, value: 2 }]);
  });

  it('keeps serving after all of that', async () => {
    const r = await post({ body: encodeReport(report({ seq: 2 })) });
    expect(r).toEqual({ status: 200, body: { status: 'accepted', node: 'n1', seq: 2 } });
    expect(collector.store.seqs('n1')).toEqual([1, 2, 3]);
    const h = await request(`${base}/healthz`);
    expect(h.statusCode).toBe(200);
  });
});
