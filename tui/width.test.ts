import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { charWidth, padTo, strWidth, truncate } from './width.js';

describe('strWidth', () => {
  it.each([
    ['', 0],
    ['town-01', 7],
    ['测试县', 6],
    ['县级-core', 9],
    ['（政务外网）', 12],
    ['ｘｊ', 4],
    ['한국', 4],
    ['かな', 4],
    ['e\u0301', 1],
    ['a\u200bb', 2],
    ['\u001b[31mred\u001b[39m', 3],
    ['↑↓ ⏎ –…', 7],
    ['🚀', 2],
    ['𠀀', 2],
  ])('%j is %i columns', (s, w) => {
    expect(strWidth(s)).toBe(w);
  });

  // ink lays text out with string-width: the table's padding must agree with it on what the TUI shows
  it.each([
    '测试县政务外网',
    '节点',
    '区域',
    '站点',
    '等级',
    '状态',
    '上报',
    '设备',
    '断链',
    '测评',
    '告警',
    '丢包 v6/v4',
    '网站v6',
    '认领 / 确认',
    '↑↓ 移动  ⏎ 打开',
    '乡镇-七号',
    '（市级）',
    'lnk↓',
    'if↓',
    '✓ops',
    '⏸',
    'e\u0301',
    '🚀',
  ])('agrees with string-width on %j', (s) => {
    expect(strWidth(s)).toBe(stringWidth(s));
  });

  it('counts a wide character as 2 and a mark as 0', () => {
    expect([charWidth('中'), charWidth('a'), charWidth('\u0301'), charWidth('\u0007')]).toEqual([2, 1, 0, 0]);
  });
});

describe('truncate and padTo', () => {
  it.each([
    ['town-01', 10, 'town-01'],
    ['town-01', 7, 'town-01'],
    ['town-01', 6, 'town-…'],
    ['测试县政务外网', 7, '测试县…'],
    ['测试县政务外网', 8, '测试县…'],
    ['测试县政务外网', 14, '测试县政务外网'],
    ['abc', 0, ''],
    ['abc', 1, '…'],
  ])('truncate(%j, %i) = %j', (s, w, out) => {
    expect(truncate(s, w)).toBe(out);
    expect(strWidth(truncate(s, w))).toBeLessThanOrEqual(w);
  });

  it.each([
    ['ab', 4, 'left', 'ab  '],
    ['ab', 4, 'right', '  ab'],
    ['测试', 5, 'left', '测试 '],
    ['测试县', 5, 'left', '测试…'],
    ['测试县政', 6, 'right', ' 测试…'],
  ] as const)('padTo(%j, %i, %s) = %j', (s, w, align, out) => {
    expect(padTo(s, w, align)).toBe(out);
    expect(strWidth(padTo(s, w, align))).toBe(w);
  });
});
