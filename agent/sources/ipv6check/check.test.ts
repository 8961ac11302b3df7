import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../../../test/helpers/dns-server.js';
import { listenDual, refusedPort } from '../../../test/helpers/net.js';
import { createLogger } from '../../../lib/log.js';
import { checkSite } from './check.js';
import { createIpv6checkSource } from './source.js';

/**
 * A multi-level fixture site served by real HTTP servers on 127.0.0.1 and [::1] (same port), names from
 * a real DNS server on loopback: some pages only work over IPv4, one differs over IPv6, one host has
 * no AAAA record; a second site redirects (homepage, same-site, to another site, to the IPv4-only
 * host, in a loop), serves a non-HTML body with links, a slow page and a link to a closed port.
 */
let dns: Awaited<ReturnType<typeof startDnsServer>>;
const servers: Server[] = [];
let port = 0;
let closedPort = 0;
/** busy.site.test: requests in flight now and at most, and request start times (ms). */
const busy = { inFlight: 0, max: 0, starts: [] as number[] };

function page(links: string[], pad = ''): string {
  return `<html><body>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}${pad}</body></html>`;
}

function site(family: 4 | 6) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').split(':')[0];
    const url = req.url!;
    const html = (body: string) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    const redirect = (to: string) => res.writeHead(302, { location: to }).end();
    if (host === 'busy.site.test') {
      busy.inFlight++;
      busy.max = Math.max(busy.max, busy.inFlight);
      busy.starts.push(performance.now());
      setTimeout(() => {
        busy.inFlight--;
        html(url === '/' ? page(Array.from({ length: 8 }, (_, i) => `/p${i}`)) : page([]));
      }, 100);
      return;
    }
    if (host === 'ext.test') return html(page(['/ext-inner']));
    if (host === 'hop.site.test') return redirect(`http://redir.site.test:${port}/`);
    if (host === 'redir.site.test') {
      const r: Record<string, () => void> = {
        '/': () => redirect('/index.html'),
        '/index.html': () =>
          html(
            page(['/r-v4', '/r-in', '/r-ext', '/bin', '/loop', '/slow', `http://redir.site.test:${closedPort}/`, `https://redir.site.test:${port}/index.html`]),
          ),
        '/r-v4': () => redirect(`http://v4.site.test:${port}/d`),
        '/r-in': () => redirect('/p2'),
        '/p2': () => html(page(['/p3'])),
        '/p3': () => html(page([])),
        '/r-ext': () => redirect(`http://ext.test:${port}/x`),
        '/bin': () => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('<a href="/from-bin">'),
        '/loop': () => redirect('/loop'),
        '/slow': () => setTimeout(() => html(page(['/after-slow'])), 1500),
      };
      return (r[url] ?? (() => res.writeHead(404).end()))();
    }
    const d = `http://v4.site.test:${port}`;
    const pages: Record<string, string> = {
      '/': page(['/a', '/b', '/c', `${d}/d`, '/e', 'https://other.test/x', 'mailto:web@site.test', '/logo.png']),
      '/a': page(['/a1', '/a2', '/']),
      '/b': page(['/b1']),
      '/c': page([], family === 6 ? 'x'.repeat(2000) : ''),
      '/e': page(['/a']),
      '/a1': page([]),
      '/b1': page(['/']),
    };
    const v4host: Record<string, string> = { '/d': page([`${d}/d1`]), '/d1': page([]) };
    const v4only = new Set(['/b', '/a2']);
    const body = host === 'v4.site.test' ? v4host[url] : (pages[url] ?? (url === '/a2' ? page([]) : undefined));
    if (body === undefined || (family === 6 && v4only.has(url))) {
      res.writeHead(404).end('not found');
      return;
    }
    html(body);
  };
}

beforeAll(async () => {
  const dual = { a: ['127.0.0.1'], aaaa: ['::1'] };
  dns = await startDnsServer({
    'www.site.test': dual,
    'redir.site.test': dual,
    'hop.site.test': dual,
    'ext.test': dual,
    'busy.site.test': dual,
    'v4.site.test': { a: ['127.0.0.1'] },
    'mute.site.test': { silent: true },
  });
  const s4 = createServer(site(4));
  const s6 = createServer(site(6));
  port = await listenDual(s4, s6);
  servers.push(s4, s6);
  closedPort = await refusedPort();
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  await dns.close();
});

const opts = () => ({
  maxLinksPerLevel: 50,
  maxPages: 200,
  concurrency: 4,
  requestsPerSecond: 200,
  timeoutSeconds: 3,
  lengthTolerance: 0.1,
  resolver: dns.server,
  sameSiteHosts: ['v4.site.test'],
});
const u = (p: string, host = 'www.site.test') => `http://${host}:${port}${p}`;
const summary = (l: { found: number; checked: number; unchecked: number; capable: number; rate: number | null }) => ({
  found: l.found,
  checked: l.checked,
  unchecked: l.unchecked,
  capable: l.capable,
  rate: l.rate,
});

