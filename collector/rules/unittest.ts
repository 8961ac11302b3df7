import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import YAML from 'yaml';
import type { LabelSet } from '../core/component.js';
import { AlertingRule } from './alerting.js';
import { goQuote } from './gofmt.js';
import { formatFloat } from './gofmt.js';
import { Group } from './group.js';
import { formatDuration, type GroupDef, parseDuration, parseRuleFile, RuleFileError } from './rulefile.js';
import { globFiles } from './glob.js';
import { type InstantSample, STALE_NAN } from './types.js';

/**
 * `promtool test rules` (Prometheus 2.42 `cmd/promtool/unittest.go`) over our engine: the same test
 * files, the same verdicts, the same failure text. Input series in promtool's notation (`a+bxn`,
 * `a-bxn`, `axn`, `_`, `_xn`, `stale`) loaded lazily (samples up to each evaluation time), every group
 * evaluated at every `evaluation_interval` from 0 to the largest `eval_time`, alerts compared at each
 * `alert_rule_test` time, `promql_expr_test` expressions evaluated after the last evaluation.
 */

/** The engine the runner drives (adapter over promql/). */
export interface TestEngine<E> {
  parse(text: string): E;
  newStore(): TestStore<E>;
}
export interface TestStore<E> {
  append(labels: LabelSet, t: number, v: number): void;
  /** Instant query; a scalar is one sample with no labels; other types throw "rule result is not a vector or scalar". */
  instant(expr: E, t: number): InstantSample[];
  /** The query of a group's rules, sharing their common sub-expressions (as the collector evaluates a group). */
  group?(exprs: E[]): (expr: E, t: number) => InstantSample[];
}

export interface TestOutput {
  stdout: string;
  stderr: string;
  /** promtool's exit code: 0 all passed, 1 some failed. */
  code: number;
}

/** Go's time.Duration String() of ms: `0s`, `1m0s`, `1h2m3s`, `1.5s`, `500ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let a = Math.abs(ms);
  let out: string;
  if (a < 1000) out = `${a}ms`;
  else {
    const h = Math.floor(a / 3600e3);
    a -= h * 3600e3;
    const m = Math.floor(a / 60e3);
    a -= m * 60e3;
    const s = a / 1000;
    const sStr = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
    out = h > 0 ? `${h}h${m}m${sStr}` : m > 0 ? `${m}m${sStr}` : sStr;
  }
  return (neg ? '-' : '') + out;
}

// ---- series notation ----

const UNSIGNED = '(?:[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?|[Nn][Aa][Nn]|(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)';
const ITEM = new RegExp(`^(?:(_)(?:x(\\d+))?|(stale)|([+-]?${UNSIGNED})(?:([+-]${UNSIGNED})?x(\\d+))?)$`);

function num(s: string): number {
  const t = s.toLowerCase();
  if (/^[+-]?inf/.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/.test(t)) return Number.NaN;
  return Number(s);
}

/** A `stale` step (the marker's NaN bits are written only when the sample is stored). */
export const STALE = 'stale' as const;

/** Expand promtool's value notation into one entry per step (undefined = `_`, no sample). */
export function expandValues(values: string): (number | typeof STALE | undefined)[] {
  const out: (number | typeof STALE | undefined)[] = [];
  for (const tok of values.trim().split(/\s+/)) {
    if (tok === '') continue;
    const m = ITEM.exec(tok);
    if (!m) throw new Error(`parse error: unexpected ${JSON.stringify(tok)} in series values, expected number or "stale"`);
    if (m[1]) {
      const n = m[2] === undefined ? 1 : Number(m[2]);
      for (let i = 0; i < n; i++) out.push(undefined);
    } else if (m[3]) out.push(STALE);
    else {
      let v = num(m[4]!);
      const times = m[6];
      if (times === undefined) out.push(v);
      else {
        const step = m[5] === undefined ? 0 : num(m[5]);
        for (let i = 0; i <= Number(times); i++) {
          out.push(v);
          v += step;
        }
      }
    }
  }
  return out;
}

