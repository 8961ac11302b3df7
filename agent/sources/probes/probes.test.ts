import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, type ServerResponse, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.js';
import { startDnsServer } from '../../../test/helpers/dns-server.js';
import { listenDual, listenOn, refusedPort } from '../../../test/helpers/net.js';
import { type ProbesSourceConfig, probeScheduleProblem } from './config.js';
import { fetchOver } from '../../net/http.js';
import { type ExecResult, probeDns, probeIcmp, probeTcp, runProbe } from './probes.js';
import { ipAddrHash, outcomeSamples } from './samples.js';
import { createProbeSource } from './source.js';

/** Probes against real servers on loopback, over both families, names from a real DNS server. */
let dns: Awaited<ReturnType<typeof startDnsServer>>;
const servers: Server[] = [];
const tcpServers: ReturnType<typeof createTcpServer>[] = [];
let tcpPort = 0;
let closedPort = 0;
let httpPort = 0;
let httpsPort = 0;
let caHttpsPort = 0;
let certExpiry = 0;
let leafExpiry = 0;
let caExpiry = 0;
let caPem = '';
let intExpiry = 0;
let chainHttpsPort = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** At least `ms` of real time (a timer may fire early against performance.now by the loop's cached clock). */
async function sleepAtLeast(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) await sleep(Math.ceil(end - performance.now()));
}

function track(s: Server | ReturnType<typeof createTcpServer>): void {
  if ('closeAllConnections' in s) servers.push(s as Server);
  else tcpServers.push(s);
}

async function listen<T extends Server | ReturnType<typeof createTcpServer>>(s: T, host: string): Promise<number> {
  const p = await listenOn(s, host);
  track(s);
  return p;
}

/** One port on 127.0.0.1 and [::1] (retried when taken on ::1). */
async function listenBoth<T extends Server | ReturnType<typeof createTcpServer>>(v4: T, v6: T): Promise<number> {
  const p = await listenDual(v4, v6);
  track(v4);
  track(v6);
  return p;
}

const BODY = 'hello, 政务';
async function handler(req: import('node:http').IncomingMessage, res: ServerResponse) {
  switch (req.url) {
    case '/':
      return res.end(BODY); // Content-Length set by Node
    case '/chunked':
      res.write('hello, ');
      return res.end('政务'); // chunked: no Content-Length
    case '/slow-phases': // ~200 ms before the headers and in the middle of the body (210: loopback latency margin)
      await sleepAtLeast(210);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first half ');
      await sleepAtLeast(210);
      return res.end('second half');
    case '/dribble': // each phase well within 1 s, the whole over 1.2 s
      await sleep(400);
      res.writeHead(200);
      res.write('a');
      await sleep(400);
      res.write('b');
      await sleep(400);
      return res.end('c');
    case '/big':
      res.writeHead(200, { 'content-length': String(1_000_000) });
      return res.end(Buffer.alloc(1_000_000, 97));
    case '/redirect':
      return res.writeHead(301, { location: '/' }).end();
    case '/loop':
      return res.writeHead(302, { location: '/loop' }).end();
    case '/missing':
      return res.writeHead(404).end('no');
    default:
      return res.writeHead(500).end();
  }
}

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
const notAfter = (dir: string, file: string) => Date.parse(openssl(dir, 'x509', '-enddate', '-noout', '-in', file).trim().replace('notAfter=', '')) / 1000;

