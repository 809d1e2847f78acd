/**
 * Keeps the contact and ticket records in the store current. Changes the live engine made are
 * written every few seconds (and on shutdown), each write with the engine's checkpoint, paced by
 * how long the last write took (see `waitAfter`); after a write
 * settled contacts are evicted from memory; events older than the engine holds (a day already
 * closed) are merged into their stored records with the same rules before the ingest answers.
 * Part of server/live/, the one owner of the live ↔ stored loop (issue 15).
 */
import type { CallCentreEvent } from '../../shared/events.ts';
import { foldContactEvent, foldTicketEvent, isContactEvent, isTicketEvent, newContactFold, newTicketRecord } from '../../shared/contact-fold.ts';
import type { Logger } from 'pino';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import { WriteAbandoned, type RecordStore } from '../store/record-store.ts';
import type { Checkpoint, ContactSnapshot, TicketSnapshot } from '../records/snapshots.ts';
import { withoutPaths, type EventLog } from '../store/event-log.ts';
import { HttpError } from '../errors.ts';
import { pushAll } from '../lib/arrays.ts';
import { Turns } from '../lib/turns.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Held contacts an eviction pass looks at between turns of the event loop (a few milliseconds). */
const EVICT_SLICE = 5_000;

/** A record write at least this long is logged with its steps. */
const SLOW_WRITE_SEC = 2;

/**
 * Timed writes start this many times as long apart as the last write took (records are written
 * at most a quarter of the time), at least the interval and at most MAX_WRITE_PERIOD_MS apart.
 *
 * Each write takes everything that changed since the one before, and much of its cost is fixed:
 * with 10,000 agents a write changes 43,000 counter buckets whether it covers 2 s or 10 s. At
 * 20,000 events/s on this 2-core machine, with a fixed interval of 2 s the writes took 2–9 s
 * each, back to back, and the server used 148 % of a core; every 10 s one took about 3 s and
 * it used 122 %, with the p99 from event to screen 657–724 ms against 1,064–1,576 ms
 * (bench:live, 120 s runs). Waiting three times the write's time after its end instead made the
 * writes twice as large (76,000–107,000 contacts, 4–9 s each) for no better tail.
 */
const WRITE_PACE = 4;

/** The longest time between the starts of timed writes (unless a write takes longer): what a `kill -9` makes the restart replay. */
export const MAX_WRITE_PERIOD_MS = 10_000;

/** How long the timer waits, after a write that took `writeMs` ended, before the next one. */
export function waitAfter(writeMs: number, intervalMs: number): number {
  const period = Math.max(intervalMs, Math.min(MAX_WRITE_PERIOD_MS, WRITE_PACE * writeMs));
  return Math.max(0, period - writeMs);
}

export class RecordSync {
  private timer: NodeJS.Timeout | undefined;
  /** Timed writes started (and not closed). */
  private timed = false;
  /** How long the last write took, ms (paces the timer, see waitAfter). */
  private lastWriteMs = 0;
  private flushing: Promise<void> = Promise.resolve();
  private offers: Array<{ customerRef: string; offeredTsMs: number }> = [];
  /** Whether flushes write the engine's checkpoint (once the live state is complete: after restore). */
  private checkpointing = false;
  /** Told how long each write with a checkpoint took, in seconds (for /metrics). */
  onCheckpointTimed: ((seconds: number) => void) | null = null;

  constructor(
    private readonly engine: KpiEngine,
    private readonly records: RecordStore,
    private readonly log: EventLog,
    private readonly clock: { now(): number },
    private readonly logger: Logger,
    /** The shortest time between the starts of timed writes; a slow write makes it longer (see waitAfter). */
    private readonly intervalMs = 1000,
    /** Settled contacts unchanged this long leave memory after a write (see KpiEngine.evictSettled). */
    private readonly evictIdleMs = 120_000,
    /** Beyond this many contacts held, settled and written ones leave memory even before they are idle. */
    private readonly maxHeldContacts = Infinity,
  ) {
    engine.keepHistory();
  }

  /**
   * Starts writing on a timer (after a restore, which must not rewrite what is stored), each
   * write with the engine's checkpoint, the next one `waitAfter` the last write ended.
   */
  start(): void {
    this.checkpointing = true;
    if (this.timed) return;
    this.timed = true;
    this.scheduleWrite(this.intervalMs);
  }

