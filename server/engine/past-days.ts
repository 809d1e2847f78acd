/**
 * Events of days before the live ones (before yesterday). One for a record the engine holds is
 * folded in; one for a record it does not hold becomes history, which server/live/record-sync.ts
 * merges into the stored record. A record whose figures reach the live days (a ticket opened the
 * day before yesterday and closed yesterday) is taken over instead (adoptReaching).
 */
import { packedContactContributions, packedTicketContributions, ticketDeadlines, type PackedContributions, type TicketRecord } from '../../shared/attribution.ts';
import type { CallCentreEvent } from '../../shared/events.ts';
import { foldContactEvent, foldTicketEvent, isContactEvent, isTicketEvent, newContactFold, newTicketRecord, type ContactEvent, type TicketEvent } from '../../shared/contact-fold.ts';
import type { ContactSnapshot } from '../records/snapshots.ts';
import { EMPTY_APPLIED, newContactEntry } from './engine-state.ts';
import { Residency } from './residency.ts';

/** The engine's handling of past days' events (see the header). */
export abstract class PastDays extends Residency {
  private historyQueue: CallCentreEvent[] = [];
  private keepsHistory = false;

  /** Keeps an event of a record the engine does not hold for the store (see `takeHistory`). */
  protected override noteHistory(key: string, event: CallCentreEvent): void {
    if (!this.keepsHistory) return;
    this.historyQueue.push(event);
    let events = this.pendingHistory.get(key);
    if (!events) this.pendingHistory.set(key, (events = []));
    events.push(event);
  }

  /** Keeps the events `takeHistory` gives from now on (a store merges them; without one they only go to the log). */
  keepHistory(): void {
    this.keepsHistory = true;
  }

  /** Events of days before the live ones for records the engine does not hold, to merge into the store. */
  takeHistory(): CallCentreEvent[] {
    const events = this.historyQueue;
    this.historyQueue = [];
    return events;
  }

  /** History events a merge could not write: given again by the next `takeHistory`. */
  retryHistory(events: readonly CallCentreEvent[]): void {
    this.historyQueue.unshift(...events);
  }

  /** The store holds these history events now (merged, or in a record the engine took over). */
  historyStored(events: readonly CallCentreEvent[]): void {
    for (const event of events) {
      const key = isTicketEvent(event) ? `ticket:${event.ticketId}` : isContactEvent(event) ? event.contactId : null;
      if (key === null) continue;
      const pending = this.pendingHistory.get(key);
      if (!pending) continue;
      const i = pending.indexOf(event);
      if (i >= 0) pending.splice(i, 1);
      if (pending.length === 0) this.pendingHistory.delete(key);
    }
  }

  /**
   * Records that events of days before the live ones refer to, and that the engine does not hold:
   * the caller loads them from the store and hands them to `adoptReaching`.
   */
  historyRecords(events: readonly CallCentreEvent[]): { contactIds: string[]; ticketIds: string[] } {
    const contactIds = new Set<string>();
    const ticketIds = new Set<string>();
    for (const event of events) {
      if (event.ts >= this.horizonMs) continue;
      if (isTicketEvent(event)) {
        if (!this.tickets.has(event.ticketId)) ticketIds.add(event.ticketId);
      } else if (isContactEvent(event)) {
        if (!this.contacts.has(event.contactId)) contactIds.add(event.contactId);
      }
    }
    return { contactIds: [...contactIds], ticketIds: [...ticketIds] };
  }

