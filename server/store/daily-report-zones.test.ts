/**
 * The daily report and the month extract bound a day by the centre's own midnight, in every
 * zone: noon UTC is already the next day at UTC+12 and beyond (New Zealand in summer, Tonga,
 * Kiribati), where the report of a day used to be the next day's and today's came back empty.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newContactFold } from '../../shared/contact-fold.ts';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { monthBoundsMs } from '../reports/month-extract.ts';
import { dailyReport } from './daily-report.ts';
import { withRecordStore } from './record-store-fixture.ts';

// 09:00 on 6 December in Auckland (NZDT, UTC+13); 10:00 in Kiribati (UTC+14); 04:00 in Shanghai.
const OFFERED = Date.parse('2026-12-05T20:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'daily-zones-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a day in the centre\'s zone', () => {
  it.each(['Pacific/Auckland', 'Pacific/Kiritimati', 'Asia/Shanghai', 'America/Los_Angeles'])('holds the contacts of that local day in %s', async (timeZone) => {
    await withRecordStore(dir, `${timeZone.replace('/', '-')}.duckdb`, OFFERED + 60_000, async (records, db) => {
      const fold = newContactFold('c-1');
      Object.assign(fold.record, { queue: 'q', site: 's', channel: 'phone', offeredTsMs: OFFERED, answeredTsMs: OFFERED + 10_000 });
      fold.fromOffer = true;
      await records.write([{ fold }], []);
      // The report also reads agent states from the event log's table (none here).
      await db.run('CREATE TABLE events (id VARCHAR, ts BIGINT, type VARCHAR, agent_id VARCHAR, body JSON)');
      // By hand: the local day of the offer (Los Angeles: 12:00 on 5 December).
      const day = timeZone === 'America/Los_Angeles' ? '2026-12-05' : '2026-12-06';
      const report = (from: string) => dailyReport(db, { from, to: from, groupBy: 'centre', timeZone, settings: DEFAULT_KPI_SETTINGS, nowMs: OFFERED + 60_000 });
      const rows = await report(day);
      expect(rows.map((r) => [r.day, r.kpis.offered.value, r.kpis.answered.value])).toEqual([[day, 1, 1]]);
      const other = day === '2026-12-06' ? '2026-12-05' : '2026-12-06';
      expect((await report(other)).map((r) => r.kpis.offered.value)).toEqual([]);
    }, timeZone);
  }, 60_000);

  it('starts a month at the local midnight of its first day', () => {
    // 1 December 00:00 NZDT is 30 November 11:00 UTC; 1 January 00:00 NZDT is 31 December 11:00 UTC.
    expect(monthBoundsMs('2026-12', 'Pacific/Auckland')).toEqual({ startMs: Date.parse('2026-11-30T11:00:00Z'), endMs: Date.parse('2026-12-31T11:00:00Z') });
    expect(monthBoundsMs('2026-12', 'Pacific/Kiritimati')).toEqual({ startMs: Date.parse('2026-11-30T10:00:00Z'), endMs: Date.parse('2026-12-31T10:00:00Z') });
    expect(monthBoundsMs('2026-12', 'Asia/Shanghai')).toEqual({ startMs: Date.parse('2026-11-30T16:00:00Z'), endMs: Date.parse('2026-12-31T16:00:00Z') });
  });
});
