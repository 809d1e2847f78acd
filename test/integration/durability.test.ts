/**
 * Nothing acknowledged is lost (SPEC §8): batches are posted to a real server process on a
 * DuckDB file, the server is killed with SIGKILL mid-stream and restarted on the same DATA_DIR.
 * Every acknowledged event is still there (re-sending it is a duplicate), nothing is counted
 * twice, and the KPIs equal an uncrashed run over the same events.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCOPE_DIMENSIONS } from '../../shared/scope.ts';
import { randomStream } from '../fixtures/random-stream.ts';
import { startServerProcess, type ServerProcess, postEvents } from '../fixtures/server-process.ts';
import { seededRandom, shuffled, startTestServer } from '../fixtures/test-server.ts';

const INGEST_KEY = 'durable-ingest-key';
const ADMIN_TOKEN = 'durable-admin-token';

const post = (baseUrl: string, batch: unknown[]) => postEvents(baseUrl, INGEST_KEY, batch);

async function todayFigures(baseUrl: string, token: string, scopes: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const scope of scopes) {
    const res = await fetch(`${baseUrl}/api/v1/kpis?scope=${encodeURIComponent(scope)}&window=today`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { kpis: Record<string, { value: number | null; num?: number; den?: number }> };
    // Live figures (waits, agents) tick with the clock; the windowed counts must match exactly
    // (escalation steps falling due too: the reference's clock is set to now before comparing).
    const { longestWaitSec: _l, agentsNotReadyOverLimit: _a, ...kpis } = body.kpis;
    // Sums of seconds added in another order differ in the last bits; compare to 1e-6.
    out[scope] = JSON.parse(JSON.stringify(kpis, (_key, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));
  }
  return out;
}

describe('durability: kill -9 mid-stream', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-crash-'));
  const env = { DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN };
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await server?.kill9();
  });

  it('keeps every acknowledged event, counts nothing twice, and restores the same KPIs', async () => {
    const nowMs = Date.now();
    const events = randomStream(99, nowMs - 60_000, 1500);
    const batches: unknown[][] = [];
    for (let i = 0; i < events.length; i += 50) batches.push(events.slice(i, i + 50));

    server = await startServerProcess(env);
    const acknowledged: number[] = [];
    let next = 0;
    // Four posters keep requests in flight; the server is killed while they are.
    const posters = [0, 1, 2, 3].map(async () => {
      while (next < batches.length) {
        const index = next++;
        try {
          const res = await post(server!.baseUrl, batches[index]);
          if (res.status === 200) acknowledged.push(index);
        } catch {
          return; // connection refused or reset: the server is gone
        }
      }
    });
    while (acknowledged.length < batches.length / 3) await new Promise((r) => setTimeout(r, 5));
    await server.kill9();
    await Promise.all(posters);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.length).toBeLessThan(batches.length);

    server = await startServerProcess(env);
    // Every acknowledged batch is still stored: re-sending it changes nothing.
    for (const index of acknowledged) {
      const res = await post(server.baseUrl, batches[index]);
      expect(res.body, `batch ${index}`).toEqual({ accepted: 0, duplicates: batches[index].length, rejected: [] });
    }
    // Send everything again, shuffled: each event is stored exactly once in the end.
    const random = seededRandom(7);
    let accepted = 0;
    for (const index of shuffled(batches.map((_, i) => i), random)) accepted += (await post(server.baseUrl, batches[index])).body.accepted;
    expect(accepted).toBeLessThanOrEqual(events.length - acknowledged.length * 50);

    // An uncrashed run over the same events, in order, once.
    const reference = await startTestServer({ nowMs: Date.now() });
    await reference.post(events);
    const scopes = ['centre', ...SCOPE_DIMENSIONS.flatMap((d) => reference.app.engine.scopeKeys(d))];
    expect(scopes.length).toBeGreaterThan(15);
    reference.clock.set(Date.now());
    const expected = await todayFigures(reference.baseUrl, 'test-admin-token', scopes);
    const afterCrash = await todayFigures(server.baseUrl, ADMIN_TOKEN, scopes);
    expect(afterCrash).toEqual(expected);

    // The stored records agree with the live figures: today's daily report equals live today.
    const day = (await (await fetch(`${server.baseUrl}/api/v1/reports/daily?from=${new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })).json()) as { rows: Array<{ kpis: Record<string, unknown> }> };
    const live = (await todayFigures(server.baseUrl, ADMIN_TOKEN, ['centre'])).centre as Record<string, { value: number | null }>;
    const reported = day.rows[0].kpis as Record<string, { value: number | null }>;
    for (const name of ['offered', 'answered', 'abandoned', 'handled', 'answerRate', 'serviceLevel', 'ahtSec', 'fcr', 'csat', 'closureRate']) {
      if (live[name].value === null) expect(reported[name].value, `daily ${name}`).toBeNull();
      else expect(reported[name].value, `daily ${name}`).toBeCloseTo(live[name].value!, 6);
    }

    // A clean restart (SIGTERM) restores the same figures again.
    expect(await server.stop()).toBe(0);
    server = await startServerProcess(env);
    // Compared at the same moment again (the reference's clock is set, not running): ticket
    // deadlines passing in between change figures.
    reference.clock.set(Date.now());
    const afterRestart = await todayFigures(server.baseUrl, ADMIN_TOKEN, scopes);
    expect(afterRestart).toEqual(await todayFigures(reference.baseUrl, 'test-admin-token', scopes));
    await reference.close();
  });
});
