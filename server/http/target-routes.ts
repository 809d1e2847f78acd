/**
 * Targets with effective dates: `GET /api/v1/targets[?month=YYYY-MM]` (the versions, and the
 * targets in force for a month) and `POST /api/v1/targets {effectiveFrom, targets}` (a new
 * version, audited as `targets.change`). Directors and admins.
 */
import { parseTargetChange, targetsInForce, DEFAULT_TARGET_VERSION } from '../../shared/targets.ts';
import { isMonth } from '../../shared/report-extract.ts';
import { DuckDbTargetStore, MemoryTargetStore, type TargetStore } from '../reports/target-store.ts';
import { HttpError } from './http-error.ts';
import { jsonBody, remoteAddress, requireReports } from './report-access.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export function targetRoutes(context: RouteContext, store?: TargetStore): Routes {
  const targets = store ?? (context.records ? new DuckDbTargetStore(context.records.connection) : new MemoryTargetStore());
  return {
    'GET /api/v1/targets': async (req, res, url) => {
      requireReports(context, req);
      const versions = await targets.list();
      const month = url.searchParams.get('month');
      if (month !== null && !isMonth(month)) throw new HttpError(400, `month: "${month.slice(0, 20)}" is not a month YYYY-MM`);
      sendJson(res, 200, {
        defaults: DEFAULT_TARGET_VERSION.targets,
        versions,
        ...(month ? { month, inForce: targetsInForce(versions, `${month}-01`) } : {}),
      });
    },
    'POST /api/v1/targets': async (req, res) => {
      const principal = requireReports(context, req);
      let change;
      try {
        change = parseTargetChange(await jsonBody(req));
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError(400, (error as Error).message);
      }
      const at = context.clock.now();
      const previous = targetsInForce(await targets.list(), change.effectiveFrom);
      await targets.add({ ...change, changedBy: principal.name, changedAtMs: at });
      await context.audit.record({
        at,
        actor: principal.name,
        role: principal.role,
        action: 'targets.change',
        target: change.effectiveFrom,
        from: remoteAddress(req),
        detail: { targets: change.targets, previous: Object.fromEntries(Object.keys(change.targets).map((k) => [k, previous[k as keyof typeof previous] ?? null])) },
      });
      sendJson(res, 201, { effectiveFrom: change.effectiveFrom, targets: change.targets });
    },
  };
}