describe('website IPv6 support rate', () => {
  it('measures the exact level-2 and level-3 rates and names each failure', async () => {
    const r = await checkSite(u('/'), opts());
    expect(r.homepage).toEqual({ aaaa: true, ipv6Reachable: true, ipv4Reachable: true });
    const [l2, l3] = r.levels;
    expect(summary(l2)).toEqual({ found: 5, checked: 5, unchecked: 0, capable: 2, rate: 2 / 5 });
    expect(l2.failures.map((f) => [f.url, f.reason])).toEqual([
      [u('/b'), 'http_status'],
      [u('/c'), 'content_mismatch'],
      [u('/d', 'v4.site.test'), 'no_aaaa'],
    ]);
    expect(summary(l3)).toEqual({ found: 4, checked: 4, unchecked: 0, capable: 2, rate: 2 / 4 });
    expect(l3.failures.map((f) => [f.url, f.reason])).toEqual([
      [u('/a2'), 'http_status'],
      [u('/d1', 'v4.site.test'), 'no_aaaa'],
    ]);
    // 1 homepage + 5 + 4 links, each over both families
    expect(r.pagesFetched).toBe(20);
    expect(r.budgetExhausted).toBe(false);
  });

  it('leaves links the page budget cannot pay for out of the rate, counted as unchecked', async () => {
    // 2 (homepage) + 10 (level 2) + 6: three of the four level-3 links (/a1, /a2, /b1, /d1 in crawl order)
    const r = await checkSite(u('/'), { ...opts(), maxPages: 18 });
    expect(summary(r.levels[0])).toEqual({ found: 5, checked: 5, unchecked: 0, capable: 2, rate: 2 / 5 });
    expect(summary(r.levels[1])).toEqual({ found: 4, checked: 3, unchecked: 1, capable: 2, rate: 2 / 3 });
    expect(r.levels[1].failures.map((f) => [f.url, f.reason])).toEqual([[u('/a2'), 'http_status']]);
    expect(r.pagesFetched).toBe(18);
    expect(r.budgetExhausted).toBe(true);
  });

  it('caps the links per level without calling them unchecked', async () => {
    const r = await checkSite(u('/'), { ...opts(), maxLinksPerLevel: 2 });
    expect(summary(r.levels[0])).toEqual({ found: 5, checked: 2, unchecked: 0, capable: 1, rate: 1 / 2 });
    expect(r.budgetExhausted).toBe(false);
  });

  it('follows redirects over the forced family, crawls only same-site HTML, names every failure', async () => {
    const r = await checkSite(`http://redir.site.test:${port}/`, { ...opts(), sameSiteHosts: [], timeoutSeconds: 1, maxRedirects: 5 });
    const x = (p: string) => `http://redir.site.test:${port}${p}`;
    expect(r.homepage).toEqual({ aaaa: true, ipv6Reachable: true, ipv4Reachable: true });
    const [l2, l3] = r.levels;
    expect(summary(l2)).toEqual({ found: 7, checked: 7, unchecked: 0, capable: 3, rate: 3 / 7 });
    expect(l2.failures.map((f) => [f.url, f.reason])).toEqual([
      [x('/r-v4'), 'no_aaaa'],
      [x('/loop'), 'too_many_redirects'],
      [x('/slow'), 'timeout'],
      [`http://redir.site.test:${closedPort}/`, 'connect_refused'],
    ]);
    expect(l2.failures[0]!.detail).toContain(`redirected to http://v4.site.test:${port}/d`);
    // only /p2 (reached through the same-site redirect) is crawled: not the other site's page, not the
    // octet-stream body, not the IPv4-only host's page
    expect(summary(l3)).toEqual({ found: 1, checked: 1, unchecked: 0, capable: 1, rate: 1 });
    // homepage 2 × 2; /r-v4, /r-in, /r-ext 3 × 2 × 2; /bin, /slow, closed port 3 × 2; /loop 2 × 6; /p3 2
    expect(r.pagesFetched).toBe(4 + 12 + 6 + 12 + 2);
  });

  it('takes the host a homepage redirects to as the site', async () => {
    const r = await checkSite(`http://hop.site.test:${port}/`, { ...opts(), sameSiteHosts: [], timeoutSeconds: 1, maxRedirects: 5 });
    expect(r.homepage).toEqual({ aaaa: true, ipv6Reachable: true, ipv4Reachable: true });
    expect(summary(r.levels[0])).toEqual({ found: 7, checked: 7, unchecked: 0, capable: 3, rate: 3 / 7 });
    expect(summary(r.levels[1])).toEqual({ found: 1, checked: 1, unchecked: 0, capable: 1, rate: 1 });
  });

  it('keeps to the concurrency and the request rate', async () => {
    busy.max = 0;
    busy.starts.length = 0;
    const t0 = performance.now();
    const r = await checkSite(`http://busy.site.test:${port}/`, { ...opts(), concurrency: 2, requestsPerSecond: 20 });
    const took = (performance.now() - t0) / 1000;
    expect(r.pagesFetched).toBe(18);
    expect(busy.starts.length).toBe(18);
    expect(busy.max).toBe(2);
    // 18 request starts at 20 per second: the last cannot start before 17 / 20 s
    expect(took).toBeGreaterThanOrEqual(17 / 20);
  });

  it('reports a homepage without AAAA', async () => {
    const r = await checkSite(u('/d', 'v4.site.test'), { ...opts(), maxLinksPerLevel: 0 });
    expect(r.homepage).toEqual({ aaaa: false, ipv6Reachable: false, ipv4Reachable: true, reason: 'no_aaaa' });
  });

  it('a failed AAAA lookup (resolver silent) is a failure, never a measured "no AAAA"', async () => {
    const p = checkSite(u('/', 'mute.site.test'), { ...opts(), timeoutSeconds: 0.5, maxLinksPerLevel: 0 });
    await expect(p).rejects.toThrow(
      `cannot check ${u('/', 'mute.site.test')}: the AAAA lookup of mute.site.test failed (AAAA lookup of mute.site.test took more than 0.5 s); nothing was measured`,
    );
    await expect(p).rejects.toMatchObject({ reason: 'timeout' });
  });

  it('stops when aborted: no request starts after the abort beyond those already under way', async () => {
    busy.starts.length = 0;
    const ac = new AbortController();
    const p = checkSite(`http://busy.site.test:${port}/`, { ...opts(), concurrency: 2, requestsPerSecond: 5, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 700));
    ac.abort();
    const atAbort = busy.starts.length;
    await expect(p).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(atAbort).toBeGreaterThan(0);
    // at most the 2 requests a slot had already let go (concurrency 2) reach the server afterwards
    expect(busy.starts.length - atAbort).toBeLessThanOrEqual(2);
    expect(busy.starts.length).toBeLessThan(18);
  });
});

