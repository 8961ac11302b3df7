import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contract/types.js';
import { createLogger } from '../../lib/log.js';
import { Collector } from '../server.js';
import { postReport, testCollectorConfig } from '../test-support.js';
import type { AcceptedReport, ComponentFactory } from './component.js';

/** The fan-out after commit: every consumer gets each accepted report once; one that throws harms nobody. */
const seen: AcceptedReport[] = [];
const committed: number[] = [];
const factories: ComponentFactory[] = [
  () => ({
    name: 'thrower',
    append: () => {
      throw new Error('consumer bug');
    },
  }),
  () => ({ name: 'recorder', append: (r) => seen.push(r), commit: (r) => committed.push(r.report.seq) }),
];
let c: Collector;
let base: string;
let token: string;

beforeAll(async () => {
  c = new Collector(testCollectorConfig(), createLogger({ level: 'error' }), Date.now, undefined, factories);
  base = `http://127.0.0.1:${(await c.listen()).port}`;
  token = c.store.createToken('n1');
});
afterAll(() => c.close());

const post = async (r: Report) => (await postReport(base, token, r)).body;

const rep = (seq: number, facts?: Record<string, unknown>): Report => ({
  v: 1,
  node: { id: 'n1', site: 'town', zone: 'extranet', grade: 2, labels: { rack: 'a' } },
  agent: { version: 't', interval: 60 },
  stream: 'stream-one',
  seq,
  sentAt: Date.now(),
  samples: [{ name: 'm', labels: { node: 'inner' }, value: seq, type: 'gauge', ts: Date.now() }],
  ...(facts ? { facts } : {}),
});

describe('fan-out', () => {
  it('hands each accepted report to every consumer after commit; a throwing consumer is counted and harms nothing', async () => {
    expect(await post(rep(1, { 'host.inventory': { hostname: 'h' } }))).toMatchObject({ status: 'accepted' });
    expect(await post(rep(1))).toMatchObject({ status: 'duplicate' });
    expect(await post(rep(2, { 'host.inventory': { hostname: 'h' } }))).toMatchObject({ status: 'accepted' });
    expect(committed).toEqual([1, 2]);
    expect(seen.map((s) => [s.report.seq, s.stream, s.changedFacts.map((f) => f.group), s.newStream])).toEqual([
      [1, 'stream-one', ['host.inventory'], false],
      [2, 'stream-one', [], false],
    ]);
    expect(seen[0]!.samples).toEqual([
      {
        labels: { __name__: 'm', exported_node: 'inner', node: 'n1', site: 'town', zone: 'extranet', rack: 'a' },
        key: '{exported_node="inner",node="n1",site="town",zone="extranet",rack="a"}',
        value: 1,
        type: 'gauge',
        ts: seen[0]!.report.samples[0]!.ts,
        intervalSeconds: 60,
      },
    ]);
    expect((await c.metrics.consumerErrors.get()).values).toEqual([{ labels: { consumer: 'thrower' }, value: 2 }]);
    expect(c.store.seqs('n1')).toEqual([1, 2]);
    expect(c.series.render(Date.now())).toContain('m{exported_node="inner",node="n1",site="town",zone="extranet",rack="a"} 2');
  });
});
