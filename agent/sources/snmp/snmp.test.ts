import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.js';
import { BIN } from '../../../test/helpers/proc.js';
import { COMMUNITY, type Peer, V3, V3_USERS, startRelay, startSnmpd, startSnmpsim } from '../../../test/helpers/snmp-peers.js';
import { type Credential, SessionKeeper, openScraper, parseEndpoint } from './client.js';
import type { SnmpSourceConfig } from './config.js';
import { scrapeDevice } from './device.js';
import { SYS_UPTIME, type Walked, getAll } from './poll.js';
import { loadProfiles } from './profiles.js';
import { Semaphore } from '../../../lib/semaphore.js';
import { runSource } from '../../runtime/agent.js';
import { SourceConfigError } from '../../source.js';
import { createSnmpSource, createSnmpSources } from './source.js';
import { type LinkState, deriveLinkHealth } from './linkhealth.js';
import { interfaceSnapshot } from './snapshot.js';
import { bigValue } from './values.js';

/** Against real peers: Debian's snmpd (v2c, v3 authPriv; IPv4 and IPv6) and snmpsimd with recordings. */
const cisco = '/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz';
const testdata = (n: string) => fileURLToPath(new URL(`./testdata/${n}.snmprec`, import.meta.url));
let snmpd: Peer;
let sim: Peer;
let c3750: string;
const profiles = loadProfiles();
const log = createLogger({ level: 'error' });

