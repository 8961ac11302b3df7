import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, HEADER_BYTES, parseRecordFileName, recordFileName } from './record.js';

describe('spool record', () => {
  const rec = { seq: 42, createdAt: 1_700_000_000_123, body: Buffer.from('hello spool') };
  const good = encodeRecord(rec);

  it('round-trips', () => {
    expect(good.length).toBe(HEADER_BYTES + rec.body.length);
    expect(decodeRecord(good)).toEqual({ ok: true, record: rec });
  });

  const flip = (i: number) => {
    const b = Buffer.from(good);
    b[i] = b[i]! ^ 0xff;
    return b;
  };
  it.each([
    { name: 'empty file', buf: Buffer.alloc(0), reason: 'truncated: 0 bytes, header needs 60' },
    { name: 'torn header', buf: good.subarray(0, 30), reason: 'truncated: 30 bytes, header needs 60' },
    { name: 'torn body', buf: good.subarray(0, good.length - 1), reason: 'length mismatch: header says 11 body bytes, file has 10' },
    { name: 'trailing garbage', buf: Buffer.concat([good, Buffer.from('x')]), reason: 'length mismatch: header says 11 body bytes, file has 12' },
    { name: 'bad magic', buf: flip(0), reason: 'bad magic' },
    { name: 'unknown version', buf: flip(4), reason: 'unknown format version 254' },
    { name: 'flipped body byte', buf: flip(HEADER_BYTES + 3), reason: 'checksum mismatch' },
    { name: 'flipped checksum byte', buf: flip(40), reason: 'checksum mismatch' },
    { name: 'zeroed file', buf: Buffer.alloc(good.length), reason: 'bad magic' },
  ])('$name is corrupt: $reason', ({ buf, reason }) => {
    expect(decodeRecord(buf)).toEqual({ ok: false, reason });
  });

  it.each([
    { name: '0000000000000001.rpt', seq: 1 },
    { name: '0000000000012345.rpt', seq: 12345 },
    { name: '0000000000000000.rpt', seq: undefined },
    { name: '0000000000000001.rpt.tmp-99', seq: undefined },
    { name: 'state.json', seq: undefined },
    { name: '1.rpt', seq: undefined },
  ])('file name $name → seq $seq', ({ name, seq }) => {
    expect(parseRecordFileName(name)).toBe(seq);
  });
  it('file names sort in seq order', () => {
    expect(recordFileName(9) < recordFileName(10)).toBe(true);
    expect(recordFileName(77)).toBe('0000000000000077.rpt');
  });
});
