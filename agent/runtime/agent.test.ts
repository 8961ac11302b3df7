import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { type AgentConfig, agentConfigSpec } from '../config.js';
import type { Source } from '../source.js';
import { Agent, runSource } from './agent.js';

const log = createLogger({ level: 'error' });

function agentWith(sources: Source[]): Agent {
  const cfg = loadConfig<AgentConfig>(agentConfigSpec, undefined, { XUNJIAN_AGENT__DATADIR: mkdtempSync(join(tmpdir(), 'xj-agent-')) });
  return new Agent(cfg, sources, log, undefined);
}

const counter = (a: Agent, name: string, source: string) =>
  a.selfSamples(0).find((s) => s.name === name && s.labels.source === source)?.value;

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
