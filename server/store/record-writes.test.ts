/**
 * Record writes (issue 15): the FCR repeat marking of stored days takes any number of offers at
 * once (offers wait for the next record write, and at 20,000 events/s behind a slow write they
 * passed 100,000, where a spread of them into Math.min threw and stopped the server); and a write
 * that fails leaves none of the rows DuckDB's appender had already taken; and the live loop's
 * reads (seeding an evicted contact, a merge) during a write neither fail it nor see it half done;
 * a write abandoned for a stop's final write (its statement interrupted) leaves nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newContactFold } from '../../shared/contact-fold.ts';
import { withRecordStore } from './record-store-fixture.ts';
import { WriteAbandoned } from './record-store.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';

const NOW = Date.parse('2026-12-05T10:00:00+08:00');
const dir = mkdtempSync(join(tmpdir(), 'mark-repeats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withStore = (file: string, use: Parameters<typeof withRecordStore>[3]) => withRecordStore(dir, file, NOW, use);

/** A contact offered a minute before NOW, with these fields besides. */
function contact(id: string, fields: Partial<ReturnType<typeof newContactFold>['record']> = {}) {
  const fold = newContactFold(id);
  Object.assign(fold.record, { queue: 'q', site: 's', channel: 'phone', offeredTsMs: NOW - 60_000, ...fields });
  fold.fromOffer = true;
  return { fold };
}

describe('FCR repeat marking of stored days', () => {
  it('marks the earlier contact of a returning caller among 300,000 offers', async () => {
    await withStore('store.duckdb', async (records, db) => {
      // Yesterday's call of caller c-7, stored.
      await records.write([contact('yesterday-1', { customerRef: 'c-7', offeredTsMs: NOW - 86_400_000, answeredTsMs: NOW - 86_390_000 })], []);
      const offers = Array.from({ length: 300_000 }, (_, i) => ({ customerRef: `c-${i + 1000}`, offeredTsMs: NOW - i }));
      offers.push({ customerRef: 'c-7', offeredTsMs: NOW });
      expect(await records.markRepeats(offers, '2026-12-05')).toEqual(['yesterday-1']);
      const stored = await db.runAndReadAll("SELECT repeated_later FROM contacts WHERE contact_id = 'yesterday-1'");
      expect(stored.getRows()).toEqual([[true]]);
    });
  }, 120_000);
});

describe('a record write that fails', () => {
  it('leaves none of the rows it had appended (the appender writes inside the write transaction)', async () => {
    await withStore('failing.duckdb', async (records, db) => {
      await records.write([contact('kept')], []);
      // 1,200 contacts (three appended chunks), then a checkpoint bucket whose kind does not fit its column: the write fails after the rows went in.
      const many = Array.from({ length: 1_200 }, (_, i) => contact(`lost-${i}`));
      const broken = { buckets: [{ scope: 'centre' as never, kind: 1000 as never, startMs: NOW, day: '', counters: new Float64Array(4) }], throughReceivedMs: NOW, atMs: NOW, horizonDay: '2026-12-04', horizonMs: NOW - 86_400_000 };
      await expect(records.write(many, [], undefined, broken)).rejects.toThrow();
      const stored = await db.runAndReadAll('SELECT contact_id FROM contacts ORDER BY contact_id');
      expect(stored.getRows()).toEqual([['kept']]);
      // And the store takes the next write.
      await records.write([contact('next')], []);
      expect((await db.runAndReadAll('SELECT count(*) FROM contacts')).getRows()).toEqual([[2n]]);
    });
  }, 60_000);
});

describe('reads of the live loop during a record write', () => {
  it('see each contact whole, as stored before the write or after it, and the write goes through', async () => {
    await withStore('concurrent.duckdb', async (records, db) => {
      const called = (id: string, answered: boolean) => contact(id, { customerRef: `c-${id}`, ...(answered ? { answeredTsMs: NOW - 50_000 } : {}) });
      await records.write([called('watched', false)], []);
      // 20,000 contacts (40 appended slices, the event loop free between them), 'watched' rewritten as answered.
      const many = Array.from({ length: 20_000 }, (_, i) => called(`new-${i}`, true));
      many.push(called('watched', true));
      let written = false;
      const write = records.write(many, []).finally(() => (written = true));
      const seen: string[] = [];
      let readsDuringWrite = 0;
      while (!written) {
        const [byId, byCustomer] = await Promise.all([records.loadContacts(['watched'], '2026-12-05'), records.loadContactsOfCustomers(['c-watched'], '2026-12-05')]);
        if (!written) readsDuringWrite++;
        seen.push(byId.get('watched')?.fold.record.answeredTsMs === undefined ? (byId.has('watched') ? 'before' : 'missing') : 'after');
        seen.push(byCustomer.length !== 1 ? `customer rows ${byCustomer.length}` : byCustomer[0].fold.record.answeredTsMs === undefined ? 'before' : 'after');
      }
      await write;
      expect(readsDuringWrite).toBeGreaterThan(0);
      expect(seen.filter((s) => s !== 'before' && s !== 'after')).toEqual([]);
      expect((await db.runAndReadAll('SELECT count(*), count(answered_ms) FROM contacts')).getRows()).toEqual([[20_001n, 20_001n]]);
      expect((await records.loadContacts(['watched'])).get('watched')?.fold.record.answeredTsMs).toBe(NOW - 50_000);
    });
  }, 120_000);
});

describe('a record write abandoned for the final write', () => {
  it('is interrupted as soon as it began, rolls back whole, and the next write goes through', async () => {
    await withStore('abandoned.duckdb', async (records, db) => {
      const checkpoint = (n: number) => ({
        buckets: Array.from({ length: n }, (_, i) => ({ scope: `agent:a-${i}` as never, kind: 2 as const, startMs: NOW, day: '2026-12-05', counters: new Float64Array(26).fill(1) })),
        throughReceivedMs: NOW,
        atMs: NOW,
        horizonDay: '2026-12-04',
        horizonMs: NOW - 86_400_000,
      });
      await records.write([contact('kept')], [], undefined, checkpoint(1));
      // Nothing to abandon between writes.
      expect(records.abandonWrite()).toBe(false);
      const write = records.write(Array.from({ length: 5_000 }, (_, i) => contact(`lost-${i}`)), [], undefined, checkpoint(50_000));
      let abandoned = false;
      while (!abandoned) {
        await nextTurn();
        abandoned = records.abandonWrite();
      }
      await expect(write).rejects.toBeInstanceOf(WriteAbandoned);
      expect((await db.runAndReadAll('SELECT contact_id FROM contacts')).getRows()).toEqual([['kept']]);
      expect((await db.runAndReadAll('SELECT count(*) FROM live_counters')).getRows()).toEqual([[1n]]);
      await records.write([contact('next')], [], undefined, checkpoint(2));
      expect((await db.runAndReadAll('SELECT count(*) FROM contacts')).getRows()).toEqual([[2n]]);
      expect((await db.runAndReadAll('SELECT count(*) FROM live_counters')).getRows()).toEqual([[2n]]);
    });
  }, 60_000);
});
