/**
 * A process of a group on one Redis Stream killed mid-batch under load (issue 16): a real
 * redis-server and two server processes A and B, each on its own DATA_DIR; two posters send
 * NDJSON batches of about 500 events back to back, one to A and one to B. A is killed with
 * SIGKILL while both have a batch on the wire, and started again on its DATA_DIR (it catches up
 * from its checkpoint before it answers). Then, on both processes: every acknowledged contact is
 * counted exactly once (between the acknowledged batches and those plus the ones cut in flight),
 * live and in the daily report, and agents are in a state no older than their last acknowledged
 * one; every batch sent again, alternately to A and B, is answered in full (accepted +
 * duplicates), acknowledged ones as duplicates only; and afterwards both serve the same figures
 * at centre, queue, site and agent scope, equal to exactly what was posted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayBounds } from '../../shared/time.ts';
import { expectAcknowledgedOnce, expectEverythingOnce, expectResentAnsweredInFull, getJson, liveCounts, type Reader } from '../fixtures/counted-once.ts';
import { fullSpeedBatches, ingestUntilKilled, sum, zoneNearNoon, type Batch } from '../fixtures/full-speed-ingest.ts';
import { startRedisServer, type RedisServer } from '../fixtures/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';

const INGEST_KEY = 'cluster-kill-ingest-key';
const ADMIN_TOKEN = 'cluster-kill-admin-token';
/** 115 contacts (460 events) and 40 agent states: 500 events a batch. */
const BATCHES = 120;
const CONTACTS_PER_BATCH = 115;
const AGENTS = 40;
/** Acknowledged batches before the kill: ingest is in full swing by then (a quarter sent). */
const KILL_AFTER_ACKS = 30;
const QUEUES = Array.from({ length: 7 }, (_, i) => `queue:q${i}`);
const SITES = Array.from({ length: 3 }, (_, i) => `site:site${i}`);
const AGENT_SCOPES = Array.from({ length: AGENTS }, (_, i) => `agent:agent${i}`);
const SCOPES = ['centre', ...QUEUES, ...SITES, ...AGENT_SCOPES];

type Figures = Record<string, Record<string, { value: number | null; num?: number; den?: number; status?: string | null }>>;

/** Every scope's figures for today, leaving out those that depend on the moment they are read (ages, durations up to now). */
async function figuresAtEveryScope(reader: Reader): Promise<Figures> {
  const figures: Figures = {};
  for (const scope of SCOPES) {
    const { kpis } = await getJson(reader, `/api/v1/kpis?scope=${encodeURIComponent(scope)}&window=today`);
    figures[scope] = Object.fromEntries(Object.entries(kpis as Figures[string]).filter(([name]) => !/(longest|oldest|age|Now|inState|since)/i.test(name)));
  }
  return figures;
}

/**
 * Where two processes' figures differ. Counts must be equal; sums of seconds may differ in the
 * last binary digits only (1e-9 relative): a restarted process rebuilds them from its store in
 * timestamp order, its peer added them in arrival order, and floating-point addition depends
 * on the order.
 */
function differences(a: Figures, b: Figures): string[] {
  const apart: string[] = [];
  const near = (x: number | null | undefined, y: number | null | undefined) => (typeof x === 'number' && typeof y === 'number' ? Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x)) : x === y);
  for (const scope of SCOPES) {
    for (const [name, figure] of Object.entries(a[scope] ?? {})) {
      const other = b[scope]?.[name];
      for (const part of ['value', 'num', 'den', 'status'] as const) {
        if (!near(figure[part] as number | null, other?.[part] as number | null)) apart.push(`${scope} ${name}.${part}: ${figure[part]} vs ${other?.[part]}`);
      }
    }
  }
  return apart;
}

/**
 * Polls until both processes serve the same figures at every scope (the other process may still
 * be applying the last entries of the stream); fails naming the figures that stay apart.
 */
