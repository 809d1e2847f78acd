/**
 * The report's tables as they are shown and exported: figures with targets, deltas and status,
 * breakdown rows, and the sheets of an export. Pure functions over the report data, so the page,
 * the CSV and the XLSX all say the same thing.
 */
import type { KpiName, Kpis } from '../../shared/kpi.ts';
import { REPORT_KPIS, type ReportData, type ReportKpi, type ReportRow } from '../../shared/report-model.ts';
import { REPORT_DIMS, type ReportDim } from '../../shared/report-sql.ts';
import { statusOf, type Status } from '../../shared/thresholds.ts';
import { TARGET_KINDS, targetsInForce, type Targets, type TargetVersion } from '../../shared/targets.ts';
import type { Lang } from '../lib/i18n.ts';
import { formatDuration, formatNumber, unitOf } from '../lib/format.ts';
import { dimHasIds, dimLabel, dimValue, kpiLabel, reportText } from './report-i18n.ts';

/** KPIs of the breakdown, ranking and chart tables (the month table shows all REPORT_KPIS). */
export const BREAKDOWN_KPIS = ['offered', 'answered', 'answerRate', 'serviceLevel', 'abandonRate', 'asaSec', 'ahtSec', 'fcr', 'csat', 'closureRate'] as const satisfies readonly ReportKpi[];

export type Unit = 'percent' | 'seconds' | 'count' | 'score';

export function unitOfKpi(kpi: ReportKpi): Unit {
  return kpi === 'csatMean' ? 'score' : unitOf(kpi as KpiName);
}

/** A figure as text in the page's language. */
export function formatFigure(kpi: ReportKpi, value: number | null, lang: Lang): string {
  if (value === null || !Number.isFinite(value)) return reportText(lang, 'none');
  switch (unitOfKpi(kpi)) {
    case 'percent':
      return `${(value * 100).toFixed(1)}%`;
    case 'seconds':
      return formatDuration(value, lang);
    case 'score':
      return value.toFixed(2);
    default:
      return formatNumber(Math.round(value));
  }
}

/**
 * A difference rounded to what is shown (0.1 pt, 0.01 of a score, whole seconds and counts), so
 * its sign and its arrow agree with the text: a change that reads ±0.0 is no change.
 */
export function shownDelta(kpi: ReportKpi, delta: number): number {
  const unit = unitOfKpi(kpi);
  const shown = unit === 'percent' ? Math.round(delta * 1000) / 1000 : unit === 'score' ? Math.round(delta * 100) / 100 : Math.round(delta);
  return shown === 0 ? 0 : shown;
}

/** A difference as text: percentage points for ratios, seconds, or counts; always signed. */
export function formatDelta(kpi: ReportKpi, delta: number | null, lang: Lang): string {
  if (delta === null || !Number.isFinite(delta)) return reportText(lang, 'none');
  const unit = unitOfKpi(kpi);
  // Signed after rounding to what is shown, so a tiny difference reads ±0.0, not −0.0.
  const shown = shownDelta(kpi, delta);
  const sign = shown > 0 ? '+' : shown < 0 ? '−' : '±';
  const abs = Math.abs(delta);
  switch (unit) {
    case 'percent':
      return `${sign}${(abs * 100).toFixed(1)} ${lang === 'en' ? 'pt' : '个百分点'}`;
    case 'seconds':
      return `${sign}${Math.round(abs)} ${lang === 'en' ? 's' : '秒'}`;
    case 'score':
      return `${sign}${abs.toFixed(2)}`;
    default:
      return `${sign}${formatNumber(Math.round(abs))}`;
  }
}

/** Better, worse or the same, given whether higher is better for the KPI. */
export type Trend = 'better' | 'worse' | 'same' | 'none';

const LOWER_IS_BETTER = new Set<ReportKpi>(['abandonRate', 'asaSec', 'ahtSec', 'abandoned', 'flowedOut']);
const NEUTRAL = new Set<ReportKpi>(['offered', 'answered', 'handled', 'transferred']);

