import { describe, expect, it } from 'vitest';
import { cronFor, cronMinGapSeconds, cronProblem, reportOffsetSeconds } from './schedule.js';

describe('cronFor', () => {
  it.each([
    [1, 0, '* * * * * *'],
    [15, 0, '*/15 * * * * *'],
    [15, 7, '7-59/15 * * * * *'],
    [60, 0, '0 */1 * * * *'],
    [60, 42, '42 */1 * * * *'],
    [300, 0, '0 */5 * * * *'],
    [300, 193, '13 3-59/5 * * * *'],
    [3600, 0, '0 0 */1 * * *'],
    [3600, 3599, '59 59 */1 * * *'],
    [21600, 7265, '5 1 2-23/6 * * *'],
  ])('%i s at offset %i → %s', (sec, off, expr) => expect(cronFor(sec, off)).toBe(expr));
  it.each([7, 45, 90, 420, 5400])('%i s cannot be scheduled evenly', (sec) => expect(() => cronFor(sec)).toThrow(/cannot be scheduled evenly/));
  it('an offset outside the period is refused', () => {
    expect(() => cronFor(60, 60)).toThrow('offset 60 s must be a whole number of seconds below the period of 60 s');
  });
  it.each([
    [15, 7],
    [300, 193],
    [21600, 7265],
  ])('every %i s at offset %i: fires exactly at offset + k × period', (sec, off) => {
    expect(cronMinGapSeconds(cronFor(sec, off))).toBe(sec);
  });
});

describe('reportOffsetSeconds', () => {
  it('is stable per node id and inside the interval', () => {
    expect(reportOffsetSeconds('town-01', 60)).toBe(reportOffsetSeconds('town-01', 60));
    for (const id of ['a', 'town-01', 'county-core', '城关镇']) {
      const o = reportOffsetSeconds(id, 60);
      expect(Number.isInteger(o) && o >= 0 && o < 60).toBe(true);
    }
    expect(reportOffsetSeconds('anything', 1)).toBe(0);
  });
  it('spreads a fleet over the interval', () => {
    const offsets = Array.from({ length: 600 }, (_, i) => reportOffsetSeconds(`village-${i}`, 60));
    const perSecond = new Map<number, number>();
    for (const o of offsets) perSecond.set(o, (perSecond.get(o) ?? 0) + 1);
    // 600 nodes over 60 s: every second is used, none by more than 3× the mean (10)
    expect(perSecond.size).toBe(60);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(30);
  });
});

describe('cronProblem', () => {
  it.each([
    ['0 3 * * *', undefined],
    ['0 2 * * 0', undefined],
    ['30 0 3 * * *', undefined],
    ['nightly', "a cron expression (minute hour day-of-month month day-of-week, optionally seconds first), got 'nightly'"],
    ['*/10 * * * * *', "runs at least 60 s apart; '*/10 * * * * *' fires 10 s apart"],
  ])('%s', (expr, problem) => expect(cronProblem(expr, 60)).toBe(problem));
  it('nightly: one day between runs; weekly: seven', () => {
    expect(cronMinGapSeconds('0 3 * * *')).toBe(86_400); // local time: China has no DST
    expect(cronMinGapSeconds('0 2 * * 0')).toBe(7 * 86_400);
  });
});
