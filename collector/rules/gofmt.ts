/**
 * Go's `fmt` number formatting, exactly, for the verbs rule templates use (`%v %g %e %f %d %s %q %x`
 * with flags, width and precision). Prometheus's template functions (`humanize` = `%.4g`, …) and
 * `printf` go through Go's fmt, so alert text matches Prometheus's to the byte only if this does.
 *
 * Rounding to a precision is done on the double's exact decimal expansion with round-half-to-even,
 * as Go's strconv does (JavaScript's toFixed/toPrecision round ties away from zero).
 */

/** The exact decimal digits of a finite non-negative double: value = 0.d1d2d3… × 10^dp. */
function exactDigits(v: number): { d: string; dp: number } {
  if (v === 0) return { d: '', dp: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, v);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  let digits: string;
  let dp: number;
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    dp = digits.length - -e2;
  }
  const t = digits.replace(/0+$/, '');
  return { d: t, dp };
}

/** Shortest round-trip digits (as Go's strconv with precision -1; identical to JavaScript's). */
function shortestDigits(v: number): { d: string; dp: number } {
  if (v === 0) return { d: '', dp: 0 };
  const s = v.toExponential(); // "d.ddde±x"
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s)!;
  const d = (m[1]! + (m[2] ?? '')).replace(/0+$/, '');
  return { d, dp: Number(m[3]) + 1 };
}

/** Round digits to n significant digits (n ≥ 0), half to even on the exact value. */
function roundDigits(x: { d: string; dp: number }, n: number): { d: string; dp: number } {
  let { d, dp } = x;
  if (d.length <= n) return { d, dp };
  if (n < 0) return { d: '', dp };
  const next = d.charCodeAt(n) - 48;
  const rest = d.slice(n + 1);
  let up = next > 5 || (next === 5 && /[1-9]/.test(rest));
  if (next === 5 && !/[1-9]/.test(rest)) up = n > 0 ? (d.charCodeAt(n - 1) - 48) % 2 === 1 : false;
  d = d.slice(0, n);
  if (up) {
    let i = d.length - 1;
    const arr = d.split('');
    while (i >= 0 && arr[i] === '9') {
      arr[i] = '0';
      i--;
    }
    if (i < 0) {
      arr.unshift('1');
      dp++;
    } else arr[i] = String.fromCharCode(arr[i]!.charCodeAt(0) + 1);
    d = arr.join('');
  }
  return { d: d.replace(/0+$/, ''), dp };
}

/** Round to `frac` digits after the decimal point. */
function roundFixed(x: { d: string; dp: number }, frac: number): { d: string; dp: number } {
  const n = x.dp + frac;
  if (n < 0) return { d: '', dp: x.dp };
  if (n === 0) {
    // only the rounding decision on the first digit
    if (x.d.length === 0) return x;
    const first = x.d.charCodeAt(0) - 48;
    const up = first > 5 || (first === 5 && /[1-9]/.test(x.d.slice(1)));
    return up ? { d: '1', dp: x.dp + 1 } : { d: '', dp: x.dp };
  }
  return roundDigits(x, n);
}

function digitAt(d: string, i: number): string {
  return i >= 0 && i < d.length ? d[i]! : '0';
}

function fmtF(x: { d: string; dp: number }, frac: number): string {
  let s = '';
  if (x.dp > 0) for (let i = 0; i < x.dp; i++) s += digitAt(x.d, i);
  else s = '0';
  if (frac > 0) {
    s += '.';
    for (let i = 0; i < frac; i++) s += digitAt(x.d, x.dp + i);
  }
  return s;
}

