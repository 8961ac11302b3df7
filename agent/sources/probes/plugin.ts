import { defineSource } from '../../source.js';
import { probesSourceSchema, validateProbes } from './config.js';

/** `sources.probes`: icmp/tcp/dns/http probes over IPv6 and IPv4, and `xunjian probe` (README.md here). */
export default defineSource({
  schema: probesSourceSchema,
  enabled: (c) => c.targets.length > 0,
  validate: validateProbes,
  create: async (c) => (await import('./source.js')).createProbeSources(c),
  commands: { names: ['probe'], register: async () => (await import('./cli.js')).registerProbeCommand },
});
