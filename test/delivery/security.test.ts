import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pushReport } from '../../agent/delivery/push.js';
import { tlsDispatcher } from '../../agent/delivery/tls.js';
import { type SignatureAlgorithm, sign, tokenDigest } from '../../contract/sign.js';
import { agent, cleanup, collector, killAll, requireBuild, tempDir } from './helpers.js';
import { waitFor } from '../helpers/proc.js';

/** Refusals with the right status, against a real collector process; TLS and mutual TLS with real certificates. */
const dirs: string[] = [];
beforeAll(requireBuild);
afterEach(killAll);
afterAll(() => cleanup(dirs));

function reportBody(node: string, seq: number, extra: Record<string, unknown> = {}): Buffer {
  const r = {
    v: 1,
    node: { id: node, site: 's', zone: 'extranet', grade: 3, labels: {} },
    agent: { version: 't', interval: 1 },
    seq,
    sentAt: Date.now(),
    samples: [],
    ...extra,
  };
  return gzipSync(`${JSON.stringify(r)}\n`);
}

interface Req {
  url: string;
  node: string;
  token: string;
  body: Buffer;
  alg?: SignatureAlgorithm;
  ts?: number;
  signedBody?: Buffer;
  path?: string;
  type?: string;
}

function headersFor(r: Req): Record<string, string> {
  const ts = String(r.ts ?? Date.now());
  return {
    'content-type': r.type ?? 'application/json',
    'content-encoding': 'gzip',
    authorization: `Bearer ${r.token}`,
    'x-xunjian-node': r.node,
    'x-xunjian-timestamp': ts,
    'x-xunjian-signature': sign(r.alg ?? 'hmac-sm3', tokenDigest(r.token), ts, r.signedBody ?? r.body),
  };
}

async function post(url: string, path: string, headers: Record<string, string>, body: Buffer) {
  const res = await request(new URL(path, url), { method: 'POST', headers, body });
  return { status: res.statusCode, headers: res.headers, json: (await res.body.json()) as Record<string, unknown> };
}

const send = (r: Req) => post(r.url, r.path ?? '/api/v1/reports', headersFor(r), r.body);

