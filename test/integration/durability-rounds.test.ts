/**
 * `kill -9` under four concurrent posters, repeated (issue 12): three rounds of a real server
 * process on one DATA_DIR, each killed with SIGKILL while four posters keep batches in flight on
 * keep-alive connections. Batches whose answer was lost are sent again in the next round, as an
 * integrator would. Nothing acknowledged is lost (sending it again is a duplicate), nothing is
 * counted twice, and the figures equal an uncrashed run over the same events.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCOPE_DIMENSIONS } from '../../shared/scope.ts';
import { randomStream } from '../fixtures/random-stream.ts';
import { startServerProcess, type ServerProcess, postEvents } from '../fixtures/server-process.ts';
import { seededRandom, shuffled, startTestServer } from '../fixtures/test-server.ts';

const INGEST_KEY = 'rounds-ingest-key';
const ADMIN_TOKEN = 'rounds-admin-token';
const BATCH = 25;
const ROUNDS = 3;

const post = (baseUrl: string, batch: unknown[]) => postEvents(baseUrl, INGEST_KEY, batch);

/** Today's windowed figures of each scope (live ones that tick with the clock left out). */
async function todayFigures(baseUrl: string, token: string, scopes: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const scope of scopes) {
    const res = await fetch(`${baseUrl}/api/v1/kpis?scope=${encodeURIComponent(scope)}&window=today`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { kpis: Record<string, unknown> };
    const { longestWaitSec: _l, agentsNotReadyOverLimit: _a, ...kpis } = body.kpis;
    out[scope] = kpis;
  }
  return out;
}

/**
 * The same figures: numbers within a relative 1e-9 (sums of seconds added in another order
 * differ in the last bits), everything else exactly.
 */
function expectSameFigures(actual: unknown, expected: unknown, path = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (expected !== null && typeof expected === 'object' && actual !== null && typeof actual === 'object') {
    expect(Object.keys(actual).sort(), path).toEqual(Object.keys(expected).sort());
    for (const key of Object.keys(expected)) expectSameFigures((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

describe('durability: kill -9 under four posters, three rounds', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-rounds-'));
  const env = { DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN };
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await server?.kill9();
  });

  it('loses nothing acknowledged and counts nothing twice', { timeout: 120_000 }, async () => {
    const events = randomStream(123, Date.now() - 60_000, 1000);
    const batches: unknown[][] = [];
    for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
    const acknowledged = new Set<number>();
    /** Batches sent whose answer was lost with the server: sent again next round. */
    let lost: number[] = [];
    let fresh = 0;
    /** Requests whose answer the kills took, over all rounds. */
    let lostTotal = 0;
    /** Answers other than 200 (none expected: every batch is valid). */
    const refusedAnswers: string[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      server = await startServerProcess(env);
      const baseUrl = server.baseUrl;
      // Each round: what was lost last time first, then new batches.
      const queue = [...lost];
      lost = [];
      let ackedThisRound = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      let killed = false;
      const take = (): number | undefined => (queue.length > 0 ? queue.shift() : fresh < batches.length ? fresh++ : undefined);
      const posters = [0, 1, 2, 3].map(async () => {
        for (let index = take(); index !== undefined; index = take()) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            const res = await post(baseUrl, batches[index]);
            if (res.status === 200) {
              acknowledged.add(index);
              ackedThisRound++;
            } else refusedAnswers.push(`round ${round}, batch ${index}: ${res.status} ${JSON.stringify(res.body)}`);
          } catch {
            lost.push(index);
            if (killed) {
              // The server is gone: the poster stops, keeping the batches it had not sent yet.
              inFlight--;
              return;
            }
          }
          inFlight--;
        }
      });
      // Killed mid-stream, at a different point each round.
      const killAfter = 8 + round * 12;
      while (ackedThisRound < killAfter && fresh < batches.length) await new Promise((r) => setTimeout(r, 2));
      killed = true;
      await server.kill9();
      server = undefined;
      await Promise.all(posters);
      lostTotal += lost.length;
      lost.push(...queue);
      expect(maxInFlight, `round ${round}: posters in flight together`).toBeGreaterThanOrEqual(2);
      expect(fresh, `round ${round}: still batches to send after the kill`).toBeLessThan(batches.length);
    }

    expect(refusedAnswers).toEqual([]);
    // Some batches were in flight when a kill came (sent again later: stored once all the same).
    expect(lostTotal).toBeGreaterThan(0);
    server = await startServerProcess(env);
    // Every acknowledged batch is stored: sending it again changes nothing.
    for (const index of acknowledged) {
      const res = await post(server.baseUrl, batches[index]);
      expect(res.body, `acknowledged batch ${index}`).toEqual({ accepted: 0, duplicates: batches[index].length, rejected: [] });
    }
    // Everything (again), shuffled: each event is stored exactly once in the end.
    const random = seededRandom(11);
    let accepted = 0;
    for (const index of shuffled(batches.map((_, i) => i), random)) {
      const res = await post(server.baseUrl, batches[index]);
      expect(res.status).toBe(200);
      accepted += res.body.accepted;
    }
    expect(accepted).toBeLessThanOrEqual(events.length - acknowledged.size * BATCH);

    // An uncrashed run over the same events, once.
    const reference = await startTestServer({ nowMs: Date.now() });
    await reference.post(events);
    const scopes = ['centre', ...SCOPE_DIMENSIONS.flatMap((d) => reference.app.engine.scopeKeys(d))];
    reference.clock.set(Date.now());
    const expected = await todayFigures(reference.baseUrl, 'test-admin-token', scopes);
    expectSameFigures(await todayFigures(server.baseUrl, ADMIN_TOKEN, scopes), expected);
    await reference.close();
  });
});
