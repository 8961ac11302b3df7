/**
 * Pure: the BER encoding of SNMPv1/v2c request messages and the decoding of their responses
 * (RFC 1157, RFC 3416), for the community session (./udp.ts). Values are decoded as net-snmp decodes
 * them, so the rest of the poller sees the same varbinds: INTEGER as a signed number; Counter32,
 * Gauge32 and TimeTicks as unsigned numbers; OCTET STRING, Opaque and Counter64 as Buffers (views of
 * the datagram); IpAddress as dotted text; OBJECT IDENTIFIER as dotted text; NULL and the v2c
 * exceptions as null. SNMPv3 stays with net-snmp.
 */
import type { Varbind } from 'net-snmp';

export const PDU = { Get: 0xa0, GetNext: 0xa1, Response: 0xa2, GetBulk: 0xa5 } as const;

/** net-snmp's names of the error-status values (its RequestFailedError messages). */
export const ERROR_STATUS = [
  'NoError',
  'TooBig',
  'NoSuchName',
  'BadValue',
  'ReadOnly',
  'GeneralError',
  'NoAccess',
  'WrongType',
  'WrongLength',
  'WrongEncoding',
  'WrongValue',
  'NoCreation',
  'InconsistentValue',
  'ResourceUnavailable',
  'CommitFailed',
  'UndoFailed',
  'AuthorizationError',
  'NotWritable',
  'InconsistentName',
] as const;

export class BerError extends Error {
  override name = 'ResponseInvalidError';
}

// ---- encoding ----

/** Bytes of a BER length. */
const lengthSize = (n: number): number => (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5);

