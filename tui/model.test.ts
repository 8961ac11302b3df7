import { describe, expect, it } from 'vitest';
import { labels } from './i18n.js';
import {
  type AlertView,
  formatAge,
  ipv6State,
  layout,
  nextZone,
  nodeColumns,
  nodeState,
  renderHeader,
  renderRow,
  scrollOffset,
  selectAlerts,
  selectNodes,
  spread,
} from './model.js';
import { node } from './testdata.js';
import { strWidth } from './width.js';

describe('node state', () => {
  it.each([
    ['up, nothing known', node('a'), 'ok'],
    ['down wins over alerts', node('a', { up: false, activeAlerts: 3 }), 'down'],
    ['an active alert', node('a', { activeAlerts: 1 }), 'alert'],
    ['no alert (0)', node('a', { activeAlerts: 0 }), 'ok'],
    ['a device not answering', node('a', { devices: { up: 1, total: 2 } }), 'degraded'],
    ['all devices answer', node('a', { devices: { up: 2, total: 2 } }), 'ok'],
    ['a link down', node('a', { linksDown: 1 }), 'degraded'],
    ['v6 loss 10 points above v4', node('a', { ipv6: { lossV6: 0.1, lossV4: 0, websiteRate: null } }), 'degraded'],
    ['v6 loss within the margin', node('a', { ipv6: { lossV6: 0.05, lossV4: 0, websiteRate: null } }), 'ok'],
    ['website rate low', node('a', { ipv6: { lossV6: null, lossV4: null, websiteRate: 0.5 } }), 'degraded'],
  ] as const)('%s → %s', (_, n, state) => {
    expect(nodeState(n)).toBe(state);
  });

  it.each([
    [{ lossV6: null, lossV4: null, websiteRate: null }, 'none'],
    [{ lossV6: 0.2, lossV4: 0.2, websiteRate: null }, 'ok'],
    [{ lossV6: 0.3, lossV4: 0.2, websiteRate: 1 }, 'loss'],
    [{ lossV6: 0.1, lossV4: null, websiteRate: null }, 'loss'],
    [{ lossV6: null, lossV4: 0.5, websiteRate: 0.89 }, 'low'],
    [{ lossV6: null, lossV4: null, websiteRate: 0.9 }, 'ok'],
  ] as const)('ipv6 %j → %s', (ipv6, s) => {
    expect(ipv6State({ ipv6 })).toBe(s);
  });
});

describe('selectNodes', () => {
  const rows = [
    node('town-02', { zone: 'extranet', site: '测试县', activeAlerts: 0, lastSeenAgeSeconds: 30, mlpsScore: 70 }),
    node('town-01', { zone: 'extranet', site: '测试县', up: false, lastSeenAgeSeconds: 300, mlpsScore: 90 }),
    node('cloud-a', { zone: 'gov-cloud', site: '市政务云', activeAlerts: 2, lastSeenAgeSeconds: 5 }),
    node('cloud-b', { zone: 'gov-cloud', site: '市政务云', linksDown: 1, lastSeenAgeSeconds: 10, mlpsScore: 80 }),
  ];
  const ids = (q: Partial<Parameters<typeof selectNodes>[1]>) => selectNodes(rows, { text: '', zone: null, sort: 'state', desc: false, ...q }).map((r) => r.id);
  it.each([
    [{}, ['town-01', 'cloud-a', 'cloud-b', 'town-02']],
    [{ desc: true }, ['town-02', 'cloud-b', 'cloud-a', 'town-01']],
    [{ sort: 'node' }, ['cloud-a', 'cloud-b', 'town-01', 'town-02']],
    [{ sort: 'age' }, ['town-01', 'town-02', 'cloud-b', 'cloud-a']],
    [{ sort: 'alerts' }, ['cloud-a', 'town-02', 'cloud-b', 'town-01']],
    [{ sort: 'score' }, ['town-02', 'cloud-b', 'town-01', 'cloud-a']],
    // code point order: 市 (U+5E02) before 测 (U+6D4B)
    [{ sort: 'site' }, ['cloud-a', 'cloud-b', 'town-01', 'town-02']],
    [{ zone: 'gov-cloud' }, ['cloud-a', 'cloud-b']],
    [{ text: 'TOWN' }, ['town-01', 'town-02']],
    [{ text: '政务云' }, ['cloud-a', 'cloud-b']],
    [{ text: 'extranet', zone: 'gov-cloud' }, []],
  ] as const)('%j → %j', (q, out) => {
    expect(ids(q as Partial<Parameters<typeof selectNodes>[1]>)).toEqual(out);
  });

  it('cycles zones: all → each → all', () => {
    const zones = ['extranet', 'gov-cloud'];
    expect([nextZone(zones, null), nextZone(zones, 'extranet'), nextZone(zones, 'gov-cloud'), nextZone([], null)]).toEqual([
      'extranet',
      'gov-cloud',
      null,
      null,
    ]);
  });
});

