/** The alert log and acknowledgement for duty managers (SPEC §5); acknowledgements are audited. */
import { remoteAddress } from '../security/auth.ts';
import type { ScreenHub } from '../screens/screen-hub.ts';
import { HttpError } from './http-error.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';
import { MANAGERS, readJsonObject } from './screen-routes.ts';

export function alertRoutes({ access, audit, clock }: RouteContext, hub: ScreenHub): Routes {
  return {
    'GET /api/v1/alerts': (req, res) => {
      access.require(req, [...MANAGERS, 'director']);
      sendJson(res, 200, { now: clock.now(), active: hub.alerts.active(), recent: hub.alerts.recent() });
    },
    'POST /api/v1/alerts/ack': async (req, res) => {
      const principal = access.require(req, MANAGERS);
      const body = await readJsonObject(req);
      if (typeof body.id !== 'string' || body.id.length === 0 || body.id.length > 64) throw new HttpError(400, 'id: the id of an alert');
      const result = hub.alerts.ack(body.id, principal.name, clock.now());
      if (result === 'not-found') throw new HttpError(404, `id: no alert "${body.id}"`);
      if (result === 'already') throw new HttpError(409, 'id: that alert is already acknowledged');
      await audit.record({
        at: result.ackedAt!,
        actor: principal.name,
        role: principal.role,
        action: 'alert.ack',
        target: result.id,
        from: remoteAddress(req),
        detail: { rule: result.rule, kpi: result.kpi ?? null, scope: result.scope },
      });
      sendJson(res, 200, { alert: result });
    },
  };
}