function putLength(buf: Buffer, off: number, n: number): number {
  const size = lengthSize(n);
  if (size === 1) {
    buf[off] = n;
    return off + 1;
  }
  buf[off] = 0x80 | (size - 1);
  for (let i = size - 1; i >= 1; i--) {
    buf[off + i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  return off + size;
}

/** Minimal two's complement bytes of an integer, big-endian. */
function integerBytes(v: number): number[] {
  const bytes: number[] = [];
  let x = v;
  for (;;) {
    const b = x & 0xff;
    bytes.unshift(b);
    x = Math.floor(x / 256);
    if ((x === 0 && (b & 0x80) === 0) || (x === -1 && (b & 0x80) !== 0)) break;
  }
  return bytes;
}

/** Pure: the BER body of an OID ("1.3.6.1…"), read in one pass; throws on text that is not one. */
export function encodeOid(oid: string): number[] {
  const out: number[] = [];
  const sub = (v: number) => {
    if (v < 0x80) out.push(v);
    else if (v < 0x4000) out.push(0x80 | (v >>> 7), v & 0x7f);
    else if (v < 0x200000) out.push(0x80 | (v >>> 14), 0x80 | ((v >>> 7) & 0x7f), v & 0x7f);
    else if (v < 0x10000000) out.push(0x80 | (v >>> 21), 0x80 | ((v >>> 14) & 0x7f), 0x80 | ((v >>> 7) & 0x7f), v & 0x7f);
    else out.push(0x80 | Math.floor(v / 0x10000000), 0x80 | ((v >>> 21) & 0x7f), 0x80 | ((v >>> 14) & 0x7f), 0x80 | ((v >>> 7) & 0x7f), v & 0x7f);
  };
  let first = -1;
  let n = 0;
  let v = 0;
  let digits = 0;
  for (let i = 0; i <= oid.length; i++) {
    const c = i < oid.length ? oid.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      v = v * 10 + c - 48;
      digits++;
      if (v > 0xffffffff) throw new BerError(`invalid OID '${oid}'`);
      continue;
    }
    if (c !== 46 || digits === 0) throw new BerError(`invalid OID '${oid}'`);
    if (n === 0) first = v;
    else if (n === 1) sub(first * 40 + v);
    else sub(v);
    n++;
    v = 0;
    digits = 0;
  }
  if (n < 2) throw new BerError(`invalid OID '${oid}'`);
  return out;
}

export interface Request {
  /** 0: SNMPv1, 1: SNMPv2c */
  version: 0 | 1;
  community: Buffer;
  pdu: number;
  id: number;
  /** GETBULK's non-repeaters and max-repetitions (0 for other PDUs). */
  nonRepeaters?: number;
  maxRepetitions?: number;
  oids: readonly string[];
}

/** Pure: one request message, its varbinds' values NULL. Sizes are computed first, then one buffer is written. */
export function encodeRequest(r: Request): Buffer {
  const oids = r.oids.map(encodeOid);
  const ints = [integerBytes(r.id), integerBytes(r.nonRepeaters ?? 0), integerBytes(r.maxRepetitions ?? 0)];
  // varbind i: SEQUENCE { OID, NULL }
  const vbLen = oids.map((o) => 1 + lengthSize(o.length) + o.length + 2);
  const listLen = vbLen.reduce((a, n) => a + 1 + lengthSize(n) + n, 0);
  const pduLen = ints.reduce((a, b) => a + 2 + b.length, 0) + 1 + lengthSize(listLen) + listLen;
  const verLen = 3;
  const comLen = 1 + lengthSize(r.community.length) + r.community.length;
  const msgLen = verLen + comLen + 1 + lengthSize(pduLen) + pduLen;
  const buf = Buffer.allocUnsafe(1 + lengthSize(msgLen) + msgLen);
  let off = 0;
  buf[off++] = 0x30;
  off = putLength(buf, off, msgLen);
  buf[off++] = 0x02;
  buf[off++] = 1;
  buf[off++] = r.version;
  buf[off++] = 0x04;
  off = putLength(buf, off, r.community.length);
  off += r.community.copy(buf, off);
  buf[off++] = r.pdu;
  off = putLength(buf, off, pduLen);
  for (const b of ints) {
    buf[off++] = 0x02;
    buf[off++] = b.length;
    for (const x of b) buf[off++] = x;
  }
  buf[off++] = 0x30;
  off = putLength(buf, off, listLen);
  oids.forEach((o, i) => {
    buf[off++] = 0x30;
    off = putLength(buf, off, vbLen[i]!);
    buf[off++] = 0x06;
    off = putLength(buf, off, o.length);
    for (const x of o) buf[off++] = x;
    buf[off++] = 0x05;
    buf[off++] = 0x00;
  });
  return buf;
}

// ---- decoding ----

export interface Response {
  version: number;
  community: Buffer;
  pdu: number;
  id: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: Varbind[];
}

const T_INTEGER = 0x02;
const T_OCTETS = 0x04;
const T_NULL = 0x05;
const T_OID = 0x06;
const T_SEQUENCE = 0x30;
const T_IPADDRESS = 0x40;
const T_COUNTER = 0x41;
const T_GAUGE = 0x42;
const T_TIMETICKS = 0x43;
const T_OPAQUE = 0x44;
const T_COUNTER64 = 0x46;
const T_NOSUCHOBJECT = 0x80;
const T_NOSUCHINSTANCE = 0x81;
const T_ENDOFMIBVIEW = 0x82;
const T_BOOLEAN = 0x01;

/** Scratch space for OID text (grown when an OID needs more). */
let text = Buffer.allocUnsafe(512);

/** Writes the decimal digits of a non-negative integer at `at`; returns the offset after them. */
function writeDecimal(out: Buffer, at: number, v: number): number {
  if (v < 10) {
    out[at] = 48 + v;
    return at + 1;
  }
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digits;
}

/** A cursor over one datagram (methods on a class: no closures made per datagram). */
class Reader {
  off = 0;
  constructor(readonly buf: Buffer) {}

  /** Reads a tag and length at `off`, returns the content length; `off` moves to the content. */
  header(want: number | undefined, limit: number): number {
    const buf = this.buf;
    let off = this.off;
    if (off + 2 > limit) throw new BerError('truncated message');
    const tag = buf[off]!;
    if (want !== undefined && tag !== want) throw new BerError(`expected tag 0x${want.toString(16)}, got 0x${tag.toString(16)}`);
    let len = buf[off + 1]!;
    off += 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new BerError('unsupported length encoding');
      if (off + n > limit) throw new BerError('truncated message');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[off++]!;
    }
    if (off + len > limit) throw new BerError('truncated message');
    this.off = off;
    return len;
  }

  /** header(), returning where the content ends. */
  until(want: number | undefined, limit: number): number {
    const len = this.header(want, limit);
    return this.off + len;
  }

  intBody(len: number): number {
    if (len === 0) throw new BerError('zero-length integer');
    const buf = this.buf;
    const off = this.off;
    let v = buf.readInt8(off);
    for (let i = 1; i < len; i++) v = v * 256 + buf[off + i]!;
    if (!Number.isSafeInteger(v)) throw new BerError('integer not representable as a number');
    this.off = off + len;
    return v;
  }

  int(limit: number): number {
    return this.intBody(this.header(T_INTEGER, limit));
  }

  oidBody(len: number): string {
    const buf = this.buf;
    let off = this.off;
    const stop = off + len;
    // the dotted text is written as ASCII into a scratch buffer and read back as one flat string
    // (concatenating arc by arc makes a chain of cons strings that every later startsWith, slice or
    // Map lookup has to flatten first)
    if (text.length < len * 11) text = Buffer.allocUnsafe(len * 11);
    let n = 0;
    let value = 0;
    let first = true;
    for (; off < stop; off++) {
      const b = buf[off]!;
      value = (value << 7) + (b & 0x7f);
      if ((b & 0x80) === 0) {
        const v = value >>> 0;
        if (first) {
          // as net-snmp: the first subidentifier split as ⌊v / 40⌋ . v mod 40
          n = writeDecimal(text, n, Math.floor(v / 40));
          text[n++] = 46;
          n = writeDecimal(text, n, v % 40);
          first = false;
        } else {
          text[n++] = 46;
          n = writeDecimal(text, n, v);
        }
        value = 0;
      }
    }
    this.off = off;
    if (first) throw new BerError('empty OID');
    return text.toString('latin1', 0, n);
  }

  /** One varbind's value of `type` and content length `len` at `off`, as net-snmp decodes it. */
  value(type: number, len: number): unknown {
    const buf = this.buf;
    const off = this.off;
    switch (type) {
      case T_INTEGER:
        return this.intBody(len);
      case T_COUNTER:
      case T_GAUGE:
      case T_TIMETICKS:
        return this.intBody(len) >>> 0;
      case T_OCTETS:
      case T_OPAQUE:
      case T_COUNTER64:
        return buf.subarray(off, off + len);
      case T_IPADDRESS:
        if (len !== 4) throw new BerError(`Length '${len}' of IP address '${buf.subarray(off, off + len).toString('hex')}' is not 4`);
        return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
      case T_OID:
        return this.oidBody(len);
      case T_BOOLEAN:
        return this.intBody(len) !== 0;
      case T_NULL:
      case T_NOSUCHOBJECT:
      case T_NOSUCHINSTANCE:
      case T_ENDOFMIBVIEW:
        return null;
      default:
        throw new BerError(`Unknown type '${type}' in response`);
    }
  }
}

