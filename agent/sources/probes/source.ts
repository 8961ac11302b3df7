import type { Sample } from '../../../contract/types.js';
import type { Source } from '../../source.js';
import type { ProbeTargetConfig, ProbesSourceConfig } from './config.js';
import { type Outcome, runProbe } from './probes.js';
import { type IcmpTotals, PROBE_HELP, dualStackSamples, outcomeSamples } from './samples.js';

/** One Source per configured probe, so each runs on its own schedule. */
export function createProbeSources(cfg: ProbesSourceConfig): Source[] {
  return cfg.targets.map((t) => createProbeSource(t, cfg.resolver || undefined));
}

export function createProbeSource(t: ProbeTargetConfig, resolver?: string): Source {
  const totals: IcmpTotals = new Map();
  return {
    name: `probe:${t.name}`,
    intervalSeconds: t.intervalSeconds,
    async collect(ctx) {
      const o = { timeoutSeconds: t.timeoutSeconds, resolver, count: t.count, packetIntervalSeconds: t.packetIntervalSeconds, insecureTls: t.insecureTls, signal: ctx.signal };
      const families = t.ip === 'both' ? ([6, 4] as const) : ([t.ip] as const);
      const outcomes: Outcome[] = await Promise.all(families.map((f) => runProbe(t.type, t.target, f, o)));
      const ts = ctx.now();
      const samples: Sample[] = outcomes.flatMap((x) => outcomeSamples(t.name, x, ts, totals));
      if (outcomes.length === 2) samples.push(...dualStackSamples(t.name, t.target, outcomes[0]!, outcomes[1]!, ts));
      for (const x of outcomes) if (!x.success) ctx.log.debug('probe failed', { probe: t.name, ip: x.ip, reason: x.reason, error: x.error });
      return { samples, help: PROBE_HELP };
    },
  };
}
