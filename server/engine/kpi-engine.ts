/**
 * The incremental KPI engine: folds events into per-contact, per-ticket and per-agent records
 * and keeps every scope's counters current. Each record remembers the contributions it last
 * applied; when an event changes a record, those are retracted and the new ones added, so late,
 * out-of-order and repeated events give exactly the figures of a clean ordered stream.
 */
import {
  agentEpisodeContributions,
  packedContactContributions,
  packedTicketContributions,
  type PackedContributions,
  isWaiting,
  ticketDeadlines,
  type ContactRecord,
  type TicketRecord,
} from '../../shared/attribution.ts';
import type { AgentStateName, CallCentreEvent, EventOf } from '../../shared/events.ts';
import { foldContactEvent, foldTicketEvent, isContactEvent, isTicketEvent, newContactFold, newTicketRecord, type ContactEvent, type ContactFold, type TicketEvent } from '../../shared/contact-fold.ts';
import { computeKpis, newCounters, type Counters, type Kpis, type KpiSettings, type LiveState } from '../../shared/kpi.ts';
import { scopesOf, scopeDimension, siteQueueKey, siteQueuePrefix, type ScopeDimension, type ScopeKey } from '../../shared/scope.ts';
import { dayBounds, INTERVAL_MS, intervalStart, minuteStart, MINUTE_MS, ROLLING_MINUTES, rollingWindowStart, type KpiWindow } from '../../shared/time.ts';
import { MinHeap } from './min-heap.ts';
import type { AgentHistory } from '../../shared/intervals.ts';
import { isOpenTicket } from '../../shared/open-tickets.ts';
import { BloomFilter, bloomKey } from './bloom.ts';
import type { ContactSnapshot, TicketSnapshot } from '../store/record-store.ts';
import { MINUTE_SLOTS, ScopeState, type CounterBucket } from './scope-state.ts';

/** What a record last applied: to which scopes, which contributions, and where it waited. */
interface Applied {
  scopes: ScopeKey[];
  /** The states of `scopes`, looked up once per scope set rather than per increment. */
  states?: ScopeState[];
  contributions: PackedContributions;
  waitingScopes: ScopeKey[];
}

interface ContactEntry extends ContactFold {
  applied: Applied;
  /** The scope inputs `applied.scopes` was built from. */
  scopedBy?: ScopeInputs;
  /** The team the contact counted for when last applied (explicit or from its agent). */
  team?: string;
  /** Server time of the last change: settled contacts idle this long may be evicted. */
  touchedMs: number;
}

/** A changed counter bucket of one scope, for the checkpoint. */
export interface ScopeBucket extends CounterBucket {
  scope: ScopeKey;
}

interface TicketEntry {
  record: TicketRecord;
  applied: Applied;
  /** Queue, site and channel of its contact when last seen (the contact may leave memory). */
  fromContact?: { queue?: string; site?: string; channel?: string };
}

interface Episode {
  key: string; // `${tsMs}|${eventId}`: total order, ties broken by event id
  tsMs: number;
  state: AgentStateName;
  team?: string;
  site?: string;
  queues: string[];
}

interface AgentEntry {
  agentId: string;
  episodes: Episode[]; // sorted by key
  contactIds: Set<string>;
  liveScopes: ScopeKey[];
  liveState?: { state: AgentStateName; sinceMs: number };
}

export interface KpiEngineOptions {
  settings: KpiSettings;
  /** IANA time zone of the centre: "today" starts at its local midnight. */
  timeZone: string;
  clock: { now(): number };
  /** A contact still "waiting" after this long is taken as a lost event (default 12 h). */
  maxWaitSec?: number;
  /** Contacts a day the memory of evicted contacts is sized for (default 2 M; more only raise false lookups). */
  contactsPerDay?: number;
  /** Called as each local day starts (and at construction), before anything of it is counted: the app sets that day's T and S (issue 11). */
  onDayStart?: (day: string) => void;
}

export interface ScopeSnapshot {
  scope: string;
  window: KpiWindow;
  asOf: number;
  kpis: Kpis;
  live: LiveState;
}

/** The fields a contact's scopes come from, kept to tell whether they changed. */
interface ScopeInputs {
  site?: string;
  queue?: string;
  team?: string;
  agentId?: string;
  channel?: string;
}

/**
 * Whether a contact's scope inputs are still `by`: compared field by field, as most events leave
 * them as they were and a key built per event was a measurable share of ingest (SPEC §9).
 */
function sameInputs(by: ScopeInputs | undefined, r: ContactRecord, team: string | undefined): boolean {
  return by !== undefined && by.site === r.site && by.queue === r.queue && by.team === team && by.agentId === r.agentId && by.channel === r.channel;
}

/** `mask` if it holds `n` entries, else a bigger one. */
function maskOf(mask: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
  return mask.length >= n ? mask : new Uint8Array(Math.max(n, mask.length * 2));
}

/**
 * A customer's contacts in memory, when there are several: all of them, those not yet marked as
 * repeated by a later contact, and the latest offer time among them (never lowered).
 */
interface CustomerContacts {
  ids: Set<string>;
  unmarked: Set<string>;
  latestOfferMs: number;
}

/** No waiting scopes: shared, never written to. */
const NO_SCOPES: ScopeKey[] = [];

