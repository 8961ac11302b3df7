import { Semaphore } from '../../../lib/semaphore.js';
import { ProbeError } from '../../net/errors.js';
import { type HttpFollow, type HttpOptions, fetchFollow } from '../../net/http.js';
import { type Family, resolveHost } from '../../net/resolve.js';
import type { Ipv6checkSourceConfig } from './config.js';
import {
  type LevelReport,
  type LinkCheck,
  type SiteScope,
  decodeHtml,
  extractLinks,
  isHtml,
  lengthDiffers,
  levelReport,
  linkKey,
  sameSite,
  siteScope,
} from './links.js';

/** The source's limits (see config.ts) plus per-run options. */
export type Ipv6CheckOptions = Omit<Ipv6checkSourceConfig, 'sites' | 'intervalSeconds' | 'schedule'> & {
  resolver?: string;
  insecureTls?: boolean;
  /** PEM CA certificate(s) to verify servers with instead of the system store. */
  ca?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
};

export interface Ipv6CheckReport {
  site: string;
  checkedAt: string;
  homepage: { aaaa: boolean; ipv6Reachable: boolean; ipv4Reachable: boolean; reason?: string };
  levels: [LevelReport, LevelReport];
  /** Requests made (each redirect hop is one). */
  pagesFetched: number;
  budgetExhausted: boolean;
}

