/**
 * Record writes are paced by how long the last one took (issue 15): each write takes whatever
 * changed since the one before, so writes on a fixed short interval behind a slow store ran back
 * to back and took the cores from the ingest. The timer now waits WRITE_PACE times the last
 * write's time (between the interval and MAX_WRITE_GAP_MS) before the next.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { KpiEngine } from '../engine/kpi-engine.ts';
import { withRecordStore } from '../store/record-store-fixture.ts';
import type { EventLog } from '../store/event-log.ts';
import { gapAfter, MAX_WRITE_GAP_MS, RecordSync } from './record-sync.ts';

const dir = mkdtempSync(join(tmpdir(), 'record-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the wait between timed record writes', () => {
  it('is the interval after a quick write, three times a slow write, and never more than 10 s', () => {
    expect(MAX_WRITE_GAP_MS).toBe(10_000);
    expect(gapAfter(0, 2_000)).toBe(2_000);
    expect(gapAfter(300, 2_000)).toBe(2_000);
    expect(gapAfter(1_000, 2_000)).toBe(3_000);
    expect(gapAfter(2_500, 2_000)).toBe(7_500);
    expect(gapAfter(3_000, 2_000)).toBe(9_000);
    expect(gapAfter(22_000, 2_000)).toBe(10_000);
  });

  it('grows behind a slow store: a write of 400 ms is followed by at least 1.2 s without one', async () => {
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
