import { readFileSync } from 'node:fs';
import type { Sample } from '../../../contract/types.js';
import type { Source } from '../../source.js';
import type { ProbeTargetConfig, ProbesSourceConfig } from './config.js';
import { type Outcome, type ProbeOptions, runProbe } from './probes.js';
import { type IcmpTotals, PROBE_HELP, dualStackSamples, outcomeSamples } from './samples.js';

/** One Source per configured probe, so each runs on its own schedule. */
export function createProbeSources(cfg: ProbesSourceConfig): Source[] {
  return cfg.targets.map((t) => createProbeSource(t, cfg.resolver || undefined));
}

/**
 * Which failure reasons should be logged as warnings now: one line per family whose reason changed
 * since the last run (failing → failing differently, ok → failing); `undefined` stands for success.
 * Pure; `last` is updated.
 */
export function reasonChanges(
  last: Map<number, string | undefined>,
  outcomes: readonly Outcome[],
): { outcome: Outcome; was: string | undefined; recovered: boolean }[] {
  const out: { outcome: Outcome; was: string | undefined; recovered: boolean }[] = [];
  for (const o of outcomes) {
    const now = o.success ? undefined : (o.reason ?? 'error');
    const had = last.has(o.ip);
    const was = last.get(o.ip);
    last.set(o.ip, now);
    if (now !== was && (now !== undefined || had)) out.push({ outcome: o, was, recovered: now === undefined });
  }
  return out;
}

export function createProbeSource(t: ProbeTargetConfig, resolver?: string): Source {
  const totals: IcmpTotals = new Map();
  const last = new Map<number, string | undefined>();
  const ca = t.caFile ? readFileSync(t.caFile, 'utf8') : undefined;
  return {
    name: `probe:${t.name}`,
    intervalSeconds: t.intervalSeconds,
    async collect(ctx) {
      const o: ProbeOptions = {
        timeoutSeconds: t.timeoutSeconds,
        resolver,
        count: t.count,
        packetIntervalSeconds: t.packetIntervalSeconds,
        insecureTls: t.insecureTls,
        ca,
        maxBodyBytes: t.maxBodyBytes,
        maxRedirects: t.maxRedirects,
        signal: ctx.signal,
      };
      const families = t.ip === 'both' ? ([6, 4] as const) : ([t.ip] as const);
      const outcomes: Outcome[] = await Promise.all(families.map((f) => runProbe(t.type, t.target, f, o)));
      const ts = ctx.now();
      const samples: Sample[] = outcomes.flatMap((x) => outcomeSamples(t.name, x, ts, totals));
      if (outcomes.length === 2) samples.push(...dualStackSamples(t.name, t.target, outcomes[0]!, outcomes[1]!, ts));
      for (const c of reasonChanges(last, outcomes)) {
        const x = c.outcome;
        if (c.recovered) ctx.log.info('probe works again', { probe: t.name, target: t.target, ip: x.ip, was: c.was });
        else ctx.log.warn('probe failing', { probe: t.name, target: t.target, ip: x.ip, reason: x.reason, error: x.error, ...(c.was ? { was: c.was } : {}) });
      }
      for (const x of outcomes) if (!x.success) ctx.log.debug('probe failed', { probe: t.name, ip: x.ip, reason: x.reason, error: x.error });
      return { samples, help: PROBE_HELP };
    },
  };
}
