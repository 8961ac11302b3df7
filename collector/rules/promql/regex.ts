/**
 * Go RE2 syntax (what Prometheus compiles) translated to a JavaScript RegExp, anchored as Prometheus
 * anchors matchers and label_replace: `^(?:re)$`, with the `u` flag (Go matches code points). Both
 * engines are leftmost-first and `^`/`$` are text anchors; what reads differently is rewritten: `.`
 * (Go excludes only `\n`, JS also `\r`, U+2028/9), `\s` (ASCII in Go, Unicode in JS), `(?P<n>`, `\z`,
 * `\A`, `\Q…\E`, `\x{…}`, octal escapes, `\pL`/`\p{Greek}`, escaped punctuation, `[[:alpha:]]`,
 * literal `{`/`}`/`]`, a leading `(?i)`/`(?s)`. Anything else JS would read differently (lookaround,
 * backreferences — RE2 has neither — flag groups) is refused.
 */

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export class RegexSyntaxError extends Error {}

const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));
const GO_SPACE = '\\t\\n\\f\\r ';

/** `\pL`, `\p{Lu}`, `\p{Greek}` → JS (`\p{L}`, `\p{Lu}`, `\p{Script=Greek}`). */
function unicodeClass(s: string, i: number): { out: string; len: number } {
  const neg = s[i + 1] === 'P';
  let name: string;
  let len: number;
  if (s[i + 2] === '{') {
    const end = s.indexOf('}', i + 3);
    if (end < 0) throw new RegexSyntaxError('invalid character class range: missing }');
    name = s.slice(i + 3, end);
    len = end - i + 1;
  } else {
    name = s[i + 2] ?? '';
    len = 3;
  }
  let negate = neg;
  if (name.startsWith('^')) {
    negate = !negate;
    name = name.slice(1);
  }
  if (!/^[A-Za-z_]+$/.test(name)) throw new RegexSyntaxError(`invalid character class range: \\p{${name}}`);
  const prop = /^[A-Z][a-z]?$/.test(name) ? name : name === 'Any' ? 'Any' : `Script=${name}`;
  return { out: `\\${negate ? 'P' : 'p'}{${prop}}`, len };
}

