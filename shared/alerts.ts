/**
 * Alerts, broadcasts and the screen state the server pushes to every floor screen (SPEC §5,
 * manual 003). Shared so the wallboard, the duty-manager page and the server agree on one shape.
 */
import type { KpiName } from './kpi.ts';
import type { ScreenLayout } from './layouts.ts';

export const ALERT_RULES = ['threshold', 'no-agents-ready', 'source-silent', 'volume-surge'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export interface Alert {
  /** Unique per raising: a rule that clears and is raised again gets a new id. */
  id: string;
  rule: AlertRule;
  /** The KPI of a threshold breach. */
  kpi?: KpiName;
  scope: string;
  raisedAt: number;
  /** Set once the condition has been back to normal long enough (hysteresis). */
  clearedAt: number | null;
  /** The figure when raised, and the worst seen while active. */
  value: number | null;
  worst: number | null;
  /** The red limit it crossed. */
  limit: number | null;
  ackedBy: string | null;
  ackedAt: number | null;
  /** The incident the alert belongs to (see `Incident`). */
  incidentId?: string;
}

/**
 * One problem on the floor (issue 10): alerts of the same rule (and KPI) at related scopes — a
 * queue within its site, the site, the queue across sites, the centre — raised within
 * `INCIDENT_WINDOW_MS` of each other while the incident is active and not yet acknowledged. One
 * stuck queue breaching at queue, site and centre is one incident, acknowledged once with a note.
 */
export interface Incident {
  /** `I…`: never the id of an alert. */
  id: string;
  rule: AlertRule;
  kpi?: KpiName;
  /** Scopes of its alerts, in the order they were raised. */
  scopes: string[];
  /** When its first alert was raised. */
  raisedAt: number;
  /** When its last active alert cleared; null while any is active. */
  clearedAt: number | null;
  /** Who acknowledged it (all its alerts at once), and when; null until then. */
  ackedBy: string | null;
  ackedAt: number | null;
  /** What the duty manager wrote when acknowledging it; null when nothing. */
  note: string | null;
  /** Its alerts, in the order they were raised. */
  alertIds: string[];
}

/** `GET /api/v1/alerts`: the alerts active now and of late, and the incidents they make. */
export interface AlertList {
  /** Server time of the answer. */
  now: number;
  active: Alert[];
  recent: Alert[];
  incidents: Incident[];
}

/** Alerts raised this close to an incident's latest one join it (when related and of the same rule). */
export const INCIDENT_WINDOW_MS = 2 * 60_000;
/** Longest acknowledgement note, in characters. */
export const MAX_ACK_NOTE_CHARS = 500;

export interface Broadcast {
  id: string;
  /** The message as the manager wrote it (e.g. the unified script, 统一口径). */
  text: string;
  /** `all`, or the screens (display-link names) it goes to. */
  screens: 'all' | string[];
  sentAt: number;
  sentBy: string;
  expiresAt: number;
  withdrawnAt: number | null;
}

export const MAX_BROADCAST_CHARS = 280;
export const MAX_BROADCAST_SEC = 24 * 3600;

/** One agent on the agent board. Never sent to a screen in visitor mode. */
export interface AgentRow {
  agentId: string;
  state: 'ready' | 'busy' | 'acw' | 'not_ready';
  /** When the current state began (server clock). */
  sinceMs: number;
  reason: string | null;
  team: string | null;
  site: string | null;
  /** When the contact the agent is on was answered; null when on none. */
  contactSinceMs: number | null;
}

export interface AgentBoard {
  asOf: number;
  /** Agents on the board (busiest problems first), at most `limit`. */
  agents: AgentRow[];
  /** How many agents the scope has in all (logged in). */
  total: number;
}

/** What a screen is told about itself; sent on join and whenever any part of it changes. */
export interface ScreenState {
  /** The screen's identity: the display link's name (or the signed-in user's). */
  screen: string;
  /** The manager's assignment, overriding the URL; null when none. */
  assigned: ScreenLayout | null;
  visitor: boolean;
  /** May this screen receive the agent board (assigned to it, not in visitor mode). */
  agentBoard: boolean;
  broadcasts: Broadcast[];
  /** Active alerts, newest first. */
  alerts: Alert[];
  /** Identifies the deployed web app: a screen reloads itself when it changes. */
  buildId: string;
}

/** Minute samples of a scope's headline KPIs over the last hour, oldest first (null: no value). */
export interface TrendSeries {
  scope: string;
  /** Time of the newest sample. */
  asOf: number;
  stepMs: number;
  series: Partial<Record<KpiName, Array<number | null>>>;
}
