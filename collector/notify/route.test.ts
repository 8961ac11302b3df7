import { describe, expect, it } from 'vitest';
import { buildRoute, groupLabels, matchRoute } from './route.js';

const tree = buildRoute({
  receiver: 'default',
  group_by: ['alertname', 'site'],
  group_wait: '30s',
  routes: [
    { receiver: 'security', matchers: ['category="security"'], group_by: ['...'], continue: true },
    {
      receiver: 'network',
      matchers: ['category="network"'],
      group_interval: '1m',
      routes: [
        { receiver: 'county-oncall', matchers: ['zone=~"county-.*"', 'severity="critical"'], repeat_interval: '30m' },
        { receiver: 'city-noc', matchers: ['zone="city"'] },
      ],
    },
    { receiver: 'mlps', matchers: ['category="mlps"'] },
    { receiver: 'never', matchers: ['category="network"'] },
  ],
});

describe('route tree (Alertmanager semantics)', () => {
  it.each([
    [{ category: 'network', zone: 'county-3', severity: 'critical' }, ['county-oncall']],
    [{ category: 'network', zone: 'county-3', severity: 'warning' }, ['network']], // no child matched: the parent
    [{ category: 'network', zone: 'city' }, ['city-noc']],
    [{ category: 'security', zone: 'city' }, ['security']],
    [{ category: 'network', severity: 'critical', zone: 'county-1' }, ['county-oncall']], // the later network sibling (never) is not reached
    [{ category: 'security' }, ['security']], // continue, no later sibling matches; a matched child means the parent is not a match
    [{ category: 'mlps' }, ['mlps']],
    [{ category: 'other' }, ['default']],
  ])('%j goes to %j', (labels, want) => {
    expect(matchRoute(tree, labels).map((r) => r.receiver)).toEqual(want);
  });

  it('continue keeps matching siblings', () => {
    const t = buildRoute({
      receiver: 'root',
      routes: [
        { receiver: 'a', matchers: ['x="1"'], continue: true },
        { receiver: 'b', matchers: ['y="2"'] },
      ],
    });
    expect(matchRoute(t, { x: '1', y: '2' }).map((r) => r.receiver)).toEqual(['a', 'b']);
    expect(matchRoute(t, { x: '1' }).map((r) => r.receiver)).toEqual(['a']);
  });

  it('children inherit timing and grouping', () => {
    const county = tree.routes[1]!.routes[0]!;
    expect(county.groupBy).toEqual(['alertname', 'site']);
    expect(county.groupWaitMs).toBe(30_000);
    expect(county.groupIntervalMs).toBe(60_000);
    expect(county.repeatIntervalMs).toBe(1_800_000);
    expect(tree.repeatIntervalMs).toBe(4 * 3_600_000);
    expect(tree.routes[0]!.groupBy).toBeNull();
  });

  it('group labels follow group_by; ... takes all', () => {
    expect(groupLabels(tree, { alertname: 'LinkDown', site: 's1', node: 'n1' })).toEqual({ alertname: 'LinkDown', site: 's1' });
    expect(groupLabels(tree.routes[0]!, { alertname: 'X', node: 'n1' })).toEqual({ alertname: 'X', node: 'n1' });
  });

  it('route keys are distinct for siblings with the same matchers', () => {
    expect(tree.routes[1]!.key).not.toBe(tree.routes[3]!.key);
    expect(tree.routes[1]!.routes[0]!.key.startsWith(`${tree.routes[1]!.key}/`)).toBe(true);
  });

  it('bad matchers and durations name the key', () => {
    expect(() => buildRoute({ receiver: 'a', routes: [{ matchers: ['zone=~"("'] }] })).toThrow(
      expect.objectContaining({ key: 'notify.route.routes.0.matchers' }),
    );
    expect(() => buildRoute({ receiver: 'a', group_wait: '5 minutes' })).toThrow(expect.objectContaining({ key: 'notify.route.group_wait' }));
    expect(() => buildRoute({})).toThrow(expect.objectContaining({ key: 'notify.route.receiver' }));
  });
});
