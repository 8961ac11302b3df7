import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../../test/helpers/dns-server.js';
import { listenDual, refusedPort } from '../../test/helpers/net.js';
import { failureReason, lookupFailureReason, ProbeError } from './errors.js';
import { fetchFollow, fetchOver } from './http.js';
import { type Family, resolveHost } from './resolve.js';

describe('lookupFailureReason', () => {
  it.each([
    ['ENODATA', 6, 'no_aaaa'], // NOERROR without AAAA: a measured "no"
    ['ENOTFOUND', 6, 'no_aaaa'], // NXDOMAIN
    ['ENODATA', 4, 'no_a'],
    ['ENOTFOUND', 4, 'no_a'],
    ['ETIMEOUT', 6, 'timeout'],
    ['ESERVFAIL', 6, 'dns_error'], // the resolver failed: nothing measured
    ['ECONNREFUSED', 6, 'dns_error'], // the resolver is down
    ['EREFUSED', 4, 'dns_error'],
    [undefined, 6, 'dns_error'],
  ] as const)('%s over IPv%i → %s', (code, family, want) => {
    expect(lookupFailureReason(code, family)).toBe(want);
  });
});

describe('failureReason', () => {
  const err = (code: string | undefined, message = 'x', name = 'Error') => Object.assign(new Error(message), { code, name });
  it.each([
    ['a ProbeError keeps its reason', new ProbeError('no_aaaa', 'no AAAA'), 'no_aaaa'],
    ['refused', err('ECONNREFUSED'), 'connect_refused'],
    ['undici connect timeout', err('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    ['headers timeout', err('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    ['body timeout', err('UND_ERR_BODY_TIMEOUT'), 'timeout'],
    ['socket timeout', err('ETIMEDOUT'), 'timeout'],
    ['aborted request', err('UND_ERR_ABORTED'), 'timeout'],
    ['AbortSignal.timeout', err(undefined, 'The operation was aborted due to timeout', 'TimeoutError'), 'timeout'],
    ['AbortError', err(undefined, 'aborted', 'AbortError'), 'timeout'],
    ['certificate', err('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'tls_error'],
    ['self-signed', err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'tls_error'],
    ['no route', err('EHOSTUNREACH'), 'unreachable'],
    ['no network', err('ENETUNREACH'), 'unreachable'],
    ['no such local address', err('EADDRNOTAVAIL'), 'unreachable'],
    ['other errno: lower case', err('ECONNRESET'), 'econnreset'],
    ['no code', err(undefined), 'error'],
  ])('%s', (_name, e, want) => {
    expect(failureReason(e)).toBe(want);
  });
});

/** Real servers on loopback, one per family on the same port (the body says which answered), names from a real DNS server. */
let dns: Awaited<ReturnType<typeof startDnsServer>>;
const servers: Server[] = [];
let port = 0;
let closedPort = 0;
let deadResolver = '';

const site = (family: Family) => (req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/to-v4only') return res.writeHead(302, { location: `http://v4only.test:${port}/` }).end();
  if (req.url === '/hop') return res.writeHead(301, { location: '/' }).end();
  res.end(`v${family}`);
};

beforeAll(async () => {
  dns = await startDnsServer({
    'dual.test': { a: ['127.0.0.1'], aaaa: ['::1'] },
    'v4only.test': { a: ['127.0.0.1'] },
    'broken.test': { servfail: true },
    'silent.test': { silent: true },
  });
  const s4 = createServer(site(4));
  const s6 = createServer(site(6));
  port = await listenDual(s4, s6);
  servers.push(s4, s6);
  closedPort = await refusedPort();
  deadResolver = `127.0.0.1:${await refusedPort('127.0.0.1')}`;
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  await dns.close();
});

const reasonOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof ProbeError ? e.reason : `not a ProbeError: ${String(e)}`),
  );

describe('resolveHost', () => {
  it.each([
    ['dual.test', 6, '::1'],
    ['dual.test', 4, '127.0.0.1'],
    ['v4only.test', 4, '127.0.0.1'],
  ] as const)('%s over IPv%i → %s through the given resolver', async (host, family, address) => {
    const r = await resolveHost(host, family, dns.server);
    expect(r.address).toBe(address);
    expect(r.seconds).toBeGreaterThan(0);
  });
  it.each([
    ['::1', 6, '::1'],
    ['[::1]', 6, '::1'],
    ['127.0.0.1', 4, '127.0.0.1'],
  ] as const)('the literal %s over IPv%i needs no lookup', async (host, family, address) => {
    expect(await resolveHost(host, family, dns.server)).toEqual({ address, seconds: 0 });
  });
  it.each([
    ['v4only.test', 6, 'no_aaaa', () => dns.server],
    ['missing.test', 6, 'no_aaaa', () => dns.server],
    ['missing.test', 4, 'no_a', () => dns.server],
    ['broken.test', 6, 'dns_error', () => dns.server], // SERVFAIL is not "no AAAA"
    ['dual.test', 6, 'dns_error', () => deadResolver], // resolver down is not "no AAAA"
    ['127.0.0.1', 6, 'wrong_family', () => dns.server],
    ['::1', 4, 'wrong_family', () => dns.server],
  ] as const)('%s over IPv%i fails with %s', async (host, family, want, server) => {
    expect(await reasonOf(resolveHost(host, family, server(), undefined, 3000))).toBe(want);
  });
  it('is bounded by its timeout when the resolver never answers', async () => {
    const e = await resolveHost('silent.test', 6, dns.server, undefined, 300).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ProbeError);
    expect(e).toMatchObject({ reason: 'timeout', message: 'AAAA lookup of silent.test took more than 0.3 s' });
  });
  it('stops when the signal aborts', async () => {
    const c = new AbortController();
    const p = resolveHost('silent.test', 4, dns.server, c.signal, 30_000).catch((err: unknown) => err);
    c.abort();
    expect(await p).toMatchObject({ reason: 'timeout', message: 'A lookup of silent.test aborted' });
  });
});

describe('fetchOver: the socket goes to the forced family', () => {
  it.each([6, 4] as const)('IPv%i reaches the server of that family', async (ip) => {
    const { outcome, body } = await fetchOver(`http://dual.test:${port}/`, ip, { timeoutSeconds: 3, resolver: dns.server }, true);
    expect(outcome).toMatchObject({ success: true, ip, address: ip === 6 ? '::1' : '127.0.0.1', http: { status: 200, bodyBytes: 2 } });
    expect(body?.toString()).toBe(`v${ip}`);
  });
  it.each([
    ['no AAAA record', 'no_aaaa', `http://v4only.test:PORT/`, () => dns.server],
    ['SERVFAIL', 'dns_error', `http://broken.test:PORT/`, () => dns.server],
    ['resolver down', 'dns_error', `http://dual.test:PORT/`, () => deadResolver],
    ['closed port', 'connect_refused', `http://dual.test:CLOSED/`, () => dns.server],
    ['IPv4 literal forced to IPv6', 'wrong_family', `http://127.0.0.1:PORT/`, () => dns.server],
  ])('%s: fails with %s', async (_name, want, url, resolver) => {
    const { outcome } = await fetchOver(url.replace('PORT', String(port)).replace('CLOSED', String(closedPort)), 6, {
      timeoutSeconds: 3,
      resolver: resolver(),
    });
    expect(outcome).toMatchObject({ success: false, reason: want });
    expect(outcome.http).toBeUndefined();
  });
  it('a resolver that never answers is a timeout within the request timeout, with no lookup time', async () => {
    const { outcome } = await fetchOver(`http://silent.test:${port}/`, 6, { timeoutSeconds: 0.3, resolver: dns.server });
    expect(outcome).toMatchObject({ success: false, reason: 'timeout' });
    expect(outcome.lookupSeconds).toBeUndefined();
  });
});

describe('fetchFollow', () => {
  it('follows a redirect over the same family and sums the hops', async () => {
    const r = await fetchFollow(`http://dual.test:${port}/hop`, 6, { timeoutSeconds: 3, resolver: dns.server }, { keepBody: true });
    expect(r.chain).toEqual([`http://dual.test:${port}/hop`, `http://dual.test:${port}/`]);
    expect(r.outcome).toMatchObject({
      success: true,
      target: `http://dual.test:${port}/hop`,
      http: { status: 200, redirects: 1, url: `http://dual.test:${port}/` },
    });
    expect(r.body?.toString()).toBe('v6');
  });
  it('resolves each hop again: a redirect to a host without AAAA fails over IPv6 with no_aaaa', async () => {
    const r = await fetchFollow(`http://dual.test:${port}/to-v4only`, 6, { timeoutSeconds: 3, resolver: dns.server });
    expect(r.chain).toEqual([`http://dual.test:${port}/to-v4only`, `http://v4only.test:${port}/`]);
    expect(r.outcome).toMatchObject({ success: false, reason: 'no_aaaa' });
    const v4 = await fetchFollow(`http://dual.test:${port}/to-v4only`, 4, { timeoutSeconds: 3, resolver: dns.server }, { keepBody: true });
    expect(v4.body?.toString()).toBe('v4');
  });
  it('stops when beforeRequest refuses a hop (a request budget)', async () => {
    const hops: number[] = [];
    const r = await fetchFollow(
      `http://dual.test:${port}/hop`,
      4,
      { timeoutSeconds: 3, resolver: dns.server },
      {
        beforeRequest: (_u, hop) => {
          hops.push(hop);
          return hop === 0;
        },
      },
    );
    expect(hops).toEqual([0, 1]);
    expect(r).toMatchObject({ refused: true, chain: [`http://dual.test:${port}/hop`], outcome: { success: false, reason: 'not_checked' } });
  });
  it('maxRedirects 0 returns the redirect itself', async () => {
    const r = await fetchFollow(`http://dual.test:${port}/hop`, 4, { timeoutSeconds: 3, resolver: dns.server, maxRedirects: 0 });
    expect(r.outcome).toMatchObject({ success: true, http: { status: 301, redirects: 0 } });
  });
});
