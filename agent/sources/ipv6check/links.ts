/** Pure link extraction for the website IPv6 support check. */

/** The host a site's pages may live on: the site's host and its subdomains (www. is dropped). */
export function siteDomain(siteUrl: string): string {
  return new URL(siteUrl).hostname.toLowerCase().replace(/^www\./, '');
}

export function sameSite(url: URL, domain: string): boolean {
  const h = url.hostname.toLowerCase();
  return h === domain || h.endsWith(`.${domain}`);
}

const HREF = /<(?:a|area|iframe|frame)\b[^>]*?\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
const SKIP_EXT = /\.(?:jpe?g|png|gif|svg|ico|webp|css|js|pdf|docx?|xlsx?|pptx?|zip|rar|7z|mp4|mp3|avi)$/i;

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&#x2f;/gi, '/').replace(/&quot;/g, '"');
}

/**
 * Same-site http(s) page links of an HTML document, absolute, without fragments, deduplicated, in
 * document order. Documents (pdf, office) and static assets are not pages and are left out.
 */
export function extractLinks(html: string, pageUrl: string, domain: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const baseTag = /<base\b[^>]*\bhref\s*=\s*["']?([^"'\s>]+)/i.exec(html);
  const base = baseTag ? new URL(decodeEntities(baseTag[1]!), pageUrl).href : pageUrl;
  for (const m of html.matchAll(HREF)) {
    const raw = decodeEntities((m[1] ?? m[2] ?? m[3] ?? '').trim());
    if (!raw || /^(?:#|mailto:|javascript:|tel:|data:)/i.test(raw)) continue;
    let u: URL;
    try {
      u = new URL(raw, base);
    } catch {
      continue;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') continue;
    if (!sameSite(u, domain) || SKIP_EXT.test(u.pathname)) continue;
    u.hash = '';
    if (!seen.has(u.href)) {
      seen.add(u.href);
      out.push(u.href);
    }
  }
  return out;
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
  /** Links checked (found, capped by the limits and the page budget). */
  checked: number;
  capable: number;
  /** capable ÷ checked (null when nothing was checked). */
  rate: number | null;
  failures: LinkCheck[];
}

export function levelReport(level: 2 | 3, found: number, checks: readonly LinkCheck[]): LevelReport {
  const capable = checks.filter((c) => c.capable).length;
  return { level, found, checked: checks.length, capable, rate: checks.length ? capable / checks.length : null, failures: checks.filter((c) => !c.capable) };
}

/** Whether IPv6 and IPv4 bodies differ in length by more than `tolerance` (a share of the larger). */
export function lengthDiffers(v6: number, v4: number, tolerance: number): boolean {
  const max = Math.max(v6, v4);
  return max > 0 && Math.abs(v6 - v4) / max > tolerance;
}
