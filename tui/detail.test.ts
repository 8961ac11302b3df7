import { describe, expect, it } from 'vitest';
import { interfaceRow } from '../collector/api/interfaces.js';
import type { Compliance, Result } from './client.js';
import { DETAIL_WIDTH, complianceLines, deviceLines, formatBps, formatRate, formatSpeed } from './detail.js';
import { labels } from './i18n.js';
import { strWidth } from './width.js';

const C: Compliance = {
  score: { passed: 40, failed: 2 },
  failing: [
    {
      check: 'host.ident.uid0',
      clause: '8.1.4.1 a',
      title: { zh: '除 root 外无 UID 为 0 的账户', en: 'No account other than root has UID 0' },
      evidence: 'host.posture.accounts.uid0 = ["root","toor"] (/etc/passwd:30: toor:x:0:0:toor:/root:/bin/bash)',
      remediation: {
        zh: '删除或改号多余的 UID 0 账户（userdel toor），并复核 /etc/passwd 中的所有特权账户及其登录外壳配置',
        en: 'Remove extra UID 0 accounts',
      },
    },
    { check: 'host.x', clause: '8.1.4.2 b', title: { zh: '', en: 'Only english' }, evidence: '', remediation: { zh: '', en: '' } },
  ],
};
const ok = (v: Compliance): Result<Compliance> => ({ ok: true, value: v });

describe('complianceLines', () => {
  it.each([
    [
      'en',
      ok(C),
      [
        '  failing checks: 2   (40 / 42)',
        '  ✗ host.ident.uid0 8.1.4.1 a No account other than root has UID 0',
        '      evidence: host.posture.accounts.uid0 = ["root","toor"] (/etc/passwd:30: t…',
        '      fix: Remove extra UID 0 accounts',
        '  ✗ host.x 8.1.4.2 b Only english',
        '      evidence: –',
        '      fix: –',
      ],
    ],
    [
      'zh',
      ok(C),
      [
        '  不符合项: 2   (40 / 42)',
        '  ✗ host.ident.uid0 8.1.4.1 a 除 root 外无 UID 为 0 的账户',
        '      证据: host.posture.accounts.uid0 = ["root","toor"] (/etc/passwd:30: toor:…',
        '      整改: 删除或改号多余的 UID 0 账户（userdel toor），并复核 /etc/passwd 中…',
        '  ✗ host.x 8.1.4.2 b Only english',
        '      证据: –',
        '      整改: –',
      ],
    ],
    ['en', null, ['  loading…']],
    ['en', { ok: false, kind: 'forbidden', message: 'role does not allow' } as const, ["  your token's role does not allow this (security)"]],
    ['zh', { ok: false, kind: 'unavailable', message: 'not available' } as const, ['  该节点无等保测评结果']],
    ['en', { ok: false, kind: 'error', message: 'HTTP 500: boom' } as const, ['  HTTP 500: boom']],
  ] as const)('%s %#', (lang, res, want) => {
    const got = complianceLines(res, labels(lang));
    expect(got).toEqual(want);
    for (const l of got) expect(strWidth(l)).toBeLessThanOrEqual(DETAIL_WIDTH);
    // a cut line fills the 80 columns, less one when the next character is wide (never split)
    for (const l of got.filter((x) => res?.ok && x.endsWith('…'))) expect([79, 80]).toContain(strWidth(l));
  });
});

const row = interfaceRow;
const IFS = {
  ok: true as const,
  value: [
    {
      target: 'core-sw1',
      up: true,
      interfacesDown: 1,
      interfaces: [
        row('10', {
          ifName: 'GE0/0/1',
          adminStatus: 'up',
          operStatus: 'up',
          speedBps: 1e9,
          inBps: 1e8,
          outBps: 1e7,
          inUtilization: 0.1,
          outUtilization: 0.01,
          inErrorsPerSecond: 1.5,
          outErrorsPerSecond: 0.5,
        }),
        row('11', {
          ifName: 'GE0/0/2',
          adminStatus: 'up',
          operStatus: 'lowerLayerDown',
          down: true,
          speedBps: 1e9,
          inBps: 0,
          outBps: 0,
          inUtilization: 0,
          outUtilization: 0,
          inErrorsPerSecond: 0,
        }),
        // no ifName: ifDescr, cut before a wide character, never through it
        row('12', { ifDescr: '至城关镇政务外网汇聚口', adminStatus: 'down', operStatus: 'down' }),
      ],
    },
    // polled by the node but not (yet) in the device registry
    { target: 'acc-sw2', up: false, interfacesDown: 0, interfaces: [] },
  ],
};
const REG = {
  ok: true as const,
  value: [
    { node: 'n1', name: 'core-sw1', address: 'udp6://[::1]:161', vendor: 'huawei', firmware: 'VRP V200R011C10SPC500', up: true, interfacesDown: null },
    { node: 'other', name: 'elsewhere', address: '', vendor: '', firmware: '', up: true, interfacesDown: 0 },
  ],
};

