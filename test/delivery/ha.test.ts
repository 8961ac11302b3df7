import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agent, cleanup, collector, contiguous, killAll, range, requireBuild } from './helpers.js';
import { waitFor } from '../helpers/proc.js';

/** Several collectors (fanout, failover) and a rate-limiting collector, with real processes. */
const dirs: string[] = [];
beforeAll(requireBuild);
afterEach(killAll);
afterAll(() => cleanup(dirs));

function inOrder(r: { seq: number; receivedAt: number }[]): boolean {
  return r.every((x, i) => i === 0 || x.receivedAt >= r[i - 1]!.receivedAt);
}

describe('HA collectors and back-pressure (real processes)', () => {
  it('fanout to two collectors with one down: the other gets everything, the down one catches up', async () => {
    const up = await collector();
    const down = await collector();
    const t1 = up.token('town-3');
    const t2 = down.token('town-3');
    await up.start();
    const a = agent('town-3', {
      collectors: [
        { url: up.url, token: t1, timeoutSeconds: 2 },
        { url: down.url, token: t2, timeoutSeconds: 2 },
      ],
      delivery: { mode: 'fanout', backoffInitialSeconds: 0.1, backoffMaxSeconds: 0.5 },
    });
    dirs.push(up.dir, down.dir, a.dir);
    a.start();
    await waitFor(() => up.receipts('town-3').length >= 5, 20_000, '5 reports at the live collector');
    expect(contiguous(up.receipts('town-3').map((r) => r.seq))).toBe(true);
    expect(down.receipts('town-3')).toEqual([]);
    // the spool keeps what the down collector has not acknowledged
    expect(a.spooled().length).toBeGreaterThanOrEqual(5);
    await down.start();
    const target = a.lastSeq();
    await waitFor(
      () => {
        const s = down.receipts('town-3').map((r) => r.seq);
        return s.length >= target && contiguous(s);
      },
      20_000,
      'the down collector catches up',
    );
    await a.stop();
    const n = a.lastSeq();
    const left = a.spooled();
    for (const c of [up, down]) {
      const r = c.receipts('town-3');
      expect([...r.map((x) => x.seq), ...left.filter((s) => !r.some((x) => x.seq === s))]).toEqual(range(1, n));
      expect(inOrder(r)).toBe(true);
    }
  });

  it('failover: reports go to the first healthy collector; back to the first once it is up again', async () => {
    const primary = await collector();
    const secondary = await collector();
    const t1 = primary.token('town-f');
    const t2 = secondary.token('town-f');
    await secondary.start(); // primary down at first
    const a = agent('town-f', {
      collectors: [
        { url: primary.url, token: t1, timeoutSeconds: 2 },
        { url: secondary.url, token: t2, timeoutSeconds: 2 },
      ],
      delivery: { mode: 'failover', backoffInitialSeconds: 0.1, backoffMaxSeconds: 0.5 },
    });
    dirs.push(primary.dir, secondary.dir, a.dir);
    a.start();
    await waitFor(() => secondary.receipts('town-f').length >= 3, 20_000, '3 reports at the secondary');
    await primary.start();
    await waitFor(() => primary.receipts('town-f').length >= 3, 20_000, '3 reports at the primary once it is back');
    await a.stop();
    const n = a.lastSeq();
    const p = primary.receipts('town-f').map((r) => r.seq);
    const q = secondary.receipts('town-f').map((r) => r.seq);
    const left = a.spooled();
    // one spool cursor: each report went to exactly one collector, the secondary only while the primary was down
    expect([...q, ...p, ...left].sort((x, y) => x - y)).toEqual(range(1, n));
    expect(Math.max(...q)).toBeLessThan(Math.min(...p));
  });

  it('honours 429 Retry-After from a rate-limiting collector and still delivers everything', async () => {
    const c = await collector({ ingest: { rateLimit: { requestsPerSecond: 0.5, burst: 1 } } });
    const token = c.token('village-rl');
    await c.start();
    const a = agent('village-rl', { collector: { url: c.url, token, timeoutSeconds: 2 } }); // backoff max 0.5 s
    dirs.push(c.dir, a.dir);
    a.start();
    await waitFor(() => (a.proc!.log.match(/error=rate_limited/g) ?? []).length >= 2, 15_000, 'rate limited at least twice');
    const target = a.lastSeq();
    await waitFor(
      () => {
        const seqs = c.receipts('village-rl').map((r) => r.seq);
        return seqs.length >= target && contiguous(seqs);
      },
      15_000,
      'everything delivered despite the limit',
    );
    await a.stop();
    const waits = [...a.logs.join('').matchAll(/status=429 error=rate_limited .*retryInSeconds=([0-9.]+)/g)].map((m) => Number(m[1]));
    expect(waits.length).toBeGreaterThanOrEqual(2);
    // Retry-After (>= 1 s) wins over the agent's own backoff (at most 0.5 s here)
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1);
    const m = await c.metrics();
    expect(Number(/xunjian_collector_reports_rejected_total\{reason="rate_limited"\} (\d+)/.exec(m)?.[1])).toBe(waits.length);
    const n = a.lastSeq();
    const received = c.receipts('village-rl').map((r) => r.seq);
    expect([...received, ...a.spooled().filter((s) => !received.includes(s))]).toEqual(range(1, n));
  });
});
