/**
 * Rewriting a contact's record skips the DELETE only for contacts certainly never stored, and a
 * contact has exactly one row whatever happened before: rewritten in the same run, after a
 * restart, stored before the contact_key column existed, or of a day older than the filters cover.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { foldContactEvent, newContactFold, type ContactEvent } from '../../shared/contact-fold.ts';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import type { ContactSnapshot } from '../records/snapshots.ts';
import { RecordStore } from './record-store.ts';

const TZ = 'Asia/Shanghai';
const NOW = Date.parse('2026-12-05T10:00:00+08:00');
const DAY = 86_400_000;

function contact(id: string, offeredMs: number, answered = false): ContactSnapshot {
  const fold = newContactFold(id);
  foldContactEvent(fold, { id: `${id}-o`, type: 'contact.offered', ts: offeredMs, contactId: id, queue: 'sales', site: 'hz', channel: 'phone' } as ContactEvent);
  if (answered) foldContactEvent(fold, { id: `${id}-a`, type: 'contact.answered', ts: offeredMs + 10_000, contactId: id, agentId: 'a1' } as ContactEvent);
  return { fold };
}

const dirs: string[] = [];
const opened: Array<{ instance: DuckDBInstance; db: DuckDBConnection; records: RecordStore }> = [];
afterEach(() => {
  for (const { db, instance, records } of opened.splice(0)) {
    records.close();
    db.closeSync();
    instance.closeSync();
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function open(file: string): Promise<{ db: DuckDBConnection; records: RecordStore; close: () => void }> {
  const instance = await DuckDBInstance.create(file);
  const db = await instance.connect();
  const records = await RecordStore.open(() => instance.connect(), { timeZone: TZ, settings: DEFAULT_KPI_SETTINGS, clock: { now: () => NOW } });
  const entry = { instance, db, records };
  opened.push(entry);
  await records.prepare();
  return {
    db,
    records,
    close: () => {
      opened.splice(opened.indexOf(entry), 1);
      records.close();
      db.closeSync();
      instance.closeSync();
    },
  };
}

async function rows(db: DuckDBConnection): Promise<Record<string, { rows: number; answered: boolean }>> {
  const reader = await db.runAndReadAll('SELECT contact_id, count(*), bool_or(answered_ms IS NOT NULL) FROM contacts GROUP BY contact_id ORDER BY contact_id');
  return Object.fromEntries(reader.getRows().map(([id, n, answered]) => [id as string, { rows: Number(n), answered: answered as boolean }]));
}

describe('contact rows rewritten with and without the DELETE', () => {
  it('keeps one row per contact through rewrites, a restart, legacy rows and old days', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stored-ids-'));
    dirs.push(dir);
    const file = join(dir, 'store.duckdb');

    const first = await open(file);
    await first.records.write([contact('c1', NOW - 60_000), contact('c2', NOW - 50_000), contact('old', NOW - 10 * DAY)], []);
    // New today: written without a DELETE. The one ten days back is outside the filters: looked for.
    expect(first.records.newContactRowsWritten).toBe(2);
    await first.records.write([contact('c1', NOW - 60_000, true), contact('old', NOW - 10 * DAY, true)], []);
    expect(first.records.newContactRowsWritten).toBe(2);
    expect(await rows(first.db)).toEqual({ c1: { rows: 1, answered: true }, c2: { rows: 1, answered: false }, old: { rows: 1, answered: true } });
    // A row from before the contact_key column: no key stored, the id's key is used.
    await first.db.run(`INSERT INTO contacts (contact_id, day, drill, transfers, repeated_later, fold, updated_ms)
      SELECT 'legacy', day, drill, transfers, repeated_later, replace(fold::VARCHAR, '"c2"', '"legacy"')::JSON, updated_ms FROM contacts WHERE contact_id = 'c2'`);
    first.close();

    // After a restart the stored rows are known again.
    const second = await open(file);
    await second.records.write([contact('c2', NOW - 50_000, true), contact('legacy', NOW - 50_000, true), contact('c3', NOW - 40_000)], []);
    expect(second.records.newContactRowsWritten).toBe(1);
    expect(await rows(second.db)).toEqual({
      c1: { rows: 1, answered: true },
      c2: { rows: 1, answered: true },
      c3: { rows: 1, answered: false },
      legacy: { rows: 1, answered: true },
      old: { rows: 1, answered: true },
    });
  }, 60_000);
});
