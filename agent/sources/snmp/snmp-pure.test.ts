import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config.js';
import { loadAgentConfig } from '../../cli.js';
import { SnmpError, compareOids, insecureCrypto, newStats, parseEndpoint, resolveEndpoint, scrub, secretsOf, withRetries } from './client.js';
import { DES_AVAILABLE, RESERVED_LABELS } from './config.js';
import { parseFirmware } from './firmware.js';
import { type IfCounters, type LinkState, type Snapshot, counterDelta, deriveLinkHealth, rate, uptimeInterval } from './linkhealth.js';
import { noSuchNameOid } from './poll.js';
import { loadProfiles } from './profiles.js';
import { T, bigValue, decodeUnsigned, formatInet, labelValue, parseIndex, sampleValue } from './values.js';
import { CombinedWalk, type WalkPlan, learnBounds, nonRepeaterOids, scalarsFromNonRepeaters } from './walk.js';
import type { Varbind } from 'net-snmp';

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
    [T.Counter64, Buffer.from([0x08, 0xbb, 0x85, 0x3e, 0x4a]), '37505809994'],
    [T.Counter64, Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), '18446744073709551615'],
  ])('label of type %i', (type, value, expected) => expect(labelValue(type, value)).toBe(expected));
  it.each([
    [
      [2, 7],
      ['integer', 'integer'],
      ['2', '7'],
    ],
    [
      [2, 16, 32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      ['integer', 'inetAddress'],
      ['2', '2001:db8::1'],
    ],
    [
      [1, 4, 192, 0, 2, 1],
      ['integer', 'inetAddress'],
      ['1', '192.0.2.1'],
    ],
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
    ['udp://[2001:db8::1]', { host: '2001:db8::1', port: 161, transport: 'udp6' }],
    ['[::1]:16100', { host: '::1', port: 16100, transport: 'udp6' }],
    ['switch.county.example', { host: 'switch.county.example', port: 161, transport: 'auto' }],
    ['udp://switch.county.example:1161', { host: 'switch.county.example', port: 1161, transport: 'auto' }],
    ['udp6://core.county.example', { host: 'core.county.example', port: 161, transport: 'udp6' }],
  ])('%s', (t, ep) => expect(parseEndpoint(t)).toEqual(ep));
  it.each(['tcp://x:1:2', '[192.0.2.1]:161', 'udp6://192.0.2.1', 'udp://x:70000'])('rejects %s', (t) =>
    expect(() => parseEndpoint(t)).toThrow(/invalid SNMP (target|port)/),
  );

  const fakeLookup = (table: Record<string, { address: string; family: number }[]>) => async (host: string, family: 0 | 4 | 6) =>
    (table[host] ?? []).filter((a) => family === 0 || a.family === family);
  const dns = fakeLookup({
    'v6only.example': [{ address: '::1', family: 6 }],
    'dual.example': [
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ],
    'v4only.example': [{ address: '127.0.0.1', family: 4 }],
  });
  it.each([
    ['udp://v6only.example:1161', { host: '::1', port: 1161, transport: 'udp6' }],
    ['v6only.example', { host: '::1', port: 161, transport: 'udp6' }],
    ['dual.example', { host: '::1', port: 161, transport: 'udp6' }],
    ['v4only.example', { host: '127.0.0.1', port: 161, transport: 'udp4' }],
    ['udp://127.0.0.2', { host: '127.0.0.2', port: 161, transport: 'udp4' }],
  ])('resolves %s by the family of its address', async (t, ep) => expect(await resolveEndpoint(parseEndpoint(t), dns)).toEqual(ep));
  it('udp6:// with a name having no AAAA fails clearly', async () => {
    await expect(resolveEndpoint(parseEndpoint('udp6://v4only.example'), dns)).rejects.toThrow("SNMP target host 'v4only.example' has no IPv6 address");
  });
  it('resolves localhost with the system resolver (this host: 127.0.0.1 only)', async () => {
    expect(await resolveEndpoint(parseEndpoint('localhost:1161'))).toEqual({ host: '127.0.0.1', port: 1161, transport: 'udp4' });
  });

  it('flags insecure choices', () => {
    expect(insecureCrypto({ version: '2c', community: 'c' })).toEqual(['SNMPv2c community (cleartext)']);
    expect(insecureCrypto({ version: '3', v3: { user: 'u', level: 'authPriv', authProto: 'md5', privProto: 'des' } })).toEqual([
      'MD5 authentication',
      'DES privacy',
    ]);
    expect(insecureCrypto({ version: '3', v3: { user: 'u', level: 'authNoPriv', authProto: 'md5', privProto: 'des' } })).toEqual([
      'SNMPv3 without privacy',
      'MD5 authentication',
    ]);
    expect(insecureCrypto({ version: '3', v3: { user: 'u', level: 'authPriv', authProto: 'sha256', privProto: 'aes' } })).toEqual([]);
  });

  const cred = { version: '3' as const, v3: { user: 'monitor', level: 'authPriv' as const, authKey: 'auth-secret-1', privKey: 'priv-secret-2' } };
  it.each([
    [
      "Community 'c0mmunity' in request does not match community 'other' in response",
      ['c0mmunity'],
      "Community '***' in request does not match community '***' in response",
    ],
    [
      'Authentication digest 0a0b received in message does not match digest for auth-secret-1',
      secretsOf(cred),
      'Authentication digest 0a0b received in message does not match digest for ***',
    ],
    ['bad keys auth-secret-1/priv-secret-2 for user monitor', secretsOf(cred), 'bad keys ***/*** for user monitor'],
    ['Request timed out', ['x'], 'Request timed out'],
  ])('scrubs secrets from %s', (msg, secrets, expected) => expect(scrub(msg, secrets)).toBe(expected));
  it('the user name is not a secret', () => expect(secretsOf(cred)).toEqual(['auth-secret-1', 'priv-secret-2']));
});