async function sameFiguresOnBoth(a: Reader, b: Reader, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const apart = differences(await figuresAtEveryScope(a), await figuresAtEveryScope(b));
    if (apart.length === 0) return;
    if (Date.now() - started > timeoutMs) expect(apart, `A's and B's figures after ${timeoutMs} ms`).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Contacts offered in `scope` (queue or site) over every batch. */
const offeredIn = (batches: Batch[], scope: string) => sum(batches.map((b) => b.offeredIn.get(scope) ?? 0));

describe('a process of a group killed mid-batch under load', () => {
  let redis: RedisServer;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    // appendfsync always (the fixture's default): what Redis acknowledged survives anything.
    redis = await startRedisServer();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.kill9().catch(() => undefined)));
    await redis?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('loses nothing acknowledged, doubles nothing, and both processes end with exactly what was posted', { timeout: 900_000 }, async () => {
    const nowMs = Date.now();
    const timeZone = zoneNearNoon(nowMs);
    const day = dayBounds(nowMs, timeZone).day;
    const dataDir = () => {
      const dir = mkdtempSync(join(tmpdir(), 'wallboard-cluster-kill-'));
      dirs.push(dir);
      // Every process of a group shares its secrets (the caller pseudonym key above all).
      writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ ingestKey: INGEST_KEY, displayToken: 'cluster-kill-display', pseudonymKey: 'k'.repeat(64) }), { mode: 0o600 });
      return dir;
    };
    const start = async (dir: string) => {
      const server = await startServerProcess({ DATA_DIR: dir, REDIS_URL: redis.url, INGEST_KEY, ADMIN_TOKEN, CENTRE_TZ: timeZone, CLUSTER_HEARTBEAT_MS: '300' });
      servers.push(server);
      return server;
    };
    const reader = (server: ServerProcess): Reader => ({ baseUrl: server.baseUrl, adminToken: ADMIN_TOKEN });
    const batches = fullSpeedBatches(nowMs, { batches: BATCHES, contactsPerBatch: CONTACTS_PER_BATCH, agents: AGENTS });
    expect(batches[0].events).toBe(500);

    // 1. Full speed into both, A killed while both posters have a batch on the wire.
    const dirA = dataDir();
    const a = await start(dirA);
    const b = await start(dataDir());
    const run = await ingestUntilKilled({ posterUrls: [a.baseUrl, b.baseUrl], ingestKey: INGEST_KEY, batches, killAfterAcks: KILL_AFTER_ACKS, kill: () => a.kill9(), killed: a.baseUrl });
    expect(run.refused).toEqual([]);
    expect(run.acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(run.cut.length, 'batches on the wire to A at the kill').toBeGreaterThanOrEqual(1);
    expect(run.unsent, 'batches still to send at the kill').toBeGreaterThan(0);

    // 2. A restarted on its DATA_DIR: on both, every acknowledged contact once, cut ones at most once.
    const a2 = await start(dirA);
    await sameFiguresOnBoth(reader(a2), reader(b));
    for (const server of [a2, b]) await expectAcknowledgedOnce(reader(server), day, batches, run, AGENTS);

    // 3. Every batch again, alternately to A and B: answered in full, acknowledged ones as duplicates only.
    await expectResentAnsweredInFull([a2.baseUrl, b.baseUrl], INGEST_KEY, batches, run);

    // 4. The same figures on both at every scope, and exactly what was posted.
    await sameFiguresOnBoth(reader(a2), reader(b));
    for (const server of [a2, b]) {
      await expectEverythingOnce(reader(server), day, batches, AGENTS);
      for (const scope of [...QUEUES, ...SITES]) expect((await liveCounts(reader(server), scope)).offered, `${scope} offered`).toBe(offeredIn(batches, scope));
      for (let i = 0; i < AGENTS; i++) {
        const handled = sum(batches.map((batch) => batch.handledBy.get(`agent${i}`) ?? 0));
        expect((await liveCounts(reader(server), AGENT_SCOPES[i])).handled, `${AGENT_SCOPES[i]} handled`).toBe(handled);
      }
    }
  });
});
