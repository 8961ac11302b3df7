import type { Sample } from '../../../contract/types.js';
import {
  type Credential,
  type Endpoint,
  type Lookup,
  type Scraper,
  type SessionKeeper,
  SnmpError,
  insecureCrypto,
  openScraper,
  resolveEndpoint,
  scrub,
  secretsOf,
} from './client.js';
import { parseFirmware } from './firmware.js';
import { SYS_OBJECT_ID, type Walked, buildSamples, pollDevice } from './poll.js';
import { type Profile, selectProfiles } from './profiles.js';
import { T, isError, labelValue } from './values.js';

export interface ScrapeOptions {
  endpoint: Endpoint;
  credential: Credential;
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
  walkConcurrency: number;
  /** SNMPv2c: OIDs per combined GETBULK request (default 4; 1: each walk its own requests). */
  walkOidsPerRequest?: number;
  /** All known profiles, and the names to use (empty: chosen by sysObjectID). */
  profiles: Map<string, Profile>;
  use?: string[];
  labels: Record<string, string>;
  /** Aborted by the agent (overrun, shutdown): the session is closed and the poll ends at once. */
  signal?: AbortSignal;
  /** The whole poll's budget (resolve, GETs, walks); past it the poll ends as timed out. */
  deadlineMs?: number;
  /** Host name resolution (tests inject one). */
  lookup?: Lookup;
  /** Keeps the session open between successful polls of the target. */
  keeper?: SessionKeeper;
}

export interface ScrapeResult {
  ok: boolean;
  /** Why the poll failed; never carries a community or v3 key. */
  error?: string;
  timedOut: boolean;
  /** Ended by the caller's signal, not by the device. */
  aborted: boolean;
  samples: Sample[];
  help: Record<string, string>;
  varbinds: Walked;
  profiles: string[];
  sysObjectID?: string;
  /** Wall clock (ms) when sysUpTime was read. */
  uptimeAt?: number;
  stats: { seconds: number; packetsSent: number; packetsRetried: number; pdus: number; varbinds: number };
}

export const SNMP_HELP: Record<string, string> = {
  snmp_scrape_duration_seconds: 'Total SNMP time of the poll of a device.',
  snmp_scrape_pdus_returned: 'Varbinds returned by the device in the poll.',
  snmp_scrape_packets_sent: 'Request packets sent in the poll, retries included.',
  snmp_scrape_packets_retried: 'Request packets sent again in the poll after a timeout.',
  xunjian_snmp_up: 'Whether the last poll of the device succeeded.',
  xunjian_snmp_timeouts_total: 'Polls of the device that timed out (no answer, or past the poll deadline).',
};

