import type { Sample } from '../../../contract/types.js';
import type { Source } from '../../source.js';
import { type Credential, parseEndpoint } from './client.js';
import type { SnmpCredentialConfig, SnmpSourceConfig, SnmpTargetConfig } from './config.js';
import { SNMP_HELP, type ScrapeResult, devicePosture, scrapeDevice } from './device.js';
import { type LinkState, deriveLinkHealth } from './linkhealth.js';
import { type Profile, loadProfiles } from './profiles.js';
import { uptimeTicks } from './poll.js';
import { interfaceSnapshot } from './snapshot.js';
import { labelValue } from './values.js';

export const LINK_HELP: Record<string, string> = {
  xunjian_link_in_bits_per_second: 'Inbound rate over the last poll interval (device uptime), bits per second.',
  xunjian_link_out_bits_per_second: 'Outbound rate over the last poll interval, bits per second.',
  xunjian_link_in_utilization_ratio: 'Inbound rate divided by ifHighSpeed.',
  xunjian_link_out_utilization_ratio: 'Outbound rate divided by ifHighSpeed.',
  xunjian_link_in_errors_per_second: 'Inbound errors per second over the last poll interval.',
  xunjian_link_out_errors_per_second: 'Outbound errors per second over the last poll interval.',
  xunjian_link_in_discards_per_second: 'Inbound discards per second over the last poll interval.',
  xunjian_link_out_discards_per_second: 'Outbound discards per second over the last poll interval.',
  xunjian_link_oper_status_changes_total: 'ifOperStatus changes seen between polls (flaps).',
};

/** A counting semaphore bounding the devices polled at once across all targets. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export function toCredential(c: SnmpCredentialConfig): Credential {
  return c.version === '3' ? { version: '3', v3: c.v3 } : { version: c.version, community: c.community ?? 'public' };
}

export function createSnmpSources(cfg: SnmpSourceConfig): Source[] {
  if (!cfg.targets.length) return [];
  const profiles = loadProfiles(cfg.profilesDir || undefined);
  const sem = new Semaphore(cfg.concurrency);
  return cfg.targets.map((t) => {
    const cred = cfg.credentials[t.credential];
    if (!cred) throw new Error(`sources.snmp.targets: target '${t.name}' names credential '${t.credential}', which is not in sources.snmp.credentials`);
    return createSnmpSource(cfg, t, toCredential(cred), profiles, sem);
  });
}

export function createSnmpSource(cfg: SnmpSourceConfig, t: SnmpTargetConfig, cred: Credential, profiles: Map<string, Profile>, sem: Semaphore): Source {
  const endpoint = parseEndpoint(t.address);
  const link: LinkState = { flaps: new Map() };
  let timeouts = 0;
  let lastPosture = 0;
  return {
    name: `snmp:${t.name}`,
    intervalSeconds: t.intervalSeconds ?? cfg.intervalSeconds,
    async collect(ctx) {
      const target = { target: t.name, ...t.labels };
      const r: ScrapeResult = await sem.use(() =>
        scrapeDevice({
          endpoint,
          credential: cred,
          timeoutMs: (t.timeoutSeconds ?? cfg.timeoutSeconds) * 1000,
          retries: t.retries ?? cfg.retries,
          maxRepetitions: t.maxRepetitions ?? cfg.maxRepetitions,
          walkConcurrency: cfg.walkConcurrency,
          profiles,
          use: t.profiles,
          labels: target,
        }),
      );
      const ts = ctx.now();
      if (r.timedOut) timeouts++;
      const self: Sample[] = [
        { name: 'snmp_scrape_duration_seconds', labels: target, value: r.stats.seconds, type: 'gauge', ts },
        { name: 'snmp_scrape_pdus_returned', labels: target, value: r.stats.varbinds, type: 'gauge', ts },
        { name: 'snmp_scrape_packets_sent', labels: target, value: r.stats.requests + r.stats.pdus, type: 'gauge', ts },
        { name: 'xunjian_snmp_up', labels: target, value: r.ok ? 1 : 0, type: 'gauge', ts },
        { name: 'xunjian_snmp_timeouts_total', labels: target, value: timeouts, type: 'counter', ts },
      ];
      if (!r.ok) ctx.log.warn('SNMP poll failed', { target: t.name, error: r.error });
      let linkSamples: Sample[] = [];
      const up = uptimeTicks(r.varbinds);
      if (r.ok && up !== undefined) {
        const snap = interfaceSnapshot(r.varbinds, up, Date.now());
        const labelsOf = (ix: string) => {
          const name = r.varbinds.get(`1.3.6.1.2.1.31.1.1.1.1.${ix}`) ?? r.varbinds.get(`1.3.6.1.2.1.2.2.1.2.${ix}`);
          return { ifIndex: ix, ifName: name ? labelValue(name.type, name.value) : '', ...target };
        };
        const d = deriveLinkHealth(link, snap, labelsOf, ts);
        if (d.event === 'reboot') ctx.log.info('device rebooted (sysUpTime went backwards): rates restart from this poll', { target: t.name });
        linkSamples = d.samples;
      }
      let facts: Record<string, unknown> | undefined;
      const now = Date.now();
      if (r.ok && cfg.postureIntervalHours > 0 && now - lastPosture >= cfg.postureIntervalHours * 3600_000) {
        lastPosture = now;
        facts = { [`network.device.${t.name}`]: await devicePosture(endpoint, cred, r) };
      }
      return { samples: [...r.samples, ...linkSamples, ...self], help: { ...r.help, ...SNMP_HELP, ...LINK_HELP }, ...(facts ? { facts } : {}) };
    },
  };
}
