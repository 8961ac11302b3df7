import { describe, expect, it } from 'vitest';
import { BerError, PDU, decodeResponse, encodeOid, encodeRequest } from './ber.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
/** A TLV with a short or long length, for hand-built responses. */
function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const oid = (o: string) => tlv(0x06, Buffer.from(encodeOid(o)));
const int = (bytes: number[]) => tlv(0x02, Buffer.from(bytes));
const vb = (o: string, value: Buffer) => tlv(0x30, Buffer.concat([oid(o), value]));
function response(varbinds: Buffer[], o: { version?: number; community?: string; id?: number[]; status?: number; index?: number } = {}): Buffer {
  const pdu = tlv(0xa2, Buffer.concat([int(o.id ?? [0x30, 0x39]), int([o.status ?? 0]), int([o.index ?? 0]), tlv(0x30, Buffer.concat(varbinds))]));
  return tlv(0x30, Buffer.concat([int([o.version ?? 1]), tlv(0x04, Buffer.from(o.community ?? 'public')), pdu]));
}

describe('encodeRequest', () => {
  it.each([
    [
      'v2c GET sysUpTime.0, id 12345 (the bytes net-snmp sends)',
      { version: 1 as const, pdu: PDU.Get, id: 12345, oids: ['1.3.6.1.2.1.1.3.0'] },
      '3025 020101 040469663130 a01a 02023039 020100 020100 300e 300c 06082b06010201010300 0500',
    ],
    [
      'v1 GETNEXT, id 128 needs a leading zero byte',
      { version: 0 as const, pdu: PDU.GetNext, id: 128, oids: ['1.3.6.1.2.1.2.2.1'] },
      '3025 020100 040469663130 a11a 0202 0080 020100 020100 300e 300c 06082b06010201020201 0500',
    ],
    [
      'v2c GETBULK, max-repetitions 25, sub-identifiers ≥ 128 in base 128',
      { version: 1 as const, pdu: PDU.GetBulk, id: 1, nonRepeaters: 0, maxRepetitions: 25, oids: ['1.3.6.1.4.1.2011.5.25'] },
      '3025 020101 040469663130 a51a 020101 020100 020119 300f 300d 06092b06010401 8f5b 0519 0500',
    ],
  ])('%s', (_n, r, want) => {
    expect(encodeRequest({ ...r, community: Buffer.from('if10') }).toString('hex')).toBe(hex(want).toString('hex'));
  });

  it('a community of 200 bytes gets long-form lengths, and the message decodes back', () => {
    const community = Buffer.alloc(200, 0x61);
    const b = encodeRequest({ version: 1, community, pdu: PDU.Get, id: 7, oids: ['1.3.6.1.2.1.1.3.0'] });
    expect(b.subarray(0, 3).toString('hex')).toBe(`3081${(b.length - 3).toString(16)}`);
    // a request has the layout of a response (another PDU tag): the decoder reads it back
    const d = decodeResponse(b);
    expect([d.version, d.community.equals(community), d.pdu, d.id, d.varbinds]).toEqual([
      1,
      true,
      PDU.Get,
      7,
      [{ oid: '1.3.6.1.2.1.1.3.0', type: 5, value: null }],
    ]);
  });

  it('sub-identifiers at every base-128 width read back as written', () => {
    const o = '1.3.6.1.4.1.127.128.16383.16384.2097151.2097152.268435455.268435456.4294967295';
    const d = decodeResponse(encodeRequest({ version: 1, community: Buffer.from('c'), pdu: PDU.Get, id: 1, oids: [o, '2.5.4'] }));
    expect(d.varbinds.map((v) => v.oid)).toEqual([o, '2.5.4']);
  });

  it.each(['1', '1.3.x', '', '1.3.-1', '1.3..6', '1.3.6.', '.1.3', '1.3.4294967296'])('refuses the OID %j', (o) => {
    expect(() => encodeOid(o)).toThrow(BerError);
  });
});

