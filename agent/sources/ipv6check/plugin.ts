import { defineSource } from '../../source.js';
import { ipv6checkSourceSchema } from './config.js';

/** `sources.ipv6check`: government-website IPv6 support rates, and `xunjian ipv6-check` (README.md here). The crawler loads only with sites. */
export default defineSource({
  schema: ipv6checkSourceSchema,
  enabled: (c) => c.sites.length > 0,
  // the DNS server of the probes, when one is set, serves the check too
  create: async (c, ctx) => [(await import('./source.js')).createIpv6checkSource(c, ctx.agent.sources.probes.resolver || undefined)],
  commands: { names: ['ipv6-check'], register: async () => (await import('./cli.js')).registerIpv6CheckCommand },
});
