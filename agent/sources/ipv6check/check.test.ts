import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../../../test/helpers/dns-server.js';
import { checkSite } from './check.js';

/**
 * A multi-level fixture site served by real HTTP servers on 127.0.0.1 and [::1] (same port), names from
 * a real DNS server on loopback: some pages only work over IPv4, one differs over IPv6, one host has
 * no AAAA record.
 */
let dns: Awaited<ReturnType<typeof startDnsServer>>;
const servers: Server[] = [];
let port = 0;

function page(links: string[], pad = ''): string {
  return `<html><body>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}${pad}</body></html>`;
}

function site(family: 4 | 6) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').split(':')[0];
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
    const body = host === 'v4.site.test' ? v4host[req.url!] : pages[req.url!] ?? (req.url === '/a2' ? page([]) : undefined);
    if (body === undefined || (family === 6 && v4only.has(req.url!))) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  };
}

beforeAll(async () => {
  dns = await startDnsServer({ 'www.site.test': { a: ['127.0.0.1'], aaaa: ['::1'] }, 'v4.site.test': { a: ['127.0.0.1'] } });
  const s4 = createServer(site(4));
  await new Promise<void>((r) => s4.listen(0, '127.0.0.1', () => r()));
  port = (s4.address() as { port: number }).port;
  const s6 = createServer(site(6));
  await new Promise<void>((r) => s6.listen(port, '::1', () => r()));
  servers.push(s4, s6);
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await dns.close();
});

const opts = () => ({ maxLinksPerLevel: 50, maxPages: 200, concurrency: 4, requestsPerSecond: 200, timeoutSeconds: 3, lengthTolerance: 0.1, resolver: dns.server });

describe('website IPv6 support rate', () => {
  it('measures the exact level-2 and level-3 rates and names each failure', async () => {
    const url = `http://www.site.test:${port}/`;
    const r = await checkSite(url, opts());
    const u = (p: string, host = 'www.site.test') => `http://${host}:${port}${p}`;
    expect(r.homepage).toEqual({ aaaa: true, ipv6Reachable: true, ipv4Reachable: true });
    const [l2, l3] = r.levels;
    expect({ found: l2.found, checked: l2.checked, capable: l2.capable, rate: l2.rate }).toEqual({ found: 5, checked: 5, capable: 2, rate: 2 / 5 });
    expect(l2.failures.map((f) => [f.url, f.reason])).toEqual([
      [u('/b'), 'http_status'],
      [u('/c'), 'content_mismatch'],
      [u('/d', 'v4.site.test'), 'no_aaaa'],
    ]);
    expect({ found: l3.found, checked: l3.checked, capable: l3.capable, rate: l3.rate }).toEqual({ found: 4, checked: 4, capable: 2, rate: 2 / 4 });
    expect(l3.failures.map((f) => [f.url, f.reason]).sort()).toEqual(
      [
        [u('/a2'), 'http_status'],
        [u('/d1', 'v4.site.test'), 'no_aaaa'],
      ].sort(),
    );
    // 1 homepage + 5 + 4 links, each over both families
    expect(r.pagesFetched).toBe(20);
    expect(r.budgetExhausted).toBe(false);
  });

  it('obeys the per-level cap and the page budget', async () => {
    const r = await checkSite(`http://www.site.test:${port}/`, { ...opts(), maxLinksPerLevel: 2, maxPages: 8 });
    expect(r.levels[0]).toMatchObject({ found: 5, checked: 2 });
    expect(r.pagesFetched).toBe(8);
    expect(r.budgetExhausted).toBe(true);
    expect(r.levels[1].failures.every((f) => f.reason === 'not_checked')).toBe(true);
  });

  it('reports a homepage without AAAA', async () => {
    const r = await checkSite(`http://v4.site.test:${port}/d`, { ...opts(), maxLinksPerLevel: 0 });
    expect(r.homepage).toEqual({ aaaa: false, ipv6Reachable: false, ipv4Reachable: true, reason: 'no_aaaa' });
  });
});

describe('xunjian ipv6-check', () => {
  it('prints the summary table and JSON', async () => {
    const { execFile } = await import('node:child_process');
    const { BIN } = await import('../../../test/helpers/proc.js');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        execFile(process.execPath, [BIN, 'ipv6-check', `http://www.site.test:${port}/`, '--resolver', dns.server, '--rate', '200', ...args], (err, stdout) => resolve({ code: err ? (err.code as number) : 0, stdout }));
      });
    const table = await run([]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Homepage: AAAA yes, over IPv6 reachable, over IPv4 reachable');
    expect(table.stdout).toMatch(/^2 +5 +5 +2 +40\.0%$/m);
    expect(table.stdout).toMatch(/^3 +4 +4 +2 +50\.0%$/m);
    expect(table.stdout).toContain(`L2 no_aaaa           http://v4.site.test:${port}/d`);
    const json = JSON.parse((await run(['--json'])).stdout);
    expect(json.levels.map((l: { rate: number }) => l.rate)).toEqual([0.4, 0.5]);
  });
});
