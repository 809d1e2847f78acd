/**
 * Record writes are paced by how long the last one took (issue 15): each write takes whatever
 * changed since the one before, so writes on a fixed short interval behind a slow store ran back
 * to back and took the cores from the ingest. Timed writes now start four times as long apart as
 * the last one took, at least the interval and at most MAX_WRITE_PERIOD_MS apart. A stop's
 * final write abandons the write in progress and takes everything in one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { KpiEngine } from '../engine/kpi-engine.ts';
import { withRecordStore } from '../store/record-store-fixture.ts';
import type { EventLog } from '../store/event-log.ts';
import { MAX_WRITE_PERIOD_MS, RecordSync, waitAfter } from './record-sync.ts';

const dir = mkdtempSync(join(tmpdir(), 'record-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the wait between timed record writes', () => {
  it('keeps the interval after quick writes, starts writes four times as long apart as a slow one took, and at most 10 s apart', () => {
    expect(MAX_WRITE_PERIOD_MS).toBe(10_000);
    // Start to start: 2 s (the interval), 2 s, 4 s, 10 s, 10 s, and a write longer than 10 s is followed at once.
    expect(waitAfter(0, 2_000)).toBe(2_000);
    expect(waitAfter(300, 2_000)).toBe(1_700);
    expect(waitAfter(1_000, 2_000)).toBe(3_000);
    expect(waitAfter(2_500, 2_000)).toBe(7_500);
    expect(waitAfter(4_000, 2_000)).toBe(6_000);
    expect(waitAfter(12_000, 2_000)).toBe(0);
  });

  it('grows behind a slow store: a write of 400 ms is followed by about 1.2 s without one (at least 1.15 s)', async () => {
    await withRecordStore(dir, 'paced.duckdb', Date.now(), async (records) => {
      const clock = { now: () => Date.now() };
      const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
      const writes: Array<{ startMs: number; endMs: number }> = [];
      const write = records.write.bind(records);
      // A slow disk: every write takes at least 400 ms.
      records.write = async (...args: Parameters<typeof records.write>) => {
        const startMs = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 400));
        await write(...args);
        writes.push({ startMs, endMs: performance.now() });
      };
      const log = { lastCommittedMs: 0 } as unknown as EventLog;
      const sync = new RecordSync(engine, records, log, clock, pino({ level: 'silent' }), 100);
      sync.start();
      await expect.poll(() => writes.length, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(3);
      await sync.close();
      // On an interval of 100 ms, unpaced, the next write would start 100 ms after the last ended.
      for (let i = 1; i < 3; i++) expect(writes[i].startMs - writes[i - 1].endMs).toBeGreaterThanOrEqual(1_150);
    });
  }, 90_000);
});

describe("a stop's final write", () => {
  it('abandons the write in progress and stores every record once, with the counters, in one write', async () => {
    const nowMs = Date.now();
    await withRecordStore(dir, 'final.duckdb', nowMs, async (records, db) => {
      const clock = { now: () => nowMs };
      const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
      const log = { lastCommittedMs: nowMs } as unknown as EventLog;
      // No timed writes (an interval of an hour): the test starts each one.
      const sync = new RecordSync(engine, records, log, clock, logger, 3_600_000);
      sync.start();
      const answered = (n: number, from: number) => {
        for (let i = from; i < from + n; i++) {
          engine.apply({ id: `o-${i}`, type: 'contact.offered', ts: nowMs - 120_000, contactId: `c-${i}`, queue: 'q', site: 's', channel: 'phone' });
          engine.apply({ id: `a-${i}`, type: 'contact.answered', ts: nowMs - 100_000, contactId: `c-${i}`, agentId: `a-${i % 50}` });
        }
      };
      answered(20_000, 0);
      const first = sync.flush();
      // Inside its transaction (its rows deleted), appending 20,000 contacts a slice at a time.
      await expect.poll(() => records.lastWrite?.steps.all.delete !== undefined, { timeout: 60_000, interval: 5 }).toBe(true);
      answered(1_000, 20_000); // came in after the first write took its records
      await sync.finalFlush();
      await first;
      expect(lines.some((line) => line.includes('record write abandoned for the final write'))).toBe(true);
      expect(engine.hasChangedRecords).toBe(false);
      const stored = await db.runAndReadAll('SELECT count(*), count(DISTINCT contact_id), count(answered_ms) FROM contacts');
      expect(stored.getRows()).toEqual([[21_000n, 21_000n, 21_000n]]);
      // The counters of all 21,000 (the abandoned write's buckets marked changed again).
      const checkpoint = await records.loadCheckpoint();
      let offered = 0;
      await checkpoint!.readBuckets((b) => {
        if (b.scope === 'centre' && b.kind === 2) offered += b.counters[0];
      });
      expect(offered).toBe(21_000);
      await sync.close();
    });
  }, 120_000);
});

describe('a record write and the journal', () => {
  it('waits until the commits its cut holds are on disk: a checkpoint never covers an event a power cut could take back', async () => {
    const nowMs = Date.now();
    await withRecordStore(dir, 'durable.duckdb', nowMs, async (records, db) => {
      const clock = { now: () => nowMs };
      const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
      // The journal applies a commit as soon as it is written; its fsync ends when the test says.
      let asked = 0;
      let onDisk!: () => void;
      const flushed = new Promise<void>((resolve) => (onDisk = resolve));
      const log = {
        lastCommittedMs: nowMs,
        durable: () => {
          asked++;
          return flushed;
        },
      } as unknown as EventLog;
      let writes = 0;
      const write = records.write.bind(records);
      records.write = (...args: Parameters<typeof records.write>) => {
        writes++;
        return write(...args);
      };
      const sync = new RecordSync(engine, records, log, clock, pino({ level: 'silent' }), 3_600_000);
      sync.start();
      for (let i = 0; i < 100; i++) {
        engine.apply({ id: `o-${i}`, type: 'contact.offered', ts: nowMs - 60_000, contactId: `c-${i}`, queue: 'q', site: 's', channel: 'phone' });
      }
      const flush = sync.flush();
      await expect.poll(() => asked, { timeout: 30_000, interval: 5 }).toBe(1);
      expect(writes).toBe(0);
      expect((await db.runAndReadAll('SELECT count(*) FROM contacts')).getRows()).toEqual([[0n]]);
      expect(await records.loadCheckpoint()).toBeNull();
      onDisk();
      await flush;
      expect(writes).toBe(1);
      expect((await db.runAndReadAll('SELECT count(*) FROM contacts')).getRows()).toEqual([[100n]]);
      expect(await records.loadCheckpoint()).not.toBeNull();
      await sync.close();
    });
  }, 60_000);
});
