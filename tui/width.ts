/**
 * Display width of terminal text (pure): CJK ideographs, kana, Hangul, fullwidth forms and most emoji
 * take two columns, combining marks and zero-width characters none, ANSI escapes none. Ink measures
 * with `string-width`; the test checks both agree on the text the TUI shows.
 */

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;
const MARK = /^(?:\p{Mn}|\p{Me})$/u;

/** Wide (2 columns) code point ranges: East Asian Wide and Fullwidth, plus emoji presentation blocks. */
const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26d4, 0x26d4],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x274c, 0x274c],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

function isWide(cp: number): boolean {
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Columns one character (code point) takes. */
export function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if ((cp >= 0x200b && cp <= 0x200f) || cp === 0x2060 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff || MARK.test(ch)) return 0;
  return isWide(cp) ? 2 : 1;
}

/** Columns `s` takes on a terminal. */
export function strWidth(s: string): number {
  let w = 0;
  // ASCII fast path: the common case for node ids and numbers
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  for (const ch of s.replace(ANSI, '')) w += charWidth(ch);
  return w;
}

/** Cut `s` to at most `width` columns, ending with `…` when cut (a wide character is never split). */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (strWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/** `s` cut or padded with spaces to exactly `width` columns. */
export function padTo(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = truncate(s, width);
  const gap = ' '.repeat(Math.max(0, width - strWidth(t)));
  return align === 'left' ? t + gap : gap + t;
}
