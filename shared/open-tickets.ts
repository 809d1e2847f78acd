/**
 * Open tickets and escalation steps against their deadlines (manual 002; SPEC §6 the duty
 * manager's ticket ageing): one row per open closure (simple 24 h, complex, special and complaint
 * 72 h from opening) and per escalation step not yet done (customer notified 1 h, acknowledged
 * 2 h, feedback 72 h from escalation). Deadlines come from the same settings and rules as the
 * closure-rate and escalation-compliance figures (shared/attribution.ts).
 */
import { effectiveCloseMs, ticketDeadlineMs, type TicketRecord } from './attribution.ts';
import type { TicketTier } from './events.ts';
import type { KpiSettings } from './kpi.ts';
import { scopeMatcher } from './intervals.ts';

export const TICKET_STEPS = ['closure', 'notify', 'acknowledge', 'feedback'] as const;
export type TicketStep = (typeof TICKET_STEPS)[number];

/** Escalation steps and the record field that marks each done. */
const ESCALATION_STEPS = [
  ['notify', 'notified'],
  ['acknowledge', 'acknowledged'],
  ['feedback', 'feedback'],
] as const;

/** A ticket with the queue, site and channel it takes from its contact when it has none. */
export interface OpenTicketInput {
  record: TicketRecord;
  queue?: string;
  site?: string;
  channel?: string;
}

export interface OpenTicketRow {
  ticketId: string;
  tier: TicketTier | null;
  complaint: boolean;
  category: string | null;
  site: string | null;
  queue: string | null;
  step: TicketStep;
  /** ISO times; `openedAt` is null for a ticket known only from its escalation. */
  openedAt: string | null;
  /** When the ticket was escalated (escalation steps), else null. */
  escalatedAt: string | null;
  deadlineAt: string;
  /** Whole minutes to the deadline, rounded down: negative once overdue (−1 in the first minute past it). */
  minutesLeft: number;
  /** The deadline has passed (at the deadline itself too, as in shared/attribution.ts). */
  overdue: boolean;
  /** Not overdue and due within the next hour. */
  dueWithinHour: boolean;
}

export interface OpenTicketCount {
  /** Open tickets (each once, whatever its open steps). */
  open: number;
  /** Open tickets with at least one overdue row. */
  overdue: number;
  /** Open tickets with none overdue and at least one row due within the hour. */
  dueWithinHour: number;
}

export interface OpenTickets {
  asOf: string;
  /** Rows in the answer, and all there are (rows stop at the limit, soonest deadlines kept). */
  total: number;
  truncated: boolean;
  rows: OpenTicketRow[];
  bySite: Array<{ site: string | null } & OpenTicketCount>;
  byQueue: Array<{ queue: string | null } & OpenTicketCount>;
}

const HOUR_MS = 3_600_000;

/** Whether a ticket is open: not a drill, and not closed (or reopened since its last close). */
export function isOpenTicket(t: TicketRecord): boolean {
  return !t.drill && effectiveCloseMs(t) === null;
}

/**
 * The open tickets of `scope` as rows, sorted by deadline: overdue first (longest overdue
 * first), then those due within the hour, then the rest, soonest first.
 */
export function openTicketRows(tickets: Iterable<OpenTicketInput>, scope: string, nowMs: number, settings: KpiSettings): OpenTicketRow[] {
  const rows: OpenTicketRow[] = [];
  const matches = scopeMatcher(scope);
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  for (const input of tickets) {
    const t = input.record;
    if (!isOpenTicket(t)) continue;
    const site = t.site ?? input.site;
    const queue = t.queue ?? input.queue;
    if (!matches({ site, queue, channel: t.channel ?? input.channel, team: t.team })) continue;
    const row = (step: TicketStep, deadlineMs: number): OpenTicketRow => ({
      ticketId: t.ticketId,
      tier: t.tier ?? null,
      complaint: t.complaint,
      category: t.category ?? null,
      site: site ?? null,
      queue: queue ?? null,
      step,
      openedAt: iso(t.openedTsMs),
      escalatedAt: step === 'closure' ? null : iso(t.escalatedTsMs),
      deadlineAt: new Date(deadlineMs).toISOString(),
      minutesLeft: Math.floor((deadlineMs - nowMs) / 60_000),
      overdue: nowMs >= deadlineMs,
      dueWithinHour: nowMs < deadlineMs && deadlineMs - nowMs <= HOUR_MS,
    });
    const closure = ticketDeadlineMs(t, settings);
    if (closure !== null) rows.push(row('closure', closure));
    if (t.escalatedTsMs !== undefined) {
      for (const [step, field] of ESCALATION_STEPS) {
        if (t[`${field}TsMs`] !== undefined) continue;
        rows.push(row(step, t.escalatedTsMs + settings.escalationSec[field] * 1000));
      }
    }
  }
  // Deadline order is the order asked for: overdue ones have the earliest deadlines.
  return rows.sort((a, b) => a.deadlineAt.localeCompare(b.deadlineAt) || a.ticketId.localeCompare(b.ticketId) || TICKET_STEPS.indexOf(a.step) - TICKET_STEPS.indexOf(b.step));
}

/** Tickets counted per site and per queue (worst first: most overdue, then most due within the hour, then most open). */
export function openTicketCounts(tickets: Iterable<OpenTicketInput>, scope: string, rows: readonly OpenTicketRow[]): Pick<OpenTickets, 'bySite' | 'byQueue'> {
  const perTicket = new Map<string, { site: string | null; queue: string | null; overdue: boolean; dueWithinHour: boolean }>();
  for (const row of rows) {
    const t = perTicket.get(row.ticketId) ?? { site: row.site, queue: row.queue, overdue: false, dueWithinHour: false };
    t.overdue ||= row.overdue;
    t.dueWithinHour ||= row.dueWithinHour;
    perTicket.set(row.ticketId, t);
  }
  // Open tickets with no deadline yet (no tier, not escalated) still count as open.
  const matches = scopeMatcher(scope);
  for (const { record: t, site, queue, channel } of tickets) {
    if (perTicket.has(t.ticketId) || !isOpenTicket(t)) continue;
    const s = t.site ?? site;
    const q = t.queue ?? queue;
    if (!matches({ site: s, queue: q, channel: t.channel ?? channel, team: t.team })) continue;
    perTicket.set(t.ticketId, { site: s ?? null, queue: q ?? null, overdue: false, dueWithinHour: false });
  }
  const group = <K extends 'site' | 'queue'>(key: K) => {
    const counts = new Map<string | null, OpenTicketCount>();
    for (const t of perTicket.values()) {
      const c = counts.get(t[key]) ?? { open: 0, overdue: 0, dueWithinHour: 0 };
      c.open++;
      if (t.overdue) c.overdue++;
      else if (t.dueWithinHour) c.dueWithinHour++;
      counts.set(t[key], c);
    }
    return [...counts.entries()]
      .map(([name, c]) => ({ [key]: name, ...c }) as { [P in K]: string | null } & OpenTicketCount)
      .sort((a, b) => b.overdue - a.overdue || b.dueWithinHour - a.dueWithinHour || b.open - a.open || String(a[key]).localeCompare(String(b[key])));
  };
  return { bySite: group('site'), byQueue: group('queue') };
}
