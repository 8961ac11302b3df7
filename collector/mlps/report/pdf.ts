/**
 * PDF (and PNG, to look at a page) from the report HTML, printed by Debian's chromium driven by
 * puppeteer-core. Chinese needs a CJK font installed (fonts-wqy-microhei or fonts-noto-cjk), else it
 * prints as boxes. The only I/O of the report; the HTML itself comes from render.ts.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export interface PrintOptions {
  /** The chromium binary (default /usr/bin/chromium, or XUNJIAN_CHROMIUM). */
  executablePath?: string;
  timeoutMs?: number;
}

async function withPage<T>(html: string, o: PrintOptions, fn: (page: Awaited<ReturnType<Browser['newPage']>>) => Promise<T>): Promise<T> {
  const executablePath = o.executablePath ?? process.env.XUNJIAN_CHROMIUM ?? DEFAULT_CHROMIUM;
  if (!existsSync(executablePath)) throw new Error(`PDF needs chromium: ${executablePath} not found (apt-get install chromium fonts-wqy-microhei)`);
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // no network: the report is self-contained; --no-sandbox only when running as root (containers)
    args: ['--disable-gpu', '--no-first-run', '--no-default-browser-check', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    timeout: o.timeoutMs ?? 60_000,
  });
  try {
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    page.on('request', (r) => (r.url().startsWith('data:') || r.url() === 'about:blank' ? r.continue() : r.abort()));
    await page.setContent(html, { waitUntil: 'load', timeout: o.timeoutMs ?? 60_000 });
    return await fn(page);
  } finally {
    await browser.close();
  }
}

/** The report HTML printed to PDF (A4, CSS page rules, page numbers in the footer). */
export function htmlToPdf(html: string, o: PrintOptions = {}): Promise<Uint8Array> {
  return withPage(html, o, (page) =>
    page.pdf({
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate:
        '<div style="font-size:8px;width:100%;text-align:center;color:#666"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
      timeout: o.timeoutMs ?? 60_000,
    }),
  );
}

/** A PNG of the first page-sized viewport of the HTML (for looking at the rendering). */
export function htmlToPng(html: string, o: PrintOptions & { width?: number; height?: number; fullPage?: boolean } = {}): Promise<Uint8Array> {
  return withPage(html, o, async (page) => {
    await page.setViewport({ width: o.width ?? 1000, height: o.height ?? 1400 });
    return page.screenshot({ type: 'png', fullPage: o.fullPage ?? false });
  });
}
