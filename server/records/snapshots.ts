/**
 * What the live engine and the record store exchange (issue 15): snapshots of contacts and
 * tickets as the engine last counted them, counter buckets, and the checkpoint that ties them to
 * a commit of the event log. A module of its own so that neither side imports the other: the
 * engine produces and takes these, the store persists them, server/live/ passes them between.
 */
import type { ContactFold } from '../../shared/contact-fold.ts';
import type { TicketRecord } from '../../shared/attribution.ts';
import type { ScopeKey } from '../../shared/scope.ts';

/** One bucket of a scope's counters, as a checkpoint stores it. */
export interface CounterBucket {
  /** 0: a minute of the ring, 1: a 15-minute interval, 2: a local day. */
  kind: 0 | 1 | 2;
  /** Start (epoch ms) of the minute or interval; 0 for a day. */
  startMs: number;
  /** `YYYY-MM-DD` for a day; '' otherwise. */
  day: string;
  counters: Float64Array;
}

/** A changed counter bucket of one scope, for the checkpoint. */
export interface ScopeBucket extends CounterBucket {
  scope: ScopeKey;
}

/** A contact as the engine last saw it, with the team it resolved for the contact. */
export interface ContactSnapshot {
  fold: ContactFold;
  team?: string;
}

/** A ticket with the queue, site and channel it takes from its contact when it has none. */
export interface TicketSnapshot {
  record: TicketRecord;
  queue?: string;
  site?: string;
  channel?: string;
}

/**
 * The live engine's checkpoint, written with the records in one transaction: the counter buckets
 * that changed, and the commit (`receivedMs` of the event log) the records and counters reflect
 * exactly. A restart restores these and replays only the events committed after it.
 */
export interface Checkpoint {
  buckets: ScopeBucket[];
  /** Every event committed at or before this `receivedMs`, and none after, is reflected. */
  throughReceivedMs: number;
  /** Server time the checkpoint was taken (ticket deadlines up to it are counted). */
  atMs: number;
  /** Buckets of days before this are dropped from the table. */
  horizonDay: string;
  horizonMs: number;
}

/** A checkpoint as a restart reads it back: the commit it reflects and every bucket it holds. */
export interface StoredCheckpoint {
  throughReceivedMs: number;
  atMs: number;
  /**
   * Reads every bucket it holds, each handed over as read: a busy day's checkpoint is a million
   * rows and more, which a restart no longer holds all at once as objects (issue 15).
   */
  readBuckets(each: (bucket: ScopeBucket) => void): Promise<void>;
}
