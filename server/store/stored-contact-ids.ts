/**
 * Which contact ids may already have a row in the contacts table, per day of the row, as Bloom
 * filters: a record write deletes the old row of a contact before inserting the new one, and that
 * DELETE scans the days the row could be in (a full day is millions of rows). For a contact
 * certainly never written (most of a busy second's records: new contacts) the DELETE is skipped.
 *
 * Covers the days from `coverFrom` on: filled from the table once (the rows' `contact_key`, or the
 * id's key for rows written before that column), then every write notes its rows. A row of a day
 * before `coverFrom`, or any doubt, means "maybe": the DELETE runs as before. Rows deleted by
 * retention stay "maybe" (harmless). About 5 MB per day of up to 4 million contacts.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { BloomFilter, bloomKey } from '../lib/bloom.ts';

/** Contacts per day a filter is sized for (~1 % false positives there; more only costs DELETEs). */
const CONTACTS_PER_DAY = 4_000_000;
/** Days of filters kept: beyond this the oldest goes, and the covered range starts after it. */
const MAX_DAYS = 6;

export class StoredContactIds {
  private readonly byDay = new Map<string, BloomFilter>();
  /** Days from this one on are covered; null until the table has been read. */
  private coverFrom: string | null = null;

  /**
   * Reads the keys of the rows of days from `fromDay` on (while no write is open). Materialised in
   * one call, not streamed: a streamed result is cut short by any other query on the connection,
   * and a short read here would make stored contacts look new (their old rows then kept: duplicates).
   */
  async load(db: DuckDBConnection, fromDay: string): Promise<void> {
    const result = await db.run(
      'SELECT day, CAST(contact_key AS DOUBLE), CASE WHEN contact_key IS NULL THEN contact_id END FROM contacts WHERE day >= $1',
      [fromDay],
    );
    for (let c = 0; c < result.chunkCount; c++) {
      const chunk = result.getChunk(c);
      const [days, keys, ids] = [0, 1, 2].map((i) => chunk.getColumnVector(i).toArray());
      for (let i = 0, rows = chunk.rowCount; i < rows; i++) {
        const key = keys[i] === null ? bloomKey(ids[i] as string) : (keys[i] as number);
        this.filterOf(days[i] as string).addKey(key);
      }
    }
    this.coverFrom = this.coverFrom === null || fromDay > this.coverFrom ? fromDay : this.coverFrom;
    this.prune();
  }

  /** Whether no row of this contact can exist in days from `fromDay` on. */
  surelyAbsent(key: number, fromDay: string): boolean {
    if (this.coverFrom === null || fromDay < this.coverFrom) return false;
    for (const [day, filter] of this.byDay) if (day >= fromDay && filter.mightHaveKey(key)) return false;
    return true;
  }

  /** A row of this contact is (about to be) stored under `day`. */
  note(day: string, key: number): void {
    this.filterOf(day).addKey(key);
    if (this.byDay.size > MAX_DAYS) this.prune();
  }

  private filterOf(day: string): BloomFilter {
    let filter = this.byDay.get(day);
    if (!filter) this.byDay.set(day, (filter = new BloomFilter(CONTACTS_PER_DAY)));
    return filter;
  }

  /** Drops the oldest days beyond MAX_DAYS; the covered range then starts after the last dropped. */
  private prune(): void {
    if (this.byDay.size <= MAX_DAYS) return;
    const days = [...this.byDay.keys()].sort();
    for (const day of days.slice(0, days.length - MAX_DAYS)) {
      this.byDay.delete(day);
      // Rows of that day are unknown now: only days after it stay covered.
      const next = `${day}\u0000`;
      if (this.coverFrom !== null && this.coverFrom < next) this.coverFrom = next;
    }
  }
}
