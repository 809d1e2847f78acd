/** The report's text and export rules: deltas, trends, file names, CSV, the SQL console's limit. */
import { describe, expect, it } from 'vitest';
import { countersFrom } from '../../shared/kpi.ts';
import { kpisOf } from '../../shared/report-model.ts';
import { DEFAULT_THRESHOLDS } from '../../shared/thresholds.ts';
import { breakdownRows, exportFileName, formatDelta, kpiLines, reportSheets, sheetsToCsv, trendOf, type Sheet } from './report-view.ts';
import type { ReportData, ReportRow } from '../../shared/report-model.ts';
import type { Counters } from '../../shared/kpi.ts';
import { limitedSql, sqlErrorText } from './sql-console.ts';

describe('report view', () => {
  it('signs deltas after rounding, in points, seconds or counts', () => {
    expect(formatDelta('serviceLevel', 0.0123, 'en')).toBe('+1.2 pt');
    expect(formatDelta('serviceLevel', -0.00004, 'en')).toBe('±0.0 pt');
    expect(formatDelta('asaSec', -12.4, 'zh-CN')).toBe('−12 秒');
    expect(formatDelta('offered', 1234, 'en')).toBe('+1,234');
    expect(formatDelta('fcr', null, 'en')).toBe('—');
  });

  it('knows which way is better', () => {
    expect(trendOf('abandonRate', 0.01)).toBe('worse');
    expect(trendOf('serviceLevel', 0.01)).toBe('better');
    expect(trendOf('asaSec', -3)).toBe('better');
    expect(trendOf('offered', 100)).toBe('none');
  });

  it('shows no arrow on a change that reads as none', () => {
    // 0.04 pt and 0.4 s round to ±0.0 pt and ±0 s: no ▲/▼ beside them.
    expect([formatDelta('serviceLevel', 0.0004, 'en'), trendOf('serviceLevel', 0.0004)]).toEqual(['±0.0 pt', 'same']);
    expect([formatDelta('asaSec', -0.4, 'en'), trendOf('asaSec', -0.4)]).toEqual(['±0 s', 'same']);
    expect(trendOf('serviceLevel', 0)).toBe('same');
    expect(trendOf('serviceLevel', 0.0006)).toBe('better');
    const same = kpisOf(countersFrom({ answered: 90, answeredInSl: 81, abandoned: 10 }), { serviceLevelVariant: 'standard' });
    const lines = kpiLines(same, DEFAULT_THRESHOLDS, same);
    expect(lines.filter((l) => l.trend === 'better' || l.trend === 'worse')).toEqual([]);
  });

  it('lists no empty breakdown rows, and no queue outcome by team', () => {
    const settings = { serviceLevelVariant: 'standard' } as const;
    const row = (group: string | null, counters: Counters, grouping: 'team' | 'queue' = 'team'): ReportRow => ({ group, counters, kpis: kpisOf(counters, settings, grouping) });
    // Team t1 answered 8; the "—" team holds the abandons (no team): nothing to show by team.
    const t1 = row('t1', countersFrom({ offered: 10, answered: 8, answeredInSl: 8, handled: 8, handleSec: 1600 }));
    const none = row(null, countersFrom({ offered: 2, abandoned: 2 }));
    const zero = row('t9', countersFrom({}));
    // One overdue ticket is a figure (closure rate 0 %): kept.
    const overdue = row('t2', countersFrom({ ticketsOverdue: 1 }));
    expect(breakdownRows([t1, none, zero, overdue]).map((r) => r.group)).toEqual(['t1', 't2']);
    expect(t1.kpis.answerRate).toEqual({ value: null });
    expect(t1.kpis.answered.value).toBe(8);
    const empty: ReportRow = { group: 'total', counters: countersFrom({}), kpis: kpisOf(countersFrom({}), settings) };
    const data = { total: t1, byDim: { site: [], queue: [row('q', countersFrom({ answered: 1 }), 'queue')], team: [t1, none, zero], agent_id: [], channel: [], tier: [] }, daily: [], hourly: [], elapsedMs: 0 } satisfies ReportData;
    const sheets = reportSheets(data, kpiLines(empty.kpis, DEFAULT_THRESHOLDS, null), 'en');
    const team = sheets.find((s) => s.name === 'Team')!;
    expect(team.rows.length).toBe(1);
    const col = (label: string) => team.header.indexOf(label);
    expect([team.rows[0][col('Answered')], team.rows[0][col('Answer rate')], team.rows[0][col('Offered')]]).toEqual([8, null, null]);
    // In the CSV an empty cell, on the page "—".
    expect(sheetsToCsv([team], 'T')).toContain('\r\nt1,t1,null'.replace(',null', ','));
  });

  it('judges each KPI against its target and last month', () => {
    const now = kpisOf(countersFrom({ answered: 85, answeredInSl: 80, abandoned: 15, shortAbandoned: 0 }), { serviceLevelVariant: 'standard' });
    const before = kpisOf(countersFrom({ answered: 90, answeredInSl: 88, abandoned: 10 }), { serviceLevelVariant: 'standard' });
    const sl = kpiLines(now, DEFAULT_THRESHOLDS, before).find((l) => l.kpi === 'serviceLevel')!;
    expect(sl).toMatchObject({ value: 0.8, target: 0.9, status: 'amber', previous: 0.88, trend: 'worse' });
    expect(sl.vsTarget).toBeCloseTo(-0.1, 10);
  });

  it('names files by centre, month and generation time', () => {
    expect(exportFileName('杭州 热线', '2026-10', Date.parse('2026-11-10T02:05:09Z'), 'xlsx')).toBe('杭州_热线-2026-10-KPI-report-20261110T0205Z.xlsx');
  });

  it('writes CSV with percentages, quotes and a byte-order mark', () => {
    const sheet: Sheet = { name: 'Queue', header: ['Queue', 'Answer rate'], rows: [['a,b', 0.91234], ['c', null]], percent: (_r, c) => c === 1 };
    expect(sheetsToCsv([sheet], 'T')).toBe('\uFEFFT\r\n\r\nQueue\r\nQueue,Answer rate\r\n"a,b",91.23%\r\nc,\r\n');
  });
});

describe('SQL console', () => {
  it('limits plain queries and leaves other statements alone', () => {
    expect(limitedSql('SELECT 1;', 10)).toBe('SELECT * FROM (\nSELECT 1\n) AS q LIMIT 11');
    expect(limitedSql('describe contacts')).toBe('describe contacts');
    expect(() => limitedSql('  ;')).toThrow('the query is empty');
  });

  it('keeps DuckDB errors short', () => {
    const message = 'Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC x\n        ^\n\nLINE 1: SELEC x\n        ^';
    expect(sqlErrorText(new Error(message))).toBe('Parser Error: syntax error at or near "SELEC"\nLINE 1: SELEC x\n        ^');
  });
});
