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
});
