/**
 * Month extracts for the reports page (SPEC §6): `GET /api/v1/extracts?month=YYYY-MM` answers
 * the manifest (files, row counts, the month's local bounds, the KPI settings), and
 * `GET /api/v1/extracts/file?month=&table=` the gzip CSV of one table or report cube. Closed months are served
 * as immutable (a browser keeps them); the open month is rebuilt on each request.
 */
import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { CUBE_FILES, EXTRACT_FILES, type ExtractTable } from '../../shared/report-extract.ts';
import type { CubeName } from '../../shared/report-sql.ts';
import { MonthExtracts, monthBoundsMs } from '../reports/month-extract.ts';
import { HttpError } from './http-error.ts';
import { monthParam, requireReports } from './report-access.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export function extractRoutes(context: RouteContext, flushRecords: () => Promise<void>, store: MonthExtracts | null): Routes {
  const { config, clock } = context;
  const get = async (month: string) => {
    if (!store) throw new HttpError(503, 'reports: this server runs without a store');
    const nowMs = clock.now();
    if (nowMs < monthBoundsMs(month, config.timeZone).startMs) throw new HttpError(404, `month: ${month} has not begun`);
    // Records the engine changed in the last second must be in the store before an open month is read.
    if (!store.isClosed(month, nowMs)) await flushRecords();
    const built = await store.get(month, nowMs);
    // A past month without records leaves nothing on disk (issue 12).
    if (!built) throw new HttpError(404, 'month: no data');
    return built;
  };
  return {
    'GET /api/v1/extracts': async (req, res, url) => {
      requireReports(context, req);
      const { manifest } = await get(monthParam(url, clock.now()));
      sendJson(res, 200, { ...manifest, settings: config.kpi });
    },
    'GET /api/v1/extracts/file': async (req, res, url) => {
      requireReports(context, req);
      const month = monthParam(url, clock.now());
      const table = url.searchParams.get('table') ?? '';
      if (!(EXTRACT_FILES as readonly string[]).includes(table)) throw new HttpError(400, `table: must be one of ${EXTRACT_FILES.join(', ')}`);
      const { manifest, paths, cubePaths } = await get(month);
      const cube = Object.entries(CUBE_FILES).find(([, file]) => file === table)?.[0] as CubeName | undefined;
      const path = cube ? cubePaths[cube] : paths[table as ExtractTable];
      const stat = statSync(path);
      const etag = `"${createHash('sha1').update(`${path}|${stat.size}|${stat.mtimeMs}`).digest('hex').slice(0, 20)}"`;
      const headers = {
        'content-type': 'text/csv; charset=utf-8',
        'content-encoding': 'gzip',
        'content-length': String(stat.size),
        etag,
        // Private: the rows are only for directors. Closed months never change.
        'cache-control': manifest.closed ? 'private, max-age=31536000, immutable' : 'private, no-cache',
        'content-disposition': `inline; filename="${config.centreName.replace(/[^\w.-]+/g, '_')}-${month}-${table}.csv"`,
      };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'cache-control': headers['cache-control'] });
        return void res.end();
      }
      res.writeHead(200, headers);
      await new Promise<void>((resolve, reject) => createReadStream(path).on('error', reject).on('end', resolve).pipe(res));
    },
  };
}
