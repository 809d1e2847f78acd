/**
 * The checkpoint's counter buckets are written as compact JSON (issue 15) and read back exactly:
 * every double as it was, a bucket rewritten has one row, rows an earlier version wrote (base64)
 * still load and are replaced by the new form (one row per key).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COUNTER_COUNT } from '../../shared/kpi.ts';
import type { ScopeKey } from '../../shared/scope.ts';
import type { ScopeBucket } from '../records/snapshots.ts';
import { bucketKey, countersOf, countersText } from './record-store.ts';
import { withRecordStore } from './record-store-fixture.ts';

const NOW = Date.parse('2026-12-05T10:00:00+08:00');
const dir = mkdtempSync(join(tmpdir(), 'checkpoint-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function counters(values: number[]): Float64Array {
  const c = new Float64Array(COUNTER_COUNT);
  c.set(values);
  return c;
}

const withStore = (file: string, use: Parameters<typeof withRecordStore>[3]) => withRecordStore(dir, file, NOW, use);

const awkward = [0.1 + 0.2, 1 / 3, 123456789.123456, 5e-324, 1.7976931348623157e308, -0, -2.5, 2 ** 53 + 2, 0];

describe('checkpoint rows', () => {
  it('keep every double exactly, in the JSON form and in the base64 form of earlier versions', () => {
    const c = counters(awkward);
    expect(countersText(c).startsWith('[')).toBe(true);
    expect(Array.from(countersOf(countersText(c)))).toEqual(Array.from(c).map((v) => (Object.is(v, -0) ? 0 : v)));
    const base64 = Buffer.from(c.buffer).toString('base64');
    expect(Array.from(countersOf(base64))).toEqual(Array.from(c));
    // A value JSON cannot hold keeps the bytes.
    const odd = counters([1, Number.NaN, Number.POSITIVE_INFINITY]);
    const text = countersText(odd);
    expect(text.startsWith('"')).toBe(true);
    const back = countersOf(text);
    expect([back[0], back[1], back[2]]).toEqual([1, Number.NaN, Number.POSITIVE_INFINITY]);
  });

  it('round-trip through the store, one row per bucket, next to rows an earlier version wrote', async () => {
    await withStore('store.duckdb', async (records, db) => {
      const minute: ScopeBucket = { scope: 'agent:a1' as ScopeKey, kind: 0, startMs: NOW - 60_000, day: '', counters: counters([1, 1, 1, 12.5]) };
      const day: ScopeBucket = { scope: 'queue:售后' as ScopeKey, kind: 2, startMs: 0, day: '2026-12-05', counters: counters(awkward) };
      // A bucket an earlier version wrote: base64 counters, its key from bucketKey.
      const legacy: ScopeBucket = { scope: 'centre' as ScopeKey, kind: 1, startMs: NOW - 15 * 60_000, day: '', counters: counters([7, 6, 5, 41.25]) };
      await db.run('INSERT INTO live_counters VALUES ($1, $2, $3, $4, $5, $6)', [
        bucketKey(legacy), legacy.scope, legacy.kind, BigInt(legacy.startMs), legacy.day, Buffer.from(legacy.counters.buffer).toString('base64'),
      ]);
      const checkpoint = (buckets: ScopeBucket[], throughReceivedMs: number) => ({ buckets, throughReceivedMs, atMs: NOW, horizonDay: '2026-12-04', horizonMs: NOW - 86_400_000 });
      await records.write([], [], undefined, checkpoint([minute, day], NOW - 5_000));
      // Rewritten: the minute changed, and the legacy interval is now written in the new form.
      const minute2 = { ...minute, counters: counters([2, 2, 1, 30.75]) };
      const legacy2 = { ...legacy, counters: counters([8, 7, 5, 50.5]) };
      await records.write([], [], undefined, checkpoint([minute2, legacy2], NOW - 1_000));

      const keys = await db.runAndReadAll('SELECT k, count(*) FROM live_counters GROUP BY k ORDER BY k');
      expect(keys.getRows().map(([k, n]) => [k, Number(n)])).toEqual([minute2, legacy2, day].map((b) => [bucketKey(b), 1]).sort());
      const loaded = await records.loadCheckpoint();
      expect(loaded?.throughReceivedMs).toBe(NOW - 1_000);
      const buckets: ScopeBucket[] = [];
      await loaded!.readBuckets((b) => buckets.push(b));
      const byKey = new Map(buckets.map((b) => [bucketKey(b), b]));
      for (const b of [minute2, legacy2, day]) {
        const got = byKey.get(bucketKey(b));
        expect(got, bucketKey(b)).toBeDefined();
        expect({ ...got, counters: Array.from(got!.counters) }).toEqual({ ...b, counters: Array.from(b.counters).map((v) => (Object.is(v, -0) ? 0 : v)) });
      }
    });
  }, 60_000);

  it('keep the minutes a restart can use (62 before the checkpoint), not older ones, and replace many buckets in one write', async () => {
    await withStore('minutes.duckdb', async (records, db) => {
      const minute = (agent: number, minutesBack: number, value: number): ScopeBucket => ({ scope: `agent:a${agent}` as ScopeKey, kind: 0, startMs: NOW - minutesBack * 60_000, day: '', counters: counters([value]) });
      const checkpoint = (buckets: ScopeBucket[]) => ({ buckets, throughReceivedMs: NOW, atMs: NOW, horizonDay: '2026-12-04', horizonMs: NOW - 86_400_000 });
      // More buckets than one slice of the write (5,000), each minute 1 to 90 back of 150 agents.
      const first = Array.from({ length: 150 * 90 }, (_, i) => minute(i % 150, 1 + Math.floor(i / 150), 1));
      await records.write([], [], undefined, checkpoint(first));
      // Rewritten: every agent's last 30 minutes.
      await records.write([], [], undefined, checkpoint(first.filter((b) => b.startMs > NOW - 31 * 60_000).map((b) => ({ ...b, counters: counters([2]) }))));
      const rows = await db.runAndReadAll(
        'SELECT count(*), count(DISTINCT k), CAST(min(start_ms) AS DOUBLE), CAST(sum(CAST(counters->>0 AS DOUBLE)) AS DOUBLE) FROM live_counters WHERE kind = 0',
      );
      const [count, distinct, oldest, sum] = rows.getRows()[0].map(Number);
      // Minutes 1 to 62 back stay (63 to 90 are older than a restart can use), each once.
      expect(count).toBe(150 * 62);
      expect(distinct).toBe(150 * 62);
      expect(oldest).toBe(NOW - 62 * 60_000);
      expect(sum).toBe(150 * 30 * 2 + 150 * 32 * 1);
    });
  }, 60_000);
});