/** Parse `name{a="b", …}` / `{__name__="x"}` (Prometheus's ParseMetric) into a label set. */
export function parseMetric(s: string): LabelSet {
  const src = s.trim();
  const labels: LabelSet = {};
  if (src === '') return labels;
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(\{([\s\S]*)\})?$/.exec(src);
  if (!m || (m[1] === undefined && m[2] === undefined)) throw new Error(`1:1: parse error: unexpected character in metric ${JSON.stringify(src)}`);
  if (m[1]) labels.__name__ = m[1];
  const body = m[3] ?? '';
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*(,|$)/y;
  let i = 0;
  while (i < body.length && body.slice(i).trim() !== '') {
    re.lastIndex = i;
    const lm = re.exec(body);
    if (!lm) throw new Error(`parse error: bad label matcher in ${JSON.stringify(src)}`);
    const q = lm[2]!;
    const v = q.startsWith('`')
      ? q.slice(1, -1)
      : q.startsWith("'")
        ? JSON.parse(`"${q.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`)
        : JSON.parse(q);
    if (v !== '') labels[lm[1]!] = v;
    i = re.lastIndex;
  }
  return labels;
}

// ---- the test file ----

interface SeriesIn {
  series: string;
  values: string;
}
interface AlertTest {
  eval_time?: string;
  alertname?: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[];
}
interface ExprTest {
  expr: string;
  eval_time?: string;
  exp_samples?: { labels?: string; value?: number }[];
}
interface TestGroupIn {
  interval?: string;
  input_series?: SeriesIn[];
  alert_rule_test?: AlertTest[];
  promql_expr_test?: ExprTest[];
  external_labels?: Record<string, string>;
  external_url?: string;
  name?: string;
}
interface UnitTestFile {
  rule_files?: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  tests?: TestGroupIn[];
}

const FILE_FIELDS: Record<string, string[]> = {
  'main.unitTestFile': ['rule_files', 'evaluation_interval', 'group_eval_order', 'tests'],
  'main.testGroup': ['interval', 'input_series', 'alert_rule_test', 'promql_expr_test', 'external_labels', 'external_url', 'name'],
  'main.series': ['series', 'values'],
  'main.alertTestCase': ['eval_time', 'alertname', 'exp_alerts'],
  'main.alert': ['exp_labels', 'exp_annotations'],
  'main.promqlTestCase': ['expr', 'eval_time', 'exp_samples'],
  'main.sample': ['labels', 'value'],
};

/** yaml.UnmarshalStrict's unknown-field check. */
function strictCheck(doc: YAML.Document.Parsed, lc: YAML.LineCounter): string[] {
  const errs: string[] = [];
  const walk = (n: unknown, type: string) => {
    if (!YAML.isMap(n)) return;
    for (const p of n.items) {
      const k = YAML.isScalar(p.key) ? String(p.key.value) : String(p.key);
      const allowed = FILE_FIELDS[type];
      if (allowed && !allowed.includes(k)) {
        const line = p.key && (p.key as YAML.Node).range ? lc.linePos((p.key as YAML.Node).range![0]).line : 0;
        errs.push(`  line ${line}: field ${k} not found in type ${type}`);
        continue;
      }
      const child: Record<string, Record<string, string>> = {
        'main.unitTestFile': { tests: 'main.testGroup' },
        'main.testGroup': { input_series: 'main.series', alert_rule_test: 'main.alertTestCase', promql_expr_test: 'main.promqlTestCase' },
        'main.alertTestCase': { exp_alerts: 'main.alert' },
        'main.promqlTestCase': { exp_samples: 'main.sample' },
      };
      const ct = child[type]?.[k];
      if (ct && YAML.isSeq(p.value)) for (const it of p.value.items) walk(it, ct);
    }
  };
  walk(doc.contents, 'main.unitTestFile');
  return errs;
}

function dur(s: string | number | undefined): number {
  if (s === undefined || s === null) return 0;
  return parseDuration(String(s));
}

interface LabeledAnnotated {
  labels: LabelSet;
  annotations: LabelSet;
}

function cmpBytes(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
}
/** Prometheus's labels.Compare. */
export function compareLabelSets(a: LabelSet, b: LabelSet): number {
  const an = Object.keys(a).sort(cmpBytes);
  const bn = Object.keys(b).sort(cmpBytes);
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    if (an[i] !== bn[i]) return cmpBytes(an[i]!, bn[i]!);
    const c = cmpBytes(a[an[i]!]!, b[bn[i]!]!);
    if (c !== 0) return c;
  }
  return an.length - bn.length;
}

