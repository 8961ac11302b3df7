import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, xunjian } from '../helpers/proc.js';
import { type Peer, startSnmpsim } from '../helpers/snmp-peers.js';

/** `xunjian agent --once` with an SNMP target: the real binary polling snmpsimd over udp6. */
const dir = mkdtempSync(join(tmpdir(), 'xj-once-snmp-'));
const testdata = (n: string) => `${ROOT}agent/sources/snmp/testdata/${n}.snmprec`;
const COMMUNITY = 'c0unty-core-ro';
let sim: Peer;
let config: string;

beforeAll(async () => {
  // the Huawei recording answers the community COMMUNITY; another recording answers "public"
  sim = await startSnmpsim({ [COMMUNITY]: testdata('huawei'), public: testdata('ruijie') });
  config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    [
      `dataDir: ${join(dir, 'data')}`,
      'sources:',
      '  host: { enabled: false }',
      '  posture: { enabled: false }',
      '  snmp:',
      '    credentials:',
      `      lab: { version: "2c", community: ${COMMUNITY} }`,
      '    targets:',
      `      - { name: core, address: "udp6://[::1]:${sim.port}", credential: lab, labels: { site_role: county } }`,
      '',
    ].join('\n'),
  );
}, 90_000);
afterAll(async () => {
  await sim?.stop();
});

describe('xunjian agent --once with an SNMP target', () => {
  it('prints the device series with snmp_exporter names and labels, exact counters, and the scrape metrics', () => {
    const r = xunjian(['agent', '--once', '-c', config]);
    expect(r.code).toBe(0);
    const line = (prefix: string) => r.stdout.split('\n').find((l) => l.startsWith(prefix));
    const ge1 = 'ifIndex="10",ifAlias="uplink-10",ifDescr="GigabitEthernet0/0/1",ifName="GE0/0/1",target="core",site_role="county"';
    expect(line(`ifHCInOctets{${ge1}}`)).toBe(`ifHCInOctets{${ge1}} 9007199254740991`);
    expect(line(`ifHCOutOctets{${ge1}}`)).toBe(`ifHCOutOctets{${ge1}} 123456789012345`);
    expect(line(`ifOperStatus{${ge1}}`)).toBe(`ifOperStatus{${ge1}} 1`);
    expect(line('hwEntityCpuUsage{entPhysicalIndex="16842753"')).toBe(
      'hwEntityCpuUsage{entPhysicalIndex="16842753",entPhysicalName="SRU Board 1",target="core",site_role="county"} 23',
    );
    expect(line('sysName{')).toBe('sysName{target="core",site_role="county",sysName="county-core-s5720"} 1');
    expect(line('xunjian_snmp_up{')).toBe('xunjian_snmp_up{target="core",site_role="county"} 1');
    expect(line('snmp_scrape_packets_retried{')).toBe('snmp_scrape_packets_retried{target="core",site_role="county"} 0');
    expect(line('xunjian_link_oper_status_changes_total{ifIndex="10"')).toBe(
      'xunjian_link_oper_status_changes_total{ifIndex="10",ifName="GE0/0/1",target="core",site_role="county"} 0',
    );
    expect(r.stdout).not.toContain(COMMUNITY);
  }, 60_000);

  it('--facts prints the device posture: default community answered, firmware, insecure choices', () => {
    const r = xunjian(['agent', '--once', '--facts', '-c', config]);
    expect(r.code).toBe(0);
    const f = (JSON.parse(r.stdout) as Record<string, Record<string, unknown>>)['network.device.core']!;
    expect(f.defaultCommunities).toEqual(['v1:public', 'v2c:public']);
    expect(f.insecure).toEqual(['SNMPv2c community (cleartext)']);
    expect(f.firmware).toEqual({ vendor: 'huawei', os: 'VRP', version: 'V200R011C10SPC500', platform: '5.170' });
    expect(f.sysObjectID).toBe('1.3.6.1.4.1.2011.2.23.96');
    expect(r.stdout).not.toContain(COMMUNITY);
  }, 60_000);
});
