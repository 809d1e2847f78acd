// @vitest-environment node
/**
 * The trend chart's option, computed in Node: three days on one axis, today stopping at the
 * current interval, percentages on a 0–100 axis, and a tooltip with every figure of an interval.
 */
import { describe, expect, it } from 'vitest';
import { computeKpis, countersFrom, emptyLiveState } from '../../shared/kpi.ts';
import { INTERVAL_MS } from '../../shared/time.ts';
import { TREND_METRICS, axisLabels, trendOption, withInterval, type TrendInput } from './trend-chart.ts';
import type { IntervalRow } from './types.ts';

const DAY0 = Date.UTC(2026, 0, 4, 16, 0, 0); // 00:00 on 5 Jan 2026 in Shanghai

function row(index: number, answered: number, answeredInSl: number, extra: { loggedIn?: number; dayOffsetMs?: number } = {}): IntervalRow {
  const startMs = DAY0 + (extra.dayOffsetMs ?? 0) + index * INTERVAL_MS;
  const h = String(Math.floor(index / 4)).padStart(2, '0');
  const m = String((index % 4) * 15).padStart(2, '0');
  return {
    startMs,
    endMs: startMs + INTERVAL_MS,
    start: `${h}:${m}`,
    kpis: computeKpis(countersFrom({ offered: answered, answered, answeredInSl, answerWaitSec: answered * 12, handled: answered, handleSec: answered * 300 }), emptyLiveState(), startMs),
    agentsLoggedIn: extra.loggedIn ?? 10,
    agentsReady: 3,
  };
}

const LABELS: TrendInput['labels'] = {
  metrics: Object.fromEntries(TREND_METRICS.map((m) => [m, m])) as TrendInput['labels']['metrics'],
  days: { today: 'Today', yesterday: 'Yesterday', lastWeek: 'Same day last week' },
};

function input(overrides: Partial<TrendInput> = {}): TrendInput {
  return {
    metric: 'serviceLevel',
    days: {
      today: [row(0, 10, 9), row(1, 20, 15), row(2, 1000, 1000)],
      yesterday: [row(0, 8, 8, { dayOffsetMs: -86_400_000 }), row(1, 4, 1, { dayOffsetMs: -86_400_000 }), row(2, 5, 5, { dayOffsetMs: -86_400_000 })],
      lastWeek: [row(1, 1234, 617, { dayOffsetMs: -7 * 86_400_000 })],
    },
    labels: LABELS,
    lang: 'en',
    // During the second interval: the third has not started.
    nowMs: DAY0 + 20 * 60_000,
    ...overrides,
  };
}

describe('trend chart option', () => {
  it('puts the three days on one time-of-day axis and stops today at the current interval', () => {
    const option = trendOption(input()) as any;
    expect(option.xAxis.data).toEqual(['00:00', '00:15', '00:30']);
    const [today, yesterday, lastWeek] = option.series;
    expect(today.name).toBe('Today');
    // 9 of 10 = 90.0 %, 15 of 20 = 75.0 %, and nothing for the interval still to come.
    expect(today.data).toEqual([90, 75, null]);
    expect(yesterday.data).toEqual([100, 25, 100]);
    // Last week has only 00:15: 617 of 1234 = 50.0 %.
    expect(lastWeek.data).toEqual([null, 50, null]);
    expect(lastWeek.lineStyle.type).toBe('dashed');
    expect(option.yAxis.max).toBe(100);
  });

  it('draws counts and seconds as they are, without a percentage ceiling', () => {
    const option = trendOption(input({ metric: 'asaSec' })) as any;
    expect(option.series[0].data).toEqual([12, 12, null]);
    expect(option.yAxis.max).toBeUndefined();
    expect((trendOption(input({ metric: 'agentsLoggedIn' })) as any).series[1].data).toEqual([10, 10, 10]);
  });

  it('lists every figure of the interval in the tooltip, formatted for people', () => {
    const option = trendOption(input()) as any;
    const html: string = option.tooltip.formatter([{ dataIndex: 1 }]);
    expect(html).toContain('<strong>Today 00:15</strong>');
    expect(html).toContain('offered: 20');
    expect(html).toContain('serviceLevel: 75.0%');
    expect(html).toContain('asaSec: 12s');
    expect(html).toContain('ahtSec: 5:00');
    expect(html).toContain('agentsLoggedIn: 10');
    expect(html).toContain('Yesterday · serviceLevel: 25.0%');
    expect(html).toContain('Same day last week · serviceLevel: 50.0%');
    expect(html.split('<br/>')).toHaveLength(1 + TREND_METRICS.length + 2);
  });

  it('shows big counts with separators in the tooltip', () => {
    const html: string = (trendOption(input({ metric: 'offered', nowMs: DAY0 + 86_400_000 })) as any).tooltip.formatter([{ dataIndex: 2 }]);
    expect(html).toContain('offered: 1,000');
  });

  it('sizes its text for the screen: 14 px at 1080p, doubled at 4K', () => {
    const at1080 = trendOption(input()) as any;
    const at4k = trendOption(input({ fontPx: (base) => base * 2 })) as any;
    expect([at1080.textStyle.fontSize, at1080.xAxis.axisLabel.fontSize, at1080.yAxis.axisLabel.fontSize, at1080.legend.textStyle.fontSize]).toEqual([14, 14, 14, 14]);
    expect([at4k.textStyle.fontSize, at4k.xAxis.axisLabel.fontSize, at4k.yAxis.axisLabel.fontSize, at4k.legend.textStyle.fontSize]).toEqual([28, 28, 28, 28]);
    expect(at4k.grid.left).toBe(2 * at1080.grid.left);
  });

  it('merges a daylight-saving day by label and replaces a live interval in place', () => {
    expect(axisLabels({ today: [row(1, 1, 1)], yesterday: [row(0, 1, 1)], lastWeek: [row(2, 1, 1), row(0, 1, 1)] })).toEqual(['00:00', '00:15', '00:30']);
    const rows = [row(0, 10, 9), row(1, 20, 15)];
    const updated = withInterval(rows, row(1, 21, 16));
    expect(updated.map((r) => r.kpis.answered?.value)).toEqual([10, 21]);
    expect(withInterval(rows, row(2, 1, 1)).map((r) => r.start)).toEqual(['00:00', '00:15', '00:30']);
  });
});