describe('requests and retries (packets sent / retried)', () => {
  type Step = 'timeout' | 'fail' | 'ok';
  const script = (outcomes: Step[]) => {
    let i = 0;
    return async () => {
      const o = outcomes[i++];
      if (o === 'timeout') throw new SnmpError('Request timed out', 'timeout');
      if (o === 'fail') throw new SnmpError('NoSuchName: 1.3.6.1.2.1.1.9.0', 'failed', 2);
      return 'ok';
    };
  };
  it.each<[string, Step[], number, string, number, number]>([
    ['answered at once', ['ok'], 1, 'ok', 1, 0],
    ['two timeouts then an answer', ['timeout', 'timeout', 'ok'], 2, 'ok', 3, 2],
    ['timeouts beyond the retries', ['timeout', 'timeout', 'timeout'], 1, 'timeout', 2, 1],
    ['no retries', ['timeout', 'ok'], 0, 'timeout', 1, 0],
    ['an error response is not retried', ['fail', 'ok'], 3, 'failed', 1, 0],
  ])('%s', async (_n, outcomes, retries, result, sent, retried) => {
    const stats = newStats();
    const r = await withRetries(script(outcomes), retries, stats, new AbortController().signal).catch((e: SnmpError) => e.code);
    expect(r).toBe(result);
    expect(stats).toEqual({ packetsSent: sent, packetsRetried: retried, pdus: 0, varbinds: 0 });
  });
  it('sends nothing once aborted', async () => {
    const stats = newStats();
    await expect(withRetries(script(['ok']), 3, stats, AbortSignal.abort())).rejects.toThrow('poll aborted');
    expect(stats.packetsSent).toBe(0);
  });
  it.each([
    ['NoSuchName: 1.3.6.1.2.1.1.9.0', ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.9.0'], '1.3.6.1.2.1.1.9.0'],
    ['NoSuchName', ['1.3.6.1.2.1.1.3.0'], undefined],
    ['NoSuchName: 1.3.6.1.2.1.1.7.0', ['1.3.6.1.2.1.1.3.0'], undefined],
  ])('noSuchName OID of %s', (msg, asked, oid) => expect(noSuchNameOid(msg, asked)).toBe(oid));
  it.each([
    ['1.3.6.1.2.1.2.2.1.10.2', '1.3.6.1.2.1.2.2.1.10.10', -1],
    ['1.3.6.1.2.1.2.2.1.10', '1.3.6.1.2.1.2.2.1.10.1', -1],
    ['1.3.6.1.2.1.2.2.1.10.1', '1.3.6.1.2.1.2.2.1.10.1', 0],
    ['1.3.6.1.2.1.2.2.1.11.1', '1.3.6.1.2.1.2.2.1.10.9', 1],
    ['1.3.6.1.2.1.2.2.1.10.1', '1.3.6.1.2.1.2.2.1.10', 1],
    ['1.3.6.1.4.1.2011', '1.3.6.1.4.1.9', 1],
    ['1.3.6.1.4.1.9.1', '1.3.6.1.4.1.2011', -1],
  ])('OID order %s vs %s', (a, b, sign) => expect(Math.sign(compareOids(a, b))).toBe(sign));
});

describe('combined walks (several walks in one GETBULK)', () => {
  const vb = (oid: string, type: number = T.Integer): Varbind => ({ oid, type, value: type === T.EndOfMibView ? null : 1 });
  const eom = (oid: string) => vb(oid, T.EndOfMibView);
  const oids = (list: readonly Varbind[]) => list.map((v) => v.oid);
  /** Feed scripted responses; the requests' OIDs each time, then the walks' OIDs. */
  const run = (w: CombinedWalk, responses: Varbind[][]) => {
    const asked: string[][] = [];
    for (const r of responses) {
      const step = w.next()!;
      asked.push(step.oids);
      expect(w.feed(step, r, 0)).toBeUndefined();
    }
    return { asked, next: w.next()?.oids, walks: w.results().map(oids) };
  };
  it.each<[string, string[], Varbind[][], string[][], string[] | undefined, string[][]]>([
    [
      'row-major interleaving: repetition r of OID k is varbind r × K + k',
      ['1.1', '1.2'],
      [[vb('1.1.1'), vb('1.2.1'), vb('1.1.2'), vb('1.2.2'), vb('1.1.3'), vb('1.2.3')]],
      [['1.1', '1.2']],
      ['1.1.3', '1.2.3'],
      [
        ['1.1.1', '1.1.2', '1.1.3'],
        ['1.2.1', '1.2.2', '1.2.3'],
      ],
    ],
    [
      'a walk leaving its subtree mid-response ends; the next walk waiting takes its place',
      ['1.1', '1.2', '1.3'],
      [
        [vb('1.1.1'), vb('1.2.1'), vb('1.1.2'), vb('1.2.2'), vb('1.2.1'), vb('1.2.3')],
        [vb('1.2.4'), vb('1.3.1'), vb('1.4.1'), vb('1.3.2'), vb('1.4.1'), vb('1.3.3')],
      ],
      [
        ['1.1', '1.2'],
        ['1.2.3', '1.3'],
      ],
      ['1.3.3'],
      [
        ['1.1.1', '1.1.2'],
        ['1.2.1', '1.2.2', '1.2.3', '1.2.4'],
        ['1.3.1', '1.3.2', '1.3.3'],
      ],
    ],
    [
      'endOfMibView ends a walk (the agent repeats it in later repetitions)',
      ['1.1', '1.9'],
      [[vb('1.1.1'), vb('1.9.1'), vb('1.1.2'), eom('1.9.1'), vb('1.1.3'), eom('1.9.1')]],
      [['1.1', '1.9']],
      ['1.1.3'],
      [['1.1.1', '1.1.2', '1.1.3'], ['1.9.1']],
    ],
    [
      'a truncated response: each walk continues from its last varbind, one without any is asked again',
      ['1.1', '1.2'],
      [[vb('1.1.1'), vb('1.2.1'), vb('1.1.2')], [vb('1.1.3')]],
      [
        ['1.1', '1.2'],
        ['1.1.2', '1.2.1'],
      ],
      ['1.1.3', '1.2.1'],
      [['1.1.1', '1.1.2', '1.1.3'], ['1.2.1']],
    ],
    ['a response without any varbind for the walks: half the OIDs per request', ['1.1', '1.2'], [[]], [['1.1', '1.2']], ['1.1'], [[], []]],
  ])('%s', (_n, roots, responses, asked, next, walks) => {
    const r = run(new CombinedWalk(roots, 2, 3), responses);
    expect(r).toEqual({ asked, next, walks });
  });

  it('an empty response to one walk ends it (as it ends a single walk)', () => {
    const r = run(new CombinedWalk(['1.1', '1.2'], 1, 3), [[vb('1.1.1')], [], [vb('1.2.1'), vb('1.3.1')]]);
    expect(r).toEqual({ asked: [['1.1'], ['1.1.1'], ['1.2']], next: undefined, walks: [['1.1.1'], ['1.2.1']] });
  });

  it('an OID not after the one asked is an error naming the walk (a walk would loop forever)', () => {
    const w = new CombinedWalk(['1.1', '1.2'], 2, 3);
    const step = w.next()!;
    expect(w.feed(step, [vb('1.1.1'), vb('1.2.1')], 0)).toBeUndefined();
    expect(w.feed(w.next()!, [vb('1.1.2'), vb('1.2.1')], 0)).toBe('OID not increasing in walk of 1.2: 1.2.1 after 1.2.1');
  });

  it('non-repeaters before the walks are skipped (offset)', () => {
    const w = new CombinedWalk(['1.1'], 2, 2);
    const step = w.next()!;
    expect(w.feed(step, [vb('1.3.6.1.2.1.1.3.0', T.TimeTicks), vb('1.1.1'), vb('1.1.2')], 1)).toBeUndefined();
    expect(oids(w.results()[0]!)).toEqual(['1.1.1', '1.1.2']);
  });

  it('an error response halves the OIDs per request, down to one (the others wait their turn)', () => {
    const w = new CombinedWalk(['1.1', '1.2', '1.3', '1.4', '1.5'], 4, 10);
    let step = w.next()!;
    expect(step.oids).toEqual(['1.1', '1.2', '1.3', '1.4']);
    expect(w.shrink(step)).toBe(true);
    step = w.next()!;
    expect([w.oidsPerRequest, step.oids]).toEqual([2, ['1.1', '1.2']]);
    expect(w.shrink(step)).toBe(true);
    step = w.next()!;
    expect(step.oids).toEqual(['1.1']);
    // at one OID the error is that walk's: its cursor is not handed back
    expect(w.shrink(step)).toBe(false);
    w.feed(step, [vb('1.1.1'), vb('1.2.1')], 0);
    expect(w.next()!.oids).toEqual(['1.2']);
    expect(w.learn().perRequest).toBe(1);
  });

  it.each<[string, string[], Varbind[], string[]]>([
    [
      'ranges end exactly at their bound; the last one is open to the end of the subtree',
      ['1.1.2'],
      [vb('1.1.1'), vb('1.1.3'), vb('1.1.2'), vb('1.1.4'), vb('1.1.3'), vb('1.2.1')],
      ['1.1.1', '1.1.2', '1.1.3', '1.1.4'],
    ],
    [
      'a bound gone since the plan: the range ends at the first OID after it',
      ['1.1.2'],
      [vb('1.1.1'), vb('1.1.3'), vb('1.1.3'), vb('1.2.1')],
      ['1.1.1', '1.1.3'],
    ],
    [
      'rows added after the last bound are walked',
      ['1.1.1'],
      [vb('1.1.1'), vb('1.1.2'), vb('1.1.2'), vb('1.1.3'), vb('1.1.3'), vb('1.1.9')],
      ['1.1.1', '1.1.2', '1.1.3', '1.1.9'],
    ],
  ])('split by the previous poll: %s', (_n, bounds, response, walked) => {
    const plan: WalkPlan = { bounds: new Map([['1.1', bounds]]), size: 3, perRequest: 4 };
    const w = new CombinedWalk(['1.1'], 2, 3, plan);
    const step = w.next()!;
    expect(step.oids).toEqual(['1.1', bounds[0]]);
    expect(w.feed(step, response, 0)).toBeUndefined();
    const rest = w.next();
    if (rest) expect(w.feed(rest, [vb('1.2.1')], 0)).toBeUndefined();
    expect(w.next()).toBeUndefined();
    expect(oids(w.results()[0]!)).toEqual(walked);
  });

  /** A model agent (RFC 3416 §4.2.3 over a sorted MIB), trimming each response to `cap` varbinds as snmpsimd (64) and snmpd (100) do. */
  const agent = (mib: string[], cap: number) => (asked: string[], r: number) => {
    const out: Varbind[] = [];
    const last = [...asked];
    for (let rep = 0; rep < r; rep++)
      for (let k = 0; k < last.length; k++) {
        if (out.length >= cap) return out;
        // the first OID after last[k] (binary search of the sorted MIB)
        let lo = 0;
        let hi = mib.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (compareOids(mib[mid]!, last[k]!) > 0) hi = mid;
          else lo = mid + 1;
        }
        const next = mib[lo];
        out.push(next ? vb(next) : eom(last[k]!));
        if (next) last[k] = next;
      }
    return out;
  };
  const table = (root: string, cols: number, rows: number) =>
    Array.from({ length: cols * rows }, (_, i) => `${root}.${1 + Math.floor(i / rows)}.${1 + (i % rows)}`);
  it.each([
    // OIDs per request, max-repetitions, agent's cap, rows (22 + 19 columns); requests of 3 polls in a row, each split
    // as the previous one taught: at last ⌈varbinds ÷ min(cap, OIDs × repetitions)⌉ (+ 1 when a range's end needs one)
    [4, 25, 64, 10, [9, 9, 7]],
    [4, 25, 100, 10, [9, 5, 5]],
    [2, 25, 64, 10, [9, 9, 9]],
    [4, 10, 1000, 3, [7, 4, 4]],
    [1, 25, 64, 10, [17, 17, 17]],
    [4, 25, 64, 472, [416, 388, 303]],
  ])('%i OIDs × %i repetitions, agent trimming to %i, %i rows: the same varbinds, poll after poll', (per, reps, cap, rows, polls) => {
    const mib = [...table('1.3.6.1.2.1.2.2.1', 22, rows), ...table('1.3.6.1.2.1.31.1.1.1', 19, rows), '1.3.6.1.2.1.47.1.1.1.1.2.1'];
    const roots = ['1.3.6.1.2.1.2.2.1', '1.3.6.1.2.1.31.1.1.1'];
    const answer = agent(mib, cap);
    let plan: WalkPlan | undefined;
    const requests: number[] = [];
    for (let poll = 0; poll < 3; poll++) {
      const w = new CombinedWalk(roots, per, reps, plan);
      requests.push(0);
      for (let step = w.next(); step; step = w.next()) {
        requests[poll]!++;
        expect(w.feed(step, answer(step.oids, reps), 0)).toBeUndefined();
      }
      expect(w.results().map(oids)).toEqual(roots.map((root) => mib.filter((o) => o.startsWith(`${root}.`))));
      plan = w.learn();
    }
    expect(requests).toEqual(polls);
  });

  it.each([
    [1, 59],
    [3, 59],
    [4, 472],
  ])('%i requests in flight at once, answered in any order: the same varbinds (%i rows, trimming to 64)', (inFlight, rows) => {
    const mib = [...table('1.3.6.1.2.1.2.2.1', 22, rows), ...table('1.3.6.1.2.1.31.1.1.1', 19, rows), '1.3.6.1.2.1.47.1.1.1.1.2.1'];
    const roots = ['1.3.6.1.2.1.2.2.1', '1.3.6.1.2.1.31.1.1.1'];
    const answer = agent(mib, 64);
    let plan: WalkPlan | undefined;
    for (let poll = 0; poll < 3; poll++) {
      const w = new CombinedWalk(roots, 4, 25, plan);
      let maxFlight = 0;
      for (;;) {
        const flight = [];
        for (let step = w.next(); step; step = flight.length < inFlight ? w.next() : undefined) flight.push(step);
        if (!flight.length) break;
        maxFlight = Math.max(maxFlight, flight.length);
        // the last sent answered first
        for (const step of flight.reverse()) expect(w.feed(step, answer(step.oids, 25), 0)).toBeUndefined();
      }
      expect(w.results().map(oids)).toEqual(roots.map((root) => mib.filter((o) => o.startsWith(`${root}.`))));
      // with the previous poll's ranges there is something for every request in flight
      if (poll > 0) expect(maxFlight).toBe(inFlight);
      plan = w.learn();
    }
  });

  it.each([
    [7, 3, ['o3', 'o6']],
    [6, 3, ['o3', 'o6']],
    [2, 3, []],
  ])('learnBounds: %i OIDs in ranges of %i', (n, size, bounds) => {
    const walked = [Array.from({ length: n }, (_, i) => vb(`o${i + 1}`))];
    expect(learnBounds(['r'], walked, size).get('r') ?? []).toEqual(bounds);
  });

  it('scalars as non-repeaters: GETNEXT of x for x.0; one the GETNEXT passed is noSuchObject, as a GET says', () => {
    expect(nonRepeaterOids(['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0'])).toEqual(['1.3.6.1.2.1.1.3', '1.3.6.1.2.1.1.5']);
    expect(nonRepeaterOids(['1.3.6.1.2.1.1.3.0', '1.3.6.1.4.1.9.2.1.58'])).toBeUndefined();
    expect(
      scalarsFromNonRepeaters(
        ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.99.0', '1.3.6.1.9.0'],
        [vb('1.3.6.1.2.1.1.3.0', T.TimeTicks), vb('1.3.6.1.2.1.2.1.0'), eom('1.3.6.1.9')],
      ),
    ).toEqual([
      vb('1.3.6.1.2.1.1.3.0', T.TimeTicks),
      { oid: '1.3.6.1.2.1.1.99.0', type: T.NoSuchObject, value: null },
      { oid: '1.3.6.1.9.0', type: T.NoSuchObject, value: null },
    ]);
  });
});

