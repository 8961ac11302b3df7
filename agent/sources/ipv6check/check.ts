import { fetchOver, type HttpFetch, type ProbeOptions } from '../probes/probes.js';
import { type Family, resolveHost } from '../probes/resolve.js';
import type { Ipv6checkSourceConfig } from './config.js';
import { type LevelReport, type LinkCheck, extractLinks, lengthDiffers, levelReport, siteDomain } from './links.js';

/** The source's limits (see config.ts) plus per-run options. */
export type Ipv6CheckOptions = Omit<Ipv6checkSourceConfig, 'sites' | 'intervalSeconds'> & {
  resolver?: string;
  insecureTls?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
};

export interface Ipv6CheckReport {
  site: string;
  checkedAt: string;
  homepage: { aaaa: boolean; ipv6Reachable: boolean; ipv4Reachable: boolean; reason?: string };
  levels: [LevelReport, LevelReport];
  pagesFetched: number;
  budgetExhausted: boolean;
}

/** Bounded concurrency and start rate for every request of one check. */
class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private nextStart = 0;
  constructor(
    private readonly concurrency: number,
    private readonly perSecond: number,
  ) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    const now = Date.now();
    const at = Math.max(now, this.nextStart);
    this.nextStart = at + 1000 / this.perSecond;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/**
 * The national indicator: IPv6 support rate of a government website's second- and third-level links.
 * Links are found by crawling (IPv4 first, IPv6 when IPv4 fails); every link is then checked for an
 * AAAA record and fetched with the socket forced to IPv6, and compared with IPv4.
 */
export async function checkSite(siteUrl: string, o: Ipv6CheckOptions): Promise<Ipv6CheckReport> {
  const domain = siteDomain(siteUrl);
  const limiter = new Limiter(o.concurrency, o.requestsPerSecond);
  const po: ProbeOptions = { timeoutSeconds: o.timeoutSeconds, resolver: o.resolver, insecureTls: o.insecureTls, signal: o.signal };
  let pages = 0;
  let exhausted = false;
  let done = 0;
  let total = 1;
  const fetchPage = async (url: string, ip: Family): Promise<HttpFetch | undefined> => {
    if (pages >= o.maxPages) {
      exhausted = true;
      return undefined;
    }
    pages++;
    return limiter.run(() => fetchOver(url, ip, po, true));
  };

  /** Check one link; returns the verdict and a body to find further links in. */
  const checkLink = async (url: string): Promise<{ check: LinkCheck; body?: string; v4ok: boolean }> => {
    const [v6, v4] = await Promise.all([fetchPage(url, 6), fetchPage(url, 4)]);
    done++;
    o.onProgress?.(done, total);
    const v4ok = v4?.outcome.success === true;
    const body = v4ok ? v4!.body : v6?.outcome.success ? v6.body : undefined;
    if (!v6) return { check: { url, capable: false, reason: 'not_checked', detail: 'page budget exhausted' }, body, v4ok };
    const r6 = v6.outcome;
    if (!r6.success) return { check: { url, capable: false, reason: r6.reason ?? 'error', detail: r6.error }, body, v4ok };
    if (v4ok && lengthDiffers(r6.http!.bodyBytes, v4!.outcome.http!.bodyBytes, o.lengthTolerance)) {
      return { check: { url, capable: false, reason: 'content_mismatch', detail: `IPv6 body ${r6.http!.bodyBytes} bytes, IPv4 ${v4!.outcome.http!.bodyBytes} bytes` }, body, v4ok };
    }
    return { check: { url, capable: true }, body, v4ok };
  };

  const home = await checkLink(siteUrl);
  const aaaa = await resolveHost(new URL(siteUrl).hostname, 6, o.resolver).then(() => true, () => false);
  const homepage = {
    aaaa,
    ipv6Reachable: home.check.capable || home.check.reason === 'content_mismatch',
    ipv4Reachable: home.v4ok,
    ...(home.check.capable ? {} : { reason: home.check.reason }),
  };

  const seen = new Set<string>([new URL(siteUrl).href]);
  const levels: LevelReport[] = [];
  let frontier: string[] = home.body ? extractLinks(home.body, siteUrl, domain) : [];
  for (const level of [2, 3] as const) {
    const found = frontier.filter((u) => !seen.has(u));
    for (const u of found) seen.add(u);
    const toCheck = found.slice(0, o.maxLinksPerLevel);
    total += toCheck.length;
    const results = await Promise.all(toCheck.map((u) => checkLink(u)));
    levels.push(levelReport(level, found.length, results.map((r) => r.check)));
    const next = new Set<string>();
    results.forEach((r, i) => {
      if (r.body === undefined) return;
      for (const u of extractLinks(r.body, toCheck[i]!, domain)) if (!seen.has(u)) next.add(u);
    });
    frontier = [...next];
  }
  return { site: siteUrl, checkedAt: new Date().toISOString(), homepage, levels: levels as [LevelReport, LevelReport], pagesFetched: pages, budgetExhausted: exhausted };
}
