import { describe, expect, it } from 'vitest';
import type { Report, Sample } from '../../contract/types.js';
import { nodeUp } from '../server.js';
import { SeriesStore, seriesSamples } from './series.js';

const rep = (id: string, samples: Sample[], labels: Record<string, string> = {}): Report => ({
  v: 1,
  node: { id, site: 's1', zone: 'extranet', grade: 3, labels },
  agent: { version: '1', interval: 60 },
  seq: 1,
  sentAt: 0,
  samples,
  help: { m: 'M help' },
});
const g = (value: number, ts: number, labels: Record<string, string> = {}): Sample => ({ name: 'm', labels, value, type: 'gauge', ts });

/** The old Fleet's behaviour, through the series store: ingest = seriesSamples + append. */
class Fleet {
  readonly s: SeriesStore;
  constructor(o: { ttlIntervals?: number } = {}) {
    this.s = new SeriesStore({ staleAfterIntervals: o.ttlIntervals ?? 3 });
  }
  ingest(r: Report, now: number) {
    this.s.append(seriesSamples(r).samples, r.node.id, now, r.help, r.agent.interval);
  }
  render(now: number, hidden?: Set<string>) {
    return this.s.render(now, hidden);
  }
  get typeConflicts() {
    return this.s.typeConflicts;
  }
  seriesCount() {
    return this.s.seriesCount();
  }
}

describe('SeriesStore', () => {
  it('adds target labels, renames colliding sample labels, groups families across nodes', () => {
    const f = new Fleet();
    f.ingest(rep('a', [g(1, 10, { node: 'inner', if: 'x' })], { region: 'east', site: 'ignored' }), 0);
    f.ingest(rep('b', [g(2, 10)]), 0);
    expect(f.render(0)).toBe(
      [
        '# HELP m M help',
        '# TYPE m gauge',
        'm{exported_node="inner",if="x",node="a",site="s1",zone="extranet",region="east"} 1',
        'm{node="b",site="s1",zone="extranet"} 2',
        '',
      ].join('\n'),
    );
  });

  it('keeps the newest sample per series by its own timestamp', () => {
    const f = new Fleet();
    f.ingest(rep('a', [g(1, 20), g(3, 30)]), 0);
    f.ingest(rep('a', [g(2, 25)]), 0);
    expect(f.render(0)).toContain('m{node="a",site="s1",zone="extranet"} 3\n');
  });

  it('hides down nodes and ends series after 3 report intervals without a refresh', () => {
    const f = new Fleet();
    f.ingest(rep('a', [g(1, 1)]), 0);
    f.ingest(rep('b', [g(2, 1)]), 500);
    expect(f.render(900, new Set(['a']))).not.toContain('node="a"');
    expect(f.render(180_000)).toContain('node="a"');
    expect(f.render(180_001)).toBe('# HELP m M help\n# TYPE m gauge\nm{node="b",site="s1",zone="extranet"} 2\n');
    expect(f.seriesCount()).toBe(1);
    expect(f.render(180_501)).toBe('');
  });

  it('ignores samples whose type conflicts with the family', () => {
    const f = new Fleet();
    f.ingest(rep('a', [g(1, 1)]), 0);
    f.ingest(rep('b', [{ name: 'm', labels: {}, value: 5, type: 'counter', ts: 1 }]), 0);
    expect(f.typeConflicts).toBe(1);
    expect(f.render(0)).not.toContain('node="b"');
  });
});

describe('nodeUp', () => {
  it.each([
    [0, 60, 0, true],
    [0, 60, 180_000, true],
    [0, 60, 180_001, false],
    [0, 1, 3001, false],
  ])('last seen %i, interval %i s, now %i → %s', (lastSeen, interval, now, up) => {
    expect(nodeUp({ lastSeen, interval }, now, 3)).toBe(up);
  });
});

describe('staleness per series (injected clock)', () => {
  const rep = (interval: number, intervals: Record<string, number>, ts: number): Report => ({
    v: 1,
    node: { id: 'n', site: 's', zone: 'extranet', grade: 2, labels: {} },
    agent: { version: '1', interval },
    seq: 1,
    sentAt: ts,
    intervals,
    samples: Object.keys(intervals).map((name) => ({ name, labels: {}, value: 1, type: 'gauge' as const, ts })),
  });
  // source interval → [last instant still exposed, first instant gone] after a refresh at t=0,
  // with 3 intervals (metrics.staleAfterIntervals) and a 15 s report interval.
  it.each([
    ['15 s source', 15, 45_000],
    ['1 h source', 3600, 3 * 3600_000],
    ['1 d source', 86_400, 3 * 86_400_000],
    ['5 s source, 15 s reports: the report interval bounds it', 5, 45_000],
  ])('%s', (_n, interval, lastLive) => {
    const s = new SeriesStore({ staleAfterIntervals: 3 });
    s.append(seriesSamples(rep(15, { m: interval }, 0)).samples, 'n', 0);
    expect(s.render(lastLive)).toContain('m{node="n",site="s",zone="extranet"} 1');
    expect(s.render(lastLive + 1)).toBe('');
    expect(s.seriesCount()).toBe(0);
  });

  it('a daily series stays while hourly refreshes of other series come and go', () => {
    const s = new SeriesStore({ staleAfterIntervals: 3 });
    s.append(seriesSamples(rep(60, { daily: 86_400, fast: 60 }, 0)).samples, 'n', 0);
    for (let t = 60_000; t <= 3600_000; t += 60_000) s.append(seriesSamples(rep(60, { fast: 60 }, t)).samples, 'n', t);
    const page = s.render(3600_000);
    expect(page).toContain('daily{');
    expect(page).toContain('fast{');
    expect(s.render(3600_000 + 180_001)).toContain('daily{');
    expect(s.render(3600_000 + 180_001)).not.toContain('fast{');
  });

  it('a late sample (older than the series) neither replaces nor refreshes it', () => {
    const s = new SeriesStore({ staleAfterIntervals: 3 });
    s.append(seriesSamples(rep(60, { m: 60 }, 1000)).samples, 'n', 0);
    s.append([{ ...seriesSamples(rep(60, { m: 60 }, 500)).samples[0]!, value: 9 }], 'n', 100_000);
    expect(s.render(180_000)).toContain('} 1\n');
    expect(s.render(180_001)).toBe('');
  });
});
