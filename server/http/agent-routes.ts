/**
 * `GET /api/v1/agents?scope=` (issue 10): the agents of a scope with their state, time in state,
 * reason, current contact and today's handled, AHT, occupancy and long not-ready episodes; the
 * same rows the socket feed pushes (`agents:subscribe`). They name people: managers, directors
 * and admins only ('kpi:read-agents'), never a floor screen.
 */
import { AGENT_SCOPE_FORMS, parseAgentScope } from '../../shared/agent-feed.ts';
import type { AgentFeed } from '../realtime/agent-feed.ts';
import { HttpError } from '../errors.ts';
import { requireKnownScope } from './known-scope.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export function agentRoutes({ access, knownScope }: RouteContext, feed: AgentFeed): Routes {
  return {
    'GET /api/v1/agents': (req, res, url) => {
      access.requirePermission(req, 'kpi:read-agents');
      const scope = url.searchParams.get('scope') ?? 'centre';
      const parsed = parseAgentScope(scope);
      if (!parsed) throw new HttpError(400, `scope: must be ${AGENT_SCOPE_FORMS}`);
      requireKnownScope(knownScope, scope);
      sendJson(res, 200, feed.message(scope, parsed));
    },
  };
}
