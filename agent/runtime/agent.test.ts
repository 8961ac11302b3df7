import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LIMITS, checkReport } from '../../contract/schema.js';
import type { Report, Sample } from '../../contract/types.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { type AgentConfig, agentConfigSpec } from '../config.js';
import type { PushResult, PushTarget } from '../delivery/push.js';
import type { Source } from '../source.js';
import { Agent, type AgentDeps, runSource } from './agent.js';

const log = createLogger({ level: 'error' });

function agentWith(sources: Source[]): Agent {
  const cfg = loadConfig<AgentConfig>(agentConfigSpec, undefined, { XUNJIAN_AGENT__DATADIR: mkdtempSync(join(tmpdir(), 'xj-agent-')) });
  return new Agent(cfg, sources, log, undefined);
}

const counter = (a: Agent, name: string, source: string) => a.selfSamples(0).find((s) => s.name === name && s.labels.source === source)?.value;

/** A source that ignores its abort signal and returns only when released. */
function stubborn(intervalSeconds: number) {
  let release: () => void = () => {};
  let calls = 0;
  const source: Source = {
    name: 'stubborn',
    intervalSeconds,
    collect: () => {
      calls++;
      return new Promise((resolve) => {
        release = () => resolve({ samples: [] });
      });
    },
  };
  return { source, release: () => release(), calls: () => calls };
}

describe('source overruns', () => {
  it('a run that outlives its budget blocks the next runs, which are skipped and counted, not stacked', async () => {
    const s = stubborn(0.1); // budget 90 ms
    const a = agentWith([s.source]);
    await a.collect(s.source); // gives up after 90 ms; the source is still running
    expect(counter(a, 'xunjian_agent_source_errors_total', 'stubborn')).toBe(1);
    await a.collect(s.source);
    await a.collect(s.source);
    expect(s.calls()).toBe(1);
    expect(counter(a, 'xunjian_agent_source_skipped_total', 'stubborn')).toBe(2);
    expect(counter(a, 'xunjian_agent_source_runs_total', 'stubborn')).toBe(1);
    s.release();
    await new Promise((r) => setImmediate(r));
    await a.collect(s.source); // runs again once the old run returned
    expect(s.calls()).toBe(2);
    expect(counter(a, 'xunjian_agent_source_runs_total', 'stubborn')).toBe(2);
    s.release();
  });

  it('a source that throws synchronously does not stay marked as running', async () => {
    const source: Source = {
      name: 'sync-throw',
      intervalSeconds: 60,
      collect: () => {
        throw new Error('boom');
      },
    };
    const a = agentWith([source]);
    await a.collect(source);
    await new Promise((r) => setImmediate(r));
    await a.collect(source);
    expect(counter(a, 'xunjian_agent_source_runs_total', 'sync-throw')).toBe(2);
    expect(counter(a, 'xunjian_agent_source_errors_total', 'sync-throw')).toBe(2);
    expect(counter(a, 'xunjian_agent_source_skipped_total', 'sync-throw')).toBe(0);
  });

  it('runSource aborts the signal when the budget runs out', async () => {
    let seen: AbortSignal | undefined;
    const source: Source = {
      name: 'hang',
      intervalSeconds: 60,
      collect: (ctx) => {
        seen = ctx.signal;
        return new Promise(() => {});
      },
    };
    await expect(runSource(source, log, 50)).rejects.toThrow('source hang did not finish within 0.05 s');
    expect(seen?.aborted).toBe(true);
  });
});

