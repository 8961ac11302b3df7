import { describe, expect, it } from 'vitest';
import type { Compliance, Result } from './client.js';
import { DETAIL_WIDTH, complianceLines } from './detail.js';
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
