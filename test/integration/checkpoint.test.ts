/**
 * Restart from a checkpoint, and contacts evicted from memory: the live state after a restart
 * (counters from the checkpoint, only later events replayed) and after late events for contacts
 * that had left memory (taken back from the store) equals a server that held everything in
 * memory and never restarted, at every scope and window.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { randomStream } from '../fixtures/random-stream.ts';
import { seededRandom, shuffled, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW = Date.parse('2026-03-02T14:00:00+08:00');

async function figures(server: TestServer): Promise<Record<string, unknown>> {
  const scopes = (await server.request('GET', '/api/v1/scopes')).body as Record<string, string[]>;
  const out: Record<string, unknown> = {};
  for (const scope of ['centre', ...Object.values(scopes).flat()]) {
    for (const window of ['15m', '60m', 'today']) {
      const { kpis } = (await server.kpis(scope, window)).body as { kpis: Record<string, unknown> };
      // Sums of seconds added in another order differ in the last bits; compare to 1e-6.
      out[`${scope}@${window}`] = JSON.parse(JSON.stringify(kpis, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));
    }
  }
  return out;
}

describe('checkpoint restore and eviction', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  it.each([11, 12, 13])('stream %i: restarts from the checkpoint and takes evicted contacts back as they were counted', async (seed) => {
    const events = shuffled(randomStream(seed, NOW, 400), seededRandom(seed * 5));
    const parts = [events.slice(0, 1200), events.slice(1200, 2000), events.slice(2000)];
    expect(parts[2].length).toBeGreaterThan(200);

    const reference = await startTestServer({ nowMs: NOW });
    servers.push(reference);
    // Every settled contact leaves memory at each record write.
    let durable = await startTestServer({ nowMs: NOW, durable: true, evictIdleMs: 0 });
    servers.push(durable);
    const dataDir = durable.dataDir;
    for (const part of parts.slice(0, 2)) {
      expect((await reference.post(part)).status).toBe(200);
      expect((await durable.post(part)).body.accepted).toBe(part.length);
      await durable.app.flushRecords();
    }
    const inMemory = durable.app.engine.stats().contacts;
    expect(inMemory).toBeLessThan(400 / 2);
    expect(await figures(durable)).toEqual(await figures(reference));
    await servers.pop()!.close();

    durable = await startTestServer({ nowMs: NOW, durable: true, dataDir, evictIdleMs: 0 });
    servers.push(durable);
    // Nothing was replayed: the checkpoint held it all.
    expect(durable.app.engine.stats().contacts).toBeLessThan(400 / 2);
    expect(await figures(durable)).toEqual(await figures(reference));

    // The rest (surveys, wrap-ups, repeat calls of evicted contacts), posted twice.
    expect((await reference.post(parts[2])).status).toBe(200);
    expect((await durable.post(parts[2])).body.accepted).toBe(parts[2].length);
    expect((await durable.post(parts[2])).body.duplicates).toBe(parts[2].length);
    expect(await figures(durable)).toEqual(await figures(reference));

    // And the daily report of the store agrees with the live figures.
    const day = '2026-03-02';
    const report = (await durable.daily({ from: day, to: day })).body.rows[0].kpis;
    const live = (await durable.kpis('centre', 'today')).body.kpis;
    for (const name of ['offered', 'answered', 'abandoned', 'fcr', 'csat', 'ahtSec', 'serviceLevel']) {
      expect(report[name].num ?? report[name].value).toBeCloseTo(live[name].num ?? live[name].value, 6);
    }
  });

  it('rebuilds the live state from the stored records when there is no checkpoint (records imported, an older store)', async () => {
    const events = shuffled(randomStream(21, NOW, 300), seededRandom(9));
    const [first, rest] = [events.slice(0, 1500), events.slice(1500)];
    const reference = await startTestServer({ nowMs: NOW });
    servers.push(reference);
    const durable = await startTestServer({ nowMs: NOW, durable: true, evictIdleMs: 0 });
    const dataDir = durable.dataDir;
    await reference.post(first);
    await durable.post(first);
    await durable.close();
    // Take the checkpoint and the records' hash keys away: only events and records are left.
    const sql = async (statement: string) => {
      const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
      const db = await instance.connect();
      const rows = (await db.runAndReadAll(statement)).getRows();
      db.closeSync();
      instance.closeSync();
      return rows;
    };
    await sql('DELETE FROM live_counters; UPDATE record_sync SET exact = false; UPDATE contacts SET contact_key = NULL, customer_key = NULL');

    let rebuilt = await startTestServer({ nowMs: NOW, durable: true, dataDir, evictIdleMs: 0 });
    servers.push(rebuilt);
    expect(await figures(rebuilt)).toEqual(await figures(reference));
    await servers.pop()!.close();
    // The rebuild filled the keys in and left a checkpoint: the next start uses both.
    const [[unkeyed, stored]] = await sql('SELECT count(*) FILTER (contact_key IS NULL), count(*) FROM contacts');
    expect([unkeyed, Number(stored) > 250]).toEqual([0n, true]);
    rebuilt = await startTestServer({ nowMs: NOW, durable: true, dataDir, evictIdleMs: 0 });
    servers.push(rebuilt);
    expect(rebuilt.app.engine.stats().contacts).toBeLessThan(300 / 2);
    await reference.post(rest);
    await rebuilt.post(rest);
    expect(await figures(rebuilt)).toEqual(await figures(reference));
  });
});
