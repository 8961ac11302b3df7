import type { Command } from 'commander';
import { bounded } from '../../../lib/args.js';
import type { Ipv6CheckReport } from './check.js';

const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);

export function renderReport(r: Ipv6CheckReport): string {
  const h = r.homepage;
  const lines = [
    `Site: ${r.site}`,
    `Homepage: AAAA ${h.aaaa ? 'yes' : 'NO'}, over IPv6 ${h.ipv6Reachable ? 'reachable' : `NOT reachable (${h.reason})`}, over IPv4 ${h.ipv4Reachable ? 'reachable' : 'NOT reachable'}`,
    '',
    'LEVEL  FOUND  CHECKED  UNCHECKED  IPv6-CAPABLE  SUPPORT RATE',
    ...r.levels.map(
      (l) =>
        `${String(l.level).padEnd(7)}${String(l.found).padEnd(7)}${String(l.checked).padEnd(9)}${String(l.unchecked).padEnd(11)}${String(l.capable).padEnd(14)}${pct(l.rate)}`,
    ),
  ];
  const failures = r.levels.flatMap((l) => l.failures.map((f) => ({ ...f, level: l.level })));
  if (failures.length) {
    lines.push('', 'Failing links:');
    for (const f of failures) lines.push(`  L${f.level} ${f.reason?.padEnd(17)} ${f.url}${f.detail ? `  (${f.detail})` : ''}`);
  }
  const unchecked = r.levels.reduce((n, l) => n + l.unchecked, 0);
  lines.push(
    '',
    `${r.pagesFetched} fetches${r.budgetExhausted ? `, page budget exhausted (raise --max-pages): ${unchecked} link(s) unchecked, not in the rates` : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}

export function registerIpv6CheckCommand(program: Command): void {
  program
    .command('ipv6-check')
    .description("measure a website's IPv6 support: homepage AAAA and reachability, level-2 and level-3 link support rates")
    .argument('<url>', 'homepage URL (http:// or https://)')
    .option('--max-links <n>', 'links checked per level (0-100000)', (v) => bounded(v, 0, 100000, true), 100)
    .option(
      '--max-pages <n>',
      'requests in total, redirects included (each link is fetched over IPv6 and IPv4; 2-1000000)',
      (v) => bounded(v, 2, 1000000, true),
      500,
    )
    .option('--concurrency <n>', 'requests in flight (1-32)', (v) => bounded(v, 1, 32, true), 4)
    .option('--rate <n>', 'request starts per second (above 0, up to 100)', (v) => bounded(v, 0, 100, false, true), 5)
    .option('--timeout <seconds>', 'timeout of one fetch (above 0, up to 120)', (v) => bounded(v, 0, 120, false, true), 10)
    .option('--length-tolerance <share>', 'allowed IPv6/IPv4 body length difference (0-1)', (v) => bounded(v, 0, 1), 0.2)
    .option('--max-redirects <n>', 'redirects followed per fetch (0-20)', (v) => bounded(v, 0, 20, true), 5)
    .option(
      '--same-site <hosts>',
      "comma-separated hosts that count as the site too ('*.host' for subdomains)",
      (v) =>
        v
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
      [],
    )
    .option('--resolver <host:port>', 'DNS server instead of the system resolver')
    .option('--insecure', 'do not verify TLS certificates')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        url: string,
        o: {
          maxLinks: number;
          maxPages: number;
          concurrency: number;
          rate: number;
          timeout: number;
          lengthTolerance: number;
          maxRedirects: number;
          sameSite: string[];
          resolver?: string;
          insecure?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) cmd.error(`error: expected an http:// or https:// URL, got '${url}'`);
        const tty = process.stderr.isTTY && !o.json;
        const { checkSite } = await import('./check.js'); // the crawler loads when a check runs, not with every command
        const report = await checkSite(url, {
          maxLinksPerLevel: o.maxLinks,
          maxPages: o.maxPages,
          concurrency: o.concurrency,
          requestsPerSecond: o.rate,
          timeoutSeconds: o.timeout,
          lengthTolerance: o.lengthTolerance,
          maxRedirects: o.maxRedirects,
          sameSiteHosts: o.sameSite,
          resolver: o.resolver,
          insecureTls: o.insecure,
          onProgress: tty
            ? (done, total) => {
                const width = 30;
                const fill = Math.round((done / Math.max(total, done)) * width);
                process.stderr.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${Math.max(total, done)} links`);
              }
            : undefined,
        });
        if (tty) process.stderr.write('\n');
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
      },
    );
}
