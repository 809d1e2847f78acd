/**
 * What stays in memory: the contacts and tickets in play, not the whole day. Settled contacts
 * leave for the store once written (evictSettled, letGo) and leave two hash keys behind in Bloom
 * filters; an event for one takes it back from the store (unknownRecords → seedContact), counted
 * as it was. A batch pins what it names from its seed to its commit. At start the live state is
 * rebuilt from stored records (countStored*, restoreStored*); at midnight past records go.
 */
import { packedContactContributions, packedTicketContributions, isWaiting, ticketDeadlines, type TicketRecord } from '../../shared/attribution.ts';
import type { CallCentreEvent } from '../../shared/events.ts';
import { isContactEvent, isTicketEvent } from '../../shared/contact-fold.ts';
import { scopesOf } from '../../shared/scope.ts';
import { BloomFilter, bloomKey } from '../lib/bloom.ts';
import type { ContactSnapshot } from '../records/snapshots.ts';
import { EMPTY_APPLIED, newContactEntry, NO_SCOPES, type ContactEntry, type TicketEntry } from './engine-state.ts';
import { EventFolding } from './event-folding.ts';

/** The engine's residency (see the header): what it holds, and taking records back from the store. */
export abstract class Residency extends EventFolding {
  /**
   * Contacts that left memory for the store (evicted, or stored before a restore), per day they
   * left: an event for one must take it back, where a contact never held starts afresh.
   */
  private readonly leftMemory = new Map<string, BloomFilter>();

  /**
   * Batches in flight between their seed and their commit (see `pin`), each with how many times
   * it is pinned. Their keys are worked out only when something is evicted, every few seconds,
   * not twice per batch (issue 15).
   */
  private readonly pinnedBatches = new Map<readonly CallCentreEvent[], number>();

  /**
   * Contacts and tickets that events of this batch refer to without the live state holding
   * them (their offer or opening was before yesterday): the caller seeds them from the store.
   */
  unknownRecords(events: CallCentreEvent[]): { contactIds: string[]; ticketIds: string[]; customerRefs: string[] } {
    const contactIds = new Set<string>();
    const ticketIds = new Set<string>();
    const customerRefs = new Set<string>();
    // Contacts offered (tickets opened) in this same batch start here, not in the store.
    const startedHere = new Set<string>();
    for (const event of events) {
      if (event.type === 'contact.offered') startedHere.add(event.contactId);
      else if (event.type === 'ticket.opened') startedHere.add(`ticket:${event.ticketId}`);
    }
    for (const event of events) {
      if (event.ts < this.horizonMs) {
        // A held ticket's opening of a past day names its contact: that places it (see historyRecords for the rest).
        if (event.type === 'ticket.opened' && event.contactId !== undefined && this.tickets.has(event.ticketId) && !this.contacts.has(event.contactId)) contactIds.add(event.contactId);
        continue;
      }
      if (isContactEvent(event)) {
        const id = event.contactId;
        if (!this.contacts.has(id) && (!startedHere.has(id) || this.mayHaveLeft(id))) contactIds.add(id);
        // A new contact of a known customer may make an earlier one (not in memory) a repeat.
        if (event.type === 'contact.offered' && event.customerRef !== undefined) {
          if (this.mayHaveCustomerLeft(event.customerRef)) customerRefs.add(event.customerRef);
        }
      } else if (isTicketEvent(event)) {
        const key = `ticket:${event.ticketId}`;
        if (!this.tickets.has(event.ticketId) && (!startedHere.has(key) || this.mayHaveLeft(key))) ticketIds.add(event.ticketId);
        // A ticket takes queue, site and channel from its contact: that must be in memory.
        const contactId = event.type === 'ticket.opened' ? event.contactId : undefined;
        if (contactId !== undefined && !this.contacts.has(contactId) && (!startedHere.has(contactId) || this.mayHaveLeft(contactId))) contactIds.add(contactId);
      }
    }
    return { contactIds: [...contactIds], ticketIds: [...ticketIds], customerRefs: [...customerRefs] };
  }

