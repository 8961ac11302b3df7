import { describe, expect, it } from 'vitest';
import { MatcherError, fingerprint, labelsString, matches, matchesAll, parseMatcher, parseMatchers } from './labels.js';

describe('matchers (Alertmanager syntax)', () => {
  it.each([
    ['severity="critical"', { name: 'severity', type: '=', value: 'critical' }],
    ['zone=~"county-.*"', { name: 'zone', type: '=~', value: 'county-.*' }],
    ['site!=test', { name: 'site', type: '!=', value: 'test' }],
    ['category !~ "mlps|security"', { name: 'category', type: '!~', value: 'mlps|security' }],
    ['summary="a \\"quoted\\" value"', { name: 'summary', type: '=', value: 'a "quoted" value' }],
    ['node=""', { name: 'node', type: '=', value: '' }],
  ])('parses %s', (text, want) => {
    expect(parseMatcher(text)).toEqual(want);
  });

  it.each(['', 'severity', '1abc="x"', 'a=="x"x', 'a="unterminated', 'a=~"("', 'a=x,y'])('refuses %j', (text) => {
    expect(() => parseMatcher(text)).toThrow(MatcherError);
  });

  it('splits a list, keeping commas inside quotes', () => {
    expect(parseMatchers('{alertname="Link down", site=~"a,b|c", severity!="info"}')).toEqual([
      { name: 'alertname', type: '=', value: 'Link down' },
      { name: 'site', type: '=~', value: 'a,b|c' },
      { name: 'severity', type: '!=', value: 'info' },
    ]);
    expect(parseMatchers('a=1, b=2')).toHaveLength(2);
    expect(() => parseMatchers('{a="1"')).toThrow(/closing/);
  });

  it.each([
    ['severity="critical"', { severity: 'critical' }, true],
    ['severity="critical"', { severity: 'warning' }, false],
    ['zone=~"county-.*"', { zone: 'county-a' }, true],
    ['zone=~"county"', { zone: 'county-a' }, false], // anchored
    ['zone!~"county-.*"', { zone: 'city' }, true],
    ['site!="x"', {}, true],
    ['site=""', {}, true], // a missing label is the empty string
    ['site=~".+"', {}, false],
  ] as const)('%s on %j: %s', (m, labels, want) => {
    expect(matches(parseMatcher(m), labels)).toBe(want);
  });

  it('matchesAll needs every matcher', () => {
    const ms = parseMatchers('severity="critical",zone=~"county-.*"');
    expect(matchesAll(ms, { severity: 'critical', zone: 'county-b' })).toBe(true);
    expect(matchesAll(ms, { severity: 'critical', zone: 'city' })).toBe(false);
  });
});

describe('fingerprint', () => {
  it('is independent of label order and differs by value', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1', b: '2' })).not.toBe(fingerprint({ a: '1', b: '3' }));
    expect(fingerprint({ a: '1b', c: '' })).not.toBe(fingerprint({ a: '1', bc: '' }));
    expect(fingerprint({ a: '1' })).toMatch(/^[0-9a-f]{16}$/);
  });
  it('labelsString sorts and quotes', () => {
    expect(labelsString({ site: 'a"b', alertname: 'X' })).toBe('{alertname="X", site="a\\"b"}');
  });
});
