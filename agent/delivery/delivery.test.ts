import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import type { BatchPushResult, PushResult, PushTarget } from './push.js';
import { Delivery, type DeliveryOptions } from './delivery.js';
import { Spool } from '../spool/spool.js';

/** Delivery decisions with a real spool on disk and scripted collector answers (the HTTP edge is tested in test/delivery). */
const log = createLogger({ level: 'error', write: () => {} });
let dir: string;
let clock = 1_000_000;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xj-delivery-'));
  clock = 1_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const opts: DeliveryOptions = { mode: 'failover', batchMaxReports: 10, batchMaxBytes: 1e6, backoff: { initialMs: 1000, maxMs: 8000 } };
const T = (name: string): PushTarget => ({ url: `http://127.0.0.1:1/${name}`, name, token: 'xj1_t', signature: 'hmac-sha256', timeoutMs: 1000 });
const ack: PushResult = { kind: 'ack', status: 200, duplicate: false };

interface Call {
  target: string;
  kind: 'one' | 'batch';
  seqs: number[];
}

function setup(targets: PushTarget[], answer: (c: Call) => PushResult | BatchPushResult, o: Partial<DeliveryOptions> = {}) {
  const spool = new Spool({ dir, maxBytes: 1e9, maxAgeMs: 1e9, log, now: () => clock });
  const calls: Call[] = [];
  const acks: [number, string][] = [];
  const seqOf = (b: Buffer) => Number(b.toString());
  const d = new Delivery(spool, targets, 'n1', { ...opts, ...o }, log, {
    now: () => clock,
    random: () => 0,
    onAck: (seq, c) => acks.push([seq, c]),
    push: async (t, _n, body) => {
      const c: Call = { target: t.name!, kind: 'one', seqs: [seqOf(body)] };
      calls.push(c);
      return answer(c) as PushResult;
    },
    pushBatch: async (t, _n, bodies) => {
      const c: Call = { target: t.name!, kind: 'batch', seqs: bodies.map(seqOf) };
      calls.push(c);
      return answer(c) as BatchPushResult;
    },
  });
  const put = (...seqs: number[]) => {
    for (const s of seqs) spool.put(s, Buffer.from(String(s)));
  };
  return { spool, d, calls, acks, put };
}

