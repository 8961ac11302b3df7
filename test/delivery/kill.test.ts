import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agent, cleanup, collector, contiguous, killAll, range, requireBuild, sleep, waitFor } from './helpers.js';

/** The agent SIGKILLed again and again while spooling and sending: nothing lost, nothing stored twice. */
const dirs: string[] = [];
beforeAll(requireBuild);
afterEach(killAll);
afterAll(() => cleanup(dirs));

describe('agent killed with SIGKILL repeatedly (real processes)', () => {
  it('the collector ends with every report the agent wrote, none twice', async () => {
    const c = await collector();
    const token = c.token('village-k');
    const a = agent('village-k', { collector: { url: c.url, token, timeoutSeconds: 2 } });
    dirs.push(c.dir, a.dir);
    // Deterministic pseudo-random kill delays (100..1600 ms): some kills land during start-up, some
    // while spooling, some during catch-up sends.
    let x = 12345;
    const rand = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
    const kills = 10;
    for (let i = 0; i < kills; i++) {
      if (i === 4) await c.start(); // first kills with the collector down (backlog), then while sending
      a.start();
      await sleep(100 + Math.floor(rand() * 1500));
      await a.stop('SIGKILL');
    }
    expect(a.lastSeq()).toBeGreaterThanOrEqual(5);
    a.start();
    const target = a.lastSeq() + 2;
    await waitFor('everything delivered after the last restart', () => {
      const seqs = c.receipts('village-k').map((r) => r.seq);
      return seqs.length >= target && contiguous(seqs);
    });
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
    expect(c.proc!.log).not.toContain('report rejected');
  }, 60_000);
});