  /**
   * Takes over the records of `historyRecords` whose contributions reach the live days, as
   * stored or once this batch's events are folded in (a ticket opened the day before yesterday
   * and closed yesterday, or going overdue today; a contact whose ticket the engine holds): their
   * old events are then folded here and their figures counted, where history would leave the live
   * counters without them and the engine's own write of the record without the old event. The
   * rest stays history. Returns the contacts of taken tickets not held (to seed, for placement).
   */
  adoptReaching(events: readonly CallCentreEvent[], contacts: ReadonlyMap<string, ContactSnapshot>, tickets: ReadonlyMap<string, TicketRecord>, ids: { contactIds: string[]; ticketIds: string[] }): string[] {
    const horizon = this.horizonMs;
    const reaches = (packed: PackedContributions) => {
      for (let i = 0; i < packed.length; i += 3) if (packed[i] >= horizon) return true;
      return false;
    };
    const byTicket = new Map<string, TicketEvent[]>();
    const byContact = new Map<string, ContactEvent[]>();
    for (const event of events) {
      if (isTicketEvent(event)) {
        const list = byTicket.get(event.ticketId);
        if (list) list.push(event);
        else byTicket.set(event.ticketId, [event]);
      } else if (isContactEvent(event)) {
        const list = byContact.get(event.contactId);
        if (list) list.push(event);
        else byContact.set(event.contactId, [event]);
      }
    }
    const contactsToSeed = new Set<string>();
    for (const id of ids.ticketIds) {
      if (this.tickets.has(id)) continue;
      const stored = tickets.get(id);
      const merged = structuredClone(stored ?? newTicketRecord(id));
      for (const event of byTicket.get(id) ?? []) foldTicketEvent(merged, event);
      // Every deadline passed: whatever it may still count (overdue, a missed step) counts then.
      const reach = (stored !== undefined && reaches(packedTicketContributions(stored, Infinity, this.settings))) || reaches(packedTicketContributions(merged, Infinity, this.settings));
      if (!reach) continue;
      if (stored) this.seedTicket(stored);
      else {
        this.tickets.set(id, { record: newTicketRecord(id), applied: EMPTY_APPLIED });
        this.foldPendingHistory(`ticket:${id}`);
      }
      const contactId = merged.contactId;
      if (contactId !== undefined) {
        let idsOfContact = this.ticketsByContact.get(contactId);
        if (!idsOfContact) this.ticketsByContact.set(contactId, (idsOfContact = new Set()));
        idsOfContact.add(id);
        if (!this.contacts.has(contactId)) contactsToSeed.add(contactId);
      }
    }
    // Contacts a held ticket's opening in this batch names (not yet in ticketsByContact).
    const placing = new Set<string>();
    for (const event of events) if (event.type === 'ticket.opened' && event.contactId !== undefined && this.tickets.has(event.ticketId)) placing.add(event.contactId);
    for (const id of ids.contactIds) {
      if (this.contacts.has(id)) continue;
      const stored = contacts.get(id);
      const merged = structuredClone(stored?.fold ?? newContactFold(id));
      for (const event of byContact.get(id) ?? []) foldContactEvent(merged, event);
      // A held ticket takes its queue, site and channel from its contact: the contact's offer must reach it.
      const reach = (stored !== undefined && reaches(packedContactContributions(stored.fold.record, this.settings)))
        || reaches(packedContactContributions(merged.record, this.settings))
        || (this.ticketsByContact.get(id)?.size ?? 0) > 0
        || placing.has(id);
      if (!reach) continue;
      contactsToSeed.delete(id);
      if (stored) this.seedContact(stored);
      else {
        this.contacts.set(id, newContactEntry(newContactFold(id), this.clock.now()));
        this.foldPendingHistory(id);
      }
    }
    return [...contactsToSeed];
  }

  /**
   * Folds into a record just taken into memory the events of past days noted for it and not yet
   * in the store (merged by RecordSync a moment later): the engine's later write must keep them.
   */
  protected override foldPendingHistory(key: string): void {
    const pending = this.pendingHistory.get(key);
    if (!pending) return;
    this.pendingHistory.delete(key);
    if (key.startsWith('ticket:')) {
      const entry = this.tickets.get(key.slice('ticket:'.length));
      if (!entry) return;
      for (const event of pending) foldTicketEvent(entry.record, event as TicketEvent);
      const nowMs = this.clock.now();
      for (const deadline of ticketDeadlines(entry.record, this.settings)) if (deadline > nowMs) this.deadlines.push(deadline, entry.record.ticketId);
      this.reapplyTicket(entry, nowMs);
    } else {
      const entry = this.contacts.get(key);
      if (!entry) return;
      this.beforeContactChange(entry);
      for (const event of pending) foldContactEvent(entry, event as ContactEvent);
      this.touchContact(entry);
    }
  }
}
