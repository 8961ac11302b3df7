/** Pure decoding of SNMP varbind values (net-snmp hands Counter64 as a BER integer Buffer). */

export const T = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  OID: 6,
  IpAddress: 64,
  Counter: 65,
  Gauge: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

/** A Counter64 (or any unsigned BER integer) Buffer, possibly with a leading 0x00, as an exact BigInt. */
export function decodeUnsigned(buf: Buffer): bigint {
  let v = 0n;
  for (const b of buf) v = (v << 8n) | BigInt(b);
  return v;
}

const TWO_53 = 2n ** 53n;

/** Exact value of a numeric varbind as BigInt, or undefined for non-numeric types. */
export function bigValue(type: number, value: unknown): bigint | undefined {
  if (type === T.Counter64) {
    if (Buffer.isBuffer(value)) return decodeUnsigned(value);
    if (typeof value === 'number' || typeof value === 'bigint') return BigInt(value);
    return undefined;
  }
  if (type === T.Integer || type === T.Counter || type === T.Gauge || type === T.TimeTicks) return typeof value === 'number' ? BigInt(value) : undefined;
  return undefined;
}

/** The float a sample carries: Counter64 modulo 2^53 as snmp_exporter does, so the float is exact. */
export function sampleValue(type: number, value: unknown): number | undefined {
  // fast paths without BigInt: plain integers, and Counter64 values that fit in 48 bits
  if (typeof value === 'number' && (type === T.Integer || type === T.Counter || type === T.Gauge || type === T.TimeTicks)) return value;
  if (type === T.Counter64 && Buffer.isBuffer(value) && value.length > 0 && value.length <= 6) return value.readUIntBE(0, value.length);
  const b = bigValue(type, value);
  if (b === undefined) return undefined;
  return Number(type === T.Counter64 ? b % TWO_53 : b);
}

/** A label value: printable text as is, other octets as 0x-prefixed hex (snmp_exporter's OctetString). */
export function labelValue(type: number, value: unknown): string {
  // Counter64 arrives as a BER integer Buffer: a number, not octets
  if (type === T.Counter64 && Buffer.isBuffer(value)) return decodeUnsigned(value).toString();
  if (Buffer.isBuffer(value)) {
    if (type === T.IpAddress && value.length === 4) return [...value].join('.');
    // fast path: printable ASCII (most names and descriptions) is the text as it is
    let ascii = true;
    for (let i = 0; i < value.length; i++) {
      const b = value[i]!;
      if (b < 0x20 || b > 0x7e) {
        ascii = false;
        break;
      }
    }
    if (ascii) return value.toString('latin1');
    const s = value.toString('utf8');
    const printable = !s.includes('\uFFFD') && /^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$/.test(s);
    return printable ? s.replace(/\0+$/, '') : `0x${value.toString('hex').toUpperCase()}`;
  }
  if (typeof value === 'string') return value;
  return String(value);
}

export function isError(type: number): boolean {
  return type === T.NoSuchObject || type === T.NoSuchInstance || type === T.EndOfMibView || type === T.Null;
}

/** Parse a table index (the OID suffix) by the index types; null when it does not fit. */
export function parseIndex(suffix: number[], types: readonly ('integer' | 'inetAddress' | 'octets' | 'implied')[]): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (const t of types) {
    if (t === 'integer') {
      if (i >= suffix.length) return null;
      out.push(String(suffix[i++]));
    } else if (t === 'inetAddress' || t === 'octets') {
      const len = suffix[i++];
      if (len === undefined || i + len > suffix.length) return null;
      const bytes = suffix.slice(i, i + len);
      i += len;
      out.push(t === 'inetAddress' ? formatInet(bytes) : bytes.map((b) => b.toString(16).padStart(2, '0')).join(':'));
    } else {
      out.push(suffix.slice(i).join('.'));
      i = suffix.length;
    }
  }
  return i === suffix.length ? out : null;
}

export function formatInet(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let j = 0; j < 16; j += 2) groups.push(((bytes[j]! << 8) | bytes[j + 1]!).toString(16));
    // compress the longest run of zero groups
    let best = -1;
    let bestLen = 0;
    for (let j = 0; j < 8; ) {
      if (groups[j] !== '0') {
        j++;
        continue;
      }
      let k = j;
      while (k < 8 && groups[k] === '0') k++;
      if (k - j > bestLen && k - j > 1) {
        best = j;
        bestLen = k - j;
      }
      j = k;
    }
    if (best < 0) return groups.join(':');
    return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  }
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