describe('decodeResponse: values as net-snmp decodes them', () => {
  const r = decodeResponse(
    response([
      vb('1.3.6.1.2.1.2.2.1.1.1', int([0xff])), // INTEGER -1
      vb('1.3.6.1.2.1.2.2.1.10.1', tlv(0x41, Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff]))), // Counter32 2^32-1, five bytes
      vb('1.3.6.1.2.1.2.2.1.5.1', tlv(0x42, Buffer.from([0x3b, 0x9a, 0xca, 0x00]))), // Gauge32 1e9
      vb('1.3.6.1.2.1.1.3.0', tlv(0x43, Buffer.from([0x01, 0x00]))), // TimeTicks 256
      vb('1.3.6.1.2.1.31.1.1.1.6.1', tlv(0x46, Buffer.from([0x00, 0x80, 0, 0, 0, 0, 0, 0, 1]))), // Counter64 as its bytes
      vb('1.3.6.1.2.1.2.2.1.2.1', tlv(0x04, Buffer.from('Gi0/1'))),
      vb('1.3.6.1.2.1.4.20.1.1.10.0.0.1', tlv(0x40, Buffer.from([10, 0, 0, 1]))),
      vb('1.3.6.1.2.1.1.2.0', oid('1.3.6.1.4.1.2011.2.23.96')),
      vb('1.3.6.1.2.1.1.9.0', tlv(0x80, Buffer.alloc(0))),
      vb('1.3.6.1.2.1.1.9.1', tlv(0x81, Buffer.alloc(0))),
      vb('1.3.6.1.2.1.99', tlv(0x82, Buffer.alloc(0))),
      vb(`1.3.6.1.4.1.${2 ** 32 - 1}.1`, tlv(0x05, Buffer.alloc(0))),
    ]),
  );
  it.each<[number, string, number, unknown]>([
    [0, '1.3.6.1.2.1.2.2.1.1.1', 2, -1],
    [1, '1.3.6.1.2.1.2.2.1.10.1', 65, 4294967295],
    [2, '1.3.6.1.2.1.2.2.1.5.1', 66, 1_000_000_000],
    [3, '1.3.6.1.2.1.1.3.0', 67, 256],
    [4, '1.3.6.1.2.1.31.1.1.1.6.1', 70, Buffer.from([0x00, 0x80, 0, 0, 0, 0, 0, 0, 1])],
    [5, '1.3.6.1.2.1.2.2.1.2.1', 4, Buffer.from('Gi0/1')],
    [6, '1.3.6.1.2.1.4.20.1.1.10.0.0.1', 64, '10.0.0.1'],
    [7, '1.3.6.1.2.1.1.2.0', 6, '1.3.6.1.4.1.2011.2.23.96'],
    [8, '1.3.6.1.2.1.1.9.0', 128, null],
    [9, '1.3.6.1.2.1.1.9.1', 129, null],
    [10, '1.3.6.1.2.1.99', 130, null],
    [11, '1.3.6.1.4.1.4294967295.1', 5, null],
  ])('varbind %i: %s', (i, o, type, value) => {
    expect(r.varbinds[i]).toEqual({ oid: o, type, value });
  });
  it('header fields', () => {
    expect([r.version, r.community.toString(), r.pdu, r.id, r.errorStatus, r.errorIndex, r.varbinds.length]).toEqual([
      1,
      'public',
      PDU.Response,
      12345,
      0,
      0,
      12,
    ]);
  });
  it('error-status and index', () => {
    const e = decodeResponse(response([vb('1.3.6.1.2.1.1.99.0', tlv(0x05, Buffer.alloc(0)))], { version: 0, status: 2, index: 1 }));
    expect([e.version, e.errorStatus, e.errorIndex]).toEqual([0, 2, 1]);
  });
  it('a long varbind list (long-form lengths)', () => {
    const many = Array.from({ length: 40 }, (_, i) => vb(`1.3.6.1.2.1.2.2.1.1.${i + 1}`, int([i + 1])));
    const d = decodeResponse(response(many));
    expect(d.varbinds.map((v) => v.value)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('decodeResponse: malformed datagrams throw', () => {
  const good = response([vb('1.3.6.1.2.1.1.3.0', tlv(0x43, Buffer.from([1])))]);
  it.each<[string, Buffer]>([
    ['empty', Buffer.alloc(0)],
    ['truncated by one byte', good.subarray(0, good.length - 1)],
    ['truncated after the header', good.subarray(0, 2)],
    ['not a sequence', Buffer.from([0x04, 0x00])],
    ['IpAddress of 3 bytes', response([vb('1.3.6.1.2.1.4.20.1.1.1', tlv(0x40, Buffer.from([1, 2, 3])))])],
    ['unknown value type', response([vb('1.3.6.1.2.1.1.1.0', tlv(0x47, Buffer.from([1])))])],
    ['zero-length integer', response([vb('1.3.6.1.2.1.1.1.0', tlv(0x02, Buffer.alloc(0)))])],
  ])('%s', (_n, b) => {
    expect(() => decodeResponse(b)).toThrow(BerError);
  });
});