function labelsStr(l: LabelSet): string {
  return `{${Object.keys(l)
    .sort(cmpBytes)
    .map((k) => `${k}=${goQuote(l[k]!)}`)
    .join(', ')}}`;
}

function indentLines(lines: string, indent: string): string {
  return lines.split('\n').join(`\n${indent}`);
}

function laString(la: LabeledAnnotated[]): string {
  if (la.length === 0) return '[]';
  const one = (x: LabeledAnnotated) => `Labels:${labelsStr(x.labels)}\nAnnotations:${labelsStr(x.annotations)}`;
  let s = `[\n0:${indentLines(`\n${one(la[0]!)}`, '  ')}`;
  la.slice(1).forEach((l, i) => {
    s += `,\n${i + 1}:${indentLines(`\n${one(l)}`, '  ')}`;
  });
  return `${s}\n]`;
}

function sameLA(a: LabeledAnnotated[], b: LabeledAnnotated[]): boolean {
  if (a.length !== b.length) return false;
  return a.every(
    (x, i) =>
      compareLabelSets(x.labels, b[i]!.labels) === 0 &&
      Object.keys(x.labels).length === Object.keys(b[i]!.labels).length &&
      compareLabelSets(x.annotations, b[i]!.annotations) === 0,
  );
}

function sampleStr(s: { labels: LabelSet; value: number }): string {
  return `${labelsStr(s.labels)} ${formatFloat(s.value, 'E', -1)}`;
}

/** Resolve rule_files against the test file's folder and expand globs (promtool warns on no match). */
function resolveRuleFiles(testFile: string, files: string[], warn: (s: string) => void): string[] {
  const base = dirname(testFile);
  const out: string[] = [];
  for (const f of files) {
    const p = f !== '' && !isAbsolute(f) ? join(base, f) : f;
    const m = /[*?[]/.test(p) ? globFiles(p) : existsSync(p) && statSync(p).isFile() ? [p] : [];
    if (m.length === 0) warn(`  WARNING: no file match pattern ${p}\n`);
    out.push(...m);
  }
  return out;
}

/** Run one test file; returns its errors (empty: passed). */
export function ruleUnitTest<E>(filename: string, engine: TestEngine<E>, warn: (s: string) => void): string[] {
  let text: string;
  try {
    text = readFileSync(filename, 'utf8');
  } catch (e) {
    return [`open ${filename}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`];
  }
  const lc = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) return doc.errors.map((e) => `yaml: line ${e.linePos?.[0]?.line ?? 0}: ${e.message.split('\n')[0]}`);
  const strict = strictCheck(doc, lc);
  if (strict.length) return [`yaml: unmarshal errors:\n${strict.join('\n')}`];
  const utf = (doc.toJS() ?? {}) as UnitTestFile;
  let evalInterval: number;
  try {
    evalInterval = dur(utf.evaluation_interval) || 60_000;
  } catch (e) {
    return [(e as Error).message];
  }
  const ruleFiles = resolveRuleFiles(filename, utf.rule_files ?? [], warn);
  const order = new Map<string, number>();
  for (const [i, g] of (utf.group_eval_order ?? []).entries()) {
    if (order.has(g)) return [`group name repeated in evaluation order: ${g}`];
    order.set(g, i);
  }
  const errs: string[] = [];
  for (const tg of utf.tests ?? []) {
    const e = testGroup(tg, evalInterval, order, ruleFiles, engine);
    errs.push(...e);
  }
  return errs;
}