describe('firmware from sysDescr', () => {
  it.each([
    [
      'Huawei Versatile Routing Platform Software\r\nVRP (R) software, Version 5.170 (S5720 V200R011C10SPC500)\r\nCopyright (C) 2000-2018 HUAWEI TECH CO., LTD',
      { vendor: 'huawei', os: 'VRP', version: 'V200R011C10SPC500', platform: '5.170' },
    ],
    [
      'Huawei Versatile Routing Platform Software VRP (R) software, Version 8.180 (CE6881 V200R005C10SPC800)',
      { vendor: 'huawei', os: 'VRP', version: 'V200R005C10SPC800', platform: '8.180' },
    ],
    [
      'H3C Comware Platform Software, Software Version 7.1.070, Release 6616 H3C S6520X-30QC-EI',
      { vendor: 'h3c', os: 'Comware', version: '6616', platform: '7.1.070' },
    ],
    [
      'H3C Comware Platform Software, Software Version 5.20.99, Release 1120P07\r\nH3C S5120-28C-EI',
      { vendor: 'h3c', os: 'Comware', version: '1120P07', platform: '5.20.99' },
    ],
    ['Ruijie Networks RG-S2910-24GT4XS-E, RGOS 11.4(1)B70P2', { vendor: 'ruijie', os: 'RGOS', version: '11.4(1)B70P2' }],
    [
      'Ruijie Full Gigabit Security & Intelligent Access Switch(S2928G-E V3) By Ruijie Networks (RGOS 10.4(3b19)p2)',
      { vendor: 'ruijie', os: 'RGOS', version: '10.4(3b19)p2' },
    ],
    [
      'Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE10, RELEASE SOFTWARE (fc2)\r\nTechnical Support: http://www.cisco.com/techsupport',
      { vendor: 'cisco', os: 'IOS', version: '12.2(55)SE10' },
    ],
    [
      'Cisco IOS Software [Amsterdam], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.3.4, RELEASE SOFTWARE (fc3)',
      { vendor: 'cisco', os: 'IOS-XE', version: '17.3.4' },
    ],
    ['Linux xunjian 6.1.0 #1 SMP x86_64', null],
    ['', null],
  ])('%s', (d, fw) => expect(parseFirmware(d)).toEqual(fw));
});

