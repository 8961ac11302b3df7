import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agent, cleanup, collector, contiguous, killAll, range, requireBuild, sleep, slowAckProxy } from './helpers.js';
import { waitFor } from '../helpers/proc.js';

/** The agent SIGKILLed again and again while spooling and sending: nothing lost, nothing stored twice. */
const dirs: string[] = [];
beforeAll(requireBuild);
afterEach(killAll);
afterAll(() => cleanup(dirs));

describe('agent killed with SIGKILL repeatedly (real processes)', () => {
  it('the collector ends with every report the agent wrote, none twice', async () => {
    const c = await collector();
    const token = c.token('village-k');
    // Answers reach the agent 300 ms after the collector stored the report: kills inside that window
    // leave a report stored but unacknowledged, to be sent again after the restart.
    const proxy = await slowAckProxy(c.port, 300);
    const a = agent('village-k', { collector: { url: `http://127.0.0.1:${proxy.port}`, token, timeoutSeconds: 3 } });
    dirs.push(c.dir, a.dir);
    // Deterministic pseudo-random kill delays (100..1600 ms): some kills land during start-up, some
    // while spooling, some during catch-up sends.
    let x = 12345;
    const rand = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
    const kills = 12;
    let targeted = 0;
    for (let i = 0; i < kills; i++) {
      if (i === 4) await c.start(); // first kills with the collector down (backlog), then while sending
      const p = a.start();
      // the delays count from the agent's start, not from the spawn (process start-up takes seconds on a loaded machine)
      await waitFor(() => p.log.includes('agent starting'), 20_000, 'the agent started', 20);
      if (i >= 4 && i % 2 === 0) {
        // kill the moment the collector has stored something new: its ack is still in the proxy
        const before = c.receipts('village-k').length;
        await waitFor(() => c.receipts('village-k').length > before, 10_000, 'a report stored', 20);
        targeted++;
      } else {
        await sleep(100 + Math.floor(rand() * 1500));
      }
      await a.stop('SIGKILL');
    }
    expect(a.lastSeq()).toBeGreaterThanOrEqual(5);
    a.start();
    const target = a.lastSeq() + 2;
    await waitFor(
      () => {
        const seqs = c.receipts('village-k').map((r) => r.seq);
        return seqs.length >= target && contiguous(seqs);
      },
      20_000,
      'everything delivered after the last restart',
    );
    await a.stop();
    const n = a.lastSeq();
    const received = c.receipts('village-k').map((r) => r.seq);
    const left = a.spooled();
    expect([...received, ...left.filter((s) => !received.includes(s))]).toEqual(range(1, n));
    expect(contiguous(received)).toBe(true);
    // None stored twice: the collector (up since kill 4) accepted each report exactly once; resends
    // after kills were answered as duplicates.
    const m = await c.metrics();
    const accepted = Number(/^xunjian_collector_reports_total\{result="accepted"\} (\d+)/m.exec(m)?.[1]);
    expect(accepted).toBe(received.length);
    const duplicates = Number(/^xunjian_collector_reports_total\{result="duplicate"\} (\d+)/m.exec(m)?.[1]);
    expect(duplicates).toBeGreaterThanOrEqual(targeted);
    await proxy.close();
    expect(c.proc!.log).not.toContain('report rejected');
  }, 120_000);
});
