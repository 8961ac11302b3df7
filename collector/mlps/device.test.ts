import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devicePosture } from '../../agent/sources/snmp/device.js';
import { type Peer, V3, startSnmpd, startSnmpsim } from '../../test/helpers/snmp-peers.js';
import { deviceTarget, evaluateTarget } from './evaluate.js';
import { loadPack } from './pack.js';
import { NO_OVERRIDES, resolveParams } from './params.js';

/**
 * Device posture probed from real peers (snmpsimd serving the Ruijie recording as `public`; Debian's
 * snmpd with a v3 authPriv user and a v2c community restricted to loopback), then evaluated.
 */
let sim: Peer;
let snmpd: Peer;
beforeAll(async () => {
  [sim, snmpd] = await Promise.all([
    startSnmpsim({ public: new URL('../../agent/sources/snmp/testdata/ruijie.snmprec', import.meta.url).pathname }),
    startSnmpd(),
  ]);
}, 90_000);
afterAll(async () => {
  await Promise.all([sim?.stop(), snmpd?.stop()]);
});

const evaluate = (grade: 2 | 3, name: string, group: Record<string, unknown>) => {
  const pack = loadPack(grade);
  const at = new Date();
  const e = evaluateTarget(pack, deviceTarget(name, group, at.toISOString()), { params: resolveParams(pack, NO_OVERRIDES, { id: name }), now: at });
  return Object.fromEntries(e.results.map((r) => [r.check, r.status]));
};

describe('network devices probed over SNMP, evaluated', () => {
  it('a device answering the default community public (v1 and v2c): every device check fails at level 3', async () => {
    const g = await devicePosture({ host: '127.0.0.1', port: sim.port, transport: 'udp4' }, { version: '2c', community: 'public' }, undefined, {
      timeoutMs: 2000,
    });
    expect(g).toMatchObject({ answersV1: true, answersV2c: true, defaultCommunities: ['v1:public', 'v2c:public'], snmpVersionUsed: '2c' });
    expect(evaluate(3, 'village-sw', g)).toEqual({
      'device.snmp.default-community': 'fail',
      'device.snmp.no-v1v2c': 'fail',
      'device.snmp.v3-auth': 'fail',
      'device.snmp.v3-priv': 'fail',
    });
  }, 30_000);
  it('snmpd polled with SNMPv3 authPriv (SHA/AES): no default community; it still answers v2c to its own community', async () => {
    const g = await devicePosture(
      { host: '127.0.0.1', port: snmpd.port, transport: 'udp4' },
      { version: '3', v3: { user: V3.user, level: 'authPriv', authProto: 'sha', authKey: V3.authKey, privProto: 'aes', privKey: V3.privKey } },
      undefined,
      { timeoutMs: 2000 },
    );
    expect(g).toMatchObject({ defaultCommunities: [], snmpVersionUsed: '3', v3: { level: 'authPriv', authProto: 'sha', privProto: 'aes' }, insecure: [] });
    // answersV1/V2c probe only public/private (the device's own community is not known to the probe)
    expect(g.answersV2c).toBe(false);
    expect(evaluate(3, 'core-router', g)).toEqual({
      'device.snmp.default-community': 'pass',
      'device.snmp.no-v1v2c': 'pass',
      'device.snmp.v3-auth': 'pass',
      'device.snmp.v3-priv': 'pass',
    });
    expect(evaluate(2, 'core-router', g)).toEqual({ 'device.snmp.default-community': 'pass', 'device.snmp.no-v1v2c': 'pass', 'device.snmp.v3-auth': 'pass' });
    expect(JSON.stringify(g)).not.toContain(V3.authKey);
  }, 30_000);
});
