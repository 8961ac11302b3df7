import { createHash, createHmac, getHashes, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Authentication of reports (contract v1).
 *
 * - The agent holds a per-node token `xj1_<base64url>`; the collector stores only
 *   `tokenDigest = SHA-256(token)`.
 * - Bearer check: SHA-256(presented token) must equal the stored digest.
 * - Signature: HMAC(key = tokenDigest, message = timestamp + "\n" + body bytes as sent, i.e. gzipped),
 *   sent as `X-Xunjian-Signature: <algorithm>=<hex>`. The digest key lets the collector verify without
 *   knowing the token, and a leaked database does not reveal tokens.
 */
export const SIGNATURE_ALGORITHMS = ['hmac-sha256', 'hmac-sm3'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

const HASH_OF: Record<SignatureAlgorithm, string> = { 'hmac-sha256': 'sha256', 'hmac-sm3': 'sm3' };

export function algorithmAvailable(alg: SignatureAlgorithm): boolean {
  return getHashes().includes(HASH_OF[alg]);
}

export function newToken(): string {
  return `xj1_${randomBytes(32).toString('base64url')}`;
}

export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function sign(alg: SignatureAlgorithm, key: Buffer, timestamp: string, body: Uint8Array): string {
  const mac = createHmac(HASH_OF[alg], key);
  mac.update(`${timestamp}\n`, 'utf8');
  mac.update(body);
  return `${alg}=${mac.digest('hex')}`;
}

export type VerifyResult = { ok: true; algorithm: SignatureAlgorithm } | { ok: false; reason: string };

/** Check a signature header against the body; `allowed` lists the algorithms the collector accepts. */
export function verify(header: string | undefined, key: Buffer, timestamp: string, body: Uint8Array, allowed: readonly SignatureAlgorithm[]): VerifyResult {
  if (!header) return { ok: false, reason: 'missing X-Xunjian-Signature header' };
  const eq = header.indexOf('=');
  const alg = header.slice(0, eq) as SignatureAlgorithm;
  if (eq < 0 || !SIGNATURE_ALGORITHMS.includes(alg)) {
    return { ok: false, reason: `signature must be '<algorithm>=<hex>' with algorithm one of ${SIGNATURE_ALGORITHMS.join(', ')}` };
  }
  if (!allowed.includes(alg)) {
    return { ok: false, reason: `signature algorithm ${alg} is not accepted here (accepted: ${allowed.join(', ')})` };
  }
  const expected = Buffer.from(sign(alg, key, timestamp, body));
  const got = Buffer.from(header);
  if (expected.length !== got.length || !timingSafeEqual(expected, got)) {
    return { ok: false, reason: 'signature does not match body and timestamp' };
  }
  return { ok: true, algorithm: alg };
}

/** Constant-time comparison of a presented token with a stored digest. */
export function tokenMatches(token: string, digest: Buffer): boolean {
  const d = tokenDigest(token);
  return d.length === digest.length && timingSafeEqual(d, digest);
}
