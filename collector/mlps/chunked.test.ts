import { describe, expect, it } from 'vitest';
import { postureWire } from '../../agent/sources/posture/collect.js';
import type { FactGroupRecord, FleetReader } from '../core/component.js';
import { openTestDb, testContext, tmpDir } from '../remotewrite/testctx.js';
import { testCollectorConfig } from '../test-support.js';
import { createMlpsComponent } from './component.js';
import { fixtureFacts } from './fixtures.js';

/** A full evaluation (start, schedule, new packs) runs in chunks: ingest is never held up for the whole fleet. */
describe('MLPS full evaluation in chunks', () => {
  it('evaluates 1,000 stored nodes over several turns of the event loop, each node once', async () => {
    const facts = await fixtureFacts();
    const now = Date.now();
    const group: FactGroupRecord = { group: 'host.posture', value: postureWire(facts['debian-weak']), collectedAt: now, receivedAt: now, status: 'ok' };
    const nodes = Array.from({ length: 1000 }, (_, i) => ({
      id: `n${i}`,
      site: 's',
      zone: 'extranet',
      grade: 3,
      labels: {},
      up: true,
      lastSeen: now,
      interval: 60,
    }));
    const fleet: FleetReader = { nodes: () => nodes, facts: () => [group], devices: () => [] };
    const cfg = testCollectorConfig();
    const ctx = { ...testContext(openTestDb(tmpDir('xj-mlps-chunk-')), () => now), cfg: () => cfg, fleet };
    const mlps = createMlpsComponent(ctx);

    await mlps.start?.();
    const afterStart = mlps.engine.all().filter((e) => e.target.kind === 'host').length;
    let turns = 0;
    let done = false;
    const tick = () => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    await mlps.idle();
    done = true;

    expect(afterStart).toBe(0); // start returns before the fleet is evaluated
    expect(turns).toBeGreaterThanOrEqual(4); // 1,000 targets in chunks of 200 let the loop turn between them
    const hosts = mlps.engine.all().filter((e) => e.target.kind === 'host');
    expect(hosts.map((e) => e.target.id).sort()).toEqual(nodes.map((n) => n.id).sort());
    expect(new Set(hosts.map((e) => e.score.ratio)).size).toBe(1); // the same facts, the same verdict
    mlps.stop?.();
  }, 60_000);
});
