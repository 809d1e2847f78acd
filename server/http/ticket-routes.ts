/**
 * `GET /api/v1/tickets/open?scope=` (issue 10): open tickets and open escalation steps against
 * their deadlines, overdue first, with counts by site and queue (shared/open-tickets.ts). The
 * engine holds every ticket of the live days and every open one it has met since; open tickets
 * it does not hold (opened before a restart that rebuilt only the live days, or only ever seen as
 * old events) are read from the store, so a long-open ticket still shows. Readers of the reports.
 */
import { openTicketCounts, openTicketRows, type OpenTickets } from '../../shared/open-tickets.ts';
import { canSeeScope } from '../../shared/roles.ts';
import { parseScope, SCOPE_FORMS } from '../../shared/scope.ts';
import { HttpError } from '../errors.ts';
import { requireKnownScope } from './known-scope.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

/** Rows per answer at most (the soonest deadlines); the counts cover every open ticket. */
export const OPEN_TICKET_ROW_LIMIT = 5000;

export function ticketRoutes({ access, engine, records, config, clock, knownScope }: RouteContext): Routes {
  return {
    'GET /api/v1/tickets/open': async (req, res, url) => {
      const principal = access.requirePermission(req, 'reports:read');
      const scope = url.searchParams.get('scope') ?? 'centre';
      if (!parseScope(scope)) throw new HttpError(400, `scope: must be one of ${SCOPE_FORMS}`);
      if (!canSeeScope(principal.role, scope)) throw new HttpError(403, `scope: the ${principal.role} role sees centre, site, queue and channel figures only`);
      requireKnownScope(knownScope, scope);
      const stored = records ? await records.openTickets() : [];
      // After the read: the engine's records are the newer, and a ticket it holds is taken from it.
      const held = engine.openTickets();
      const tickets = [...held, ...stored.filter((t) => !engine.holdsTicket(t.record.ticketId))];
      const nowMs = clock.now();
      const rows = openTicketRows(tickets, scope, nowMs, config.kpi);
      const body: OpenTickets & { scope: string } = {
        scope,
        asOf: new Date(nowMs).toISOString(),
        total: rows.length,
        truncated: rows.length > OPEN_TICKET_ROW_LIMIT,
        rows: rows.slice(0, OPEN_TICKET_ROW_LIMIT),
        ...openTicketCounts(tickets, scope, rows),
      };
      sendJson(res, 200, body);
    },
  };
}
