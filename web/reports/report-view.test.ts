/** The report's text and export rules: deltas, trends, file names, CSV, the SQL console's limit. */
import { describe, expect, it } from 'vitest';
import { countersFrom } from '../../shared/kpi.ts';
import { kpisOf } from '../../shared/report-model.ts';
import { DEFAULT_THRESHOLDS } from '../../shared/thresholds.ts';
import { exportFileName, formatDelta, kpiLines, sheetsToCsv, trendOf, type Sheet } from './report-view.ts';
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
