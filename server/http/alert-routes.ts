/**
 * The alert log and acknowledgement for duty managers (SPEC §5); acknowledgements are audited.
 * Alerts come grouped as incidents (issue 10): one stuck queue breaching at queue, site and
 * centre is one incident, acknowledged once with a note.
 */
import type { AlertList } from '../../shared/alerts.ts';
import { remoteAddress } from '../security/auth.ts';
import type { ScreenHub } from '../screens/screen-hub.ts';
import { HttpError } from '../errors.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';
import { MANAGERS } from './screen-routes.ts';
import { parseBody, readJsonBody } from './json-body.ts';
import { ackNote, alertAckBody } from '../../shared/schemas/floor.ts';

/** The acknowledgement note (shared/schemas/floor.ts): absent, null or blank is none; 400 naming `note`. */
export function parseAckNote(value: unknown): string | null {
  return parseBody(ackNote, value, 'note');
}

export function alertRoutes({ access, audit, clock }: RouteContext, hub: ScreenHub): Routes {
  return {
    'GET /api/v1/alerts': (req, res) => {
      access.require(req, [...MANAGERS, 'director']);
      sendJson(res, 200, { now: clock.now(), active: hub.alerts.active(), recent: hub.alerts.recent(), incidents: hub.alerts.incidents() } satisfies AlertList);
    },
    'POST /api/v1/alerts/ack': async (req, res) => {
      const principal = access.require(req, MANAGERS);
      const body = await readJsonBody(req, alertAckBody);
      const note = body.note;
      const nowMs = clock.now();
      const from = remoteAddress(req);
      // Audited first (issue 12): if the audit log cannot take it, nothing is acknowledged.
      const incident = hub.alerts.incident(body.id);
      if (incident) {
        // An incident: all its alerts at once, one audit entry.
        if (incident.ackedAt !== null) throw new HttpError(409, 'id: that incident is already acknowledged');
        const pending = incident.alertIds.filter((id) => hub.alerts.alert(id)?.ackedAt === null);
        await audit.record({
          at: nowMs,
          actor: principal.name,
          role: principal.role,
          action: 'alert.ack',
          target: incident.id,
          from,
          detail: { rule: incident.rule, kpi: incident.kpi ?? null, scopes: incident.scopes, alertIds: pending, note },
        });
        const result = hub.alerts.ackIncident(body.id, principal.name, nowMs, note);
        if (result === 'not-found') throw new HttpError(404, 'id: no such alert or incident');
        if (result === 'already') throw new HttpError(409, 'id: that incident is already acknowledged');
        return sendJson(res, 200, { incident: result.incident, alerts: result.alerts });
      }
      const alert = hub.alerts.alert(body.id);
      if (!alert) throw new HttpError(404, 'id: no such alert or incident');
      if (alert.ackedAt !== null) throw new HttpError(409, 'id: that alert is already acknowledged');
      await audit.record({
        at: nowMs,
        actor: principal.name,
        role: principal.role,
        action: 'alert.ack',
        target: alert.id,
        from,
        detail: { rule: alert.rule, kpi: alert.kpi ?? null, scope: alert.scope, note },
      });
      const result = hub.alerts.ack(body.id, principal.name, nowMs, note);
      if (result === 'not-found') throw new HttpError(404, 'id: no such alert or incident');
      if (result === 'already') throw new HttpError(409, 'id: that alert is already acknowledged');
      const merged = result.incidentId === undefined ? undefined : hub.alerts.incident(result.incidentId);
      sendJson(res, 200, { alert: result, ...(merged ? { incident: merged } : {}) });
    },
  };
}
