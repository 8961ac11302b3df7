import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type Server, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.js';
import { startDnsServer } from '../../../test/helpers/dns-server.js';
import { fetchOver, probeDns, probeIcmp, probeTcp } from './probes.js';
import { outcomeSamples } from './samples.js';
import { createProbeSource } from './source.js';

/** Probes against real servers on loopback, over both families, names from a real DNS server. */
let dns: Awaited<ReturnType<typeof startDnsServer>>;
const servers: { close: (cb: () => void) => void }[] = [];
let tcpPort = 0;
let httpPort = 0;
let httpsPort = 0;
let certExpiry = 0;

async function listen<T extends Server | ReturnType<typeof createTcpServer>>(s: T, host: string, port = 0): Promise<number> {
  await new Promise<void>((r) => s.listen(port, host, () => r()));
  servers.push(s);
  return (s.address() as { port: number }).port;
}

beforeAll(async () => {
  dns = await startDnsServer({
    'dual.test': { a: ['127.0.0.1'], aaaa: ['::1'] },
    'v4only.test': { a: ['127.0.0.1'] },
  });
  tcpPort = await listen(createTcpServer((c) => c.end()), '127.0.0.1');
  await listen(createTcpServer((c) => c.end()), '::1', tcpPort);
  const handler = (_req: unknown, res: import('node:http').ServerResponse) => res.end('hello, 政务');
  httpPort = await listen(createHttpServer(handler), '127.0.0.1');
  await listen(createHttpServer(handler), '::1', httpPort);
  const dir = mkdtempSync(join(tmpdir(), 'xj-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=dual.test', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  const end = execFileSync('openssl', ['x509', '-enddate', '-noout', '-in', join(dir, 'c.pem')], { encoding: 'utf8' }).trim().replace('notAfter=', '');
  certExpiry = Date.parse(end) / 1000;
  httpsPort = await listen(createHttpsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, handler), '::1');
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await dns.close();
});

const o = () => ({ timeoutSeconds: 3, resolver: dns.server });

describe('dns probe', () => {
  it.each([
    ['dual.test', 6, true, 1, undefined],
    ['dual.test', 4, true, 1, undefined],
    ['v4only.test', 6, false, 0, 'no_aaaa'],
    ['missing.test', 4, false, 0, 'no_a'],
  ] as const)('%s over IPv%i', async (name, ip, success, answers, reason) => {
    const r = await probeDns(name, ip, o());
    expect(r.success).toBe(success);
    expect(r.dns!.answers).toBe(answers);
    expect(r.reason).toBe(reason);
  });
});

describe('tcp probe', () => {
  it('connects over the forced family', async () => {
    const v6 = await probeTcp(`dual.test:${tcpPort}`, 6, o());
    expect(v6).toMatchObject({ success: true, address: '::1', ip: 6 });
    const v4 = await probeTcp(`dual.test:${tcpPort}`, 4, o());
    expect(v4).toMatchObject({ success: true, address: '127.0.0.1', ip: 4 });
  });
  it.each([
    ['v4only.test:1', 6, 'no_aaaa'],
    ['[::1]:1', 6, 'connect_refused'],
    ['127.0.0.1:80', 6, 'wrong_family'],
    ['nonsense', 4, 'bad_target'],
  ] as const)('%s over IPv%i fails with %s', async (target, ip, reason) => {
    const r = await probeTcp(target, ip, o());
    expect(r.success).toBe(false);
    expect(r.reason).toBe(reason);
  });
});

describe('http probe', () => {
  it('fetches over IPv6 and IPv4 with phases and body size', async () => {
    for (const ip of [6, 4] as const) {
      const { outcome: r, body } = await fetchOver(`http://dual.test:${httpPort}/`, ip, o(), true);
      expect(r.success).toBe(true);
      expect(r.address).toBe(ip === 6 ? '::1' : '127.0.0.1');
      expect(r.http!.status).toBe(200);
      expect(r.http!.bodyBytes).toBe(Buffer.byteLength('hello, 政务'));
      expect(body).toBe('hello, 政务');
      expect(r.http!.tls).toBe(false);
      const p = r.http!.phases;
      const sum = p.resolve + p.connect + p.tls + p.processing + p.transfer;
      expect(sum).toBeCloseTo(r.durationSeconds, 2);
    }
  });
  it('reports the certificate expiry over TLS, and a TLS error when it does not verify', async () => {
    const ok = (await fetchOver(`https://dual.test:${httpsPort}/`, 6, { ...o(), insecureTls: true })).outcome;
    expect(ok.success).toBe(true);
    expect(ok.http!.tls).toBe(true);
    expect(ok.http!.certExpiry).toBe(certExpiry);
    const bad = (await fetchOver(`https://dual.test:${httpsPort}/`, 6, o())).outcome;
    expect(bad.success).toBe(false);
    expect(bad.reason).toBe('tls_error');
  });
  it('fails clearly without AAAA', async () => {
    const r = (await fetchOver(`http://v4only.test:${httpPort}/`, 6, o())).outcome;
    expect(r).toMatchObject({ success: false, reason: 'no_aaaa' });
  });
});

describe('icmp probe (system ping)', () => {
  it.each([6, 4] as const)('IPv%i loopback round: 3 sent, 3 received', async (ip) => {
    const r = await probeIcmp('dual.test', ip, { ...o(), count: 3, packetIntervalSeconds: 0.2 });
    expect(r.error).toBeUndefined();
    expect(r.icmp).toMatchObject({ sent: 3, received: 3, loss: 0 });
    expect(r.icmp!.min!).toBeLessThanOrEqual(r.icmp!.avg!);
    expect(r.icmp!.avg!).toBeLessThanOrEqual(r.icmp!.max!);
  });

  it('says clearly when ICMP is not permitted', async () => {
    const r = await probeIcmp('127.0.0.1', 4, { ...o(), exec: async () => ({ stdout: '', stderr: 'ping: socket: Operation not permitted\n', code: 2 }) });
    expect(r.reason).toBe('icmp_not_permitted');
    expect(r.error).toContain('net.ipv4.ping_group_range');
  });
});

describe('samples', () => {
  it('keeps blackbox names and accumulates ICMP counters across rounds', async () => {
    const src = createProbeSource({ name: 'lo', type: 'icmp', target: 'dual.test', ip: 'both', intervalSeconds: 60, timeoutSeconds: 2, count: 2, packetIntervalSeconds: 0.2, insecureTls: false }, dns.server);
    const ctx = { signal: new AbortController().signal, log: createLogger({ level: 'error' }), now: () => 1000 };
    await src.collect(ctx);
    const { samples } = await src.collect(ctx);
    const v = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
    expect(v('probe_success', { ip: '6' })).toBe(1);
    expect(v('probe_ip_protocol', { ip: '6' })).toBe(6);
    expect(v('probe_icmp_requests_total', { ip: '4' })).toBe(4);
    expect(v('probe_icmp_responses_total', { ip: '4' })).toBe(4);
    expect(v('probe_dualstack_both_success', { probe: 'lo' })).toBe(1);
    expect(v('probe_dualstack_latency_ratio', { probe: 'lo' })).toBeGreaterThan(0);
  });

  it('renders an HTTP outcome exactly', () => {
    const s = outcomeSamples(
      'site',
      { type: 'http', target: 'https://x/', ip: 6, success: false, durationSeconds: 0.5, reason: 'http_status', http: { status: 503, tls: true, certExpiry: 1800000000, bodyBytes: 10, phases: { resolve: 0.1, connect: 0.1, tls: 0.1, processing: 0.1, transfer: 0.1 } } },
      7,
    );
    const l = { probe: 'site', target: 'https://x/', ip: '6' };
    expect(s.map((x) => [x.name, x.labels.phase ?? '', x.value])).toEqual([
      ['probe_success', '', 0],
      ['probe_duration_seconds', '', 0.5],
      ['probe_ip_protocol', '', 6],
      ['probe_http_status_code', '', 503],
      ['probe_http_duration_seconds', 'resolve', 0.1],
      ['probe_http_duration_seconds', 'connect', 0.1],
      ['probe_http_duration_seconds', 'tls', 0.1],
      ['probe_http_duration_seconds', 'processing', 0.1],
      ['probe_http_duration_seconds', 'transfer', 0.1],
      ['probe_http_content_length', '', 10],
      ['probe_http_ssl', '', 1],
      ['probe_ssl_earliest_cert_expiry', '', 1800000000],
    ]);
    expect(s[0]!.labels).toEqual(l);
  });
});
