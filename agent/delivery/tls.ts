import { readFileSync } from 'node:fs';
import { type PeerCertificate, checkServerIdentity } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { CollectorTlsConfig } from './config.js';

/** Upper-case hex without colons. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toUpperCase();
}

/** SHA-256 fingerprints of a peer certificate and of its issuers (as returned by getPeerCertificate(true)). */
export function chainFingerprints(cert: PeerCertificate & { issuerCertificate?: PeerCertificate }): string[] {
  const out: string[] = [];
  let c: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = cert;
  while (c && out.length < 16) {
    if (c.fingerprint256) out.push(normalizeFingerprint(c.fingerprint256));
    if (!c.issuerCertificate || c.issuerCertificate === c || c.issuerCertificate.fingerprint256 === c.fingerprint256) break;
    c = c.issuerCertificate;
  }
  return out;
}

/** Whether one of the pinned fingerprints is in the chain. */
export function chainMatchesPins(chain: readonly string[], pins: readonly string[]): boolean {
  const want = new Set(pins.map(normalizeFingerprint));
  return chain.some((fp) => want.has(fp));
}

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * An undici dispatcher for a collector with TLS settings (CA bundle, CA pinning, client certificate),
 * or undefined when none is set. Errors name the config key.
 */
export function tlsDispatcher(c: CollectorTlsConfig, keyPrefix: string): Dispatcher | undefined {
  const pins = c.pinnedCaSha256 ?? [];
  if (!c.caFile && !c.certFile && !c.keyFile && pins.length === 0) return undefined;
  if (Boolean(c.certFile) !== Boolean(c.keyFile))
    throw new Error(`${keyPrefix}.${c.certFile ? 'keyFile' : 'certFile'}: certFile and keyFile go together (mutual TLS)`);
  return new Agent({
    connect: {
      ca: c.caFile ? readPem(c.caFile, `${keyPrefix}.caFile`) : undefined,
      cert: c.certFile ? readPem(c.certFile, `${keyPrefix}.certFile`) : undefined,
      key: c.keyFile ? readPem(c.keyFile, `${keyPrefix}.keyFile`) : undefined,
      checkServerIdentity: (host: string, cert: PeerCertificate) => {
        const err = checkServerIdentity(host, cert);
        if (err) return err;
        if (pins.length && !chainMatchesPins(chainFingerprints(cert), pins)) {
          return new Error(`collector certificate chain matches none of the pinned CA fingerprints (${keyPrefix}.pinnedCaSha256)`);
        }
        return undefined;
      },
    },
  });
}
