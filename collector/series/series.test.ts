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
