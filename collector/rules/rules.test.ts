import { describe, expect, it } from 'vitest';
import { AlertingRule, RESOLVED_RETENTION_MS, tableLink } from './alerting.js';
import { parseExpr } from './engine.js';
import { formatFloat, sprintf } from './gofmt.js';
import { Group } from './group.js';
import { formatDuration, parseDuration, type RuleDef } from './rulefile.js';
import { humanize, humanizeDuration, humanizePercentage } from './template.js';
import type { InstantSample, OutSample } from './types.js';
import { expandValues, goDuration, parseMetric } from './unittest.js';
import { RuleWindow } from './window.js';

const M = 60_000;

function alertDef(over: Partial<RuleDef<string>> = {}): RuleDef<string> {
  return {
    kind: 'alert',
    name: 'A',
    expr: 'x > 0',
    parsed: 'x > 0',
    forMs: 2 * M,
    keepFiringForMs: 0,
    labels: { severity: 'page' },
    annotations: { v: '{{ $value }}' },
    line: 1,
    ...over,
  };
}

/** A query answering from a per-minute script: which label sets are returned (value 1) at each minute. */
function scripted(script: Record<number, InstantSample[]>) {
  return (_e: string, t: number) => script[t / M] ?? [];
}
const s = (labels: Record<string, string>, value = 1): InstantSample => ({ labels: { __name__: 'x', ...labels }, value });
const env = { externalLabels: {}, externalURL: 'http://xj:9700', limit: 0 };

describe('alerting rule lifecycle (Prometheus 2.42 rules/alerting.go)', () => {
  it('inactive → pending → firing → resolved, kept 15 min, then forgotten', () => {
    const r = new AlertingRule(alertDef());
    const q = scripted({ 0: [s({ i: '1' })], 1: [s({ i: '1' })], 2: [s({ i: '1' }, 7)] });
    const states: string[] = [];
    for (let m = 0; m <= 3; m++) {
      r.eval(m * M, q, env);
      states.push([...r.active.values()].map((a) => a.state).join(','));
    }
    expect(states).toEqual(['pending', 'pending', 'firing', 'inactive']);
    const a = [...r.active.values()][0]!;
    expect(a).toMatchObject({
      labels: { alertname: 'A', i: '1', severity: 'page' },
      annotations: { v: '7' },
      activeAt: 0,
      firedAt: 2 * M,
      resolvedAt: 3 * M,
      value: 7,
    });
    // kept while within the retention, dropped after
    r.eval(3 * M + RESOLVED_RETENTION_MS, q, env);
    expect(r.active.size).toBe(1);
    r.eval(3 * M + RESOLVED_RETENTION_MS + M, q, env);
    expect(r.active.size).toBe(0);
  });

  it('a pending alert that disappears is forgotten (no resolution)', () => {
    const r = new AlertingRule(alertDef());
    r.eval(0, scripted({ 0: [s({})] }), env);
    r.eval(M, scripted({}), env);
    expect(r.active.size).toBe(0);
  });

  it('keep_firing_for keeps a firing alert firing, then resolves it', () => {
    const r = new AlertingRule(alertDef({ forMs: 0, keepFiringForMs: 2 * M }));
    const q = scripted({ 0: [s({})] });
    const seen: string[] = [];
    for (let m = 0; m <= 3; m++) {
      const out = r.eval(m * M, q, env);
      seen.push(`${[...r.active.values()][0]!.state}:${out.length}`);
    }
    // fires at once (for 0), kept firing at 1m and 2m? 1m: since=1m, 0 < 2m keep; 2m: 1m < 2m keep; 3m: 2m, not < 2m: resolved
    expect(seen).toEqual(['firing:2', 'firing:2', 'firing:2', 'inactive:0']);
    expect([...r.active.values()][0]!.keepFiringSince).toBe(M);
  });

  it('ALERTS and ALERTS_FOR_STATE samples carry rule labels, state and activeAt in seconds', () => {
    const r = new AlertingRule(alertDef());
    const out = r.eval(5 * M, scripted({ 5: [s({ i: '1' })] }), env);
    expect(out).toEqual<OutSample[]>([
      { labels: { severity: 'page', alertname: 'A', i: '1', __name__: 'ALERTS', alertstate: 'pending' }, value: 1, ts: 5 * M },
      { labels: { severity: 'page', alertname: 'A', i: '1', __name__: 'ALERTS_FOR_STATE' }, value: 300, ts: 5 * M },
    ]);
  });

  it('refuses two results with the same labels after dropping __name__, and over the limit', () => {
    const r = new AlertingRule(alertDef());
    expect(() =>
      r.eval(
        0,
        () => [
          { labels: { __name__: 'a' }, value: 1 },
          { labels: { __name__: 'b' }, value: 1 },
        ],
        env,
      ),
    ).toThrow('vector contains metrics with the same labelset after applying alert labels');
    const r2 = new AlertingRule(alertDef());
    expect(() => r2.eval(0, scripted({ 0: [s({ i: '1' }), s({ i: '2' })] }), { ...env, limit: 1 })).toThrow('exceeded limit of 1 with 2 alerts');
    expect(r2.active.size).toBe(0);
  });
});

