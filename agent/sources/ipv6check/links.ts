import { TextDecoder } from 'node:util';
import { Parser } from 'htmlparser2';

/** Pure link extraction, charset decoding and rates for the website IPv6 support check. */

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

const bareHost = (h: string) =>
  h
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '');

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

const SKIP_EXT = /\.(?:jpe?g|png|gif|svg|ico|webp|css|js|pdf|docx?|xlsx?|pptx?|zip|rar|7z|mp4|mp3|avi)$/i;
/** Elements whose link attribute leads to a page. */
const LINK_ATTR: Record<string, string> = { a: 'href', area: 'href', iframe: 'src', frame: 'src' };

/**
 * The raw link attributes of an HTML document in document order, entities decoded, and its first
 * `<base href>`, read with htmlparser2 (a tolerant HTML tokenizer): comments, scripts and styles are not
 * markup and are not read; only `href`/`src` of a, area, iframe and frame count (not `data-href`).
 */
export function htmlLinks(html: string): { base?: string; hrefs: string[] } {
  const hrefs: string[] = [];
  let base: string | undefined;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'base' && base === undefined && attribs.href !== undefined) base = attribs.href.trim();
        const attr = LINK_ATTR[name];
        if (attr && attribs[attr] !== undefined) hrefs.push(attribs[attr]!.trim());
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return { base, hrefs };
}

/**
 * Same-site http(s) page links of an HTML document, absolute, without fragments, deduplicated by
 * linkKey, in document order (see htmlLinks for what counts). Documents (pdf, office) and static assets
 * are not pages and are left out.
 */
export function extractLinks(html: string, pageUrl: string, scope: SiteScope): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const found = htmlLinks(html);
  let base = pageUrl;
  try {
    if (found.base) base = new URL(found.base, pageUrl).href;
  } catch {
    // a broken <base>: the page URL
  }
  for (const raw of found.hrefs) {
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

/** The charset parameter of a Content-Type header, lower case, or undefined. */
export function headerCharset(contentType: string | null): string | undefined {
  const m = contentType ? /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType) : null;
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * The charset a document declares in its first 1024 bytes, as the HTML prescan does:
 * `<meta charset="gbk">` or `<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`.
 */
export function metaCharset(head: Buffer): string | undefined {
  const text = head.subarray(0, 1024).toString('latin1');
  for (const m of text.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = m[0];
    const direct = /\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)/i.exec(tag);
    if (direct && !/\bcontent\s*=/i.test(tag.slice(0, direct.index))) return direct[1]!.toLowerCase();
    if (/http-equiv\s*=\s*["']?content-type/i.test(tag)) {
      const c = /\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tag);
      const cs = headerCharset(c ? `x; ${(c[1] ?? c[2] ?? c[3] ?? '').replace(/^[^;]*;?/, '')}` : null);
      if (cs) return cs;
    }
  }
  return undefined;
}

function decoderFor(label: string | undefined): TextDecoder | undefined {
  if (!label) return undefined;
  try {
    return new TextDecoder(label);
  } catch {
    return undefined; // a label TextDecoder does not know: the next rule
  }
}

/**
 * Decode an HTML body by its declared charset: a byte-order mark, then the HTTP Content-Type charset,
 * then `<meta charset>` in the first 1024 bytes, else UTF-8. GB2312/GBK/GB18030 (still common on
 * government sites) decode through TextDecoder's WHATWG encodings (gb2312 is read as gbk).
 */
export function decodeHtml(body: Buffer, contentType: string | null): { text: string; charset: string } {
  let d: TextDecoder | undefined;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) d = new TextDecoder('utf-8');
  else if (body[0] === 0xfe && body[1] === 0xff) d = new TextDecoder('utf-16be');
  else if (body[0] === 0xff && body[1] === 0xfe) d = new TextDecoder('utf-16le');
  d ??= decoderFor(headerCharset(contentType)) ?? decoderFor(metaCharset(body)) ?? new TextDecoder('utf-8');
  return { text: d.decode(body), charset: d.encoding };
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
  return {
    level,
    found,
    checked: checks.length,
    capable,
    rate: checks.length ? capable / checks.length : null,
    unchecked,
    failures: checks.filter((c) => !c.capable),
  };
}

/** Whether IPv6 and IPv4 bodies differ in length by more than `tolerance` (a share of the larger). */
export function lengthDiffers(v6: number, v4: number, tolerance: number): boolean {
  const max = Math.max(v6, v4);
  return max > 0 && Math.abs(v6 - v4) / max > tolerance;
}