describe('reports (spooled, pushed to a recording collector)', () => {
  interface Pushed {
    report: Report;
    bytes: number;
    jsonBytes: number;
  }
  function recorder(answer: () => PushResult = () => ({ kind: 'ack', status: 200, duplicate: false })) {
    const pushed: Pushed[] = [];
    const push = async (_t: PushTarget, _n: string, body: Buffer): Promise<PushResult> => {
      const json = gunzipSync(body);
      const r = answer();
      if (r.kind === 'ack') pushed.push({ report: JSON.parse(json.toString()) as Report, bytes: body.length, jsonBytes: json.length });
      return r;
    };
    return { pushed, push };
  }
  const target: PushTarget = { url: 'http://127.0.0.1:9', token: 'xj1_test', signature: 'hmac-sha256', timeoutMs: 1000 };
  function agentAt(dataDir: string, sources: Source[], push: AgentDeps['push'], env: Record<string, string> = {}): Agent {
    const cfg = loadConfig<AgentConfig>(agentConfigSpec, undefined, {
      XUNJIAN_AGENT__DATADIR: dataDir,
      XUNJIAN_AGENT__NODE__ID: 'county-7',
      XUNJIAN_AGENT__DELIVERY__PROBEINTERVALSECONDS: '0',
      ...env,
    });
    return new Agent(cfg, sources, log, target, { push });
  }
  const streamOf = (dataDir: string) => (JSON.parse(readFileSync(join(dataDir, 'seq.json'), 'utf8')) as { stream: string }).stream;

  /** 60 switches of ≈3,300 series each (48 ports × the if_mib counters and gauges, plus system tables). */
  function fleetSource(switches: number, series: number): Source {
    return {
      name: 'snmp-fleet',
      intervalSeconds: 30,
      async collect(ctx) {
        const ts = ctx.now();
        const samples: Sample[] = [];
        for (let d = 0; d < switches; d++) {
          for (let i = 0; i < series; i++) {
            samples.push({
              name: i % 2 ? 'ifHCInOctets' : 'ifHCOutOctets',
              labels: { target: `town-sw-${d}`, ifIndex: String(i), ifName: `GigabitEthernet0/0/${i}` },
              value: i * 1_000_003,
              type: 'counter',
              ts,
            });
          }
        }
        return { samples, help: { ifHCInOctets: 'in', ifHCOutOctets: 'out' } };
      },
    };
  }

  it("a report interval's worth of a 60-switch fleet (2 polls, ≈400k samples) goes out as several reports within the contract's limits, none lost", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'xj-agent-'));
    const { pushed, push } = recorder();
    const src = fleetSource(60, 3300);
    const a = agentAt(dataDir, [src], push);
    await a.collect(src);
    await a.collect(src);
    await a.report();
    await a.stop();
    expect(pushed.length).toBeGreaterThanOrEqual(2);
    const stream = streamOf(dataDir);
    pushed.forEach((p, i) => {
      expect(checkReport(p.report)).toMatchObject({ ok: true });
      expect(p.report.samples.length).toBeLessThanOrEqual(LIMITS.samples);
      expect(p.bytes).toBeLessThanOrEqual(LIMITS.bodyBytes);
      expect(p.jsonBytes).toBeLessThanOrEqual(LIMITS.reportBytes);
      expect(p.report.seq).toBe(i + 1);
      expect(p.report.stream).toBe(stream);
    });
    const fleet = pushed.flatMap((p) => p.report.samples.filter((s) => s.name.startsWith('ifHC')));
    expect(fleet).toHaveLength(2 * 60 * 3300);
    const split = pushed.flatMap((p) => p.report.samples).find((s) => s.name === 'xunjian_agent_reports_split_total');
    expect(split?.value).toBe(0); // self-metrics are taken before this split is counted
  }, 120_000);

  it("reports carry each slow source's interval per metric name and each fact group's provenance; a failing source's groups go stale", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'xj-agent-'));
    const { pushed, push } = recorder();
    let fail = false;
    const daily: Source = {
      name: 'daily',
      intervalSeconds: 86_400,
      async collect(ctx) {
        if (fail) throw new Error('resolver down');
        return { samples: [{ name: 'site_rate', labels: {}, value: 1, type: 'gauge', ts: ctx.now() }], facts: { 'network.website_ipv6': { a: 1 } } };
      },
    };
    const fast: Source = {
      name: 'fast',
      intervalSeconds: 60,
      collect: async (ctx) => ({ samples: [{ name: 'fast_g', labels: {}, value: 2, type: 'gauge', ts: ctx.now() }] }),
    };
    const a = agentAt(dataDir, [daily, fast], push, { XUNJIAN_AGENT__REPORT__INTERVALSECONDS: '60' });
    const before = Date.now();
    await a.collect(daily);
    await a.collect(fast);
    await a.report();
    const r1 = pushed[0]!.report;
    // only what differs from the report interval is sent
    expect(r1.intervals).toEqual({ site_rate: 86_400 });
    expect(r1.factsMeta?.['network.website_ipv6']).toMatchObject({ source: 'daily', status: 'ok' });
    expect(r1.factsMeta!['network.website_ipv6']!.collectedAt).toBeGreaterThanOrEqual(before);
    fail = true;
    await a.collect(daily);
    // refresh the facts so they are sent again with the new provenance
    (a as unknown as { lastFactsSent: undefined }).lastFactsSent = undefined;
    await a.report();
    const r2 = pushed[1]!.report;
    expect(r2.factsMeta?.['network.website_ipv6']).toEqual({ ...r1.factsMeta!['network.website_ipv6']!, status: 'stale' });
    await a.stop();
  });

  it('a failed spool write is counted and its samples go out with the next report', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'xj-agent-'));
    const { pushed, push } = recorder();
    let v = 0;
    const src: Source = {
      name: 'count',
      intervalSeconds: 60,
      collect: async (ctx) => ({ samples: [{ name: 'x', labels: {}, value: ++v, type: 'gauge', ts: ctx.now() }] }),
    };
    const a = agentAt(dataDir, [src], push);
    await a.collect(src);
    const spoolDir = join(dataDir, 'spool');
    const aside = join(dataDir, 'spool-aside');
    renameSync(spoolDir, aside);
    writeFileSync(spoolDir, 'not a directory'); // every write into the spool fails now
    await a.report();
    expect(pushed).toHaveLength(0);
    expect(JSON.parse(readFileSync(join(dataDir, 'seq.json'), 'utf8')).seq).toBe(0); // the seq was not used
    rmSync(spoolDir);
    renameSync(aside, spoolDir);
    await a.collect(src);
    await a.report();
    await a.stop();
    expect(pushed.map((p) => p.report.seq)).toEqual([1]);
    const samples = pushed[0]!.report.samples;
    expect(samples.filter((s) => s.name === 'x').map((s) => s.value)).toEqual([1, 2]);
    expect(samples.find((s) => s.name === 'xunjian_agent_spool_write_errors_total')?.value).toBe(1);
  });

  it('seq.json that cannot be written: the spool keeps the sequence, no seq is sent twice', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'xj-agent-'));
    const { pushed, push } = recorder();
    const a = agentAt(dataDir, [], push);
    await a.report();
    rmSync(join(dataDir, 'seq.json'));
    mkdirSync(join(dataDir, 'seq.json')); // every write of seq.json fails now (rename over a directory)
    await a.report();
    await a.report();
    await a.stop();
    expect(pushed.map((p) => p.report.seq)).toEqual([1, 2, 3]);
  });

  it('the first report does not wait for a slow source: the fast ones are in it, the slow one follows', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'xj-agent-'));
    const { pushed, push } = recorder();
    let release: () => void = () => {};
    const slow: Source = {
      name: 'slow',
      intervalSeconds: 3600,
      collect: (ctx) => new Promise((r) => (release = () => r({ samples: [{ name: 'slow_value', labels: {}, value: 1, type: 'gauge', ts: ctx.now() }] }))),
    };
    const fast: Source = {
      name: 'fast',
      intervalSeconds: 60,
      collect: async (ctx) => ({ samples: [{ name: 'fast_value', labels: {}, value: 1, type: 'gauge', ts: ctx.now() }] }),
    };
    const a = agentAt(dataDir, [slow, fast], push, { XUNJIAN_AGENT__REPORT__INTERVALSECONDS: '60' });
    await a.start(); // resolves although `slow` has not returned
    await a.flush();
    expect(pushed).toHaveLength(1);
    const names = pushed[0]!.report.samples.map((s) => s.name);
    expect(names).toContain('fast_value');
    expect(names).not.toContain('slow_value');
    release();
    await new Promise((r) => setImmediate(r));
    await a.report();
    await a.stop();
    expect(pushed[1]!.report.samples.map((s) => s.name)).toContain('slow_value');
  });

  it('a reset data directory starts a new stream; spooled reports keep the stream they were built with', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'xj-agent-'));
    let up = false;
    const { pushed, push } = recorder(() => (up ? { kind: 'ack', status: 200, duplicate: false } : { kind: 'retry', error: 'ECONNREFUSED', message: 'down' }));
    const a = agentAt(dataDir, [], push);
    await a.report(); // collector down: seq 1 stays spooled
    await a.stop();
    const first = streamOf(dataDir);
    rmSync(join(dataDir, 'seq.json')); // the seq state is lost; the spool is not
    up = true;
    const b = agentAt(dataDir, [], push);
    await b.report();
    await b.stop();
    const second = streamOf(dataDir);
    expect(second).not.toBe(first);
    expect(pushed.map((p) => [p.report.seq, p.report.stream])).toEqual([
      [1, first],
      [2, second],
    ]);
    // a wholly new data directory: a new stream again, seq from 1
    const fresh = mkdtempSync(join(tmpdir(), 'xj-agent-'));
    const c = agentAt(fresh, [], push);
    await c.report();
    await c.stop();
    expect(pushed[2]!.report.seq).toBe(1);
    expect(pushed[2]!.report.stream).not.toBe(first);
    expect(pushed[2]!.report.stream).not.toBe(second);
  });

  it('data directory and spool are created private (0700)', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'xj-agent-')), 'data');
    const a = agentAt(dataDir, [], recorder().push);
    await a.stop();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'spool')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'seq.json')).mode & 0o777).toBe(0o600);
  });
});