beforeAll(async () => {
  const { gunzipSync } = await import('node:zlib');
  const { readFileSync, writeFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  c3750 = join(mkdtempSync(join(tmpdir(), 'xj-rec-')), 'cisco.snmprec');
  writeFileSync(c3750, gunzipSync(readFileSync(cisco)));
  [snmpd, sim] = await Promise.all([
    startSnmpd(),
    startSnmpsim({
      cisco: c3750,
      huawei: testdata('huawei'),
      h3c: testdata('h3c'),
      ruijie: testdata('ruijie'),
      public: testdata('ruijie'),
      rate0: testdata('rate-t0'),
      rate1: testdata('rate-t1'),
    }),
  ]);
}, 90_000);
afterAll(async () => {
  await Promise.all([snmpd?.stop(), sim?.stop()]);
});

const opts = (target: string, credential: Parameters<typeof scrapeDevice>[0]['credential'], use?: string[]) => ({
  endpoint: parseEndpoint(target),
  credential,
  timeoutMs: 3000,
  retries: 1,
  maxRepetitions: 25,
  walkConcurrency: 4,
  profiles,
  use,
  labels: { target: 't' },
});
const find = (r: Awaited<ReturnType<typeof scrapeDevice>>, name: string, labels: Record<string, string> = {}) =>
  r.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe('snmpd', () => {
  it.each([
    ['v2c over IPv4', () => `udp://127.0.0.1:${snmpd.port}`, { version: '2c' as const, community: COMMUNITY }],
    ['v2c over IPv6', () => `udp6://[::1]:${snmpd.port}`, { version: '2c' as const, community: COMMUNITY }],
    [
      'v3 authPriv SHA/AES over IPv6',
      () => `udp6://[::1]:${snmpd.port}`,
      {
        version: '3' as const,
        v3: { user: V3.user, level: 'authPriv' as const, authProto: 'sha' as const, authKey: V3.authKey, privProto: 'aes' as const, privKey: V3.privKey },
      },
    ],
    [
      'v3 authPriv SHA/AES over IPv4',
      () => `udp://127.0.0.1:${snmpd.port}`,
      {
        version: '3' as const,
        v3: { user: V3.user, level: 'authPriv' as const, authProto: 'sha' as const, authKey: V3.authKey, privProto: 'aes' as const, privKey: V3.privKey },
      },
    ],
    [
      'v3 authPriv SHA-256/AES-256 (Blumenthal) over IPv4',
      () => `udp://127.0.0.1:${snmpd.port}`,
      {
        version: '3' as const,
        v3: {
          user: V3_USERS.sha256aes256.user,
          level: 'authPriv' as const,
          authProto: 'sha256' as const,
          authKey: V3_USERS.sha256aes256.authKey,
          privProto: 'aes256b' as const,
          privKey: V3_USERS.sha256aes256.privKey,
        },
      },
    ],
    [
      'v3 authNoPriv SHA-512 over IPv6',
      () => `udp6://[::1]:${snmpd.port}`,
      {
        version: '3' as const,
        v3: { user: V3_USERS.sha512auth.user, level: 'authNoPriv' as const, authProto: 'sha512' as const, authKey: V3_USERS.sha512auth.authKey },
      },
    ],
    [
      'v3 authNoPriv MD5 over IPv4',
      () => `udp://127.0.0.1:${snmpd.port}`,
      {
        version: '3' as const,
        v3: { user: V3_USERS.md5auth.user, level: 'authNoPriv' as const, authProto: 'md5' as const, authKey: V3_USERS.md5auth.authKey },
      },
    ],
    [
      'v3 noAuthNoPriv over IPv4',
      () => `udp://127.0.0.1:${snmpd.port}`,
      { version: '3' as const, v3: { user: V3_USERS.none.user, level: 'noAuthNoPriv' as const } },
    ],
    ['v1 over IPv4', () => `udp://127.0.0.1:${snmpd.port}`, { version: '1' as const, community: COMMUNITY }],
  ])('%s: system, interfaces and host resources', async (_n, target, cred) => {
    const r = await scrapeDevice(opts(target(), cred));
    expect(r.error).toBeUndefined();
    expect(r.sysObjectID).toBe('1.3.6.1.4.1.8072.3.2.10');
    expect(r.profiles).toEqual(['host_resources', 'if_mib', 'ip_mib', 'system']);
    expect(find(r, 'sysName')[0]!.labels).toEqual({ target: 't', sysName: 'xunjian-test' });
    const lo = find(r, 'ifInOctets', { ifDescr: 'lo' });
    expect(lo).toHaveLength(1);
    expect(Object.keys(lo[0]!.labels)).toEqual(['ifIndex', 'ifAlias', 'ifDescr', 'ifName', 'target']);
    expect(find(r, 'hrStorageSize', { hrStorageDescr: 'Physical memory' })[0]!.value).toBeGreaterThan(0);
    // ip_mib: per-interface IPv6 statistics (the profile keeps ipVersion 2 only) and the address table
    if (cred.version !== '1') {
      // (SNMPv1 has no Counter64: snmpd leaves these out of v1 answers)
      const v6stats = find(r, 'ipIfStatsHCInReceives');
      expect(new Set(v6stats.map((x) => x.labels.ipIfStatsIPVersion))).toEqual(new Set(['2']));
      expect(find(r, 'ipIfStatsHCInReceives', { ipIfStatsIfIndex: '1' })[0]!.labels).toEqual({
        ipIfStatsIPVersion: '2',
        ipIfStatsIfIndex: '1',
        ifName: 'lo',
        target: 't',
      });
    }
    expect(find(r, 'ipAddressIfIndex', { ipAddressAddrType: '1', ipAddressAddr: '127.0.0.1' }).map((x) => x.value)).toEqual([1]);
    expect(find(r, 'ipAddressIfIndex', { ipAddressAddrType: '2', ipAddressAddr: '::1' }).map((x) => x.value)).toEqual([1]);
    expect(find(r, 'ipAddressType', { ipAddressAddr: '127.0.0.1' }).map((x) => x.value)).toEqual([1]);
    expect(r.stats.packetsRetried).toBe(0);
    expect(r.stats.packetsSent).toBe(r.stats.pdus + (cred.version === '3' ? 1 : 0)); // v3: engine discovery
  });

  it('polls a host name resolving to ::1 only over udp6', async () => {
    const lookup = async (host: string, family: 0 | 4 | 6) => (host === 'v6only.test' && family !== 4 ? [{ address: '::1', family: 6 }] : []);
    const r = await scrapeDevice({ ...opts(`udp://v6only.test:${snmpd.port}`, { version: '2c', community: COMMUNITY }, ['system']), lookup });
    expect(r.error).toBeUndefined();
    expect(find(r, 'sysName')[0]!.labels.sysName).toBe('xunjian-test');
  });

  it.each<[string, Credential, string]>([
    ['wrong community (snmpd stays silent)', { version: '2c', community: 'wrong-community-777' }, 'Request timed out'],
    [
      'wrong v3 auth key',
      { version: '3', v3: { user: V3.user, level: 'authPriv', authProto: 'sha', authKey: 'wrong-key-999', privProto: 'aes', privKey: V3.privKey } },
      '',
    ],
    [
      'wrong v3 priv key',
      { version: '3', v3: { user: V3.user, level: 'authPriv', authProto: 'sha', authKey: V3.authKey, privProto: 'aes', privKey: 'wrong-priv-888' } },
      '',
    ],
  ])('%s: the error names no secret', async (_n, cred, exact) => {
    const r = await scrapeDevice({ ...opts(`udp://127.0.0.1:${snmpd.port}`, cred, ['system']), timeoutMs: 500, retries: 0 });
    expect(r.ok).toBe(false);
    if (exact) expect(r.error).toBe(exact);
    expect(r.error!.length).toBeGreaterThan(0);
    for (const secret of [cred.community, cred.v3?.authKey, cred.v3?.privKey]) if (secret) expect(r.error).not.toContain(secret);
  });

  it('SNMPv1: a missing scalar (noSuchName) is dropped and the others are read', async () => {
    const s = openScraper(
      { host: '127.0.0.1', port: snmpd.port, transport: 'udp4' },
      { version: '1', community: COMMUNITY },
      { timeoutMs: 2000, retries: 0, maxRepetitions: 1 },
    );
    try {
      const vbs = await getAll(s, [SYS_UPTIME, '1.3.6.1.2.1.1.99.0', '1.3.6.1.2.1.1.5.0']);
      expect(vbs.map((v) => v.oid)).toEqual([SYS_UPTIME, '1.3.6.1.2.1.1.5.0']);
      expect(String(vbs[1]!.value)).toBe('xunjian-test');
      expect(s.stats.packetsSent).toBe(2);
    } finally {
      s.close();
    }
  });

  it.each<[string, Credential, number]>([
    ['v2c', { version: '2c', community: COMMUNITY }, 0],
    [
      'v3 (engine discovery is one more packet)',
      { version: '3', v3: { user: V3.user, level: 'authPriv', authProto: 'sha', authKey: V3.authKey, privProto: 'aes', privKey: V3.privKey } },
      1,
    ],
  ])('%s: counts packets and retries exactly when a relay drops the first 2 requests', async (_n, cred, discovery) => {
    const relay = await startRelay(snmpd.port, { dropFirst: 2 });
    try {
      const r = await scrapeDevice({ ...opts(`udp://127.0.0.1:${relay.port}`, cred, ['system']), timeoutMs: 300, retries: 2 });
      expect(r.error).toBeUndefined();
      expect(r.stats.packetsRetried).toBe(2);
      expect(r.stats.packetsSent).toBe(relay.received());
      expect(r.stats.packetsSent).toBe(r.stats.pdus + 2 + discovery);
    } finally {
      await relay.stop();
    }
  });

  it.each([
    // sysUpTime as a non-repeater of one GETBULK with the ifTable and ifXTable walks' OIDs
    ['combined (default)', 4, 1],
    // GET (sysUpTime) + the ifTable and ifXTable walks, each sent once, at once
    ['walkOidsPerRequest 1: the scalars GET goes out beside the walks', 1, 3],
  ])('v2c, %s: what a dead device gets', async (_n, walkOidsPerRequest, packets) => {
    const r = await scrapeDevice({
      ...opts('udp://127.0.0.1:9', { version: '2c', community: COMMUNITY }, ['if_mib']),
      walkOidsPerRequest,
      timeoutMs: 400,
      retries: 0,
    });
    expect(r.ok).toBe(false);
    expect(r.error).toBe('Request timed out');
    expect([r.stats.packetsSent, r.stats.packetsRetried, r.stats.pdus]).toEqual([packets, 0, 0]);
  });

  it('a slow-but-alive device ends at its deadline', async () => {
    // baseline: the requests of the whole walk, straight to snmpd; through a relay answering 150 ms
    // late the unbounded walk needs at least that many × 150 ms
    const full = await scrapeDevice({
      ...opts(`udp://127.0.0.1:${snmpd.port}`, { version: '2c', community: COMMUNITY }),
      walkConcurrency: 1,
      walkOidsPerRequest: 1,
    });
    expect(full.ok).toBe(true);
    const unboundedMs = full.stats.packetsSent * 150;
    expect(unboundedMs).toBeGreaterThanOrEqual(3 * 1000); // the deadline below cuts the walk well short
    const relay = await startRelay(snmpd.port, { delayMs: 150 });
    try {
      const t0 = Date.now();
      const r = await scrapeDevice({
        ...opts(`udp://127.0.0.1:${relay.port}`, { version: '2c', community: COMMUNITY }),
        walkConcurrency: 1,
        walkOidsPerRequest: 1,
        deadlineMs: 1000,
      });
      const took = Date.now() - t0;
      expect(r.ok).toBe(false);
      expect(r.timedOut).toBe(true);
      expect(r.error).toBe('poll exceeded its deadline of 1 s');
      expect(took).toBeGreaterThanOrEqual(1000);
      expect(took).toBeLessThan(unboundedMs); // it did not walk on to the end
      expect(r.stats.packetsSent).toBeLessThan(full.stats.packetsSent);
      const sent = relay.received();
      await new Promise((res) => setTimeout(res, 300));
      expect(relay.received()).toBe(sent); // and sends nothing after its deadline
    } finally {
      await relay.stop();
    }
  });

  it('xunjian snmp walk prints varbinds', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [BIN, 'snmp', 'walk', `udp6://[::1]:${snmpd.port}`, '1.3.6.1.2.1.1', '--community', COMMUNITY], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    expect(out).toContain('1.3.6.1.2.1.1.5.0 = STRING: xunjian-test\n');
    expect(out).toMatch(/^1\.3\.6\.1\.2\.1\.1\.3\.0 = Timeticks: \d+$/m);
  });

  it('xunjian snmp walk prints Counter64 as a number (Cisco 3750 ifHCInOctets)', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [BIN, 'snmp', 'walk', `udp://127.0.0.1:${sim.port}`, '1.3.6.1.2.1.31.1.1.1.6', '--community', 'cisco'], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    expect(out.split('\n')).toContain('1.3.6.1.2.1.31.1.1.1.6.60 = Counter64: 37505809994');
  });

  it('xunjian snmp walk: a wrong v3 key fails without printing it', async () => {
    const err = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [
          BIN,
          'snmp',
          'walk',
          `udp://127.0.0.1:${snmpd.port}`,
          '1.3.6.1.2.1.1',
          '--snmp-version',
          '3',
          '--v3-user',
          V3.user,
          '--v3-level',
          'authPriv',
          '--auth-key',
          'wrong-key-999',
          '--priv-key',
          V3.privKey,
          '--timeout',
          '0.5',
          '--retries',
          '0',
        ],
        (_e, _o, stderr) => resolve(stderr),
      ),
    );
    expect(err).toMatch(/^xunjian snmp walk: udp:\/\/127\.0\.0\.1:\d+: /);
    expect(err).not.toContain('wrong-key-999');
    expect(err).not.toContain(V3.privKey);
  });

  it('xunjian snmp walk takes v3 keys from the environment, so they are not on the command line', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [BIN, 'snmp', 'walk', `udp6://[::1]:${snmpd.port}`, '1.3.6.1.2.1.1.5', '--snmp-version', '3', '--v3-user', V3.user, '--v3-level', 'authPriv'],
        { env: { ...process.env, XUNJIAN_SNMP_AUTH_KEY: V3.authKey, XUNJIAN_SNMP_PRIV_KEY: V3.privKey } },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    expect(out).toBe('1.3.6.1.2.1.1.5.0 = STRING: xunjian-test\n');
  });

  it('xunjian snmp walk --credential NAME -c FILE takes the v3 credential from the agent config (sources.snmp section)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'xj-snmpcred-')), 'agent.yaml');
    writeFileSync(
      file,
      `sources:\n  snmp:\n    credentials:\n      lab: { version: "3", v3: { user: ${V3.user}, level: authPriv, authKey: "${V3.authKey}", privKey: "${V3.privKey}" } }\n`,
    );
    const run = (name: string) =>
      new Promise<{ out: string; err: string; code: number }>((resolve) =>
        execFile(process.execPath, [BIN, 'snmp', 'walk', `udp://127.0.0.1:${snmpd.port}`, '1.3.6.1.2.1.1.5', '--credential', name, '-c', file], (e, out, err) =>
          resolve({ out, err, code: e ? ((e as { code?: number }).code ?? -1) : 0 }),
        ),
      );
    expect(await run('lab')).toEqual({ out: '1.3.6.1.2.1.1.5.0 = STRING: xunjian-test\n', err: '', code: 0 });
    const missing = await run('nope');
    expect(missing.code).toBe(1);
    expect(missing.err.trim()).toBe(`xunjian: no credential 'nope' in sources.snmp.credentials of ${file}`);
  });

  it('xunjian snmp rejects an unknown --v3-level', async () => {
    const err = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [BIN, 'snmp', 'walk', 'udp://127.0.0.1:9', '1.3', '--snmp-version', '3', '--v3-user', 'u', '--v3-level', 'authpriv'],
        (_e, _o, stderr) => resolve(stderr),
      ),
    );
    expect(err).toContain("error: option '--v3-level <level>' argument 'authpriv' is invalid. Allowed choices are noAuthNoPriv, authNoPriv, authPriv.");
  });
});

