import { describe, expect, it } from 'vitest';
import { formatTime, formatValue, renderBody, renderTitle, truncateBytes, utf8Bytes } from './format.js';
import type { NotifiedAlert, Notification } from './receivers/types.js';

const T0 = Date.UTC(2026, 11, 3, 7, 0, 0);
const linkDown: NotifiedAlert = {
  fingerprint: 'f1',
  status: 'firing',
  labels: {
    alertname: 'LinkDown',
    severity: 'critical',
    category: 'network',
    node: 'town-01',
    site: '城区中心',
    zone: 'county-a',
    device: 'core-sw1',
    interface: 'Gi0/1',
  },
  annotations: {
    summary: '上联链路中断',
    description: '接口 Gi0/1 运行状态为 down',
    runbook_url: 'https://wiki.example/runbook/linkdown',
    remediation_url: 'https://wiki.example/fix',
  },
  startsAt: T0,
  endsAt: 0,
  generatorURL: '',
  value: 0,
  claimedBy: '张三',
};
const note = (alerts: NotifiedAlert[], status: 'firing' | 'resolved' = 'firing'): Notification => ({
  receiver: 'r',
  groupKey: 'g',
  groupLabels: { alertname: 'LinkDown', site: '城区中心' },
  status,
  alerts,
  createdAt: T0,
});
const opts = {
  lang: 'zh-CN' as const,
  style: 'markdown' as const,
  timezone: 'Asia/Shanghai',
  externalURL: 'http://console.example/alerts',
  maxBytes: 0,
  now: T0 + 750_000,
};

describe('notification text', () => {
  it('zh-CN markdown: what, where, since, value, severity, links, owner', () => {
    expect(renderBody(note([linkDown]), { ...opts, trailer: '<@zhangsan>' })).toBe(
      [
        '### [告警 1 条] LinkDown · 城区中心',
        '',
        '🔴 **1. 上联链路中断** (严重 critical)',
        '- 位置: 节点 town-01 · 站点 城区中心 · 区域 county-a · 设备 core-sw1 · 接口 Gi0/1',
        '- 告警名: LinkDown',
        '- 类别: 网络 network',
        '- 开始: 2026-12-03 15:00:00 GMT+8 (持续 12m30s)',
        '- 当前值: 0',
        '- 说明: 接口 Gi0/1 运行状态为 down',
        '- [运行手册](https://wiki.example/runbook/linkdown) · [处置建议](https://wiki.example/fix)',
        '- 认领: 张三',
        '',
        '[查看详情](http://console.example/alerts)',
        '<@zhangsan>',
      ].join('\n'),
    );
  });

  it('en text, resolved', () => {
    const a: NotifiedAlert = { ...linkDown, status: 'resolved', endsAt: T0 + 1_800_000, claimedBy: undefined, value: 0.123456789, annotations: {} };
    expect(renderBody(note([a], 'resolved'), { ...opts, lang: 'en', style: 'text', externalURL: '' })).toBe(
      [
        '[RESOLVED:1] LinkDown · 城区中心',
        '',
        '✅ 1. LinkDown (critical)',
        '  Where: node town-01 · site 城区中心 · zone county-a · device core-sw1 · interface Gi0/1',
        '  category: network',
        '  Since: 2026-12-03 15:00:00 GMT+8 (for 30m)',
        '  Resolved: 2026-12-03 15:30:00 GMT+8',
        '  Value: 0.123457',
        '',
      ].join('\n'),
    );
  });

  it('picks the annotations of the receiver’s language (summary_zh, description_zh)', () => {
    const a: NotifiedAlert = {
      ...linkDown,
      claimedBy: undefined,
      annotations: { summary: 'Uplink down', summary_zh: '上联链路中断', description: 'Gi0/1 is down', description_zh: '接口 Gi0/1 已断开' },
    };
    const zh = renderBody(note([a]), opts);
    expect(zh).toContain('🔴 **1. 上联链路中断** (严重 critical)');
    expect(zh).toContain('- 说明: 接口 Gi0/1 已断开');
    const en = renderBody(note([a]), { ...opts, lang: 'en' });
    expect(en).toContain('🔴 **1. Uplink down** (critical)');
    expect(en).toContain('- Details: Gi0/1 is down');
    const onlyZh = renderBody(note([{ ...a, annotations: { summary_zh: '仅中文' } }]), { ...opts, lang: 'en' });
    expect(onlyZh).toContain('**1. 仅中文**');
  });

  it('titles', () => {
    const r = { ...linkDown, fingerprint: 'f2', status: 'resolved' as const, endsAt: T0 + 1 };
    expect(renderTitle(note([linkDown, r]), 'zh-CN')).toBe('[告警 1 条, 已恢复 1 条] LinkDown · 城区中心');
    expect(renderTitle(note([linkDown, r]), 'en')).toBe('[FIRING:1, RESOLVED:1] LinkDown · 城区中心');
    expect(renderTitle({ ...note([linkDown]), escalation: { step: 1, unclaimedMs: 900_000 } }, 'zh-CN')).toBe('[升级 告警 1 条] LinkDown · 城区中心');
  });

  it('truncates at whole alerts within the byte limit and says how many were left out', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ ...linkDown, fingerprint: `f${i}`, labels: { ...linkDown.labels, node: `town-${i}` } }));
    const text = renderBody(note(many), { ...opts, maxBytes: 4096, trailer: '<@zhangsan>' });
    expect(utf8Bytes(text)).toBeLessThanOrEqual(4096);
    const shown = text.match(/^🔴 /gm)!.length;
    expect(text).toContain(`…另有 ${50 - shown} 条告警未显示`);
    expect(shown).toBeGreaterThan(5);
    expect(text.endsWith('[查看详情](http://console.example/alerts)\n<@zhangsan>')).toBe(true);
    // one more alert would not have fitted
    expect(utf8Bytes(renderBody(note(many.slice(0, shown + 1)), { ...opts, maxBytes: 0, trailer: '<@zhangsan>' }))).toBeGreaterThan(4096 - 60);
    const en = renderBody(note(many), { ...opts, lang: 'en', maxBytes: 2048 });
    expect(en).toMatch(/…and \d+ more alerts not shown/);
  });

  it('cuts a single alert too large for the limit, between characters', () => {
    const big = { ...linkDown, annotations: { ...linkDown.annotations, description: '长'.repeat(190), remediation: '修'.repeat(130) } };
    const text = renderBody(note([big, linkDown]), { ...opts, maxBytes: 600 });
    expect(utf8Bytes(text)).toBeLessThanOrEqual(600);
    expect(text).toContain('…另有 1 条告警未显示');
    expect(text).not.toContain('\uFFFD');
  });

  it('helpers', () => {
    expect(truncateBytes('中文ab', 4)).toBe('中');
    expect(truncateBytes('中文ab', 7)).toBe('中文a');
    expect(formatTime(T0, 'UTC')).toBe('2026-12-03 07:00:00 UTC');
    expect(formatValue(1 / 3)).toBe('0.333333');
    expect(formatValue(42)).toBe('42');
  });
});
