/**
 * Takes stored records back into the live engine before a batch is applied: the contacts and
 * tickets its events refer to that the engine does not hold (evicted, or of a day before the
 * live ones), the earlier contacts of its callers (FCR), and past days' records whose figures
 * reach the live days. The ingest runs it before each commit, a restore before each replayed batch.
 */
import type { CallCentreEvent } from '../../shared/events.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import type { RecordStore } from '../store/record-store.ts';
import type { ContactSnapshot } from '../records/snapshots.ts';
import type { TicketRecord } from '../../shared/attribution.ts';

/** The seed step for the ingest: a no-op without a record store (a log alone holds no records to take back). */
export function storeSeeder(engine: KpiEngine, records: RecordStore | undefined): (events: CallCentreEvent[]) => Promise<void> {
  return async (events) => {
    if (!records) return;
    await seedFromStore(engine, records, events);
  };
}

/** Seeds the engine with stored records that events refer to but it does not hold. */
export async function seedFromStore(engine: KpiEngine, records: RecordStore, events: CallCentreEvent[]): Promise<void> {
  const { contactIds, ticketIds, customerRefs } = engine.unknownRecords(events);
  if (contactIds.length > 0) for (const snapshot of (await records.loadContacts(contactIds, engine.horizonDay)).values()) engine.seedContact(snapshot);
  if (customerRefs.length > 0) for (const snapshot of await records.loadContactsOfCustomers(customerRefs, engine.horizonDay)) engine.seedContact(snapshot);
  if (ticketIds.length > 0) for (const record of (await records.loadTickets(ticketIds)).values()) engine.seedTicket(record);
  // Records of past days' events: the engine takes those whose figures reach the live days.
  const old = engine.historyRecords(events);
  if (old.contactIds.length > 0 || old.ticketIds.length > 0) {
    const storedContacts = old.contactIds.length > 0 ? await records.loadContacts(old.contactIds) : new Map<string, ContactSnapshot>();
    const storedTickets = old.ticketIds.length > 0 ? await records.loadTickets(old.ticketIds) : new Map<string, TicketRecord>();
    const placement = engine.adoptReaching(events, storedContacts, storedTickets, old);
    if (placement.length > 0) for (const snapshot of (await records.loadContacts(placement)).values()) engine.seedContact(snapshot);
  }
  // A late offer the engine takes: a later call of its customer, stored, makes it a repeat (FCR).
  const lateOffers = events.flatMap((e) => (e.type === 'contact.offered' && e.ts < engine.horizonMs && e.customerRef !== undefined && !e.drill && engine.holdsContact(e.contactId) ? [{ contactId: e.contactId, customerRef: e.customerRef, offeredTsMs: e.ts }] : []));
  if (lateOffers.length > 0) engine.markRepeated([...(await records.repeatedLater(lateOffers))]);
}
