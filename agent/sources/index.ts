import type { AgentConfig } from '../config.js';
import type { Source } from '../source.js';
import { createHostSource } from './host/host.js';
import { createProbeSources } from './probes/source.js';

/** Every enabled source of the agent config. Each capability adds its factory here. */
export function buildSources(cfg: AgentConfig): Source[] {
  const sources: Source[] = [];
  if (cfg.sources.host.enabled) sources.push(createHostSource(cfg.sources.host));
  sources.push(...createProbeSources(cfg.sources.probes));
  return sources;
}
