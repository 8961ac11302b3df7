import snmp, { type Session, type Varbind } from 'net-snmp';

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

export interface Endpoint {
  host: string;
  port: number;
  transport: 'udp4' | 'udp6';
}

/** `udp://host:port`, `udp6://[v6]:port`, `host`, `host:port`, `[v6]:port` (default port 161). */
export function parseEndpoint(target: string): Endpoint {
  const m = /^(?:(udp6?):\/\/)?(\[[^\]]+\]|[^:/[\]]+)(?::(\d+))?\/?$/.exec(target.trim());
  if (!m) throw new Error(`invalid SNMP target '${target}': expected udp://HOST[:PORT] or udp6://[IPv6][:PORT]`);
  const bracketed = m[2]!.startsWith('[');
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const transport = m[1] === 'udp6' || (bracketed && !m[1]) || host.includes(':') ? 'udp6' : 'udp4';
  const port = m[3] ? Number(m[3]) : 161;
  if (port < 1 || port > 65535) throw new Error(`invalid SNMP port in '${target}'`);
  return { host, port, transport };
}

/** Insecure choices, reported in device facts (MD5/DES accepted but flagged). */
export function insecureCrypto(c: Credential): string[] {
  const out: string[] = [];
  if (c.version !== '3') out.push(`SNMPv${c.version} community (cleartext)`);
  if (c.v3?.level === 'noAuthNoPriv') out.push('SNMPv3 noAuthNoPriv');
  if (c.v3?.level === 'authNoPriv') out.push('SNMPv3 without privacy');
  if (c.v3?.authProto === 'md5') out.push('MD5 authentication');
  if (c.v3?.privProto === 'des') out.push('DES privacy');
  return out;
}

export interface ScrapeStats {
  requests: number;
  pdus: number;
  varbinds: number;
}

/** The narrow interface the poller needs (as snmp_exporter's scraper): get and walk. */
export interface Scraper {
  get(oids: string[]): Promise<Varbind[]>;
  walk(oid: string): Promise<Varbind[]>;
  close(): void;
  readonly stats: ScrapeStats;
}

export interface ClientOptions {
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
}

export function openScraper(ep: Endpoint, cred: Credential, o: ClientOptions): Scraper {
  const opts = { port: ep.port, transport: ep.transport, timeout: o.timeoutMs, retries: o.retries, backoff: 1 };
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
    session = snmp.createSession(ep.host, cred.community ?? 'public', { ...opts, version: cred.version === '1' ? snmp.Version1 : snmp.Version2c });
  }
  session.on('error', () => undefined); // socket errors surface as request errors
  const stats: ScrapeStats = { requests: 0, pdus: 0, varbinds: 0 };
  return {
    stats,
    get(oids) {
      return new Promise((resolve, reject) => {
        stats.requests++;
        session.get(oids, (err, vbs) => {
          if (err) return reject(err);
          stats.pdus++;
          stats.varbinds += vbs.length;
          resolve(vbs);
        });
      });
    },
    walk(oid) {
      return new Promise((resolve, reject) => {
        const out: Varbind[] = [];
        stats.requests++;
        session.subtree(
          oid,
          o.maxRepetitions,
          (vbs) => {
            stats.pdus++;
            stats.varbinds += vbs.length;
            for (const v of vbs) out.push(v);
            return undefined;
          },
          (err) => (err ? reject(err) : resolve(out)),
        );
      });
    },
    close: () => session.close(),
  };
}