/** A check that measured nothing (e.g. DNS failed): never reported as a measured "no". */
export class Ipv6CheckError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Bounded concurrency (slots held by a whole redirect chain) and request start rate (every request). */
export class Limiter {
  private readonly slots: Semaphore;
  private nextStart = 0;
  constructor(
    concurrency: number,
    private readonly perSecond: number,
    private readonly signal?: AbortSignal,
  ) {
    this.slots = new Semaphore(concurrency);
  }
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.slots.use(fn);
  }
  /** Wait for the next request start slot (returns early when the signal aborts). */
  async pace(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextStart);
    this.nextStart = at + 1000 / this.perSecond;
    if (at <= now) return;
    const signal = this.signal;
    if (signal?.aborted) return;
    await new Promise<void>((r) => {
      const t = setTimeout(done, at - now);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        r();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

interface LinkResult {
  /** null: the page budget (or an abort) left the link out. */
  check: LinkCheck | null;
  /** A same-site HTML body to find further links in, and the URL it came from. */
  body?: string;
  bodyUrl?: string;
  v4ok: boolean;
  /** Final URL of the IPv6 (else IPv4) fetch. */
  finalUrl?: string;
}

/** The IPv6 fetch's verdict: failed, a body differing from IPv4's, or capable. */
function compareFamilies(url: string, v6: HttpFollow, v4: HttpFollow, lengthTolerance: number): LinkCheck {
  const r6 = v6.outcome;
  const via = v6.chain.length > 1 ? ` (redirected to ${v6.chain[v6.chain.length - 1]})` : '';
  if (!r6.success) return { url, capable: false, reason: r6.reason ?? 'error', detail: `${r6.error ?? ''}${via}`.trim() };
  const b6 = r6.http!.bodyBytes;
  const b4 = v4.outcome.http?.bodyBytes;
  if (v4.outcome.success && b4 !== undefined && lengthDiffers(b6, b4, lengthTolerance))
    return { url, capable: false, reason: 'content_mismatch', detail: `IPv6 body ${b6} bytes, IPv4 ${b4} bytes${via}` };
  return { url, capable: true };
}

/**
 * A missing AAAA (NODATA, NXDOMAIN) is a measured "no"; a lookup that failed (resolver down, timeout,
 * SERVFAIL) measured nothing: the check fails rather than report "no IPv6".
 */
function lookupAaaa(hostname: string, o: Ipv6CheckOptions): Promise<{ aaaa: boolean } | { error: Error }> {
  return resolveHost(hostname, 6, o.resolver, o.signal, o.timeoutSeconds * 1000).then(
    () => ({ aaaa: true }),
    (err: unknown) => (err instanceof ProbeError && err.reason === 'no_aaaa' ? { aaaa: false } : { error: err as Error }),
  );
}

/** The next level's links: found in this level's bodies, not seen before, each once. */
function unseenLinks(results: LinkResult[], seen: Set<string>, scope: SiteScope): string[] {
  const next: string[] = [];
  const nextKeys = new Set<string>();
  for (const r of results) {
    if (r.body === undefined) continue;
    for (const u of extractLinks(r.body, r.bodyUrl!, scope)) {
      const k = linkKey(u);
      if (seen.has(k) || nextKeys.has(k)) continue;
      nextKeys.add(k);
      next.push(u);
    }
  }
  return next;
}

/**
 * The national indicator: IPv6 support rate of a government website's second- and third-level links.
 * Links are found by crawling (IPv4 first, IPv6 when IPv4 fails); every link is then checked for an
 * AAAA record and fetched with the socket forced to IPv6, following redirects (same family, host
 * re-resolved, each hop against the budget), and compared with IPv4. Links selected but left out by
 * the page budget are counted as `unchecked`, never in the rate.
 */
export async function checkSite(siteUrl: string, o: Ipv6CheckOptions): Promise<Ipv6CheckReport> {
  const scope = siteScope(siteUrl, o.sameSiteHosts ?? []);
  const limiter = new Limiter(o.concurrency, o.requestsPerSecond, o.signal);
  const po: HttpOptions = {
    timeoutSeconds: o.timeoutSeconds,
    resolver: o.resolver,
    insecureTls: o.insecureTls,
    ca: o.ca,
    signal: o.signal,
    maxRedirects: o.maxRedirects ?? 5,
    maxBodyBytes: o.maxBodyBytes,
  };
  let pages = 0;
  let exhausted = false;
  let done = 0;
  let total = 1;
  const take = (n: number) => {
    if (o.signal?.aborted) return false;
    if (pages + n > o.maxPages) {
      exhausted = true;
      return false;
    }
    pages += n;
    return true;
  };

  /** One family's fetch; the first request was reserved by the caller, redirect hops take budget. */
  const fetchPage = (url: string, ip: Family): Promise<HttpFollow> =>
    limiter.run(() =>
      fetchFollow(url, ip, po, {
        keepBody: true,
        beforeRequest: async (_u, hop) => {
          if (hop > 0 && !take(1)) return false;
          await limiter.pace();
          return !o.signal?.aborted;
        },
      }),
    );

  /** `adopt` (the homepage): a redirect to another host makes that host part of the site. */
  const checkLink = async (url: string, adopt = false): Promise<LinkResult> => {
    if (!take(2)) return { check: null, v4ok: false };
    const [v6, v4] = await Promise.all([fetchPage(url, 6), fetchPage(url, 4)]);
    done++;
    o.onProgress?.(done, total);
    if (v6.refused) return { check: null, v4ok: false };
    const v4ok = v4.outcome.success;
    const src = v4ok ? v4 : v6.outcome.success ? v6 : undefined;
    const finalUrl = v6.outcome.http?.url ?? v4.outcome.http?.url;
    if (adopt && src?.outcome.http) {
      const final = new URL(src.outcome.http.url);
      if (!sameSite(final, scope)) scope.extra.push(siteScope(final.href).host);
    }
    let body: string | undefined;
    let bodyUrl: string | undefined;
    if (src?.body !== undefined && src.outcome.http && sameSite(new URL(src.outcome.http.url), scope)) {
      const { text } = decodeHtml(src.body, src.outcome.http.contentType);
      if (isHtml(src.outcome.http.contentType, text)) {
        body = text;
        bodyUrl = src.outcome.http.url;
      }
    }
    return { body, bodyUrl, v4ok, finalUrl, check: compareFamilies(url, v6, v4, o.lengthTolerance) };
  };

  const hostname = new URL(siteUrl).hostname;
  const [home, looked] = await Promise.all([checkLink(siteUrl, true), lookupAaaa(hostname, o)]);
  if ('error' in looked) {
    o.signal?.throwIfAborted();
    const reason = looked.error instanceof ProbeError ? looked.error.reason : 'dns_error';
    throw new Ipv6CheckError(reason, `cannot check ${siteUrl}: the AAAA lookup of ${hostname} failed (${looked.error.message}); nothing was measured`);
  }
  const aaaa = looked.aaaa;
  const hc = home.check;
  const homepage = {
    aaaa,
    ipv6Reachable: hc !== null && (hc.capable || hc.reason === 'content_mismatch'),
    ipv4Reachable: home.v4ok,
    ...(hc?.capable ? {} : { reason: hc?.reason ?? 'not_checked' }),
  };

  const seen = new Set<string>([linkKey(siteUrl)]);
  if (home.finalUrl) seen.add(linkKey(home.finalUrl));
  const levels: LevelReport[] = [];
  let frontier: string[] = home.body ? extractLinks(home.body, home.bodyUrl!, scope) : [];
  for (const level of [2, 3] as const) {
    const found = frontier.filter((u) => !seen.has(linkKey(u)));
    for (const u of found) seen.add(linkKey(u));
    const toCheck = found.slice(0, o.maxLinksPerLevel);
    total += toCheck.length;
    const results = await Promise.all(toCheck.map((u) => checkLink(u)));
    const checks = results.flatMap((r) => (r.check ? [r.check] : []));
    levels.push(levelReport(level, found.length, checks, results.length - checks.length));
    for (const r of results) if (r.finalUrl) seen.add(linkKey(r.finalUrl));
    frontier = unseenLinks(results, seen, scope);
  }
  o.signal?.throwIfAborted();
  return {
    site: siteUrl,
    checkedAt: new Date().toISOString(),
    homepage,
    levels: levels as [LevelReport, LevelReport],
    pagesFetched: pages,
    budgetExhausted: exhausted,
  };
}
