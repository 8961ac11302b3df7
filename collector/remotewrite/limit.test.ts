import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { SeriesSample } from '../core/component.js';
import { SeriesLimiter, seriesLimitMetrics } from './limit.js';

const s = (name: string, labels: Record<string, string> = {}): SeriesSample => ({
  labels: { __name__: name, node: 'n1', ...labels },
  value: 1,
  ts: 0,
  type: 'gauge',
});
const cfg = (perNode: number, overrides: Record<string, number> = {}) => ({ perNode, overrides, idleSeconds: 600 });

describe('SeriesLimiter', () => {
  it.each([
    ['no limit', 0, ['a', 'b', 'c', 'd'], 4, 0],
    ['limit 2: the first two series pass, later new ones are refused', 2, ['a', 'b', 'c', 'd'], 2, 2],
    ['samples of known series always pass', 2, ['a', 'b', 'a', 'c', 'b'], 4, 1],
    ['limit exactly reached', 3, ['a', 'b', 'c'], 3, 0],
  ])('%s', (_n, limit, names, admitted, refused) => {
    const l = new SeriesLimiter(cfg(limit));
    const r = l.admit(
      'n1',
      names.map((n) => s(n)),
      0,
    );
    expect([r.admitted.length, r.refused]).toEqual([admitted, refused]);
  });

  it('label order does not make a new series; other labels do', () => {
    const l = new SeriesLimiter(cfg(1));
    expect(l.admit('n1', [{ ...s('m'), labels: { node: 'n1', __name__: 'm', if: '1' } }, s('m', { if: '1' })], 0).refused).toBe(0);
    expect(l.admit('n1', [s('m', { if: '2' })], 0)).toMatchObject({ refused: 1, refusedSeries: 1 });
  });

  it('limits are per node, with overrides', () => {
    const l = new SeriesLimiter(cfg(1, { big: 3, free: 0 }));
    expect(l.admit('n1', [s('a'), s('b')], 0).refused).toBe(1);
    expect(l.admit('n2', [s('a'), s('b')], 0).refused).toBe(1);
    expect(l.admit('big', [s('a'), s('b'), s('c'), s('d')], 0).refused).toBe(1);
    expect(l.admit('free', [s('a'), s('b'), s('c'), s('d')], 0).refused).toBe(0);
    // an unlimited node is not tracked at all (no cost on the default path)
    expect([l.active('n1'), l.active('big'), l.active('free')]).toEqual([1, 3, 0]);
  });

  it('a series idle for idleSeconds frees its slot', () => {
    const l = new SeriesLimiter(cfg(1));
    expect(l.admit('n1', [s('a')], 0).refused).toBe(0);
    expect(l.admit('n1', [s('b')], 599_000).refused).toBe(1);
    expect(l.admit('n1', [s('b')], 600_000).refused).toBe(0);
    expect(l.admit('n1', [s('a')], 600_000).refused).toBe(1);
  });

  it('exposes refused samples and active series per node', async () => {
    const reg = new Registry();
    const l = new SeriesLimiter(cfg(1));
    const m = seriesLimitMetrics(reg, l);
    const r = l.admit('n1', [s('a'), s('b'), s('c')], 0);
    m.refused.inc({ node: 'n1' }, r.refused);
    const text = await reg.metrics();
    expect(text).toContain('xunjian_collector_series_limit_refused_total{node="n1"} 2');
    expect(text).toContain('xunjian_collector_node_active_series{node="n1"} 1');
  });
});