beforeAll(async () => {
  dns = await startDnsServer({
    'dual.test': { a: ['127.0.0.1'], aaaa: ['::1'] },
    'v4only.test': { a: ['127.0.0.1'] },
    'silent.test': { silent: true },
  });
  tcpPort = await listenBoth(
    createTcpServer((c) => c.end()),
    createTcpServer((c) => c.end()),
  );
  closedPort = await refusedPort();
  httpPort = await listenBoth(createHttpServer(handler), createHttpServer(handler));
  const dir = mkdtempSync(join(tmpdir(), 'xj-tls-'));
  // self-signed server certificate
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=dual.test', '-keyout', 'k.pem', '-out', 'c.pem');
  certExpiry = notAfter(dir, 'c.pem');
  httpsPort = await listen(createHttpsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, handler), '::1');
  // a test CA (expiring first) and a leaf for dual.test it signed; the server sends the leaf only
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '10', '-subj', '/CN=Xunjian test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  openssl(dir, 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=dual.test', '-keyout', 'leaf.key', '-out', 'leaf.csr');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:dual.test\nbasicConstraints=CA:FALSE\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '20',
    '-extfile',
    'ext.cnf',
    '-out',
    'leaf.pem',
  );
  caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  caExpiry = notAfter(dir, 'ca.pem');
  leafExpiry = notAfter(dir, 'leaf.pem');
  caHttpsPort = await listen(createHttpsServer({ key: readFileSync(join(dir, 'leaf.key')), cert: readFileSync(join(dir, 'leaf.pem')) }, handler), '::1');
  // an intermediate CA expiring first of all, which the server sends after its leaf
  writeFileSync(join(dir, 'ca-ext.cnf'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  openssl(dir, 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Xunjian test intermediate', '-keyout', 'int.key', '-out', 'int.csr');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '5',
    '-extfile',
    'ca-ext.cnf',
    '-out',
    'int.pem',
  );
  openssl(dir, 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=dual.test', '-keyout', 'leaf2.key', '-out', 'leaf2.csr');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'leaf2.csr',
    '-CA',
    'int.pem',
    '-CAkey',
    'int.key',
    '-CAcreateserial',
    '-days',
    '20',
    '-extfile',
    'ext.cnf',
    '-out',
    'leaf2.pem',
  );
  intExpiry = notAfter(dir, 'int.pem');
  chainHttpsPort = await listen(
    createHttpsServer(
      { key: readFileSync(join(dir, 'leaf2.key')), cert: readFileSync(join(dir, 'leaf2.pem'), 'utf8') + readFileSync(join(dir, 'int.pem'), 'utf8') },
      handler,
    ),
    '::1',
  );
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  for (const s of tcpServers) await new Promise<void>((r) => s.close(() => r()));
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
  it('connects over the forced family, timing the name lookup', async () => {
    const v6 = await probeTcp(`dual.test:${tcpPort}`, 6, o());
    expect(v6).toMatchObject({ success: true, address: '::1', ip: 6 });
    expect(v6.lookupSeconds).toBeGreaterThan(0);
    const v4 = await probeTcp(`dual.test:${tcpPort}`, 4, o());
    expect(v4).toMatchObject({ success: true, address: '127.0.0.1', ip: 4 });
    expect((await probeTcp(`[::1]:${tcpPort}`, 6, o())).lookupSeconds).toBe(0);
  });
  it.each([
    ['v4only.test:1', 6, 'no_aaaa'],
    ['[::1]:CLOSED', 6, 'connect_refused'],
    ['127.0.0.1:80', 6, 'wrong_family'],
    ['nonsense', 4, 'bad_target'],
  ] as const)('%s over IPv%i fails with %s', async (target, ip, reason) => {
    const r = await probeTcp(target.replace('CLOSED', String(closedPort)), ip, o());
    expect(r.success).toBe(false);
    expect(r.reason).toBe(reason);
  });
});