  /** Whether the engine holds this contact (an event for it is folded here, not merged into the store). */
  holdsContact(contactId: string): boolean {
    return this.contacts.has(contactId);
  }

  /** Whether the engine holds this ticket (its record there is newer than the store's). */
  holdsTicket(ticketId: string): boolean {
    return this.tickets.has(ticketId);
  }

  /**
   * Takes a contact back into memory from its stored state. When the live state already counts
   * it (see `storedAreApplied`) its contributions are taken as applied and nothing is counted;
   * otherwise what falls in the live days is counted now.
   */
  seedContact(snapshot: ContactSnapshot): void {
    const id = snapshot.fold.record.contactId;
    if (this.contacts.has(id)) return;
    const entry = newContactEntry(snapshot.fold, this.clock.now());
    // The team it was counted for stays its team: the agent states it came from may be gone.
    if (snapshot.team !== undefined && entry.explicitTeam === undefined) entry.explicitTeam = snapshot.team;
    this.contacts.set(id, entry);
    const r = entry.record;
    if (r.customerRef !== undefined) this.rememberCustomer(this.indexCustomer(r.customerRef, r), r);
    if (!this.storedAreApplied) {
      this.reapplyContact(entry);
      this.foldPendingHistory(id);
      return;
    }
    if (r.agentId !== undefined) this.agentEntry(r.agentId).contactIds.add(id);
    const team = entry.explicitTeam;
    entry.team = team;
    const set = (entry.scopedBy = this.scopeSetOf(r.site, r.queue, team, r.agentId, r.channel));
    const scopes = set.scopes;
    entry.applied = { scopes, states: set.states, set, contributions: packedContactContributions(r, this.settings), waitingScopes: isWaiting(r) ? scopes : NO_SCOPES };
    // Who waits is live state, not counters: it is rebuilt, not restored.
    this.setWaiting(entry.applied, id, r.offeredTsMs);
    this.foldPendingHistory(id);
  }

  /** Like `seedContact`; `appliedAtMs`: the time its applied contributions were computed at (deadlines passed since count now). */
  seedTicket(record: TicketRecord, appliedAtMs?: number): void {
    if (this.tickets.has(record.ticketId)) return;
    const entry: TicketEntry = { record, applied: EMPTY_APPLIED };
    this.tickets.set(record.ticketId, entry);
    const nowMs = this.clock.now();
    if (record.contactId !== undefined) {
      let ids = this.ticketsByContact.get(record.contactId);
      if (!ids) this.ticketsByContact.set(record.contactId, (ids = new Set()));
      ids.add(record.ticketId);
    }
    for (const deadline of ticketDeadlines(record, this.settings)) if (deadline > nowMs) this.deadlines.push(deadline, record.ticketId);
    if (this.storedAreApplied) {
      const contact = record.contactId !== undefined ? this.contacts.get(record.contactId)?.record : undefined;
      const scopes = scopesOf({ queue: record.queue ?? contact?.queue, site: record.site ?? contact?.site, channel: record.channel ?? contact?.channel, team: record.team });
      entry.applied = { scopes, contributions: packedTicketContributions(record, appliedAtMs ?? nowMs, this.settings), waitingScopes: [] };
      // Unchanged since (no deadline passed): nothing to count or rewrite.
      const now = packedTicketContributions(record, nowMs, this.settings);
      if (now.length === entry.applied.contributions.length && now.every((v, i) => v === entry.applied.contributions[i])) {
        this.foldPendingHistory(`ticket:${record.ticketId}`);
        return;
      }
    }
    this.reapplyTicket(entry, nowMs);
    this.foldPendingHistory(`ticket:${record.ticketId}`);
  }

  /**
   * Counts a stored contact into the live state and lets it go again unless it is still waiting
   * (rebuilding the live state from records, where there is no checkpoint yet).
   */
  countStoredContact(snapshot: ContactSnapshot): void {
    const id = snapshot.fold.record.contactId;
    if (this.storedAreApplied || this.contacts.has(id)) return;
    this.seedContact(snapshot);
    const entry = this.contacts.get(id)!;
    // Its record is stored as it is.
    this.changedContacts.delete(id);
    if (entry.applied.waitingScopes.length > 0) return;
    this.letGo(id, entry);
  }

