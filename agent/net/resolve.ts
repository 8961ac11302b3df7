import { Resolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { lookupFailureReason, ProbeError } from './errors.js';

/** An address family a request is forced to (the socket is opened for this family only). */
export type Family = 4 | 6;

/**
 * Resolve a host name to one address of the forced family — through `server` ("host:port" or
 * "[v6]:port") when given, else the system resolver. IP literals must be of that family. Bounded by
 * `timeoutMs` and `signal` (the system resolver cannot be cancelled; its answer is then ignored).
 */
export async function resolveHost(
  host: string,
  family: Family,
  server?: string,
  signal?: AbortSignal,
  timeoutMs = 5000,
): Promise<{ address: string; seconds: number }> {
  const bare = host.replace(/^\[|\]$/g, '');
  const t0 = performance.now();
  const lit = isIP(bare);
  if (lit) {
    if (lit !== family) throw new ProbeError('wrong_family', `${bare} is an IPv${lit} address, probe is forced to IPv${family}`);
    return { address: bare, seconds: 0 };
  }
  const rr = family === 6 ? 'AAAA' : 'A';
  let address: string | undefined;
  let resolver: Resolver | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const bound = new Promise<never>((_, reject) => {
    const stop = (why: string) => {
      resolver?.cancel();
      reject(new ProbeError('timeout', `${rr} lookup of ${bare} ${why}`));
    };
    timer = setTimeout(() => stop(`took more than ${timeoutMs / 1000} s`), timeoutMs);
    onAbort = () => stop('aborted');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  bound.catch(() => undefined); // raced below; never an unhandled rejection
  try {
    let query: Promise<string | undefined>;
    if (server) {
      resolver = new Resolver({ timeout: Math.min(3000, timeoutMs), tries: 1 });
      resolver.setServers([server]);
      query = (family === 6 ? resolver.resolve6(bare) : resolver.resolve4(bare)).then((l) => l[0]);
    } else {
      query = lookup(bare, { family }).then((r) => r.address);
    }
    query.catch(() => undefined); // a late rejection after the bound fired
    address = await Promise.race([query, bound]);
  } catch (err) {
    if (err instanceof ProbeError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ProbeError(lookupFailureReason(code, family), `${rr} lookup of ${bare} failed: ${code}`);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
  if (!address) throw new ProbeError(family === 6 ? 'no_aaaa' : 'no_a', `no ${rr} record for ${bare}`);
  return { address, seconds: (performance.now() - t0) / 1000 };
}
