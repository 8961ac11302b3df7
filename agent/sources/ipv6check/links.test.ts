import { describe, expect, it } from 'vitest';
import { decodeHtml, extractLinks, headerCharset, htmlLinks, isHtml, lengthDiffers, levelReport, linkKey, metaCharset, sameSite, siteScope } from './links.js';

describe('extractLinks', () => {
  const html = `
    <a href="/news/1.html#top">1</a> <A HREF='news/2.html'>2</A> <a href=/x?a=1&amp;b=2>x</a>
    <a href="https://www.gov.example/news/1.html">dup</a> <a href="http://gov.example/news/2.html">dup over http, without www.</a>
    <a href="http://sub.gov.example/y">subdomain: another site</a>
    <a href="https://other.example/">ext</a> <a href="mailto:a@gov.example">m</a> <a href="javascript:void(0)">j</a>
    <a href="/doc.pdf">pdf</a> <a href="#frag">f</a> <iframe src="/frame.html"></iframe> <img src="/pic.png">
    <a data-href="/data-only.html">data-href is not a link</a> <a class="x" data-href="/no.html" href="/yes.html">both</a>
    <!-- <a href="/commented.html">old</a> --> <script>var s = '<a href="/scripted.html">';</script>`;
  it('keeps same-site pages, absolute, deduplicated (scheme and www. ignored), without fragments, in order', () => {
    expect(extractLinks(html, 'https://www.gov.example/index.html', siteScope('https://www.gov.example/'))).toEqual([
      'https://www.gov.example/news/1.html',
      'https://www.gov.example/news/2.html',
      'https://www.gov.example/x?a=1&b=2',
      'https://www.gov.example/frame.html',
      'https://www.gov.example/yes.html',
    ]);
  });
  it('takes configured extra hosts as the site', () => {
    expect(extractLinks(html, 'https://www.gov.example/', siteScope('https://www.gov.example/', ['*.gov.example']))).toContain('http://sub.gov.example/y');
    expect(extractLinks(html, 'https://www.gov.example/', siteScope('https://www.gov.example/', ['sub.gov.example']))).toContain('http://sub.gov.example/y');
  });
  it('decodes every HTML entity in an href (decimal, hex, named), not only &amp;', () => {
    const doc = '<a href="/a&#47;b.html">1</a><a href="/c&#x2F;d.html">2</a><a href="/e&sol;f.html?x=1&amp;y=2&quot;">3</a><a href="/g&period;html">4</a>';
    expect(htmlLinks(doc).hrefs).toEqual(['/a/b.html', '/c/d.html', '/e/f.html?x=1&y=2"', '/g.html']);
  });
  it('reads unclosed and upper-case markup as a browser does; style and script content is not markup', () => {
    expect(
      htmlLinks('<DIV><A HREF=/one.html>x<a href="/two.html"<style>a[href="/css.html"]{}</style><script>"<a href=/js.html>"</script><area href="/map.html">')
        .hrefs,
    ).toEqual(['/one.html', '/two.html', '/map.html']);
  });
  it('honours <base href>', () => {
    expect(
      extractLinks('<base href="https://www.gov.example/sub/"><a href="p.html">', 'https://www.gov.example/', siteScope('https://www.gov.example/')),
    ).toEqual(['https://www.gov.example/sub/p.html']);
  });
});

describe('same site', () => {
  it.each([
    ['https://www.gov.cn/', 'https://gov.cn/a', [], true],
    ['https://www.gov.cn/', 'https://www.beijing.gov.cn/', [], false],
    ['https://www.gov.cn/', 'https://beijing.gov.cn/', [], false],
    ['https://www.beijing.gov.cn/', 'http://beijing.gov.cn/x', [], true],
    ['https://beijing.gov.cn/', 'https://WWW.Beijing.gov.cn./x', [], true],
    ['https://www.beijing.gov.cn/', 'https://hd.beijing.gov.cn/', [], false],
    ['https://www.beijing.gov.cn/', 'https://hd.beijing.gov.cn/', ['*.beijing.gov.cn'], true],
    ['https://www.beijing.gov.cn/', 'https://a.hd.beijing.gov.cn/', ['*.beijing.gov.cn'], true],
    ['https://www.beijing.gov.cn/', 'https://xbeijing.gov.cn/', ['*.beijing.gov.cn'], false],
    ['https://www.beijing.gov.cn/', 'https://zwfw.beijing.gov.cn/', ['zwfw.beijing.gov.cn'], true],
    ['https://www.example.com.cn/', 'https://com.cn/', [], false],
    ['https://www.tsinghua.edu.cn/', 'https://www.pku.edu.cn/', [], false],
  ])('site %s, link %s, extra %j → %s', (site, link, extra, same) => expect(sameSite(new URL(link), siteScope(site, extra))).toBe(same));

  it.each([
    ['http://www.a.gov.cn/x?y=1#z', 'https://a.gov.cn/x?y=1', true],
    ['http://a.gov.cn:80/x', 'https://a.gov.cn:443/x', true],
    ['http://a.gov.cn:8080/x', 'http://a.gov.cn/x', false],
    ['http://a.gov.cn/x', 'http://a.gov.cn/x/', false],
  ])('%s and %s are one page: %s', (a, b, same) => expect(linkKey(a) === linkKey(b)).toBe(same));
});

