import { afterEach, describe, expect, it } from 'vitest';
import { parseEndpoint } from '../agent/sources/snmp/client.js';
import { scrapeDevice } from '../agent/sources/snmp/device.js';
import { loadProfiles } from '../agent/sources/snmp/profiles.js';
import {
  type DemoSwitch,
  FLAP_DOWN_SECONDS,
  FLAP_OFFSET_SECONDS,
  FLAP_PERIOD_SECONDS,
  SYS_DESCR,
  SYS_OBJECT_ID,
  flapDown,
  startDemoSwitch,
  switchState,
} from './demo-switch.js';

const profiles = loadProfiles();
let sw: DemoSwitch | undefined;
afterEach(async () => {
  await sw?.close();
  sw = undefined;
});

const poll = (s: DemoSwitch, community = s.community) =>
  scrapeDevice({
    endpoint: parseEndpoint(s.address),
    credential: { version: '2c', community },
    timeoutMs: 2000,
    retries: 0,
    maxRepetitions: 25,
    walkConcurrency: 4,
    profiles,
    use: ['system', 'if_mib'],
    labels: { target: 'sw' },
  });
type R = Awaited<ReturnType<typeof scrapeDevice>>;
const value = (r: R, name: string, ifName?: string) =>
  r.samples.filter((x) => x.name === name && (ifName === undefined || x.labels.ifName === ifName)).map((x) => x.value);

describe('switchState (pure, injected clock)', () => {
  it.each([
    // [seconds after start, GE0/0/3 down]
    [0, false],
    [FLAP_OFFSET_SECONDS - 1, false],
    [FLAP_OFFSET_SECONDS, true],
    [FLAP_OFFSET_SECONDS + FLAP_DOWN_SECONDS - 1, true],
    [FLAP_OFFSET_SECONDS + FLAP_DOWN_SECONDS, false],
    [FLAP_OFFSET_SECONDS + FLAP_PERIOD_SECONDS - 1, false],
    [FLAP_OFFSET_SECONDS + FLAP_PERIOD_SECONDS, true],
  ])('%i s after start: flapping interface down %s', (s, down) => {
    expect(flapDown(s)).toBe(down);
    const st = switchState(s * 1000 + 999);
    expect(st.interfaces.map((i) => i.operStatus)).toEqual([1, 1, down ? 2 : 1, 1]);
  });

  it('counters move once a second at their rates; the flapping interface carries nothing while down', () => {
    expect(switchState(0).interfaces[0]!.inOctets).toBe(1_000_000_000_000n);
    expect(switchState(10_500).interfaces[0]!.inOctets).toBe(1_000_000_000_000n + 10n * 18_750_000n);
    expect(switchState(10_500).interfaces[3]!.outOctets).toBe(1_000_000_000_000n + 10n * 62_500_000n);
    // GE0/0/3: 30 s busy, 60 s down, then busy again
    expect(switchState(95_000).interfaces[2]!.inOctets).toBe(1_000_000_000_000n + 35n * 625_000n);
    expect(switchState(40_000).interfaces[2]!.inOctets).toBe(switchState(30_000).interfaces[2]!.inOctets);
    expect(switchState(12_340).upTimeTicks).toBe(1234);
  });
});

describe('the simulated switch, polled by the SNMP source', () => {
  it.each(['127.0.0.1', '::1'] as const)('over %s: system group, exact counters and oper status', async (host) => {
    let now = 1_700_000_000_000;
    sw = await startDemoSwitch({ host, now: () => now, tick: false });
    now += 40_000; // 40 s after start: GE0/0/3 down since 10 s
    sw.refresh();
    const r = await poll(sw);
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.samples.find((x) => x.name === 'sysObjectID')?.labels.sysObjectID).toBe(SYS_OBJECT_ID);
    expect(r.samples.find((x) => x.name === 'sysDescr')?.labels.sysDescr).toBe(SYS_DESCR);
    expect(r.samples.find((x) => x.name === 'sysName')?.labels.sysName).toBe('demo-switch');
    expect(value(r, 'sysUpTime')).toEqual([4000]);
    expect(value(r, 'ifOperStatus')).toEqual([1, 1, 2, 1]);
    expect(value(r, 'ifAdminStatus')).toEqual([1, 1, 1, 1]);
    expect(value(r, 'ifHCInOctets', 'GE0/0/1')).toEqual([1_000_000_000_000 + 40 * 18_750_000]);
    expect(value(r, 'ifHCOutOctets', 'XGE0/0/1')).toEqual([1_000_000_000_000 + 40 * 62_500_000]);
    expect(value(r, 'ifHCInOctets', 'GE0/0/3')).toEqual([1_000_000_000_000 + 30 * 625_000]);
    expect(value(r, 'ifHighSpeed')).toEqual([1000, 1000, 100, 10000]);
    expect(r.samples.find((x) => x.name === 'ifHCInOctets' && x.labels.ifIndex === '3')?.labels).toEqual({
      target: 'sw',
      ifIndex: '3',
      ifAlias: 'branch link (flaps)',
      ifDescr: 'GigabitEthernet0/0/3',
      ifName: 'GE0/0/3',
    });

    now += 60_000; // 100 s: up again, and it moved
    sw.refresh();
    const r2 = await poll(sw);
    expect(value(r2, 'ifOperStatus')).toEqual([1, 1, 1, 1]);
    expect(value(r2, 'ifHCInOctets', 'GE0/0/3')).toEqual([1_000_000_000_000 + 40 * 625_000]);
    expect(value(r2, 'sysUpTime')).toEqual([10000]);
  });

  it('answers nothing to another community', async () => {
    sw = await startDemoSwitch({ tick: false });
    const r = await poll(sw, 'public');
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain(sw.community);
  });
});