describe('config validation names file, key and expectation', () => {
  const load = (yaml: string): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'xj-snmpcfg-')), 'agent.yaml');
    writeFileSync(file, yaml);
    try {
      loadAgentConfig(file, {});
      return 'ok';
    } catch (e) {
      if (e instanceof ConfigError) return e.message.replace(file, 'FILE');
      throw e;
    }
  };
  const snmp = (cred: string, target = '{ name: a, address: "udp://127.0.0.1", credential: c }') =>
    `sources:\n  snmp:\n    credentials:\n      c: ${cred}\n    targets:\n      - ${target}\n`;
  it.each([
    ['version 3 without v3', snmp('{ version: "3" }'), "config error in FILE: sources.snmp.credentials.c: missing required key 'v3'"],
    [
      'authNoPriv without authKey',
      snmp('{ version: "3", v3: { user: u, level: authNoPriv } }'),
      "config error in FILE: sources.snmp.credentials.c.v3: missing required key 'authKey'",
    ],
    [
      'authPriv without privKey',
      snmp('{ version: "3", v3: { user: u, level: authPriv, authKey: "abcdefgh" } }'),
      "config error in FILE: sources.snmp.credentials.c.v3: missing required key 'privKey'",
    ],
    [
      'short authKey (value not echoed)',
      snmp('{ version: "3", v3: { user: u, level: authPriv, authKey: "short7!", privKey: "abcdefgh" } }'),
      'config error in FILE: sources.snmp.credentials.c.v3.authKey: expected a value that must NOT have fewer than 8 characters',
    ],
    [
      'unknown auth protocol',
      snmp('{ version: "3", v3: { user: u, level: authNoPriv, authProto: sha1, authKey: "abcdefgh" } }'),
      "config error in FILE: sources.snmp.credentials.c.v3.authProto: expected one of 'md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512', got 'sha1'",
    ],
    [
      'reserved target label',
      snmp('{ version: "2c", community: x }', '{ name: a, address: "udp://127.0.0.1", credential: c, labels: { ifName: x } }'),
      `config error in FILE: sources.snmp.targets.0.labels: invalid key name 'ifName': expected a name matching ^(?!(?:${RESERVED_LABELS.join('|')})$)[A-Za-z_][A-Za-z0-9_]*$`,
    ],
    ['noAuthNoPriv needs no keys', snmp('{ version: "3", v3: { user: u, level: noAuthNoPriv } }'), 'ok'],
    [
      'authPriv with both keys',
      snmp('{ version: "3", v3: { user: u, level: authPriv, authProto: sha256, authKey: "abcdefgh", privProto: aes256b, privKey: "12345678" } }'),
      'ok',
    ],
    [
      'a free target label',
      snmp('{ version: "2c", community: x }', '{ name: a, address: "udp://127.0.0.1", credential: c, labels: { device_site: 城关镇 } }'),
      'ok',
    ],
    [
      'site: the collector sets it from node.site (would become exported_site)',
      snmp('{ version: "2c", community: x }', '{ name: a, address: "udp://127.0.0.1", credential: c, labels: { site: 城关镇 } }'),
      "config error in FILE: sources.snmp.targets.0.labels.site: a label the collector does not set itself: 'site' comes from the node (node.site) on every series of this node, so the collector would rename this one exported_site; use another name (e.g. device_site)",
    ],
    [
      'a key of node.labels',
      `node:\n  labels: { region: east }\n${snmp('{ version: "2c", community: x }', '{ name: a, address: "udp://127.0.0.1", credential: c, labels: { region: west } }')}`,
      "config error in FILE: sources.snmp.targets.0.labels.region: a label the collector does not set itself: 'region' comes from the node (node.labels.region) on every series of this node, so the collector would rename this one exported_region; use another name (e.g. device_region)",
    ],
  ])('%s', (_n, yaml, expected) => expect(load(yaml)).toBe(expected));
  it('DES privacy is refused at load: OpenSSL 3 in Node.js 20 has no des-cbc', () => {
    expect(DES_AVAILABLE).toBe(false);
    expect(load(snmp('{ version: "3", v3: { user: u, level: authPriv, authProto: md5, authKey: "abcdefgh", privProto: des, privKey: "12345678" } }'))).toBe(
      "config error in FILE: sources.snmp.credentials.c.v3.privProto: expected aes, aes256b or aes256r (DES is unavailable: this Node.js's OpenSSL 3 has no des-cbc), got 'des'",
    );
  });
  it('reserved labels cover every index and lookup label of the built-in profiles', () => {
    const used = new Set<string>();
    for (const p of loadProfiles().values())
      for (const t of p.tables ?? []) for (const l of [...t.indexes.map((i) => i.label), ...Object.keys(t.lookups ?? {})]) used.add(l);
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((l) => !(RESERVED_LABELS as readonly string[]).includes(l))).toEqual([]);
  });
});

