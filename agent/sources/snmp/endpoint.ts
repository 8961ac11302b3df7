import { isIP } from 'node:net';

/** SNMP target addresses (pure, no net-snmp: the agent's config check loads this alone). */

/**
 * Where a device is. `auto`: a host name whose address family is only known after resolving it
 * (`udp://name`, `name`); `udp4`/`udp6`: an address literal, or `udp6://name` (AAAA only).
 */
export interface Endpoint {
  host: string;
  port: number;
  transport: 'udp4' | 'udp6' | 'auto';
}

/** `udp://host:port`, `udp6://[v6]:port`, `host`, `host:port`, `[v6]:port` (default port 161). */
export function parseEndpoint(target: string): Endpoint {
  const m = /^(?:(udp6?):\/\/)?(\[[^\]]+\]|[^:/[\]]+)(?::(\d+))?\/?$/.exec(target.trim());
  if (!m) throw new Error(`invalid SNMP target '${target}': expected udp://HOST[:PORT] or udp6://[IPv6][:PORT]`);
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  if (m[2]!.startsWith('[') && family !== 6) throw new Error(`invalid SNMP target '${target}': brackets hold an IPv6 address`);
  if (m[1] === 'udp6' && family === 4) throw new Error(`invalid SNMP target '${target}': udp6:// with an IPv4 address`);
  const transport = family === 6 || m[1] === 'udp6' ? 'udp6' : family === 4 ? 'udp4' : 'auto';
  const port = m[3] ? Number(m[3]) : 161;
  if (port < 1 || port > 65535) throw new Error(`invalid SNMP port in '${target}'`);
  return { host, port, transport };
}
