import { type Socket, createSocket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * A small authoritative DNS server on UDP loopback for tests: answers A and AAAA from a table,
 * NOERROR with no answers (NODATA) for a known name without that type, NXDOMAIN for unknown names,
 * SERVFAIL for a name marked `servfail` (a resolver that fails), and no answer at all for a name
 * marked `silent` (a resolver that times out).
 */
export interface Zone {
  [name: string]: { a?: string[]; aaaa?: string[]; silent?: boolean; servfail?: boolean };
}

function readName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = off;
  while (buf[i]! !== 0) {
    const len = buf[i]!;
    labels.push(buf.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 };
}

function v6bytes(a: string): Buffer {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => {
    b.writeUInt16BE(Number.parseInt(g || '0', 16), i * 2);
  });
  return b;
}

export function answer(query: Buffer, zone: Zone): Buffer {
  const id = query.readUInt16BE(0);
  const { name, end } = readName(query, 12);
  const qtype = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const entry = zone[name];
  const addrs = entry && !entry.servfail ? (qtype === 1 ? (entry.a ?? []) : qtype === 28 ? (entry.aaaa ?? []) : []) : [];
  const rcode = entry ? (entry.servfail ? 2 : 0) : 3;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8400 | 0x0100 | rcode, 2); // QR, AA, RD copied, rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addrs.length, 6);
  const rrs = addrs.map((a) => {
    const data = qtype === 1 && isIPv4(a) ? Buffer.from(a.split('.').map(Number)) : isIPv6(a) ? v6bytes(a) : Buffer.alloc(0);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(qtype, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(30, 6);
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  return Buffer.concat([header, question, ...rrs]);
}

export async function startDnsServer(zone: Zone): Promise<{ server: string; queries: string[]; close: () => Promise<void> }> {
  const sock: Socket = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    try {
      const { name, end } = readName(msg, 12);
      queries.push(`${name}/${msg.readUInt16BE(end) === 28 ? 'AAAA' : 'A'}`);
      if (zone[name]?.silent) return;
      sock.send(answer(msg, zone), rinfo.port, rinfo.address);
    } catch {
      // malformed query: no answer
    }
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { server: `127.0.0.1:${sock.address().port}`, queries, close: () => new Promise((r) => sock.close(() => r())) };
}
