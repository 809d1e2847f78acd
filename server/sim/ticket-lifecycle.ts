/**
 * The life of a simulated ticket (manuals 001/002): opened, for complex and special tiers
 * escalated with the notify / acknowledge / feedback clocks, closed (mostly within the tier
 * deadline, some after it), occasionally reopened and closed again. The whole timeline is drawn
 * when the ticket opens, so the model only has to replay it.
 */
import type { TicketTier } from '../../shared/events.ts';
import type { KpiSettings } from '../../shared/kpi.ts';
import type { Rng } from './prng.ts';

const HOUR_MS = 3_600_000;

export type TicketStep =
  | { offsetMs: number; type: 'ticket.escalated'; level: number; to: string }
  | { offsetMs: number; type: 'ticket.customer_notified' | 'ticket.acknowledged' | 'ticket.feedback' | 'ticket.reopened' }
  | { offsetMs: number; type: 'ticket.closed'; confirmed: boolean };

/** Shares of work done within its limit; the rest is late, which the wallboard should show. */
const ON_TIME = {
  escalationStep: 0.93,
  close: { simple: 0.94, complex: 0.9, special: 0.85 } satisfies Record<TicketTier, number>,
};
const REOPEN_RATE = 0.03;
const CONFIRMED_RATE = 0.9;

/** Closure deadline of a ticket in ms from open, as the KPI engine computes it. */
export function ticketDeadlineOffsetMs(tier: TicketTier, complaint: boolean, settings: KpiSettings): number {
  const sec = complaint
    ? Math.max(settings.ticketDeadlineSec.complaint, settings.ticketDeadlineSec[tier])
    : settings.ticketDeadlineSec[tier];
  return sec * 1000;
}

/** A time within `limitMs` (on time) or after it (late), measured from `fromMs`. */
function stepWithin(rng: Rng, fromMs: number, limitMs: number, onTime: boolean): number {
  return onTime ? fromMs + rng.uniform(0.08, 0.95) * limitMs : fromMs + rng.uniform(1.03, 1.8) * limitMs;
}

/** Every step after `ticket.opened`, in time order, as offsets from the open time. */
export function ticketTimeline(rng: Rng, tier: TicketTier, complaint: boolean, settings: KpiSettings): TicketStep[] {
  const steps: TicketStep[] = [];
  const deadlineMs = ticketDeadlineOffsetMs(tier, complaint, settings);
  let closeNotBeforeMs = rng.uniform(0.2, 1.5) * HOUR_MS;

  if (tier !== 'simple') {
    const escMs = (tier === 'special' ? rng.uniform(1, 10) : rng.uniform(2, 30)) * 60_000;
    steps.push(
      tier === 'special'
        ? { offsetMs: escMs, type: 'ticket.escalated', level: 3, to: 'senior_coordination' }
        : { offsetMs: escMs, type: 'ticket.escalated', level: 2, to: 'back_office' },
    );
    const clocks = settings.escalationSec;
    const notified = stepWithin(rng, escMs, clocks.notified * 1000, rng.chance(ON_TIME.escalationStep));
    const acknowledged = stepWithin(rng, escMs, clocks.acknowledged * 1000, rng.chance(ON_TIME.escalationStep));
    const feedback = stepWithin(rng, escMs, clocks.feedback * 1000, rng.chance(ON_TIME.escalationStep));
    steps.push({ offsetMs: notified, type: 'ticket.customer_notified' });
    steps.push({ offsetMs: acknowledged, type: 'ticket.acknowledged' });
    steps.push({ offsetMs: feedback, type: 'ticket.feedback' });
    closeNotBeforeMs = Math.max(notified, acknowledged, feedback) + rng.uniform(0.3, 4) * HOUR_MS;
  }

  let closeMs: number;
  if (rng.chance(ON_TIME.close[tier]) && closeNotBeforeMs < deadlineMs - 60_000) {
    // Most tickets close well before the deadline; a few in its last hours.
    closeMs = closeNotBeforeMs + (deadlineMs - 60_000 - closeNotBeforeMs) * rng.next() ** 1.6;
  } else {
    closeMs = Math.max(closeNotBeforeMs, deadlineMs) + rng.uniform(0.5, 30) * HOUR_MS;
  }
  steps.push({ offsetMs: closeMs, type: 'ticket.closed', confirmed: rng.chance(CONFIRMED_RATE) });

  if (rng.chance(REOPEN_RATE)) {
    const reopenMs = closeMs + rng.uniform(2, 48) * HOUR_MS;
    steps.push({ offsetMs: reopenMs, type: 'ticket.reopened' });
    steps.push({ offsetMs: reopenMs + rng.uniform(1, 30) * HOUR_MS, type: 'ticket.closed', confirmed: true });
  }
  for (const s of steps) s.offsetMs = Math.round(s.offsetMs);
  return steps.sort((a, b) => a.offsetMs - b.offsetMs);
}