export function trendOf(kpi: ReportKpi, delta: number | null): Trend {
  if (delta === null || !Number.isFinite(delta) || NEUTRAL.has(kpi)) return 'none';
  // No arrow on a change that reads as none (±0.0 pt, ±0 s).
  if (shownDelta(kpi, delta) === 0) return 'same';
  return (delta > 0) !== LOWER_IS_BETTER.has(kpi) ? 'better' : 'worse';
}

export interface KpiLine {
  kpi: ReportKpi;
  value: number | null;
  num?: number;
  den?: number;
  target: number | null;
  vsTarget: number | null;
  previous: number | null;
  vsPrevious: number | null;
  status: Status;
  trend: Trend;
}

const diff = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined ? null : a - b);

/** The month table: every report KPI with its target of the month and last month's figure. */
export function kpiLines(kpis: Kpis, targets: Targets, previous: Kpis | null): KpiLine[] {
  return REPORT_KPIS.map((kpi) => {
    const { value, num, den } = kpis[kpi];
    const threshold = targets[kpi];
    const previousValue = previous ? previous[kpi].value : null;
    const vsPrevious = diff(value, previousValue);
    return {
      kpi,
      value,
      num,
      den,
      target: threshold?.target ?? null,
      vsTarget: diff(value, threshold?.target),
      previous: previousValue,
      vsPrevious,
      status: statusOf(value, threshold),
      trend: trendOf(kpi, vsPrevious),
    };
  });
}

/** What a month is judged by: every target version (all scopes) and the month, judged on its first day. */
export interface MonthTargets {
  month: string;
  versions: readonly TargetVersion[];
}

/**
 * The target scope a breakdown row is judged by (issue 11): a site, queue or channel row by its
 * own scope (which inherits the centre's where it has no version); teams, agents, tiers and the
 * "—" row by the centre's.
 */
export function breakdownScope(dim: ReportDim, group: string | null): string {
  return group !== null && (dim === 'site' || dim === 'queue' || dim === 'channel') ? `${dim}:${group}` : 'centre';
}

/** The targets a breakdown row is judged by: in force on the month's first day for its scope (the live side's `targetsInForce`). */
export function rowTargets(judging: MonthTargets, dim: ReportDim, group: string | null): Targets {
  return targetsInForce(judging.versions, `${judging.month}-01`, breakdownScope(dim, group));
}

/** KPIs of the breakdown that carry a target: each gets a status column in the export. */
const JUDGED_BREAKDOWN_KPIS = BREAKDOWN_KPIS.filter((k) => TARGET_KINDS[k as KpiName] !== undefined);

/** A sheet of an export: a name, a header and rows of text or numbers. */
export interface Sheet {
  name: string;
  header: string[];
  rows: Array<Array<string | number | null>>;
  /** Is this cell a ratio (a fraction, shown as a percentage)? */
  percent: (row: number, column: number) => boolean;
}

/**
 * A breakdown's rows that have something to show: none whose every figure is zero or "—" (a
 * group only ticket deadlines or queue outcomes reach, e.g. contacts without a team). A figure
 * counts when its denominator has rows, or, for a count, when it is not zero.
 */
export function breakdownRows(rows: readonly ReportRow[]): ReportRow[] {
  return rows.filter((r) => BREAKDOWN_KPIS.some((k) => {
    const { value, den } = r.kpis[k];
    return den !== undefined ? den > 0 : value !== null && value !== 0;
  }));
}

/**
 * A breakdown as a sheet; `idColumn`: the ids beside their names (sites, queues, teams, agents,
 * channels); `targetsOf`: the targets a row is judged by, giving a status column per judged KPI
 * after the figures (as the page colours them).
 */
