import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.js';
import { BIN } from '../../../test/helpers/proc.js';
import { COMMUNITY, type Peer, V3, startSnmpd, startSnmpsim } from '../../../test/helpers/snmp-peers.js';
import { parseEndpoint } from './client.js';
import type { SnmpSourceConfig } from './config.js';
import { scrapeDevice } from './device.js';
import { loadProfiles } from './profiles.js';
import { createSnmpSources } from './source.js';
import { bigValue } from './values.js';

/** Against real peers: Debian's snmpd (v2c, v3 authPriv; IPv4 and IPv6) and snmpsimd with recordings. */
const cisco = '/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz';
const testdata = (n: string) => fileURLToPath(new URL(`./testdata/${n}.snmprec`, import.meta.url));
let snmpd: Peer;
let sim: Peer;
const profiles = loadProfiles();
const log = createLogger({ level: 'error' });

beforeAll(async () => {
  const { gunzipSync } = await import('node:zlib');
  const { readFileSync, writeFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const c3750 = join(mkdtempSync(join(tmpdir(), 'xj-rec-')), 'cisco.snmprec');
  writeFileSync(c3750, gunzipSync(readFileSync(cisco)));
  [snmpd, sim] = await Promise.all([
    startSnmpd(),
    startSnmpsim({ cisco: c3750, huawei: testdata('huawei'), h3c: testdata('h3c'), ruijie: testdata('ruijie'), public: testdata('ruijie') }),
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
    ['v3 authPriv SHA/AES over IPv6', () => `udp6://[::1]:${snmpd.port}`, { version: '3' as const, v3: { user: V3.user, level: 'authPriv' as const, authProto: 'sha' as const, authKey: V3.authKey, privProto: 'aes' as const, privKey: V3.privKey } }],
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
  });

  it('fails clearly with a wrong v3 key, without printing it', async () => {
    const r = await scrapeDevice({ ...opts(`udp://127.0.0.1:${snmpd.port}`, { version: '3', v3: { user: V3.user, level: 'authPriv', authProto: 'sha', authKey: 'wrong-key-999', privProto: 'aes', privKey: V3.privKey } }), timeoutMs: 1000, retries: 0 });
    expect(r.ok).toBe(false);
    expect(r.error).toBeTruthy();
    expect(r.error).not.toContain('wrong-key-999');
  });

  it('xunjian snmp walk prints varbinds', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [BIN, 'snmp', 'walk', `udp6://[::1]:${snmpd.port}`, '1.3.6.1.2.1.1', '--community', COMMUNITY], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(out).toContain('1.3.6.1.2.1.1.5.0 = STRING: xunjian-test\n');
    expect(out).toMatch(/^1\.3\.6\.1\.2\.1\.1\.3\.0 = Timeticks: \d+$/m);
  });
});

describe('snmpsimd recordings', () => {
  it('Cisco 3750: exact counters, labels and the cisco profile chosen by sysObjectID', async () => {
    const r = await scrapeDevice(opts(`udp://127.0.0.1:${sim.port}`, { version: '2c', community: 'cisco' }));
    expect(r.error).toBeUndefined();
    expect(r.profiles).toEqual(['cisco', 'host_resources', 'if_mib', 'ip_mib', 'system']);
    expect(find(r, 'ifHCInOctets', { ifIndex: '60' })).toEqual([
      { name: 'ifHCInOctets', labels: { ifIndex: '60', ifAlias: '', ifDescr: 'Vlan60', ifName: 'Vl60', target: 't' }, value: 37505809994, type: 'counter', ts: expect.any(Number) },
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
      profiles: ['host_resources', 'if_mib', 'ip_mib', 'ruijie', 'system'],
    });
    expect(JSON.stringify(r)).not.toContain('"public"');
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