/**
 * Pure: a response message. Throws BerError on a truncated or malformed datagram (net-snmp drops
 * such a datagram; so does the session).
 */
export function decodeResponse(buf: Buffer): Response {
  const r = new Reader(buf);
  const msgEnd = r.until(T_SEQUENCE, buf.length);
  const version = r.int(msgEnd);
  const clen = r.header(T_OCTETS, msgEnd);
  const community = buf.subarray(r.off, r.off + clen);
  r.off += clen;
  if (r.off >= msgEnd) throw new BerError('truncated message');
  const pdu = buf[r.off]!;
  const pduEnd = r.until(undefined, msgEnd);
  const id = r.int(pduEnd);
  const errorStatus = r.int(pduEnd);
  const errorIndex = r.int(pduEnd);
  const listEnd = r.until(T_SEQUENCE, pduEnd);
  const varbinds: Varbind[] = [];
  while (r.off < listEnd) {
    const vbEnd = r.until(T_SEQUENCE, listEnd);
    const oid = r.oidBody(r.header(T_OID, vbEnd));
    if (r.off + 2 > vbEnd) throw new BerError('truncated varbind');
    const type = buf[r.off]!;
    const value = r.value(type, r.header(undefined, vbEnd));
    r.off = vbEnd;
    varbinds.push({ oid, type, value });
  }
  return { version, community, pdu, id, errorStatus, errorIndex, varbinds };
}
