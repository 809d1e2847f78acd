/**
 * The live figures' reads, for every role: `GET /api/v1/kpis` (one scope and window, judged by
 * the targets in force), `GET /api/v1/scopes` (the scopes with figures today or yesterday) and
 * `GET /api/v1/config` (centre name, time zone, KPI settings). Team scopes are internal staffing:
 * not for floor screens.
 */
import { can, canSeeScope } from '../../shared/roles.ts';
import { parseScope, SCOPE_FORMS, type ScopeKey } from '../../shared/scope.ts';
import { withTargets } from '../../shared/targets.ts';
import { WINDOWS, type KpiWindow } from '../../shared/time.ts';
import { HttpError } from '../errors.ts';
import { requireKnownScope } from './known-scope.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export function kpiRoutes({ access, config, engine, targets, knownScope }: RouteContext): Routes {
  return {
    'GET /api/v1/kpis': (req, res, url) => {
      const principal = access.requirePermission(req, 'kpi:read');
      const scope = url.searchParams.get('scope') ?? 'centre';
      const window = (url.searchParams.get('window') ?? 'today') as KpiWindow;
      if (!parseScope(scope)) throw new HttpError(400, `scope: must be one of ${SCOPE_FORMS}`);
      if (!canSeeScope(principal.role, scope)) throw new HttpError(403, `scope: the ${principal.role} role sees centre, site, queue and channel figures only`);
      if (!WINDOWS.includes(window)) throw new HttpError(400, `window: must be one of ${WINDOWS.join(', ')}`);
      requireKnownScope(knownScope, scope);
      const snapshot = engine.snapshot(scope as ScopeKey, window);
      sendJson(res, 200, { scope, window, asOf: new Date(snapshot.asOf).toISOString(), kpis: withTargets(snapshot.kpis, targets.inForce(scope)) });
    },
    'GET /api/v1/scopes': (req, res) => {
      const principal = access.requirePermission(req, 'kpi:read');
      sendJson(res, 200, {
        sites: engine.scopeKeys('site'),
        queues: engine.scopeKeys('queue'),
        siteQueues: engine.scopeKeys('siteQueue'),
        ...(can(principal.role, 'kpi:read-agents') ? { teams: engine.scopeKeys('team') } : {}),
        channels: engine.scopeKeys('channel'),
      });
    },
    'GET /api/v1/config': (req, res) => {
      access.requirePermission(req, 'kpi:read');
      sendJson(res, 200, { centreName: config.centreName, timeZone: config.timeZone, kpi: config.kpi });
    },
  };
}
