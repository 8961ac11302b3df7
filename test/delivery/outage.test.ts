import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agent, cleanup, collector, contiguous, killAll, range, requireBuild, sampleValue, slowAckProxy, sleep } from './helpers.js';
import { waitFor } from '../helpers/proc.js';

/** Collector outages with real processes: the spool delivers every report exactly once, in order. */
const dirs: string[] = [];
beforeAll(requireBuild);
afterEach(killAll);
afterAll(() => cleanup(dirs));

/** Received-at times never go down as seq goes up: the collector got the reports in seq order. */
function inOrder(r: { seq: number; receivedAt: number }[]): boolean {
  return r.every((x, i) => i === 0 || x.receivedAt >= r[i - 1]!.receivedAt);
}

describe('delivery through collector outages (real processes)', () => {
  it('collector stopped for a while, then restarted: every seq exactly once, in order', async () => {
    const c = await collector();
    const token = c.token('village-1');
    await c.start();
    const a = agent('village-1', { collector: { url: c.url, token, timeoutSeconds: 2 } });
    dirs.push(c.dir, a.dir);
    a.start();
    await waitFor(() => c.receipts('village-1').length >= 3, 20_000, '3 reports before the outage');
    await c.stop();
    const atStop = a.lastSeq();
    await waitFor(() => a.spooled().filter((s) => s > atStop).length >= 4, 15_000, '4 reports spooled during the outage');
    expect(a.proc!.log).toContain('push failed; will retry');
    const spooledDuringOutage = a.lastSeq();
    await c.start();
    await waitFor(
      () => {
        const seqs = c.receipts('village-1').map((r) => r.seq);
        return seqs.length >= spooledDuringOutage + 2 && contiguous(seqs);
      },
      20_000,
      'catch-up past the outage',
    );
    // the backlog went in batches (counters of the restarted collector)
    const m = await c.metrics();
    expect(Number(/^xunjian_collector_batch_requests_total (\d+)/m.exec(m)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^xunjian_collector_batch_reports_total (\d+)/m.exec(m)?.[1])).toBeGreaterThanOrEqual(4);
    await a.stop();
    const n = a.lastSeq();
    const received = c.receipts('village-1');
    const left = a.spooled(); // reports written just before the stop and not yet sent stay spooled
    expect([...received.map((r) => r.seq), ...left]).toEqual(range(1, n));
    expect(received.length).toBeGreaterThanOrEqual(spooledDuringOutage + 2);
    expect(inOrder(received)).toBe(true);
    expect(c.proc!.log).not.toContain('report rejected');
  });

  it('spool cap reached during an outage: the dropped count is exact and the collector learns it', async () => {
    const c = await collector();
    const token = c.token('village-2');
    const a = agent('village-2', { collector: { url: c.url, token, timeoutSeconds: 2 }, spool: { maxBytes: 2000 } });
    dirs.push(c.dir, a.dir);
    a.start(); // collector down from the start
    await waitFor(() => a.spoolState().dropped >= 3, 20_000, 'reports dropped from the full spool');
    await c.start();
    // Reports keep coming; the newest carry the final dropped count (no drops once the collector is up).
    const seen = await waitFor(
      async () => {
        const v = sampleValue(await c.metrics(), 'xunjian_agent_spool_dropped_reports_total', 'village-2');
        return v !== undefined && v >= 3 && v === a.spoolState().dropped ? v : undefined;
      },
      20_000,
      'collector exposes the dropped count',
    );
    await a.stop();
    const dropped = a.spoolState().dropped;
    expect(seen).toBe(dropped);
    const n = a.lastSeq();
    const received = c.receipts('village-2').map((r) => r.seq);
    const left = a.spooled();
    const missing = range(1, n).filter((s) => !received.includes(s) && !left.includes(s));
    // exactly the oldest reports were dropped, and exactly as many as counted
    expect(missing).toEqual(range(1, a.spoolState().dropped));
    expect(a.spoolState().dropped).toBe(dropped);
    expect(a.logs.join('')).toContain('spool full: dropped oldest reports');
  });

  it('a corrupted spool file is quarantined and the rest delivered; the collector learns it', async () => {
    const c = await collector();
    const token = c.token('village-q');
    const a = agent('village-q', { collector: { url: c.url, token, timeoutSeconds: 2 } });
    dirs.push(c.dir, a.dir);
    a.start(); // collector down: reports stay spooled
    await waitFor(() => a.spooled().length >= 4, 20_000, '4 spooled reports');
    await a.stop('SIGKILL');
    const file = join(a.dir, 'data', 'spool', '0000000000000002.rpt');
    const buf = readFileSync(file);
    buf[buf.length - 5] = buf[buf.length - 5]! ^ 0x01; // one flipped bit in the body
    writeFileSync(file, buf);
    await c.start();
    a.start();
    const seen = await waitFor(
      async () => {
        const v = sampleValue(await c.metrics(), 'xunjian_agent_spool_quarantined_reports_total', 'village-q');
        return v === 1 ? v : undefined;
      },
      20_000,
      'collector exposes the quarantined count',
    );
    expect(seen).toBe(1);
    await a.stop();
    const n = a.lastSeq();
    const received = c.receipts('village-q').map((r) => r.seq);
    const left = a.spooled();
    expect([...received, ...left.filter((s) => !received.includes(s))]).toEqual(range(1, n).filter((s) => s !== 2));
    expect(readdirSync(join(a.dir, 'data', 'spool', 'quarantine'))).toEqual([expect.stringMatching(/^0000000000000002\.rpt\.\d+$/)]);
    expect(a.logs.join('')).toMatch(/corrupt spool file quarantined; that report is lost component=spool seq=2 reason="checksum mismatch"/);
  });

  it('slow link (answers 1.5 s late) with a 2 KiB spool: the drop counter equals the seqs really missing', async () => {
    const c = await collector();
    const token = c.token('village-slow');
    await c.start();
    const proxy = await slowAckProxy(c.port, 1500);
    const a = agent('village-slow', { collector: { url: `http://127.0.0.1:${proxy.port}`, token, timeoutSeconds: 5 }, spool: { maxBytes: 2048 } });
    dirs.push(c.dir, a.dir);
    try {
      a.start();
      await waitFor(() => c.receipts('village-slow').length >= 8, 30_000, '8 reports through the slow link');
      await a.stop();
    } finally {
      await proxy.close();
    }
    const n = a.lastSeq();
    const received = c.receipts('village-slow').map((r) => r.seq);
    const left = a.spooled();
    const missing = range(1, n).filter((s) => !received.includes(s) && !left.includes(s));
    expect(a.spoolState().dropped).toBe(missing.length);
  });

  it("the collector's return is noticed within seconds (probe), not after the backoff", async () => {
    const c = await collector();
    const token = c.token('village-back');
    await c.start();
    const backoff = 30; // first retry after 15-30 s
    const a = agent(
      'village-back',
      { collector: { url: c.url, token, timeoutSeconds: 2 } },
      { delivery: { backoffInitialSeconds: backoff, backoffMaxSeconds: backoff, probeIntervalSeconds: 1 } },
    );
    dirs.push(c.dir, a.dir);
    a.start();
    await waitFor(() => c.receipts('village-back').length >= 2, 20_000, '2 reports before the outage');
    await c.stop();
    await waitFor(() => a.proc!.log.includes('push failed; will retry'), 20_000, 'a failed push');
    await sleep(2000);
    const spooled = a.lastSeq();
    await c.start();
    const back = Date.now();
    await waitFor(
      () => {
        const seqs = c.receipts('village-back').map((r) => r.seq);
        return seqs.length >= spooled && contiguous(seqs);
      },
      (backoff / 2) * 1000 - 2000,
      'the backlog delivered',
    );
    const took = (Date.now() - back) / 1000;
    expect(took).toBeLessThan(backoff / 2); // the earliest the backoff alone would have retried
    expect(a.proc!.log).toContain('collector answers again: sending now instead of waiting for the backoff');
    await a.stop();
  });
});