describe('counters', () => {
  it.each<[string, bigint, bigint, 32 | 64, number | undefined, bigint | undefined]>([
    ['64-bit increase', 100n, 150n, 64, undefined, 50n],
    ['Counter64 backwards: reset', 500n, 100n, 64, 7.5e9, undefined],
    ['32-bit wrap within what 100 Mbit/s carries in 60 s', 4294967000n, 200n, 32, 7.5e8, 496n],
    ['32-bit wrap at exactly 1.05 × the link maximum', 2n ** 32n - 1000n, 50n, 32, 1000, 1050n],
    ['32-bit backwards beyond 1.05 × the link maximum: reset', 2n ** 32n - 1000n, 51n, 32, 1000, undefined],
    ['32-bit backwards, speed unknown: a wrap cannot be told from a reset', 4294967000n, 200n, 32, undefined, undefined],
    ['32-bit forward, speed unknown', 1000n, 3000n, 32, undefined, 2000n],
    ['32-bit, several wraps possible in the interval: no delta even forward', 1000n, 3000n, 32, 2 ** 32, undefined],
    ['unchanged', 0n, 0n, 32, 7.5e8, 0n],
  ])('%s', (_n, a, b, bits, most, d) => expect(counterDelta(a, b, bits, most)).toBe(d));
  it('computes exact rates from centiseconds', () => {
    expect(rate(750n, 8n, 6000)).toBe(100); // 750 octets in 60 s = 100 bit/s
    expect(rate(1n, 1n, 300)).toBe(0.333333);
    expect(rate(2n ** 60n, 8n, 100)).toBe(2 ** 63);
  });
});