/** Reject as soon as the signal aborts (for steps that cannot be cancelled themselves, e.g. DNS). */
function abortable<R>(p: Promise<R>, signal: AbortSignal): Promise<R> {
  if (signal.aborted) return Promise.reject(new SnmpError('poll aborted', 'aborted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new SnmpError('poll aborted', 'aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Poll one device once. Never throws: a dead, refused or aborted device is a result with ok false. */
export async function scrapeDevice(o: ScrapeOptions): Promise<ScrapeResult> {
  const t0 = performance.now();
  const ctl = new AbortController();
  let why: 'signal' | 'deadline' | undefined;
  const onSignal = () => {
    why ??= 'signal';
    ctl.abort();
  };
  if (o.signal?.aborted) onSignal();
  else o.signal?.addEventListener('abort', onSignal, { once: true });
  const deadline = o.deadlineMs
    ? setTimeout(() => {
        why ??= 'deadline';
        ctl.abort();
      }, o.deadlineMs)
    : undefined;
  let s: Scraper | undefined;
  let sysObjectID: string | undefined;
  let chosen: Profile[] = [];
  const marks: { uptimeAt?: number } = {};
  const stats = () => ({
    seconds: (performance.now() - t0) / 1000,
    packetsSent: s?.stats.packetsSent ?? 0,
    packetsRetried: s?.stats.packetsRetried ?? 0,
    pdus: s?.stats.pdus ?? 0,
    varbinds: s?.stats.varbinds ?? 0,
  });
  try {
    if (o.use?.length) {
      chosen = o.use.map((n) => {
        const p = o.profiles.get(n);
        if (!p) throw new Error(`unknown SNMP profile '${n}' (known: ${[...o.profiles.keys()].join(', ')})`);
        return p;
      });
    }
    const ep = await abortable(resolveEndpoint(o.endpoint, o.lookup), ctl.signal);
    s = openScraper(ep, o.credential, { timeoutMs: o.timeoutMs, retries: o.retries, maxRepetitions: o.maxRepetitions, signal: ctl.signal }, o.keeper);
    if (!o.use?.length) {
      const [v] = await s.get([SYS_OBJECT_ID]);
      if (v && v.type === T.OID) sysObjectID = labelValue(v.type, v.value);
      chosen = selectProfiles(o.profiles, sysObjectID);
    }
    const vb = await pollDevice(s, chosen, o.walkConcurrency, marks, o.walkOidsPerRequest);
    if (ctl.signal.aborted) throw new SnmpError('poll aborted', 'aborted');
    const { samples, help } = buildSamples(chosen, vb, o.labels, Date.now());
    s.release();
    return {
      ok: true,
      timedOut: false,
      aborted: false,
      samples,
      help,
      varbinds: vb,
      profiles: chosen.map((p) => p.name),
      sysObjectID,
      uptimeAt: marks.uptimeAt,
      stats: stats(),
    };
  } catch (err) {
    const e = err as Error;
    const error =
      why === 'deadline'
        ? `poll exceeded its deadline of ${(o.deadlineMs ?? 0) / 1000} s`
        : why === 'signal'
          ? 'poll aborted by the agent'
          : scrub(e.message ?? String(err), secretsOf(o.credential));
    return {
      ok: false,
      error,
      timedOut: why === 'deadline' || (why === undefined && e instanceof SnmpError && e.code === 'timeout'),
      aborted: why === 'signal',
      samples: [],
      help: {},
      varbinds: new Map(),
      profiles: chosen.map((p) => p.name),
      sysObjectID,
      stats: stats(),
    };
  } finally {
    if (deadline) clearTimeout(deadline);
    o.signal?.removeEventListener('abort', onSignal);
    s?.close();
  }
}

export interface PostureOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  lookup?: Lookup;
}

/** Does the device answer this v1/v2c community? (one GET of sysObjectID, no retry) */
async function answers(
  ep: { host: string; port: number; transport: 'udp4' | 'udp6' },
  version: '1' | '2c',
  community: string,
  o: PostureOptions,
): Promise<boolean> {
  const s = openScraper(ep, { version, community }, { timeoutMs: o.timeoutMs, retries: 0, maxRepetitions: 1, signal: o.signal });
  try {
    const [v] = await s.get([SYS_OBJECT_ID]);
    return v !== undefined && v.type === T.OID;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';

/**
 * Device posture for the MLPS rules: which of v1/v2c answer (with the configured community and the
 * default ones), what the poll uses, its weak spots, and the firmware from sysDescr. Probed whether or
 * not the last poll succeeded (a device refusing the configured credential may still answer
 * `public`). Communities are never reported, only whether a default one works.
 */
export async function devicePosture(endpoint: Endpoint, cred: Credential, last: ScrapeResult | undefined, o: PostureOptions): Promise<Record<string, unknown>> {
  let sysDescr: string | null = null;
  let sysObjectID: string | null = null;
  let addressResolved = true;
  const defaults: Record<string, boolean> = {};
  let configured = { v1: false, v2c: false };
  try {
    const ep = await resolveEndpoint(endpoint, o.lookup);
    // Every probe at once (one socket each, one GET, no retry): the whole posture takes one timeout at
    // most, not seven in a row.
    const direct = (async () => {
      const s = openScraper(ep, cred, { timeoutMs: o.timeoutMs, retries: 0, maxRepetitions: 1, signal: o.signal });
      try {
        for (const v of await s.get([SYS_DESCR, SYS_OBJECT_ID])) {
          if (isError(v.type)) continue;
          if (v.oid === SYS_DESCR) sysDescr = labelValue(v.type, v.value);
          if (v.oid === SYS_OBJECT_ID && v.type === T.OID) sysObjectID = labelValue(v.type, v.value);
        }
      } catch {
        // the configured credential does not work now: the default communities are probed all the same
      } finally {
        s.close();
      }
    })();
    const combos = (['1', '2c'] as const).flatMap((version) => ['public', 'private'].map((c) => [version, c] as const));
    for (const [version, c] of combos) defaults[`v${version}:${c}`] = false; // keys in a fixed order, whichever answers first
    const probes = combos.map(async ([version, c]) => {
      defaults[`v${version}:${c}`] = await answers(ep, version, c, o);
    });
    const mine = cred.version !== '3' && cred.community ? Promise.all([answers(ep, '1', cred.community, o), answers(ep, '2c', cred.community, o)]) : undefined;
    await Promise.all([direct, ...probes]);
    if (mine) {
      const [v1, v2c] = await mine;
      configured = { v1, v2c };
    }
  } catch {
    addressResolved = false; // the name does not resolve
  }
  return {
    addressResolved,
    answersV1: configured.v1 || defaults['v1:public'] === true || defaults['v1:private'] === true,
    answersV2c: configured.v2c || defaults['v2c:public'] === true || defaults['v2c:private'] === true,
    defaultCommunities: Object.entries(defaults)
      .filter(([, ok]) => ok)
      .map(([k]) => k),
    snmpVersionUsed: cred.version,
    v3:
      cred.version === '3'
        ? {
            level: cred.v3!.level,
            authProto: cred.v3!.level === 'noAuthNoPriv' ? null : (cred.v3!.authProto ?? 'sha'),
            privProto: cred.v3!.level === 'authPriv' ? (cred.v3!.privProto ?? 'aes') : null,
          }
        : null,
    insecure: insecureCrypto(cred),
    sysDescr,
    sysObjectID: sysObjectID ?? last?.sysObjectID ?? null,
    firmware: parseFirmware(sysDescr),
    lastPollOk: last?.ok ?? null,
    profiles: last?.profiles ?? [],
  };
}
