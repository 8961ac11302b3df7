/**
 * Go RE2 syntax (what Prometheus compiles) translated to a JavaScript RegExp, anchored as Prometheus
 * anchors matchers and label_replace: `^(?:re)$`. Both engines are leftmost-first, `.` excludes `\n`
 * and `^`/`$` are text anchors without the `m` flag, so the common syntax carries over; Go-only forms
 * are rewritten (`(?P<n>`, `\z`, `\A`, `\Q…\E`, `[[:alpha:]]`, a leading `(?i)`/`(?s)`) and anything
 * JavaScript would read differently (backreferences, lookaround, which RE2 lacks) is refused.
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

export function compileGoRegex(src: string): RegExp {
  let flags = '';
  let s = src;
  for (;;) {
    const m = /^\(\?([is]+)\)/.exec(s);
    if (!m) break;
    for (const f of m[1]!) if (!flags.includes(f)) flags += f;
    s = s.slice(m[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined) throw new RegexSyntaxError('trailing backslash at end of expression');
      if (n === 'Q') {
        const end = s.indexOf('\\E', i + 2);
        const lit = end < 0 ? s.slice(i + 2) : s.slice(i + 2, end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? s.length : end + 1;
        continue;
      }
      if (!inClass && n === 'z') {
        out += '$(?![\\s\\S])';
        i++;
        continue;
      }
      if (!inClass && n === 'A') {
        out += '^';
        i++;
        continue;
      }
      if (/[1-9]/.test(n)) throw new RegexSyntaxError(`invalid escape sequence: \\${n}`);
      if (n === 'p' || n === 'P') flags = flags.includes('u') ? flags : `${flags}u`;
      out += c + n;
      i++;
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
