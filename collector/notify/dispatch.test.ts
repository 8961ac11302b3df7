import { describe, expect, it } from 'vitest';
import { fingerprint } from '../alerts/labels.js';
import type { AlertView } from '../alerts/types.js';
import { Dispatcher, type FlushResult, type NflogEntry, needsUpdate } from './dispatch.js';
import { buildRoute } from './route.js';

const S = 1000;
const H = 3_600_000;

function view(name: string, startsAt: number, over: Partial<AlertView> = {}): AlertView {
  const labels = { alertname: 'LinkDown', node: name, site: 'city' };
  return {
    fingerprint: fingerprint(labels),
    labels,
    annotations: {},
    startsAt,
    endsAt: startsAt + 4 * 60 * S,
    generatorURL: '',
    status: 'firing',
    updatedAt: startsAt,
    silencedBy: [],
    ...over,
  };
}

function setup(sendResolved = true) {
  const log = new Map<string, NflogEntry>();
  const root = buildRoute({ receiver: 'r', group_by: ['alertname'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' });
  const d = new Dispatcher(root, () => sendResolved, { get: (g, r) => log.get(`${g}|${r}`) });
  const flush = (t: number): FlushResult[] => {
    const res = d.flushDue(t);
    for (const r of res) log.set(`${r.groupKey}|${r.receiver}`, r.entry);
    return res;
  };
  const sent = (t: number) => flush(t).flatMap((r) => (r.notification ? [r.notification] : []));
  return { d, flush, sent, log };
}

const names = (n: { alerts: { labels: { node?: string }; status: string }[] }) => n.alerts.map((a) => `${a.labels.node}:${a.status}`);

describe('Dispatcher timing and dedup', () => {
  it('group_wait, group_interval, repeat_interval, resolve', () => {
    const { d, sent } = setup();
    d.update([view('a', 0)], 0);
    expect(sent(29_999)).toEqual([]);
    const first = sent(30 * S);
    expect(first).toHaveLength(1);
    expect(names(first[0]!)).toEqual(['a:firing']);
    expect(first[0]!.groupLabels).toEqual({ alertname: 'LinkDown' });

    d.update([view('b', 60 * S)], 60 * S);
    expect(sent(60 * S)).toEqual([]); // waits for the group interval
    expect(sent(329 * S)).toEqual([]);
    expect(sent(330 * S).map(names)).toEqual([['a:firing', 'b:firing']]);
    expect(sent(330 * S)).toEqual([]); // flushed once; next at 630 s
  });

  it('a new alert joins at the next group interval; repeat after repeat_interval; claimed alerts do not repeat', () => {
    const { d, sent } = setup();
    d.update([view('a', 0)], 0);
    sent(30 * S);
    d.update([view('b', 60 * S)], 60 * S);
    const second = sent(330 * S);
    expect(second.map(names)).toEqual([['a:firing', 'b:firing']]);
    expect(sent(630 * S)).toEqual([]); // nothing changed
    // next flushes: 330 s + k·300 s; repeat once sentAt (330 s) + 4 h has passed: 14 730 s
    expect(sent(14_430 * S)).toEqual([]);
    expect(sent(14_730 * S).map(names)).toEqual([['a:firing', 'b:firing']]);
    // both claimed: no repeat at the next 4 h
    d.update([view('a', 0, { claim: { by: 'li', at: 1, comment: '' } }), view('b', 60 * S, { claim: { by: 'li', at: 1, comment: '' } })], 15_000 * S);
    expect(sent(14_730 * S + 4 * H)).toEqual([]);
    // one unclaimed again: repeats
    d.update([view('b', 60 * S)], 30_000 * S);
    expect(sent(14_730 * S + 4 * H + 300 * S).map(names)).toEqual([['a:firing', 'b:firing']]);
  });

  it('resolved alerts are sent (send_resolved) and then leave the group', () => {
    const { d, sent } = setup(true);
    d.update([view('a', 0), view('b', 0)], 0);
    sent(30 * S);
    d.update([view('a', 0, { status: 'resolved', endsAt: 100 * S })], 100 * S);
    const n = sent(330 * S);
    expect(n.map(names)).toEqual([['b:firing', 'a:resolved']]);
    expect(n[0]!.status).toBe('firing');
    expect(n[0]!.alerts[1]!.endsAt).toBe(100 * S);
    expect(n[0]!.alerts[0]!.endsAt).toBe(0);
    d.update([view('b', 0, { status: 'resolved', endsAt: 400 * S })], 400 * S);
    const last = sent(630 * S);
    expect(last.map(names)).toEqual([['b:resolved']]);
    expect(last[0]!.status).toBe('resolved');
    expect(d.groupCount()).toBe(0);
  });

  it('without send_resolved: no message for resolved alerts, the log is still cleared', () => {
    const { d, flush, log } = setup(false);
    d.update([view('a', 0)], 0);
    flush(30 * S);
    d.update([view('a', 0, { status: 'resolved', endsAt: 60 * S })], 60 * S);
    const r = flush(330 * S);
    expect(r).toHaveLength(1);
    expect(r[0]!.notification).toBeUndefined();
    expect([...log.values()][0]).toMatchObject({ firing: [], seq: 2 });
  });

  it('silenced alerts are left out; an old alert opening a group flushes at once', () => {
    const { d, sent } = setup();
    d.update([view('a', 0, { silencedBy: ['s1'] })], 0);
    expect(sent(30 * S)).toEqual([]);
    d.update([view('c', 0)], 10 * 60 * S); // joins the group (flushed at 30 s, due again since 330 s)
    expect(sent(10 * 60 * S).map(names)).toEqual([['c:firing']]);
    const other = setup();
    other.d.update([view('x', 0)], 5 * 60 * S);
    expect(other.sent(5 * 60 * S).map(names)).toEqual([['x:firing']]);
  });
});

describe('needsUpdate (Alertmanager DedupStage)', () => {
  const e = (firing: string[], resolved: string[], sentAt = 0): NflogEntry => ({ firing, resolved, sentAt, seq: 1 });
  it.each([
    ['first, firing', undefined, ['a'], [], true, true],
    ['first, only resolved', undefined, [], ['a'], true, false],
    ['new firing', e(['a'], []), ['a', 'b'], [], true, true],
    ['same', e(['a'], []), ['a'], [], true, false],
    ['one resolved, send_resolved', e(['a', 'b'], []), ['a'], ['b'], true, true],
    ['one resolved, no send_resolved', e(['a', 'b'], []), ['a'], ['b'], false, false],
    ['all resolved, no send_resolved', e(['a'], []), [], ['a'], false, true],
    ['nothing firing before or now', e([], ['a']), [], ['b'], true, false],
  ] as const)('%s', (_n, entry, firing, resolved, sendResolved, want) => {
    expect(needsUpdate(entry, [...firing], [...resolved], sendResolved, 4 * H, 60 * S, true)).toBe(want);
  });
  it('repeat only with an unclaimed firing alert', () => {
    expect(needsUpdate(e(['a'], [], 0), ['a'], [], true, H, H, true)).toBe(true);
    expect(needsUpdate(e(['a'], [], 0), ['a'], [], true, H, H, false)).toBe(false);
    expect(needsUpdate(e(['a'], [], 1), ['a'], [], true, H, H, true)).toBe(false);
  });
});