/** One escape sequence at s[i] === '\\' (in or outside a class). */
function goEscape(s: string, i: number, inClass: boolean): { out: string; len: number } {
  const n = s[i + 1];
  if (n === undefined) throw new RegexSyntaxError('trailing backslash at end of expression');
  if (n === 'p' || n === 'P') return unicodeClass(s, i);
  if (!inClass) {
    if (n === 'A') return { out: '^', len: 2 };
    if (n === 'z') return { out: '$', len: 2 };
    if (n === 'b' || n === 'B') return { out: `\\${n}`, len: 2 };
    if (n === 's') return { out: `[${GO_SPACE}]`, len: 2 };
    if (n === 'S') return { out: `[^${GO_SPACE}]`, len: 2 };
  } else {
    if (n === 's') return { out: GO_SPACE, len: 2 };
    if (n === 'S') throw new RegexSyntaxError('\\S inside a character class is not supported');
  }
  if ('dDwW'.includes(n)) return { out: `\\${n}`, len: 2 };
  if ('fnrtv'.includes(n)) return { out: `\\${n}`, len: 2 };
  if (n === 'a') return { out: '\\x07', len: 2 };
  if (n === 'x') {
    if (s[i + 2] === '{') {
      const end = s.indexOf('}', i + 3);
      const hex = end < 0 ? '' : s.slice(i + 3, end);
      if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) throw new RegexSyntaxError(`invalid escape sequence: \\x{${hex}`);
      return { out: `\\u{${hex}}`, len: end - i + 1 };
    }
    const hex = s.slice(i + 2, i + 4);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new RegexSyntaxError(`invalid escape sequence: \\x${hex}`);
    return { out: `\\x${hex}`, len: 4 };
  }
  if (/[0-7]/.test(n)) {
    // Go: \0 and \0nn / \nnn are octal; a single non-zero digit would be a backreference.
    const m = /^[0-7]{1,3}/.exec(s.slice(i + 1))![0];
    if (n !== '0' && m.length === 1) throw new RegexSyntaxError(`invalid escape sequence: \\${n}`);
    return { out: `\\u{${Number.parseInt(m, 8).toString(16)}}`, len: 1 + m.length };
  }
  if (/[!-/:-@[-`{-~]/.test(n)) {
    // Go escapes any punctuation; JS (u) only its syntax characters (and - in a class).
    if (JS_SYNTAX.has(n) || (inClass && n === '-')) return { out: `\\${n}`, len: 2 };
    return { out: n, len: 2 };
  }
  throw new RegexSyntaxError(`invalid escape sequence: \\${n}`);
}

export function compileGoRegex(src: string): RegExp {
  let flags = 'u';
  let dotAll = false;
  let s = src;
  for (;;) {
    const m = /^\(\?([is]+)\)/.exec(s);
    if (!m) break;
    if (m[1]!.includes('i') && !flags.includes('i')) flags += 'i';
    if (m[1]!.includes('s')) dotAll = true;
    s = s.slice(m[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      if (s[i + 1] === 'Q') {
        const end = s.indexOf('\\E', i + 2);
        const lit = end < 0 ? s.slice(i + 2) : s.slice(i + 2, end);
        for (const ch of lit) out += JS_SYNTAX.has(ch) || (inClass && ch === '-') ? `\\${ch}` : ch;
        i = end < 0 ? s.length : end + 1;
        continue;
      }
      const e = goEscape(s, i, inClass);
      out += e.out;
      i += e.len - 1;
      continue;
    }
    if (inClass) {
      if (c === '[' && s[i + 1] === ':') {
        const end = s.indexOf(':]', i + 2);
        if (end > 0) {
          const name = s.slice(i + 2, end);
          const neg = name.startsWith('^');
          const cls = POSIX[neg ? name.slice(1) : name];
          if (!cls) throw new RegexSyntaxError(`invalid character class range: [:${name}:]`);
          if (neg) throw new RegexSyntaxError(`negated POSIX class [:${name}:] is not supported`);
          out += cls;
          i = end + 1;
          continue;
        }
      }
      if (c === '[') {
        out += '\\[';
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (s[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (s[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && s[i + 1] === '?') {
      if (s.startsWith('(?P<', i)) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (s[i + 2] === ':') {
        out += '(?:';
        i += 2;
        continue;
      }
      throw new RegexSyntaxError(`unsupported group or flag syntax at ${JSON.stringify(s.slice(i, i + 6))} (only (?:…), (?P<name>…) and a leading (?i)/(?s))`);
    }
    if (c === '.') {
      out += dotAll ? '[^]' : '[^\\n]';
      continue;
    }
    if (c === ']' || c === '}') {
      out += `\\${c}`;
      continue;
    }
    if (c === '{') {
      const q = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i));
      if (!q) {
        out += '\\{';
        continue;
      }
      if (Number(q[1]) > 1000 || (q[3] && Number(q[3]) > 1000)) throw new RegexSyntaxError(`invalid repeat count: ${q[0]}`);
      out += q[0];
      i += q[0].length - 1;
      continue;
    }
    out += c;
  }
  if (inClass) throw new RegexSyntaxError('missing closing ]');
  try {
    return new RegExp(`^(?:${out})$`, flags);
  } catch (err) {
    throw new RegexSyntaxError((err as Error).message);
  }
}

/**
 * Go's Regexp.ExpandString for label_replace: `$1`, `${1}`, `$name`, `${name}`, `$$`. A name is the
 * longest run of [A-Za-z0-9_]; all digits means a group number; unknown groups expand to "".
 */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let len = 0;
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest);
    if (braced) {
      name = braced[1];
      len = braced[0].length;
    } else {
      const bare = /^[A-Za-z0-9_]+/.exec(rest);
      if (bare) {
        name = bare[0];
        len = bare[0].length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    i += len;
    if (/^\d+$/.test(name)) {
      const n = Number(name);
      out += n < m.length ? (m[n] ?? '') : '';
    } else {
      out += m.groups?.[name] ?? '';
    }
  }
  return out;
}