describe('uptime interval and reboots', () => {
  const W = 2 ** 32;
  it.each<[string, [number, number], [number, number], number | 'reboot']>([
    ['60 s of uptime in 60 s of wall clock', [1000, 0], [7000, 60_000], 6000],
    ['uptime 3 s short of the wall clock (within 5 s + 5 %)', [0, 0], [5700, 60_000], 5700],
    ['sysUpTime backwards', [90_000, 0], [500, 60_000], 'reboot'],
    ['uptime advanced 20 s in 10 min: rebooted and ran', [1000, 0], [3000, 600_000], 'reboot'],
    ['TimeTicks wrap at 2^32 agreeing with the wall clock', [W - 3000, 0], [3000, 60_000], 6000],
    ['TimeTicks wrap that the wall clock contradicts', [W - 3000, 0], [3000, 600_000], 'reboot'],
    ['static uptime (simulator) within the tolerance: wall clock', [5, 0], [5, 300], 30],
    ['static uptime far beyond the tolerance: reboot', [5, 0], [5, 60_000], 'reboot'],
  ])('%s', (_n, [pu, pa], [cu, ca], expected) => expect(uptimeInterval({ uptime: pu, at: pa }, { uptime: cu, at: ca })).toBe(expected));
});

const iface = (over: Partial<IfCounters> = {}): IfCounters => ({
  name: 'GE0/0/1',
  bits: 64,
  inOctets: 0n,
  outOctets: 0n,
  inErrors: 0n,
  outErrors: 0n,
  inDiscards: 0n,
  outDiscards: 0n,
  speedMbps: 1000,
  operStatus: 1,
  ...over,
});
/** Counters of an ifTable-only interface (no ifXTable): 32-bit octets, speed from ifSpeed. */
const if32 = (over: Partial<IfCounters> = {}) =>
  iface({ bits: 32, inErrors: undefined, outErrors: undefined, inDiscards: undefined, outDiscards: undefined, speedMbps: 100, ...over });
