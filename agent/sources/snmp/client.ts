import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import snmp, { type Session, type Varbind } from 'net-snmp';
import type { CommunitySession } from './udp.js';
import { createCommunitySession } from './udp.js';
import { CombinedWalk, type WalkPlan, compareOids, inSubtree, nonRepeaterOids, scalarsFromNonRepeaters } from './walk.js';
import { T } from './values.js';

/** How to reach and authenticate to one device. */
export interface Credential {
  version: '1' | '2c' | '3';
  community?: string;
  v3?: {
    user: string;
    level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
    authProto?: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
    authKey?: string;
    privProto?: 'des' | 'aes' | 'aes256b' | 'aes256r';
    privKey?: string;
  };
}

export { type Endpoint, parseEndpoint } from './endpoint.js';
import type { Endpoint } from './endpoint.js';

export type Lookup = (host: string, family: 0 | 4 | 6) => Promise<{ address: string; family: number }[]>;
const systemLookup: Lookup = (host, family) => dnsLookup(host, { all: true, family, verbatim: true });

/**
 * The address to send to: literals as they are; a name is resolved (all addresses, the system's
 * order) and the transport follows the family of the first address, so an AAAA-only name is polled
 * over udp6. `udp6://name` takes only IPv6 addresses.
 */
export async function resolveEndpoint(ep: Endpoint, lookup: Lookup = systemLookup): Promise<{ host: string; port: number; transport: 'udp4' | 'udp6' }> {
  const literal = isIP(ep.host);
  if (literal) return { host: ep.host, port: ep.port, transport: literal === 6 ? 'udp6' : 'udp4' };
  const addrs = await lookup(ep.host, ep.transport === 'udp6' ? 6 : ep.transport === 'udp4' ? 4 : 0);
  const a = addrs[0];
  if (!a) throw new Error(`SNMP target host '${ep.host}' has no ${ep.transport === 'udp6' ? 'IPv6 ' : ''}address`);
  return { host: a.address, port: ep.port, transport: a.family === 6 ? 'udp6' : 'udp4' };
}

/** Insecure choices, reported in device facts (MD5/DES accepted but flagged). */
export function insecureCrypto(c: Credential): string[] {
  const out: string[] = [];
  if (c.version !== '3') out.push(`SNMPv${c.version} community (cleartext)`);
  if (c.v3?.level === 'noAuthNoPriv') out.push('SNMPv3 noAuthNoPriv');
  if (c.v3?.level === 'authNoPriv') out.push('SNMPv3 without privacy');
  if (c.v3 && c.v3.level !== 'noAuthNoPriv' && c.v3.authProto === 'md5') out.push('MD5 authentication');
  if (c.v3?.level === 'authPriv' && c.v3.privProto === 'des') out.push('DES privacy');
  return out;
}

