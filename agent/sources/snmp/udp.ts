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

type Response = { errorStatus: number; errorIndex: number; varbinds: Varbind[] };
type Callback = (err: Error | null, varbinds: Varbind[] | Varbind[][]) => void;

/**
 * One request in flight, and how its response is handed back: as net-snmp's get/getNext (the varbinds
 * asked), getBulk (one list per repeater) or flat (row-major, for combined walks). Its callbacks are
 * methods and module functions, not closures made per request, so that their optimised code outlives
 * a full GC (see SampleBuilder in ./poll.ts).
 */
class Request {
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly session: CommunitySession,
    readonly id: number,
    readonly shape: 'simple' | 'bulk' | 'flat',
    readonly oids: readonly string[],
    readonly nonRepeaters: number,
    readonly cb: Callback,
  ) {}

  /** The socket's send callback (bound to the request). */
  sent(this: Request, err: Error | null): void {
    if (err) this.cb(err, []);
    else this.session.track(this);
  }

  finish(err: Error | null, r?: Response): void {
    if (err || !r) this.cb(err, []);
    else if (r.errorStatus > 0) this.cb(failed(r), []);
    else if (this.shape === 'bulk') this.cb(null, this.byRepeater(r.varbinds));
    else if (this.shape === 'simple' && r.varbinds.length !== this.oids.length) this.cb(new BerError('Requested OIDs do not match response OIDs'), []);
    else this.cb(null, r.varbinds);
  }

  /** As net-snmp's getBulk: non-repeaters first, then each repeater's varbinds in a list of its own. */
  private byRepeater(vbs: Varbind[]): Varbind[][] {
    const out: (Varbind | Varbind[])[] = [];
    const nr = this.nonRepeaters;
    let i = 0;
    for (; i < this.oids.length && i < vbs.length; i++) out.push(i < nr ? vbs[i]! : [vbs[i]!]);
    const repeaters = this.oids.length - nr;
    for (; i < vbs.length; i++) (out[((i - nr) % repeaters) + nr] as Varbind[]).push(vbs[i]!);
    return out as Varbind[][];
  }
}

function timedOut(req: Request): void {
  if (req.session.unregister(req.id)) req.finish(new RequestTimedOutError('Request timed out'));
}

/** An error-status answer as net-snmp reports it ("NoSuchName: OID", status 2). */
function failed(r: Response): Error {
  const name = ERROR_STATUS[r.errorStatus] ?? 'GeneralError';
  const status = ERROR_STATUS.indexOf(name as (typeof ERROR_STATUS)[number]);
  const vb = r.errorIndex > 0 ? r.varbinds[r.errorIndex - 1] : undefined;
  return new RequestFailedError(vb ? `${name}: ${vb.oid}` : name, status);
}

export class CommunitySession extends EventEmitter {
  private readonly socket: Socket;
  private readonly pending = new Map<number, Request>();
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
        p.finish(err);
      }
      this.emit('close');
    });
  }

  /** A request sent: wait for its answer until the timeout. */
  track(req: Request): void {
    if (this.pending.size === 0) this.socket.ref();
    req.timer = setTimeout(timedOut, this.timeoutMs, req);
    this.pending.set(req.id, req);
  }

  unregister(id: number): Request | undefined {
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
    if (r.version !== this.version) p.finish(new BerError(`Version in request '${this.version}' does not match version in response '${r.version}'`));
    else if (!r.community.equals(this.communityBuf))
      p.finish(new BerError('Community in response does not match the request (a wrong community answered, or another agent)'));
    else if (r.pdu !== PDU.Response) p.finish(new BerError(`Unknown PDU type '${r.pdu}' in response`));
    else p.finish(null, r);
  }

  private send(pdu: number, shape: Request['shape'], oids: readonly string[], nonRepeaters: number, maxRepetitions: number, cb: Callback): void {
    if (this.closed) throw new Error('Not running');
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7ffffffe ? 1 : this.nextId + 1;
    const buf = encodeRequest({ version: this.version, community: this.communityBuf, pdu, id, nonRepeaters, maxRepetitions, oids });
    const req = new Request(this, id, shape, oids, nonRepeaters, cb);
    this.socket.send(buf, this.port, this.host, req.sent.bind(req));
  }

  get(oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): void {
    this.send(PDU.Get, 'simple', oids, 0, 0, cb as Callback);
  }

  getNext(oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): void {
    this.send(PDU.GetNext, 'simple', oids, 0, 0, cb as Callback);
  }

  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: (err: Error | null, varbinds: Varbind[][]) => void): void {
    this.send(PDU.GetBulk, 'bulk', oids, nonRepeaters, maxRepetitions, cb as Callback);
  }

  /** GETBULK with the response's varbinds as the agent sent them (row-major after the non-repeaters), for combined walks. */
  getBulkFlat(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: (err: Error | null, varbinds: Varbind[]) => void): void {
    this.send(PDU.GetBulk, 'flat', oids, nonRepeaters, maxRepetitions, cb as Callback);
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
