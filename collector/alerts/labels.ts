import { createHash } from 'node:crypto';
import type { LabelSet } from '../core/component.js';
import { compileGoRegex } from '../rules/promql/regex.js';

/**
 * Label sets and Alertmanager-style label matchers (`name="v"`, `!=`, `=~`, `!~`), pure functions.
 * Regex matchers are anchored at both ends, as in Alertmanager and PromQL.
 */

/** Stable identity of an alert: SHA-256 over the sorted label pairs, first 16 hex digits. */
export function fingerprint(labels: LabelSet): string {
  const h = createHash('sha256');
  for (const k of Object.keys(labels).sort()) h.update(`${k}\u0000${labels[k]}\u0001`);
  return h.digest('hex').slice(0, 16);
}

/** `{a="1", b="2"}` with sorted names, values escaped as in Go strconv.Quote. */
export function labelsString(labels: LabelSet): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
}

export class MatcherError extends Error {
  override name = 'MatcherError';
}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const regexCache = new Map<string, RegExp>();

/** Anchored, with Go's RE2 semantics (Alertmanager's), as PromQL's matchers: `.` excludes only `\n`, `\s` is ASCII. */
function anchored(value: string): RegExp {
  let re = regexCache.get(value);
  if (!re) {
    re = compileGoRegex(value);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(value, re);
  }
  return re;
}

/** Parse one matcher: `severity="critical"`, `zone=~"county-.*"`, `site!=a` (unquoted values allowed). */
export function parseMatcher(text: string): Matcher {
  const s = text.trim();
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*)$/su.exec(s);
  if (!m) throw new MatcherError(`bad matcher '${text}': expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX`);
  const [, name, type, raw] = m as unknown as [string, string, MatchType, string];
  let value = raw.trim();
  if (value.startsWith('"')) {
    try {
      const v = JSON.parse(value);
      if (typeof v !== 'string') throw new Error('not a string');
      value = v;
    } catch {
      throw new MatcherError(`bad matcher '${text}': the quoted value is not a valid double-quoted string`);
    }
  } else if (/[",{}]/.test(value)) {
    throw new MatcherError(`bad matcher '${text}': quote values holding '"', ',', '{' or '}'`);
  }
  if (type === '=~' || type === '!~') {
    try {
      anchored(value);
    } catch (err) {
      throw new MatcherError(`bad matcher '${text}': invalid regular expression: ${(err as Error).message}`);
    }
  }
  return { name, type, value };
}

/** Split `{a="x,y", b=~"z"}` or `a="x", b="y"` into matchers (commas inside quotes kept). */
export function parseMatchers(text: string): Matcher[] {
  let s = text.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw new MatcherError(`bad matchers '${text}': missing closing '}'`);
    s = s.slice(1, -1);
  }
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted && c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new MatcherError(`bad matchers '${text}': unterminated quote`);
  parts.push(cur);
  return parts.filter((p) => p.trim() !== '').map(parseMatcher);
}

/** A missing label matches as the empty string (Alertmanager's semantics). */
export function matches(m: Matcher, labels: LabelSet): boolean {
  const v = labels[m.name] ?? '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return anchored(m.value).test(v);
    case '!~':
      return !anchored(m.value).test(v);
  }
}

export const matchesAll = (ms: readonly Matcher[], labels: LabelSet): boolean => ms.every((m) => matches(m, labels));

export const matcherString = (m: Matcher): string => `${m.name}${m.type}${JSON.stringify(m.value)}`;

export function isLabelName(s: string): boolean {
  return NAME.test(s);
}