describe('snmpsimd recordings', () => {
  it('Cisco 3750: exact counters, labels and the cisco profile chosen by sysObjectID', async () => {
    const r = await scrapeDevice(opts(`udp://127.0.0.1:${sim.port}`, { version: '2c', community: 'cisco' }));
    expect(r.error).toBeUndefined();
    expect(r.profiles).toEqual(['cisco', 'host_resources', 'if_mib', 'ip_mib', 'system']);
    expect(find(r, 'ifHCInOctets', { ifIndex: '60' })).toEqual([
      {
        name: 'ifHCInOctets',
        labels: { ifIndex: '60', ifAlias: '', ifDescr: 'Vlan60', ifName: 'Vl60', target: 't' },
        value: 37505809994,
        type: 'counter',
        ts: expect.any(Number),
      },
    ]);
    expect(find(r, 'cpmCPUTotal1minRev')[0]!.value).toBe(53);
    expect(find(r, 'ciscoMemoryPoolUsed', { ciscoMemoryPoolName: 'Processor' })[0]!.value).toBe(34973844);
    expect(find(r, 'sysUpTime')[0]!.value).toBe(697202257);
    expect(find(r, 'ifHCInOctets').length).toBe(55);
  });

  it.each([
    ['huawei', 'huawei', 'hwEntityCpuUsage', { entPhysicalIndex: '16842753', entPhysicalName: 'SRU Board 1' }, 23],
    ['huawei', 'huawei', 'hwEntityTemperature', { entPhysicalName: 'SRU Board 1' }, 45],
    ['h3c', 'h3c', 'hh3cEntityExtMemUsage', { entPhysicalName: 'Board 1' }, 38],
    ['ruijie', 'ruijie', 'ruijieNodeCPUTotal5min', {}, 11],
    ['ruijie', 'ruijie', 'ruijieMemoryPoolCurrentUtilization', { ruijieMemoryPoolName: 'dram' }, 63],
  ])('%s over IPv6: %s profile gives %s', async (community, profile, metric, labels, value) => {
    const r = await scrapeDevice(opts(`udp6://[::1]:${sim.port}`, { version: '2c', community }));
    expect(r.profiles).toContain(profile);
    expect(r.profiles.filter((p) => ['huawei', 'h3c', 'ruijie', 'cisco'].includes(p))).toEqual([profile]);
    expect(find(r, metric, labels)[0]!.value).toBe(value);
  });

  it('exact link rates from two recordings served by snmpsimd (60 s of sysUpTime apart)', async () => {
    const link: LinkState = { flaps: new Map() };
    const out: Record<string, number>[] = [];
    for (const community of ['rate0', 'rate1']) {
      const r = await scrapeDevice(opts(`udp://127.0.0.1:${sim.port}`, { version: '2c', community }, ['system', 'if_mib']));
      expect(r.error).toBeUndefined();
      const snap = interfaceSnapshot(r.varbinds, find(r, 'sysUpTime')[0]!.value, r.uptimeAt!);
      const d = deriveLinkHealth(link, snap, (ix) => ({ ifIndex: ix }), 0);
      out.push(Object.fromEntries(d.samples.map((x) => [`${x.name}{${x.labels.ifIndex}}`, x.value])));
    }
    expect(out[1]).toEqual({
      'xunjian_link_oper_status_changes_total{1}': 0,
      'xunjian_link_oper_status_changes_total{2}': 0,
      // GE0/0/1, 64-bit: 750 000 000 octets in / 7 500 out / 120 errors in 60 s
      'xunjian_link_in_bits_per_second{1}': 100_000_000,
      'xunjian_link_in_utilization_ratio{1}': 0.1,
      'xunjian_link_out_bits_per_second{1}': 1000,
      'xunjian_link_out_utilization_ratio{1}': 1e-6,
      'xunjian_link_in_errors_per_second{1}': 2,
      'xunjian_link_out_errors_per_second{1}': 0,
      'xunjian_link_in_discards_per_second{1}': 0,
      'xunjian_link_out_discards_per_second{1}': 0,
      // Serial0/0/0, ifTable only (100 Mbit/s): ifInOctets wrapped once, 7 500 000 octets in 60 s
      'xunjian_link_in_bits_per_second{2}': 1_000_000,
      'xunjian_link_in_utilization_ratio{2}': 0.01,
      'xunjian_link_out_bits_per_second{2}': 10,
      'xunjian_link_out_utilization_ratio{2}': 1e-7,
      'xunjian_link_in_errors_per_second{2}': 0,
      'xunjian_link_out_errors_per_second{2}': 0,
      'xunjian_link_in_discards_per_second{2}': 0,
      'xunjian_link_out_discards_per_second{2}': 0,
    });
  });

  it('keeps Counter64 exact beyond 2^53 (BigInt in the agent, modulo 2^53 on the wire as snmp_exporter)', async () => {
    const r = await scrapeDevice(opts(`udp://127.0.0.1:${sim.port}`, { version: '2c', community: 'huawei' }));
    const vb = r.varbinds.get('1.3.6.1.2.1.31.1.1.1.6.10')!;
    expect(bigValue(vb.type, vb.value)).toBe(18446744073709551615n);
    expect(find(r, 'ifHCInOctets', { ifName: 'GE0/0/1' })[0]!.value).toBe(9007199254740991);
  });
});