function sameScopes(a: ScopeKey[], b: ScopeKey[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const EMPTY_APPLIED: Applied = { scopes: [], contributions: [], waitingScopes: [] };
const DAY_MS = 86_400_000;

export class KpiEngine {
  private readonly settings: KpiSettings;
  private readonly timeZone: string;
  private readonly clock: { now(): number };
  private readonly maxWaitMs: number;
  private readonly onDayStart: ((day: string) => void) | undefined;
  private readonly scopes = new Map<ScopeKey, ScopeState>();
  private readonly contacts = new Map<string, ContactEntry>();
  private readonly tickets = new Map<string, TicketEntry>();
  private readonly agents = new Map<string, AgentEntry>();
  /** Contacts in memory by customer (most customers have one: a bare id, not a CustomerContacts). */
  private readonly customersInMemory = new Map<string, string | CustomerContacts>();
  private readonly ticketsByContact = new Map<string, Set<string>>();
  private readonly deadlines = new MinHeap<string>();
  private dirty = new Set<ScopeKey>();
  private changedContacts = new Set<string>();
  private changedTickets = new Set<string>();
  private today = { startMs: 0, endMs: 0, day: '' };
  private yesterday = { startMs: 0, endMs: 0, day: '' };
  private lastPruneMs = 0;
  /**
   * Whether every contact and ticket in the store is already counted in the live state (true
   * after a restore from a checkpoint): a stored record an event needs is then taken as applied.
   * While a restore replays raw events it is false, and nothing is evicted.
   */
  private storedAreApplied = false;
  /**
   * Contacts that left memory for the store (evicted, or stored before a restore), per day they
   * left: an event for one must take it back, where a contact never held starts afresh.
   */
  private readonly leftMemory = new Map<string, BloomFilter>();
  /** Customers of contacts that left memory, per day they left: a new call of one may be a repeat. */
  private readonly customersLeft = new Map<string, BloomFilter>();
  private readonly leftMemoryCapacity: number;
  /** Scratch masks of replaceContributions, grown as needed. */
  private removedMask = new Uint8Array(32);
  private addedMask = new Uint8Array(32);
  /** Contacts to re-attribute at the end of the batch being applied (see applyBatch); null outside one. */
  private deferred: Set<ContactEntry> | null = null;
  /** Events of past days for records not held, until the store has them (see `takeHistory`), by record. */
  private readonly pendingHistory = new Map<string, CallCentreEvent[]>();
  private historyQueue: CallCentreEvent[] = [];
  private keepsHistory = false;

  constructor(options: KpiEngineOptions) {
    this.settings = options.settings;
    this.timeZone = options.timeZone;
    this.clock = options.clock;
    this.maxWaitMs = (options.maxWaitSec ?? 12 * 3600) * 1000;
    this.leftMemoryCapacity = options.contactsPerDay ?? 2_000_000;
    this.onDayStart = options.onDayStart;
    this.rollDays(this.clock.now());
  }

  /** Oldest event time the live state keeps (start of yesterday): older events only go to history. */
  get horizonMs(): number {
    return this.yesterday.startMs;
  }

  /** Folds one validated, de-duplicated event into the live state. */
  apply(event: CallCentreEvent): void {
    this.advance(this.clock.now());
    this.applyOne(event);
  }

  /**
   * Folds a commit's events into the live state. The result is the same as applying them one by
   * one (a contact's figures depend only on its folded record and its agent's states, not on the
   * order they came in), but each contact is re-attributed once per batch instead of once per
   * event: an import or a burst carries several events of a contact in one batch (SPEC §9).
   */
  applyBatch(events: readonly CallCentreEvent[]): void {
    this.advance(this.clock.now());
    const deferred = (this.deferred = new Set());
    try {
      for (let i = 0; i < events.length; i++) this.applyOne(events[i]);
    } finally {
      this.deferred = null;
      for (const entry of deferred) {
        // Only an entry still held (nothing lets one go during a batch, but stay safe).
        if (this.contacts.get(entry.record.contactId) === entry) this.reapplyContact(entry);
      }
    }
  }

  /** Re-attributes a contact now, or at the end of the batch being applied. */
  private touchContact(entry: ContactEntry): void {
    if (this.deferred !== null) this.deferred.add(entry);
    else this.reapplyContact(entry);
  }

  private applyOne(event: CallCentreEvent): void {
    if (event.ts < this.horizonMs) {
      // A day before the live ones: folded into a record the engine holds (its record and the
      // live days' contributions may depend on it: a ticket opened the day before yesterday and
      // closed yesterday), else history, merged into the store (RecordSync.mergeHistory).
      if (isTicketEvent(event)) {
        if (this.tickets.has(event.ticketId)) return this.applyTicketEvent(event);
        this.noteHistory(`ticket:${event.ticketId}`, event);
      } else if (isContactEvent(event)) {
        if (this.contacts.has(event.contactId)) return this.applyContactEvent(event);
        this.noteHistory(event.contactId, event);
      }
      return;
    }
    switch (event.type) {
      case 'agent.state':
        return this.applyAgentState(event);
      default:
        if (isTicketEvent(event)) return this.applyTicketEvent(event);
        if (isContactEvent(event)) return this.applyContactEvent(event);
    }
  }

  /**
   * Moves time forward: rolls the day at local midnight, counts tickets and escalation steps
   * whose deadlines have passed, and forgets minute buckets no window needs any more.
   */
  advance(nowMs: number): void {
    if (nowMs >= this.today.endMs) {
      this.rollDays(nowMs);
      this.pruneRecords();
    }
    if (nowMs - this.lastPruneMs >= MINUTE_MS) {
      this.lastPruneMs = nowMs;
      this.pruneBuckets(nowMs);
    }
    while (this.deadlines.size > 0 && this.deadlines.peekKey()! <= nowMs) {
      const ticketId = this.deadlines.pop()!;
      const entry = this.tickets.get(ticketId);
      if (entry) this.reapplyTicket(entry, nowMs);
    }
  }

  /** Scope keys whose figures changed since the last call. */
  drainDirty(): Set<ScopeKey> {
    const dirty = this.dirty;
    this.dirty = new Set();
    return dirty;
  }

  /**
   * Contacts and tickets whose records changed since the last call, for the record store: copies
   * taken now, so they are the same cut as the counters of a checkpoint taken in the same step.
   * (The store serialises them slice by slice across awaits; a record shared with the engine
   * could meanwhile take an event committed after the cut, and a restart would then find the
   * event in the record and not count it again: durability.test.ts lost a close that way.)
   */
  drainChangedRecords(): { contacts: ContactSnapshot[]; tickets: TicketSnapshot[] } {
    const contacts: ContactSnapshot[] = [];
    for (const id of this.changedContacts) {
      const entry = this.contacts.get(id);
      if (!entry) continue;
      const { applied: _applied, team, touchedMs: _touched, scopedBy: _by, ...fold } = entry;
      fold.record = { ...fold.record, transferTsMs: fold.record.transferTsMs.slice() };
      contacts.push({ fold, team });
    }
    const tickets: TicketSnapshot[] = [];
    for (const id of this.changedTickets) {
      const entry = this.tickets.get(id);
      if (!entry) continue;
      const contact = entry.fromContact;
      const t = entry.record;
      const record = { ...t, closedTsMs: t.closedTsMs.slice(), reopenedTsMs: t.reopenedTsMs.slice() };
      tickets.push({ record, queue: contact?.queue, site: contact?.site, channel: contact?.channel });
    }
    this.changedContacts = new Set();
    this.changedTickets = new Set();
    return { contacts, tickets };
  }

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

  /** Keeps an event of a record the engine does not hold for the store (see `takeHistory`). */
  private noteHistory(key: string, event: CallCentreEvent): void {
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

  /** Marks held contacts as repeated by a later contact of their customer (FCR), found by the store. */
  markRepeated(contactIds: readonly string[]): void {
    for (const id of contactIds) {
      const entry = this.contacts.get(id);
      if (!entry || entry.record.repeatedLater) continue;
      entry.record.repeatedLater = true;
      if (entry.record.customerRef !== undefined) {
        const group = this.customersInMemory.get(entry.record.customerRef);
        if (typeof group === 'object') group.unmarked.delete(id);
      }
      this.touchContact(entry);
    }
  }

  /** Whether a contact of this customer held in memory was offered after `offeredMs`, within the repeat window. */
  hasLaterOffer(customerRef: string, offeredMs: number): boolean {
    const known = this.customersInMemory.get(customerRef);
    if (known === undefined) return false;
    const windowMs = this.settings.fcrRepeatDays * DAY_MS;
    for (const id of typeof known === 'string' ? [known] : known.ids) {
      const r = this.contacts.get(id)?.record;
      if (r?.offeredTsMs !== undefined && !r.drill && r.offeredTsMs > offeredMs && r.offeredTsMs - offeredMs <= windowMs) return true;
    }
    return false;
  }

  /** Whether the engine holds this contact (an event for it is folded here, not merged into the store). */
  holdsContact(contactId: string): boolean {
    return this.contacts.has(contactId);
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
        this.contacts.set(id, { ...newContactFold(id), applied: EMPTY_APPLIED, touchedMs: this.clock.now() });
        this.foldPendingHistory(id);
      }
    }
    return [...contactsToSeed];
  }

  /**
   * Takes a contact back into memory from its stored state. When the live state already counts
   * it (see `storedAreApplied`) its contributions are taken as applied and nothing is counted;
   * otherwise what falls in the live days is counted now.
   */
  seedContact(snapshot: ContactSnapshot): void {
    const id = snapshot.fold.record.contactId;
    if (this.contacts.has(id)) return;
    const entry: ContactEntry = { ...snapshot.fold, applied: EMPTY_APPLIED, touchedMs: this.clock.now() };
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
    entry.scopedBy = { site: r.site, queue: r.queue, team, agentId: r.agentId, channel: r.channel };
    const scopes = scopesOf(entry.scopedBy);
    entry.applied = { scopes, contributions: packedContactContributions(r, this.settings), waitingScopes: isWaiting(r) ? scopes : NO_SCOPES };
    // Who waits is live state, not counters: it is rebuilt, not restored.
    this.setWaiting(entry.applied, id, r.offeredTsMs);
    this.foldPendingHistory(id);
  }

  /**
   * Folds into a record just taken into memory the events of past days noted for it and not yet
   * in the store (merged by RecordSync a moment later): the engine's later write must keep them.
   */
  private foldPendingHistory(key: string): void {
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
      for (const event of pending) foldContactEvent(entry, event as ContactEvent);
      this.touchContact(entry);
    }
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
   * Keeps memory to the contacts in play rather than the whole day. Returns how many went.
   */
  evictSettled(nowMs: number, idleMs: number): number {
    let evicted = 0;
    if (!this.storedAreApplied) return 0;
    for (const [id, entry] of this.contacts) {
      if (nowMs - entry.touchedMs < idleMs || entry.applied.waitingScopes.length > 0 || this.changedContacts.has(id)) continue;
      // A batch between its seed and its commit counts on finding these here (see `pin`).
      if (this.pinned.size > 0 && (this.pinned.has(`c:${id}`) || (entry.record.customerRef !== undefined && this.pinned.has(`r:${entry.record.customerRef}`)))) continue;
      this.letGo(id, entry);
      evicted++;
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
    for (const key of pinKeys(events)) this.pinned.set(key, (this.pinned.get(key) ?? 0) + 1);
  }

  /** Undoes one `pin` of the same events. */
  unpin(events: readonly CallCentreEvent[]): void {
    for (const key of pinKeys(events)) {
      const left = (this.pinned.get(key) ?? 0) - 1;
      if (left > 0) this.pinned.set(key, left);
      else this.pinned.delete(key);
    }
  }

  /** Pins by key (`c:<contactId>`, `r:<customerRef>`): how many batches in flight name each. */
  private readonly pinned = new Map<string, number>();

  /** Changed counter buckets of every scope since the last call (copies), for the checkpoint. */
  takeCheckpoint(): ScopeBucket[] {
    const out: ScopeBucket[] = [];
    for (const [scope, state] of this.scopes) {
      if (!state.changed) continue;
      for (const bucket of state.takeChanged()) out.push({ scope, ...bucket });
    }
    return out;
  }

  /** Marks buckets of a checkpoint that could not be written as changed again. */
  remarkCheckpoint(buckets: ScopeBucket[]): void {
    for (const b of buckets) this.scopes.get(b.scope)?.remark([b]);
  }

  /** Sets counter buckets from a checkpoint (at start). */
  restoreCounters(buckets: Iterable<ScopeBucket>): void {
    const keepDays = new Set([this.today.day, this.yesterday.day]);
    for (const b of buckets) {
      if (b.kind === 2 && !keepDays.has(b.day)) continue;
      if (b.kind === 1 && b.startMs < this.yesterday.startMs) continue;
      const state = this.scope(b.scope);
      state.restore(b);
    }
    for (const state of this.scopes.values()) state.takeChanged();
  }

  /**
   * Rebuilds an agent's states from a stored agent.state event without counting it (at start);
   * `finishAgentRestore` then sets who is in which state now.
   */
  restoreAgentState(event: EventOf<'agent.state'>): void {
    this.applyAgentState(event, false);
  }

  finishAgentRestore(): void {
    for (const agent of this.agents.values()) {
      const last = agent.episodes.at(-1);
      if (last && (agent.liveState?.sinceMs !== last.tsMs || agent.liveState.state !== last.state)) this.setAgentLive(agent, last);
    }
  }

  /**
   * Adds a contact to its customer's contacts in memory. Returns them when there are others (null
   * while the contact is its customer's only one, by far the most common case).
   */
  private indexCustomer(ref: string, r: ContactRecord): CustomerContacts | null {
    const known = this.customersInMemory.get(ref);
    if (known === undefined) {
      this.customersInMemory.set(ref, r.contactId);
      return null;
    }
    let group: CustomerContacts;
    if (typeof known === 'string') {
      if (known === r.contactId) return null;
      group = { ids: new Set([known]), unmarked: new Set(), latestOfferMs: -Infinity };
      const first = this.contacts.get(known)?.record;
      if (first) this.rememberCustomer(group, first);
      this.customersInMemory.set(ref, group);
    } else group = known;
    group.ids.add(r.contactId);
    return group;
  }

  /** Notes a contact of the group as a candidate to be marked by a later one, and its offer time. */
  private rememberCustomer(group: CustomerContacts | null, r: ContactRecord): void {
    if (group === null) return;
    if (!r.repeatedLater) group.unmarked.add(r.contactId);
    if (r.offeredTsMs !== undefined && r.offeredTsMs > group.latestOfferMs) group.latestOfferMs = r.offeredTsMs;
  }

  private unindexCustomer(ref: string, contactId: string): void {
    const known = this.customersInMemory.get(ref);
    if (known === contactId) this.customersInMemory.delete(ref);
    else if (typeof known === 'object') {
      known.ids.delete(contactId);
      known.unmarked.delete(contactId);
      if (known.ids.size === 0) this.customersInMemory.delete(ref);
    }
  }

  private mayHaveCustomerLeft(ref: string): boolean {
    const key = bloomKey(ref);
    for (const filter of this.customersLeft.values()) if (filter.mightHaveKey(key)) return true;
    return false;
  }

  /** The contact's customer and id go to the memory of what left (see `leftMemory`). */
  private noteContactLeft(contactKey: number, customerKey: number | null): void {
    this.filterOfToday(this.leftMemory).addKey(contactKey);
    if (customerKey !== null) this.filterOfToday(this.customersLeft).addKey(customerKey);
  }

  private filterOfToday(filters: Map<string, BloomFilter>): BloomFilter {
    let filter = filters.get(this.today.day);
    if (!filter) filters.set(this.today.day, (filter = new BloomFilter(this.leftMemoryCapacity)));
    return filter;
  }

  /** Remembers a contact of the live days that is in the store (at start): its customer, and that it exists. */
  restoreStoredTicket(ticketId: string): void {
    this.noteLeft(`ticket:${ticketId}`);
  }

  restoreStoredContact(contactKey: number, customerKey: number | null): void {
    this.noteContactLeft(contactKey, customerKey);
  }

  private noteLeft(id: string): void {
    this.filterOfToday(this.leftMemory).addKey(bloomKey(id));
  }

  /** Forgets a contact held in memory (its record is stored as it is). */
  private letGo(id: string, entry: ContactEntry): void {
    this.contacts.delete(id);
    const r = entry.record;
    this.noteContactLeft(bloomKey(id), r.customerRef !== undefined ? bloomKey(r.customerRef) : null);
    if (r.customerRef !== undefined) this.unindexCustomer(r.customerRef, id);
    if (r.agentId !== undefined) this.agents.get(r.agentId)?.contactIds.delete(id);
  }

  private mayHaveLeft(contactId: string): boolean {
    for (const filter of this.leftMemory.values()) if (filter.mightHave(contactId)) return true;
    return false;
  }

  /** Marks records as changed again (after a failed write). */
  markChanged(contactIds: string[], ticketIds: string[]): void {
    for (const id of contactIds) this.changedContacts.add(id);
    for (const id of ticketIds) this.changedTickets.add(id);
  }

  /** The local day of the oldest event the live state holds (yesterday). */
  get horizonDay(): string {
    return this.yesterday.day;
  }

  /** Every known scope key of a dimension (e.g. all queues; `siteQueue`: every site's queues). */
  scopeKeys(dimension: ScopeDimension | 'centre'): ScopeKey[] {
    const keys: ScopeKey[] = [];
    for (const key of this.scopes.keys()) if (scopeDimension(key) === dimension) keys.push(key);
    return keys.sort();
  }

  /** Whether a scope has figures of the live days (the rest answer 404 unless the org directory knows them). */
  hasScope(scope: ScopeKey): boolean {
    return this.scopes.has(scope);
  }

  /** The known queues of one site, as `site:X/queue:Y` keys. */
  siteQueueKeys(site: string): ScopeKey[] {
    const prefix = siteQueuePrefix(site);
    const keys: ScopeKey[] = [];
    for (const key of this.scopes.keys()) if (key.startsWith(prefix)) keys.push(key);
    return keys.sort();
  }

  /** Current KPIs of a scope in a window; an unknown scope has zero counts. */
  snapshot(scope: ScopeKey, window: KpiWindow): ScopeSnapshot {
    const nowMs = this.clock.now();
    this.advance(nowMs);
    const state = this.scopes.get(scope);
    const counters = state ? this.windowCounters(state, window, nowMs) : newCounters();
    const live = state
      ? state.live(nowMs, this.settings.notReadyLimitSec * 1000, this.maxWaitMs)
      : new ScopeState().live(nowMs, 0, this.maxWaitMs);
    return { scope, window, asOf: nowMs, kpis: computeKpis(counters, live, nowMs, this.settings, scopeDimension(scope)), live };
  }

  /**
   * Today's counters of a scope, or null when it has none: for per-agent rows (handled, AHT,
   * occupancy through shared/kpi.ts), where a full snapshot per agent would cost ten thousand
   * KPI sets per push. The engine's own array: read it, never change it.
   */
  todayCounters(scope: ScopeKey): Counters | null {
    this.advance(this.clock.now());
    return this.scopes.get(scope)?.days.get(this.today.day) ?? null;
  }

  /** Counters of a scope per 15-minute interval of a local day (today or yesterday); none for agents. */
  intervals(scope: ScopeKey, day: string): Array<{ startMs: number; counters: Counters }> {
    const state = this.scopes.get(scope);
    if (!state) return [];
    const bounds = day === this.today.day ? this.today : day === this.yesterday.day ? this.yesterday : null;
    if (!bounds) return [];
    return [...state.intervals.entries()]
      .filter(([start]) => start >= bounds.startMs && start < bounds.endMs)
      .sort(([a], [b]) => a - b)
      .map(([startMs, counters]) => ({ startMs, counters }));
  }

  /**
   * Counters of one recent 15-minute interval of a scope (the current one or the one before), or
   * null when it has none. Agents keep no intervals: theirs are summed from their minute buckets,
   * which cover the last hour. Other scopes: the engine's own array, to read only.
   */
  recentIntervalCounters(scope: ScopeKey, startMs: number): Readonly<Counters> | null {
    this.advance(this.clock.now());
    const state = this.scopes.get(scope);
    if (!state) return null;
    if (scopeDimension(scope) === 'agent') return state.minuteSum(startMs, startMs + INTERVAL_MS);
    return state.intervals.get(startMs) ?? null;
  }

  /**
   * Every agent's state episodes that touch [fromMs, toMs): the one in force at `fromMs` and those
   * begun before `toMs` (drills are never held). Shares the engine's episodes: read only.
   */
  agentEpisodes(fromMs: number, toMs: number): AgentHistory[] {
    const out: AgentHistory[] = [];
    for (const agent of this.agents.values()) {
      const episodes = agent.episodes;
      // Binary search: the last episode begun at or before fromMs, else the first.
      let lo = 0;
      let hi = episodes.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (episodes[mid].tsMs <= fromMs) lo = mid + 1;
        else hi = mid;
      }
      let end = Math.max(0, lo - 1);
      const first = end;
      while (end < episodes.length && episodes[end].tsMs < toMs) end++;
      if (end > first) out.push({ agentId: agent.agentId, episodes: episodes.slice(first, end) });
    }
    return out;
  }

  /** Open tickets held (not drills), with the queue, site and channel of their contact; the engine's records, to read only. */
  openTickets(): TicketSnapshot[] {
    const out: TicketSnapshot[] = [];
    for (const entry of this.tickets.values()) {
      if (!isOpenTicket(entry.record)) continue;
      const contact = entry.fromContact;
      out.push({ record: entry.record, queue: contact?.queue, site: contact?.site, channel: contact?.channel });
    }
    return out;
  }

  /** Whether the engine holds this ticket (its record there is newer than the store's). */
  holdsTicket(ticketId: string): boolean {
    return this.tickets.has(ticketId);
  }

  /**
   * [startMs, endMs) of the contributions a window sums at `nowMs`, as `windowCounters` does:
   * today's local day bucket; or the rolling minutes from `rollingWindowStart` up to the newest
   * minute the ring keeps (an event stamped a few minutes ahead counts there already). For the
   * rows behind a figure (server/http/kpi-contact-routes.ts).
   */
  windowBounds(window: KpiWindow, nowMs: number): { startMs: number; endMs: number } {
    this.advance(nowMs);
    if (window === 'today') return { startMs: this.today.startMs, endMs: this.today.endMs };
    const newestMinute = minuteStart(nowMs) + (MINUTE_SLOTS - ROLLING_MINUTES['60m'] - 2) * MINUTE_MS;
    return { startMs: rollingWindowStart(nowMs, ROLLING_MINUTES[window]), endMs: newestMinute + MINUTE_MS };
  }

  /**
   * Every contact and ticket held, with the scopes and contributions it is counted with now (the
   * engine's own arrays: read only). Without a store these are all the records the live days
   * count; with one, those that left memory are in the store.
   */
  forEachHeldRecord(
    contact: (record: ContactRecord, team: string | undefined, scopes: readonly ScopeKey[], contributions: PackedContributions) => void,
    ticket: (record: TicketRecord, scopes: readonly ScopeKey[], contributions: PackedContributions) => void,
  ): void {
    this.advance(this.clock.now());
    for (const entry of this.contacts.values()) contact(entry.record, entry.team, entry.applied.scopes, entry.applied.contributions);
    for (const entry of this.tickets.values()) ticket(entry.record, entry.applied.scopes, entry.applied.contributions);
  }

  /** Whether records changed since they were last drained for the store (else the store is current). */
  get hasChangedRecords(): boolean {
    return this.changedContacts.size > 0 || this.changedTickets.size > 0;
  }

  /** Number of records held, for metrics. */
  stats(): { contacts: number; tickets: number; agents: number; scopes: number } {
    return { contacts: this.contacts.size, tickets: this.tickets.size, agents: this.agents.size, scopes: this.scopes.size };
  }

  private windowCounters(state: ScopeState, window: KpiWindow, nowMs: number): Counters {
    if (window === 'today') return state.days.get(this.today.day) ?? newCounters();
    return state.rollingSum(rollingWindowStart(nowMs, ROLLING_MINUTES[window]));
  }

  // ---- contacts -------------------------------------------------------------------------

  private contactEntry(contactId: string): ContactEntry {
    let entry = this.contacts.get(contactId);
    if (!entry) {
      entry = { ...newContactFold(contactId), applied: EMPTY_APPLIED, touchedMs: 0 };
      this.contacts.set(contactId, entry);
      if (this.pendingHistory.size > 0) this.foldPendingHistory(contactId);
    }
    return entry;
  }

  private applyContactEvent(event: ContactEvent): void {
    const entry = this.contactEntry(event.contactId);
    const r = entry.record;
    foldContactEvent(entry, event);
    if (event.type === 'contact.offered' && r.customerRef !== undefined) this.linkRepeatContacts(entry);
    this.touchContact(entry);
    // Tickets raised from this contact take its queue, site and channel when they lack their own.
    if (event.type === 'contact.offered') {
      for (const ticketId of this.ticketsByContact.get(r.contactId) ?? []) {
        const ticket = this.tickets.get(ticketId);
        if (ticket) this.reapplyTicket(ticket, this.clock.now());
      }
    }
  }

  /**
   * FCR repeat rule (SPEC §4): a contact by the same customer within the repeat window after
   * another makes the earlier one not-first. Checked both ways, so arrival order does not matter.
   */
  private linkRepeatContacts(entry: ContactEntry): void {
    const r = entry.record;
    const ref = r.customerRef!;
    const offeredMs = r.offeredTsMs!;
    const windowMs = this.settings.fcrRepeatDays * DAY_MS;
    const group = this.indexCustomer(ref, r);
    if (group === null) return;
    // Earlier contacts not yet marked (usually just the customer's latest): this one repeats them.
    // The work per offer does not grow with the customer's contacts of the day, as a caller
    // behind a switchboard or a withheld number can make thousands.
    for (const otherId of group.unmarked) {
      if (otherId === r.contactId) continue;
      const otherEntry = this.contacts.get(otherId);
      const other = otherEntry?.record;
      if (!otherEntry || !other || other.customerRef !== ref || other.repeatedLater || other.offeredTsMs === undefined) {
        group.unmarked.delete(otherId);
        continue;
      }
      if (other.offeredTsMs < offeredMs && offeredMs - other.offeredTsMs <= windowMs) {
        other.repeatedLater = true;
        group.unmarked.delete(otherId);
        this.touchContact(otherEntry);
      }
    }
    // A later contact of the same customer makes this one a repeat: only when this offer came out
    // of order (one later than it is already known) is there one to look for.
    if (group.latestOfferMs > offeredMs && !r.repeatedLater) {
      for (const otherId of group.ids) {
        if (otherId === r.contactId) continue;
        const other = this.contacts.get(otherId)?.record;
        if (other?.customerRef !== ref || other.offeredTsMs === undefined) continue;
        if (other.offeredTsMs > offeredMs && other.offeredTsMs - offeredMs <= windowMs) {
          r.repeatedLater = true;
          break;
        }
      }
    }
    this.rememberCustomer(group, r);
  }

  private reapplyContact(entry: ContactEntry): void {
    const r = entry.record;
    if (r.agentId !== undefined) this.agentEntry(r.agentId).contactIds.add(r.contactId);
    const team = entry.explicitTeam ?? this.derivedTeam(r);
    entry.team = team;
    entry.touchedMs = this.clock.now();
    this.changedContacts.add(r.contactId);
    const previous = entry.applied;
    // Most events leave the contact's scopes as they were: keep the array and its states.
    let scopes = previous.scopes;
    let states = previous.states;
    if (scopes.length === 0 || !sameInputs(entry.scopedBy, r, team)) {
      entry.scopedBy = { site: r.site, queue: r.queue, team, agentId: r.agentId, channel: r.channel };
      scopes = scopesOf(entry.scopedBy);
      states = undefined;
    }
    const next: Applied = { scopes, states, contributions: packedContactContributions(r, this.settings), waitingScopes: isWaiting(r) ? scopes : NO_SCOPES };
    this.setWaiting(entry.applied, r.contactId, undefined);
    this.replaceContributions(entry.applied, next);
    entry.applied = next;
    this.setWaiting(next, r.contactId, r.offeredTsMs);
  }

  /** Puts a contact in (offer time given) or takes it out of the queues of its waiting scopes. */
  private setWaiting(applied: Applied, contactId: string, offeredTsMs: number | undefined): void {
    if (applied.waitingScopes.length === 0) return;
    const states = this.statesOf(applied);
    for (let i = 0; i < states.length; i++) {
      if (offeredTsMs === undefined) states[i].waiting.delete(contactId);
      else states[i].waiting.set(contactId, offeredTsMs);
      this.dirty.add(applied.scopes[i]);
    }
  }

  /** The team of the contact's agent as of the answer (or wrap-up): from the agent's states. */
  private derivedTeam(r: ContactRecord): string | undefined {
    if (r.agentId === undefined) return undefined;
    const agent = this.agents.get(r.agentId);
    if (!agent || agent.episodes.length === 0) return undefined;
    const atMs = r.answeredTsMs ?? r.wrappedTsMs ?? r.offeredTsMs ?? Infinity;
    let team: string | undefined;
    for (const episode of agent.episodes) {
      if (episode.team === undefined) continue;
      if (episode.tsMs > atMs && team !== undefined) break;
      team = episode.team;
    }
    return team;
  }

  // ---- tickets --------------------------------------------------------------------------

  private applyTicketEvent(event: TicketEvent): void {
    let entry = this.tickets.get(event.ticketId);
    if (!entry) {
      entry = { record: newTicketRecord(event.ticketId), applied: EMPTY_APPLIED };
      this.tickets.set(event.ticketId, entry);
      if (this.pendingHistory.size > 0) this.foldPendingHistory(`ticket:${event.ticketId}`);
    }
    const t = entry.record;
    foldTicketEvent(t, event);
    if (event.type === 'ticket.opened' && event.contactId !== undefined) {
      let ids = this.ticketsByContact.get(event.contactId);
      if (!ids) this.ticketsByContact.set(event.contactId, (ids = new Set()));
      ids.add(t.ticketId);
    }
    const nowMs = this.clock.now();
    for (const deadline of ticketDeadlines(t, this.settings)) if (deadline > nowMs) this.deadlines.push(deadline, t.ticketId);
    this.reapplyTicket(entry, nowMs);
  }

  private reapplyTicket(entry: TicketEntry, nowMs: number): void {
    const t = entry.record;
    this.changedTickets.add(t.ticketId);
    const record = t.contactId !== undefined ? this.contacts.get(t.contactId)?.record : undefined;
    if (record) entry.fromContact = { queue: record.queue, site: record.site, channel: record.channel };
    const contact = entry.fromContact;
    const scopes = scopesOf({
      queue: t.queue ?? contact?.queue,
      site: t.site ?? contact?.site,
      channel: t.channel ?? contact?.channel,
      team: t.team,
    });
    const next: Applied = { scopes, contributions: packedTicketContributions(t, nowMs, this.settings), waitingScopes: [] };
    this.replaceContributions(entry.applied, next);
    entry.applied = next;
  }

  // ---- agents ---------------------------------------------------------------------------

  private agentEntry(agentId: string): AgentEntry {
    let agent = this.agents.get(agentId);
    if (!agent) {
      agent = { agentId, episodes: [], contactIds: new Set(), liveScopes: [] };
      this.agents.set(agentId, agent);
    }
    return agent;
  }

  private applyAgentState(event: EventOf<'agent.state'>, count = true): void {
    const agent = this.agentEntry(event.agentId);
    const episode: Episode = {
      key: `${String(event.ts).padStart(15, '0')}|${event.id}`,
      tsMs: event.ts,
      state: event.state,
      team: event.team,
      site: event.site,
      queues: event.queues ?? [],
    };
    if (event.drill) return;
    const episodes = agent.episodes;
    let i = episodes.length;
    while (i > 0 && episodes[i - 1].key > episode.key) i--;
    // Already known (a checkpoint's restore and its tail can both hold an event).
    if (i > 0 && episodes[i - 1].key === episode.key) return;
    const previous = episodes[i - 1];
    const next = episodes[i];
    if (!count) {
      // Restoring: the live state is set once, from the last episode (`finishAgentRestore`).
      episodes.splice(i, 0, episode);
      return;
    }
    // The previous episode used to end at `next`; it now ends at the new one, which ends at `next`.
    if (previous && next) this.applyEpisode(agent.agentId, previous, next.tsMs, -1);
    if (previous) this.applyEpisode(agent.agentId, previous, episode.tsMs, 1);
    if (next) this.applyEpisode(agent.agentId, episode, next.tsMs, 1);
    episodes.splice(i, 0, episode);
    if (!next) this.setAgentLive(agent, episode);
    // Contacts whose team came from this agent's states may now belong to another team.
    // The team in force from this episode on changes only if it differs from the one before it.
    if (episode.team !== undefined && episode.team !== previous?.team) {
      for (const contactId of agent.contactIds) {
        const contact = this.contacts.get(contactId);
        if (contact && contact.explicitTeam === undefined) this.touchContact(contact);
      }
    }
  }

  private episodeScopes(agentId: string, episode: Episode): ScopeKey[] {
    const scopes = scopesOf({ agentId, team: episode.team, site: episode.site });
    for (const queue of episode.queues) scopes.push(`queue:${queue}`);
    // The agent serves each of its queues at its site too (site × queue, issue 10).
    if (episode.site !== undefined) for (const queue of episode.queues) scopes.push(siteQueueKey(episode.site, queue));
    return scopes;
  }

  private applyEpisode(agentId: string, episode: Episode, endMs: number, sign: 1 | -1): void {
    const episodeContributions = agentEpisodeContributions(episode.state, episode.tsMs, endMs, this.settings);
    if (episodeContributions.length === 0) return;
    const contributions = episodeContributions.flatMap((c) => [c.tsMs, c.counter, c.amount]);
    this.applyContributions({ scopes: this.episodeScopes(agentId, episode), contributions, waitingScopes: [] }, sign);
  }

  private setAgentLive(agent: AgentEntry, episode: Episode): void {
    if (agent.liveState) {
      for (const scope of agent.liveScopes) {
        this.scope(scope).setAgent(agent.agentId, agent.liveState.state, agent.liveState.sinceMs, -1);
      }
    }
    agent.liveScopes = this.episodeScopes(agent.agentId, episode);
    agent.liveState = { state: episode.state, sinceMs: episode.tsMs };
    for (const scope of agent.liveScopes) this.scope(scope).setAgent(agent.agentId, episode.state, episode.tsMs, 1);
  }

  // ---- counters -------------------------------------------------------------------------

  /**
   * The states of a record's scopes, looked up once per scope set. A loop, not a `map` with an
   * arrow: tsx names every closure it creates (a call and a property write), per event here.
   */
  private statesOf(applied: Applied): ScopeState[] {
    if (applied.states !== undefined) return applied.states;
    const states: ScopeState[] = new Array(applied.scopes.length);
    for (let i = 0; i < applied.scopes.length; i++) states[i] = this.scope(applied.scopes[i]);
    return (applied.states = states);
  }

  private scope(key: ScopeKey): ScopeState {
    let state = this.scopes.get(key);
    if (!state) {
      state = new ScopeState(scopeDimension(key) !== 'agent');
      this.scopes.set(key, state);
    }
    this.dirty.add(key);
    return state;
  }

  /**
   * Swaps a record's applied contributions for new ones. Most events change one or two of a
   * record's contributions, so only the difference is applied when the scopes are the same.
   * The difference is marked in two reused masks rather than copied out, as this runs for
   * every event (SPEC §9); the increments are the same, in the same order.
   */
  private replaceContributions(previous: Applied, next: Applied): void {
    if (!sameScopes(previous.scopes, next.scopes)) {
      this.applyContributions(previous, -1);
      this.applyContributions(next, 1);
      return;
    }
    const before = previous.contributions;
    const after = next.contributions;
    const removed = maskOf(this.removedMask, before.length / 3);
    const added = maskOf(this.addedMask, after.length / 3);
    this.removedMask = removed;
    this.addedMask = added;
    added.fill(1, 0, after.length / 3);
    let removedCount = 0;
    outer: for (let i = 0; i < before.length; i += 3) {
      for (let j = 0; j < after.length; j += 3) {
        if (added[j / 3] && after[j] === before[i] && after[j + 1] === before[i + 1] && after[j + 2] === before[i + 2]) {
          added[j / 3] = 0;
          removed[i / 3] = 0;
          continue outer;
        }
      }
      removed[i / 3] = 1;
      removedCount++;
    }
    const addedCount = after.length / 3 - (before.length / 3 - removedCount);
    next.states ??= previous.states;
    if (removedCount > 0) this.applyPacked(next, before, removed, -1);
    if (addedCount > 0) this.applyPacked(next, after, added, 1);
  }

  private applyContributions(applied: Applied, sign: 1 | -1): void {
    if (applied.contributions.length > 0) this.applyPacked(applied, applied.contributions, null, sign);
  }

  /** Applies the contributions (those whose `mask` entry is 1, when given) to every scope of `applied`. */
  private applyPacked(applied: Applied, contributions: PackedContributions, mask: Uint8Array | null, sign: 1 | -1): void {
    const nowMinute = minuteStart(this.clock.now());
    const oldestMinute = nowMinute - (ROLLING_MINUTES['60m'] + 1) * MINUTE_MS;
    const newestMinute = nowMinute + (MINUTE_SLOTS - ROLLING_MINUTES['60m'] - 2) * MINUTE_MS;
    const horizon = this.yesterday.startMs;
    const states = this.statesOf(applied);
    for (let s = 0; s < applied.scopes.length; s++) this.dirty.add(applied.scopes[s]);
    // Contribution by contribution, its buckets found once for all scopes. Each scope still sees
    // its increments in the same order, and scopes share no counters, so the sums are the same.
    for (let i = 0; i < contributions.length; i += 3) {
      if (mask !== null && mask[i / 3] === 0) continue;
      const tsMs = contributions[i];
      if (tsMs < horizon) continue;
      const minute = minuteStart(tsMs);
      const inRing = minute >= oldestMinute && minute <= newestMinute ? minute : null;
      const interval = intervalStart(tsMs);
      const day = this.dayOf(tsMs);
      const counter = contributions[i + 1];
      const amount = sign * contributions[i + 2];
      for (let s = 0; s < states.length; s++) states[s].add(inRing, interval, day, counter, amount);
    }
  }

  private dayOf(tsMs: number): string {
    if (tsMs >= this.today.startMs && tsMs < this.today.endMs) return this.today.day;
    if (tsMs >= this.yesterday.startMs && tsMs < this.yesterday.endMs) return this.yesterday.day;
    return dayBounds(tsMs, this.timeZone).day;
  }

  private rollDays(nowMs: number): void {
    this.today = dayBounds(nowMs, this.timeZone);
    this.yesterday = dayBounds(this.today.startMs - 1, this.timeZone);
    this.onDayStart?.(this.today.day);
  }

  private pruneBuckets(nowMs: number): void {
    const keepDays = new Set([this.today.day, this.yesterday.day]);
    const minInterval = intervalStart(this.yesterday.startMs) - INTERVAL_MS;
    for (const state of this.scopes.values()) state.prune(minInterval, keepDays);
  }

  /** At local midnight: forgets contacts and agent episodes that no longer touch today or yesterday. */
  private pruneRecords(): void {
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

/** The keys `KpiEngine.pin` keeps for a batch, each once. */
function pinKeys(events: readonly CallCentreEvent[]): Set<string> {
  const keys = new Set<string>();
  for (const event of events) {
    if ('contactId' in event && event.contactId !== undefined) keys.add(`c:${event.contactId}`);
    if ('customerRef' in event && event.customerRef !== undefined) keys.add(`r:${event.customerRef}`);
  }
  return keys;
}
