/**
 * Contact and ticket records in the DuckDB file: one row per contact (and per ticket), kept
 * current from the events. Reports and month extracts read these rows. Each row also keeps the
 * merge state (`fold`), so an event for a day the live engine no longer holds can be merged into
 * it later with the same rules (shared/contact-fold.ts).
 *
 * DuckDB has no cheap in-place update without an index, and an index over months of contacts
 * would not fit in memory, so a changed record replaces its row: delete by id within the days
 * it can be in, then insert, in one transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { effectiveCloseMs, handleSec, queueOutcome, ticketDeadlineMs, waitSec, type ContactRecord, type TicketRecord } from '../../shared/attribution.ts';
import type { ContactFold } from '../../shared/contact-fold.ts';
import type { KpiSettings } from '../../shared/kpi.ts';
import { dayKey } from '../../shared/time.ts';
import { dailyReport, type DailyReportOptions, type DailyRow } from './daily-report.ts';

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
CREATE TABLE IF NOT EXISTS record_sync (covered_through_ms BIGINT NOT NULL);`;

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

/** The local day a contact belongs to: of its offer, else of its earliest known event. */
export function contactDay(r: ContactRecord, timeZone: string): string {
  const first = r.offeredTsMs ?? Math.min(...[r.answeredTsMs, r.abandonedTsMs, r.flowedOutTsMs, r.endedTsMs, r.wrappedTsMs, r.resolvedTsMs, r.surveyTsMs].filter((t): t is number => t !== undefined));
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

const DAY_MS = 86_400_000;
/** Records serialised and written per statement. */
const WRITE_SLICE = 1000;

export class RecordStore {
  constructor(
    private readonly db: DuckDBConnection,
    private readonly options: { timeZone: string; settings: KpiSettings; clock: { now(): number } },
  ) {}

  /** Daily KPIs per group from the stored records (see daily-report.ts). */
  daily(options: Omit<DailyReportOptions, 'timeZone' | 'settings' | 'nowMs'>): Promise<DailyRow[]> {
    const { timeZone, settings, clock } = this.options;
    return dailyReport(this.db, { ...options, timeZone, settings, nowMs: clock.now() });
  }

  close(): void {
    this.db.closeSync();
  }

  /** The connection (for maintenance such as retention, which shares this file). */
  get connection(): DuckDBConnection {
    return this.db;
  }

  /** Events stored before this time are reflected in the records (null: no record write yet). */
  async coveredThrough(): Promise<number | null> {
    const reader = await this.db.runAndReadAll('SELECT max(covered_through_ms) FROM record_sync');
    const value = reader.getRows()[0]?.[0];
    return value === null || value === undefined ? null : Number(value);
  }

  async prepare(): Promise<void> {
    await this.db.run(RECORD_SCHEMA);
  }

  /**
   * Replaces the rows of these contacts and tickets (one transaction). `coveredThroughMs`: every
   * event stored before it is reflected in the records once this write commits.
   */
  async write(contacts: ContactSnapshot[], tickets: TicketSnapshot[], coveredThroughMs?: number): Promise<void> {
    if (contacts.length === 0 && tickets.length === 0 && coveredThroughMs === undefined) return;
    const { timeZone, settings, clock } = this.options;
    const nowMs = clock.now();
    await this.db.run('BEGIN TRANSACTION');
    try {
      // In slices, each serialised just before its statement: one slice blocks the event loop for
      // a few milliseconds, where all of a busy second's records at once would stall the screens.
      // A record that changes between slices is written as it is then (newer, and marked again).
      for (let i = 0; i < contacts.length; i += WRITE_SLICE) {
        const rows = contacts.slice(i, i + WRITE_SLICE).map((c) => contactRow(c, timeZone, nowMs));
        await this.replace('contacts', 'contact_id', this.batch(rows, 'contact_id'));
      }
      for (let i = 0; i < tickets.length; i += WRITE_SLICE) {
        const rows = tickets.slice(i, i + WRITE_SLICE).map((t) => ticketRow(t, timeZone, settings, nowMs));
        await this.replace('tickets', 'ticket_id', this.batch(rows, 'ticket_id'));
      }
      if (coveredThroughMs !== undefined) {
        await this.db.run('DELETE FROM record_sync');
        await this.db.run('INSERT INTO record_sync VALUES ($1)', [BigInt(coveredThroughMs)]);
      }
      await this.db.run('COMMIT');
    } catch (error) {
      await this.db.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private batch(rows: Array<Record<string, unknown>>, idColumn: string): { fromDay: string; ids: string; rows: string; columns: string[] } {
    const firstDay = rows.reduce((min, r) => ((r.day as string) < min ? (r.day as string) : min), rows[0].day as string);
    return {
      // A row can only have moved by a day or so (a late offer); look no further back than that.
      fromDay: dayKey(Date.parse(`${firstDay}T12:00:00Z`) - 2 * DAY_MS, 'UTC'),
      ids: JSON.stringify(rows.map((r) => r[idColumn])),
      rows: JSON.stringify(rows),
      columns: Object.keys(rows[0]),
    };
  }

  private async replace(table: 'contacts' | 'tickets', idColumn: string, batch: ReturnType<RecordStore['batch']>): Promise<void> {
    await this.db.run(`DELETE FROM ${table} WHERE day >= $1 AND ${idColumn} IN (SELECT unnest($2::VARCHAR[]))`, [batch.fromDay, batch.ids]);
    // One JSON parse per batch into typed structs (extracting field by field would re-parse each row per column).
    const structure = Object.fromEntries(batch.columns.map((name) => [name, name === 'fold' || name === 'record' ? 'JSON' : this.typeOf(name)]));
    await this.db.run(
      `INSERT INTO ${table} (${batch.columns.join(', ')})
       SELECT ${batch.columns.map((name) => `r.${name}`).join(', ')} FROM (SELECT unnest(from_json($1, $2)) AS r)`,
      [batch.rows, JSON.stringify([structure])],
    );
  }

  private typeOf(column: string): string {
    if (column.endsWith('_ms')) return 'BIGINT';
    if (['wait_sec', 'talk_sec', 'hold_sec', 'handle_sec', 'survey_score'].includes(column)) return 'DOUBLE';
    if (['transfers', 'survey_scale', 'reopens'].includes(column)) return 'INTEGER';
    if (['drill', 'first_contact', 'repeated_later', 'complaint', 'confirmed'].includes(column)) return 'BOOLEAN';
    return 'VARCHAR';
  }

  /** The stored merge state of these contacts (for events older than the live engine holds). */
  async loadContacts(ids: string[]): Promise<Map<string, ContactSnapshot>> {
    const reader = await this.db.runAndReadAll(
      'SELECT contact_id, fold::VARCHAR, repeated_later FROM contacts WHERE contact_id IN (SELECT unnest($1::VARCHAR[]))',
      [JSON.stringify(ids)],
    );
    const out = new Map<string, ContactSnapshot>();
    for (const [id, foldJson, repeated] of reader.getRows()) {
      const fold = JSON.parse(foldJson as string) as ContactFold & { team?: string };
      fold.record.repeatedLater = repeated as boolean;
      out.set(id as string, { fold, team: fold.team });
    }
    return out;
  }

  async loadTickets(ids: string[]): Promise<Map<string, TicketRecord>> {
    const reader = await this.db.runAndReadAll(
      'SELECT ticket_id, record::VARCHAR FROM tickets WHERE ticket_id IN (SELECT unnest($1::VARCHAR[]))',
      [JSON.stringify(ids)],
    );
    return new Map(reader.getRows().map(([id, json]) => [id as string, JSON.parse(json as string) as TicketRecord]));
  }

  /**
   * FCR repeat rule over stored days: contacts of these customers offered within the repeat
   * window before a new offer become not-first. Only days before `beforeDay` (the live engine
   * handles the rest). Returns how many rows changed.
   */
  async markRepeats(offers: Array<{ customerRef: string; offeredTsMs: number }>, beforeDay: string): Promise<number> {
    if (offers.length === 0) return 0;
    const windowMs = this.options.settings.fcrRepeatDays * DAY_MS;
    const minMs = Math.min(...offers.map((o) => o.offeredTsMs)) - windowMs;
    const fromDay = dayKey(minMs - DAY_MS, this.options.timeZone);
    if (fromDay >= beforeDay) return 0;
    // Find the rows first (a read): most batches flip none, and an UPDATE join costs far more.
    const found = await this.db.runAndReadAll(
      `WITH earlier AS (
         SELECT contact_id, customer_ref, offered_ms FROM contacts
         WHERE day >= $2 AND day < $3 AND NOT repeated_later AND customer_ref IS NOT NULL),
       later AS (SELECT unnest(from_json($1, '[{"customerRef":"VARCHAR","offeredTsMs":"BIGINT"}]'), recursive := true))
       SELECT DISTINCT earlier.contact_id FROM earlier JOIN later ON earlier.customer_ref = later.customerRef
       WHERE earlier.offered_ms < later.offeredTsMs AND later.offeredTsMs - earlier.offered_ms <= $4`,
      [JSON.stringify(offers), fromDay, beforeDay, BigInt(windowMs)],
    );
    const ids = found.getRows().map(([id]) => id as string);
    if (ids.length === 0) return 0;
    const reader = await this.db.runAndReadAll(
      `UPDATE contacts SET repeated_later = true WHERE day >= $1 AND day < $2 AND contact_id IN (SELECT unnest($3::VARCHAR[])) RETURNING contact_id`,
      [fromDay, beforeDay, JSON.stringify(ids)],
    );
    return reader.getRows().length;
  }
}
