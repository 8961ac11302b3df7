import type { AgentConfig } from '../config.js';
import type { Source } from '../source.js';
import { createHostSource } from './host/host.js';
import { createIpv6checkSource } from './ipv6check/source.js';
import { createPostureSource } from './posture/source.js';
import { createProbeSources } from './probes/source.js';
import { createSnmpSources } from './snmp/source.js';

/** Every enabled source of the agent config. Each capability adds its factory here. */
export function buildSources(cfg: AgentConfig): Source[] {
  const sources: Source[] = [];
  if (cfg.sources.host.enabled) sources.push(createHostSource(cfg.sources.host));
  if (cfg.sources.posture.enabled) sources.push(createPostureSource(cfg.sources.posture));
  sources.push(...createProbeSources(cfg.sources.probes));
  sources.push(...createSnmpSources(cfg.sources.snmp));
  if (cfg.sources.ipv6check.sites.length) sources.push(createIpv6checkSource(cfg.sources.ipv6check, cfg.sources.probes.resolver || undefined));
  return sources;
}
