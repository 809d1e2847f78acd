/**
 * The scope tree of the duty manager's console (issue 10): centre → site → queue within the
 * site → team → agent, plus queues across the centre and channels. Scopes come from the engine
 * (every scope with figures today or yesterday); where teams sit and which queues they serve
 * come from the agents' latest `agent.state` events, as the agent board keeps them.
 */
import { can } from '../../shared/roles.ts';
import { scopeName, type ScopeTree, type ScopeTreeSite, type ScopeTreeTeam } from '../../shared/scope.ts';
import type { AgentBoardState } from '../realtime/agent-board.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export function scopeRoutes({ access, engine }: RouteContext, agents: AgentBoardState): Routes {
  return {
    'GET /api/v1/scopes/tree': (req, res) => {
      const principal = access.requirePermission(req, 'kpi:read');
      const sites: ScopeTreeSite[] = engine.scopeKeys('site').map((scope) => ({ scope, queues: engine.siteQueueKeys(scopeName(scope)) }));
      const queues = engine.scopeKeys('queue');
      const channels = engine.scopeKeys('channel');
      // Team names and who is in them are internal staffing: not for floor screens.
      if (!can(principal.role, 'kpi:read-agents')) return sendJson(res, 200, { sites, queues, channels } satisfies ScopeTree);
      const known = agents.teams();
      const names = new Set<string>([...engine.scopeKeys('team').map(scopeName), ...known.keys()]);
      const teams: ScopeTreeTeam[] = [...names].sort().map((name) => {
        const team = known.get(name);
        return {
          scope: `team:${name}`,
          site: team ? mainSite(team.sites) : null,
          queues: team ? [...team.queues].sort() : [],
          agents: team ? team.agents.sort().map((id) => `agent:${id}`) : [],
        };
      });
      for (const site of sites) {
        const name = scopeName(site.scope);
        site.teams = [...names].sort().filter((team) => known.get(team)?.sites.has(name)).map((team) => `team:${team}`);
      }
      sendJson(res, 200, { sites, queues, teams, channels } satisfies ScopeTree);
    },
  };
}

/** The site most of a team's agents are at (ties: the first by name); null when none is known. */
function mainSite(sites: Map<string, number>): string | null {
  let best: string | null = null;
  let bestCount = 0;
  for (const [site, count] of [...sites].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (count > bestCount) {
      best = site;
      bestCount = count;
    }
  }
  return best;
}
