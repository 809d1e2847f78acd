/**
 * Shapes of the console's HTTP and socket answers (issue 10's contracts). The server files own
 * the truth; these are what the page reads of them, so a field the server adds does no harm.
 */
import type { KpiName, KpiValue } from '../../shared/kpi.ts';

/** `GET /api/v1/scopes/tree`: the org as the caller may see it. */
export interface ScopeTree {
  sites: Array<{ scope: string; queues: string[]; teams: string[] }>;
  queues: string[];
  teams: Array<{ scope: string; site: string | null; queues: string[]; agents: string[] }>;
  channels: string[];
}

/** KPIs by name as `/api/v1/kpis` and `/api/v1/intervals` send them. */
export type KpiMap = Partial<Record<KpiName, KpiValue>>;

/** `GET /api/v1/kpis/contacts`: the contacts behind one figure. */
export interface ContactsAnswer {
  scope: string;
  window: string;
  kpi: string;
  num: number | null;
  den: number | null;
  total: number;
  truncated: boolean;
  rows: ContactRow[];
}

export interface ContactRow {
  id: string;
  inNumerator: boolean;
  customer: string | null;
  offeredAt: string | null;
  outcomeAt: string | null;
  waitSec: number | null;
  handleSec: number | null;
  agent: string | null;
  team: string | null;
  site: string | null;
  queue: string | null;
  channel: string | null;
  outcome: string | null;
  firstContact: boolean | null;
  surveyScore: number | null;
  value: number | null;
}

/** One 15-minute interval of `GET /api/v1/intervals`. */
export interface IntervalRow {
  startMs: number;
  /** Centre-local `HH:mm`. */
  start: string;
  kpis: KpiMap;
  agentsLoggedIn: number | null;
  agentsReady: number | null;
}

export interface IntervalsAnswer {
  scope: string;
  day: string;
  intervals: IntervalRow[];
}

/** `intervals:update`: the current interval of a scope changed. */
export interface IntervalUpdate {
  scope: string;
  day: string;
  interval: IntervalRow;
}

/** One agent of `GET /api/v1/agents` / `agents:rows`. */
export interface ConsoleAgentRow {
  agentId: string;
  team: string | null;
  site: string | null;
  state: string;
  reason: string | null;
  sinceMs: number | null;
  timeInStateSec: number | null;
  contactId: string | null;
  handledToday: number | null;
  ahtSec: number | null;
  occupancy: number | null;
  longNotReady: { count: number; longestSec: number } | null;
}

/** `GET /api/v1/tickets/open`. */
export interface TicketRow {
  ticketId: string;
  tier: string;
  complaint: boolean;
  category: string | null;
  site: string | null;
  queue: string | null;
  step: 'closure' | 'notify' | 'acknowledge' | 'feedback';
  openedAt: string;
  deadlineAt: string;
  minutesLeft: number;
  overdue: boolean;
}

export interface TicketCount {
  open: number;
  overdue: number;
  dueWithinHour: number;
}

export interface TicketsAnswer {
  asOf: number | string;
  rows: TicketRow[];
  bySite: Array<TicketCount & { site: string | null }>;
  byQueue: Array<TicketCount & { queue: string | null }>;
}

/** One row of `GET /api/v1/staffing`. */
export interface StaffingRow {
  scope: string;
  callsLastHour: number;
  ahtSec: number | null;
  thresholdSec: number;
  targetSl: number;
  required: number | null;
  readyBusy: number;
  loggedIn: number;
}

export interface StaffingAnswer {
  rows: StaffingRow[];
  centre: StaffingRow;
  /** Manual 003's busy-hour seat table; field names are the server's. */
  seatTable: Array<Record<string, number | string>>;
}

/** `GET /api/v1/staffing/erlang-c`. */
export interface ErlangAnswer {
  agents: number;
  serviceLevel: number | null;
  asaSec: number | null;
  pWait: number | null;
  occupancy: number | null;
  trafficErlangs: number;
  stable: boolean;
}

/** One incident of `GET /api/v1/alerts`: the same breach at several scopes, acknowledged once. */
export interface Incident {
  id: string;
  rule: string;
  kpi?: string;
  scopes: string[];
  raisedAt: number;
  clearedAt: number | null;
  ackedBy: string | null;
  ackedAt: number | null;
  note: string | null;
  alertIds: string[];
}

/** `GET /api/v1/session`. */
export interface SessionInfo {
  name: string;
  role: string;
  permissions: string[];
}