  /** Like `countStoredContact`; open tickets stay (their deadlines must fire). */
  countStoredTicket(record: TicketRecord): void {
    if (this.storedAreApplied || this.tickets.has(record.ticketId)) return;
    this.seedTicket(record);
    this.changedTickets.delete(record.ticketId);
    if (record.closedTsMs.length === 0 || record.reopenedTsMs.length > 0) return;
    this.tickets.delete(record.ticketId);
    if (record.contactId !== undefined) this.ticketsByContact.get(record.contactId)?.delete(record.ticketId);
    this.noteLeft(`ticket:${record.ticketId}`);
  }

  /** From now on stored records count as applied (after a restore from a checkpoint, or a full replay). */
  markStoredApplied(): void {
    this.storedAreApplied = true;
  }

  /**
   * Forgets contacts that are settled (not waiting), written to the store as they are, and
   * unchanged for `idleMs`: the store has them, and an event for one takes it back as applied.
   * Keeps memory to the contacts in play rather than the whole day. While more than `maxHeld`
   * contacts are held, settled and written ones go even before they are idle, oldest first
   * (issue 15: memory stays bounded at any rate; an idle limit alone lets it grow with the rate).
   * Returns how many went.
   */
  evictSettled(nowMs: number, idleMs: number, maxHeld = Infinity): number {
    // With no slice limit the pass never yields: its first step is the whole pass.
    return this.evictSettledSteps(nowMs, idleMs, maxHeld, Infinity).next().value as number;
  }

  /**
   * `evictSettled` as steps: the pass yields after every `slice` contacts it looks at, so the
   * caller can let the event loop run between them (at 20,000 events/s a pass after a write
   * evicts 25,000–75,000 contacts: 85–295 ms in one task); what batches pinned meanwhile and how
   * many are held are read again after each yield. Returns how many went.
   */
  *evictSettledSteps(nowMs: number, idleMs: number, maxHeld: number, slice: number): Generator<void, number> {
    let evicted = 0;
    if (!this.storedAreApplied) return 0;
    const pinnedNow = () => (this.pinnedBatches.size > 0 ? pinKeys(this.pinnedBatches.keys()) : null);
    let pinned = pinnedNow();
    // Map order is first-touch order: the oldest contacts come first.
    let over = this.contacts.size - maxHeld;
    let looked = 0;
    for (const [id, entry] of this.contacts) {
      if (++looked === slice) {
        looked = 0;
        yield;
        pinned = pinnedNow();
        over = this.contacts.size - maxHeld;
        // Let go of, or changed, while the pass waited.
        if (this.contacts.get(id) !== entry) continue;
      }
      if (over <= 0 && nowMs - entry.touchedMs < idleMs) {
        // Every contact after this one came into memory later, so was touched less than idleMs
        // ago too: the pass ends here rather than walking all held contacts (100,000 at 20,000
        // events/s: 60–130 ms a pass, every second).
        if (nowMs - entry.heldSinceMs < idleMs) break;
        continue;
      }
      if (entry.applied.waitingScopes.length > 0 || this.changedContacts.has(id)) continue;
      // A batch between its seed and its commit counts on finding these here (see `pin`).
      if (pinned !== null && (pinned.has(`c:${id}`) || (entry.record.customerRef !== undefined && pinned.has(`r:${entry.record.customerRef}`)))) continue;
      this.letGo(id, entry);
      evicted++;
      over--;
    }
    return evicted;
  }

  /**
   * Keeps the contacts these events name, and the contacts of the customers they name, in
   * memory until `unpin`: the ingest pins a batch from before its seed (which loads only what
   * the engine does not hold) until its commit is applied, so a record write finishing meanwhile
   * cannot let go of a contact the batch found here and then applies to as if it were new.
   */
  pin(events: readonly CallCentreEvent[]): void {
    this.pinnedBatches.set(events, (this.pinnedBatches.get(events) ?? 0) + 1);
  }

