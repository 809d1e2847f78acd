/**
 * Attribution (SPEC §4): how one contact, ticket or agent-state episode turns into counter
 * increments, each stamped with the time it counts at. A record's contributions are a pure
 * function of the record, so a consumer can retract the old contributions and add the new ones
 * whenever a late or out-of-order event changes the record: the result is the same as in order.
 */
import { C, isTopTwoBox, scoreOnFivePointScale, type KpiSettings } from './kpi.ts';
import type { AgentStateName, Channel, TicketTier } from './events.ts';

/** One counter increment at the time it is attributed to. */
export interface Contribution {
  tsMs: number;
  counter: number;
  amount: number;
}

/** What is known about one contact, merged from its events in any order. */
export interface ContactRecord {
  contactId: string;
  queue?: string;
  /** Owning site (of the offer); mutual aid by another site is recorded in `handlingSite`. */
  site?: string;
  handlingSite?: string;
  team?: string;
  agentId?: string;
  channel?: Channel;
  customerRef?: string;
  drill: boolean;
  offeredTsMs?: number;
  answeredTsMs?: number;
  abandonedTsMs?: number;
  flowedOutTsMs?: number;
  flowOutReason?: string;
  /**
   * When the contact was orphaned (left the queue with no outcome known: the PBX restarted). It
   * then counts as offered only; a queue outcome, whenever it comes, wins over it.
   */
  orphanedTsMs?: number;
  transferTsMs: number[];
  endedTsMs?: number;
  talkSec?: number;
  holdSec?: number;
  wrappedTsMs?: number;
  resolvedTsMs?: number;
  firstContact?: boolean;
  /** A later contact by the same customer came within the repeat window (SPEC §4 FCR). */
  repeatedLater: boolean;
  surveyTsMs?: number;
  surveyScore?: number;
  surveyScale?: number;
}

export function newContactRecord(contactId: string): ContactRecord {
  return { contactId, drill: false, transferTsMs: [], repeatedLater: false };
}

export type QueueOutcome = 'answered' | 'abandoned' | 'flowed_out';

/** The contact's queue outcome: the earliest of answered, abandoned and flowed out. */
export function queueOutcome(r: ContactRecord): { outcome: QueueOutcome; tsMs: number } | null {
  let outcome: QueueOutcome | null = null;
  let tsMs = Infinity;
  // Plain comparisons rather than a helper closure: this runs for every contact event.
  if (r.answeredTsMs !== undefined) {
    outcome = 'answered';
    tsMs = r.answeredTsMs;
  }
  if (r.abandonedTsMs !== undefined && r.abandonedTsMs < tsMs) {
    outcome = 'abandoned';
    tsMs = r.abandonedTsMs;
  }
  if (r.flowedOutTsMs !== undefined && r.flowedOutTsMs < tsMs) {
    outcome = 'flowed_out';
    tsMs = r.flowedOutTsMs;
  }
  return outcome === null ? null : { outcome, tsMs };
}

/**
 * Contributions packed as `[tsMs, counter, amount, tsMs, counter, amount, ...]`: the live engine
 * recomputes a record's contributions on every event, and objects would cost it most of its time
 * in allocation and garbage collection.
 */
export type PackedContributions = number[];

function push(out: PackedContributions, tsMs: number, counter: number, amount = 1): void {
  out.push(tsMs, counter, amount);
}

function unpack(packed: PackedContributions): Contribution[] {
  const out: Contribution[] = [];
  for (let i = 0; i < packed.length; i += 3) out.push({ tsMs: packed[i], counter: packed[i + 1], amount: packed[i + 2] });
  return out;
}

/** Wait in seconds from offer to queue outcome, or null when either is unknown. */
export function waitSec(r: ContactRecord): number | null {
  const outcome = queueOutcome(r);
  if (!outcome || r.offeredTsMs === undefined) return null;
  return Math.max(0, (outcome.tsMs - r.offeredTsMs) / 1000);
}