function fmtE(x: { d: string; dp: number }, frac: number, ch: 'e' | 'E'): string {
  let s = x.d.length === 0 ? '0' : x.d[0]!;
  if (frac > 0) {
    s += '.';
    for (let i = 1; i <= frac; i++) s += digitAt(x.d, i);
  }
  const exp = x.d.length === 0 ? 0 : x.dp - 1;
  const a = Math.abs(exp);
  return `${s}${ch}${exp < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
}

/**
 * strconv.FormatFloat(v, fmt, prec, 64) for fmt in e/E/f/g/G; prec -1 = shortest. Sign included
 * ('-' for negative and -0), no '+'.
 */
export function formatFloat(v: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  const shortest = prec < 0;
  let x = shortest ? shortestDigits(a) : exactDigits(a);
  let out: string;
  if (fmt === 'f') {
    if (!shortest) x = roundFixed(x, prec);
    out = fmtF(x, shortest ? Math.max(x.d.length - x.dp, 0) : prec);
  } else if (fmt === 'e' || fmt === 'E') {
    if (!shortest) x = roundDigits(x, prec + 1);
    out = fmtE(x, shortest ? Math.max(x.d.length - 1, 0) : prec, fmt);
  } else {
    let p = prec;
    if (!shortest) {
      if (p === 0) p = 1;
      x = roundDigits(x, p);
    }
    let eprec = shortest ? 6 : p;
    if (!shortest && eprec > x.d.length && x.d.length >= x.dp) eprec = x.d.length;
    const nd = x.d.length;
    const exp = x.dp - 1;
    if (shortest) p = nd;
    if (exp < -4 || exp >= eprec) {
      if (p > nd) p = nd;
      out = fmtE(x, Math.max(p - 1, 0), fmt === 'G' ? 'E' : 'e');
    } else {
      if (p > x.dp) p = nd;
      out = fmtF(x, Math.max(p - x.dp, 0));
    }
  }
  return (neg ? '-' : '') + out;
}

/** Go's `%q` of a string (strconv.Quote): printable runes kept, others escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Values a template handles, with their Go type for `%v` and for `%!verb(type=value)` errors. */
export type GoValue =
  | { t: 'float64'; v: number }
  | { t: 'string'; v: string }
  | { t: 'int'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'map'; v: Record<string, string> }
  | { t: 'nil' };

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width?: number;
  prec?: number;
}

function pad(s: string, sp: Spec, numeric: boolean): string {
  if (sp.width === undefined || s.length >= sp.width) return s;
  const n = sp.width - [...s].length;
  if (n <= 0) return s;
  if (sp.minus) return s + ' '.repeat(n);
  if (sp.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

function signed(s: string, sp: Spec): string {
  if (s.startsWith('-')) return s;
  if (sp.plus) return `+${s}`;
  if (sp.space) return ` ${s}`;
  return s;
}

/** `%v` of a value, as Go's fmt prints it. */
export function goString(x: GoValue): string {
  switch (x.t) {
    case 'float64':
      return formatFloat(x.v, 'g', -1);
    case 'int':
      return String(x.v);
    case 'string':
      return x.v;
    case 'bool':
      return String(x.v);
    case 'nil':
      return '<nil>';
    case 'map':
      return `map[${Object.keys(x.v)
        .sort()
        .map((k) => `${k}:${x.v[k]}`)
        .join(' ')}]`;
  }
}

function badVerb(verb: string, x: GoValue): string {
  if (x.t === 'nil') return `%!${verb}(<nil>)`;
  return `%!${verb}(${x.t === 'map' ? 'map[string]string' : x.t}=${goString(x)})`;
}

function fmtOne(verb: string, sp: Spec, x: GoValue): string {
  switch (verb) {
    case 'v':
      if (x.t === 'float64') return pad(signed(formatFloat(x.v, 'g', sp.prec ?? -1), sp), sp, true);
      if (x.t === 'int') return pad(signed(String(x.v), sp), sp, true);
      if (x.t === 'string' && sp.sharp) return pad(goQuote(x.v), sp, false);
      return pad(goString(x), sp, false);
    case 's':
      if (x.t === 'string') return pad(sp.prec !== undefined ? [...x.v].slice(0, sp.prec).join('') : x.v, sp, false);
      return badVerb(verb, x);
    case 'q':
      if (x.t === 'string') return pad(goQuote(x.v), sp, false);
      return badVerb(verb, x);
    case 'd':
      if (x.t === 'int') return pad(signed(String(x.v), sp), sp, true);
      return badVerb(verb, x);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      if (x.t === 'float64' || x.t === 'int') {
        const v = x.v;
        const f = verb === 'F' ? 'f' : (verb as 'e' | 'E' | 'f' | 'g' | 'G');
        const prec = sp.prec ?? (f === 'g' || f === 'G' ? -1 : 6);
        if (x.t === 'int') return badVerb(verb, x);
        let s = formatFloat(v, f, prec);
        // Go prints infinities as +Inf/-Inf whatever the flags, NaN as NaN (+NaN with '+')
        if (Number.isFinite(v)) s = signed(s, sp);
        else if (Number.isNaN(v) && sp.plus) s = '+NaN';
        return pad(s, sp, Number.isFinite(v));
      }
      return badVerb(verb, x);
    case 'x':
    case 'X':
      if (x.t === 'string') {
        const hex = Buffer.from(x.v, 'utf8').toString('hex');
        return pad(verb === 'X' ? hex.toUpperCase() : hex, sp, false);
      }
      if (x.t === 'int') {
        const h = Math.abs(x.v).toString(16);
        return pad((x.v < 0 ? '-' : '') + (verb === 'X' ? h.toUpperCase() : h), sp, true);
      }
      return badVerb(verb, x);
    case 't':
      if (x.t === 'bool') return pad(String(x.v), sp, false);
      return badVerb(verb, x);
    default:
      return badVerb(verb, x);
  }
}

/** Go's fmt.Sprintf over GoValues. */
export function sprintf(format: string, args: GoValue[]): string {
  let out = '';
  let ai = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const sp: Spec = { minus: false, plus: false, space: false, zero: false, sharp: false };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') sp.minus = true;
      else if (f === '+') sp.plus = true;
      else if (f === ' ') sp.space = true;
      else if (f === '0') sp.zero = !sp.minus;
      else if (f === '#') sp.sharp = true;
      else break;
    }
    let m = /^\d+/.exec(format.slice(i));
    if (m) {
      sp.width = Number(m[0]);
      i += m[0].length;
    }
    if (format[i] === '.') {
      i++;
      m = /^\d+/.exec(format.slice(i));
      sp.prec = m ? Number(m[0]) : 0;
      if (m) i += m[0].length;
    }
    const verb = format[i];
    i++;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (ai >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtOne(verb, sp, args[ai++]!);
  }
  if (ai < args.length) {
    out += `%!(EXTRA ${args
      .slice(ai)
      .map((a) => `${a.t === 'map' ? 'map[string]string' : a.t}=${goString(a)}`)
      .join(', ')})`;
  }
  return out;
}
