import type { Sample } from '../../../contract/types.js';
import { Semaphore } from '../../../lib/semaphore.js';
import { type Source, SourceConfigError } from '../../source.js';
import { type Credential, SessionKeeper, parseEndpoint } from './client.js';
import { type SnmpSourceConfig, type SnmpTargetConfig, toCredential } from './config.js';

export { toCredential };
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

export function createSnmpSources(cfg: SnmpSourceConfig): Source[] {
  if (!cfg.targets.length) return [];
  const profiles = loadProfiles(cfg.profilesDir || undefined);
  const sem = new Semaphore(cfg.concurrency);
  // the config schema rejects the built-in profiles' labels; profiles from profilesDir are checked here
  const taken = new Set([
    'target',
    ...[...profiles.values()].flatMap((p) => (p.tables ?? []).flatMap((tb) => [...tb.indexes.map((i) => i.label), ...Object.keys(tb.lookups ?? {})])),
  ]);
  return cfg.targets.map((t, i) => {
    for (const l of Object.keys(t.labels ?? {})) {
      if (taken.has(l))
        throw new SourceConfigError(
          `targets.${i}.labels.${l}`,
          `a label no profile sets: a table of the profiles (profilesDir ${cfg.profilesDir}) sets '${l}' on its series, which a target label cannot overwrite; use another name (e.g. device_${l})`,
        );
    }
    // the credential's name was checked at config load (validateSnmp)
    return createSnmpSource(cfg, t, toCredential(cfg.credentials[t.credential]!), profiles, sem);
  });
}

export function createSnmpSource(cfg: SnmpSourceConfig, t: SnmpTargetConfig, cred: Credential, profiles: Map<string, Profile>, sem: Semaphore): Source {
  const endpoint = parseEndpoint(t.address);
  const link: LinkState = { flaps: new Map() };
  const keeper = new SessionKeeper();
  let timeouts = 0;
  let lastPosture = 0;
  /** The posture probe under way (it may outlive the collect that started it), and facts it left for the next one. */
  let posture: Promise<void> | undefined;
  let postureFacts: Record<string, unknown> | undefined;
  const postureAc = new AbortController();
  return {
    name: `snmp:${t.name}`,
    intervalSeconds: t.intervalSeconds ?? cfg.intervalSeconds,
    async collect(ctx) {
      const t0 = Date.now();
      // one listener on the runner's signal per collect (it may be shared by many sources)
      const signal = AbortSignal.any([ctx.signal]);
      const target = { target: t.name, ...t.labels };
      const intervalSeconds = t.intervalSeconds ?? cfg.intervalSeconds;
      const opts = {
        endpoint,
        credential: cred,
        timeoutMs: (t.timeoutSeconds ?? cfg.timeoutSeconds) * 1000,
        retries: t.retries ?? cfg.retries,
        maxRepetitions: t.maxRepetitions ?? cfg.maxRepetitions,
        walkConcurrency: cfg.walkConcurrency,
        walkOidsPerRequest: t.walkOidsPerRequest ?? cfg.walkOidsPerRequest,
        profiles,
        use: t.profiles,
        labels: target,
        signal,
        keeper,
        deadlineMs: (t.deadlineSeconds ?? cfg.deadlineSeconds ?? intervalSeconds * 0.8) * 1000,
      };
      const r: ScrapeResult = await sem
        .use(() => scrapeDevice(opts), signal)
        .catch((err: Error) => ({
          ok: false,
          error: err.message,
          timedOut: false,
          aborted: true,
          samples: [],
          help: {},
          varbinds: new Map(),
          profiles: [],
          stats: { seconds: 0, packetsSent: 0, packetsRetried: 0, pdus: 0, varbinds: 0 },
        }));
      const ts = ctx.now();
      if (r.timedOut) timeouts++;
      const self: Sample[] = [
        { name: 'snmp_scrape_duration_seconds', labels: target, value: r.stats.seconds, type: 'gauge', ts },
        { name: 'snmp_scrape_pdus_returned', labels: target, value: r.stats.varbinds, type: 'gauge', ts },
        { name: 'snmp_scrape_packets_sent', labels: target, value: r.stats.packetsSent, type: 'gauge', ts },
        { name: 'snmp_scrape_packets_retried', labels: target, value: r.stats.packetsRetried, type: 'gauge', ts },
        { name: 'xunjian_snmp_up', labels: target, value: r.ok ? 1 : 0, type: 'gauge', ts },
        { name: 'xunjian_snmp_timeouts_total', labels: target, value: timeouts, type: 'counter', ts },
      ];
      if (!r.ok) ctx.log.warn('SNMP poll failed', { target: t.name, error: r.error });
      let linkSamples: Sample[] = [];
      const up = uptimeTicks(r.varbinds);
      if (r.ok && up !== undefined) {
        const snap = interfaceSnapshot(r.varbinds, up, r.uptimeAt ?? Date.now());
        const labelsOf = (ix: string) => {
          const name = r.varbinds.get(`1.3.6.1.2.1.31.1.1.1.1.${ix}`) ?? r.varbinds.get(`1.3.6.1.2.1.2.2.1.2.${ix}`);
          return { ifIndex: ix, ifName: name ? labelValue(name.type, name.value) : '', ...target };
        };
        const d = deriveLinkHealth(link, snap, labelsOf, ts);
        if (d.event === 'reboot')
          ctx.log.info('device rebooted (sysUpTime went backwards or advanced less than the wall clock): rates restart from this poll', { target: t.name });
        linkSamples = d.samples;
      }
      const now = Date.now();
      // Posture is probed even when the poll failed (a device refusing our credential may answer
      // public), rarely (postureIntervalHours), its probes in parallel, and never at the poll's expense:
      // it runs beside the runner's budget, this collect waits for it only until 85% of the interval,
      // and facts it finishes later go out with the next collect.
      if (!r.aborted && !signal.aborted && !posture && cfg.postureIntervalHours > 0 && now - lastPosture >= cfg.postureIntervalHours * 3600_000) {
        lastPosture = now;
        posture = devicePosture(endpoint, cred, r, { timeoutMs: Math.min(opts.timeoutMs, 2000), signal: postureAc.signal })
          .then(
            (f) => {
              if (!postureAc.signal.aborted) postureFacts = { [`network.device.${t.name}`]: f };
            },
            (err: Error) => ctx.log.warn('SNMP posture probe failed', { target: t.name, error: err.message }),
          )
          .finally(() => {
            posture = undefined;
          });
      }
      if (posture) {
        const left = t0 + intervalSeconds * 1000 * 0.85 - Date.now();
        let timer: NodeJS.Timeout | undefined;
        if (left > 0) await Promise.race([posture, new Promise((res) => (timer = setTimeout(res, left)))]);
        clearTimeout(timer);
      }
      const facts = postureFacts;
      postureFacts = undefined;
      return { samples: [...r.samples, ...linkSamples, ...self], help: { ...r.help, ...SNMP_HELP, ...LINK_HELP }, ...(facts ? { facts } : {}) };
    },
    close() {
      postureAc.abort();
      keeper.drop();
    },
  };
}
