import type { Sample } from '../../../contract/types.js';
import type { Source } from '../../source.js';
import { type Ipv6CheckReport, checkSite } from './check.js';
import type { Ipv6checkSourceConfig } from './config.js';

export const IPV6CHECK_HELP: Record<string, string> = {
  xunjian_website_ipv6_aaaa: 'Whether the site host has an AAAA record.',
  xunjian_website_ipv6_homepage_reachable: 'Whether the homepage is reachable over IPv6.',
  xunjian_website_ipv6_links: 'Same-site links checked at a level (2 or 3).',
  xunjian_website_ipv6_links_unchecked: 'Links of a level selected for checking but left out by the page budget (not in the rate).',
  xunjian_website_ipv6_links_capable: 'Links of a level that work over IPv6.',
  xunjian_website_ipv6_support_ratio: 'IPv6 support rate of the links of a level (capable ÷ checked).',
};

export function reportSamples(r: Ipv6CheckReport, ts: number): Sample[] {
  const site = r.site;
  const g = (name: string, value: number, labels: Record<string, string> = {}): Sample => ({ name, labels: { site, ...labels }, value, type: 'gauge', ts });
  const out = [g('xunjian_website_ipv6_aaaa', r.homepage.aaaa ? 1 : 0), g('xunjian_website_ipv6_homepage_reachable', r.homepage.ipv6Reachable ? 1 : 0)];
  for (const l of r.levels) {
    const level = String(l.level);
    out.push(
      g('xunjian_website_ipv6_links', l.checked, { level }),
      g('xunjian_website_ipv6_links_capable', l.capable, { level }),
      g('xunjian_website_ipv6_links_unchecked', l.unchecked, { level }),
    );
    if (l.rate !== null) out.push(g('xunjian_website_ipv6_support_ratio', l.rate, { level }));
  }
  return out;
}

export function createIpv6checkSource(cfg: Ipv6checkSourceConfig, resolver?: string): Source {
  return {
    name: 'ipv6check',
    intervalSeconds: cfg.intervalSeconds,
    ...(cfg.schedule ? { schedule: cfg.schedule } : {}),
    async collect(ctx) {
      const settled = await Promise.allSettled(cfg.sites.map((site) => checkSite(site, { ...cfg, resolver, signal: ctx.signal })));
      ctx.signal.throwIfAborted();
      const reports = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = settled.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
      // every site failed: the run failed; some did: theirs are left out (no sample says "no IPv6") and the run counts as failed
      if (reports.length === 0 && failed.length) throw new Error(failed.join('; '));
      const ts = ctx.now();
      return {
        samples: reports.flatMap((r) => reportSamples(r, ts)),
        help: IPV6CHECK_HELP,
        facts: { 'network.website_ipv6': Object.fromEntries(reports.map((r) => [r.site, r])) },
        ...(failed.length ? { error: failed.join('; ') } : {}),
      };
    },
  };
}