/** The secrets of a credential: communities and v3 keys (the user name is not one). */
export function secretsOf(c: Credential): string[] {
  return [c.community, c.v3?.authKey, c.v3?.privKey].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/**
 * Pure: an error text with every secret of the credential, and any quoted community net-snmp puts
 * into its messages ("Community 'X' in request does not match community 'Y' …"), replaced by ***.
 */
export function scrub(message: string, secrets: readonly string[]): string {
  let out = message.replace(/(community )'[^']*'/gi, "$1'***'");
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}

/**
 * Packets and varbinds of one poll. `packetsSent` counts every request datagram including retries,
 * `packetsRetried` the retries among them (snmp_exporter's snmp_scrape_packets_sent/_retried);
 * `pdus` the responses received, `varbinds` the varbinds in them.
 */
export interface ScrapeStats {
  packetsSent: number;
  packetsRetried: number;
  pdus: number;
  varbinds: number;
}

export const newStats = (): ScrapeStats => ({ packetsSent: 0, packetsRetried: 0, pdus: 0, varbinds: 0 });

export class SnmpError extends Error {
  constructor(
    message: string,
    readonly code: 'timeout' | 'aborted' | 'failed',
    /** SNMP error-status of a failed request (2: noSuchName), when the device sent one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SnmpError';
  }
}

/**
 * Send one request with up to `retries` retries after timeouts; every attempt is a packet sent,
 * every attempt after the first a packet retried. Other errors are not retried, nor any after the
 * signal aborted.
 */
export async function withRetries<R>(attempt: () => Promise<R>, retries: number, stats: ScrapeStats, signal: AbortSignal | undefined): Promise<R> {
  for (let i = 0; ; i++) {
    if (signal?.aborted) throw new SnmpError('poll aborted', 'aborted');
    stats.packetsSent++;
    if (i > 0) stats.packetsRetried++;
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof SnmpError && err.code === 'timeout' && i < retries && !signal?.aborted) continue;
      throw err;
    }
  }
}

/** The narrow interface the poller needs (as snmp_exporter's scraper): get and walk. */
export interface Scraper {
  readonly version: '1' | '2c' | '3';
  get(oids: string[]): Promise<Varbind[]>;
  walk(oid: string): Promise<Varbind[]>;
  /** Close the session (and drop a kept one). */
  close(): void;
  /** End of a successful poll: a kept session stays open for the next one. */
  release(): void;
  readonly stats: ScrapeStats;
  /**
   * SNMPv2c only (undefined on v1 and v3): the walks combined into shared GETBULK requests, at most
   * `perRequest` OIDs each (./walk.ts), split as the kept session's previous poll taught; `scalars`
   * (instances `.0`) go as the first request's non-repeaters and come back as a GET gives them.
   * `scalars` in the result is undefined when they could not be read so (the caller GETs them).
   */
  walkCombined?(roots: string[], o: CombinedOptions): Promise<{ walks: Varbind[][]; scalars?: Varbind[] }>;
}

export interface CombinedOptions {
  perRequest: number;
  /** requests in flight at once (default 1) */
  concurrency?: number;
  scalars?: readonly string[];
  /** called when the scalars' response arrived (the poll marks the wall clock of sysUpTime) */
  onScalars?: () => void;
}

export interface ClientOptions {
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
  /** Aborting closes the session: pending requests end at once, no further request is sent. */
  signal?: AbortSignal;
}

export { compareOids } from './walk.js';

/**
 * Keeps a target's session (socket, and for v3 the discovered engine) open from one successful poll
 * to the next, so a poll does not create a socket nor repeat SNMPv3 engine discovery. A failed or
 * aborted poll closes it (requests of that poll may still be pending).
 */
export class SessionKeeper {
  private kept?: { key: string; session: Session };
  /** Where the target's combined walks split, learnt from its last successful poll (kept across sessions: only hints). */
  walkPlan?: WalkPlan;
  take(key: string, create: () => Session): Session {
    if (this.kept?.key === key) return this.kept.session;
    this.drop();
    const session = create();
    const kept = { key, session };
    session.on('close', () => {
      if (this.kept === kept) this.kept = undefined;
    });
    this.kept = kept;
    return session;
  }
  drop(): void {
    const k = this.kept;
    this.kept = undefined;
    try {
      k?.session.close();
    } catch {
      // already closed
    }
  }
  get open(): boolean {
    return this.kept !== undefined;
  }
}

function createNetSnmpSession(ep: { host: string; port: number; transport: 'udp4' | 'udp6' | 'auto' }, cred: Credential, timeoutMs: number): Session {
  const opts = { port: ep.port, transport: ep.transport === 'udp6' ? ('udp6' as const) : ('udp4' as const), timeout: timeoutMs, retries: 0, backoff: 1 };
  let session: Session;
  if (cred.version === '3') {
    const v3 = cred.v3!;
    session = snmp.createV3Session(
      ep.host,
      {
        name: v3.user,
        level: snmp.SecurityLevel[v3.level],
        ...(v3.level !== 'noAuthNoPriv' ? { authProtocol: snmp.AuthProtocols[v3.authProto ?? 'sha'], authKey: v3.authKey } : {}),
        ...(v3.level === 'authPriv' ? { privProtocol: snmp.PrivProtocols[v3.privProto ?? 'aes'], privKey: v3.privKey } : {}),
      },
      opts,
    );
  } else {
    // v1/v2c: our own codec and socket (./udp.ts), the same varbinds and errors as net-snmp's session
    session = createCommunitySession(ep.host, ep.port, opts.transport, cred.version, cred.community ?? 'public', timeoutMs);
  }
  session.on('error', () => undefined); // socket errors surface as request errors
  return session;
}

type Op = 'get' | 'getNext' | 'getBulk' | 'getBulkFlat';
type Flat = { getBulkFlat: CommunitySession['getBulkFlat'] };

/** One attempt of a request: settles its promise from the session's callback (`done`, bound to it). */
class Attempt {
  readonly promise: Promise<unknown>;
  private readonly resolve: (v: unknown) => void;
  private readonly reject: (e: unknown) => void;
  constructor(
    private readonly scraper: SessionScraper,
    private readonly session: Session,
    /** a v3 session's first request is preceded by engine discovery: one more packet, sent once the discovery is answered */
    private readonly discovering: boolean,
  ) {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    this.promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.resolve = resolve;
    this.reject = reject;
  }
  done(this: Attempt, err: Error | null, vbs: unknown): void {
    if (this.discovering && this.session.msgSecurityParameters) this.scraper.stats.packetsSent++;
    if (err) this.reject(this.scraper.fail(err));
    else this.resolve(vbs);
  }
  failed(err: unknown): Promise<unknown> {
    this.reject(this.scraper.fail(err));
    return this.promise;
  }
}

/**
 * A scraper over one net-snmp session with net-snmp's own retries off: retries happen here so each
 * packet is counted. Error messages never carry the credential's secrets. Never throws on open: a
 * credential net-snmp refuses makes every request fail.
 */
export function openScraper(
  ep: { host: string; port: number; transport: 'udp4' | 'udp6' | 'auto' },
  cred: Credential,
  o: ClientOptions,
  keeper?: SessionKeeper,
): Scraper {
  return new SessionScraper(ep, cred, o, keeper);
}

/** openScraper's scraper. Its per-request steps are methods (see SampleBuilder in ./poll.ts). */
class SessionScraper implements Scraper {
  readonly stats = newStats();
  readonly walkCombined?: Scraper['walkCombined'];
  private readonly secrets: string[];
  private session: Session | undefined;
  private openError: string | undefined;
  private closed = false;
  private readonly onAbort = () => this.shut();

  constructor(
    ep: { host: string; port: number; transport: 'udp4' | 'udp6' | 'auto' },
    private readonly cred: Credential,
    readonly o: ClientOptions,
    readonly keeper?: SessionKeeper,
  ) {
    this.secrets = secretsOf(cred);
    try {
      this.session = keeper
        ? keeper.take(`${ep.transport} ${ep.host} ${ep.port} ${o.timeoutMs}`, () => createNetSnmpSession(ep, cred, o.timeoutMs))
        : createNetSnmpSession(ep, cred, o.timeoutMs);
    } catch (err) {
      this.openError = scrub(`cannot open SNMP session: ${(err as Error).message}`, this.secrets);
    }
    if (cred.version === '2c') this.walkCombined = this.combined;
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get version(): Credential['version'] {
    return this.cred.version;
  }

  private shut(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keeper) this.keeper.drop();
    else {
      try {
        this.session?.close();
      } catch {
        // already closed
      }
    }
  }

  private get aborted(): boolean {
    return this.o.signal?.aborted === true;
  }

  fail(err: unknown): SnmpError {
    if (this.aborted) return new SnmpError('poll aborted', 'aborted');
    const e = err as Error & { status?: number };
    const code = e.name === 'RequestTimedOutError' ? 'timeout' : 'failed';
    return new SnmpError(scrub(e.message ?? String(err), this.secrets), code, typeof e.status === 'number' ? e.status : undefined);
  }

  /** One PDU, retried after timeouts. */
  request(op: Op, oids: string[], nonRepeaters = 0): Promise<unknown> {
    return withRetries(this.attempt.bind(this, op, oids, nonRepeaters), this.o.retries, this.stats, this.o.signal);
  }

  private attempt(op: Op, oids: string[], nonRepeaters: number): Promise<unknown> {
    if (this.openError) return Promise.reject(new SnmpError(this.openError, 'failed'));
    const s = this.session;
    if (this.closed || !s) return Promise.reject(new SnmpError(this.aborted ? 'poll aborted' : 'session closed', this.aborted ? 'aborted' : 'failed'));
    const a = new Attempt(this, s, this.cred.version === '3' && !s.msgSecurityParameters);
    const cb = a.done.bind(a) as never;
    try {
      if (op === 'getBulkFlat') (s as unknown as Flat).getBulkFlat(oids, nonRepeaters, this.o.maxRepetitions, cb);
      else if (op === 'getBulk') s.getBulk(oids, nonRepeaters, this.o.maxRepetitions, cb);
      else s[op](oids, cb);
    } catch (err) {
      return a.failed(err);
    }
    return a.promise;
  }

  got(vbs: Varbind[]): Varbind[] {
    this.stats.pdus++;
    this.stats.varbinds += vbs.length;
    return vbs;
  }

  private combined(roots: string[], w: CombinedOptions): Promise<{ walks: Varbind[][]; scalars?: Varbind[] }> {
    return new CombinedRun(this, roots, w).run();
  }

  async get(oids: string[]): Promise<Varbind[]> {
    return this.got((await this.request('get', oids)) as Varbind[]);
  }

  async walk(root: string): Promise<Varbind[]> {
    const out: Varbind[] = [];
    let oid = root;
    for (;;) {
      let vbs: Varbind[];
      if (this.cred.version === '1') {
        try {
          vbs = this.got((await this.request('getNext', [oid])) as Varbind[]);
        } catch (err) {
          if (err instanceof SnmpError && err.status === 2) return out; // noSuchName: end of the MIB view
          throw err;
        }
      } else {
        const r = (await this.request('getBulk', [oid])) as Varbind[][];
        vbs = this.got(r[0] ?? []);
      }
      if (!vbs.length) return out;
      // a device answering an OID not after the one asked would make the walk loop forever
      if (compareOids(vbs[0]!.oid, oid) <= 0) throw new SnmpError(`OID not increasing in walk of ${root}: ${vbs[0]!.oid} after ${oid}`, 'failed');
      for (const v of vbs) {
        if (v.type === T.EndOfMibView || !inSubtree(root, v.oid)) return out;
        out.push(v);
        oid = v.oid;
      }
    }
  }

  close(): void {
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.shut();
  }

  release(): void {
    this.o.signal?.removeEventListener('abort', this.onAbort);
    if (!this.keeper || this.aborted) this.shut();
    else this.closed = true; // the keeper keeps the session for the next poll
  }
}

/** One combined walk (Scraper.walkCombined): up to `concurrency` workers over one CombinedWalk. */
class CombinedRun {
  private readonly cw: CombinedWalk;
  /** the scalars as non-repeaters, until a response carried them */
  private head: string[] | undefined;
  /** the request carrying the non-repeaters is in flight (only one carries them) */
  private headBusy = false;
  private scalars: Varbind[] | undefined;
  private failed = false;

  constructor(
    private readonly s: SessionScraper,
    roots: string[],
    private readonly w: CombinedOptions,
  ) {
    this.cw = new CombinedWalk(roots, w.perRequest, s.o.maxRepetitions, s.keeper?.walkPlan);
    this.head = w.scalars?.length ? nonRepeaterOids(w.scalars) : undefined;
  }

  async run(): Promise<{ walks: Varbind[][]; scalars?: Varbind[] }> {
    // up to `concurrency` requests in flight, each on the cursors no other one holds: with the ranges
    // of the previous poll, the responses arrive together instead of one round trip after another
    const workers: Promise<void>[] = [];
    for (let i = Math.max(1, this.w.concurrency ?? 1); i > 0; i--) workers.push(this.worker());
    await Promise.all(workers);
    const walks = this.cw.results();
    if (this.s.keeper) this.s.keeper.walkPlan = this.cw.learn(walks);
    return { walks, scalars: this.scalars };
  }

  private async worker(): Promise<void> {
    const cw = this.cw;
    for (let step = cw.next(); step && !this.failed; step = cw.next()) {
      const withHead = this.head !== undefined && !this.headBusy;
      const nr = withHead ? this.head! : [];
      if (withHead) this.headBusy = true;
      const oids = nr.length ? [...nr, ...step.oids] : step.oids;
      let vbs: Varbind[];
      try {
        vbs = this.s.got((await this.s.request('getBulkFlat', oids, nr.length)) as Varbind[]);
      } catch (err) {
        if (withHead) this.headBusy = false;
        // an error-status (tooBig, genErr …) to a combined request: fewer OIDs per request, then
        // without the non-repeaters; with one OID left it is that walk's error, as a single walk's
        if (err instanceof SnmpError && err.code === 'failed' && err.status !== undefined) {
          if (cw.shrink(step)) continue;
          if (withHead) {
            this.head = undefined;
            cw.requeue(step);
            continue;
          }
        }
        this.failed = true;
        throw err;
      }
      if (withHead) {
        this.head = undefined;
        this.headBusy = false;
        // an agent must answer every non-repeater; one that did not: the scalars are read by GET
        if (vbs.length < nr.length) {
          cw.requeue(step);
          continue;
        }
        this.scalars = scalarsFromNonRepeaters(this.w.scalars!, vbs);
        this.w.onScalars?.();
        // the non-repeaters answered, no room left for the one walk asked: ask it alone
        if (vbs.length === nr.length && step.oids.length === 1) {
          cw.requeue(step);
          continue;
        }
      }
      const bad = cw.feed(step, vbs, nr.length);
      if (bad) {
        this.failed = true;
        throw new SnmpError(bad, 'failed');
      }
    }
  }
}
