import { createHash } from 'node:crypto';

/**
 * On-disk format of one spooled report (pure; no I/O). One file per report:
 *
 *   offset size field
 *        0    4 magic "XJSP"
 *        4    1 format version (1)
 *        5    3 reserved (0)
 *        8    8 seq (uint64 BE)
 *       16    8 createdAt, ms since epoch (uint64 BE)
 *       24    4 body length (uint32 BE)
 *       28   32 SHA-256 of the body
 *       60    n body: the report as sent (gzip of its JSON plus a trailing newline)
 *
 * A file that is short, has another magic/version, or whose checksum does not match is corrupt.
 */
export const RECORD_MAGIC = Buffer.from('XJSP', 'latin1');
export const RECORD_VERSION = 1;
export const HEADER_BYTES = 60;

export interface SpoolRecord {
  seq: number;
  createdAt: number;
  body: Buffer;
}

export function encodeRecord(r: SpoolRecord): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  RECORD_MAGIC.copy(h, 0);
  h.writeUInt8(RECORD_VERSION, 4);
  h.writeBigUInt64BE(BigInt(r.seq), 8);
  h.writeBigUInt64BE(BigInt(r.createdAt), 16);
  h.writeUInt32BE(r.body.length, 24);
  createHash('sha256').update(r.body).digest().copy(h, 28);
  return Buffer.concat([h, r.body]);
}

export type DecodeResult = { ok: true; record: SpoolRecord } | { ok: false; reason: string };

export function decodeRecord(buf: Buffer): DecodeResult {
  if (buf.length < HEADER_BYTES) return { ok: false, reason: `truncated: ${buf.length} bytes, header needs ${HEADER_BYTES}` };
  if (!buf.subarray(0, 4).equals(RECORD_MAGIC)) return { ok: false, reason: 'bad magic' };
  const version = buf.readUInt8(4);
  if (version !== RECORD_VERSION) return { ok: false, reason: `unknown format version ${version}` };
  const seq = Number(buf.readBigUInt64BE(8));
  const createdAt = Number(buf.readBigUInt64BE(16));
  const len = buf.readUInt32BE(24);
  if (buf.length !== HEADER_BYTES + len) return { ok: false, reason: `length mismatch: header says ${len} body bytes, file has ${buf.length - HEADER_BYTES}` };
  const body = buf.subarray(HEADER_BYTES);
  if (!createHash('sha256').update(body).digest().equals(buf.subarray(28, 60))) return { ok: false, reason: 'checksum mismatch' };
  if (!Number.isSafeInteger(seq) || seq < 1) return { ok: false, reason: `bad seq ${seq}` };
  return { ok: true, record: { seq, createdAt, body } };
}

/** File name of a report: zero-padded so that lexical order is seq order. */
export function recordFileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.rpt`;
}

/** The seq a spool file name stands for, or undefined for any other file. */
export function parseRecordFileName(name: string): number | undefined {
  const m = /^(\d{16})\.rpt$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 && Number.isSafeInteger(n) ? n : undefined;
}