describe('xunjian ipv6-check (the built binary)', () => {
  const run = async (args: string[]) => {
    const { execFile } = await import('node:child_process');
    const { BIN } = await import('../../../test/helpers/proc.js');
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'ipv6-check', ...args], (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr }));
    });
  };
  const site = () => [u('/'), '--resolver', dns.server, '--rate', '100', '--same-site', 'v4.site.test'];

  it('prints the summary table with exact numbers and no progress bar when not on a terminal', async () => {
    const table = await run(site());
    expect(table.code).toBe(0);
    expect(table.stderr).toBe('');
    expect(table.stdout).toContain('Homepage: AAAA yes, over IPv6 reachable, over IPv4 reachable');
    expect(table.stdout).toContain('LEVEL  FOUND  CHECKED  UNCHECKED  IPv6-CAPABLE  SUPPORT RATE');
    expect(table.stdout).toMatch(/^2 +5 +5 +0 +2 +40\.0%$/m);
    expect(table.stdout).toMatch(/^3 +4 +4 +0 +2 +50\.0%$/m);
    expect(table.stdout).toContain(`L2 no_aaaa           http://v4.site.test:${port}/d`);
    expect(table.stdout).toContain('20 fetches.');
    const json = JSON.parse((await run([...site(), '--json'])).stdout);
    expect(json.levels.map((l: { rate: number; unchecked: number }) => [l.rate, l.unchecked])).toEqual([
      [0.4, 0],
      [0.5, 0],
    ]);
  });

  it('says how many links the budget left unchecked', async () => {
    const r = await run([...site(), '--max-pages', '18']);
    expect(r.stdout).toMatch(/^3 +4 +3 +1 +2 +66\.7%$/m);
    expect(r.stdout).toContain('18 fetches, page budget exhausted (raise --max-pages): 1 link(s) unchecked, not in the rates.');
  });

  it.each([
    [['--concurrency', '0'], "option '--concurrency <n>' argument '0' is invalid. expected a whole number from 1 up to 32"],
    [['--rate', '0'], "option '--rate <n>' argument '0' is invalid. expected a number above 0 up to 100"],
    [['--rate', '-1'], "option '--rate <n>' argument '-1' is invalid. expected a number above 0 up to 100"],
    [['--timeout', 'x'], "option '--timeout <seconds>' argument 'x' is invalid. expected a number above 0 up to 120"],
    [['--max-pages', '1'], "option '--max-pages <n>' argument '1' is invalid. expected a whole number from 2 up to 1000000"],
  ])('rejects %j', async (args, message) => {
    const r = await run([...site(), ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('exits 1 with the reason when the resolver does not answer (no "AAAA NO")', async () => {
    const r = await run([u('/'), '--resolver', `127.0.0.1:${await refusedPort('127.0.0.1')}`, '--timeout', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^xunjian: cannot check http:\/\/www\.site\.test:\d+\/: the AAAA lookup of www\.site\.test failed \(.+\); nothing was measured\n$/,
    );
  });

  it('prints why a URL is refused', async () => {
    const r = await run(['ftp://www.site.test/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: expected an http:// or https:// URL, got 'ftp://www.site.test/'");
  });

  it('draws a progress bar on a terminal, then the table (tmux)', async () => {
    const { execFileSync } = await import('node:child_process');
    const { BIN, waitFor } = await import('../../../test/helpers/proc.js');
    const session = `xj-ipv6-${process.pid}`;
    const cmd = [process.execPath, BIN, 'ipv6-check', ...site()].map((a) => `'${a}'`).join(' ');
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '50', `${cmd}; echo EXIT=$?; sleep 60`]);
    try {
      let screen = '';
      await waitFor(
        () => {
          screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
          return screen.includes('EXIT=');
        },
        10_000,
        'the check to end',
      ).catch(() => undefined); // the assertions below show the screen
      expect(screen).toContain('EXIT=0');
      expect(screen).toContain(`[${'#'.repeat(30)}] 10/10 links`);
      expect(screen).toMatch(/^2 +5 +5 +0 +2 +40\.0%$/m);
      expect(screen).toMatch(/^3 +4 +4 +0 +2 +50\.0%$/m);
    } finally {
      execFileSync('tmux', ['kill-session', '-t', session]);
    }
  });
});

describe('the scheduled ipv6check source', () => {
  it('reports the rates as samples per level and the whole report as facts', async () => {
    const { resolver, ...o } = opts();
    const src = createIpv6checkSource({ ...o, sites: [u('/')], intervalSeconds: 86400, maxRedirects: 5, maxBodyBytes: 1 << 20 }, resolver);
    const r = await src.collect({ signal: new AbortController().signal, log: createLogger({ level: 'error' }), now: () => 1_700_000_000_000 });
    const site = u('/');
    const got = r.samples.map((x) => [x.name, x.labels.level ?? '', x.value]);
    expect(got).toEqual([
      ['xunjian_website_ipv6_aaaa', '', 1],
      ['xunjian_website_ipv6_homepage_reachable', '', 1],
      ['xunjian_website_ipv6_links', '2', 5],
      ['xunjian_website_ipv6_links_capable', '2', 2],
      ['xunjian_website_ipv6_links_unchecked', '2', 0],
      ['xunjian_website_ipv6_support_ratio', '2', 2 / 5],
      ['xunjian_website_ipv6_links', '3', 4],
      ['xunjian_website_ipv6_links_capable', '3', 2],
      ['xunjian_website_ipv6_links_unchecked', '3', 0],
      ['xunjian_website_ipv6_support_ratio', '3', 2 / 4],
    ]);
    expect(new Set(r.samples.map((x) => x.labels.site))).toEqual(new Set([site]));
    expect(r.samples.every((x) => x.ts === 1_700_000_000_000)).toBe(true);
    const fact = (r.facts!['network.website_ipv6'] as Record<string, { levels: { rate: number | null }[] }>)[site]!;
    expect(fact.levels.map((l) => l.rate)).toEqual([2 / 5, 2 / 4]);
    expect(r.error).toBeUndefined();
  });

  it('a site whose lookup fails: no sample for it (no "aaaa 0"), the others kept, the run failed with the reason', async () => {
    const { resolver, ...o } = opts();
    const mute = u('/', 'mute.site.test');
    const src = createIpv6checkSource({ ...o, timeoutSeconds: 0.5, sites: [u('/'), mute], intervalSeconds: 86400 }, resolver);
    const r = await src.collect({ signal: new AbortController().signal, log: createLogger({ level: 'error' }), now: () => 1 });
    expect(new Set(r.samples.map((x) => x.labels.site))).toEqual(new Set([u('/')]));
    expect(Object.keys(r.facts!['network.website_ipv6'] as object)).toEqual([u('/')]);
    expect(r.error).toBe(
      `cannot check ${mute}: the AAAA lookup of mute.site.test failed (AAAA lookup of mute.site.test took more than 0.5 s); nothing was measured`,
    );
  });

  it('every site failing fails the run', async () => {
    const { resolver, ...o } = opts();
    const src = createIpv6checkSource({ ...o, timeoutSeconds: 0.5, sites: [u('/', 'mute.site.test')], intervalSeconds: 86400 }, resolver);
    await expect(src.collect({ signal: new AbortController().signal, log: createLogger({ level: 'error' }), now: () => 1 })).rejects.toThrow(
      'the AAAA lookup of mute.site.test failed',
    );
  });
});