describe('snmp source', () => {
  const cfg = (targets: SnmpSourceConfig['targets']): SnmpSourceConfig => ({
    concurrency: 8,
    walkConcurrency: 4,
    walkOidsPerRequest: 4,
    profilesDir: '',
    intervalSeconds: 60,
    timeoutSeconds: 1,
    retries: 0,
    maxRepetitions: 25,
    postureIntervalHours: 6,
    credentials: { lab: { version: '2c', community: 'huawei' }, pub: { version: '2c', community: 'public' } },
    targets,
  });
  const ctx = () => ({ signal: new AbortController().signal, log, now: Date.now });

  it('refuses target labels that a profile from profilesDir sets', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'xj-prof-'));
    writeFileSync(
      join(dir, 'vlan.yaml'),
      'name: vlan\nmatch: []\ntables:\n  - { name: vlanTable, entry: 1.3.6.1.4.1.9.9.46.1.3.1.1, indexes: [{ label: vlanIndex, type: integer }], columns: [{ column: 2, name: vtpVlanState, type: gauge }] }\n',
    );
    expect(() =>
      createSnmpSources({ ...cfg([{ name: 'sw', address: 'udp://127.0.0.1:9', credential: 'lab', labels: { vlanIndex: 'x', site: 'y' } }]), profilesDir: dir }),
    ).toThrow(
      new SourceConfigError(
        'targets.0.labels.vlanIndex',
        `a label no profile sets: a table of the profiles (profilesDir ${dir}) sets 'vlanIndex' on its series, which a target label cannot overwrite; use another name (e.g. device_vlanIndex)`,
      ),
    );
  });

  it('keeps a v3 session between polls: no socket nor engine discovery per poll; closed by close()', async () => {
    const relay = await startRelay(snmpd.port);
    try {
      const c = { ...cfg([]), postureIntervalHours: 0 };
      const src = createSnmpSource(
        c,
        { name: 'v3', address: `udp://127.0.0.1:${relay.port}`, credential: 'x', profiles: ['system'] },
        { version: '3', v3: { user: V3.user, level: 'authPriv', authProto: 'sha', authKey: V3.authKey, privProto: 'aes', privKey: V3.privKey } },
        profiles,
        new Semaphore(1),
      );
      const val = (r: Awaited<ReturnType<typeof src.collect>>, n: string) => r.samples.find((s) => s.name === n)!.value;
      const a = await src.collect(ctx());
      const b = await src.collect(ctx());
      expect([val(a, 'xunjian_snmp_up'), val(b, 'xunjian_snmp_up')]).toEqual([1, 1]);
      expect(val(a, 'snmp_scrape_packets_sent')).toBe(2); // discovery + one GET of the system scalars
      expect(val(b, 'snmp_scrape_packets_sent')).toBe(1);
      expect(relay.received()).toBe(3);
      await src.close?.();
      const c2 = await src.collect(ctx()); // a new session: discovery again
      expect(val(c2, 'snmp_scrape_packets_sent')).toBe(2);
      await src.close?.();
    } finally {
      await relay.stop();
    }
  }, 30_000);

  it('a dead device does not delay the others', async () => {
    const [dead, live] = createSnmpSources({
      ...cfg([
        { name: 'dead', address: 'udp://127.0.0.1:9', credential: 'lab' },
        { name: 'live', address: `udp://127.0.0.1:${sim.port}`, credential: 'lab' },
      ]),
      postureIntervalHours: 0,
    });
    const order: string[] = [];
    const run = async (name: string, src: typeof dead) => {
      const r = await src!.collect(ctx());
      order.push(name);
      return r;
    };
    const [d, l] = await Promise.all([run('dead', dead), run('live', live)]);
    expect(order).toEqual(['live', 'dead']);
    const up = (r: typeof d) => r.samples.find((s) => s.name === 'xunjian_snmp_up')!.value;
    expect(up(l)).toBe(1);
    expect(up(d)).toBe(0);
    expect(d.samples.find((s) => s.name === 'xunjian_snmp_timeouts_total')!.value).toBe(1);
  }, 30_000);

  it('reports device posture facts: default community answered, versions, insecure choices', async () => {
    const [src] = createSnmpSources(cfg([{ name: 'village', address: `udp://127.0.0.1:${sim.port}`, credential: 'pub' }]));
    const r = await src!.collect(ctx());
    expect(r.facts!['network.device.village']).toEqual({
      answersV1: true,
      answersV2c: true,
      defaultCommunities: ['v1:public', 'v2c:public'],
      snmpVersionUsed: '2c',
      v3: null,
      insecure: ['SNMPv2c community (cleartext)'],
      sysDescr: 'Ruijie Networks RG-S2910-24GT4XS-E, RGOS 11.4(1)B70P2',
      sysObjectID: '1.3.6.1.4.1.4881.1.1.10.1.276',
      firmware: { vendor: 'ruijie', os: 'RGOS', version: '11.4(1)B70P2' },
      addressResolved: true,
      lastPollOk: true,
      profiles: ['host_resources', 'if_mib', 'ip_mib', 'ruijie', 'system'],
    });
    expect(JSON.stringify(r)).not.toContain('"public"');
  }, 30_000);

  it("posture never eats the poll's budget: on a dead device the poll's own samples are reported, the facts follow", async () => {
    // a 2 s interval: the runner gives up after 1.8 s; the poll times out after 2 × 0.6 s; 7 posture
    // probes of 0.6 s each one after another (4.2 s more) would have cost the whole cycle
    const c = { ...cfg([]), timeoutSeconds: 0.6, retries: 1 };
    const src = createSnmpSource(
      c,
      { name: 'dead', address: 'udp://127.0.0.1:9', credential: 'lab', intervalSeconds: 2 },
      { version: '2c', community: 'huawei' },
      profiles,
      new Semaphore(1),
    );
    const first = await runSource(src, log, 1800);
    const names = first.samples.map((s) => s.name);
    expect(first.samples.find((s) => s.name === 'xunjian_snmp_up')!.value).toBe(0);
    expect(names).toEqual(expect.arrayContaining(['snmp_scrape_duration_seconds', 'snmp_scrape_packets_sent', 'xunjian_snmp_timeouts_total']));
    const second = await runSource(src, log, 1800);
    expect(second.samples.find((s) => s.name === 'xunjian_snmp_up')!.value).toBe(0);
    // the probes (in parallel) end after one timeout: in this collect if time was left, else in the next
    expect(first.facts === undefined || second.facts === undefined).toBe(true);
    expect((first.facts ?? second.facts)!['network.device.dead']).toMatchObject({
      answersV1: false,
      answersV2c: false,
      defaultCommunities: [],
      lastPollOk: false,
      sysDescr: null,
    });
    await src.close?.();
  }, 30_000);

  it('posture is probed after a failed poll, with sysDescr/sysObjectID read directly even with fixed profiles', async () => {
    const [src] = createSnmpSources({
      ...cfg([{ name: 'refused', address: `udp://127.0.0.1:${sim.port}`, credential: 'bad', profiles: ['system', 'if_mib'] }]),
      credentials: { bad: { version: '2c', community: 'not-served-9' } },
    });
    const r = await src!.collect(ctx());
    expect(r.samples.find((s) => s.name === 'xunjian_snmp_up')!.value).toBe(0);
    const f = r.facts!['network.device.refused'] as Record<string, unknown>;
    expect(f).toMatchObject({
      lastPollOk: false,
      answersV1: true,
      answersV2c: true,
      defaultCommunities: ['v1:public', 'v2c:public'],
      profiles: ['system', 'if_mib'],
    });
    // the configured community is refused: what is known comes from nothing but the default probes
    expect(f.sysDescr).toBeNull();
    expect(JSON.stringify(r)).not.toContain('not-served-9');
    const [ok] = createSnmpSources({ ...cfg([{ name: 'fixed', address: `udp://127.0.0.1:${sim.port}`, credential: 'lab', profiles: ['system'] }]) });
    const f2 = (await ok!.collect(ctx())).facts!['network.device.fixed'] as Record<string, unknown>;
    expect(f2).toMatchObject({
      lastPollOk: true,
      sysObjectID: '1.3.6.1.4.1.2011.2.23.96',
      firmware: { vendor: 'huawei', os: 'VRP', version: 'V200R011C10SPC500', platform: '5.170' },
    });
  }, 30_000);

  it('MD5 authentication polls snmpd and is flagged insecure in posture', async () => {
    const [src] = createSnmpSources({
      ...cfg([{ name: 'md5', address: `udp://127.0.0.1:${snmpd.port}`, credential: 'md5', profiles: ['system'] }]),
      credentials: {
        md5: { version: '3', v3: { user: V3_USERS.md5auth.user, level: 'authNoPriv', authProto: 'md5', authKey: V3_USERS.md5auth.authKey, privProto: 'aes' } },
      },
    });
    const r = await src!.collect(ctx());
    expect(r.samples.find((s) => s.name === 'xunjian_snmp_up')!.value).toBe(1);
    expect(r.facts!['network.device.md5']).toMatchObject({
      snmpVersionUsed: '3',
      v3: { level: 'authNoPriv', authProto: 'md5', privProto: null },
      insecure: ['SNMPv3 without privacy', 'MD5 authentication'],
      defaultCommunities: [],
    });
    expect(JSON.stringify(r)).not.toContain(V3_USERS.md5auth.authKey);
  }, 30_000);

  it('concurrency 1: a dead device queued first holds the slot only for timeout × (retries + 1)', async () => {
    const sem = new Semaphore(1);
    const c = { ...cfg([]), timeoutSeconds: 0.5, retries: 1, postureIntervalHours: 0 };
    const dead = createSnmpSource(c, { name: 'dead', address: 'udp://127.0.0.1:9', credential: 'lab' }, { version: '2c', community: 'huawei' }, profiles, sem);
    const live = createSnmpSource(
      c,
      { name: 'live', address: `udp://127.0.0.1:${sim.port}`, credential: 'lab' },
      { version: '2c', community: 'huawei' },
      profiles,
      sem,
    );
    // baseline: the live device's poll alone, on this machine now (the bounds below scale with it)
    const b0 = Date.now();
    expect((await live.collect(ctx())).samples.find((s) => s.name === 'xunjian_snmp_up')!.value).toBe(1);
    const baseline = Date.now() - b0;
    const t0 = Date.now();
    const done: Record<string, number> = {};
    const run = async (src: typeof dead) => {
      const r = await src.collect(ctx());
      done[src.name] = Date.now() - t0;
      return r;
    };
    const [d, l] = await Promise.all([run(dead), run(live)]);
    expect(d.samples.find((s) => s.name === 'snmp_scrape_packets_sent')!.value).toBe(2);
    expect(d.samples.find((s) => s.name === 'snmp_scrape_packets_retried')!.value).toBe(1);
    expect(l.samples.find((s) => s.name === 'xunjian_snmp_up')!.value).toBe(1);
    const budget = c.timeoutSeconds * 1000 * (c.retries + 1); // 2 × 0.5 s
    expect(done['snmp:dead']!).toBeGreaterThanOrEqual(budget);
    expect(done['snmp:dead']!).toBeLessThan(1.5 * budget + 2 * baseline); // its budget, not a whole poll's deadline (5 s+ if unbounded)
    expect(done['snmp:live']!).toBeGreaterThan(done['snmp:dead']!); // queued behind it
    expect(done['snmp:live']! - done['snmp:dead']!).toBeLessThan(budget + 3 * baseline); // then its own poll, at once
  }, 30_000);

  it('aborting the signal mid-poll returns at once and frees the slot', async () => {
    const relay = await startRelay(sim.port, { delayMs: 200 });
    try {
      const sem = new Semaphore(1);
      const c = { ...cfg([]), timeoutSeconds: 5, retries: 1, postureIntervalHours: 6 };
      const slow = createSnmpSource(
        c,
        { name: 'slow', address: `udp://127.0.0.1:${relay.port}`, credential: 'lab' },
        { version: '2c', community: 'huawei' },
        profiles,
        sem,
      );
      const queued = createSnmpSource(
        c,
        { name: 'queued', address: `udp://127.0.0.1:${sim.port}`, credential: 'lab' },
        { version: '2c', community: 'huawei' },
        profiles,
        sem,
      );
      const ac = new AbortController();
      const ac2 = new AbortController();
      const p = slow.collect({ ...ctx(), signal: ac.signal });
      const q = queued.collect({ ...ctx(), signal: ac2.signal });
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      ac.abort();
      ac2.abort(); // the queued one leaves the queue without polling
      const [r, r2] = await Promise.all([p, q]);
      expect(Date.now() - t0).toBeLessThan(c.timeoutSeconds * 1000); // not after the 5 s request timeout it would otherwise wait for
      expect(r.samples.find((s) => s.name === 'xunjian_snmp_up')!.value).toBe(0);
      expect(r.facts).toBeUndefined(); // no posture probe after an abort
      expect(r2.samples.find((s) => s.name === 'snmp_scrape_packets_sent')!.value).toBe(0);
      expect(sem.inUse).toBe(0);
      const sent = relay.received();
      await new Promise((res) => setTimeout(res, 400));
      expect(relay.received()).toBe(sent); // no further walks after the abort
    } finally {
      await relay.stop();
    }
  }, 30_000);

  it('derives link rates from two polls (recording is static: 0 bit/s, no spike)', async () => {
    const [src] = createSnmpSources(cfg([{ name: 'core', address: `udp://127.0.0.1:${sim.port}`, credential: 'lab' }]));
    await src!.collect(ctx());
    const r = await src!.collect(ctx());
    const inBps = r.samples.filter((s) => s.name === 'xunjian_link_in_bits_per_second');
    // a static recording answers the same sysUpTime: the wall clock gives the interval; counters unchanged
    expect(inBps.map((s) => [s.labels.ifName, s.value])).toEqual([
      ['GE0/0/1', 0],
      ['GE0/0/2', 0],
    ]);
  }, 30_000);
});

