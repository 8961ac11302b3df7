import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/helpers/proc.js';
import { checkRuleFiles } from './cli.js';
import { testEngine } from './engine.js';
import { generate } from './gen.js';
import { rulesUnitTest } from './unittest.js';

/**
 * The differential harness: every promtool-format test file of the repository (the shipped alerts'
 * tests and collector/rules/testdata) and a seeded set of generated ones run through the real
 * `promtool test rules` (Prometheus 2.42) and through `xunjian rules test`; stdout, stderr and exit
 * code must be identical. A missing promtool fails these tests.
 */

function promtool(args: string[], cwd = ROOT) {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool could not run (is the Debian package prometheus installed?): ${r.error.message}`);
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

const testFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.test.yaml'))
    .sort()
    .map((f) => join(dir, f));

const shippedTests = testFiles('rules/alerts/tests');
const dataTests = testFiles('collector/rules/testdata');

describe('xunjian rules test agrees with promtool test rules', () => {
  it('has a test file per shipped rule file', () => {
    const rules = readdirSync(join(ROOT, 'rules/alerts')).filter((f) => f.endsWith('.yaml'));
    expect(shippedTests.map((f) => f.replace(/^rules\/alerts\/tests\//, '').replace('.test.yaml', '.yaml')).sort()).toEqual(rules.sort());
  });

  it.each([...shippedTests, ...dataTests])('%s', (file) => {
    const p = promtool(['test', 'rules', file]);
    const x = rulesUnitTest([file], testEngine);
    expect(x.stdout).toBe(p.stdout);
    expect(x.stderr).toBe(p.stderr);
    expect(x.code).toBe(p.code);
    // the verdict is the intended one: only *.failing.test.yaml files are written to fail (they print everything they got)
    expect(p.code).toBe(file.endsWith('.failing.test.yaml') ? 1 : 0);
  });

  it('several files at once print the same', () => {
    const files = [...shippedTests.slice(0, 2), 'collector/rules/testdata/lifecycle.failing.test.yaml'];
    const p = promtool(['test', 'rules', ...files]);
    const x = rulesUnitTest(files, testEngine);
    expect([x.stdout, x.stderr, x.code]).toEqual([p.stdout, p.stderr, p.code]);
  });
});

/**
 * Generated cases: gaps, staleness markers, counter resets, late-starting series, range functions,
 * aggregations, vector matching, for/keep_firing_for, recording rules, ALERTS. Every expectation is
 * empty, so both tools print every alert and `$value` (shortest round-trip float) at every tested time.
 * (`avg`/`stddev` aggregations are left out of the generator: promtool's own results for them vary in
 * the last digits from run to run, see gen.ts.)
 */
const SEEDS = Array.from({ length: 60 }, (_v, i) => i);

describe('generated differential cases (seeded)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xj-rules-gen-'));
  it.each(SEEDS)('seed %i', (seed) => {
    const g = generate(seed);
    writeFileSync(join(dir, `r${seed}.yaml`), g.rules);
    const file = join(dir, `t${seed}.test.yaml`);
    writeFileSync(file, g.test(`r${seed}.yaml`));
    const p = promtool(['test', 'rules', file]);
    const x = rulesUnitTest([file], testEngine);
    expect(p.code).toBe(1); // empty expectations: the failure text carries all values
    expect(x.stderr).toBe(p.stderr);
    expect(x.stdout).toBe(p.stdout);
    expect(x.code).toBe(p.code);
  });
});

describe('xunjian rules check agrees with promtool check rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xj-rules-check-'));
  const cases: Record<string, string> = {
    ok: 'groups:\n  - name: g\n    interval: 30s\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n        keep_firing_for: 1m\n        annotations: {s: "{{ $value | humanize }}"}\n      - record: job:up:sum\n        expr: sum by (job) (up)\n',
    semantics:
      'groups:\n  - name: g\n    rules:\n      - record: "bad name"\n        expr: up\n        for: 5m\n        annotations: {a: b}\n      - record: r\n        alert: B\n        expr: up\n      - expr: up\n      - alert: C\n        expr: ""\n        labels: {"bad-label": x}\n  - name: g\n    rules: []\n  - name: ""\n    rules: []\n',
    unknownField: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        foo: bar\n',
    badDuration: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: 5x\n',
    template: 'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up\n        annotations:\n          a: "{{ .Foo "\n',
    recordKeepFiring: 'groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n        keep_firing_for: 5m\n',
    duplicate: 'groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n      - record: r\n        expr: up\n',
    empty: '',
  };
  for (const [name, text] of Object.entries(cases)) writeFileSync(join(dir, `${name}.yaml`), text);
  it.each(Object.keys(cases))('%s', (name) => {
    const f = relative(ROOT, join(dir, `${name}.yaml`));
    const p = promtool(['check', 'rules', f]);
    const x = checkRuleFiles([f]);
    expect([x.stdout, x.stderr, x.code]).toEqual([p.stdout, p.stderr, p.code]);
  });

  it('a PromQL syntax error is refused by both at the same position (the parser wording is the engine’s)', () => {
    const f = join(dir, 'syntax.yaml');
    writeFileSync(f, 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n');
    const p = promtool(['check', 'rules', f]);
    const x = checkRuleFiles([f]);
    expect(x.code).toBe(1);
    expect(p.code).toBe(1);
    const prefix = `${f}: 5:15: group "g", rule 1, "A": could not parse expression: `;
    expect(p.stderr).toContain(prefix);
    expect(x.stderr).toContain(prefix);
  });

  it('refuses what promtool accepts but our subset lacks, naming the construct', () => {
    const f = join(dir, 'subset.yaml');
    writeFileSync(
      f,
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: max_over_time(rate(x[1m])[5m:1m]) > 0\n      - alert: B\n        expr: up\n        annotations:\n          a: "{{ range query \\"up\\" }}{{ . }}{{ end }}"\n',
    );
    expect(promtool(['check', 'rules', f]).code).toBe(0);
    const x = checkRuleFiles([f]);
    expect(x.code).toBe(1);
    expect(x.stderr).toContain(`${f}: 5:15: group "g", rule 1, "A": could not parse expression: `);
    expect(x.stderr).toMatch(/subquer/i);
    expect(x.stderr).toContain(`${f}: group "g", rule 2, "B": annotation "a": template: __alert_B:1: "range" is outside our template subset`);
  });

  it('every shipped rule file passes promtool check rules and xunjian rules check', () => {
    const files = readdirSync(join(ROOT, 'rules/alerts'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `rules/alerts/${f}`);
    const p = promtool(['check', 'rules', ...files]);
    expect(p.code).toBe(0);
    const x = checkRuleFiles(files);
    expect([x.stdout, x.stderr, x.code]).toEqual([p.stdout, p.stderr, p.code]);
  });
});

describe("Debian's vmalert (1.79) loads the shipped rules with -dryRun", () => {
  const files = readdirSync(join(ROOT, 'rules/alerts')).filter((f) => f.endsWith('.yaml'));
  const needsNewer = (f: string) => /keep_firing_for:/.test(readFileSync(join(ROOT, 'rules/alerts', f), 'utf8'));
  it.each(files)('%s', (f) => {
    const r = spawnSync('vmalert', [`-rule=${join(ROOT, 'rules/alerts', f)}`, '-dryRun'], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw new Error(`vmalert could not run (Debian package victoria-metrics): ${r.error.message}`);
    if (needsNewer(f)) {
      // the file says so in its header, and vmalert 1.79 refuses it for exactly that field
      expect(readFileSync(join(ROOT, 'rules/alerts', f), 'utf8')).toMatch(/vmalert >= 1\.90/);
      expect(r.status).not.toBe(0);
      expect(r.stderr + r.stdout).toContain('unknown fields in rule: keep_firing_for');
    } else {
      expect(r.stderr + r.stdout).not.toContain('fatal');
      expect(r.status).toBe(0);
    }
  });
});
