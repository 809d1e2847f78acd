/**
 * Shapes of the console's HTTP and socket answers (issue 10's contracts). The server and the
 * page share one definition of each, in shared/; this file gathers them for the page and adds
 * only what the page itself holds.
 */
import type { KpiName, KpiValue } from '../../shared/kpi.ts';
import type { ScopeTree as ScopeTreeAnswer, ScopeTreeSite } from '../../shared/scope.ts';

export type { AgentFeedMessage, AgentFeedRow } from '../../shared/agent-feed.ts';
export type { AlertList, Incident } from '../../shared/alerts.ts';
export type { IntervalDay, IntervalRow, IntervalUpdate } from '../../shared/intervals.ts';
export type { DrillRow, KpiContacts } from '../../shared/kpi-contacts.ts';
export type { OpenTicketCount, OpenTicketRow, OpenTickets } from '../../shared/open-tickets.ts';
export type { ScopeTreeSite, ScopeTreeTeam } from '../../shared/scope.ts';
export type { ErlangCAnswer, Staffing, StaffingRow } from '../../shared/staffing.ts';
/** One agent of `GET /api/v1/agents` / `agents:rows` (the name the agents panel knows it by). */
export type { AgentFeedRow as ConsoleAgentRow } from '../../shared/agent-feed.ts';

/**
 * The scope tree as the page holds it: `GET /api/v1/scopes/tree` with the parts a role does not
 * see (teams) as empty lists (scope-tree.ts `normalizeTree`).
 */
export type ScopeTree = Omit<Required<ScopeTreeAnswer>, 'sites'> & { sites: Array<Required<ScopeTreeSite>> };

/** KPIs by name as `/api/v1/kpis` and `/api/v1/intervals` send them. */
export type KpiMap = Partial<Record<KpiName, KpiValue>>;

/** `GET /api/v1/session`. */
export interface SessionInfo {
  name: string;
  role: string;
  permissions: string[];
}
