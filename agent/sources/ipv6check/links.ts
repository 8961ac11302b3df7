/** Pure link extraction and rates for the website IPv6 support check. */

/**
 * Which hosts are "the site". A site is its homepage's host modulo a leading `www.`
 * (`www.beijing.gov.cn` ≡ `beijing.gov.cn`, `www.gov.cn` ≡ `gov.cn`), plus hosts configured as part
 * of it (`extraHosts`; `*.example.gov.cn` for all its subdomains). Subdomains are not implied:
 * `hd.beijing.gov.cn` (a district) runs its own site, and dropping `www.` never widens a site to a
 * public suffix such as `gov.cn`.
 */
export interface SiteScope {
  host: string;
  extra: string[];
}

const bareHost = (h: string) => h.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');

export function siteScope(siteUrl: string, extraHosts: readonly string[] = []): SiteScope {
  return { host: bareHost(new URL(siteUrl).hostname), extra: extraHosts.map((h) => (h.startsWith('*.') ? `*.${bareHost(h.slice(2))}` : bareHost(h))) };
}

export function sameSite(url: URL, scope: SiteScope): boolean {
  const h = bareHost(url.hostname);
  if (h === scope.host) return true;
  return scope.extra.some((e) => (e.startsWith('*.') ? h.endsWith(e.slice(1)) : h === e));
}

/**
 * The identity of a page for deduplication: scheme dropped (http:// and https:// copies are one
 * page), host modulo `www.`, default ports dropped, fragment dropped.
 */
export function linkKey(href: string): string {
  const u = new URL(href);
  return `${bareHost(u.hostname)}${u.port ? `:${u.port}` : ''}${u.pathname}${u.search}`;
}

const HREF = /<(?:a|area|iframe|frame)\s(?:[^>]*?\s)?(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
const SKIP_EXT = /\.(?:jpe?g|png|gif|svg|ico|webp|css|js|pdf|docx?|xlsx?|pptx?|zip|rar|7z|mp4|mp3|avi)$/i;

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&#x2f;/gi, '/').replace(/&quot;/g, '"');
}

/**
 * Same-site http(s) page links of an HTML document, absolute, without fragments, deduplicated by
 * linkKey, in document order. Comments and scripts are not read; only `href`/`src` attributes count
 * (not `data-href`). Documents (pdf, office) and static assets are not pages and are left out.
 */
export function extractLinks(html: string, pageUrl: string, scope: SiteScope): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const text = html.replace(/<!--[\s\S]*?(?:-->|$)/g, ' ').replace(/<script\b[\s\S]*?(?:<\/script\s*>|$)/gi, ' ');
  const baseTag = /<base\s(?:[^>]*?\s)?href\s*=\s*["']?([^"'\s>]+)/i.exec(text);
  let base = pageUrl;
  try {
    if (baseTag) base = new URL(decodeEntities(baseTag[1]!), pageUrl).href;
  } catch {
    // a broken <base>: the page URL
  }
  for (const m of text.matchAll(HREF)) {
    const raw = decodeEntities((m[1] ?? m[2] ?? m[3] ?? '').trim());
    if (!raw || /^(?:#|mailto:|javascript:|tel:|data:)/i.test(raw)) continue;
    let u: URL;
    try {
      u = new URL(raw, base);
    } catch {
      continue;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') continue;
    if (!sameSite(u, scope) || SKIP_EXT.test(u.pathname)) continue;
    u.hash = '';
    const key = linkKey(u.href);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(u.href);
    }
  }
  return out;
}

/** Whether a response may hold links: an HTML content type (or none, with a body that looks like markup). */
export function isHtml(contentType: string | null, body: string): boolean {
  if (contentType) return /\bx?html\b/i.test(contentType);
  return /^\s*</.test(body);
}

export interface LinkCheck {
  url: string;
  capable: boolean;
  reason?: string;
  detail?: string;
}

export interface LevelReport {
  level: 2 | 3;
  /** Distinct same-site links found at this level. */
  found: number;
  /** Links checked (found, capped by maxLinksPerLevel, minus those the page budget left out). */
  checked: number;
  capable: number;
  /** capable ÷ checked (null when nothing was checked). */
  rate: number | null;
  /** Links selected for checking that the page budget left out: in neither checked nor the rate. */
  unchecked: number;
  failures: LinkCheck[];
}

/** `checks` are the links actually checked; `unchecked` those the budget left out. */
export function levelReport(level: 2 | 3, found: number, checks: readonly LinkCheck[], unchecked = 0): LevelReport {
  const capable = checks.filter((c) => c.capable).length;
  return { level, found, checked: checks.length, capable, rate: checks.length ? capable / checks.length : null, unchecked, failures: checks.filter((c) => !c.capable) };
}

/** Whether IPv6 and IPv4 bodies differ in length by more than `tolerance` (a share of the larger). */
export function lengthDiffers(v6: number, v4: number, tolerance: number): boolean {
  const max = Math.max(v6, v4);
  return max > 0 && Math.abs(v6 - v4) / max > tolerance;
}