describe('http probe', () => {
  it('fetches over IPv6 and IPv4 with phases, body size and Content-Length', async () => {
    for (const ip of [6, 4] as const) {
      const { outcome: r, body } = await fetchOver(`http://dual.test:${httpPort}/`, ip, o(), true);
      expect(r.success).toBe(true);
      expect(r.address).toBe(ip === 6 ? '::1' : '127.0.0.1');
      expect(r.http).toMatchObject({
        status: 200,
        bodyBytes: Buffer.byteLength(BODY),
        contentLength: Buffer.byteLength(BODY),
        tls: false,
        tlsVersion: null,
        truncated: false,
        redirects: 0,
      });
      expect(body?.toString('utf8')).toBe(BODY);
      const p = r.http!.phases;
      expect(p.resolve).toBeGreaterThanOrEqual(r.lookupSeconds!);
      const sum = p.resolve + p.connect + p.tls + p.processing + p.transfer;
      expect(sum).toBeCloseTo(r.durationSeconds, 2);
    }
  });
  it('reports Content-Length -1 when the response has none', async () => {
    const r = (await fetchOver(`http://dual.test:${httpPort}/chunked`, 6, o())).outcome;
    expect(r.http).toMatchObject({ contentLength: -1, bodyBytes: Buffer.byteLength(BODY) });
  });
  it('times processing (to the first byte) and transfer separately', async () => {
    const http = (await fetchOver(`http://dual.test:${httpPort}/slow-phases`, 4, o())).outcome;
    expect(http.success).toBe(true);
    expect(http.http!.phases.processing).toBeGreaterThanOrEqual(0.2);
    expect(http.http!.phases.transfer).toBeGreaterThanOrEqual(0.2);
    expect(http.http!.phases.tls).toBe(0);
    const https = (await fetchOver(`https://dual.test:${httpsPort}/slow-phases`, 6, { ...o(), insecureTls: true })).outcome;
    expect(https.success).toBe(true);
    expect(https.http!.phases.tls).toBeGreaterThan(0);
    expect(https.http!.phases.processing).toBeGreaterThanOrEqual(0.2);
    expect(https.http!.phases.transfer).toBeGreaterThanOrEqual(0.2);
  });
  it('bounds the whole request by the timeout, not each phase', async () => {
    const r = (await fetchOver(`http://dual.test:${httpPort}/dribble`, 6, { ...o(), timeoutSeconds: 1 })).outcome;
    expect(r).toMatchObject({ success: false, reason: 'timeout' });
    const ok = (await fetchOver(`http://dual.test:${httpPort}/dribble`, 6, { ...o(), timeoutSeconds: 3 })).outcome;
    expect(ok.success).toBe(true);
  });
  it('reads the body up to the cap', async () => {
    const r = (await fetchOver(`http://dual.test:${httpPort}/big`, 6, { ...o(), maxBodyBytes: 1000 })).outcome;
    expect(r.http).toMatchObject({ status: 200, bodyBytes: 1000, truncated: true, contentLength: 1_000_000 });
  });
  it.each([
    ['/missing', 'http_status'],
    ['/loop', 'too_many_redirects'],
  ])('%s fails with %s', async (path, reason) => {
    const r = await runProbe('http', `http://dual.test:${httpPort}${path}`, 6, o());
    expect(r).toMatchObject({ success: false, reason });
  });
  it('fails with connect_refused on a closed port', async () => {
    expect(await runProbe('http', `http://dual.test:${closedPort}/`, 6, o())).toMatchObject({ success: false, reason: 'connect_refused' });
  });
  it('follows redirects over the same family and reports the final response', async () => {
    const r = await runProbe('http', `http://dual.test:${httpPort}/redirect`, 4, o());
    expect(r).toMatchObject({ success: true, target: `http://dual.test:${httpPort}/redirect`, address: '127.0.0.1' });
    expect(r.http).toMatchObject({ status: 200, redirects: 1, url: `http://dual.test:${httpPort}/`, bodyBytes: Buffer.byteLength(BODY) });
    const none = await runProbe('http', `http://dual.test:${httpPort}/redirect`, 4, { ...o(), maxRedirects: 0 });
    expect(none.http).toMatchObject({ status: 301, redirects: 0 });
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
  it('verifies against a given CA, by the URL host name while connecting to the resolved address', async () => {
    expect(caExpiry).toBeLessThan(leafExpiry);
    const ok = (await fetchOver(`https://dual.test:${caHttpsPort}/`, 6, { ...o(), ca: caPem })).outcome;
    expect(ok).toMatchObject({ success: true, address: '::1' });
    // the chain the server sent is the leaf alone: the CA from the trust store is not counted
    expect(ok.http).toMatchObject({ tls: true, tlsVersion: 'TLS 1.3', certExpiry: leafExpiry });
    // the same server by its address: the certificate does not name ::1
    const byIp = (await fetchOver(`https://[::1]:${caHttpsPort}/`, 6, { ...o(), ca: caPem })).outcome;
    expect(byIp).toMatchObject({ success: false, reason: 'tls_error' });
    // without the CA: unknown issuer
    const noCa = (await fetchOver(`https://dual.test:${caHttpsPort}/`, 6, o())).outcome;
    expect(noCa).toMatchObject({ success: false, reason: 'tls_error' });
  });
  it.each(['icmp', 'tcp', 'http'] as const)('%s: a resolver that never answers is a timeout within the probe timeout', async (type) => {
    const target = type === 'http' ? `http://silent.test:${httpPort}/` : type === 'tcp' ? `silent.test:${httpPort}` : 'silent.test';
    const r = await runProbe(type, target, 6, { ...o(), timeoutSeconds: 0.5 });
    expect(r).toMatchObject({ success: false, reason: 'timeout' });
    expect(r.lookupSeconds).toBeUndefined();
  });
  it('takes the earliest expiry over the chain the server sent, intermediates included', async () => {
    expect(intExpiry).toBeLessThan(caExpiry);
    const r = (await fetchOver(`https://dual.test:${chainHttpsPort}/`, 6, { ...o(), ca: caPem })).outcome;
    expect(r).toMatchObject({ success: true });
    expect(r.http!.certExpiry).toBe(intExpiry);
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
    expect(r.lookupSeconds).toBeGreaterThan(0);
  });

  const fake = (res: ExecResult) => async () => res;
  const iputils = (sent: number, lines: string[], received = lines.length) =>
    `PING x\n${lines.join('\n')}\n--- x ping statistics ---\n${sent} packets transmitted, ${received} received, 0% packet loss\n`;
  it.each([
    ['not permitted', { stdout: '', stderr: 'ping: socket: Operation not permitted\n', code: 2 }, 'icmp_not_permitted'],
    ['killed by the time budget', { stdout: '64 bytes from ::1: icmp_seq=1 ttl=64 time=0.1 ms\n', stderr: '', code: 2, killed: true }, 'timeout'],
    ['reply lines not understood', { stdout: iputils(2, ['64 bytes from ::1: icmp_seq=1 ttl=64 time<0.1 ms'], 1), stderr: '', code: 0 }, 'ping_format'],
    ['no summary', { stdout: '64 bytes from ::1: icmp_seq=1 ttl=64 time=0.1 ms\n', stderr: '', code: 0 }, 'ping_format'],
  ] as const)('%s → %s', async (_n, res, reason) => {
    const r = await probeIcmp('::1', 6, { ...o(), exec: fake(res) });
    expect(r).toMatchObject({ success: false, reason });
    expect(r.icmp).toBeUndefined();
    if (reason === 'icmp_not_permitted') expect(r.error).toContain('net.ipv4.ping_group_range');
  });
  it('takes the counts from ping, not from the configuration', async () => {
    // iputils sent 4 of 5 requests (its deadline) and 2 came back
    const stdout = iputils(4, ['64 bytes from ::1: icmp_seq=1 ttl=64 time=1.0 ms', '64 bytes from ::1: icmp_seq=2 ttl=64 time=3.0 ms']);
    const r = await probeIcmp('::1', 6, { ...o(), count: 5, exec: fake({ stdout, stderr: '', code: 1, spawnSeconds: 0.004 }) });
    expect(r.icmp).toEqual({ sent: 4, received: 2, loss: 0.5, min: 0.001, avg: 0.002, max: 0.003, jitter: 0.002, setupSeconds: 0.004 });
    expect(r.success).toBe(true);
  });
  // 100 × 0.2 s: without the kill, this would outlast the 10 s test timeout
  it('kills ping when the run is aborted', { timeout: 10_000 }, async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await probeIcmp('::1', 6, { ...o(), count: 100, packetIntervalSeconds: 0.2, signal: ac.signal });
    expect(r).toMatchObject({ success: false, reason: 'aborted' });
  });
});

describe('config', () => {
  const t = (x: Partial<ProbesSourceConfig['targets'][number]>) => ({
    name: 'p',
    type: 'icmp' as const,
    target: 'x',
    ip: 'both' as const,
    intervalSeconds: 60,
    timeoutSeconds: 5,
    count: 5,
    packetIntervalSeconds: 0.5,
    insecureTls: false,
    ...x,
  });
  it.each([
    ['defaults fit', [t({})], null],
    // 100 × 0.5 + 5 = 55 ≥ 54
    [
      'icmp round too long',
      [t({}), t({ name: 'big', count: 100 })],
      {
        key: 'sources.probes.targets.1',
        expected: "count × packetIntervalSeconds + timeoutSeconds (100 × 0.5 + 5 = 55 s) below 0.9 × intervalSeconds (54 s) of probe 'big'",
      },
    ],
    ['icmp round just fits', [t({ count: 97 })], null], // 53.5 < 54
    [
      'http timeout too long',
      [t({ type: 'http', intervalSeconds: 5, timeoutSeconds: 5 })],
      { key: 'sources.probes.targets.0', expected: "timeoutSeconds (5 s) below 0.9 × intervalSeconds (4.5 s) of probe 'p'" },
    ],
    ['tcp fits', [t({ type: 'tcp', intervalSeconds: 10, timeoutSeconds: 5 })], null],
  ])('%s', (_n, targets, problem) => expect(probeScheduleProblem({ resolver: '', targets })).toEqual(problem));
});

describe('samples', () => {
  // FNV-1a 32 over the packed address, worked out with Python's ipaddress module
  it.each([
    ['127.0.0.1', 3668918509],
    ['::1', 1751717746],
    ['2001:db8::8a2e:370:7334', 1353908295],
    ['::ffff:10.1.2.3', 2037296051],
    ['fd00:203::2', 248806765],
    ['dual.test', null],
  ])('probe_ip_addr_hash of %s is %s', (a, h) => expect(ipAddrHash(a)).toBe(h));

  it('keeps blackbox names and accumulates ICMP counters across rounds', async () => {
    const src = createProbeSource(
      {
        name: 'lo',
        type: 'icmp',
        target: 'dual.test',
        ip: 'both',
        intervalSeconds: 60,
        timeoutSeconds: 2,
        count: 2,
        packetIntervalSeconds: 0.2,
        insecureTls: false,
      },
      dns.server,
    );
    const ctx = { signal: new AbortController().signal, log: createLogger({ level: 'error' }), now: () => 1000 };
    await src.collect(ctx);
    const { samples } = await src.collect(ctx);
    const v = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
    expect(v('probe_success', { ip: '6' })).toBe(1);
    expect(v('probe_ip_protocol', { ip: '6' })).toBe(6);
    expect(v('xunjian_probe_icmp_requests_total', { ip: '4' })).toBe(4);
    expect(v('xunjian_probe_icmp_responses_total', { ip: '4' })).toBe(4);
    expect(v('probe_icmp_duration_seconds', { ip: '4', phase: 'resolve' })).toBeGreaterThan(0);
    expect(v('probe_icmp_duration_seconds', { ip: '4', phase: 'rtt' })).toBe(v('xunjian_probe_icmp_rtt_seconds', { ip: '4', stat: 'avg' }));
    expect(v('probe_dns_lookup_time_seconds', { ip: '6' })).toBeGreaterThan(0);
    expect(v('xunjian_probe_dualstack_both_success', { probe: 'lo' })).toBe(1);
    expect(v('xunjian_probe_dualstack_latency_ratio', { probe: 'lo' })).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'xunjian_probe_failure_info')).toBe(false);
  });

  it('warns once when a probe starts failing or fails differently, and emits the reason', async () => {
    const lines: string[] = [];
    const src = createProbeSource(
      {
        name: 'web',
        type: 'http',
        target: `http://v4only.test:${httpPort}/`,
        ip: 'both',
        intervalSeconds: 60,
        timeoutSeconds: 2,
        count: 1,
        packetIntervalSeconds: 0.2,
        insecureTls: false,
      },
      dns.server,
    );
    const ctx = { signal: new AbortController().signal, log: createLogger({ level: 'info', write: (l) => lines.push(l) }), now: () => 1000 };
    const first = await src.collect(ctx);
    await src.collect(ctx);
    expect(lines.filter((l) => l.includes('WARN')).length).toBe(1);
    expect(lines[0]).toMatch(/WARN +probe failing .*ip=6 reason=no_aaaa/);
    expect(first.samples.filter((s) => s.name === 'xunjian_probe_failure_info').map((s) => [s.labels.ip, s.labels.reason, s.value])).toEqual([
      ['6', 'no_aaaa', 1],
    ]);
  });

  it('renders an HTTP outcome exactly', () => {
    const s = outcomeSamples(
      'site',
      {
        type: 'http',
        target: 'https://x/',
        ip: 6,
        success: false,
        durationSeconds: 0.5,
        lookupSeconds: 0.1,
        address: '::1',
        reason: 'http_status',
        http: {
          status: 503,
          tls: true,
          tlsVersion: 'TLS 1.3',
          httpVersion: '1.1',
          certExpiry: 1800000000,
          bodyBytes: 10,
          contentLength: -1,
          truncated: false,
          contentType: 'text/html',
          redirects: 1,
          url: 'https://x/y',
          phases: { resolve: 0.1, connect: 0.1, tls: 0.1, processing: 0.1, transfer: 0.1 },
        },
      },
      7,
    );
    const l = { probe: 'site', target: 'https://x/', ip: '6' };
    expect(s.map((x) => [x.name, x.labels.phase ?? x.labels.reason ?? x.labels.version ?? '', x.value])).toEqual([
      ['probe_success', '', 0],
      ['probe_duration_seconds', '', 0.5],
      ['probe_ip_protocol', '', 6],
      ['probe_ip_addr_hash', '', 1751717746],
      ['probe_dns_lookup_time_seconds', '', 0.1],
      ['xunjian_probe_failure_info', 'http_status', 1],
      ['probe_http_status_code', '', 503],
      ['probe_http_duration_seconds', 'resolve', 0.1],
      ['probe_http_duration_seconds', 'connect', 0.1],
      ['probe_http_duration_seconds', 'tls', 0.1],
      ['probe_http_duration_seconds', 'processing', 0.1],
      ['probe_http_duration_seconds', 'transfer', 0.1],
      ['probe_http_content_length', '', -1],
      ['probe_http_uncompressed_body_length', '', 10],
      ['probe_http_redirects', '', 1],
      ['probe_http_ssl', '', 1],
      ['probe_http_version', '', 1.1],
      ['probe_tls_version_info', 'TLS 1.3', 1],
      ['probe_ssl_earliest_cert_expiry', '', 1800000000],
    ]);
    expect(s[0]!.labels).toEqual(l);
  });
});
