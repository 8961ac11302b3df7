import type { AgentConfig } from '../config.js';
import type { Source } from '../source.js';

/**
 * Every enabled source of the agent config. Each capability adds its factory here; its module is loaded
 * only when the source is configured (net-snmp, the crawler's HTML parser and the probes cost memory
 * only on nodes that use them).
 */
export async function buildSources(cfg: AgentConfig): Promise<Source[]> {
  const sources: Source[] = [];
  if (cfg.sources.host.enabled) sources.push((await import('./host/host.js')).createHostSource(cfg.sources.host));
  if (cfg.sources.posture.enabled) sources.push((await import('./posture/source.js')).createPostureSource(cfg.sources.posture));
  if (cfg.sources.probes.targets.length) sources.push(...(await import('./probes/source.js')).createProbeSources(cfg.sources.probes));
  if (cfg.sources.snmp.targets.length) sources.push(...(await import('./snmp/source.js')).createSnmpSources(cfg.sources.snmp));
  if (cfg.sources.ipv6check.sites.length)
    sources.push((await import('./ipv6check/source.js')).createIpv6checkSource(cfg.sources.ipv6check, cfg.sources.probes.resolver || undefined));
  return sources;
}