  /** Undoes one `pin` of the same array of events. */
  unpin(events: readonly CallCentreEvent[]): void {
    const left = (this.pinnedBatches.get(events) ?? 0) - 1;
    if (left > 0) this.pinnedBatches.set(events, left);
    else this.pinnedBatches.delete(events);
  }

  /** Forgets a contact held in memory (its record is stored as it is). */
  private letGo(id: string, entry: ContactEntry): void {
    this.contacts.delete(id);
    const r = entry.record;
    this.noteContactLeft(bloomKey(id), r.customerRef !== undefined ? bloomKey(r.customerRef) : null);
    if (r.customerRef !== undefined) this.unindexCustomer(r.customerRef, id);
    if (r.agentId !== undefined) this.agents.get(r.agentId)?.contactIds.delete(id);
  }

  /** The contact's customer and id go to the memory of what left (see `leftMemory`). */
  private noteContactLeft(contactKey: number, customerKey: number | null): void {
    this.filterOfToday(this.leftMemory).addKey(contactKey);
    if (customerKey !== null) this.noteCustomerLeft(customerKey);
  }

  private noteLeft(id: string): void {
    this.filterOfToday(this.leftMemory).addKey(bloomKey(id));
  }

  private mayHaveLeft(contactId: string): boolean {
    for (const filter of this.leftMemory.values()) if (filter.mightHave(contactId)) return true;
    return false;
  }

  /** Remembers a ticket of the live days that is in the store (at start): that it exists. */
  restoreStoredTicket(ticketId: string): void {
    this.noteLeft(`ticket:${ticketId}`);
  }

  /** Remembers a contact of the live days that is in the store (at start): its customer, and that it exists. */
  restoreStoredContact(contactKey: number, customerKey: number | null): void {
    this.noteContactLeft(contactKey, customerKey);
  }

  /** At local midnight: forgets contacts and agent episodes that no longer touch today or yesterday. */
  protected override pruneRecords(): void {
    const horizon = this.yesterday.startMs;
    for (const [id, entry] of this.contacts) {
      const r = entry.record;
      const lastMs = Math.max(r.offeredTsMs ?? 0, r.answeredTsMs ?? 0, r.wrappedTsMs ?? 0, r.resolvedTsMs ?? 0, r.surveyTsMs ?? 0);
      // Kept while waiting in queue, or until its last change is written to the store.
      if (lastMs >= horizon || entry.applied.waitingScopes.length > 0 || this.changedContacts.has(id)) continue;
      this.contacts.delete(id);
      if (r.customerRef !== undefined) this.unindexCustomer(r.customerRef, id);
      if (r.agentId !== undefined) this.agents.get(r.agentId)?.contactIds.delete(id);
    }
    for (const day of this.customersLeft.keys()) if (day !== this.today.day && day !== this.yesterday.day) this.customersLeft.delete(day);
    for (const day of this.leftMemory.keys()) if (day !== this.today.day && day !== this.yesterday.day) this.leftMemory.delete(day);
    for (const agent of this.agents.values()) {
      const keepFrom = agent.episodes.findIndex((e) => e.tsMs >= horizon);
      const cut = keepFrom === -1 ? agent.episodes.length - 1 : Math.max(0, keepFrom - 1);
      if (cut > 0) agent.episodes.splice(0, cut);
    }
    for (const [id, entry] of this.tickets) {
      const t = entry.record;
      const closed = t.closedTsMs.length > 0 && t.reopenedTsMs.length === 0;
      if (closed && Math.max(...t.closedTsMs) < horizon && !this.changedTickets.has(id)) {
        this.tickets.delete(id);
        if (t.contactId !== undefined) this.ticketsByContact.get(t.contactId)?.delete(id);
      }
    }
  }
}

/** What the pinned batches name (`c:<contactId>`, `r:<customerRef>`), each once. */
function pinKeys(batches: Iterable<readonly CallCentreEvent[]>): Set<string> {
  const keys = new Set<string>();
  for (const events of batches) {
    for (const event of events) {
      if ('contactId' in event && event.contactId !== undefined) keys.add(`c:${event.contactId}`);
      if ('customerRef' in event && event.customerRef !== undefined) keys.add(`r:${event.customerRef}`);
    }
  }
  return keys;
}