describe('collector refusals (real process, hmac-sm3 only)', () => {
  it('tampered body, wrong algorithm, replay (also after restart), expired timestamp, revoked token, rate limit, batch', async () => {
    const c = await collector({ ingest: { signatureAlgorithms: ['hmac-sm3'], maxClockSkewSeconds: 30, rateLimit: { requestsPerSecond: 0.1, burst: 10 } } });
    dirs.push(c.dir);
    const tok = c.token('sec-a');
    await c.start();
    const base = { url: c.url, node: 'sec-a', token: tok };

    const ok = await send({ ...base, body: reportBody('sec-a', 1) });
    expect(ok).toMatchObject({ status: 200, json: { status: 'accepted', node: 'sec-a', seq: 1 } });

    // tampered: signed one body, sent another
    const tampered = await send({ ...base, body: reportBody('sec-a', 2, { sentAt: 1 }), signedBody: reportBody('sec-a', 2) });
    expect(tampered).toMatchObject({ status: 401, json: { error: 'bad_signature', message: 'signature does not match body and timestamp' } });

    // wrong algorithm: a correct hmac-sha256 signature where only hmac-sm3 is accepted
    const wrongAlg = await send({ ...base, body: reportBody('sec-a', 3), alg: 'hmac-sha256' });
    expect(wrongAlg).toMatchObject({
      status: 401,
      json: { error: 'bad_signature', message: 'signature algorithm hmac-sha256 is not accepted here (accepted: hmac-sm3)' },
    });

    // replay: the very same signed request again
    const body4 = reportBody('sec-a', 4);
    const h4 = headersFor({ ...base, body: body4 });
    expect((await post(c.url, '/api/v1/reports', h4, body4)).json).toMatchObject({ status: 'accepted', seq: 4 });
    const replay = await post(c.url, '/api/v1/reports', h4, body4);
    expect(replay).toMatchObject({ status: 401, json: { error: 'replayed' } });
    // a fresh signature of the same report is a legitimate retry: acknowledged as duplicate
    expect((await send({ ...base, body: body4 })).json).toMatchObject({ status: 'duplicate', seq: 4 });

    // expired: a correctly signed request whose timestamp is outside the 30 s window
    const stale = await send({ ...base, body: reportBody('sec-a', 5), ts: Date.now() - 31_000 });
    expect(stale).toMatchObject({ status: 401, json: { error: 'stale_timestamp' } });
    const future = await send({ ...base, body: reportBody('sec-a', 5), ts: Date.now() + 31_000 });
    expect(future).toMatchObject({ status: 401, json: { error: 'stale_timestamp' } });

    // batch: one request, per-line results in order; a bad line does not stop the others
    const batchBody = Buffer.concat([reportBody('sec-a', 6), gzipSync('{"v":1,"seq":7}\n'), reportBody('sec-a', 4), reportBody('sec-a', 8)]);
    const batch = await send({ ...base, body: batchBody, path: '/api/v1/reports/batch', type: 'application/x-ndjson' });
    expect(batch.status).toBe(200);
    expect(batch.json.results).toEqual([
      { status: 'accepted', node: 'sec-a', seq: 6 },
      expect.objectContaining({ error: 'invalid_report', line: 2, seq: 7 }),
      { status: 'duplicate', node: 'sec-a', seq: 4 },
      { status: 'accepted', node: 'sec-a', seq: 8 },
    ]);
    const wrongType = await send({ ...base, body: batchBody, path: '/api/v1/reports/batch' });
    expect(wrongType).toMatchObject({ status: 415, json: { error: 'unsupported_media_type' } });

    // replay protection survives a collector restart
    await c.stop();
    await c.start();
    expect(await post(c.url, '/api/v1/reports', h4, body4)).toMatchObject({ status: 401, json: { error: 'replayed' } });

    // revoked token: with no active token left the node is unknown (403); with a new token the old one is invalid (401)
    c.revoke('sec-a');
    expect(await send({ ...base, body: reportBody('sec-a', 9) })).toMatchObject({ status: 403, json: { error: 'unknown_node' } });
    const tok2 = c.token('sec-a');
    expect(await send({ ...base, body: reportBody('sec-a', 9) })).toMatchObject({ status: 401, json: { error: 'invalid_token' } });
    expect(await send({ ...base, token: tok2, body: reportBody('sec-a', 9) })).toMatchObject({ status: 200, json: { status: 'accepted' } });
    // out of order: an older seq arriving late is stored; the node's last seq stays the highest
    expect(await send({ ...base, token: tok2, body: reportBody('sec-a', 2) })).toMatchObject({ status: 200, json: { status: 'accepted', seq: 2 } });
    expect(c.receipts('sec-a').map((r) => r.seq)).toEqual([1, 2, 4, 6, 8, 9]);
    const nodes = (await (await fetch(`${c.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${c.apiToken()}` } })).json()) as {
      nodes: { id: string; lastSeq: number; reports: number }[];
    };
    expect(nodes.nodes.find((n) => n.id === 'sec-a')).toMatchObject({ lastSeq: 9, reports: 6 });

    // rate limit: burst of 10 per node (refilling at 0.1/s), then 429 with Retry-After; other nodes unaffected
    const tokR = c.token('sec-rl');
    const answers: number[] = [];
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 1; i <= 12; i++) {
      const a = await send({ url: c.url, node: 'sec-rl', token: tokR, body: reportBody('sec-rl', i) });
      answers.push(a.status);
      if (a.status === 429) limited ??= a;
    }
    expect(answers.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(answers.slice(10)).toEqual([429, 429]);
    expect(limited).toMatchObject({ json: { error: 'rate_limited' } });
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(8); // ~10 s until the next token
    expect(Number(limited!.headers['retry-after'])).toBeLessThanOrEqual(10);

    const m = await c.metrics();
    expect(m).toContain('xunjian_collector_reports_rejected_total{reason="rate_limited"} 2');
    expect(m).toContain('xunjian_collector_reports_rejected_total{reason="invalid_token"} 1');
    expect(m).toContain('xunjian_collector_reports_rejected_total{reason="unknown_node"} 1');
    expect(m).toContain('xunjian_collector_reports_rejected_total{reason="replayed"} 1'); // since the restart
    expect(m).toMatch(/xunjian_collector_node_report_lag_seconds\{node="sec-rl"\} [0-9.]+/);
    // secrets never in the collector's log
    expect(c.proc!.log).not.toContain(tok);
    expect(c.proc!.log).not.toContain(tokR);
  }, 30_000);

  it('a real agent signing with hmac-sm3 is accepted; one signing with hmac-sha256 is refused', async () => {
    const c = await collector({ ingest: { signatureAlgorithms: ['hmac-sm3'] } });
    dirs.push(c.dir);
    const t1 = c.token('sm3-node');
    const t2 = c.token('sha-node');
    await c.start();
    const good = agent('sm3-node', { collector: { url: c.url, token: t1, signature: 'hmac-sm3', timeoutSeconds: 2 } });
    const bad = agent('sha-node', { collector: { url: c.url, token: t2, signature: 'hmac-sha256', timeoutSeconds: 2 } });
    dirs.push(good.dir, bad.dir);
    good.start();
    bad.start();
    await waitFor(() => c.receipts('sm3-node').length >= 2, 20_000, 'sm3 agent reports');
    await waitFor(() => bad.proc!.log.includes('error=bad_signature'), 20_000, 'sha256 agent refused');
    expect(c.receipts('sha-node')).toEqual([]);
    expect(bad.spooled().length).toBeGreaterThanOrEqual(1); // kept for when the config is fixed
    await good.stop();
    await bad.stop();
    expect(good.proc!.log).not.toContain(t1);
    expect(bad.proc!.log).not.toContain(t2);
  });
});

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI. */
function makePki(dir: string): { ca: string; caFp: string; otherFp: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=xunjian test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=other CA']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(dir, ['req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'tls-node'}`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${who}.pem`,
      '-days',
      '2',
      '-extfile',
      `${who}.ext`,
    ]);
  }
  const fp = (f: string) => new X509Certificate(readFileSync(join(dir, f))).fingerprint256;
  return {
    ca: join(dir, 'ca.pem'),
    caFp: fp('ca.pem'),
    otherFp: fp('other.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}

describe('HTTPS with CA pinning and mutual TLS (real collector, openssl-made certificates)', () => {
  it('accepts a pinned, client-authenticated agent; refuses without client cert, with a wrong pin, with untrusted CA', async () => {
    const pkiDir = tempDir('pki');
    dirs.push(pkiDir);
    const pki = makePki(pkiDir);
    const c = await collector({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.ca, requireClientCert: true } }, 'https');
    dirs.push(c.dir);
    const token = c.token('tls-node');
    await c.start();
    const tls = { name: '', caFile: pki.ca, pinnedCaSha256: [pki.caFp], certFile: pki.clientCert, keyFile: pki.clientKey };
    const target = (over: Partial<typeof tls>) => ({
      url: c.url,
      token,
      signature: 'hmac-sha256' as const,
      timeoutMs: 3000,
      dispatcher: tlsDispatcher({ ...tls, ...over }, 'collector'),
    });

    expect(await pushReport(target({}), 'tls-node', reportBody('tls-node', 1))).toMatchObject({ kind: 'ack', status: 200 });
    const noClientCert = await pushReport(target({ certFile: '', keyFile: '' }), 'tls-node', reportBody('tls-node', 2));
    expect(noClientCert.kind).toBe('retry');
    const wrongPin = await pushReport(target({ pinnedCaSha256: [pki.otherFp] }), 'tls-node', reportBody('tls-node', 2));
    expect(wrongPin).toMatchObject({ kind: 'retry', message: expect.stringContaining('pinned CA fingerprints') });
    const untrusted = await pushReport(target({ caFile: '', pinnedCaSha256: [] }), 'tls-node', reportBody('tls-node', 2));
    expect(untrusted).toMatchObject({ kind: 'retry', error: expect.stringMatching(/CERT|SELF_SIGNED|UNABLE/) });
    expect(() => tlsDispatcher({ ...tls, keyFile: '' }, 'collectors.0')).toThrow('collectors.0.keyFile: certFile and keyFile go together (mutual TLS)');

    // and a real agent process configured for it
    const a = agent('tls-node', {
      collector: { url: c.url, token, timeoutSeconds: 3, caFile: pki.ca, pinnedCaSha256: [pki.caFp], certFile: pki.clientCert, keyFile: pki.clientKey },
    });
    dirs.push(a.dir);
    a.start();
    await waitFor(() => c.receipts('tls-node').length >= 3, 20_000, 'reports over mutual TLS');
    await a.stop();
  }, 30_000);
});
