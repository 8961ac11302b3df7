import { describe, expect, it } from 'vitest';
import { extractLinks, lengthDiffers, levelReport, siteDomain } from './links.js';

describe('extractLinks', () => {
  const html = `
    <a href="/news/1.html#top">1</a> <A HREF='news/2.html'>2</A> <a href=/x?a=1&amp;b=2>x</a>
    <a href="https://www.gov.example/news/1.html">dup</a> <a href="http://sub.gov.example/y">sub</a>
    <a href="https://other.example/">ext</a> <a href="mailto:a@gov.example">m</a> <a href="javascript:void(0)">j</a>
    <a href="/doc.pdf">pdf</a> <a href="#frag">f</a> <iframe src="/frame.html"></iframe> <img src="/pic.png">`;
  it('keeps same-site pages, absolute, deduplicated, without fragments, in order', () => {
    expect(extractLinks(html, 'https://www.gov.example/index.html', siteDomain('https://www.gov.example/'))).toEqual([
      'https://www.gov.example/news/1.html',
      'https://www.gov.example/news/2.html',
      'https://www.gov.example/x?a=1&b=2',
      'http://sub.gov.example/y',
      'https://www.gov.example/frame.html',
    ]);
  });
  it('honours <base href>', () => {
    expect(extractLinks('<base href="https://www.gov.example/sub/"><a href="p.html">', 'https://www.gov.example/', 'gov.example')).toEqual(['https://www.gov.example/sub/p.html']);
  });
});

describe('levelReport and lengthDiffers', () => {
  it('computes the support rate of checked links', () => {
    const r = levelReport(2, 7, [
      { url: 'a', capable: true },
      { url: 'b', capable: false, reason: 'no_aaaa' },
      { url: 'c', capable: true },
      { url: 'd', capable: true },
    ]);
    expect(r).toEqual({ level: 2, found: 7, checked: 4, capable: 3, rate: 0.75, failures: [{ url: 'b', capable: false, reason: 'no_aaaa' }] });
    expect(levelReport(3, 0, []).rate).toBeNull();
  });
  it.each([
    [100, 100, 0.1, false],
    [100, 112, 0.1, true],
    [100, 110, 0.1, false],
    [0, 0, 0.1, false],
  ])('%i vs %i bytes at %s → %s', (a, b, t, d) => expect(lengthDiffers(a, b, t)).toBe(d));
});