describe('notifier semantics (resend delay, endsAt = 4 × max(resendDelay, interval), resolved = resolvedAt)', () => {
  it('sends firing alerts every resend delay and a resolution once', () => {
    const sent: { t: number; startsAt: number; endsAt: number }[] = [];
    const script: Record<number, InstantSample[]> = {};
    for (let m = 0; m <= 5; m++) script[m] = [s({})];
    const g = new Group<string>({ file: 'f', name: 'g', limit: 0, rules: [alertDef({ forMs: M })] }, M, {
      query: scripted(script),
      notify: (alerts) => {
        for (const a of alerts) sent.push({ t: 0, startsAt: a.startsAt, endsAt: a.endsAt });
      },
      append: () => {},
      resendDelayMs: 2 * M,
      externalLabels: {},
      externalURL: 'http://xj:9700',
    });
    const times: number[] = [];
    for (let m = 0; m <= 8; m++) {
      const before = sent.length;
      g.eval(m * M);
      if (sent.length > before) times.push(m);
    }
    // firing at 1m: sent at 1, then when lastSent + 2m < t: 4, then resolved at 6 (sent at once), then at 9+ (not reached)
    expect(times).toEqual([1, 4, 6]);
    expect(sent[0]).toEqual({ t: 0, startsAt: M, endsAt: M + 8 * M });
    expect(sent[1]).toEqual({ t: 0, startsAt: M, endsAt: 4 * M + 8 * M });
    expect(sent[2]).toEqual({ t: 0, startsAt: M, endsAt: 6 * M });
  });

  it('generatorURL as Prometheus builds it', () => {
    expect(tableLink('up == 0 and rate(x{a="b"}[5m]) > 1')).toBe('/graph?g0.expr=up+%3D%3D+0+and+rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29+%3E+1&g0.tab=1');
  });
});

describe('recording rules and staleness in a group', () => {
  it('renames, applies labels, and marks series it stopped returning stale', () => {
    const appended: OutSample[] = [];
    const def: RuleDef<string> = {
      kind: 'record',
      name: 'job:x:sum',
      expr: 'x',
      parsed: 'x',
      forMs: 0,
      keepFiringForMs: 0,
      labels: { team: 'net' },
      annotations: {},
      line: 1,
    };
    const g = new Group<string>({ file: 'f', name: 'g', limit: 0, rules: [def] }, M, {
      query: scripted({ 0: [s({ job: 'a' }, 3), s({ job: 'b' }, 4)], 1: [s({ job: 'a' }, 5)] }),
      notify: () => {},
      append: (x) => appended.push(...x),
      resendDelayMs: M,
      externalLabels: {},
      externalURL: '',
    });
    g.eval(0);
    g.eval(M);
    expect(appended.map((x) => [x.labels.job, x.labels.__name__, x.labels.team, x.stale ? 'stale' : x.value, x.ts])).toEqual([
      ['a', 'job:x:sum', 'net', 3, 0],
      ['b', 'job:x:sum', 'net', 4, 0],
      ['a', 'job:x:sum', 'net', 5, M],
      ['b', 'job:x:sum', 'net', 'stale', M],
    ]);
  });
});

