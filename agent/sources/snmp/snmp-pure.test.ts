import { describe, expect, it } from 'vitest';
import { parseEndpoint, insecureCrypto } from './client.js';
import { type IfCounters, type LinkState, type Snapshot, counterDelta, deriveLinkHealth, rate } from './linkhealth.js';
import { T, bigValue, decodeUnsigned, formatInet, labelValue, parseIndex, sampleValue } from './values.js';

describe('Counter64 decoding', () => {
  it.each([
    [Buffer.from([0x00]), 0n],
    [Buffer.from([0x01, 0x00]), 256n],
    [Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 18446744073709551615n],
    [Buffer.from([0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]), 2n ** 53n + 1n],
  ])('%s → %s', (buf, big) => {
    expect(decodeUnsigned(buf)).toBe(big);
    expect(bigValue(T.Counter64, buf)).toBe(big);
  });
  it('exposes Counter64 modulo 2^53 (exact in a float) and other integers as they are', () => {
    expect(sampleValue(T.Counter64, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(9007199254740991);
    expect(sampleValue(T.Counter64, Buffer.from([0x20, 0, 0, 0, 0, 0, 0x05]))).toBe(5);
    expect(sampleValue(T.Counter, 4294967295)).toBe(4294967295);
    expect(sampleValue(T.OctetString, Buffer.from('x'))).toBeUndefined();
  });
});

describe('labels and indexes', () => {
  it.each([
    [T.OctetString, Buffer.from('GE0/0/1'), 'GE0/0/1'],
    [T.OctetString, Buffer.from('城关镇上联'), '城关镇上联'],
    [T.OctetString, Buffer.from([0x00, 0x1b, 0x21, 0xff]), '0x001B21FF'],
    [T.IpAddress, Buffer.from([10, 0, 0, 1]), '10.0.0.1'],
    [T.Integer, 5, '5'],
  ])('label of type %i', (type, value, expected) => expect(labelValue(type, value)).toBe(expected));
  it.each([
    [[2, 7], ['integer', 'integer'], ['2', '7']],
    [[2, 16, 32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], ['integer', 'inetAddress'], ['2', '2001:db8::1']],
    [[1, 4, 192, 0, 2, 1], ['integer', 'inetAddress'], ['1', '192.0.2.1']],
    [[1, 4, 192, 0, 2], ['integer', 'inetAddress'], null],
    [[1, 2, 3], ['integer'], null],
  ] as const)('index %j as %j', (suffix, types, expected) => expect(parseIndex([...suffix], types)).toEqual(expected));
  it('formats IPv6 with the longest zero run compressed', () => {
    expect(formatInet([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1b, 0x21, 0xff, 0xfe, 0, 0, 1])).toBe('fe80::21b:21ff:fe00:1');
  });
});

describe('targets and credentials', () => {
  it.each([
    ['udp://192.0.2.1:1161', { host: '192.0.2.1', port: 1161, transport: 'udp4' }],
    ['udp6://[2001:db8::1]:161', { host: '2001:db8::1', port: 161, transport: 'udp6' }],
    ['[::1]:16100', { host: '::1', port: 16100, transport: 'udp6' }],
    ['switch.county.example', { host: 'switch.county.example', port: 161, transport: 'udp4' }],
    ['udp6://core.county.example', { host: 'core.county.example', port: 161, transport: 'udp6' }],
  ])('%s', (t, ep) => expect(parseEndpoint(t)).toEqual(ep));
  it('rejects malformed targets', () => expect(() => parseEndpoint('tcp://x:1:2')).toThrow(/invalid SNMP target/));
  it('flags insecure choices', () => {
    expect(insecureCrypto({ version: '2c', community: 'c' })).toEqual(['SNMPv2c community (cleartext)']);
    expect(insecureCrypto({ version: '3', v3: { user: 'u', level: 'authPriv', authProto: 'md5', privProto: 'des' } })).toEqual(['MD5 authentication', 'DES privacy']);
    expect(insecureCrypto({ version: '3', v3: { user: 'u', level: 'authPriv', authProto: 'sha256', privProto: 'aes' } })).toEqual([]);
  });
});

describe('counters', () => {
  it.each([
    [100n, 150n, 64, 50n],
    [4294967000n, 200n, 32, 496n], // one Counter32 wrap
    [500n, 100n, 64, undefined], // Counter64 backwards: reset, no rate
    [0n, 0n, 32, 0n],
  ] as const)('delta %s → %s (%i-bit) = %s', (a, b, bits, d) => expect(counterDelta(a, b, bits)).toBe(d));
  it('computes exact rates from centiseconds', () => {
    expect(rate(750n, 8n, 6000)).toBe(100); // 750 octets in 60 s = 100 bit/s
    expect(rate(1n, 1n, 300)).toBe(0.333333);
    expect(rate(2n ** 60n, 8n, 100)).toBe(2 ** 63);
  });
});

const iface = (over: Partial<IfCounters> = {}): IfCounters => ({ name: 'GE0/0/1', bits: 64, inOctets: 0n, outOctets: 0n, inErrors: 0n, outErrors: 0n, inDiscards: 0n, outDiscards: 0n, speedMbps: 1000, operStatus: 1, ...over });
const snap = (uptime: number, ifs: Record<string, IfCounters>, at = 0): Snapshot => ({ uptime, at, ifs: new Map(Object.entries(ifs)) });
const labels = (ix: string) => ({ ifIndex: ix });
const values = (r: ReturnType<typeof deriveLinkHealth>) => Object.fromEntries(r.samples.map((s) => [`${s.name}{${s.labels.ifIndex}}`, s.value]));

describe('link health', () => {
  it.each<[string, Snapshot, Snapshot, Record<string, number>, string | undefined]>([
    [
      '64-bit rates and utilization over 60 s of device uptime',
      snap(1000, { 1: iface({ inOctets: 1_000_000n, outOctets: 0n, inErrors: 5n }) }),
      snap(7000, { 1: iface({ inOctets: 1_000_000n + 7_500_000_000n, outOctets: 750n, inErrors: 65n }) }),
      {
        'xunjian_link_oper_status_changes_total{1}': 0,
        'xunjian_link_in_bits_per_second{1}': 1_000_000_000,
        'xunjian_link_in_utilization_ratio{1}': 1,
        'xunjian_link_out_bits_per_second{1}': 100,
        'xunjian_link_out_utilization_ratio{1}': 1e-7,
        'xunjian_link_in_errors_per_second{1}': 1,
        'xunjian_link_out_errors_per_second{1}': 0,
        'xunjian_link_in_discards_per_second{1}': 0,
        'xunjian_link_out_discards_per_second{1}': 0,
      },
      undefined,
    ],
    [
      '32-bit wrap (no ifXTable) gives the true rate',
      snap(0, { 2: iface({ bits: 32, inOctets: 4294967196n, outOctets: 0n, inErrors: undefined, outErrors: undefined, inDiscards: undefined, outDiscards: undefined, speedMbps: undefined }) }),
      snap(100, { 2: iface({ bits: 32, inOctets: 900n, outOctets: 0n, inErrors: undefined, outErrors: undefined, inDiscards: undefined, outDiscards: undefined, speedMbps: undefined }) }),
      { 'xunjian_link_oper_status_changes_total{2}': 0, 'xunjian_link_in_bits_per_second{2}': 8000, 'xunjian_link_out_bits_per_second{2}': 0 },
      undefined,
    ],
    [
      'reboot (sysUpTime backwards): no spike, new baseline',
      snap(90000, { 1: iface({ inOctets: 10n ** 12n }) }),
      snap(500, { 1: iface({ inOctets: 1000n }) }),
      { 'xunjian_link_oper_status_changes_total{1}': 0 },
      'reboot',
    ],
    [
      'Counter64 reset without reboot: no rate for that counter',
      snap(100, { 1: iface({ inOctets: 5000n, outOctets: 100n }) }),
      snap(200, { 1: iface({ inOctets: 10n, outOctets: 200n }) }),
      { 'xunjian_link_oper_status_changes_total{1}': 0, 'xunjian_link_out_bits_per_second{1}': 800, 'xunjian_link_out_utilization_ratio{1}': 8e-7, 'xunjian_link_in_errors_per_second{1}': 0, 'xunjian_link_out_errors_per_second{1}': 0, 'xunjian_link_in_discards_per_second{1}': 0, 'xunjian_link_out_discards_per_second{1}': 0 },
      undefined,
    ],
    [
      'ifIndex renumbered to another interface: baseline only',
      snap(100, { 5: iface({ name: 'GE0/0/5', inOctets: 10n ** 9n }) }),
      snap(200, { 5: iface({ name: 'GE0/0/9', inOctets: 10n }) }),
      { 'xunjian_link_oper_status_changes_total{5}': 0 },
      undefined,
    ],
    [
      'counter discontinuity time changed: no rate',
      snap(100, { 1: iface({ inOctets: 1n, discontinuity: 0 }) }),
      snap(200, { 1: iface({ inOctets: 2n, discontinuity: 150 }) }),
      { 'xunjian_link_oper_status_changes_total{1}': 0 },
      undefined,
    ],
  ])('%s', (_n, a, b, expected, event) => {
    const st: LinkState = { flaps: new Map() };
    expect(deriveLinkHealth(st, a, labels, 0).event).toBe('no_baseline');
    const r = deriveLinkHealth(st, b, labels, 0);
    expect(r.event).toBe(event);
    expect(values(r)).toEqual(expected);
  });

  it('counts oper-status changes (flaps) across polls', () => {
    const st: LinkState = { flaps: new Map() };
    for (const [i, s] of [1, 2, 2, 1, 2].entries()) deriveLinkHealth(st, snap(100 * (i + 1), { 1: iface({ operStatus: s }) }), labels, 0);
    expect(st.flaps.get('1')).toBe(3);
  });
});
