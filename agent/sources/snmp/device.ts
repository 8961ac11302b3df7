import type { Sample } from '../../../contract/types.js';
import { type Credential, type Endpoint, insecureCrypto, openScraper } from './client.js';
import { SYS_OBJECT_ID, type Walked, buildSamples, pollDevice } from './poll.js';
import { type Profile, selectProfiles } from './profiles.js';
import { T, labelValue } from './values.js';

export interface ScrapeOptions {
  endpoint: Endpoint;
  credential: Credential;
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
  walkConcurrency: number;
  /** All known profiles, and the names to use (empty: chosen by sysObjectID). */
  profiles: Map<string, Profile>;
  use?: string[];
  labels: Record<string, string>;
}

export interface ScrapeResult {
  ok: boolean;
  error?: string;
  timedOut: boolean;
  samples: Sample[];
  help: Record<string, string>;
  varbinds: Walked;
  profiles: string[];
  sysObjectID?: string;
  stats: { seconds: number; requests: number; pdus: number; varbinds: number };
}

export const SNMP_HELP: Record<string, string> = {
  snmp_scrape_duration_seconds: 'Total SNMP time of the poll of a device.',
  snmp_scrape_pdus_returned: 'Varbinds returned by the device in the poll.',
  snmp_scrape_packets_sent: 'Requests sent in the poll (retries not included).',
  xunjian_snmp_up: 'Whether the last poll of the device succeeded.',
  xunjian_snmp_timeouts_total: 'Polls of the device that timed out.',
};

/** Poll one device once. Never throws: a dead device is a result with ok false. */
export async function scrapeDevice(o: ScrapeOptions): Promise<ScrapeResult> {
  const t0 = performance.now();
  const s = openScraper(o.endpoint, o.credential, { timeoutMs: o.timeoutMs, retries: o.retries, maxRepetitions: o.maxRepetitions });
  let sysObjectID: string | undefined;
  let chosen: Profile[] = [];
  try {
    if (o.use?.length) {
      chosen = o.use.map((n) => {
        const p = o.profiles.get(n);
        if (!p) throw new Error(`unknown SNMP profile '${n}' (known: ${[...o.profiles.keys()].join(', ')})`);
        return p;
      });
    } else {
      const [v] = await s.get([SYS_OBJECT_ID]);
      if (v && v.type === T.OID) sysObjectID = labelValue(v.type, v.value);
      chosen = selectProfiles(o.profiles, sysObjectID);
    }
    const vb = await pollDevice(s, chosen, o.walkConcurrency);
    const { samples, help } = buildSamples(chosen, vb, o.labels, Date.now());
    return { ok: true, timedOut: false, samples, help, varbinds: vb, profiles: chosen.map((p) => p.name), sysObjectID, stats: { seconds: (performance.now() - t0) / 1000, ...s.stats } };
  } catch (err) {
    const e = err as Error;
    return {
      ok: false,
      error: e.message,
      timedOut: e.name === 'RequestTimedOutError' || /timed out/i.test(e.message),
      samples: [],
      help: {},
      varbinds: new Map(),
      profiles: chosen.map((p) => p.name),
      sysObjectID,
      stats: { seconds: (performance.now() - t0) / 1000, ...s.stats },
    };
  } finally {
    s.close();
  }
}

/** Does the device answer this v1/v2c community? (one GET of sysObjectID, short timeout, no retry) */
async function answers(ep: Endpoint, version: '1' | '2c', community: string): Promise<boolean> {
  const s = openScraper(ep, { version, community }, { timeoutMs: 1000, retries: 0, maxRepetitions: 1 });
  try {
    const [v] = await s.get([SYS_OBJECT_ID]);
    return v !== undefined && v.type === T.OID;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

/**
 * Device posture for the MLPS rules: which of v1/v2c answer (with the configured community and the
 * default ones), what the poll uses, and its weak spots. Communities are never reported, only whether
 * a default one works.
 */
export async function devicePosture(ep: Endpoint, cred: Credential, last: ScrapeResult | undefined): Promise<Record<string, unknown>> {
  const defaults: Record<string, boolean> = {};
  for (const version of ['1', '2c'] as const) for (const c of ['public', 'private']) defaults[`v${version}:${c}`] = await answers(ep, version, c);
  const configured = cred.version !== '3' && cred.community ? { v1: await answers(ep, '1', cred.community), v2c: await answers(ep, '2c', cred.community) } : { v1: false, v2c: false };
  const sysDescr = last?.varbinds.get('1.3.6.1.2.1.1.1.0');
  return {
    answersV1: configured.v1 || defaults['v1:public']! || defaults['v1:private']!,
    answersV2c: configured.v2c || defaults['v2c:public']! || defaults['v2c:private']!,
    defaultCommunities: Object.entries(defaults).filter(([, ok]) => ok).map(([k]) => k),
    snmpVersionUsed: cred.version,
    v3: cred.version === '3' ? { level: cred.v3!.level, authProto: cred.v3!.level === 'noAuthNoPriv' ? null : cred.v3!.authProto, privProto: cred.v3!.level === 'authPriv' ? cred.v3!.privProto : null } : null,
    insecure: insecureCrypto(cred),
    sysDescr: sysDescr ? labelValue(sysDescr.type, sysDescr.value) : null,
    sysObjectID: last?.sysObjectID ?? null,
    profiles: last?.profiles ?? [],
  };
}