describe('rule window', () => {
  it('keeps only series a rule selects, each as far back as it is read; drops late samples', () => {
    const w = new RuleWindow(10);
    const rate = parseExpr('rate(if_octets_total{dir="in"}[10m])');
    const inst = parseExpr('up');
    const arg = rate.kind === 'call' ? rate.args[0] : undefined;
    if (arg?.kind !== 'matrix' || inst.kind !== 'vector') throw new Error('unexpected AST');
    w.configure(
      [
        { matchers: arg.selector.matchers, keepMs: 11 * M },
        { matchers: inst.matchers, keepMs: 6 * M },
      ],
      11 * M,
    );
    expect(w.append({ __name__: 'if_octets_total', dir: 'in' }, 0, 1)).toBe(true);
    expect(w.append({ __name__: 'if_octets_total', dir: 'out' }, 0, 1)).toBe(false);
    expect(w.append({ __name__: 'up', node: 'n' }, 0, 1)).toBe(true);
    expect(w.append({ __name__: 'other' }, 0, 1)).toBe(false);
    for (let m = 1; m <= 20; m++) {
      w.append({ __name__: 'if_octets_total', dir: 'in' }, m * M, m);
      w.append({ __name__: 'up', node: 'n' }, m * M, 1);
    }
    // late: older than the newest sample of its series
    expect(w.append({ __name__: 'up', node: 'n' }, 5 * M, 0)).toBe(false);
    w.trim(20 * M);
    const st = w.stats();
    expect(st.series).toBe(2);
    // if_octets: t >= 9m → 12 samples; up: t >= 14m → 7 samples
    expect(st.samples).toBe(12 + 7);
    expect(st.dropped).toEqual({ late: 1, series_limit: 0 });
    expect(st.outOfOrder).toBe(0);
    const sel = [...w.select(inst.matchers, 0, 20 * M)];
    expect(sel).toHaveLength(1);
    const s0 = sel[0]!;
    expect(Array.from(s0.t).slice(s0.start, s0.end)).toEqual([14, 15, 16, 17, 18, 19, 20].map((m) => m * M));
  });

  it('bounds the number of series', () => {
    const w = new RuleWindow(2);
    const e = parseExpr('x');
    if (e.kind !== 'vector') throw new Error('unexpected AST');
    w.configure([{ matchers: e.matchers, keepMs: M }], M);
    expect([1, 2, 3].map((i) => w.append({ __name__: 'x', i: String(i) }, 0, 1))).toEqual([true, true, false]);
    expect(w.stats().dropped.series_limit).toBe(1);
  });
});

describe('Go formatting and Prometheus template functions (values checked against Prometheus in testdata/templates)', () => {
  it.each([
    [0, '0'],
    [1234.5, '1.234k'],
    [0.0025, '2.5m'],
    [1e6, '1M'],
    [-1500, '-1.5k'],
  ])('humanize(%d) = %s', (v, out) => expect(humanize(v)).toBe(out));
  it.each([
    [90061.5, '1d 1h 1m 1s'],
    [61, '1m 1s'],
    [59.999, '60s'],
    [0.0025, '2.5ms'],
  ])('humanizeDuration(%d) = %s', (v, out) => expect(humanizeDuration(v)).toBe(out));
  it('humanizePercentage and printf', () => {
    expect(humanizePercentage(0.875)).toBe('87.5%');
    expect(
      sprintf('%.2f|%d|%q|%5.1f|%s', [
        { t: 'float64', v: 2.675 },
        { t: 'int', v: 42 },
        { t: 'string', v: 'a"b' },
        { t: 'float64', v: 3.25 },
        { t: 'float64', v: 1 },
      ]),
    ).toBe('2.67|42|"a\\"b"|  3.2|%!s(float64=1)');
    // round half to even on the exact binary value (2.675 is 2.67499999…)
    expect(formatFloat(0.125, 'f', 2)).toBe('0.12');
    expect(formatFloat(1e21, 'g', -1)).toBe('1e+21');
    expect(formatFloat(123456, 'g', -1)).toBe('123456');
    expect(formatFloat(1234567, 'g', -1)).toBe('1.234567e+06');
  });
});

describe('promtool notation and durations', () => {
  it('expands series values as promtool does', () => {
    expect(expandValues('1+2x3 _x2 5 -1-1x1 stale 7x2')).toEqual([1, 3, 5, 7, undefined, undefined, 5, -1, -2, 'stale', 7, 7, 7]);
    expect(() => expandValues('stalex1')).toThrow();
  });
  it('parses metrics', () => {
    expect(parseMetric('up{job="a", instance=\'x\'}')).toEqual({ __name__: 'up', job: 'a', instance: 'x' });
    expect(parseMetric('{__name__="x"}')).toEqual({ __name__: 'x' });
    expect(parseMetric('')).toEqual({});
  });
  it('formats durations as Go and model.Duration', () => {
    expect([0, 500, 1500, 60_000, 3_723_000].map(goDuration)).toEqual(['0s', '500ms', '1.5s', '1m0s', '1h2m3s']);
    expect([0, 90 * M, 86_400_000, 30_000].map(formatDuration)).toEqual(['0s', '1h30m', '1d', '30s']);
    expect(parseDuration('1h30m')).toBe(90 * M);
    expect(() => parseDuration('5x')).toThrow('not a valid duration string: "5x"');
  });
});
