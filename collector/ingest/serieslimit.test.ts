import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contract/types.js';
import type { Collector } from '../server.js';
import { postReport, startTestCollector } from '../test-support.js';

/** The cardinality guard in ingest: a node's new series beyond seriesLimit.perNode are refused and counted. */
let c: Collector;
let base: string;
let token: string;
beforeAll(async () => {
  ({ collector: c, base } = await startTestCollector({ XUNJIAN_COLLECTOR__SERIESLIMIT__PERNODE: '3' }));
  token = c.store.createToken('n1');
});
afterAll(() => c.close());

const report = (seq: number, names: string[]): Report => ({
  v: 1,
  node: { id: 'n1', site: 's', zone: 'extranet', grade: 3, labels: {} },
  agent: { version: 't', interval: 60 },
  seq,
  sentAt: Date.now(),
  samples: names.map((n, i) => ({ name: 'm', labels: { n }, value: seq * 10 + i, type: 'gauge' as const, ts: Date.now() + seq })),
});

const post = async (r: Report) => (await postReport(base, token, r)).body;

describe('series limit', () => {
  it("admits a node's first 3 series, refuses new ones and counts them, keeps refreshing the admitted", async () => {
    expect(await post(report(1, ['a', 'b', 'c', 'd', 'e']))).toMatchObject({ status: 'accepted' });
    expect(await post(report(2, ['a', 'f']))).toMatchObject({ status: 'accepted' });
    const page = c.series.render(Date.now());
    expect(page.match(/^m\{/gm)).toHaveLength(3);
    expect(page).toContain('m{n="a",node="n1",site="s",zone="extranet"} 20');
    expect(page).not.toContain('n="d"');
    expect(page).not.toContain('n="f"');
    const m = await c.renderMetrics();
    expect(m).toContain('xunjian_collector_series_limit_refused_total{node="n1"} 3');
    expect(m).toContain('xunjian_collector_node_active_series{node="n1"} 3');
  });
});
