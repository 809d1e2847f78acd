/**
 * The intraday trend chart as a pure function of data and theme (STYLE.md): one figure over the
 * 15-minute intervals of today, yesterday and the same weekday last week, and a tooltip listing
 * every figure of the interval under the pointer. The component only hands the option to ECharts.
 */
import type { KpiName } from '../../shared/kpi.ts';
import { formatKpiText } from '../lib/format.ts';
import type { Lang } from '../lib/i18n.ts';
import type { IntervalRow } from './types.ts';

/** What the chart can show: interval KPIs and the two staffing counts. */
export const TREND_METRICS = ['offered', 'answered', 'abandoned', 'serviceLevel', 'answerRate', 'asaSec', 'ahtSec', 'agentsLoggedIn', 'agentsReady'] as const;
export type TrendMetric = (typeof TREND_METRICS)[number];

export type TrendDay = 'today' | 'yesterday' | 'lastWeek';
export const TREND_DAYS: readonly TrendDay[] = ['today', 'yesterday', 'lastWeek'];

/** Colours on the dark desk theme: today bright, the comparisons quieter. */
export const TREND_THEME = {
  text: '#d9e1ec',
  dim: '#9aa8ba',
  rule: '#263243',
  tooltipBg: '#111823',
  series: { today: '#4da3ff', yesterday: '#c8d0dc', lastWeek: '#b88cff' } satisfies Record<TrendDay, string>,
} as const;

export interface TrendInput {
  metric: TrendMetric;
  days: Record<TrendDay, readonly IntervalRow[]>;
  /** Words: metric names, day names. */
  labels: { metrics: Record<TrendMetric, string>; days: Record<TrendDay, string> };
  lang: Lang;
  /** Intervals of today starting after this are the future: not drawn. */
  nowMs: number;
  /** Chart text size for this screen, in px at 1080p scaled (charts.svelte.ts `fontPx`); 1080p sizes when absent. */
  fontPx?: (base: number) => number;
}

/** The value of a metric in an interval; null when the interval has none. */
export function metricValue(row: IntervalRow | undefined, metric: TrendMetric): number | null {
  if (!row) return null;
  if (metric === 'agentsLoggedIn') return row.agentsLoggedIn ?? null;
  if (metric === 'agentsReady') return row.agentsReady ?? null;
  return row.kpis[metric]?.value ?? null;
}

/** A metric's value as people read it (`92.3%`, `45s`, `1,204`). */
export function metricText(metric: TrendMetric, value: number | null, lang: Lang): string {
  const kpi: KpiName = metric === 'agentsLoggedIn' || metric === 'agentsReady' ? 'offered' : metric;
  return formatKpiText(kpi, value, lang);
}

const isPercent = (metric: TrendMetric) => metric === 'serviceLevel' || metric === 'answerRate';

/**
 * The categories of the x axis: local `HH:mm` of every interval of any of the days, in time-of-day
 * order (a daylight-saving day has 92 or 100; the others fill in by label).
 */
export function axisLabels(days: Record<TrendDay, readonly IntervalRow[]>): string[] {
  const labels = new Set<string>();
  for (const day of TREND_DAYS) for (const row of days[day]) labels.add(row.start);
  return [...labels].sort();
}

/** The ECharts option of the trend chart. */
export function trendOption(input: TrendInput): Record<string, unknown> {
  const { metric, days, labels, lang, nowMs } = input;
  const px = input.fontPx ?? ((base: number) => base);
  const text = (color: string) => ({ color, fontSize: px(14) });
  const axis = axisLabels(days);
  const byStart = Object.fromEntries(TREND_DAYS.map((day) => [day, new Map(days[day].map((row) => [row.start, row]))])) as Record<TrendDay, Map<string, IntervalRow>>;
  const seriesValue = (day: TrendDay, start: string): number | null => {
    const row = byStart[day].get(start);
    if (day === 'today' && row && row.startMs > nowMs) return null;
    const value = metricValue(row, metric);
    return value === null ? null : isPercent(metric) ? Math.round(value * 1000) / 10 : Math.round(value * 10) / 10;
  };
  const series = TREND_DAYS.map((day) => ({
    name: labels.days[day],
    type: 'line',
    showSymbol: false,
    connectNulls: false,
    lineStyle: { width: px(day === 'today' ? 3 : 1.5), type: day === 'lastWeek' ? 'dashed' : 'solid', color: TREND_THEME.series[day] },
    itemStyle: { color: TREND_THEME.series[day] },
    z: day === 'today' ? 3 : 2,
    data: axis.map((start) => seriesValue(day, start)),
  }));
  return {
    animation: false,
    textStyle: text(TREND_THEME.text),
    legend: { top: 0, textStyle: text(TREND_THEME.text), itemWidth: px(25), itemHeight: px(14), data: TREND_DAYS.map((day) => labels.days[day]) },
    grid: { left: px(56), right: px(16), top: px(36), bottom: px(32) },
    xAxis: {
      type: 'category',
      data: axis,
      boundaryGap: false,
      // Below the y axis's lowest label, which is centred on this axis line: ECharts' fixed 8 px
      // left the two touching at 4K, where the text is twice as large.
      axisLabel: { ...text(TREND_THEME.dim), margin: px(12), interval: (index: number) => index % 8 === 0 },
      axisLine: { lineStyle: { color: TREND_THEME.rule } },
    },
    yAxis: {
      type: 'value',
      min: 0,
      ...(isPercent(metric) ? { max: 100 } : {}),
      axisLabel: { ...text(TREND_THEME.dim), formatter: isPercent(metric) ? '{value}%' : '{value}' },
      splitLine: { lineStyle: { color: TREND_THEME.rule } },
    },
    tooltip: {
      trigger: 'axis',
      backgroundColor: TREND_THEME.tooltipBg,
      borderColor: TREND_THEME.rule,
      textStyle: text(TREND_THEME.text),
      formatter: (params: Array<{ dataIndex: number }> | { dataIndex: number }) => {
        const first = Array.isArray(params) ? params[0] : params;
        return tooltipHtml(axis[first?.dataIndex ?? 0], byStart, input);
      },
    },
    series,
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The tooltip of one interval: every figure of today's interval, and the chosen figure on the
 * two comparison days.
 */
export function tooltipHtml(start: string, byStart: Record<TrendDay, Map<string, IntervalRow>>, input: TrendInput): string {
  const { metric, labels, lang } = input;
  const today = byStart.today.get(start);
  const lines = [`<strong>${escapeHtml(labels.days.today)} ${escapeHtml(start)}</strong>`];
  for (const m of TREND_METRICS) lines.push(`${escapeHtml(labels.metrics[m])}: ${escapeHtml(metricText(m, metricValue(today, m), lang))}`);
  for (const day of ['yesterday', 'lastWeek'] as const) {
    lines.push(`${escapeHtml(labels.days[day])} · ${escapeHtml(labels.metrics[metric])}: ${escapeHtml(metricText(metric, metricValue(byStart[day].get(start), metric), lang))}`);
  }
  return lines.join('<br/>');
}

/** Replaces (or appends) one interval of a day, as `intervals:update` pushes it. */
export function withInterval(rows: readonly IntervalRow[], interval: IntervalRow): IntervalRow[] {
  const index = rows.findIndex((row) => row.startMs === interval.startMs);
  if (index === -1) return [...rows, interval].sort((a, b) => a.startMs - b.startMs);
  const next = [...rows];
  next[index] = interval;
  return next;
}
