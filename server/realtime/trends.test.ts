/** Trend history: one sample a minute, an hour kept, scopes nobody asks for any more forgotten. */
import { describe, expect, it } from 'vitest';
import { computeKpis, countersFrom, emptyLiveState } from '../../shared/kpi.ts';
import type { ScopeKey } from '../../shared/scope.ts';
import { TREND_POINTS, TrendHistory } from './trends.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);

describe('TrendHistory', () => {
  it('samples each scope once a minute and keeps the last hour', () => {
    let answered = 0;
    const source = {
      snapshot: () => {
        const live = { ...emptyLiveState(), inQueue: answered % 7 };
        return { kpis: computeKpis(countersFrom({ answered: 10, answeredInSl: answered % 11 }), live, T0), live };
      },
      scopeKeys: () => ['site:hz'] as ScopeKey[],
    };
    const trends = new TrendHistory(source);
    for (let minute = 0; minute < 90; minute++) {
      answered = minute;
      trends.maybeSample(T0 + minute * 60_000);
      trends.maybeSample(T0 + minute * 60_000 + 30_000); // same minute: no second sample
    }
    const centre = trends.get('centre', T0 + 89 * 60_000);
    expect(centre.series.inQueue).toHaveLength(TREND_POINTS);
    expect(centre.series.inQueue!.at(-1)).toBe(89 % 7);
    expect(centre.series.serviceLevel!.at(-1)).toBeCloseTo((89 % 11) / 10);
    expect(trends.get('site:hz', T0).series.inQueue).toHaveLength(TREND_POINTS);

    // A queue is sampled once asked for, and forgotten 15 minutes after the last ask.
    expect(trends.get('queue:vip', T0 + 90 * 60_000).series.inQueue).toHaveLength(1);
    trends.maybeSample(T0 + 91 * 60_000);
    expect(trends.get('queue:vip', T0 + 91 * 60_000 + 1).series.inQueue).toHaveLength(2);
    trends.maybeSample(T0 + 110 * 60_000);
    expect(trends.get('queue:vip', T0 + 110 * 60_000 + 1).series.inQueue).toHaveLength(1);
  });

  it('fills the minutes before its first sample from today\'s quarter hours', () => {
    const intervals: Array<{ startMs: number; counters: ReturnType<typeof countersFrom> }> = [];
    const trends = new TrendHistory({
      snapshot: () => {
        const live = emptyLiveState();
        const answeredInSl = intervals.length === 0 ? 20 : 10;
        return { kpis: computeKpis(countersFrom({ answered: 20, answeredInSl }), live, T0), live };
      },
      scopeKeys: () => [],
      todayIntervals: () => ({ dayStartMs: T0 - 50 * 60_000 - 30_000, intervals }),
    });
    // Sampled before the morning's events arrived (late, after a restart): nothing to go back on.
    expect(trends.get('centre', T0 - 60_000).series.serviceLevel).toEqual([1]);
    intervals.push(
      { startMs: T0 - 60 * 60_000, counters: countersFrom({ answered: 10, answeredInSl: 10 }) },
      { startMs: T0 - 30 * 60_000, counters: countersFrom({ answered: 10, answeredInSl: 0 }) },
    );
    trends.maybeSample(T0);
    const sl = trends.get('centre', T0).series.serviceLevel!;
    expect(sl).toHaveLength(TREND_POINTS);
    // 59 and 58..51 minutes ago: before the day started (a centre opening at 09:09:30).
    expect(sl.slice(0, 9)).toEqual(Array(9).fill(null));
    expect(sl[9]).toBe(1); // 50 minutes ago: the first quarter hour, all within service level
    expect(sl[29]).toBe(0.5); // 30 minutes ago: both quarter hours
    expect(sl.slice(-2)).toEqual([1, 0.5]); // the sample taken a minute ago (its snapshot said 100 %), and now
    expect(trends.get('centre', T0).series.inQueue!.slice(0, 58)).toEqual(Array(58).fill(null)); // live figures have no history
  });
});
