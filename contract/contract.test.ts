import { describe, expect, it } from 'vitest';
import { POSTURE_FACT_IDS } from './facts/posture.js';
import { renderExposition } from './exposition.js';
import { checkReport } from './schema.js';
import { sign, tokenDigest, verify } from './sign.js';
import type { Report } from './types.js';

const report = (): Report => ({
  v: 1,
  node: { id: 'county-07', site: '城关', zone: 'extranet', grade: 3, labels: { region: 'east' } },
  agent: { version: '0.1.0', interval: 60 },
  seq: 1,
  sentAt: 1_700_000_000_000,
  samples: [{ name: 'node_load1', labels: {}, value: 0.5, type: 'gauge', ts: 1_700_000_000_000 }],
});

describe('report schema v1', () => {
  it('accepts a valid report', () => {
    expect(checkReport(report())).toEqual({ ok: true, report: report() });
  });

  it.each<[string, (r: Record<string, unknown>) => unknown, string, string]>([
    ['not an object', () => [], 'invalid_report', 'report must be a JSON object'],
    ['future version', (r) => ({ ...r, v: 2 }), 'unsupported_contract_version', 'report uses contract v2; this collector speaks v1: upgrade the collector'],
    ['missing version', (r) => ({ ...r, v: undefined }), 'invalid_report', '/v: must be 1'],
    ['unknown field', (r) => ({ ...r, extra: 1 }), 'invalid_report', "(report): unknown field 'extra'"],
    ['bad zone', (r) => ({ ...r, node: { ...(r.node as object), zone: 'lan' } }), 'invalid_report', '/node/zone: must be equal to one of the allowed values'],
    [
      'bad metric name',
      (r) => ({ ...r, samples: [{ name: '9x', labels: {}, value: 1, type: 'gauge', ts: 1 }] }),
      'invalid_report',
      '/samples/0/name: must match pattern',
    ],
    [
      'string value',
      (r) => ({ ...r, samples: [{ name: 'x', labels: {}, value: '1', type: 'gauge', ts: 1 }] }),
      'invalid_report',
      '/samples/0/value: must be number',
    ],
    ['seq zero', (r) => ({ ...r, seq: 0 }), 'invalid_report', '/seq: must be >= 1'],
  ])('rejects %s', (_n, mutate, error, message) => {
    const res = checkReport(mutate(report() as unknown as Record<string, unknown>));
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error).toBe(error);
    expect(res.message).toContain(message);
  });
});

describe('host.posture facts in a report', () => {
  const posture = (facts: Record<string, unknown> = {}) => ({
    schemaVersion: 1,
    root: '/',
    live: true,
    facts: {
      ...Object.fromEntries(POSTURE_FACT_IDS.map((id) => [id, { status: 'unknown', value: null, evidence: [], reason: 'permission denied' }])),
      ...facts,
    },
  });
  const withPosture = (p: unknown) => ({ ...report(), facts: { 'host.posture': p } }) as unknown as Report;

  it('accepts schema-v1 facts', () => {
    const ok = posture({
      'ssh.permitRootLogin': { status: 'ok', value: 'no', evidence: [{ source: '/etc/ssh/sshd_config', line: 3, excerpt: 'PermitRootLogin no' }] },
    });
    expect(checkReport(withPosture(ok)).ok).toBe(true);
  });

  it('stores a newer schema version uninterpreted', () => {
    expect(checkReport(withPosture({ schemaVersion: 2, anything: true })).ok).toBe(true);
  });

  it.each<[string, unknown, string]>([
    [
      'a missing fact id',
      (() => {
        const p = posture();
        delete (p.facts as Record<string, unknown>)['ssh.permitRootLogin'];
        return p;
      })(),
      "/facts/host.posture/facts: must have required property 'ssh.permitRootLogin'",
    ],
    [
      'an ok fact of the wrong type',
      posture({ 'ssh.maxAuthTries': { status: 'ok', value: 'three', evidence: [] } }),
      '/facts/host.posture/facts/ssh.maxAuthTries/value',
    ],
    [
      'an unknown fact without a reason',
      posture({ 'ssh.maxAuthTries': { status: 'unknown', value: null, evidence: [] } }),
      "/facts/host.posture/facts/ssh.maxAuthTries: must have required property 'reason'",
    ],
    ['a version that is not a number', { ...posture(), schemaVersion: '1' }, '/facts/host.posture/schemaVersion: must be equal to constant'],
  ])('rejects %s, naming the path', (_n, p, message) => {
    const res = checkReport(withPosture(p));
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error).toBe('invalid_report');
    expect(res.message).toContain(message);
  });
});

