/**
 * Month extracts for the reports page (SPEC §6): `GET /api/v1/extracts?month=YYYY-MM` answers
 * the manifest (files, row counts, the month's local bounds, the KPI settings), and
 * `GET /api/v1/extracts/file?month=&table=` the gzip CSV of one table or report cube. Closed months are served
 * as immutable (a browser keeps them); the open month is rebuilt on each request.
 */
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { CUBE_FILES, EXTRACT_FILES, type ExtractTable } from '../../shared/report-extract.ts';
import type { CubeName } from '../../shared/report-sql.ts';
import { MonthExtracts, monthBoundsMs } from '../reports/month-extract.ts';
import { HttpError } from '../errors.ts';
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
      const cube = Object.entries(CUBE_FILES).find(([, file]) => file === table)?.[0] as CubeName | undefined;
      // The open month is rebuilt (and its folder replaced) by other requests: the file is opened
      // at once and read through its descriptor, which outlives a replacement. A replacement
      // between the build and the open is met by asking once more.
      const open = async () => {
        const built = await get(month);
        const path = cube ? built.cubePaths[cube] : built.paths[table as ExtractTable];
        try {
          return { manifest: built.manifest, path, fd: openSync(path, 'r') };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
          throw error;
        }
      };
      const opened = (await open()) ?? (await open());
      if (!opened) throw new HttpError(503, 'extract: the open month is being rebuilt; try again');
      const { manifest, path, fd } = opened;
      const stat = fstatSync(fd);
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
        closeSync(fd);
        res.writeHead(304, { etag, 'cache-control': headers['cache-control'] });
        return void res.end();
      }
      res.writeHead(200, headers);
      // pipeline closes the descriptor however the response ends (a client going away too).
      await pipeline(createReadStream('', { fd }), res);
    },
  };
}
