/**
 * `GET /api/v1/reports/daily`: one row per day and group (centre, site, queue, ...) from the
 * stored contact and ticket records, each day judged by the targets in force for its group on
 * that day (issue 11). The records the engine changed last are written first, so the report is
 * never behind the live figures (503 naming the cause while they cannot be written, issue 12).
 */
import { judgeKpis } from '../../shared/targets.ts';
import { HttpError } from '../errors.ts';
import { daysBetween, GROUP_BYS, type GroupBy } from '../store/daily-report.ts';
import { requireDay } from './report-access.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

/** The most days one request may span. */
const MAX_DAYS = 92;

export function dailyReportRoutes({ access, records, clock, targets }: RouteContext, syncRecords: () => Promise<void>): Routes {
  return {
    'GET /api/v1/reports/daily': async (req, res, url) => {
      access.requirePermission(req, 'reports:read');
      if (!records) throw new HttpError(503, 'reports: this server runs without a store');
      const from = url.searchParams.get('from') ?? '';
      const to = url.searchParams.get('to') ?? from;
      const groupBy = (url.searchParams.get('groupBy') ?? 'centre') as GroupBy;
      // Real calendar days in a sane range, never echoed (issue 12).
      for (const [name, value] of [['from', from], ['to', to]] as const) requireDay(name, value, clock.now());
      if (to < from) throw new HttpError(400, 'to: must not be before from');
      if (daysBetween(from, to).length > MAX_DAYS) throw new HttpError(400, `to: at most ${MAX_DAYS} days per request`);
      if (!GROUP_BYS.includes(groupBy)) throw new HttpError(400, `groupBy: must be one of ${GROUP_BYS.join(', ')}`);
      // Records the engine changed in the last second must be in the store before reading it.
      await syncRecords();
      const rows = (await records.daily({ from, to, groupBy })).map((row) => ({ ...row, judged: judgeKpis(row.kpis, targets.inForce(groupBy === 'centre' ? 'centre' : `${groupBy}:${row.group}`, row.day)) }));
      sendJson(res, 200, { from, to, groupBy, rows });
    },
  };
}
