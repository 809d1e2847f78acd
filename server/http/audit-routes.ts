/** The audit log, for admins: `GET /api/v1/audit?actor=&action=&from=&to=&limit=`. */
import { HttpError } from '../errors.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

function epochParam(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new HttpError(400, `${name}: "${value.slice(0, 40)}" is not an ISO date or time`);
  return ms;
}

export function auditRoutes({ access, audit }: RouteContext): Routes {
  return {
    'GET /api/v1/audit': async (req, res, url) => {
      access.require(req, ['admin']);
      const limitText = url.searchParams.get('limit');
      const limit = limitText === null ? 500 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new HttpError(400, 'limit: a whole number from 1 to 10000');
      const entries = await audit.list({
        actor: url.searchParams.get('actor') || undefined,
        action: url.searchParams.get('action') || undefined,
        fromMs: epochParam(url, 'from'),
        toMs: epochParam(url, 'to'),
        limit,
      });
      sendJson(res, 200, { entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
    },
  };
}
