/**
 * SNMPv1/v2c over one UDP socket: the subset of net-snmp's Session that the scraper uses (get,
 * getNext, getBulk, close, the 'close'/'error' events), with the codec of ./ber.ts. It behaves as
 * net-snmp's session with retries 0 does — same varbinds, same error names and messages
 * (RequestTimedOutError "Request timed out", RequestFailedError "NoSuchName: OID" with its status,
 * a response with another community or version fails the request), the socket unconnected (a device
 * may answer from another address), referenced only while a request is pending — but per request it
 * encodes one small buffer, keeps one timer and decodes the reply in one pass, where net-snmp builds
 * and walks several objects (the per-packet cost bench:snmp measures). SNMPv3 stays with net-snmp.
 */
import { type Socket, createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { Session, Varbind } from 'net-snmp';
import { BerError, ERROR_STATUS, PDU, decodeResponse, encodeRequest } from './ber.js';

class RequestTimedOutError extends Error {
  override name = 'RequestTimedOutError';
}
class RequestFailedError extends Error {
  override name = 'RequestFailedError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface Pending {
  timer: NodeJS.Timeout;
  done: (err: Error | null, r?: { errorStatus: number; errorIndex: number; varbinds: Varbind[] }) => void;
}

export class CommunitySession extends EventEmitter {
  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly communityBuf: Buffer;
  private nextId = 1 + Math.floor(Math.random() * 0x3fffffff);
  private closed = false;
  readonly msgSecurityParameters = undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    transport: 'udp4' | 'udp6',
    private readonly version: 0 | 1,
    community: string,
    private readonly timeoutMs: number,
  ) {
    super();
    this.communityBuf = Buffer.from(community);
    this.socket = createSocket(transport);
    this.socket.unref();
    this.socket.on('message', (msg) => this.onMessage(msg));
    this.socket.on('error', (err) => this.emit('error', err));
    this.socket.on('close', () => {
      this.closed = true;
      const err = new Error('Socket forcibly closed');
      for (const [id, p] of this.pending) {
        this.unregister(id);
        p.done(err);
      }
      this.emit('close');
    });
  }

  private unregister(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (this.pending.size === 0) this.socket.unref();
    return p;
  }

  private onMessage(msg: Buffer): void {
    let r: ReturnType<typeof decodeResponse>;
    try {
      r = decodeResponse(msg);
    } catch (err) {
      this.emit('error', err);
      return;
    }
    const p = this.unregister(r.id);
    if (!p) return;
    if (r.version !== this.version) p.done(new BerError(`Version in request '${this.version}' does not match version in response '${r.version}'`));
    else if (!r.community.equals(this.communityBuf))
      p.done(new BerError('Community in response does not match the request (a wrong community answered, or another agent)'));
    else if (r.pdu !== PDU.Response) p.done(new BerError(`Unknown PDU type '${r.pdu}' in response`));
    else p.done(null, r);
  }

  private send(pdu: number, oids: readonly string[], nonRepeaters: number, maxRepetitions: number, cb: Pending['done']): void {
    if (this.closed) throw new Error('Not running');
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7ffffffe ? 1 : this.nextId + 1;
    const buf = encodeRequest({ version: this.version, community: this.communityBuf, pdu, id, nonRepeaters, maxRepetitions, oids });
    this.socket.send(buf, this.port, this.host, (err) => {
      if (err) return cb(err);
      if (this.pending.size === 0) this.socket.ref();
      const timer = setTimeout(() => {
        if (this.unregister(id)) cb(new RequestTimedOutError('Request timed out'));
      }, this.timeoutMs);
      this.pending.set(id, { timer, done: cb });
    });
  }

  /** An error-status answer as net-snmp reports it ("NoSuchName: OID", status 2). */
  private static failed(r: { errorStatus: number; errorIndex: number; varbinds: Varbind[] }): Error {
    const name = ERROR_STATUS[r.errorStatus] ?? 'GeneralError';
    const status = ERROR_STATUS.indexOf(name as (typeof ERROR_STATUS)[number]);
    const vb = r.errorIndex > 0 ? r.varbinds[r.errorIndex - 1] : undefined;
    return new RequestFailedError(vb ? `${name}: ${vb.oid}` : name, status);
  }

  private simple(pdu: number, oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): void {
    this.send(pdu, oids, 0, 0, (err, r) => {
      if (err || !r) return cb(err, []);
      if (r.errorStatus > 0) return cb(CommunitySession.failed(r), []);
      if (r.varbinds.length !== oids.length) return cb(new BerError('Requested OIDs do not match response OIDs'), []);
      cb(null, r.varbinds);
    });
  }

  get(oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): void {
    this.simple(PDU.Get, oids, cb);
  }

  getNext(oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): void {
    this.simple(PDU.GetNext, oids, cb);
  }

  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: (err: Error | null, varbinds: Varbind[][]) => void): void {
    this.send(PDU.GetBulk, oids, nonRepeaters, maxRepetitions, (err, r) => {
      if (err || !r) return cb(err, []);
      if (r.errorStatus > 0) return cb(CommunitySession.failed(r), []);
      // as net-snmp: non-repeaters first, then each repeater's varbinds in a list of its own
      const out: (Varbind | Varbind[])[] = [];
      const vbs = r.varbinds;
      let i = 0;
      for (; i < oids.length && i < vbs.length; i++) out.push(i < nonRepeaters ? vbs[i]! : [vbs[i]!]);
      const repeaters = oids.length - nonRepeaters;
      for (; i < vbs.length; i++) (out[((i - nonRepeaters) % repeaters) + nonRepeaters] as Varbind[]).push(vbs[i]!);
      cb(null, out as Varbind[][]);
    });
  }

  /** GETBULK with the response's varbinds as the agent sent them (row-major after the non-repeaters), for combined walks. */
  getBulkFlat(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: (err: Error | null, varbinds: Varbind[]) => void): void {
    this.send(PDU.GetBulk, oids, nonRepeaters, maxRepetitions, (err, r) => {
      if (err || !r) return cb(err, []);
      if (r.errorStatus > 0) return cb(CommunitySession.failed(r), []);
      cb(null, r.varbinds);
    });
  }

  subtree(): void {
    throw new Error('CommunitySession.subtree: not used (the scraper walks with getBulk/getNext)');
  }

  close(): void {
    this.socket.close();
  }
}

/** The community session typed as net-snmp's Session for the scraper. */
export function createCommunitySession(
  host: string,
  port: number,
  transport: 'udp4' | 'udp6',
  version: '1' | '2c',
  community: string,
  timeoutMs: number,
): Session {
  return new CommunitySession(host, port, transport, version === '1' ? 0 : 1, community, timeoutMs) as unknown as Session;
}
