/**
 * `kill -9` at full speed, end to end (issue 15): a real server process (SIMULATE=0, fresh
 * DATA_DIR) takes NDJSON batches of complete contacts (offered, answered, ended, wrapped) and
 * agent states from two posters sending back to back; once ingest is in full swing it is killed
 * with SIGKILL while both posters have a batch on the wire. Restarted on the same DATA_DIR, it
 * counts every acknowledged contact exactly once: today's offered, answered and handled (live and
 * in the daily report) lie between the acknowledged contacts and those plus the ones cut in flight,
 * and agents are in a state no older than the last acknowledged one. Then every batch is sent
 * again: each is answered in full (accepted + duplicates), acknowledged ones as duplicates only,
 * and the figures equal exactly what was posted. Run on the default acknowledged log and on each
 * EVENT_LOG.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dayBounds } from '../../shared/time.ts';
import { expectAcknowledgedOnce, expectEverythingOnce, expectResentAnsweredInFull } from '../fixtures/counted-once.ts';
import { fullSpeedBatches, ingestUntilKilled, sum, zoneNearNoon } from '../fixtures/full-speed-ingest.ts';
import { startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';

const INGEST_KEY = 'kill9-ingest-key';
const ADMIN_TOKEN = 'kill9-admin-token';
const BATCHES = 50;
const CONTACTS_PER_BATCH = 480;
const AGENTS = 40;
const POSTERS = 2;
/** Acknowledged batches before the kill: ingest is in full swing by then (over a quarter sent). */
const KILL_AFTER_ACKS = 15;

const EVENT_LOGS: Array<{ name: string; env: Record<string, string> }> = [
  // Whatever the server picks when EVENT_LOG is not set.
  { name: 'the default event log', env: {} },
  { name: 'EVENT_LOG=duckdb', env: { EVENT_LOG: 'duckdb' } },
  { name: 'EVENT_LOG=lmdb', env: { EVENT_LOG: 'lmdb' } },
];

describe.each(EVENT_LOGS)('kill -9 at full speed, end to end, on $name', ({ env: logEnv }) => {
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await server?.kill9();
    server = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it('counts every acknowledged event exactly once after the restart, and everything once after sending it all again', { timeout: 900_000 }, async () => {
    const nowMs = Date.now();
    const timeZone = zoneNearNoon(nowMs);
    const day = dayBounds(nowMs, timeZone).day;
    dataDir = mkdtempSync(join(tmpdir(), 'wallboard-kill9-full-'));
    const env = { DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN, CENTRE_TZ: timeZone, ...logEnv };
    const batches = fullSpeedBatches(nowMs, { batches: BATCHES, contactsPerBatch: CONTACTS_PER_BATCH, agents: AGENTS });
    expect(sum(batches.map((b) => b.events))).toBeGreaterThanOrEqual(50_000);

    // 1. Full speed, killed mid-stream.
    server = await startServerProcess(env);
    const killed = server;
    const run = await ingestUntilKilled({ posterUrls: Array(POSTERS).fill(server.baseUrl), ingestKey: INGEST_KEY, batches, killAfterAcks: KILL_AFTER_ACKS, kill: () => killed.kill9() });
    server = undefined;
    expect(run.refused).toEqual([]);
    expect(run.acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(run.cut.length, 'batches on the wire at the kill').toBeGreaterThanOrEqual(1);
    expect(run.unsent, 'batches still to send at the kill').toBeGreaterThan(0);

    // 2. Restarted on the same DATA_DIR: every acknowledged contact once; cut ones at most once.
    server = await startServerProcess(env);
    const reader = { baseUrl: server.baseUrl, adminToken: ADMIN_TOKEN };
    await expectAcknowledgedOnce(reader, day, batches, run, AGENTS);

    // 3. Every batch again: answered in full, acknowledged ones as duplicates only.
    await expectResentAnsweredInFull([server.baseUrl], INGEST_KEY, batches, run);

    // 4. Everything posted, each once: nothing lost, nothing doubled.
    await expectEverythingOnce(reader, day, batches, AGENTS);
  });
});
