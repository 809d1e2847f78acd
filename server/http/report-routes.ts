/**
 * The reports page's server side besides the extracts: `POST /api/v1/reports/exports` records an
 * export in the audit log before the browser hands out the file (the file is made in the browser,
 * so this is where the server learns of it), and `GET /api/v1/reports/summary?month=` gives a
 * month's totals by dimension (the previous month of a report, without downloading its rows),
 * from the same report cubes the browser loads.
 */
import { loadCubeSql, reportTables } from '../../shared/report-model.ts';
import type { CubeName } from '../../shared/report-sql.ts';
import { MonthExtracts, monthBoundsMs } from '../reports/month-extract.ts';
import type { DuckDbEventLog } from '../store/duckdb-event-log.ts';
import { privateDuckDb } from '../reports/native-report.ts';
import { HttpError } from '../errors.ts';
import { extractRoutes } from './extract-routes.ts';
import { targetRoutes } from './target-routes.ts';
import { readJsonBody } from './json-body.ts';
import { exportBody } from '../../shared/schemas/reports.ts';
import { monthParam, remoteAddress, requireMonth, requireReports } from './report-access.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export { EXPORT_FORMATS } from '../../shared/schemas/reports.ts';

/** Every route of the reports area (extracts, targets, exports, summaries) on one extract cache. */
export function reportsArea(context: RouteContext, flushRecords: () => Promise<void>): Routes {
  const { config, records, log } = context;
  const ownConnection = (log as Partial<DuckDbEventLog>).connect?.bind(log);
  const connect = ownConnection ?? (() => records!.connect());
  const extracts = records ? new MonthExtracts(connect, { dataDir: config.dataDir, timeZone: config.timeZone, centreName: config.centreName, settings: config.kpi }) : null;
  return { ...extractRoutes(context, flushRecords, extracts), ...targetRoutes(context), ...reportRoutes(context, flushRecords, extracts) };
}

export function reportRoutes(context: RouteContext, flushRecords: () => Promise<void>, extracts: MonthExtracts | null): Routes {
  const { config, clock } = context;
  const summaries = new Map<string, unknown>();
  return {
    'POST /api/v1/reports/exports': async (req, res) => {
      const principal = requireReports(context, req);
      const { format, month, file, view } = await readJsonBody(req, exportBody);
      const at = clock.now();
      requireMonth('month', month, at);
      await context.audit.record({ at, actor: principal.name, role: principal.role, action: `export.${format}`, target: month, from: remoteAddress(req), detail: { file, ...(view ? { view } : {}) } });
      sendJson(res, 201, { recorded: true, at: new Date(at).toISOString() });
    },
    'GET /api/v1/reports/summary': async (req, res, url) => {
      requireReports(context, req);
      if (!extracts) throw new HttpError(503, 'reports: this server runs without a store');
      const nowMs = clock.now();
      const month = monthParam(url, nowMs);
      // A month not begun has nothing to sum, and must leave nothing on disk (issue 12).
      if (nowMs < monthBoundsMs(month, config.timeZone).startMs) throw new HttpError(404, `month: ${month} has not begun`);
      const closed = extracts.isClosed(month, nowMs);
      const cached = closed ? summaries.get(month) : undefined;
      if (cached) return sendJson(res, 200, cached);
      if (!closed) await flushRecords();
      const built = await extracts.get(month, nowMs);
      if (!built) throw new HttpError(404, 'month: no data');
      const { cubePaths } = built;
      const { run, close } = await privateDuckDb();
      try {
        for (const cube of Object.keys(cubePaths) as CubeName[]) await run(loadCubeSql(cube, cubePaths[cube]));
        const report = await reportTables(run, config.kpi);
        const counters = (rows: typeof report.daily) => rows.map((r) => ({ group: r.group, counters: Array.from(r.counters) }));
        const body = {
          month,
          closed,
          total: Array.from(report.total.counters),
          byDim: Object.fromEntries(Object.entries(report.byDim).map(([dim, rows]) => [dim, counters(rows)])),
        };
        if (closed) summaries.set(month, body);
        sendJson(res, 200, body);
      } finally {
        close();
      }
    },
  };
}