describe('signatures', () => {
  const key = tokenDigest('xj1_test-token');
  const body = Buffer.from('{"v":1}');
  it('verifies what it signs, for both algorithms', () => {
    for (const alg of ['hmac-sha256', 'hmac-sm3'] as const) {
      const h = sign(alg, key, '1700000000000', body);
      expect(h.startsWith(`${alg}=`)).toBe(true);
      expect(verify(h, key, '1700000000000', body, ['hmac-sha256', 'hmac-sm3'])).toEqual({ ok: true, algorithm: alg });
    }
  });
  it('matches an independent HMAC-SHA256 computation', async () => {
    const { createHmac, createHash } = await import('node:crypto');
    const k = createHash('sha256').update('xj1_test-token').digest();
    const expected = createHmac('sha256', k).update('1700000000000\n{"v":1}').digest('hex');
    expect(sign('hmac-sha256', key, '1700000000000', body)).toBe(`hmac-sha256=${expected}`);
  });
  it.each([
    ['tampered body', (h: string) => verify(h, key, '1700000000000', Buffer.from('{"v":2}'), ['hmac-sha256']), 'signature does not match body and timestamp'],
    ['other timestamp', (h: string) => verify(h, key, '1700000000001', body, ['hmac-sha256']), 'signature does not match body and timestamp'],
    ['other key', (h: string) => verify(h, tokenDigest('other'), '1700000000000', body, ['hmac-sha256']), 'signature does not match body and timestamp'],
    [
      'algorithm not accepted',
      (h: string) => verify(h, key, '1700000000000', body, ['hmac-sm3']),
      'signature algorithm hmac-sha256 is not accepted here (accepted: hmac-sm3)',
    ],
    ['garbage header', () => verify('md5=abc', key, '1', body, ['hmac-sha256']), "signature must be '<algorithm>=<hex>'"],
    ['missing header', () => verify(undefined, key, '1', body, ['hmac-sha256']), 'missing X-Xunjian-Signature header'],
  ])('rejects %s', (_n, check, reason) => {
    const r = check(sign('hmac-sha256', key, '1700000000000', body));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('text exposition', () => {
  it('groups families, escapes label values and renders special values', () => {
    const text = renderExposition(
      [
        { name: 'a', labels: { x: 'q"\\\n' }, value: 1, type: 'counter', ts: 5 },
        { name: 'b_info', labels: { v: '1' }, value: 1, type: 'info', ts: 5 },
        { name: 'a', labels: { x: 'y' }, value: Number.NaN, type: 'counter', ts: 5 },
        { name: 'c', labels: {}, value: Number.POSITIVE_INFINITY, type: 'gauge', ts: 5 },
      ],
      { help: { a: 'help\nline' }, timestamps: true },
    );
    expect(text).toBe(
      [
        '# HELP a help\\nline',
        '# TYPE a counter',
        'a{x="q\\"\\\\\\n"} 1 5',
        'a{x="y"} NaN 5',
        '# TYPE b_info gauge',
        'b_info{v="1"} 1 5',
        '# TYPE c gauge',
        'c +Inf 5',
        '',
      ].join('\n'),
    );
  });
});

describe('network fact groups (schema v1)', () => {
  const device = {
    addressResolved: true,
    answersV1: false,
    answersV2c: true,
    defaultCommunities: ['v2c:public'],
    snmpVersionUsed: '2c',
    v3: null,
    insecure: ['community-based SNMP (v2c)'],
    sysDescr: 'Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170 (S5720 V200R011C10SPC500)',
    sysObjectID: '1.3.6.1.4.1.2011.2.23.1',
    firmware: { vendor: 'huawei', os: 'VRP', version: 'V200R011C10SPC500', platform: '5.170' },
    lastPollOk: true,
    profiles: ['system', 'if_mib', 'huawei'],
  };
  const site = {
    site: 'https://www.example.gov.cn/',
    checkedAt: '2026-12-01T00:00:00.000Z',
    homepage: { aaaa: true, ipv6Reachable: true, ipv4Reachable: true },
    levels: [
      { level: 2, found: 3, checked: 3, capable: 3, rate: 1, unchecked: 0, failures: [] },
      { level: 3, found: 5, checked: 4, capable: 3, rate: 0.75, unchecked: 1, failures: [{ url: 'https://x.example.gov.cn/', reason: 'no AAAA' }] },
    ],
    pagesFetched: 12,
    budgetExhausted: false,
  };
  const rep = (facts: Record<string, unknown>) => ({
    v: 1,
    node: { id: 'n', site: 's', zone: 'extranet', grade: 3, labels: {} },
    agent: { version: 't', interval: 60 },
    seq: 1,
    sentAt: 1,
    samples: [],
    facts,
  });
  it.each([
    ['a device group', { 'network.device.core': device }, true],
    ['a website group', { 'network.website_ipv6': { [site.site]: site } }, true],
    ['a newer device schema, stored uninterpreted', { 'network.device.core': { schemaVersion: 2, anything: 1 } }, true],
    ['a device group with a mistyped field', { 'network.device.core': { ...device, answersV1: 'yes' } }, false],
    ['a device group naming a community', { 'network.device.core': { ...device, defaultCommunities: ['v2c:s3cret'] } }, false],
    ['a website rate above 1', { 'network.website_ipv6': { [site.site]: { ...site, levels: [{ ...site.levels[0], rate: 1.5 }, site.levels[1]] } } }, false],
  ])('%s', (_n, facts, ok) => {
    const r = checkReport(rep(facts));
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.message).toMatch(/^\/facts\/network\./);
  });
});