describe('formatting and layout', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [3599, '59m'],
    [3600, '1h'],
    [86399, '23h'],
    [86400 * 3, '3d'],
  ])('formatAge(%i) = %s', (s, out) => {
    expect(formatAge(s)).toBe(out);
  });

  it('fills the width exactly, flexible columns sharing what the fixed ones leave', () => {
    const cols = [
      { key: 'a', title: 'a', width: 0, flex: 3, min: 4, cell: () => '' },
      { key: 'b', title: 'b', width: 5, cell: () => '' },
      { key: 'c', title: 'c', width: 0, flex: 2, min: 4, cell: () => '' },
    ];
    expect(layout(cols, 30)).toEqual([14, 5, 9]);
    expect(layout(cols, 10)).toEqual([4, 5, 4]);
  });

  it('keeps columns aligned at 80 columns with CJK sites and node ids (en and zh)', () => {
    for (const lang of ['en', 'zh'] as const) {
      const L = labels(lang);
      const cols = nodeColumns(L, 80);
      const widths = layout(cols, 78);
      const lines = [
        renderHeader(cols, widths),
        ...['测试县政务外网中心机房', 'plain-site', '乡'].map((site, i) => renderRow(cols, widths, node(`节点-${i}`, { site, devices: { up: 1, total: 2 } }))),
      ];
      for (const l of lines) expect(strWidth(l)).toBe(78);
      // the zone column starts at the same column on every line
      const at = (l: string, s: string) => strWidth(l.slice(0, l.indexOf(s)));
      expect(new Set(lines.slice(1).map((l) => at(l, 'extranet'))).size).toBe(1);
      expect(new Set(lines.slice(1).map((l) => at(l, '1/2'))).size).toBe(1);
    }
    expect(nodeColumns(labels('en'), 80).map((c) => c.key)).not.toContain('loss');
    expect(nodeColumns(labels('en'), 120).map((c) => c.key)).toContain('loss');
  });

  it.each([
    [0, 0, 10, 100, 0],
    [0, 9, 10, 100, 0],
    [0, 10, 10, 100, 1],
    [50, 40, 10, 100, 40],
    [0, 99, 10, 100, 90],
    [95, 99, 10, 100, 90],
    [5, 2, 10, 3, 0],
  ])('scrollOffset(offset %i, cursor %i, height %i, total %i) = %i', (o, c, h, t, out) => {
    expect(scrollOffset(o, c, h, t)).toBe(out);
  });

  it('spread puts right at the end and cuts left first', () => {
    expect(spread('left', '12:00:00', 20)).toBe('left        12:00:00');
    expect(spread('a long left side here', '12:00:00', 20)).toBe('a long lef… 12:00:00');
    expect(strWidth(spread('巡检 · 采集器', '12:00:00', 20))).toBe(20);
  });
});

describe('selectAlerts', () => {
  const a = (fingerprint: string, over: Partial<AlertView>): AlertView => ({
    fingerprint,
    name: 'NodeDown',
    severity: 'critical',
    category: 'availability',
    node: 'town-01',
    state: 'firing',
    summary: '',
    startsAt: 1000,
    ...over,
  });
  const alerts = [
    a('1', { state: 'resolved', startsAt: 5000 }),
    a('2', { severity: 'warning', category: 'ipv6', startsAt: 2000, name: 'V6Loss' }),
    a('3', { startsAt: 3000 }),
    a('4', { state: 'pending', severity: 'warning', startsAt: 4000, node: 'cloud-a' }),
  ];
  it.each([
    [{}, ['3', '2', '4']],
    [{ showResolved: true }, ['3', '2', '4', '1']],
    [{ severity: 'warning' }, ['2', '4']],
    [{ category: 'ipv6' }, ['2']],
    [{ text: 'cloud' }, ['4']],
    [{ text: 'v6loss' }, ['2']],
  ])('%j → %j', (f, out) => {
    expect(selectAlerts(alerts, { text: '', severity: null, category: null, showResolved: false, ...f }).map((x) => x.fingerprint)).toEqual(out);
  });
});
