/**
 * The agents of a scope for the duty manager's console (issue 10, manual 003): who is in which
 * state since when, on which contact, and today's handled contacts, AHT, occupancy and
 * not-ready episodes beyond the limit (5 min). Shared by `GET /api/v1/agents`, the socket feed
 * (`agents:subscribe` / `agents:rows`) and the console.
 */
import { parseScope, SITE_QUEUE, type ParsedScope } from './scope.ts';

export type AgentFeedState = 'ready' | 'busy' | 'acw' | 'not_ready';

export interface AgentFeedRow {
  agentId: string;
  team: string | null;
  site: string | null;
  /** Queues (skills) the agent serves, from their latest state. */
  queues: string[];
  state: AgentFeedState;
  /** The not-ready reason; null in other states. */
  reason: string | null;
  /** When the current state began (epoch ms). */
  sinceMs: number;
  /** Whole seconds in the current state as of the message's `asOf` (count on from `sinceMs`). */
  timeInStateSec: number;
  /** The contact the agent is on; null when on none. */
  contactId: string | null;
  contactSinceMs: number | null;
  /** Contacts wrapped up today (local day), as the agent scope's `handled`. */
  handledToday: number;
  /** Today's AHT in seconds (shared/kpi.ts `ahtSec`); null before the first handled contact. */
  ahtSec: number | null;
  /** Today's occupancy, handle ÷ (handle + ready) (shared/kpi.ts `occupancy`); null before any. */
  occupancy: number | null;
  /**
   * Not-ready episodes beyond the limit today: ended ones (the `notReadyLongEpisodes` counter)
   * plus the current one once it passes the limit (`ongoing`); `longestSec` the longest of them,
   * the current one measured at `asOf` (0 when none). While `ongoing`, it grows with the clock.
   */
  longNotReady: { count: number; longestSec: number; ongoing: boolean };
}

/** What `agents:rows` carries (and `GET /api/v1/agents` answers). */
export interface AgentFeedMessage {
  scope: string;
  asOf: number;
  rows: AgentFeedRow[];
  /**
   * Only to subscribers that asked for `changes`: `rows` are just the rows that changed or
   * joined since the last push, and `removed` the agents that left the scope (logged out,
   * moved). Every row is whole, so they apply over any state as new as the last push.
   */
  changes?: true;
  removed?: string[];
}

/** An agent's memberships, as their latest state names them. */
export interface AgentMembership {
  agentId: string;
  site: string | null;
  team: string | null;
  queues: readonly string[];
}

export const AGENT_SCOPE_FORMS = 'centre, site:X, queue:X, site:X/queue:Y, team:X or agent:X';

/** The scope of an agents request, or null when it is not one agents belong to (e.g. a channel). */
export function parseAgentScope(raw: string): ParsedScope | null {
  const parsed = parseScope(raw);
  if (!parsed || parsed.dimension === 'channel') return null;
  return parsed;
}

/** Whether an agent belongs to a scope: by site, team, the queues they serve, or themselves. */
export function agentInScope(scope: ParsedScope, agent: AgentMembership): boolean {
  switch (scope.dimension) {
    case 'centre':
      return true;
    case 'site':
      return agent.site === scope.name;
    case 'queue':
      return agent.queues.includes(scope.name);
    case SITE_QUEUE:
      return agent.site === scope.site && agent.queues.includes(scope.queue);
    case 'team':
      return agent.team === scope.name;
    case 'agent':
      return agent.agentId === scope.name;
    default:
      return false;
  }
}
