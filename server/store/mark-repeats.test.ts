/**
 * The FCR repeat marking of stored days takes any number of offers at once: offers wait for the
 * next record write, and at 20,000 events/s behind a slow write they passed 100,000, where a
 * spread of them into Math.min threw and stopped the server (issue 15).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newContactFold } from '../../shared/contact-fold.ts';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { RecordStore } from './record-store.ts';

const TZ = 'Asia/Shanghai';
const NOW = Date.parse('2026-12-05T10:00:00+08:00');
const dir = mkdtempSync(join(tmpdir(), 'mark-repeats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FCR repeat marking of stored days', () => {
  it('marks the earlier contact of a returning caller among 300,000 offers', async () => {
    const instance = await DuckDBInstance.create(join(dir, 'store.duckdb'));
    const db = await instance.connect();
    try {
      const records = new RecordStore(db, { timeZone: TZ, settings: DEFAULT_KPI_SETTINGS, clock: { now: () => NOW } });
      await records.prepare();
      // Yesterday's call of caller c-7, stored.
      const fold = newContactFold('yesterday-1');
      Object.assign(fold.record, { queue: 'q', site: 's', channel: 'phone', customerRef: 'c-7', offeredTsMs: NOW - 86_400_000, answeredTsMs: NOW - 86_390_000 });
      fold.fromOffer = true;
      await records.write([{ fold }], []);
      const offers = Array.from({ length: 300_000 }, (_, i) => ({ customerRef: `c-${i + 1000}`, offeredTsMs: NOW - i }));
      offers.push({ customerRef: 'c-7', offeredTsMs: NOW });
      expect(await records.markRepeats(offers, '2026-12-05')).toEqual(['yesterday-1']);
      const stored = await db.runAndReadAll("SELECT repeated_later FROM contacts WHERE contact_id = 'yesterday-1'");
      expect(stored.getRows()).toEqual([[true]]);
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  }, 120_000);
});