describe('isHtml', () => {
  it.each([
    ['text/html; charset=utf-8', '', true],
    ['application/xhtml+xml', '', true],
    ['application/pdf', '<html>', false],
    ['text/plain', '<a href="/x">', false],
    [null, '  <!doctype html>', true],
    [null, '%PDF-1.4', false],
  ])('%s %j → %s', (ct, body, html) => expect(isHtml(ct, body)).toBe(html));
});

describe('levelReport and lengthDiffers', () => {
  it('computes the support rate of checked links only', () => {
    const r = levelReport(
      2,
      7,
      [
        { url: 'a', capable: true },
        { url: 'b', capable: false, reason: 'no_aaaa' },
        { url: 'c', capable: true },
        { url: 'd', capable: true },
      ],
      2,
    );
    expect(r).toEqual({ level: 2, found: 7, checked: 4, capable: 3, rate: 0.75, unchecked: 2, failures: [{ url: 'b', capable: false, reason: 'no_aaaa' }] });
    expect(levelReport(3, 0, [])).toEqual({ level: 3, found: 0, checked: 0, capable: 0, rate: null, unchecked: 0, failures: [] });
  });
  it.each([
    [100, 100, 0.1, false],
    [100, 112, 0.1, true],
    [100, 110, 0.1, false],
    [0, 0, 0.1, false],
  ])('%i vs %i bytes at %s → %s', (a, b, t, d) => expect(lengthDiffers(a, b, t)).toBe(d));
});

describe('charset decoding', () => {
  // 新闻 in GBK
  const gbk = Buffer.from([0xd0, 0xc2, 0xce, 0xc5]);
  const page = (head: string) => Buffer.concat([Buffer.from(`<html><head>${head}</head><body><a href="/`), gbk, Buffer.from('/1.html">x</a></body></html>')]);
  it.each([
    ['text/html; charset=utf-8', 'utf-8'],
    ['text/html;charset="GBK"', 'gbk'],
    ['text/html; charset=gb2312', 'gb2312'],
    ['text/html', undefined],
    [null, undefined],
  ])('header %j → %j', (ct, cs) => expect(headerCharset(ct)).toBe(cs));
  it.each([
    ['<meta charset="gbk">', 'gbk'],
    ["<meta charset='GB18030' />", 'gb18030'],
    ['<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', 'gb2312'],
    ['<META HTTP-EQUIV=content-type CONTENT="text/html;charset=GBK">', 'gbk'],
    ['<meta name="x" content="charset=big5">', undefined],
    ['', undefined],
  ])('meta %j → %j', (head, cs) => expect(metaCharset(page(head))).toBe(cs));
  it('a GBK page declared in the HTTP header: the link is the right URL', () => {
    const { text, charset } = decodeHtml(page(''), 'text/html; charset=GBK');
    expect(charset).toBe('gbk');
    expect(extractLinks(text, 'http://www.gov.example/', siteScope('http://www.gov.example/'))).toEqual(['http://www.gov.example/%E6%96%B0%E9%97%BB/1.html']);
  });
  it('a GB2312 page declared only in <meta>: decoded as GBK', () => {
    const { text, charset } = decodeHtml(page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'), 'text/html');
    expect(charset).toBe('gbk');
    expect(text).toContain('/新闻/1.html');
  });
  it('the header wins over <meta>; a BOM wins over both; an unknown label falls through; default UTF-8', () => {
    expect(decodeHtml(page('<meta charset="utf-8">'), 'text/html; charset=gbk').text).toContain('新闻');
    expect(decodeHtml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a href="/新闻">')]), 'text/html; charset=gbk').text).toContain('/新闻');
    expect(decodeHtml(page('<meta charset="gbk">'), 'text/html; charset=x-unknown').charset).toBe('gbk');
    expect(decodeHtml(Buffer.from('<a href="/新闻">'), null)).toEqual({ text: '<a href="/新闻">', charset: 'utf-8' });
  });
});
