/**
 * Display formatting of KPI values. Figures arrive computed from the server (shared/kpi.ts);
 * this module only turns them into text: ratios as percentages with one decimal, durations as
 * seconds or m:ss (tiles) or `4.5 s` / `1 min 05 s` (desk tables), counts with grouped thousands.
 * Every page formats through here, so a figure reads the same on the floor and at the desk.
 */
import type { KpiName } from '../../shared/kpi.ts';
import type { Threshold } from '../../shared/thresholds.ts';
import type { Lang } from './i18n.ts';

export type KpiUnit = 'percent' | 'seconds' | 'count' | 'score';

/** A formatted figure; number and unit are separate so the unit can be drawn smaller. */
export interface FormattedValue {
  text: string;
  unit: string;
}

/** How each KPI the wallboard shows is measured; anything not listed is a count. */
const KPI_UNITS: Partial<Record<KpiName, KpiUnit>> = {
  answerRate: 'percent',
  serviceLevel: 'percent',
  abandonRate: 'percent',
  fcr: 'percent',
  csat: 'percent',
  closureRate: 'percent',
  closedOverOpened: 'percent',
  escalationCompliance: 'percent',
  writtenFirstResponse: 'percent',
  occupancy: 'percent',
  asaSec: 'seconds',
  ahtSec: 'seconds',
  longestWaitSec: 'seconds',
  // A mean score on the 5-point scale: rounding it to a whole number would hide what moved.
  csatMean: 'score',
};

/** The unit a KPI is shown in. */
export function unitOf(kpi: KpiName): KpiUnit {
  return KPI_UNITS[kpi] ?? 'count';
}

const SECOND_UNIT: Record<Lang, string> = { 'zh-CN': '秒', en: 's' };

/** A fraction 0..1 as a percentage with one decimal: 0.9234 → `92.3` `%`. */
export function formatPercent(ratio: number): FormattedValue {
  return { text: (ratio * 100).toFixed(1), unit: '%' };
}

/**
 * Seconds, rounded to whole seconds: under a minute as `45 s`, then `m:ss`, and `h:mm:ss` from
 * an hour on, the way waits and handle times are read on a call-centre floor.
 */
export function formatSeconds(seconds: number, lang: Lang): FormattedValue {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return { text: String(total), unit: SECOND_UNIT[lang] };
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return { text: h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`, unit: '' };
}

// Both languages group thousands with a comma; one formatter serves both.
const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count as a whole number with thousands grouped: 12345 → `12,345`. */
export function formatCount(value: number): FormattedValue {
  return { text: COUNT_FORMAT.format(Math.round(value)), unit: '' };
}

/**
 * A number with thousands grouped in both languages (`250,800`) and at most `fractionDigits`
 * decimals (`1,234.57`); `minGrouping` leaves four-digit values such as years alone (`2026`).
 */
export function formatNumber(value: number, fractionDigits = 0, minGrouping = false): string {
  if (!Number.isFinite(value)) return String(value);
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: fractionDigits, useGrouping: minGrouping ? 'min2' : 'always' }).format(value);
}

const DURATION_UNITS: Record<Lang, { h: string; min: string; s: string }> = {
  'zh-CN': { h: '小时', min: '分', s: '秒' },
  en: { h: 'h', min: 'min', s: 's' },
};

/**
 * A duration for desk tables and drill-downs, where a row is read rather than glanced at:
 * one decimal under a minute (`4.5 s`), then whole seconds (`1 min 05 s`), then minutes
 * (`2 h 03 min`). zh-CN: `4.5 秒`, `1 分 05 秒`, `2 小时 03 分`. Negative values keep their sign.
 */
export function formatDuration(seconds: number, lang: Lang): string {
  if (!Number.isFinite(seconds)) return '—';
  const unit = DURATION_UNITS[lang];
  const sign = seconds < 0 ? '-' : '';
  const tenths = Math.round(Math.abs(seconds) * 10) / 10;
  if (tenths < 60) return `${sign}${tenths.toFixed(1)} ${unit.s}`;
  const whole = Math.round(tenths);
  if (whole < 3600) return `${sign}${Math.floor(whole / 60)} ${unit.min} ${String(whole % 60).padStart(2, '0')} ${unit.s}`;
  const minutes = Math.round(whole / 60);
  return `${sign}${formatNumber(Math.floor(minutes / 60))} ${unit.h} ${String(minutes % 60).padStart(2, '0')} ${unit.min}`;
}

/** A mean score on a 5-point scale with one decimal: 4.507 → `4.5` `/5`. */
export function formatScore(value: number): FormattedValue {
  return { text: value.toFixed(1), unit: '/5' };
}

/** A KPI value in its unit; null when there is no value (denominator 0). */
export function formatKpi(kpi: KpiName, value: number | null, lang: Lang): FormattedValue | null {
  if (value === null || !Number.isFinite(value)) return null;
  switch (unitOf(kpi)) {
    case 'percent':
      return formatPercent(value);
    case 'seconds':
      return formatSeconds(value, lang);
    case 'score':
      return formatScore(value);
    default:
      return formatCount(value);
  }
}

/** A KPI value as one string (`92.3%`, `1:05`, `1,234`), or `fallback` when there is none. */
export function formatKpiText(kpi: KpiName, value: number | null, lang: Lang, fallback = '—'): string {
  const formatted = formatKpi(kpi, value, lang);
  return formatted === null ? fallback : `${formatted.text}${formatted.unit}`;
}

/** A time of day `HH:mm` (or `HH:mm:ss`) in the centre's zone. */
export function formatClock(ms: number, lang: Lang, timeZone: string, seconds = false): string {
  return new Intl.DateTimeFormat(lang, { timeZone, hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), hourCycle: 'h23' }).format(ms);
}

/** A target as `≥ 90.0%` (higher is better) or `≤ 30 s` (lower is better). */
export function formatTarget(kpi: KpiName, threshold: Threshold, lang: Lang): string {
  const target = formatKpi(kpi, threshold.target, lang);
  const sign = threshold.kind === 'min' ? '≥' : '≤';
  return target === null ? '' : `${sign} ${target.text}${target.unit}`;
}
