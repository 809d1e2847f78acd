/**
 * How events merge into contact and ticket records (SPEC §3): in any order, with repeats, the
 * record comes out the same. Queue outcomes (and an orphaning) keep the earliest time; wrap-up,
 * resolution and survey keep the latest (ties broken by event id); the offer's queue, site and
 * channel win over those repeated on later events, and a different site on a later event is the
 * handling site (mutual aid, manual 003). Used by the live engine and by the store for older days.
 */
import type { CallCentreEvent, EventOf } from './events.ts';
import { newContactRecord, newTicketRecord, type ContactRecord, type TicketRecord } from './attribution.ts';

/** A contact record plus what merging needs to stay order-independent. JSON-serialisable. */
export interface ContactFold {
  record: ContactRecord;
  /** Team given explicitly by one of the contact's events (else derived from the agent). */
  explicitTeam?: string;
  /** Whether queue, site and channel came from the offer (which wins over other events). */
  fromOffer: boolean;
  /** `ts|id` of the event each latest-wins field came from. */
  endedKey?: string;
  wrappedKey?: string;
  resolvedKey?: string;
  surveyKey?: string;
}

export type ContactEvent = Exclude<CallCentreEvent, EventOf<'agent.state'> | { type: `ticket.${string}` }>;
export type TicketEvent = Extract<CallCentreEvent, { ticketId: string }>;

export function newContactFold(contactId: string): ContactFold {
  return { record: newContactRecord(contactId), fromOffer: false };
}

export function isContactEvent(event: CallCentreEvent): event is ContactEvent {
  return event.type.startsWith('contact.') || event.type === 'survey.response';
}

export function isTicketEvent(event: CallCentreEvent): event is TicketEvent {
  return event.type.startsWith('ticket.');
}

/** Merges one contact event into its fold. */
export function foldContactEvent(fold: ContactFold, event: ContactEvent): void {
  const r = fold.record;
  if (event.drill) r.drill = true;
  if (event.team !== undefined) fold.explicitTeam = event.team;

  if (event.type === 'contact.offered') {
    if (r.offeredTsMs === undefined || event.ts < r.offeredTsMs) {
      const hintedSite = fold.fromOffer ? undefined : r.site;
      r.offeredTsMs = event.ts;
      r.queue = event.queue;
      r.channel = event.channel;
      r.site = event.site;
      if (hintedSite !== undefined && hintedSite !== event.site) r.handlingSite = hintedSite;
      if (event.customerRef !== undefined) r.customerRef = event.customerRef;
      fold.fromOffer = true;
    }
  } else {
    foldHints(fold, event);
  }

  switch (event.type) {
    case 'contact.answered':
      if (r.answeredTsMs === undefined || event.ts < r.answeredTsMs) {
        r.answeredTsMs = event.ts;
        r.agentId = event.agentId;
      }
      break;
    case 'contact.abandoned':
      if (r.abandonedTsMs === undefined || event.ts < r.abandonedTsMs) r.abandonedTsMs = event.ts;
      break;
    case 'contact.flowed_out':
      if (r.flowedOutTsMs === undefined || event.ts < r.flowedOutTsMs) {
        r.flowedOutTsMs = event.ts;
        r.flowOutReason = event.reason;
      }
      break;
    case 'contact.orphaned':
      // Earliest, like a queue outcome; any outcome wins over it (see isWaiting, queueOutcome).
      if (r.orphanedTsMs === undefined || event.ts < r.orphanedTsMs) r.orphanedTsMs = event.ts;
      break;
    case 'contact.transferred':
      // Keyed by time so that merging an event twice (replay over a stored record) changes nothing.
      if (!r.transferTsMs.includes(event.ts)) r.transferTsMs.push(event.ts);
      break;
    case 'contact.ended':
      if (isLatest(fold, 'endedKey', event)) {
        r.endedTsMs = event.ts;
        r.talkSec = event.talkSec;
        r.holdSec = event.holdSec;
      }
      break;
    case 'contact.wrapped':
      if (isLatest(fold, 'wrappedKey', event)) {
        r.wrappedTsMs = event.ts;
      }
      r.agentId ??= event.agentId;
      break;
    case 'contact.resolved':
      if (isLatest(fold, 'resolvedKey', event)) {
        r.resolvedTsMs = event.ts;
        r.firstContact = event.firstContact;
      }
      break;
    case 'survey.response':
      if (isLatest(fold, 'surveyKey', event)) {
        r.surveyTsMs = event.ts;
        r.surveyScore = event.score;
        r.surveyScale = event.scale;
      }
      break;
  }
}

/** Queue, site and channel on later events apply when the offer has not been seen. */
/**
 * Is the event the latest seen for this field (ordered by `ts|id`)? Remembers it when it is. The
 * order string is built here, for the events that have one, not for every contact event.
 */
function isLatest(fold: ContactFold, key: 'endedKey' | 'wrappedKey' | 'resolvedKey' | 'surveyKey', event: { ts: number; id: string }): boolean {
  // Joined, not a template: a template makes a cons string that keeps its parts (the ts as a
  // string and the event id) alive with the held contact, about 60 bytes more per key (issue 15).
  const order = [event.ts, event.id].join('|');
  const seen = fold[key];
  if (seen !== undefined && order <= seen) return false;
  fold[key] = order;
  return true;
}

function foldHints(fold: ContactFold, event: { site?: string; queue?: string; channel?: ContactRecord['channel'] }): void {
  const r = fold.record;
  if (!fold.fromOffer) {
    r.queue ??= event.queue;
    r.channel ??= event.channel;
    r.site ??= event.site;
  } else if (event.site !== undefined && event.site !== r.site) {
    r.handlingSite = event.site;
  }
}


/** Merges one ticket event into its record. */
export function foldTicketEvent(t: TicketRecord, event: TicketEvent): void {
  if (event.drill) t.drill = true;
  t.queue ??= event.queue;
  t.site ??= event.site;
  t.team ??= event.team;
  t.channel ??= event.channel;
  switch (event.type) {
    case 'ticket.opened':
      if (t.openedTsMs === undefined || event.ts < t.openedTsMs) t.openedTsMs = event.ts;
      t.tier = event.tier;
      t.category = event.category;
      t.complaint = event.complaint ?? false;
      t.contactId = event.contactId;
      break;
    case 'ticket.escalated':
      if (t.escalatedTsMs === undefined || event.ts < t.escalatedTsMs) t.escalatedTsMs = event.ts;
      break;
    case 'ticket.customer_notified':
      if (t.notifiedTsMs === undefined || event.ts < t.notifiedTsMs) t.notifiedTsMs = event.ts;
      break;
    case 'ticket.acknowledged':
      if (t.acknowledgedTsMs === undefined || event.ts < t.acknowledgedTsMs) t.acknowledgedTsMs = event.ts;
      break;
    case 'ticket.feedback':
      if (t.feedbackTsMs === undefined || event.ts < t.feedbackTsMs) t.feedbackTsMs = event.ts;
      break;
    case 'ticket.closed':
      if (!t.closedTsMs.includes(event.ts)) t.closedTsMs.push(event.ts);
      t.confirmed = event.confirmed;
      break;
    case 'ticket.reopened':
      if (!t.reopenedTsMs.includes(event.ts)) t.reopenedTsMs.push(event.ts);
      break;
  }
}

export { newTicketRecord };