describe('Delivery', () => {
  it('sends the backlog as one batch; per-line refusals are dropped and counted, the cursor passes them', async () => {
    const { spool, d, calls, acks, put } = setup([T('a')], (c) => ({
      kind: 'ack',
      status: 200,
      results: c.seqs.map((seq) => (seq === 2 ? { error: 'invalid_report', message: 'x', line: 2, seq } : { status: 'accepted' as const, node: 'n1', seq })),
    }));
    put(1, 2, 3);
    await d.kick();
    expect(calls).toEqual([{ target: 'a', kind: 'batch', seqs: [1, 2, 3] }]);
    expect(acks).toEqual([
      [1, 'a'],
      [3, 'a'],
    ]);
    expect(d.counters).toEqual({ sent: 2, pushErrors: 0, rejected: 1 });
    expect(spool.cursor('failover')).toBe(3);
    expect(spool.list()).toEqual([]);
  });

  it('falls back to one report per request when a collector refuses batches (no batch endpoint: 404)', async () => {
    const { d, calls, put } = setup([T('old')], (c) => (c.kind === 'batch' ? { kind: 'rejected', status: 404, error: 'not_found', message: 'no route' } : ack));
    put(1, 2);
    await d.kick();
    put(3, 4);
    await d.kick();
    expect(calls.map((c) => `${c.kind}:${c.seqs.join(',')}`)).toEqual(['batch:1,2', 'one:1', 'one:2', 'one:3', 'one:4']);
    expect(d.counters.sent).toBe(4);
  });

  it('a report refused for its content is dropped (counted) and the next one is sent', async () => {
    const { spool, d, calls, put } = setup([T('a')], (c) =>
      c.seqs[0] === 1 ? { kind: 'rejected', status: 400, error: 'invalid_report', message: 'bad' } : ack,
    );
    put(1);
    await d.kick();
    put(2);
    await d.kick();
    expect(calls.map((c) => c.seqs[0])).toEqual([1, 2]);
    expect(d.counters).toEqual({ sent: 1, pushErrors: 0, rejected: 1 });
    expect(spool.cursor('failover')).toBe(2);
  });

  it('failover: the first collector in backoff is skipped until its backoff ends; Retry-After sets the backoff', async () => {
    let aDown = true;
    const { d, calls, put, spool } = setup([T('a'), T('b')], (c) =>
      c.target === 'a' && aDown ? { kind: 'retry', status: 503, error: 'http_503', message: 'upgrade', retryAfterMs: 5000 } : ack,
    );
    put(1);
    await d.kick();
    expect(calls.map((c) => `${c.target}:${c.seqs.join(',')}`)).toEqual(['a:1', 'b:1']);
    expect(d.status()).toEqual([
      { collector: 'a', up: false, pending: 0 },
      { collector: 'b', up: true, pending: 0 },
    ]);
    aDown = false;
    clock += 4999; // still inside Retry-After
    put(2);
    await d.kick();
    clock += 1;
    put(3);
    await d.kick();
    expect(calls.map((c) => `${c.target}:${c.seqs.join(',')}`)).toEqual(['a:1', 'b:1', 'b:2', 'a:3']);
    expect(spool.list()).toEqual([]);
    await d.stop();
  });

  it('fanout: one cursor per collector; a file stays until both acknowledged it', async () => {
    let bUp = false;
    const { d, spool, calls, put } = setup(
      [T('a'), T('b')],
      (c) =>
        c.target === 'b' && !bUp
          ? { kind: 'retry', error: 'ECONNREFUSED', message: 'refused' }
          : c.kind === 'batch'
            ? { kind: 'ack', status: 200, results: c.seqs.map((seq) => ({ status: 'accepted' as const, node: 'n1', seq })) }
            : ack,
      { mode: 'fanout' },
    );
    put(1, 2);
    await d.kick();
    expect(spool.cursor('a')).toBe(2);
    expect(spool.cursor('b')).toBe(0);
    expect(spool.list().map((e) => e.seq)).toEqual([1, 2]);
    expect(d.status()).toEqual([
      { collector: 'a', up: true, pending: 0 },
      { collector: 'b', up: false, pending: 2 },
    ]);
    bUp = true;
    clock += 10_000;
    await d.kick();
    expect(spool.cursor('b')).toBe(2);
    expect(spool.list()).toEqual([]);
    expect(calls.filter((c) => c.target === 'b').map((c) => `${c.kind}:${c.seqs.join(',')}`)).toEqual(['batch:1,2', 'batch:1,2']);
    await d.stop();
  });

  it('with only `push` injected, sends one report per request (no real batch requests)', async () => {
    const spool = new Spool({ dir, maxBytes: 1e9, maxAgeMs: 1e9, log });
    const seqs: number[] = [];
    const d = new Delivery(spool, [T('a')], 'n1', opts, log, {
      push: async (_t, _n, b) => {
        seqs.push(Number(b.toString()));
        return ack;
      },
    });
    for (const s of [1, 2, 3]) spool.put(s, Buffer.from(String(s)));
    await d.kick();
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('refuses two collectors with the same name (they would share a cursor file)', () => {
    const spool = new Spool({ dir, maxBytes: 1e9, maxAgeMs: 1e9, log });
    expect(() => new Delivery(spool, [T('a'), T('a')], 'n1', { ...opts, mode: 'fanout' }, log)).toThrow('collector names must be unique, got a, a');
  });

  it('a collector in backoff that answers the probe again gets the backlog at once, not after its backoff', async () => {
    let up = false;
    let probes = 0;
    const spool = new Spool({ dir, maxBytes: 1e9, maxAgeMs: 1e9, log, now: () => clock });
    const sent: number[] = [];
    let delivered: () => void = () => {};
    const done = new Promise<void>((r) => (delivered = r));
    const d = new Delivery(spool, [T('a')], 'n1', { ...opts, backoff: { initialMs: 3_600_000, maxMs: 3_600_000 }, probeIntervalMs: 10 }, log, {
      now: () => clock,
      random: () => 0,
      probe: async () => {
        probes++;
        if (probes === 3) up = true; // the collector comes back after two probes failed
        return up;
      },
      push: async (_t, _n, b) => {
        if (!up) return { kind: 'retry', error: 'ECONNREFUSED', message: 'refused' };
        sent.push(Number(b.toString()));
        if (sent.length === 2) delivered();
        return ack;
      },
      pushBatch: async () => ({ kind: 'rejected', status: 404, error: 'not_found', message: '' }),
    });
    spool.put(1, Buffer.from('1'));
    await d.kick(); // fails: backoff of an hour (fake clock never moves)
    expect(sent).toEqual([]);
    spool.put(2, Buffer.from('2'));
    await done; // only the probe can end an hour's backoff here
    await d.stop();
    expect(sent).toEqual([1, 2]);
    expect(probes).toBe(3);
  });

  it('no probe during a Retry-After the collector asked for', async () => {
    let probes = 0;
    const spool = new Spool({ dir, maxBytes: 1e9, maxAgeMs: 1e9, log, now: () => clock });
    const d = new Delivery(spool, [T('a')], 'n1', { ...opts, probeIntervalMs: 5 }, log, {
      now: () => clock,
      random: () => 0,
      probe: async () => {
        probes++;
        return true;
      },
      push: async () => ({ kind: 'retry', status: 429, error: 'rate_limited', message: '', retryAfterMs: 60_000 }),
    });
    spool.put(1, Buffer.from('1'));
    await d.kick();
    await new Promise((r) => setTimeout(r, 60));
    await d.stop();
    expect(probes).toBe(0);
  });
});
