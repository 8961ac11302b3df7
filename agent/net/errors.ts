/**
 * A failure of a network check (lookup, connect, request) with a short machine-readable reason
 * (`no_aaaa`, `dns_error`, `timeout`, ...): the probes source and ipv6check report this reason.
 */
export class ProbeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The reason of a failed A/AAAA lookup from its error code. Only an answer that the name has no such
 * record (NODATA, NXDOMAIN) is `no_aaaa` / `no_a`, a measured "no"; a resolver that is down, refuses
 * or fails (SERVFAIL, ECONNREFUSED, ...) is `dns_error` and a silent one `timeout`: they measured
 * nothing, and must never be reported as "no IPv6".
 */
export function lookupFailureReason(code: string | undefined, family: 4 | 6): string {
  if (code === 'ENODATA' || code === 'ENOTFOUND') return family === 6 ? 'no_aaaa' : 'no_a';
  if (code === 'ETIMEOUT') return 'timeout';
  return 'dns_error';
}

/** The reason of a failure, from a ProbeError, an errno code or an undici error. */
export function failureReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  if (e instanceof ProbeError) return e.reason;
  if (e.code === 'ECONNREFUSED') return 'connect_refused';
  if (
    ['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED'].includes(e.code ?? '') ||
    e.name === 'AbortError' ||
    e.name === 'TimeoutError'
  )
    return 'timeout';
  if (/certificate|ssl|tls|self.signed/i.test(`${e.code} ${e.message}`)) return 'tls_error';
  if (e.code === 'ENETUNREACH' || e.code === 'EHOSTUNREACH' || e.code === 'EADDRNOTAVAIL') return 'unreachable';
  return e.code?.toLowerCase() ?? 'error';
}
