/**
 * Breakdown rows judged by their own scope's targets (issue 11): a site, queue or channel row of
 * the monthly report, on the page and in its exports, by the targets in force for that scope on
 * the month's first day (the live side's `targetsInForce`); teams, agents and tiers by the centre's.
 * Hand-computed: every row answers 95 of 100 within T (service level 95 %). The centre keeps the
 * default 90 % (amber below 90, red below 80): green. Queue `vip` is stricter from 1 October,
 * 97 % (red below 96 %): red. A 15 November change for vip (to 94 %) is not in force on 1 November.
 */
import { describe, expect, it } from 'vitest';
import { countersOf, kpisOf, type ReportData, type ReportRow } from '../../shared/report-model.ts';
import { kpiStatus, type TargetVersion } from '../../shared/targets.ts';
import { statusOf } from '../../shared/thresholds.ts';
import { breakdownScope, reportSheets, rowTargets, sheetsToCsv, type MonthTargets } from './report-view.ts';

const row = (group: string | null): ReportRow => {
  const counters = countersOf({ offered: 100, answered: 100, answeredInSl: 95 });
  return { group, counters, kpis: kpisOf(counters, { serviceLevelVariant: 'standard' }) };
};

const version = (scope: TargetVersion['scope'], effectiveFrom: string, target: number, red: number): TargetVersion => ({
  scope,
  effectiveFrom,
  targets: { serviceLevel: { target, kind: 'min', amber: target, red } },
  changedBy: 'director',
  changedAtMs: Date.parse(`${effectiveFrom}T00:00:00Z`),
});

const versions: TargetVersion[] = [
  version('queue:vip', '2026-10-01', 0.97, 0.96),
  version('queue:vip', '2026-11-15', 0.94, 0.9),
  version('channel:chat', '2026-11-01', 0.96, 0.94),
];
const judging: MonthTargets = { month: '2026-11', versions };

const data: ReportData = {
  total: row(null),
  byDim: { site: [row('hangzhou')], queue: [row('vip'), row('general')], team: [row('vip')], agent_id: [row('vip')], channel: [row('chat'), row('phone')], tier: [row('vip')] },
  daily: [],
  hourly: [],
  elapsedMs: 1,
};

describe('breakdown rows judged by their own scope', () => {
  it('judges a VIP queue at 95 % red against its 97 %, where the centre’s 90 % is green', () => {
    expect(data.byDim.queue[0].kpis.serviceLevel.value).toBeCloseTo(0.95, 10);
    const vip = rowTargets(judging, 'queue', 'vip');
    expect(vip.serviceLevel).toEqual({ target: 0.97, kind: 'min', amber: 0.97, red: 0.96 });
    // The page colours a cell with statusOf(value, rowTargets(...)[kpi]): red for vip, green elsewhere.
    expect(statusOf(0.95, vip.serviceLevel)).toBe('red');
    expect(statusOf(0.95, rowTargets(judging, 'queue', 'general').serviceLevel)).toBe('green');
    expect(statusOf(0.95, rowTargets(judging, 'channel', 'chat').serviceLevel)).toBe('amber');
    expect(statusOf(0.95, rowTargets(judging, 'site', 'hangzhou').serviceLevel)).toBe('green');
    // The same answer as the live side's one status function, for the month's first day.
    expect(kpiStatus('serviceLevel', 0.95, 'queue:vip', '2026-11-01', versions)).toBe('alarm');
    expect(kpiStatus('serviceLevel', 0.95, 'centre', '2026-11-01', versions)).toBe('ok');
    // December is judged by the 15 November version (94 %): green.
    expect(statusOf(0.95, rowTargets({ month: '2026-12', versions }, 'queue', 'vip').serviceLevel)).toBe('green');
    // Other KPIs of the queue inherit the centre's.
    expect(vip.asaSec?.target).toBe(30);
  });

  it('keeps the centre’s targets for teams, agents, tiers and the "—" row', () => {
    expect(breakdownScope('team', 'vip')).toBe('centre');
    expect(breakdownScope('agent_id', 'vip')).toBe('centre');
    expect(breakdownScope('tier', 'vip')).toBe('centre');
    expect(breakdownScope('queue', null)).toBe('centre');
    expect(breakdownScope('queue', 'vip')).toBe('queue:vip');
    expect(statusOf(0.95, rowTargets(judging, 'tier', 'vip').serviceLevel)).toBe('green');
  });

  it('writes the same status into the export row', () => {
    const sheets = reportSheets(data, [], 'en', judging);
    const status = (sheet: string, group: string) => {
      const s = sheets.find((x) => x.name === sheet)!;
      const r = s.rows.find((x) => x[1] === group || x[0] === group);
      if (!r) throw new Error(`${sheet}: ${JSON.stringify(s.rows.map((x) => x.slice(0, 2)))}`);
      return r[s.header.indexOf('Service level · Status')];
    };
    expect(status('Queue', 'vip')).toBe('Missed');
    expect(status('Queue', 'general')).toBe('Met');
    expect(status('Channel', 'chat')).toBe('Warning');
    expect(status('Channel', 'phone')).toBe('Met');
    expect(status('Site', 'hangzhou')).toBe('Met');
    // The VIP tier (a seat type, not a target scope) keeps the centre's: green.
    expect(status('Ticket tier', 'VIP members')).toBe('Met');
    // In the CSV too: the figure as a percentage, the status after the figures.
    const queue = sheets.find((x) => x.name === 'Queue')!;
    const csv = sheetsToCsv([queue], 'T');
    const vipLine = csv.split('\r\n').find((l) => l.includes(',vip,'))!;
    expect(vipLine).toContain('95.00%');
    expect(vipLine.split(',')[queue.header.indexOf('Service level · Status')]).toBe('Missed');
    // Without versions, no status columns (the names test's sheets are unchanged).
    expect(reportSheets(data, [], 'en').find((x) => x.name === 'Queue')!.header).not.toContain('Service level · Status');
  });
});
