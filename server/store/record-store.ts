/**
 * Contact and ticket records in the DuckDB file: one row per contact (and per ticket), kept
 * current from the events. Reports and month extracts read these rows. Each row also keeps the
 * merge state (`fold`), so an event for a day the live engine no longer holds can be merged into
 * it later with the same rules (shared/contact-fold.ts).
 *
 * DuckDB has no cheap in-place update without an index, and an index over months of contacts
 * would not fit in memory, so a changed record replaces its row: delete by id within the days
 * it can be in, then insert, in one transaction.
 *
 * Pure persistence: the shapes it reads and writes (snapshots, checkpoint) are in
 * server/records/snapshots.ts; what loads them into the live engine is server/live/.
 */
import { DuckDBBlobValue, DuckDBDataChunk, DuckDBTypeId, type DuckDBArrayValue, type DuckDBConnection, type DuckDBType, type DuckDBVector } from '@duckdb/node-api';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { effectiveCloseMs, handleSec, queueOutcome, ticketDeadlineMs, waitSec, type ContactRecord, type TicketRecord } from '../../shared/attribution.ts';
import type { ContactFold } from '../../shared/contact-fold.ts';
import { COUNTER_COUNT, type KpiSettings } from '../../shared/kpi.ts';
import { dayKey, MINUTE_MS, ROLLING_MINUTES, shiftDay } from '../../shared/time.ts';
import { dailyReport, type DailyReportOptions, type DailyRow } from './daily-report.ts';
import { intervalReport, type IntervalReportOptions, type StoredIntervals } from './interval-report.ts';
import type { ScopeKey } from '../../shared/scope.ts';
import { bloomKey } from '../lib/bloom.ts';
import type { Checkpoint, ContactSnapshot, ScopeBucket, StoredCheckpoint, TicketSnapshot } from '../records/snapshots.ts';
import { StoredContactIds } from './stored-contact-ids.ts';
import { minOf } from '../lib/arrays.ts';
import { StepTimes } from '../lib/step-times.ts';
import { Turns } from '../lib/turns.ts';

export const RECORD_SCHEMA = `
CREATE TABLE IF NOT EXISTS contacts (
  contact_id VARCHAR NOT NULL,
  day VARCHAR NOT NULL,
  queue VARCHAR, site VARCHAR, handling_site VARCHAR, team VARCHAR, agent_id VARCHAR, channel VARCHAR,
  customer_ref VARCHAR, drill BOOLEAN NOT NULL,
  offered_ms BIGINT, answered_ms BIGINT, abandoned_ms BIGINT, flowed_out_ms BIGINT, flow_out_reason VARCHAR,
  outcome VARCHAR, wait_sec DOUBLE, transfers INTEGER NOT NULL,
  ended_ms BIGINT, talk_sec DOUBLE, hold_sec DOUBLE, wrapped_ms BIGINT, handle_sec DOUBLE,
  resolved_ms BIGINT, first_contact BOOLEAN, repeated_later BOOLEAN NOT NULL,
  survey_ms BIGINT, survey_score DOUBLE, survey_scale INTEGER,
  fold JSON NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
  ticket_id VARCHAR NOT NULL,
  day VARCHAR NOT NULL,
  tier VARCHAR, category VARCHAR, complaint BOOLEAN NOT NULL, contact_id VARCHAR,
  queue VARCHAR, site VARCHAR, team VARCHAR, channel VARCHAR, drill BOOLEAN NOT NULL,
  opened_ms BIGINT, deadline_ms BIGINT, closed_ms BIGINT, confirmed BOOLEAN, reopens INTEGER NOT NULL,
  escalated_ms BIGINT, notified_ms BIGINT, acknowledged_ms BIGINT, feedback_ms BIGINT,
  record JSON NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS record_sync (covered_through_ms BIGINT NOT NULL);
ALTER TABLE record_sync ADD COLUMN IF NOT EXISTS exact BOOLEAN DEFAULT false;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS contact_key BIGINT;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS customer_key BIGINT;
ALTER TABLE record_sync ADD COLUMN IF NOT EXISTS at_ms BIGINT;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS orphaned_ms BIGINT;
CREATE TABLE IF NOT EXISTS live_counters (
  k VARCHAR NOT NULL, scope VARCHAR NOT NULL, kind TINYINT NOT NULL, start_ms BIGINT NOT NULL, day VARCHAR NOT NULL,
  counters VARCHAR NOT NULL
);`;

/** A checkpoint slice's rows, from the JSON bytes in $1 (see writeCheckpoint). */
const CHECKPOINT_ROWS_SQL = `(SELECT unnest(from_json(decode($1), '[{"k":"VARCHAR","s":"VARCHAR","t":"TINYINT","m":"BIGINT","d":"VARCHAR","c":"JSON"}]')) AS r)`;

/** Checkpoint buckets serialised per statement (5,000 took up to 92 ms of one task at 20,000 events/s). */
const CHECKPOINT_SLICE = 2000;

/** Contacts of a write looked up in the stored-contact filter between turns of the event loop. */
const DELETE_LOOK_SLICE = 5000;

/** A bucket's key: `kind|scope|day` for a day, `kind|scope|startMs` for a minute or an interval. */
export function bucketKey(b: ScopeBucket): string {
  return `${b.kind}|${b.scope}|${b.kind === 2 ? b.day : b.startMs}`;
}

/**
 * A bucket's counters as stored: a JSON array of numbers (each the shortest text that reads back
 * as the same double): 57 characters a bucket on the demo's data against 280 for the base64 of
 * their bytes, since most are 0 or small
 * (issue 15: every two seconds a checkpoint writes the buckets that changed, tens of thousands
 * at 20,000 events/s). A value JSON cannot hold (never a sum of counts) keeps the base64 form.
 */