  private scheduleWrite(delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.flush().finally(() => {
        if (this.timed) this.scheduleWrite(waitAfter(this.lastWriteMs, this.intervalMs));
      });
    }, delayMs);
    this.timer.unref();
  }

  /**
   * Called with newly stored events (after the engine applied them): merges the events of past
   * days the engine left to history (records it does not hold, see KpiEngine.applyOne) into
   * their stored records, before the ingest answers.
   */
  async accept(events: CallCentreEvent[]): Promise<void> {
    const offers: Array<{ customerRef: string; offeredTsMs: number }> = [];
    for (const event of events) {
      if (event.type === 'contact.offered' && event.customerRef !== undefined && !event.drill) {
        offers.push({ customerRef: event.customerRef, offeredTsMs: event.ts });
      }
    }
    try {
      await this.mergeHistory();
    } finally {
      // Handed to the flush's FCR marking only once this batch's past-day contacts are stored: a
      // flush between would look for an earlier call of the batch not yet written, and miss it.
      pushAll(this.offers, offers);
    }
  }

  /**
   * Merges the history events the engine has noted into the store, one merge at a time (a
   * merge reads the records it changes: two at once could each miss the other's events).
   */
  mergeHistory(): Promise<void> {
    const job = async () => {
      const events = this.engine.takeHistory();
      if (events.length === 0) return;
      try {
        await this.mergeIntoHistory(events);
      } catch (error) {
        // Kept for the next merge (and folded into a record the engine takes meanwhile).
        this.engine.retryHistory(events);
        throw error;
      }
      // Merged, or the records were taken by the engine meanwhile (it folded these events in).
      this.engine.historyStored(events);
    };
    return this.merging.run(job);
  }

  private readonly merging = new Turns();

  private async mergeIntoHistory(events: CallCentreEvent[]): Promise<void> {
    const contactEvents = events.filter(isContactEvent);
    const ticketEvents = events.filter(isTicketEvent);
    const contacts = await this.records.loadContacts([...new Set(contactEvents.map((e) => e.contactId))]);
    for (const event of contactEvents) {
      let snapshot = contacts.get(event.contactId);
      if (!snapshot) contacts.set(event.contactId, (snapshot = { fold: newContactFold(event.contactId) } as ContactSnapshot));
      foldContactEvent(snapshot.fold, event);
      snapshot.team = snapshot.fold.explicitTeam ?? snapshot.team;
    }
    const tickets = await this.records.loadTickets([...new Set(ticketEvents.map((e) => e.ticketId))]);
    for (const event of ticketEvents) {
      let record = tickets.get(event.ticketId);
      if (!record) tickets.set(event.ticketId, (record = newTicketRecord(event.ticketId)));
      foldTicketEvent(record, event);
    }
    // A ticket takes queue, site and channel from its contact when its events name none (as in
    // the engine): from the contact merged here, or stored; and a contact's late offer places
    // its stored tickets that still lack them.
    const offered = contactEvents.filter((e) => e.type === 'contact.offered').map((e) => e.contactId);
    if (offered.length > 0) {
      for (const record of await this.records.loadTicketsOfContacts([...new Set(offered)])) {
        if (!tickets.has(record.ticketId) && !this.engine.holdsTicket(record.ticketId)) tickets.set(record.ticketId, record);
      }
    }
    const unplaced = [...tickets.values()].filter((t) => t.contactId !== undefined && (t.queue === undefined || t.site === undefined || t.channel === undefined));
    const missing = [...new Set(unplaced.map((t) => t.contactId!))].filter((id) => !contacts.has(id));
    const placing = missing.length > 0 ? await this.records.loadContacts(missing) : new Map<string, ContactSnapshot>();
    const ticketRows: TicketSnapshot[] = [];
    for (const record of tickets.values()) {
      // The engine took the record meanwhile: its own write has these events (see KpiEngine.foldPendingHistory).
      if (this.engine.holdsTicket(record.ticketId)) continue;
      const contact = record.contactId !== undefined ? (contacts.get(record.contactId) ?? placing.get(record.contactId))?.fold.record : undefined;
      ticketRows.push({ record, queue: contact?.queue, site: contact?.site, channel: contact?.channel });
    }
    const contactRows = [...contacts.values()].filter((c) => !this.engine.holdsContact(c.fold.record.contactId));
    // A late offer of a customer who called again within the repeat window is a repeat (FCR):
    // the later call may be stored, or still only in the engine.
    const late = contactRows
      .map((c) => c.fold.record)
      .filter((r) => !r.drill && !r.repeatedLater && r.customerRef !== undefined && r.offeredTsMs !== undefined)
      .map((r) => ({ contactId: r.contactId, customerRef: r.customerRef!, offeredTsMs: r.offeredTsMs! }));
    if (late.length > 0) {
      const repeated = await this.records.repeatedLater(late);
      for (const o of late) if (this.engine.hasLaterOffer(o.customerRef, o.offeredTsMs)) repeated.add(o.contactId);
      for (const c of contactRows) if (repeated.has(c.fold.record.contactId)) c.fold.record.repeatedLater = true;
    }
    await this.records.write(contactRows, ticketRows);
  }

  /**
   * A stop's final write: the write in progress is abandoned (RecordStore.abandonWrite: its
   * records and counters are marked changed again) and everything not yet stored goes in one
   * write, where waiting for it first wrote most records twice.
   */
  async finalFlush(): Promise<void> {
    // Nothing leaves memory after it: the process is about to exit.
    this.stopping = true;
    const final = this.flush();
    this.records.abandonWrite();
    await final;
    // flush() keeps a failure for the next write; a stop has none, so the caller is told.
    if (this.writeFailure) throw new Error(`the final write failed (${this.writeFailure})`);
  }

  /** Writes what changed since the last flush; never runs two flushes at once. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      // Events applied before now are in this drain; a margin covers any committed but not yet applied.
      const atMs = this.clock.now();
      const coveredThroughMs = atMs - 60_000;
      // One synchronous step: the records, the counters and the last commit are the same cut
      // (the log applies each commit synchronously, see CommitListener).
      this.engine.advance(atMs);
      const { contacts, tickets } = this.engine.drainChangedRecords();
      let checkpoint: Checkpoint | undefined;
      if (this.checkpointing) {
        checkpoint = {
          buckets: this.engine.takeCheckpoint(),
          throughReceivedMs: this.log.lastCommittedMs,
          atMs,
          horizonDay: this.engine.horizonDay,
          horizonMs: this.engine.horizonMs,
        };
      }
      const offers = this.offers;
      this.offers = [];
      const startedAt = performance.now();
      try {
        // The cut may hold commits applied before they were on disk: written only once they are.
        try {
          await this.log.durable?.();
          await this.records.write(contacts, tickets, coveredThroughMs, checkpoint);
        } finally {
          this.engine.endCut();
        }
        this.lastWriteMs = performance.now() - startedAt;
        const seconds = this.lastWriteMs / 1000;
        if (checkpoint) this.onCheckpointTimed?.(seconds);
        // A write of more than a few seconds holds every later one (and a stop) back: say what it wrote and where its time went.
        if (seconds >= SLOW_WRITE_SEC) {
          const write = this.records.lastWrite;
          this.logger.info({ seconds: Math.round(seconds * 10) / 10, contacts: write?.contacts, tickets: write?.tickets, buckets: write?.buckets, ms: write?.steps.all }, 'slow record write');
        }
      } catch (error) {
        if (error instanceof WriteAbandoned) {
          this.logger.info({ contacts: contacts.length, buckets: checkpoint?.buckets.length }, 'record write abandoned for the final write');
        } else {
          this.writeFailure = withoutPaths(firstLineOf(error));
          this.logger.error({ err: (error as Error).message, contacts: contacts.length }, 'cannot write contact records; will retry');
        }
        this.engine.markChanged(contacts.map((c) => c.fold.record.contactId), tickets.map((t) => t.record.ticketId));
        if (checkpoint) this.engine.remarkCheckpoint(checkpoint.buckets);
        pushAll(this.offers, offers);
        return;
      }
      // A write went through: the store takes writes again (also for the event log's health).
      this.writeFailure = undefined;
      this.log.storeWritable?.();
      if (this.checkpointing && !this.stopping) {
        const pass = this.engine.evictSettledSteps(this.clock.now(), this.evictIdleMs, this.maxHeldContacts, EVICT_SLICE);
        while (!pass.next().done) await nextTurn();
      }
      try {
        // Contacts the engine holds are marked there too (its next write of one keeps the mark, and its counters follow).
        this.engine.markRepeated(await this.records.markRepeats(offers, this.engine.horizonDay));
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'cannot mark repeat contacts in stored days; will retry');
        pushAll(this.offers, offers);
      }
    });
    return this.flushing;
  }

  /**
   * Brings the stored records up to the engine before a report reads them; an HttpError 503
   * naming the cause while they cannot be written (issue 12: stale figures would look current).
   */
  async bringUpToDate(): Promise<void> {
    await this.flush();
    const failure = this.failure;
    if (failure) throw new HttpError(503, `records: the store cannot write records (${failure}); reports would be behind the live figures until it can`);
  }

  /**
   * Why the stored records are behind the live engine (the last write failed, e.g. a full disk),
   * without server paths; undefined while writes go through. Reports read the store, so they
   * answer 503 with this rather than stale figures (issue 12).
   */
  get failure(): string | undefined {
    return this.writeFailure;
  }

  private writeFailure: string | undefined;

  /** Set by `finalFlush`: no eviction pass after the writes of a stop. */
  private stopping = false;

  async close(): Promise<void> {
    this.timed = false;
    clearTimeout(this.timer);
    await this.flush();
  }
}

function firstLineOf(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0].slice(0, 300);
}