/** Is the contact waiting in queue (offered, not orphaned, no queue outcome yet)? */
export function isWaiting(r: ContactRecord): boolean {
  return !r.drill && r.offeredTsMs !== undefined && r.orphanedTsMs === undefined && queueOutcome(r) === null;
}

function writtenLimitSec(channel: Channel | undefined, settings: KpiSettings): number | null {
  if (channel === 'email' || channel === 'chat' || channel === 'social') return settings.writtenResponseSec[channel];
  return null;
}

/** Handle time of a wrapped contact: talk + hold + wrap-up (wrapped − ended). */
export function handleSec(r: ContactRecord): number {
  const wrapSec = r.endedTsMs !== undefined && r.wrappedTsMs !== undefined
    ? Math.max(0, (r.wrappedTsMs - r.endedTsMs) / 1000)
    : 0;
  return (r.talkSec ?? 0) + (r.holdSec ?? 0) + wrapSec;
}

/**
 * Every counter increment of one contact. Drill contacts contribute nothing (manual 000). An
 * orphaned contact with no queue outcome contributes its offer only (in no rate's denominator).
 */
export function contactContributions(r: ContactRecord, settings: KpiSettings): Contribution[] {
  return unpack(packedContactContributions(r, settings));
}

/** `contactContributions`, packed (see PackedContributions). */
export function packedContactContributions(r: ContactRecord, settings: KpiSettings): PackedContributions {
  if (r.drill) return [];
  const out: PackedContributions = [];

  if (r.offeredTsMs !== undefined) push(out, r.offeredTsMs, C.offered);

  const outcome = queueOutcome(r);
  if (outcome) {
    const wait = waitSec(r);
    const t = outcome.tsMs;
    const limit = writtenLimitSec(r.channel, settings);
    if (limit !== null) push(out, t, C.writtenOutcomes);
    if (outcome.outcome === 'answered') {
      push(out, t, C.answered);
      if (wait !== null) {
        push(out, t, C.answerWaitSec, wait);
        if (wait <= settings.serviceLevelSec) push(out, t, C.answeredInSl);
        if (limit !== null && wait <= limit) push(out, t, C.writtenInTarget);
      }
    } else if (outcome.outcome === 'abandoned') {
      push(out, t, C.abandoned);
      if (wait !== null && wait < settings.shortAbandonSec) push(out, t, C.shortAbandoned);
      if (wait !== null && wait <= settings.serviceLevelSec) push(out, t, C.abandonedInSl);
    } else {
      push(out, t, C.flowedOut);
    }
  }

  for (const t of r.transferTsMs) push(out, t, C.transferred);

  if (r.wrappedTsMs !== undefined) {
    push(out, r.wrappedTsMs, C.handled);
    push(out, r.wrappedTsMs, C.handleSec, handleSec(r));
  }

  if (r.resolvedTsMs !== undefined) {
    push(out, r.resolvedTsMs, C.resolved);
    if (r.firstContact && !r.repeatedLater) push(out, r.resolvedTsMs, C.resolvedFirst);
  }

  if (r.surveyTsMs !== undefined && r.surveyScore !== undefined) {
    const scale = r.surveyScale ?? 5;
    push(out, r.surveyTsMs, C.surveys);
    if (isTopTwoBox(r.surveyScore, scale)) push(out, r.surveyTsMs, C.surveyTopTwo);
    push(out, r.surveyTsMs, C.surveyScore5, scoreOnFivePointScale(r.surveyScore, scale));
  }
  return out;
}

/** What is known about one ticket. */
export interface TicketRecord {
  ticketId: string;
  tier?: TicketTier;
  category?: string;
  complaint: boolean;
  contactId?: string;
  queue?: string;
  site?: string;
  team?: string;
  channel?: Channel;
  drill: boolean;
  openedTsMs?: number;
  /** Close and reopen times; the ticket is closed when its last such event is a close. */
  closedTsMs: number[];
  reopenedTsMs: number[];
  confirmed?: boolean;
  escalatedTsMs?: number;
  notifiedTsMs?: number;
  acknowledgedTsMs?: number;
  feedbackTsMs?: number;
}

