import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, agent, collector, killAll, requireBuild, spawnNode } from './helpers.js';
import { waitFor } from '../helpers/proc.js';

requireBuild();
afterAll(killAll);

/**
 * kill -9 of the collector between a report's commit and its fan-out. What is lost: nothing durable.
 * The receipt, node row and facts committed; the agent never got its answer, so it resends; the
 * restarted collector answers `duplicate` (nothing stored twice) and the agent deletes it from its
 * spool. The samples of that one report never reach the in-memory series (the next report's do).
 */
describe('crash between commit and fan-out (real processes)', () => {
  it('loses nothing durable and doubles nothing', async () => {
    const c = await collector();
    const token = c.token('village-k');
    const crashing = spawnNode(join(ROOT, 'dist/test/delivery/crash-collector.js'), [c.cfgFile]);
    await waitFor(() => crashing.log.includes('collector listening'), 20_000, 'crash fixture listening');
    const a = agent('village-k', { collector: { url: c.url, token, timeoutSeconds: 2 } });
    a.start();
    await crashing.exited;
    expect(crashing.log).toContain('SIGKILL between commit and fan-out');
    // committed before the kill: seq 1 is stored, and the agent still holds it (never acknowledged)
    expect(c.receipts('village-k').map((r) => r.seq)).toEqual([1]);
    expect(a.spooled()).toContain(1);
    await c.start();
    await waitFor(() => c.receipts('village-k').length >= 3 && !a.spooled().includes(1), 30_000, 'delivery resumed');
    const seqs = c.receipts('village-k').map((r) => r.seq);
    expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);
    expect(new Set(seqs).size).toBe(seqs.length);
    const m = await c.metrics();
    expect(m).toMatch(/^xunjian_collector_reports_total\{result="duplicate"\} [1-9]/m);
    expect(m).toMatch(/^xunjian_agent_reports_sent_total\{node="village-k"/m);
    await a.stop();
    await c.stop();
  }, 90_000);
});
