/**
 * Keeps the contact and ticket records in the store current. Changes the live engine made are
 * written every second (and on shutdown); events older than the engine holds (a day already
 * closed) are merged into their stored records with the same rules before the ingest answers.
 */
import type { CallCentreEvent } from '../../shared/events.ts';
import { foldContactEvent, foldTicketEvent, isContactEvent, isTicketEvent, newContactFold, newTicketRecord } from '../../shared/contact-fold.ts';
import type { Logger } from 'pino';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import type { Checkpoint, ContactSnapshot, RecordStore } from './record-store.ts';
import type { EventLog } from './event-log.ts';

export class RecordSync {
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private offers: Array<{ customerRef: string; offeredTsMs: number }> = [];
  /** Whether flushes write the engine's checkpoint (once the live state is complete: after restore). */
  private checkpointing = false;

  constructor(
    private readonly engine: KpiEngine,
    private readonly records: RecordStore,
    private readonly log: EventLog,
    private readonly clock: { now(): number },
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
    /** Settled contacts unchanged this long leave memory after a write (see KpiEngine.evictSettled). */
    private readonly evictIdleMs = 120_000,
  ) {}

  /**
   * Starts writing on a timer (after a restore, which must not rewrite what is stored), each
   * write with the engine's checkpoint.
   */
  start(): void {
    this.checkpointing = true;
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Called with newly stored events: merges those older than the live state into history. */
  async accept(events: CallCentreEvent[]): Promise<void> {
    const horizonMs = this.engine.horizonMs;
    const old: CallCentreEvent[] = [];
    for (const event of events) {
      if (event.type === 'contact.offered' && event.customerRef !== undefined && !event.drill) {
        this.offers.push({ customerRef: event.customerRef, offeredTsMs: event.ts });
      }
      if (event.ts < horizonMs) old.push(event);
    }
    if (old.length > 0) await this.mergeIntoHistory(old);
  }

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
    await this.records.write([...contacts.values()], [...tickets.values()].map((record) => ({ record })));
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
      try {
        await this.records.write(contacts, tickets, coveredThroughMs, checkpoint);
      } catch (error) {
        this.logger.error({ err: (error as Error).message, contacts: contacts.length }, 'cannot write contact records; will retry');
        this.engine.markChanged(contacts.map((c) => c.fold.record.contactId), tickets.map((t) => t.record.ticketId));
        if (checkpoint) this.engine.remarkCheckpoint(checkpoint.buckets);
        this.offers.push(...offers);
        return;
      }
      if (this.checkpointing) this.engine.evictSettled(this.clock.now(), this.evictIdleMs);
      try {
        await this.records.markRepeats(offers, this.engine.horizonDay);
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'cannot mark repeat contacts in stored days; will retry');
        this.offers.push(...offers);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