function testGroup<E>(tg: TestGroupIn, evalInterval: number, order: Map<string, number>, ruleFiles: string[], engine: TestEngine<E>): string[] {
  const store = engine.newStore();
  // input series
  let intervalMs: number;
  try {
    intervalMs = dur(tg.interval);
  } catch (e) {
    return [(e as Error).message];
  }
  const pending: { labels: LabelSet; samples: { t: number; v: number | typeof STALE }[]; i: number }[] = [];
  const byKey = new Map<string, number>();
  for (const [li, s] of (tg.input_series ?? []).entries()) {
    let labels: LabelSet;
    let values: (number | typeof STALE | undefined)[];
    try {
      labels = parseMetric(String(s.series ?? ''));
      values = expandValues(String(s.values ?? ''));
    } catch (e) {
      return [`${li + 1}:1: ${(e as Error).message}`];
    }
    const samples: { t: number; v: number | typeof STALE }[] = [];
    values.forEach((v, i) => {
      if (v !== undefined) samples.push({ t: i * intervalMs, v });
    });
    const k = JSON.stringify(Object.entries(labels).sort());
    const entry = { labels, samples, i: 0 };
    if (byKey.has(k)) pending[byKey.get(k)!] = entry;
    else {
      byKey.set(k, pending.length);
      pending.push(entry);
    }
  }
  const appendTill = (ts: number) => {
    for (const p of pending) {
      while (p.i < p.samples.length && p.samples[p.i]!.t <= ts) {
        const s = p.samples[p.i++]!;
        store.append(p.labels, s.t, s.v === STALE ? STALE_NAN : s.v);
      }
    }
  };
  // rule groups
  const defs: GroupDef<E>[] = [];
  const loadErrs: string[] = [];
  for (const f of ruleFiles) {
    try {
      defs.push(...parseRuleFile(f, readFileSync(f, 'utf8'), (t) => engine.parse(t)));
    } catch (e) {
      if (e instanceof RuleFileError) loadErrs.push(...e.errors.map((x) => `${f}: ${x}`));
      else loadErrs.push(`${f}: ${(e as Error).message}`);
    }
  }
  if (loadErrs.length) return loadErrs;
  const externalLabels = tg.external_labels ?? {};
  const groups = defs
    .map(
      (d) =>
        new Group<E>(d, d.intervalMs ?? intervalMs, {
          query: store.group?.(d.rules.map((r) => r.parsed)) ?? ((e, t) => store.instant(e, t)),
          notify: () => {},
          append: (samples) => {
            for (const s of samples) {
              try {
                store.append(s.labels, s.ts, s.stale ? STALE_NAN : s.value);
              } catch {
                // out of order / duplicate: dropped, as Prometheus's appender refuses it
              }
            }
          },
          resendDelayMs: 60_000,
          externalLabels,
          externalURL: tg.external_url ?? '',
        }),
    )
    .map((g, i) => ({ g, i }))
    .sort((a, b) => (order.get(a.g.name) ?? 0) - (order.get(b.g.name) ?? 0) || a.i - b.i)
    .map((x) => x.g);

  const maxEval = Math.max(0, ...(tg.alert_rule_test ?? []).map((a) => dur(a.eval_time)), ...(tg.promql_expr_test ?? []).map((p) => dur(p.eval_time)));
  const testName = tg.name ? `    name: ${tg.name},\n` : '';
  const alertTests = new Map<number, AlertTest[]>();
  for (const a of tg.alert_rule_test ?? []) {
    if (!a.alertname)
      return [
        `an item under alert_rule_test misses required attribute alertname at eval_time ${formatDuration(dur(a.eval_time))}${tg.name ? ` (in TestGroup ${tg.name})` : ''}`,
      ];
    const t = dur(a.eval_time);
    alertTests.set(t, [...(alertTests.get(t) ?? []), a]);
  }
  const alertTimes = [...alertTests.keys()].sort((a, b) => a - b);
  let curr = 0;
  const errs: string[] = [];
  for (let ts = 0; ts <= maxEval; ts += evalInterval) {
    appendTill(ts);
    const evalErrs: string[] = [];
    for (const g of groups) {
      g.eval(ts);
      for (const r of g.rules) if (r.lastError) evalErrs.push(`    rule: ${r.name}, time: ${goDuration(ts)}, err: ${r.lastError}`);
    }
    errs.push(...evalErrs);
    if (evalErrs.length) return errs;
    while (curr < alertTimes.length && ts <= alertTimes[curr]! && alertTimes[curr]! < ts + evalInterval) {
      const t = alertTimes[curr]!;
      const tests = alertTests.get(t)!;
      const names = new Set(tests.map((x) => x.alertname!));
      const got = new Map<string, LabeledAnnotated[]>();
      for (const g of groups)
        for (const r of g.rules) {
          if (!(r instanceof AlertingRule) || !names.has(r.name)) continue;
          const list = got.get(r.name) ?? [];
          for (const a of r.activeAlerts()) if (a.state === 'firing') list.push({ labels: { ...a.labels }, annotations: { ...a.annotations } });
          got.set(r.name, list);
        }
      for (const tc of tests) {
        const gotAlerts = [...(got.get(tc.alertname!) ?? [])];
        const exp: LabeledAnnotated[] = (tc.exp_alerts ?? []).map((a) => {
          const labels: LabelSet = {};
          for (const [k, v] of Object.entries(a.exp_labels ?? {})) labels[k] = String(v);
          labels.alertname = tc.alertname!;
          const annotations: LabelSet = {};
          for (const [k, v] of Object.entries(a.exp_annotations ?? {})) annotations[k] = String(v);
          return { labels, annotations };
        });
        const sorter = (a: LabeledAnnotated, b: LabeledAnnotated) => compareLabelSets(a.labels, b.labels) || compareLabelSets(a.annotations, b.annotations);
        gotAlerts.sort(sorter);
        exp.sort(sorter);
        if (!sameLA(exp, gotAlerts)) {
          errs.push(
            `${testName}    alertname: ${tc.alertname}, time: ${formatDuration(t)}, \n        exp:${indentLines(laString(exp), '            ')}, \n        got:${indentLines(laString(gotAlerts), '            ')}`,
          );
        }
      }
      curr++;
    }
  }
  // promql expressions, after all evaluations
  outer: for (const tc of tg.promql_expr_test ?? []) {
    const t = dur(tc.eval_time);
    const evalStr = formatDuration(t);
    let got: InstantSample[];
    try {
      got = store.instant(engine.parse(String(tc.expr)), t);
    } catch (e) {
      errs.push(`    expr: ${goQuote(String(tc.expr))}, time: ${evalStr}, err: ${(e as Error).message}`);
      continue;
    }
    const exp: { labels: LabelSet; value: number }[] = [];
    for (const s of tc.exp_samples ?? []) {
      try {
        exp.push({ labels: parseMetric(s.labels ?? ''), value: Number(s.value ?? 0) });
      } catch (e) {
        errs.push(`    expr: ${goQuote(String(tc.expr))}, time: ${evalStr}, err: labels ${goQuote(s.labels ?? '')}: ${(e as Error).message}`);
        continue outer;
      }
    }
    const gs = got.map((s) => ({ labels: { ...s.labels }, value: s.value }));
    const cmp = (a: { labels: LabelSet }, b: { labels: LabelSet }) => compareLabelSets(a.labels, b.labels);
    exp.sort(cmp);
    gs.sort(cmp);
    // reflect.DeepEqual: NaN never equals NaN
    const same = exp.length === gs.length && exp.every((e, i) => compareLabelSets(e.labels, gs[i]!.labels) === 0 && e.value === gs[i]!.value);
    if (!same) {
      const list = (l: { labels: LabelSet; value: number }[]) => (l.length === 0 ? 'nil' : l.map(sampleStr).join(', '));
      errs.push(`    expr: ${goQuote(String(tc.expr))}, time: ${evalStr},\n        exp: ${list(exp)}\n        got: ${list(gs)}`);
    }
  }
  return errs;
}

/** `promtool test rules FILE…`: output and exit code as promtool prints them. */
export function rulesUnitTest<E>(files: string[], engine: TestEngine<E>): TestOutput {
  let stdout = '';
  let stderr = '';
  let failed = false;
  for (const f of files) {
    stdout += `Unit Testing:  ${f}\n`;
    const errs = ruleUnitTest(f, engine, (w) => {
      stderr += w;
    });
    if (errs.length) {
      stderr += '  FAILED:\n';
      for (const e of errs) {
        stderr += `${e}\n`;
        stdout += '\n';
      }
      failed = true;
    } else stdout += '  SUCCESS\n';
    stdout += '\n';
  }
  return { stdout, stderr, code: failed ? 1 : 0 };
}
