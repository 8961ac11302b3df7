import { describe, expect, it } from 'vitest';
import { compileGoRegex, expandTemplate } from './regex.js';

describe('Go RE2 → JS, anchored as Prometheus anchors it', () => {
  it.each([
    // [pattern, matches, does not match]
    ['a.b', ['a\rb', 'a\u2028b', 'a😀b', 'a中b'], ['a\nb', 'ab', 'xa.b']],
    ['(?s)a.b', ['a\nb'], ['ab']],
    ['.', ['😀', '中'], ['', 'ab']],
    ['\\s+', [' \t\r\n\f'], ['\u3000', '\u00a0', '\v']],
    ['\\S', ['\u3000'], [' ']],
    ['[\\s]x', [' x'], ['\u3000x']],
    ['\\d\\w', ['1a'], ['١a']],
    ['\\pL+', ['中文abc'], ['a1']],
    ['\\p{Han}+', ['中文'], ['abc']],
    ['\\p{Lu}', ['A'], ['a']],
    ['\\PL', ['1'], ['a']],
    ['(?i)user', ['USER', 'User'], ['users']],
    ['a\\-b\\!c\\@', ['a-b!c@'], []],
    ['[a\\-z]', ['-'], ['b']],
    ['\\Qa.b*\\E', ['a.b*'], ['axb']],
    ['a\\z', ['a'], ['a\n']],
    ['\\Aa', ['a'], []],
    ['\\x41\\x{4e2d}\\101\\0', ['A中A\0'], []],
    ['a{2}', ['aa'], ['a']],
    ['a{', ['a{'], []],
    ['a}', ['a}'], []],
    [']', [']'], []],
    ['[]a]', [']', 'a'], ['b']],
    ['[[:alpha:]]+', ['abc'], ['a1']],
    ['(?P<x>a)b', ['ab'], []],
    ['foo|bar', ['foo', 'bar'], ['foobar']],
    ['', [''], ['a']],
  ])('%j', (re, yes, no) => {
    const r = compileGoRegex(re as string);
    for (const y of yes as string[]) expect(r.test(y), JSON.stringify(y)).toBe(true);
    for (const n of no as string[]) expect(r.test(n), JSON.stringify(n)).toBe(false);
  });

  it.each(['(', 'a)', '[a', '\\1', '(?=a)', '(?<!a)', '(?i:a)', '\\C', 'a{1001}', '[[:nope:]]', '\\'])('refuses %j', (re) => {
    expect(() => compileGoRegex(re)).toThrow();
  });

  it('expands templates as Go (names as long as possible, unknown groups empty)', () => {
    const m = compileGoRegex('(?P<host>[a-z]+):(\\d+)').exec('web:9100')!;
    expect(expandTemplate('$1-$2', m)).toBe('web-9100');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${1} is Go's template syntax
    expect(expandTemplate('${1}x $1x $host $$ $', m)).toBe('webx  web $ $');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${host} is Go's template syntax
    expect(expandTemplate('${host}:${2}', m)).toBe('web:9100');
  });
});