/** A snapshot; the wall clock agrees with the uptime unless given. */
const snap = (uptime: number, ifs: Record<string, IfCounters>, at = uptime * 10): Snapshot => ({ uptime, at, ifs: new Map(Object.entries(ifs)) });
const labels = (ix: string) => ({ ifIndex: ix });
const values = (r: ReturnType<typeof deriveLinkHealth>) => Object.fromEntries(r.samples.map((s) => [`${s.name}{${s.labels.ifIndex}}`, s.value]));
const flapsOnly = (ix: string, n = 0) => ({ [`xunjian_link_oper_status_changes_total{${ix}}`]: n });
const zeroErrors = (ix: string) => ({
  [`xunjian_link_in_errors_per_second{${ix}}`]: 0,
  [`xunjian_link_out_errors_per_second{${ix}}`]: 0,
  [`xunjian_link_in_discards_per_second{${ix}}`]: 0,
  [`xunjian_link_out_discards_per_second{${ix}}`]: 0,
});

describe('link health', () => {
  it.each<[string, Snapshot, Snapshot, Record<string, number>, string | undefined]>([
    [
      '64-bit rates and utilization over 60 s of device uptime',
      snap(1000, { 1: iface({ inOctets: 1_000_000n, outOctets: 0n, inErrors: 5n }) }),
      snap(7000, { 1: iface({ inOctets: 1_000_000n + 7_500_000_000n, outOctets: 750n, inErrors: 65n }) }),
      {
        ...flapsOnly('1'),
        'xunjian_link_in_bits_per_second{1}': 1_000_000_000,
        'xunjian_link_in_utilization_ratio{1}': 1,
        'xunjian_link_out_bits_per_second{1}': 100,
        'xunjian_link_out_utilization_ratio{1}': 1e-7,
        ...zeroErrors('1'),
        'xunjian_link_in_errors_per_second{1}': 1,
      },
      undefined,
    ],
    [
      '32-bit wrap (no ifXTable, ifSpeed 100 Mbit/s): 7.5 MB in 60 s is plausible, the true rate',
      snap(0, { 2: if32({ inOctets: 2n ** 32n - 2_500_000n }) }),
      snap(6000, { 2: if32({ inOctets: 5_000_000n }) }),
      {
        ...flapsOnly('2'),
        'xunjian_link_in_bits_per_second{2}': 1_000_000,
        'xunjian_link_in_utilization_ratio{2}': 0.01,
        'xunjian_link_out_bits_per_second{2}': 0,
        'xunjian_link_out_utilization_ratio{2}': 0,
      },
      undefined,
    ],
    [
      '32-bit reset (a wrap would mean 172 Mbit/s on a 100 Mbit/s link): no rate',
      snap(0, { 2: if32({ inOctets: 3_000_000_000n, outOctets: 10n }) }),
      snap(6000, { 2: if32({ inOctets: 1000n, outOctets: 20n }) }),
      flapsOnly('2'),
      undefined,
    ],
    [
      '32-bit counter backwards with no known speed: no rate',
      snap(0, { 2: if32({ inOctets: 4294967000n, speedMbps: undefined }) }),
      snap(6000, { 2: if32({ inOctets: 200n, speedMbps: undefined }) }),
      flapsOnly('2'),
      undefined,
    ],
    [
      '32-bit, 10 min gap at 100 Mbit/s (several wraps possible): no rate even though the counter rose',
      snap(0, { 2: if32({ inOctets: 1000n, outOctets: 1000n }) }),
      snap(60_000, { 2: if32({ inOctets: 2000n, outOctets: 2000n }) }),
      flapsOnly('2'),
      undefined,
    ],
    [
      'Counter64 reset with the error counters reset too: no rate of the interface',
      snap(1000, { 1: iface({ inOctets: 10n ** 12n, outOctets: 10n ** 11n, inErrors: 1000n, inDiscards: 400n }) }),
      snap(7000, { 1: iface({ inOctets: 500n, outOctets: 300n, inErrors: 3n, inDiscards: 0n }) }),
      flapsOnly('1'),
      undefined,
    ],
    [
      'one Counter64 backwards, the other forward: no rate of the interface at all',
      snap(100, { 1: iface({ inOctets: 5000n, outOctets: 100n }) }),
      snap(200, { 1: iface({ inOctets: 10n, outOctets: 200n }) }),
      flapsOnly('1'),
      undefined,
    ],
    [
      'Counter32 errors reset beside rising Counter64 octets: no rate of the interface',
      snap(1000, { 1: iface({ inOctets: 1000n, inErrors: 1_000_000n }) }),
      snap(7000, { 1: iface({ inOctets: 2000n, inErrors: 5n }) }),
      flapsOnly('1'),
      undefined,
    ],
    [
      'Counter32 error counter wrap (16 errors in 60 s at 1 Gbit/s): exact rate',
      snap(1000, { 1: iface({ inErrors: 4294967290n }) }),
      snap(7000, { 1: iface({ inErrors: 10n }) }),
      {
        ...flapsOnly('1'),
        'xunjian_link_in_bits_per_second{1}': 0,
        'xunjian_link_in_utilization_ratio{1}': 0,
        'xunjian_link_out_bits_per_second{1}': 0,
        'xunjian_link_out_utilization_ratio{1}': 0,
        ...zeroErrors('1'),
        'xunjian_link_in_errors_per_second{1}': 0.266666,
      },
      undefined,
    ],
    [
      'switch from 32-bit (ifTable) to 64-bit (ifXTable) counters: baseline only',
      snap(1000, { 3: if32({ inOctets: 4000n }) }),
      snap(7000, { 3: iface({ inOctets: 9_000_000n }) }),
      flapsOnly('3'),
      undefined,
    ],
    [
      'reboot (sysUpTime backwards): no spike, new baseline',
      snap(90000, { 1: iface({ inOctets: 10n ** 12n }) }),
      snap(500, { 1: iface({ inOctets: 1000n }) }, 906_000),
      flapsOnly('1'),
      'reboot',
    ],
    [
      'reboot seen as uptime lagging the wall clock (20 s of uptime in 10 min): no rate',
      snap(1000, { 1: iface({ inOctets: 100n }) }, 0),
      snap(3000, { 1: iface({ inOctets: 10n ** 9n }) }, 600_000),
      flapsOnly('1'),
      'reboot',
    ],
    [
      'TimeTicks wrap at 2^32 with the wall clock agreeing: rates go on',
      snap(2 ** 32 - 3000, { 1: iface({ inOctets: 0n, outOctets: 0n }) }, 0),
      snap(3000, { 1: iface({ inOctets: 750n, outOctets: 0n }) }, 60_000),
      {
        ...flapsOnly('1'),
        'xunjian_link_in_bits_per_second{1}': 100,
        'xunjian_link_in_utilization_ratio{1}': 1e-7,
        'xunjian_link_out_bits_per_second{1}': 0,
        'xunjian_link_out_utilization_ratio{1}': 0,
        ...zeroErrors('1'),
      },
      undefined,
    ],
    [
      'ifIndex renumbered to another interface: baseline only',
      snap(100, { 5: iface({ name: 'GE0/0/5', inOctets: 10n ** 9n }) }),
      snap(200, { 5: iface({ name: 'GE0/0/9', inOctets: 10n }) }),
      flapsOnly('5'),
      undefined,
    ],
    [
      'counter discontinuity time changed: no rate',
      snap(100, { 1: iface({ inOctets: 1n, discontinuity: 0 }) }),
      snap(200, { 1: iface({ inOctets: 2n, discontinuity: 150 }) }),
      flapsOnly('1'),
      undefined,
    ],
  ])('%s', (_n, a, b, expected, event) => {
    const st: LinkState = { flaps: new Map() };
    expect(deriveLinkHealth(st, a, labels, 0).event).toBe('no_baseline');
    const r = deriveLinkHealth(st, b, labels, 0);
    expect(r.event).toBe(event);
    expect(values(r)).toEqual(expected);
  });

  const run = (st: LinkState, polls: Record<string, IfCounters>[]) => polls.map((ifs, i) => values(deriveLinkHealth(st, snap(6000 * (i + 1), ifs), labels, 0)));
  it('counts oper-status changes (flaps) across polls', () => {
    const st: LinkState = { flaps: new Map() };
    const out = run(
      st,
      [1, 2, 2, 1, 2].map((s) => ({ 1: iface({ operStatus: s }) })),
    );
    expect(out.map((v) => v['xunjian_link_oper_status_changes_total{1}'])).toEqual([0, 1, 1, 2, 3]);
  });
  it('a renumbered ifIndex starts from 0, not with the old interface count', () => {
    const st: LinkState = { flaps: new Map() };
    const out = run(st, [
      { 7: iface({ name: 'GE0/0/7', operStatus: 1 }) },
      { 7: iface({ name: 'GE0/0/7', operStatus: 2 }) },
      { 7: iface({ name: 'GE0/0/8', operStatus: 1 }) },
    ]);
    expect(out.map((v) => v['xunjian_link_oper_status_changes_total{7}'])).toEqual([0, 1, 0]);
  });
  it('forgets removed interfaces', () => {
    const st: LinkState = { flaps: new Map() };
    const out = run(st, [
      { 1: iface(), 2: iface({ name: 'x', operStatus: 1 }) },
      { 1: iface(), 2: iface({ name: 'x', operStatus: 2 }) },
      { 1: iface() },
      { 1: iface(), 2: iface({ name: 'x', operStatus: 1 }) },
    ]);
    expect(out.map((v) => v['xunjian_link_oper_status_changes_total{2}'])).toEqual([0, 1, undefined, 0]);
    expect([...st.flaps.keys()]).toEqual(['1', '2']);
  });
  it('ifLastChange moving while the status is the same counts down and up within the interval', () => {
    const st: LinkState = { flaps: new Map() };
    const out = run(st, [
      { 1: iface({ lastChange: 100 }) },
      { 1: iface({ lastChange: 100 }) },
      { 1: iface({ lastChange: 9000 }) },
      { 1: iface({ operStatus: 2, lastChange: 15000 }) },
    ]);
    expect(out.map((v) => v['xunjian_link_oper_status_changes_total{1}'])).toEqual([0, 0, 2, 3]);
  });
  it('a reboot restarts the flap counts (ifLastChange is relative to the new uptime)', () => {
    const st: LinkState = { flaps: new Map() };
    deriveLinkHealth(st, snap(6000, { 1: iface({ operStatus: 1, lastChange: 10 }) }), labels, 0);
    deriveLinkHealth(st, snap(12000, { 1: iface({ operStatus: 2, lastChange: 11000 }) }), labels, 0);
    const r = deriveLinkHealth(st, snap(300, { 1: iface({ operStatus: 1, lastChange: 200 }) }, 180_000), labels, 0);
    expect(r.event).toBe('reboot');
    expect(values(r)).toEqual(flapsOnly('1'));
  });
});