describe('deviceLines', () => {
  it.each([
    [
      'en',
      [
        '  core-sw1 udp6://[::1]:161 huawei VRP V200R011C10SPC500 up if↓ 1/3',
        '      interface      oper   admin speed  in bps out bps    in%   out%   err/s',
        '      GE0/0/1        up     up       1G  100.0M   10.0M  10.0%   1.0%    2.00',
        '    ✗ GE0/0/2        lower↓ up       1G       0       0   0.0%   0.0%       0',
        '      至城关镇政务…  down   off       –       –       –      –      –       –',
        '  acc-sw2 DOWN if↓ 0/0',
      ],
    ],
    [
      'zh',
      [
        '  core-sw1 udp6://[::1]:161 huawei VRP V200R011C10SPC500 在线 断口 1/3',
        '      接口           运行   管理   速率  入流量  出流量    入%    出%  错包/s',
        '      GE0/0/1        正常   启用     1G  100.0M   10.0M  10.0%   1.0%    2.00',
        '    ✗ GE0/0/2        下层断 启用     1G       0       0   0.0%   0.0%       0',
        '      至城关镇政务…  断开   关闭      –       –       –      –      –       –',
        '  acc-sw2 离线 断口 0/0',
      ],
    ],
  ] as const)('%s: each device, its interfaces in columns (CJK 2 wide), within 80 columns', (lang, want) => {
    const got = deviceLines('n1', REG, IFS, labels(lang));
    expect(got).toEqual(want);
    for (const l of got) expect(strWidth(l)).toBeLessThanOrEqual(DETAIL_WIDTH);
    // the table's columns line up: every row of the table is 77 columns wide
    expect(new Set(got.slice(1, 5).map(strWidth))).toEqual(new Set([77]));
  });

  it.each([
    ['loading, nothing registered', null, null, 'en', ['  –', '  interfaces: loading…']],
    ['a collector without the route', null, { ok: false, kind: 'unavailable', message: 'x' } as const, 'zh', ['  –', '  接口: 此采集器不提供该功能']],
    [
      'the registry row kept when the route fails',
      REG,
      { ok: false, kind: 'error', message: 'HTTP 500: boom' } as const,
      'en',
      ['  core-sw1 udp6://[::1]:161 huawei VRP V200R011C10SPC500 up if↓ –', '  interfaces: HTTP 500: boom'],
    ],
    ['no device at all', null, { ok: true as const, value: [] }, 'en', ['  –']],
  ] as const)('%s', (_, reg, ifs, lang, want) => {
    expect(deviceLines('n1', reg, ifs, labels(lang))).toEqual(want);
  });
});

describe('formats', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1.0k'],
    [1499, '1.5k'],
    [999_999, '1.0M'],
    [2.5e9, '2.5G'],
    [null, '–'],
  ])('formatBps(%s) = %s', (v, want) => expect(formatBps(v)).toBe(want));
  it.each([
    [64_000, '64k'],
    [1e8, '100M'],
    [1e9, '1G'],
    [2.5e9, '2.5G'],
    [null, '–'],
  ])('formatSpeed(%s) = %s', (v, want) => expect(formatSpeed(v)).toBe(want));
  it.each([
    [0, '0'],
    [0.25, '0.25'],
    [12.5, '12.5'],
    [1234, '1.2k'],
    [null, '–'],
  ])('formatRate(%s) = %s', (v, want) => expect(formatRate(v)).toBe(want));
});
