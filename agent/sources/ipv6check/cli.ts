import { type Command, InvalidArgumentError } from 'commander';
import { type Ipv6CheckReport, checkSite } from './check.js';

const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);

export function renderReport(r: Ipv6CheckReport): string {
  const h = r.homepage;
  const lines = [
    `Site: ${r.site}`,
    `Homepage: AAAA ${h.aaaa ? 'yes' : 'NO'}, over IPv6 ${h.ipv6Reachable ? 'reachable' : `NOT reachable (${h.reason})`}, over IPv4 ${h.ipv4Reachable ? 'reachable' : 'NOT reachable'}`,
    '',
    'LEVEL  FOUND  CHECKED  IPv6-CAPABLE  SUPPORT RATE',
    ...r.levels.map((l) => `${String(l.level).padEnd(7)}${String(l.found).padEnd(7)}${String(l.checked).padEnd(9)}${String(l.capable).padEnd(14)}${pct(l.rate)}`),
  ];
  const failures = r.levels.flatMap((l) => l.failures.map((f) => ({ ...f, level: l.level })));
  if (failures.length) {
    lines.push('', 'Failing links:');
    for (const f of failures) lines.push(`  L${f.level} ${f.reason?.padEnd(17)} ${f.url}${f.detail ? `  (${f.detail})` : ''}`);
  }
  lines.push('', `${r.pagesFetched} fetches${r.budgetExhausted ? ', page budget exhausted (raise --max-pages)' : ''}.`);
  return `${lines.join('\n')}\n`;
}

const int = (v: string) => {
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};

export function registerIpv6CheckCommand(program: Command): void {
  program
    .command('ipv6-check')
    .description('measure a website\'s IPv6 support: homepage AAAA and reachability, level-2 and level-3 link support rates')
    .argument('<url>', 'homepage URL (http:// or https://)')
    .option('--max-links <n>', 'links checked per level', int, 100)
    .option('--max-pages <n>', 'fetches in total (each link is fetched over IPv6 and IPv4)', int, 500)
    .option('--concurrency <n>', 'requests in flight', int, 4)
    .option('--rate <n>', 'request starts per second', Number, 5)
    .option('--timeout <seconds>', 'timeout of one fetch', Number, 10)
    .option('--length-tolerance <share>', 'allowed IPv6/IPv4 body length difference', Number, 0.2)
    .option('--resolver <host:port>', 'DNS server instead of the system resolver')
    .option('--insecure', 'do not verify TLS certificates')
    .option('--json', 'print the report as JSON')
    .action(async (url: string, o: { maxLinks: number; maxPages: number; concurrency: number; rate: number; timeout: number; lengthTolerance: number; resolver?: string; insecure?: boolean; json?: boolean }) => {
      if (!/^https?:\/\//.test(url)) throw new InvalidArgumentError(`expected an http:// or https:// URL, got '${url}'`);
      const tty = process.stderr.isTTY && !o.json;
      const report = await checkSite(url, {
        maxLinksPerLevel: o.maxLinks,
        maxPages: o.maxPages,
        concurrency: o.concurrency,
        requestsPerSecond: o.rate,
        timeoutSeconds: o.timeout,
        lengthTolerance: o.lengthTolerance,
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
    });
}