export function newTicketRecord(ticketId: string): TicketRecord {
  return { ticketId, complaint: false, drill: false, closedTsMs: [], reopenedTsMs: [] };
}

/** Closure deadline of a ticket: tier deadline from open; complaints use the complaint deadline. */
export function ticketDeadlineMs(t: TicketRecord, settings: KpiSettings): number | null {
  if (t.openedTsMs === undefined || t.tier === undefined) return null;
  const sec = t.complaint
    ? Math.max(settings.ticketDeadlineSec.complaint, settings.ticketDeadlineSec[t.tier])
    : settings.ticketDeadlineSec[t.tier];
  return t.openedTsMs + sec * 1000;
}

/** The close that stands: the latest close not followed by a reopen, or null. */
export function effectiveCloseMs(t: TicketRecord): number | null {
  if (t.closedTsMs.length === 0) return null;
  const lastClose = Math.max(...t.closedTsMs);
  const lastReopen = t.reopenedTsMs.length ? Math.max(...t.reopenedTsMs) : -Infinity;
  return lastReopen > lastClose ? null : lastClose;
}

const ESCALATION_STEPS = ['notified', 'acknowledged', 'feedback'] as const;

/**
 * The times at which a ticket's contributions change by the passing of time alone (its
 * deadlines), so a consumer knows when to recompute.
 */
export function ticketDeadlines(t: TicketRecord, settings: KpiSettings): number[] {
  const out: number[] = [];
  const closure = ticketDeadlineMs(t, settings);
  if (closure !== null) out.push(closure);
  if (t.escalatedTsMs !== undefined) {
    for (const step of ESCALATION_STEPS) out.push(t.escalatedTsMs + settings.escalationSec[step] * 1000);
  }
  return out;
}

/**
 * Every counter increment of one ticket as of `nowMs`: exactly one closure outcome, on time (at
 * the close) or overdue (at the deadline, once it has passed); each escalation step on time (at
 * the step) or missed (at its deadline).
 */
export function ticketContributions(t: TicketRecord, nowMs: number, settings: KpiSettings): Contribution[] {
  return unpack(packedTicketContributions(t, nowMs, settings));
}

/** `ticketContributions`, packed (see PackedContributions). */
export function packedTicketContributions(t: TicketRecord, nowMs: number, settings: KpiSettings): PackedContributions {
  if (t.drill) return [];
  const out: PackedContributions = [];

  if (t.openedTsMs !== undefined) push(out, t.openedTsMs, C.ticketsOpened);
  const closeMs = effectiveCloseMs(t);
  if (closeMs !== null) push(out, closeMs, C.ticketsClosed);
  const deadline = ticketDeadlineMs(t, settings);
  if (deadline !== null) {
    if (closeMs !== null && closeMs <= deadline) push(out, closeMs, C.ticketsOnTime);
    else if (nowMs >= deadline) push(out, deadline, C.ticketsOverdue);
  }

  if (t.escalatedTsMs !== undefined) {
    for (const step of ESCALATION_STEPS) {
      const due = t.escalatedTsMs + settings.escalationSec[step] * 1000;
      const doneMs = t[`${step}TsMs`];
      if (doneMs !== undefined && doneMs <= due) push(out, doneMs, C.escalationStepsOnTime);
      else if (nowMs >= due) push(out, due, C.escalationStepsMissed);
    }
  }
  return out;
}

/**
 * Counter increments of one finished agent-state episode, attributed at its end: ready time,
 * and not-ready episodes longer than the limit (manual 003: 5 min).
 */
export function agentEpisodeContributions(
  state: AgentStateName,
  startMs: number,
  endMs: number,
  settings: KpiSettings,
): Contribution[] {
  const durationSec = Math.max(0, (endMs - startMs) / 1000);
  if (state === 'ready') return [{ tsMs: endMs, counter: C.readySec, amount: durationSec }];
  if (state === 'not_ready' && durationSec > settings.notReadyLimitSec) {
    return [{ tsMs: endMs, counter: C.notReadyLongEpisodes, amount: 1 }];
  }
  return [];
}
