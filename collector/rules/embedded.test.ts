import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contract/types.js';
import { createLogger } from '../../lib/log.js';
import { Collector } from '../server.js';
import { postReport, testCollectorConfig } from '../test-support.js';
import { alertsBody } from './api.js';
import type { RulesComponent } from './component.js';

/**
 * The shipped rules, embedded: node liveness is an ordinary rule (XunjianNodeDown over xunjian_node_up)
 * over the collector's own per-node series, evaluated on an injected clock.
 */
let clock = Date.UTC(2026, 11, 3, 8, 0, 0);
let c: Collector;
let base: string;
let token: string;
beforeAll(async () => {
  c = new Collector(testCollectorConfig(), createLogger({ level: 'error' }), () => clock);
  base = `http://127.0.0.1:${(await c.listen()).port}`;
  token = c.store.createToken('village-9');
});
afterAll(() => c.close());

const report = (seq: number): Report => ({
  v: 1,
  node: { id: 'village-9', site: '城关镇', zone: 'extranet', grade: 2, labels: {} },
  agent: { version: 't', interval: 60 },
  seq,
  sentAt: clock,
  samples: [{ name: 'node_load1', labels: {}, value: 0.5, type: 'gauge', ts: clock }],
});

// the node's clock is 2 s behind
const post = async (r: Report) => (await postReport(base, token, r, String(clock - 2000))).body;

describe('shipped rules in the collector', () => {
  it('XunjianNodeDown goes pending, then firing 5 min after the node went down, and resolves when it reports again', async () => {
    const rules = c.components.find((x) => x.name === 'rules') as RulesComponent;
    const state = () =>
      alertsBody(rules.manager)
        .data.alerts.filter((a: { labels: Record<string, string> }) => a.labels.alertname === 'XunjianNodeDown')
        .map((a: { labels: Record<string, string>; state: string }) => [a.labels.node, a.state]);
    expect(await post(report(1))).toMatchObject({ status: 'accepted' });
    expect(await c.renderMetrics()).toMatch(/^xunjian_node_clock_skew_seconds\{node="village-9",site="城关镇",zone="extranet"\} -2$/m);
    await rules.manager.cycle(clock);
    expect(state()).toEqual([]);
    clock += 181_000; // 3 report intervals without a report: down
    await rules.manager.cycle(clock);
    expect(state()).toEqual([['village-9', 'pending']]);
    clock += 300_000;
    await rules.manager.cycle(clock);
    expect(state()).toEqual([['village-9', 'firing']]);
    expect(await post(report(2))).toMatchObject({ status: 'accepted' });
    clock += 60_000;
    await rules.manager.cycle(clock);
    expect(state()).toEqual([]);
  });
});
