/**
 * `GET /api/v1/intervals?scope=&day=YYYY-MM-DD` (issue 10): a scope's 15-minute intervals of one
 * local day with the figures of `GET /api/v1/kpis` each, for the duty manager's intraday charts
 * (today against yesterday and the same weekday last week). Readers of the daily reports; team
 * and agent scopes need `kpi:read-agents` as for live figures.
 */
import type { IncomingMessage } from 'node:http';
import { intervalScopeError } from '../../shared/intervals.ts';
import { dayKey } from '../../shared/time.ts';
import { requireDay } from './report-access.ts';
import type { Intraday } from '../reports/intraday.ts';
import { HttpError } from '../errors.ts';
import { requireKnownScope } from './known-scope.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export function intervalRoutes({ access, config, clock, knownScope }: RouteContext, intraday: Intraday): Routes {
  return {
    'GET /api/v1/intervals': async (req: IncomingMessage, res, url) => {
      const principal = access.requirePermission(req, 'reports:read');
      const scope = url.searchParams.get('scope') ?? 'centre';
      const refused = intervalScopeError(principal.role, scope);
      if (refused) throw new HttpError(refused.status, refused.message);
      requireKnownScope(knownScope, scope);
      const today = dayKey(clock.now(), config.timeZone);
      const day = url.searchParams.get('day') ?? today;
      requireDay('day', day, clock.now());
      if (day > today) throw new HttpError(400, `day: must not be after today (${today} in ${config.timeZone})`);
      if (!intraday.available(scope, day)) {
        throw new HttpError(503, 'intervals: this server runs without a store: only today and yesterday, and no agent scopes');
      }
      sendJson(res, 200, await intraday.day(scope, day));
    },
  };
}