describe('combined walks (v2c: the walks in one GETBULK, scalars as non-repeaters)', () => {
  const v2c = (community: string) => ({ version: '2c' as const, community });
  /** OID, type and value of each varbind but sysUpTime (it moves between polls) */
  const content = (vb: Walked, values = true) =>
    [...vb.values()]
      .filter((v) => v.oid !== SYS_UPTIME)
      .map((v) => (values ? [v.oid, v.type, Buffer.isBuffer(v.value) ? v.value.toString('hex') : v.value] : [v.oid, v.type]));

  it.each([
    // snmpsimd trims a response to 64 varbinds, snmpd to 100 (maxGetbulkResponses): truncated responses
    ['snmpsimd, Cisco 3750 (59 interfaces)', () => `udp://127.0.0.1:${sim.port}`, 'cisco', ['system', 'if_mib', 'cisco'], true],
    ['snmpd (counters move: OIDs and types compared)', () => `udp://127.0.0.1:${snmpd.port}`, COMMUNITY, ['system', 'if_mib', 'host_resources'], false],
  ])('%s: the same varbinds and series as separate walks, poll after poll, in fewer packets', async (_n, target, community, use, values) => {
    const base = { ...opts(target(), v2c(community), use) };
    const separate = await scrapeDevice({ ...base, walkOidsPerRequest: 1 });
    expect(separate.error).toBeUndefined();
    expect(separate.varbinds.size).toBeGreaterThan(150);
    const keeper = new SessionKeeper();
    try {
      const sent: number[] = [];
      for (let poll = 0; poll < 3; poll++) {
        const r = await scrapeDevice({ ...base, keeper });
        expect(r.error).toBeUndefined();
        expect(content(r.varbinds, values)).toEqual(content(separate.varbinds, values));
        expect(r.samples.map((x) => x.name)).toEqual(separate.samples.map((x) => x.name));
        expect([r.stats.packetsSent, r.stats.packetsRetried]).toEqual([r.stats.pdus, 0]);
        sent.push(r.stats.packetsSent);
      }
      // split as the previous poll taught, the third poll needs fewer requests than the first
      expect(sent[2]).toBeLessThan(sent[0]!);
      expect(sent[0]).toBeLessThan(separate.stats.packetsSent);
    } finally {
      keeper.drop();
    }
  });

  it('endOfMibView: a walk reaching the end of the MIB view ends there, the walk beside it goes on', async () => {
    const s = openScraper({ host: '127.0.0.1', port: sim.port, transport: 'udp4' }, v2c('cisco'), { timeoutMs: 3000, retries: 0, maxRepetitions: 25 });
    try {
      // the recording's last subtree: snmpsimd answers endOfMibView after its last OID
      const roots = ['1.3.6.1.6.3.13', '1.3.6.1.2.1.31.1.1.1'];
      const r = await s.walkCombined!(roots, { perRequest: 2 });
      const alone = [await s.walk(roots[0]!), await s.walk(roots[1]!)];
      expect(r.walks.map((w) => w.map((v) => v.oid))).toEqual(alone.map((w) => w.map((v) => v.oid)));
      expect(r.walks[0]!.at(-1)!.oid).toBe(
        '1.3.6.1.6.3.13.1.3.1.5.36.116.114.97.112.104.111.115.116.46.115.117.114.101.110.100.114.97.49.46.49.48.46.50.48.52.46.56.56.46.49.53.56.46.49.54.50.1.2.840.10036',
      );
      expect(r.walks[1]!.length).toBe(1048);
    } finally {
      s.close();
    }
  });

  describe('an agent refusing large requests (snmpsimd --max-varbinds: genErr for a request of more varbinds)', () => {
    let small: Peer;
    let tiny: Peer;
    beforeAll(async () => {
      [small, tiny] = await Promise.all([startSnmpsim({ cisco: c3750 }, { maxVarbinds: 3 }), startSnmpsim({ huawei: testdata('huawei') }, { maxVarbinds: 1 })]);
    }, 90_000);
    afterAll(async () => {
      await Promise.all([small?.stop(), tiny?.stop()]);
    });

    it.each([
      // 4 varbinds > 3: genErr; half (2 walks per request) then fits
      ['4 walks: genErr, then 2 walks per request', [], 1],
      // 1 + 4 varbinds: snmpsimd answers the non-repeater alone (no repetition): half, then fits
      ['1 non-repeater + 4 walks: the non-repeater answered alone, then 2 walks per request', [SYS_UPTIME], 0],
    ])('%s; every walk ends as alone', async (_n, scalars, errors) => {
      const s = openScraper({ host: '127.0.0.1', port: small.port, transport: 'udp4' }, v2c('cisco'), { timeoutMs: 3000, retries: 0, maxRepetitions: 25 });
      try {
        const roots = ['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.2.2.1.8', '1.3.6.1.2.1.31.1.1.1.1', '1.3.6.1.2.1.31.1.1.1.6'];
        const r = await s.walkCombined!(roots, { perRequest: 4, scalars });
        expect(r.scalars?.map((v) => [v.oid, v.type])).toEqual(scalars.length ? [[SYS_UPTIME, 67]] : undefined);
        const { packetsSent, pdus } = s.stats;
        expect(packetsSent).toBe(pdus + errors);
        const alone = [];
        for (const root of roots) alone.push(await s.walk(root));
        expect(r.walks).toEqual(alone);
        expect(r.walks.map((w) => w.length)).toEqual([59, 59, 59, 55]);
      } finally {
        s.close();
      }
    });

    it('genErr down to one walk: the scalars leave the request and are read by GET; the poll equals separate walks', async () => {
      const reference = await scrapeDevice({ ...opts(`udp://127.0.0.1:${sim.port}`, v2c('huawei'), ['if_mib']), walkOidsPerRequest: 1 });
      const r = await scrapeDevice({ ...opts(`udp://127.0.0.1:${tiny.port}`, v2c('huawei'), ['if_mib']), timeoutMs: 3000 });
      expect(r.error).toBeUndefined();
      expect(content(r.varbinds)).toEqual(content(reference.varbinds));
      expect(r.varbinds.get(SYS_UPTIME)?.type).toBe(67);
      expect(r.samples.length).toBe(reference.samples.length);
    });
  });

  it('a lost packet is retried as the same combined request', async () => {
    const reference = await scrapeDevice({ ...opts(`udp://127.0.0.1:${sim.port}`, v2c('cisco'), ['if_mib']), walkOidsPerRequest: 1 });
    const relay = await startRelay(sim.port, { dropFirst: 1 });
    try {
      const r = await scrapeDevice({ ...opts(`udp://127.0.0.1:${relay.port}`, v2c('cisco'), ['if_mib']), timeoutMs: 300, retries: 1 });
      expect(r.error).toBeUndefined();
      expect([r.stats.packetsSent, r.stats.packetsRetried]).toEqual([r.stats.pdus + 1, 1]);
      expect(r.stats.packetsSent).toBe(relay.received());
      expect(content(r.varbinds)).toEqual(content(reference.varbinds));
    } finally {
      await relay.stop();
    }
  });
});
