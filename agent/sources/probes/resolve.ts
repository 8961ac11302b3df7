import { Resolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export type Family = 4 | 6;

/**
 * Resolve a host name to one address of the forced family — through `server` ("host:port" or
 * "[v6]:port") when given, else the system resolver. IP literals must be of that family.
 */
export async function resolveHost(host: string, family: Family, server?: string, signal?: AbortSignal): Promise<{ address: string; seconds: number }> {
  const bare = host.replace(/^\[|\]$/g, '');
  const t0 = performance.now();
  const lit = isIP(bare);
  if (lit) {
    if (lit !== family) throw new ProbeError('wrong_family', `${bare} is an IPv${lit} address, probe is forced to IPv${family}`);
    return { address: bare, seconds: 0 };
  }
  let address: string | undefined;
  try {
    if (server) {
      const r = new Resolver({ timeout: 3000, tries: 1 });
      r.setServers([server]);
      signal?.addEventListener('abort', () => r.cancel(), { once: true });
      const list = family === 6 ? await r.resolve6(bare) : await r.resolve4(bare);
      address = list[0];
    } else {
      address = (await lookup(bare, { family })).address;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const noRecord = code === 'ENODATA' || code === 'ENOTFOUND';
    throw new ProbeError(noRecord ? (family === 6 ? 'no_aaaa' : 'no_a') : 'dns_error', `${family === 6 ? 'AAAA' : 'A'} lookup of ${bare} failed: ${code}`);
  }
  if (!address) throw new ProbeError(family === 6 ? 'no_aaaa' : 'no_a', `no ${family === 6 ? 'AAAA' : 'A'} record for ${bare}`);
  return { address, seconds: (performance.now() - t0) / 1000 };
}

/** A probe failure with a short machine-readable reason. */
export class ProbeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