function breakdownSheet(name: string, first: string, rows: ReportRow[], lang: Lang, label: (g: string | null) => string, idColumn?: string, targetsOf?: (group: string | null) => Targets): Sheet {
  const ids = idColumn ? 1 : 0;
  const statusText = (s: Status) => (s === 'none' ? '' : reportText(lang, s === 'green' ? 'met' : s));
  const header = [
    first,
    ...(idColumn ? [idColumn] : []),
    ...BREAKDOWN_KPIS.map((k) => kpiLabel(lang, k)),
    ...(targetsOf ? JUDGED_BREAKDOWN_KPIS.map((k) => `${kpiLabel(lang, k)} · ${reportText(lang, 'status')}`) : []),
  ];
  return {
    name,
    header,
    rows: rows.map((r) => {
      const targets = targetsOf?.(r.group);
      return [
        label(r.group),
        ...(idColumn ? [r.group] : []),
        ...BREAKDOWN_KPIS.map((k) => r.kpis[k].value),
        ...(targets ? JUDGED_BREAKDOWN_KPIS.map((k) => statusText(statusOf(r.kpis[k].value, targets[k as KpiName]))) : []),
      ];
    }),
    percent: (_row, column) => column > ids && column <= ids + BREAKDOWN_KPIS.length && unitOfKpi(BREAKDOWN_KPIS[column - 1 - ids]) === 'percent',
  };
}

/**
 * Every table of the report as export sheets; with `judging`, each breakdown by site, queue,
 * channel, team, agent or tier carries the status of every judged figure (`rowTargets`).
 */
export function reportSheets(data: ReportData, lines: KpiLine[], lang: Lang, judging?: MonthTargets): Sheet[] {
  const t = (key: Parameters<typeof reportText>[1]) => reportText(lang, key);
  const kpiSheet: Sheet = {
    name: t('kpi'),
    header: [t('kpi'), t('value'), t('target'), t('vsTarget'), t('previous'), t('vsPrevious'), t('status')],
    rows: lines.map((l) => [kpiLabel(lang, l.kpi), l.value, l.target, l.vsTarget, l.previous, l.vsPrevious, l.status === 'none' ? '' : t(l.status === 'green' ? 'met' : l.status)]),
    percent: (row, column) => column >= 1 && column <= 5 && unitOfKpi(lines[row].kpi) === 'percent',
  };
  return [
    kpiSheet,
    ...REPORT_DIMS.map((dim) =>
      breakdownSheet(dimLabel(lang, dim), dimLabel(lang, dim), breakdownRows(data.byDim[dim]), lang, (g) => dimValue(lang, g, dim), dimHasIds(dim) ? t('idColumn') : undefined, judging && ((g) => rowTargets(judging, dim, g))),
    ),
    breakdownSheet(t('daily'), t('day'), data.daily, lang, (g) => g ?? ''),
    breakdownSheet(t('hourly'), t('hour'), data.hourly, lang, (g) => (g === null ? '' : `${g}:00`)),
  ];
}

/** Sheets as one CSV text: each table after a title line, values as shown on a report (percent as %). */
export function sheetsToCsv(sheets: Sheet[], title: string): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const cell = (value: string | number | null, percent: boolean) => {
    if (value === null) return '';
    if (typeof value === 'number') return percent ? `${(value * 100).toFixed(2)}%` : String(Math.round(value * 1000) / 1000);
    return quote(value);
  };
  const lines = [quote(title)];
  for (const sheet of sheets) {
    lines.push('', quote(sheet.name), sheet.header.map(quote).join(','));
    sheet.rows.forEach((row, r) => lines.push(row.map((v, c) => cell(v, sheet.percent(r, c))).join(',')));
  }
  // A byte-order mark so Excel opens the Chinese text as UTF-8.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** `Hotline-2026-10-KPI-report-20261110T1005.csv`: centre, month and generation time. */
export function exportFileName(centre: string, month: string, generatedMs: number, extension: string): string {
  const stamp = new Date(generatedMs).toISOString().replace(/[-:]/g, '').slice(0, 13);
  const safeCentre = centre.replace(/[^\p{L}\p{N}_-]+/gu, '_') || 'centre';
  return `${safeCentre}-${month}-KPI-report-${stamp}Z.${extension}`;
}