export function countersText(counters: Float64Array): string {
  let text = '[';
  for (let i = 0; i < counters.length; i++) {
    const v = counters[i];
    if (!Number.isFinite(v)) return JSON.stringify(Buffer.from(counters.buffer, counters.byteOffset, counters.byteLength).toString('base64'));
    text += i > 0 ? `,${v}` : `${v}`;
  }
  return `${text}]`;
}

/** Counters as stored: the JSON array `countersText` writes, or the base64 of their bytes (earlier checkpoints, and values JSON cannot hold). */
export function countersOf(stored: string): Float64Array {
  if (stored.startsWith('[')) return Float64Array.from(JSON.parse(stored) as number[]);
  const text = stored.startsWith('"') ? (JSON.parse(stored) as string) : stored;
  const bytes = Buffer.from(text, 'base64');
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * The counters of a chunk's `DOUBLE[COUNTER_COUNT]` column, row by row (copies). Its values are
 * one contiguous run of doubles in DuckDB's vector; node-api keeps them as a Float64Array behind
 * the array vector (not part of its typed interface), and where that is not so, each row is read
 * through `getItem`.
 */
function countersColumn(vector: DuckDBVector, rowCount: number): (row: number) => Float64Array {
  const values = (vector as unknown as { childData?: { items?: unknown } }).childData?.items;
  if (values instanceof Float64Array && values.length >= rowCount * COUNTER_COUNT) {
    return (row) => values.slice(row * COUNTER_COUNT, (row + 1) * COUNTER_COUNT);
  }
  return (row) => Float64Array.from((vector.getItem(row) as DuckDBArrayValue).items as number[]);
}

/** The local day a contact belongs to: of its offer, else of its earliest known event. */
export function contactDay(r: ContactRecord, timeZone: string): string {
  const first = r.offeredTsMs ?? Math.min(...[r.answeredTsMs, r.abandonedTsMs, r.flowedOutTsMs, r.orphanedTsMs, r.endedTsMs, r.wrappedTsMs, r.resolvedTsMs, r.surveyTsMs].filter((t): t is number => t !== undefined));
  return dayKey(Number.isFinite(first) ? first : 0, timeZone);
}

function ticketDay(t: TicketRecord, timeZone: string): string {
  const first = t.openedTsMs ?? Math.min(...[t.escalatedTsMs, ...t.closedTsMs].filter((x): x is number => x !== undefined));
  return dayKey(Number.isFinite(first) ? first : 0, timeZone);
}

function contactRow(c: ContactSnapshot, timeZone: string, nowMs: number): Record<string, unknown> {
  const r = c.fold.record;
  const outcome = queueOutcome(r);
  return {
    contact_id: r.contactId,
    day: contactDay(r, timeZone),
    queue: r.queue ?? null,
    site: r.site ?? null,
    handling_site: r.handlingSite ?? null,
    team: c.team ?? null,
    agent_id: r.agentId ?? null,
    channel: r.channel ?? null,
    customer_ref: r.customerRef ?? null,
    drill: r.drill,
    offered_ms: r.offeredTsMs ?? null,
    answered_ms: r.answeredTsMs ?? null,
    abandoned_ms: r.abandonedTsMs ?? null,
    flowed_out_ms: r.flowedOutTsMs ?? null,
    flow_out_reason: r.flowOutReason ?? null,
    // Left the queue with no outcome (PBX restart): offered only, and not waiting (the outcome column stays empty).
    orphaned_ms: r.orphanedTsMs ?? null,
    outcome: outcome?.outcome ?? null,
    wait_sec: waitSec(r),
    transfers: r.transferTsMs.length,
    ended_ms: r.endedTsMs ?? null,
    talk_sec: r.talkSec ?? null,
    hold_sec: r.holdSec ?? null,
    wrapped_ms: r.wrappedTsMs ?? null,
    handle_sec: r.wrappedTsMs !== undefined ? handleSec(r) : null,
    resolved_ms: r.resolvedTsMs ?? null,
    first_contact: r.firstContact ?? null,
    repeated_later: r.repeatedLater,
    survey_ms: r.surveyTsMs ?? null,
    survey_score: r.surveyScore ?? null,
    survey_scale: r.surveyScore !== undefined ? (r.surveyScale ?? 5) : null,
    fold: { ...c.fold, team: c.team },
    updated_ms: nowMs,
    // Hash keys of the id and customer (see lib/bloom.ts): a restart reads these numbers, not strings.
    contact_key: bloomKey(r.contactId),
    customer_key: r.customerRef !== undefined ? bloomKey(r.customerRef) : null,
  };
}

function ticketRow(s: TicketSnapshot, timeZone: string, settings: KpiSettings, nowMs: number): Record<string, unknown> {
  const t = s.record;
  return {
    ticket_id: t.ticketId,
    day: ticketDay(t, timeZone),
    tier: t.tier ?? null,
    category: t.category ?? null,
    complaint: t.complaint,
    contact_id: t.contactId ?? null,
    queue: t.queue ?? s.queue ?? null,
    site: t.site ?? s.site ?? null,
    team: t.team ?? null,
    channel: t.channel ?? s.channel ?? null,
    drill: t.drill,
    opened_ms: t.openedTsMs ?? null,
    deadline_ms: ticketDeadlineMs(t, settings),
    closed_ms: effectiveCloseMs(t),
    confirmed: t.confirmed ?? null,
    reopens: t.reopenedTsMs.length,
    escalated_ms: t.escalatedTsMs ?? null,
    notified_ms: t.notifiedTsMs ?? null,
    acknowledged_ms: t.acknowledgedTsMs ?? null,
    feedback_ms: t.feedbackTsMs ?? null,
    record: { ...t, queue: t.queue ?? s.queue, site: t.site ?? s.site, channel: t.channel ?? s.channel },
    updated_ms: nowMs,
  };
}

function snapshotOf(foldJson: string, repeatedLater: boolean): ContactSnapshot {
  const { team, ...fold } = JSON.parse(foldJson) as ContactFold & { team?: string };
  // The FCR repeat rule over stored days updates the column, not the JSON.
  fold.record.repeatedLater = repeatedLater;
  return { fold, team };
}

const DAY_MS = 86_400_000;

/** The first day a stored row of a record of `day` may be in: a row can only have moved by a day or so (a late offer). */
function lookFrom(day: string): string {
  return shiftDay(day, -2);
}

/** A write in progress: whether `abandonWrite` stopped it, and whether its COMMIT has begun (then it finishes). */
interface WriteInProgress {
  abandoned: boolean;
  committing: boolean;
}

/** A record write's sizes and the time of its steps (delete, insert, checkpoint, commit). */
export interface WriteSteps {
  contacts: number;
  tickets: number;
  buckets: number;
  steps: StepTimes;
}

/**
 * How far back from its time a checkpoint keeps minute buckets: the engine uses none older than
 * 61 minutes before the start of the current minute (the 60-minute window and the minute in
 * progress; engine-state.ts), and a restart is later than the checkpoint.
 */
const CHECKPOINT_MINUTES_MS = (ROLLING_MINUTES['60m'] + 2) * MINUTE_MS;

/** Records appended per data chunk (a few milliseconds of the event loop each). */
const APPEND_SLICE = 500;

export class RecordStore {
  /** Which contacts may have a row already (their rewrite deletes it first); see stored-contact-ids.ts. */
  private readonly storedContacts = new StoredContactIds();
  /** Contact rows written without looking for an old row to delete (certainly new), since start. */
  newContactRowsWritten = 0;

  /**
   * `db` takes the writes (one transaction at a time, see `exclusive`) and the reads that must
   * not see a write half done (reports); `reads` the reads of the live loop (seeding, merges,
   * restore), one at a time too (see `reading`), so they see committed rows only and never wait
   * for a write. One DuckDB connection runs one statement at a time: a seed's read on the write
   * connection, started while a write's appender or statement was under way, failed that write
   * ("closed pending query result", a whole write of tens of thousands of records done again)
   * or read inside its open transaction, where the rows it replaces were already deleted.
   * `connect` opens further connections of the same file (targets, retention, month extracts).
   */
  private constructor(
    private readonly db: DuckDBConnection,
    private readonly reads: DuckDBConnection,
    private readonly openConnection: () => Promise<DuckDBConnection>,
    private readonly options: { timeZone: string; settings: KpiSettings; clock: { now(): number } },
  ) {}

  /**
   * Another connection of this file, for work with transactions of its own (targets, retention,
   * month extracts); closed with the store (an open connection keeps DuckDB's file open).
   */
  readonly connect = async (): Promise<DuckDBConnection> => {
    const connection = await this.openConnection();
    this.others.push(connection);
    return connection;
  };

  private readonly others: DuckDBConnection[] = [];

  /** A record store on the DuckDB file that `connect` opens connections of (two of them, see the constructor). */
  static async open(connect: () => Promise<DuckDBConnection>, options: { timeZone: string; settings: KpiSettings; clock: { now(): number } }): Promise<RecordStore> {
    const db = await connect();
    try {
      return new RecordStore(db, await connect(), connect, options);
    } catch (error) {
      db.closeSync();
      throw error;
    }
  }

  /** Daily KPIs per group from the stored records (see daily-report.ts). */
  daily(options: Omit<DailyReportOptions, 'timeZone' | 'settings' | 'nowMs'>): Promise<DailyRow[]> {
    const { timeZone, settings, clock } = this.options;
    // Not inside a write's open transaction, whose snapshot may predate the latest events.
    return this.exclusive(() => dailyReport(this.db, { ...options, timeZone, settings, nowMs: clock.now() }));
  }

  /** One scope's counters per 15-minute interval of a day, and the day's agent states (see interval-report.ts). */
  intervals(options: Omit<IntervalReportOptions, 'timeZone' | 'settings' | 'nowMs'>): Promise<StoredIntervals> {
    const { timeZone, settings, clock } = this.options;
    return this.exclusive(() => intervalReport(this.db, { ...options, timeZone, settings, nowMs: clock.now() }));
  }

  /** Stored tickets that are open (not closed, or reopened since), drills left out. */
  openTickets(): Promise<TicketSnapshot[]> {
    return this.exclusive(async () => {
      const reader = await this.db.runAndReadAll('SELECT record::VARCHAR FROM tickets WHERE closed_ms IS NULL AND NOT drill');
      return reader.getRows().map(([json]) => ({ record: JSON.parse(json as string) as TicketRecord }));
    });
  }

  /**
   * Runs a read of the record tables between writes (never inside a write's open transaction),
   * for queries kept next to the route that needs them (server/store/kpi-population-sql.ts).
   */
  read<T>(query: (db: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.exclusive(() => query(this.db));
  }

  close(): void {
    for (const connection of this.others.splice(0)) connection.closeSync();
    this.reads.closeSync();
    this.db.closeSync();
  }

  /** Events stored before this time are reflected in the records (null: no record write yet). */
  coveredThrough(): Promise<number | null> {
    return this.reading(async (db) => {
      const reader = await db.runAndReadAll('SELECT max(covered_through_ms) FROM record_sync');
      const value = reader.getRows()[0]?.[0];
      return value === null || value === undefined ? null : Number(value);
    });
  }

  async prepare(): Promise<void> {
    await this.db.run(RECORD_SCHEMA);
  }

  /** Whether the stored contacts' keys were read (at the first write; see StoredContactIds). */
  private storedContactsRead = false;

  /**
   * Replaces the rows of these contacts and tickets (one transaction). `coveredThroughMs`: every
   * event stored before it is reflected in the records once this write commits.
   */
  write(contacts: ContactSnapshot[], tickets: TicketSnapshot[], coveredThroughMs?: number, checkpoint?: Checkpoint): Promise<void> {
    if (contacts.length === 0 && tickets.length === 0 && coveredThroughMs === undefined && checkpoint === undefined) return Promise.resolve();
    return this.exclusive(() => this.writeNow(contacts, tickets, coveredThroughMs, checkpoint));
  }

  /**
   * Runs writes one at a time: they share one connection, and a transaction begun while another
   * is open would fail (or a rollback of one would take the other's rows with it).
   */
  private exclusive<T>(write: () => Promise<T>): Promise<T> {
    return this.writeTurns.run(write);
  }

  private readonly writeTurns = new Turns();

  /** Runs a read of the live loop on the read connection, after the reads before it (see the constructor). */
  private reading<T>(read: (db: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.readTurns.run(() => read(this.reads));
  }

  private readonly readTurns = new Turns();

  private async writeNow(contacts: ContactSnapshot[], tickets: TicketSnapshot[], coveredThroughMs?: number, checkpoint?: Checkpoint): Promise<void> {
    const { timeZone, settings, clock } = this.options;
    const nowMs = clock.now();
    if (!this.storedContactsRead) {
      // Once, inside the first write's turn: no other query of this connection runs then (a query
      // while another's result is still being read would cut that one short, and the start-up
      // restore reads this connection's tables before any write). If it fails, every rewrite
      // deletes as before.
      this.storedContactsRead = true;
      await this.storedContacts.load(this.db, dayKey(nowMs - 3 * DAY_MS, timeZone)).catch(() => undefined);
    }
    const steps = new StepTimes();
    this.lastWrite = { contacts: contacts.length, tickets: tickets.length, buckets: checkpoint?.buckets.length ?? 0, steps };
    await this.db.run('BEGIN TRANSACTION');
    const write: WriteInProgress = { abandoned: false, committing: false };
    // Only a write with a checkpoint (the timed ones) can be abandoned: a merge's write holds an ingest's answer.
    if (checkpoint !== undefined) this.current = write;
    try {
      // The rows these records replace, in one DELETE per table: a DELETE scans every row of the
      // days it looks in (millions on a busy day) whatever the number of ids, so one per slice
      // cost that scan five times a second at 20,000 events/s (issue 15).
      if (contacts.length > 0) {
        const ids: string[] = [];
        const days: string[] = [];
        // The look-back of the day before, kept while days repeat (nearly all of a write's
        // contacts are of one day): computed per contact it was 100–360 ms of one task.
        let lastDay = '';
        let from = '';
        let looked = 0;
        for (const { fold: { record: r } } of contacts) {
          const day = contactDay(r, timeZone);
          if (day !== lastDay) [lastDay, from] = [day, lookFrom(day)];
          // A turn of the event loop every few thousand (at 20,000 events/s a write replaces
          // 45,000–60,000 contacts: 40–190 ms of one task).
          if (++looked % DELETE_LOOK_SLICE === 0) await nextTurn();
          if (this.storedContacts.surelyAbsent(bloomKey(r.contactId), from)) continue;
          ids.push(r.contactId);
          days.push(day);
        }
        this.newContactRowsWritten += contacts.length - ids.length;
        await this.deleteRows('contacts', 'contact_id', ids, days);
      }
      if (tickets.length > 0) await this.deleteRows('tickets', 'ticket_id', tickets.map((t) => t.record.ticketId), tickets.map((t) => ticketDay(t.record, timeZone)));
      steps.done('delete');
      this.goOn();
      // The rows in slices, each built just before it is appended: one slice blocks the event
      // loop for a few milliseconds, where all of a busy second's records at once would stall the
      // screens. A contact that changes between slices is still written as of the cut (the
      // engine's snapshots read through a RecordCut) and marked again for the next write.
      if (contacts.length > 0) {
        await this.appendRows('contacts', contacts.length, (from, to) => {
          const rows = contacts.slice(from, to).map((c) => contactRow(c, timeZone, nowMs));
          for (const r of rows) this.storedContacts.note(r.day as string, r.contact_key as number);
          return rows;
        });
      }
      if (tickets.length > 0) await this.appendRows('tickets', tickets.length, (from, to) => tickets.slice(from, to).map((t) => ticketRow(t, timeZone, settings, nowMs)));
      steps.done('insert');
      if (checkpoint !== undefined) {
        await this.writeCheckpoint(checkpoint);
      } else if (coveredThroughMs !== undefined) {
        await this.db.run('DELETE FROM record_sync');
        await this.db.run('INSERT INTO record_sync VALUES ($1, false, NULL)', [BigInt(coveredThroughMs)]);
      }
      steps.done('checkpoint');
      this.goOn();
      write.committing = true;
      await this.db.run('COMMIT');
      steps.done('commit');
    } catch (error) {
      await this.db.run('ROLLBACK').catch(() => undefined);
      throw write.abandoned ? new WriteAbandoned() : error;
    } finally {
      this.current = null;
    }
  }

  /** The abandonable write in progress (see `abandonWrite`). */
  private current: WriteInProgress | null = null;

  /**
   * Stops the write with a checkpoint in progress, unless its COMMIT has begun: its running statement is
   * interrupted (or it stops at its next step), it rolls back and rejects with WriteAbandoned,
   * and the caller marks its records changed again. For a stop: the final write takes everything
   * that write had, so letting it finish first would write its records twice (on a busy full day
   * a write is 7–12 s, and a stop has 9). Returns whether there was one to stop.
   */
  abandonWrite(): boolean {
    const write = this.current;
    if (!write || write.committing) return false;
    write.abandoned = true;
    this.db.interrupt();
    return true;
  }

  /** Between the steps of a write: throws if it was abandoned (an interrupt is lost when no statement runs). */
  private goOn(): void {
    if (this.current?.abandoned) throw new WriteAbandoned();
  }

  /** What the last write wrote and how long its steps took (for the log of a slow write). */
  lastWrite: WriteSteps | null = null;

  private async writeCheckpoint(c: Checkpoint): Promise<void> {
    // The buckets go to a temporary table (in slices, each serialised just before its
    // statement), then replace their stored rows with one DELETE: each DELETE scans the whole
    // table (a million rows and more on a busy day), so one per slice cost that scan up to ten
    // times a write (issue 15).
    await this.db.run('CREATE TEMP TABLE IF NOT EXISTS checkpoint_rows AS SELECT * FROM live_counters LIMIT 0');
    await this.db.run('DELETE FROM checkpoint_rows');
    if (c.buckets.length > 0) {
      // As compact JSON bytes that DuckDB parses on its threads, a slice at a time: the appender
      // (as for contact rows) cost the main thread 4–5 µs a bucket against 2.4 µs for this
      // (profiles of 100,000-bucket writes), and a checkpoint at 20,000 events/s is tens of
      // thousands of buckets a write.
      for (let i = 0; i < c.buckets.length; i += CHECKPOINT_SLICE) {
        this.goOn();
        const slice = c.buckets.slice(i, i + CHECKPOINT_SLICE);
        let json = '[';
        for (let j = 0; j < slice.length; j++) {
          const b = slice[j];
          json += `${j > 0 ? ',' : ''}{"k":${JSON.stringify(bucketKey(b))},"s":${JSON.stringify(b.scope)},"t":${b.kind},"m":${b.startMs},"d":${JSON.stringify(b.day)},"c":${countersText(b.counters)}}`;
        }
        await this.db.run(`INSERT INTO checkpoint_rows SELECT r.k, r.s, r.t, r.m, r.d, r.c FROM ${CHECKPOINT_ROWS_SQL}`, [jsonBytes(`${json}]`)]);
      }
      await this.db.run('DELETE FROM live_counters WHERE k IN (SELECT k FROM checkpoint_rows)');
      await this.db.run('INSERT INTO live_counters SELECT * FROM checkpoint_rows');
      await this.db.run('DELETE FROM checkpoint_rows');
    }
    // Minutes older than any rolling window (see CHECKPOINT_MINUTES_MS), and intervals and days
    // the live state no longer holds. Minutes were kept 3 hours before: on a busy day most of the
    // rows a restart read (10,000 agents' minutes).
    await this.db.run(
      'DELETE FROM live_counters WHERE (kind = 0 AND start_ms < $1) OR (kind = 1 AND start_ms < $2) OR (kind = 2 AND day < $3)',
      [BigInt(c.atMs - CHECKPOINT_MINUTES_MS), BigInt(c.horizonMs - 15 * 60_000), c.horizonDay],
    );
    await this.db.run('DELETE FROM record_sync');
    await this.db.run('INSERT INTO record_sync VALUES ($1, true, $2)', [BigInt(c.throughReceivedMs), BigInt(c.atMs)]);
  }

  /** The last checkpoint: the commit it reflects and its counter buckets; null when there is none. */
  async loadCheckpoint(): Promise<StoredCheckpoint | null> {
    const sync = await this.reading((db) => db.runAndReadAll('SELECT CAST(max(covered_through_ms) AS DOUBLE), bool_and(exact), CAST(max(at_ms) AS DOUBLE) FROM record_sync'));
    const [through, exact, atMs] = sync.getRows()[0] ?? [];
    if (through === null || through === undefined || exact !== true) return null;
    // Read as numbers wherever it can be (issue 15: a busy day's checkpoint is half a million rows
    // and more, and reading each row's texts took most of a restart): each scope's name only on
    // its first row (in scope order), a day only for day buckets, and the counters parsed by
    // DuckDB into a fixed-size array; rows of another form (base64, or another number of
    // counters) come as text and are read by countersOf.
    const fixed = `starts_with(counters, '[') AND json_array_length(counters) = ${COUNTER_COUNT}`;
    const readBuckets = (each: (bucket: ScopeBucket) => void) => this.reading(async (db) => {
      const result = await db.stream(
        `SELECT CASE WHEN scope IS DISTINCT FROM lag(scope) OVER (ORDER BY scope, kind, start_ms, day) THEN scope END,
           kind, CAST(start_ms AS DOUBLE), CASE WHEN kind = 2 THEN day ELSE '' END,
           CASE WHEN ${fixed} THEN CAST(from_json(counters, '["DOUBLE"]') AS DOUBLE[${COUNTER_COUNT}]) END,
           CASE WHEN NOT (${fixed}) THEN counters END
         FROM live_counters ORDER BY scope, kind, start_ms, day`,
      );
      let scope = '' as ScopeKey;
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        const [scopes, kinds, starts, days] = [0, 1, 2, 3].map((i) => chunk.getColumnVector(i).toArray());
        const counters = countersColumn(chunk.getColumnVector(4), chunk.rowCount);
        const texts = chunk.getColumnVector(5).toArray();
        for (let i = 0, rows = chunk.rowCount; i < rows; i++) {
          if (scopes[i] !== null) scope = scopes[i] as ScopeKey;
          each({
            scope,
            kind: kinds[i] as 0 | 1 | 2,
            startMs: starts[i] as number,
            day: days[i] as string,
            counters: texts[i] !== null ? countersOf(texts[i] as string) : counters(i),
          });
        }
      }
    });
    return { throughReceivedMs: Number(through), atMs: Number(atMs), readBuckets };
  }

  /** Contacts of these days on that are still waiting in queue (live state a restart rebuilds); not the orphaned. */
  loadWaitingContacts(fromDay: string): Promise<ContactSnapshot[]> {
    return this.reading(async (db) => {
      const reader = await db.runAndReadAll(
        'SELECT fold::VARCHAR, repeated_later FROM contacts WHERE day >= $1 AND NOT drill AND offered_ms IS NOT NULL AND outcome IS NULL AND orphaned_ms IS NULL',
        [fromDay],
      );
      return reader.getRows().map(([json, repeated]) => snapshotOf(json as string, repeated as boolean));
    });
  }

  /**
   * Tickets of these days on that a restart must hold: open ones (their deadlines must still
   * fire) and those waiting for their contact's offer to learn their queue, site or channel.
   */
  loadLiveTickets(fromDay: string): Promise<TicketRecord[]> {
    return this.reading(async (db) => {
      const reader = await db.runAndReadAll(
        `SELECT record::VARCHAR FROM tickets WHERE day >= $1
         AND (closed_ms IS NULL OR (contact_id IS NOT NULL AND (queue IS NULL OR site IS NULL OR channel IS NULL)))`,
        [fromDay],
      );
      return reader.getRows().map(([json]) => JSON.parse(json as string) as TicketRecord);
    });
  }

  /** Ids of the tickets of these days on. */
  forEachTicket(fromDay: string, each: (ticketId: string) => void): Promise<void> {
    return this.reading(async (db) => {
      const result = await db.stream('SELECT ticket_id FROM tickets WHERE day >= $1', [fromDay]);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        for (const id of chunk.getColumnVector(0).toArray()) each(id as string);
      }
    });
  }

  /**
   * Contacts and tickets the live days count: of those days, or written since they began (an
   * older contact with a late survey). For rebuilding the live state where there is no checkpoint.
   */
  forEachLiveRecord(fromDay: string, sinceMs: number, contact: (snapshot: ContactSnapshot) => void, ticket: (record: TicketRecord) => void): Promise<void> {
    return this.reading(async (db) => {
      const contacts = await db.stream(
        'SELECT fold::VARCHAR, repeated_later FROM contacts WHERE day >= $1 OR updated_ms >= $2',
        [fromDay, BigInt(sinceMs)],
      );
      for (let chunk = await contacts.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await contacts.fetchChunk()) {
        const [folds, repeated] = [0, 1].map((i) => chunk.getColumnVector(i).toArray());
        for (let i = 0, rows = chunk.rowCount; i < rows; i++) contact(snapshotOf(folds[i] as string, repeated[i] as boolean));
      }
      const tickets = await db.stream('SELECT record::VARCHAR FROM tickets WHERE day >= $1 OR updated_ms >= $2', [fromDay, BigInt(sinceMs)]);
      for (let chunk = await tickets.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await tickets.fetchChunk()) {
        for (const json of chunk.getColumnVector(0).toArray()) ticket(JSON.parse(json as string) as TicketRecord);
      }
    });
  }

  /**
   * The hash keys (see lib/bloom.ts) of every contact of these days on and of its customer: a
   * restart's memory of what is stored. Rows written without keys (imported) are hashed here.
   */
  forEachContactKey(fromDay: string, each: (contactKey: number, customerKey: number | null) => void): Promise<void> {
    return this.reading(async (db) => {
      const keyed = await db.stream(
        'SELECT CAST(contact_key AS DOUBLE), CAST(customer_key AS DOUBLE) FROM contacts WHERE day >= $1 AND contact_key IS NOT NULL',
        [fromDay],
      );
      for (let chunk = await keyed.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await keyed.fetchChunk()) {
        const [contacts, customers] = [0, 1].map((i) => chunk.getColumnVector(i).toArray() as Array<number | null>);
        for (let i = 0, rows = chunk.rowCount; i < rows; i++) each(contacts[i]!, customers[i]);
      }
      const unkeyed = await db.stream('SELECT contact_id, customer_ref FROM contacts WHERE day >= $1 AND contact_key IS NULL', [fromDay]);
      for (let chunk = await unkeyed.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await unkeyed.fetchChunk()) {
        const [ids, refs] = [0, 1].map((i) => chunk.getColumnVector(i).toArray() as Array<string | null>);
        for (let i = 0, rows = chunk.rowCount; i < rows; i++) each(bloomKey(ids[i]!), refs[i] === null ? null : bloomKey(refs[i]!));
      }
    });
  }

  /**
   * Fills in the hash keys of contacts stored without them (imported, or by an older version),
   * so later restarts read numbers only. Once, after a rebuild from records.
   */
  backfillKeys(fromDay: string): Promise<number> {
    return this.exclusive(async () => {
      const reader = await this.db.runAndReadAll('SELECT contact_id, customer_ref FROM contacts WHERE day >= $1 AND contact_key IS NULL', [fromDay]);
      const [ids, refs] = reader.getColumns() as [string[], Array<string | null>];
      if (!ids || ids.length === 0) return 0;
      for (let i = 0; i < ids.length; i += 200_000) {
        const rows = [];
        for (let j = i; j < Math.min(ids.length, i + 200_000); j++) rows.push({ id: ids[j], ck: bloomKey(ids[j]), uk: refs[j] === null ? null : bloomKey(refs[j]!) });
        await this.db.run(
          `UPDATE contacts SET contact_key = k.ck, customer_key = k.uk
           FROM (SELECT unnest(from_json(decode($1), '[{"id":"VARCHAR","ck":"BIGINT","uk":"BIGINT"}]'), recursive := true)) k
           WHERE contacts.contact_id = k.id AND contacts.day >= $2 AND contacts.contact_key IS NULL`,
          [jsonBytes(JSON.stringify(rows)), fromDay],
        );
      }
      return ids.length;
    });
  }

  /** Stored contacts of these customers from `fromDay` on (a new call may make one a repeat). */
  loadContactsOfCustomers(refs: string[], fromDay: string): Promise<ContactSnapshot[]> {
    return this.reading(async (db) => {
      const reader = await db.runAndReadAll(
        `SELECT fold::VARCHAR, repeated_later FROM contacts WHERE day >= $2 AND customer_ref IN (SELECT unnest(from_json(decode($1), '["VARCHAR"]')))`,
        [jsonBytes(JSON.stringify(refs)), fromDay],
      );
      return reader.getRows().map(([json, repeated]) => snapshotOf(json as string, repeated as boolean));
    });
  }

  /** Deletes the stored rows of these ids, in the days from two before the earliest of `days` on (a row moves by a day or so at most: a late offer). */
  private async deleteRows(table: 'contacts' | 'tickets', idColumn: string, ids: string[], days: string[]): Promise<void> {
    if (ids.length === 0) return;
    const firstDay = days.reduce((min, day) => (day < min ? day : min), days[0]);
    await this.db.run(`DELETE FROM ${table} WHERE day >= $1 AND ${idColumn} IN (SELECT unnest(from_json(decode($2), '["VARCHAR"]')))`, [lookFrom(firstDay), jsonBytes(JSON.stringify(ids))]);
  }

  /**
   * Appends `count` rows to the table (in this connection's open transaction: a rollback takes
   * them back), built a slice at a time by `rowsOf(from, to)`, with DuckDB's appender: column by
   * column into a data chunk. An INSERT of the same rows as JSON cost DuckDB 25–40 µs a contact
   * to parse (and far more when the ingest had the cores), where the appender costs about as much
   * main-thread time as serialising the JSON did and nothing after (issue 15).
   */
  private async appendRows(table: 'contacts' | 'tickets', count: number, rowsOf: (from: number, to: number) => Array<Record<string, unknown>>): Promise<void> {
    const columns = (this.columnsOf[table] ??= (await this.db.runAndReadAll(
      'SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = current_schema() AND table_name = $1 ORDER BY column_index',
      [table],
    )).getRows().map(([name]) => name as string));
    const appender = await this.db.createAppender(table);
    let appended = false;
    try {
      const types: DuckDBType[] = columns.map((_, i) => appender.columnType(i));
      const bigint = types.map((type) => type.typeId === DuckDBTypeId.BIGINT);
      for (let from = 0; from < count; from += APPEND_SLICE) {
        if (from > 0) await nextTurn();
        this.goOn();
        const rows = rowsOf(from, Math.min(count, from + APPEND_SLICE));
        const values = columns.map((name, c) => rows.map((row) => {
          const value = row[name];
          if (value === undefined || value === null) return null;
          if (bigint[c]) return BigInt(value as number);
          // The JSON columns (`fold`, `record`) are given objects.
          return typeof value === 'object' ? JSON.stringify(value) : value;
        }));
        const chunk = DuckDBDataChunk.create(types, rows.length);
        // Each value already as its column takes it (number, bigint, boolean, string or null):
        // set as is, where a converter wrapped every value first (twice the main-thread time).
        chunk.setColumns(values as never);
        appender.appendDataChunk(chunk);
        appender.flushSync();
      }
      appended = true;
    } finally {
      // After a failure nothing half-appended is flushed by the close (the caller rolls back).
      if (!appended) appender.clear();
      appender.closeSync();
    }
  }

  /** Each record table's columns in order (fixed once `prepare` ran). */
  private readonly columnsOf: Partial<Record<'contacts' | 'tickets', string[]>> = {};

  /** The stored merge state of these contacts (for events older than the live engine holds). */
  async loadContacts(ids: string[], nearDay?: string): Promise<Map<string, ContactSnapshot>> {
    // Contacts the live engine asks for are almost all of its own days: look there first, so
    // DuckDB skips the row groups of older days; only the rest is looked for further back.
    const near = nearDay !== undefined ? await this.readContacts(ids, nearDay) : new Map<string, ContactSnapshot>();
    const rest = near.size === ids.length ? [] : ids.filter((id) => !near.has(id));
    if (rest.length > 0) for (const [id, snapshot] of await this.readContacts(rest)) near.set(id, snapshot);
    return near;
  }

  private readContacts(ids: string[], fromDay?: string): Promise<Map<string, ContactSnapshot>> {
    return this.reading(async (db) => {
      const reader = await db.runAndReadAll(
        `SELECT contact_id, fold::VARCHAR, repeated_later FROM contacts WHERE contact_id IN (SELECT unnest(from_json(decode($1), '["VARCHAR"]')))${fromDay !== undefined ? ' AND day >= $2' : ''}`,
        fromDay !== undefined ? [jsonBytes(JSON.stringify(ids)), fromDay] : [jsonBytes(JSON.stringify(ids))],
      );
      const out = new Map<string, ContactSnapshot>();
      for (const [id, foldJson, repeated] of reader.getRows()) out.set(id as string, snapshotOf(foldJson as string, repeated as boolean));
      return out;
    });
  }

  /**
   * Whether a contact of each customer was offered after the given time and within the repeat
   * window of it (the FCR repeat rule for an offer that came late: a later call makes it a repeat).
   */
  repeatedLater(offers: Array<{ contactId: string; customerRef: string; offeredTsMs: number }>): Promise<Set<string>> {
    return this.reading(async (db) => {
      if (offers.length === 0) return new Set();
      const windowMs = this.options.settings.fcrRepeatDays * DAY_MS;
      const fromDay = dayKey(minOf(offers.map((o) => o.offeredTsMs)) - DAY_MS, this.options.timeZone);
      const reader = await db.runAndReadAll(
        `WITH mine AS (SELECT unnest(from_json(decode($1), '[{"contactId":"VARCHAR","customerRef":"VARCHAR","offeredTsMs":"BIGINT"}]'), recursive := true))
         SELECT DISTINCT mine.contactId FROM mine JOIN contacts c ON c.customer_ref = mine.customerRef
         WHERE c.day >= $2 AND c.contact_id <> mine.contactId AND NOT c.drill AND c.offered_ms > mine.offeredTsMs AND c.offered_ms - mine.offeredTsMs <= $3`,
        [jsonBytes(JSON.stringify(offers)), fromDay, BigInt(windowMs)],
      );
      return new Set(reader.getRows().map(([id]) => id as string));
    });
  }

  /** Stored tickets of these contacts still without a queue, site or channel (their contact's offer places them). */
  loadTicketsOfContacts(contactIds: string[]): Promise<TicketRecord[]> {
    return this.reading(async (db) => {
      const reader = await db.runAndReadAll(
        `SELECT record::VARCHAR FROM tickets WHERE contact_id IN (SELECT unnest(from_json(decode($1), '["VARCHAR"]'))) AND (queue IS NULL OR site IS NULL OR channel IS NULL)`,
        [jsonBytes(JSON.stringify(contactIds))],
      );
      return reader.getRows().map(([json]) => JSON.parse(json as string) as TicketRecord);
    });
  }

  loadTickets(ids: string[]): Promise<Map<string, TicketRecord>> {
    return this.reading(async (db) => {
      const reader = await db.runAndReadAll(
        `SELECT ticket_id, record::VARCHAR FROM tickets WHERE ticket_id IN (SELECT unnest(from_json(decode($1), '["VARCHAR"]')))`,
        [jsonBytes(JSON.stringify(ids))],
      );
      return new Map(reader.getRows().map(([id, json]) => [id as string, JSON.parse(json as string) as TicketRecord]));
    });
  }

  /**
   * FCR repeat rule over stored days: contacts of these customers offered within the repeat
   * window before a new offer become not-first. Only days before `beforeDay` (the live engine
   * handles the rest). Returns the contacts that changed.
   */
  markRepeats(offers: Array<{ customerRef: string; offeredTsMs: number }>, beforeDay: string): Promise<string[]> {
    if (offers.length === 0) return Promise.resolve([]);
    return this.exclusive(() => this.markRepeatsNow(offers, beforeDay));
  }

  private async markRepeatsNow(offers: Array<{ customerRef: string; offeredTsMs: number }>, beforeDay: string): Promise<string[]> {
    const windowMs = this.options.settings.fcrRepeatDays * DAY_MS;
    const minMs = minOf(offers.map((o) => o.offeredTsMs)) - windowMs;
    const fromDay = dayKey(minMs - DAY_MS, this.options.timeZone);
    if (fromDay >= beforeDay) return [];
    // Find the rows first (a read): most batches flip none, and an UPDATE join costs far more.
    const found = await this.db.runAndReadAll(
      `WITH earlier AS (
         SELECT contact_id, customer_ref, offered_ms FROM contacts
         WHERE day >= $2 AND day < $3 AND NOT repeated_later AND customer_ref IS NOT NULL),
       later AS (SELECT unnest(from_json(decode($1), '[{"customerRef":"VARCHAR","offeredTsMs":"BIGINT"}]'), recursive := true))
       SELECT DISTINCT earlier.contact_id FROM earlier JOIN later ON earlier.customer_ref = later.customerRef
       WHERE earlier.offered_ms < later.offeredTsMs AND later.offeredTsMs - earlier.offered_ms <= $4`,
      [jsonBytes(JSON.stringify(offers)), fromDay, beforeDay, BigInt(windowMs)],
    );
    const ids = found.getRows().map(([id]) => id as string);
    if (ids.length === 0) return [];
    const reader = await this.db.runAndReadAll(
      `UPDATE contacts SET repeated_later = true WHERE day >= $1 AND day < $2 AND contact_id IN (SELECT unnest(from_json(decode($3), '["VARCHAR"]'))) RETURNING contact_id`,
      [fromDay, beforeDay, jsonBytes(JSON.stringify(ids))],
    );
    return reader.getRows().map(([id]) => id as string);
  }
}

/** A record write stopped by `RecordStore.abandonWrite` (rolled back: nothing of it is stored). */
export class WriteAbandoned extends Error {
  constructor() {
    super('record write abandoned for the final write');
  }
}

/**
 * A JSON text as a statement parameter, bound as bytes and read in SQL as `decode($n)`: bound as
 * a VARCHAR, a 9 MB text cost DuckDB 3–10× the CPU of the same bytes as a BLOB (issue 15: record
 * writes bind several MB a second at 20,000 events/s).
 */
function jsonBytes(text: string): DuckDBBlobValue {
  return new DuckDBBlobValue(Buffer.from(text, 'utf8'));
}
