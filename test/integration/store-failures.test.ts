/**
 * A bad DATA_DIR (SPEC §8: nothing acknowledged is lost): a corrupted or unwritable store, a disk
 * that fills up and a read-only directory. The server refuses to acknowledge, says why in one
 * line, and keeps everything it already stored — checked with the real server process or the
 * real DuckDbEventLog on real files.
 *
 * A full disk is a small tmpfs filled with a file; a read-only directory is a tmpfs mounted
 * read-only (as root, permission bits stop nothing). Both need root and mount(8): without them
 * these tests fail with a message saying so rather than pass without testing anything.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallCentreEvent } from '../../shared/events.ts';
import { DuckDbEventLog } from '../../server/store/duckdb-event-log.ts';
import { StoreError } from '../../server/store/event-log.ts';
import { randomStream } from '../fixtures/random-stream.ts';
import { runToExit, startServerProcess, type ServerProcess, postEvents } from '../fixtures/server-process.ts';
import { startTestServer } from '../fixtures/test-server.ts';
import { fillDisk } from '../fixtures/full-disk.ts';

const INGEST_KEY = 'store-failures-ingest-key';
const ADMIN_TOKEN = 'store-failures-admin-token';

const scratch = mkdtempSync(join(tmpdir(), 'wallboard-store-failures-'));
const mounts: string[] = [];
const servers: ServerProcess[] = [];

afterAll(async () => {
  for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) await server.kill9();
  for (const dir of mounts.reverse()) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // still busy: detach it
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** Mounts a tmpfs of `size` at a new directory; throws saying what the test needs if it cannot. */
function mountTmpfs(name: string, size: string, readOnly = false): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim();
    throw new Error(`store-failures: these tests need root and mount(8) to simulate a full or read-only disk with a tmpfs; "mount -t tmpfs" failed: ${stderr}`);
  }
  mounts.push(dir);
  return dir;
}

function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' });
}

/** Fills the disk of `dir` but leaves about `bytes` free. */
function fillDiskLeaving(dir: string, bytes: number): string {
  const path = fillDisk(dir);
  truncateSync(path, Math.max(0, statSync(path).size - bytes));
  return path;
}

const post = (baseUrl: string, batch: unknown[]) => postEvents(baseUrl, INGEST_KEY, batch);

async function healthz(baseUrl: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}/healthz`);
  return { status: res.status, body: await res.json() };
}

/** Today's centre figures without the ones that tick with the clock. */
async function centreToday(baseUrl: string, token = ADMIN_TOKEN): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}/api/v1/kpis?scope=centre&window=today`, { headers: { authorization: `Bearer ${token}` } });
  const { longestWaitSec: _l, agentsNotReadyOverLimit: _a, ...kpis } = ((await res.json()) as { kpis: Record<string, unknown> }).kpis;
  return JSON.parse(JSON.stringify(kpis, (_key, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));
}

/** The one line a server that refuses to start prints, checked to be one line without a stack. */
function refusalLine(output: string): string {
  const lines = output.trim().split('\n');
  expect(lines, output).toHaveLength(1);
  expect(output).not.toMatch(/^\s+at /m);
  return lines[0];
}

describe('store failures: the server refuses to start on a bad DATA_DIR', () => {
  it('a corrupted database file: exits 1 naming the file, and leaves the file as it was', async () => {
    const dataDir = join(scratch, 'corrupt');
    mkdirSync(dataDir);
    const dbPath = join(dataDir, 'wallboard.duckdb');
    const garbage = Buffer.from('this is not a DuckDB database; it is what a bad disk left behind\n'.repeat(2000));
    writeFileSync(dbPath, garbage);

    const { code, output } = await runToExit({ DATA_DIR: dataDir, INGEST_KEY });
    expect(code).toBe(1);
    const line = refusalLine(output);
    expect(line).toContain(`wallboard: ${dbPath}: cannot open the event store`);
    expect(line).toMatch(/not a valid DuckDB database file/);
    expect(line).toMatch(/left as it is/);
    expect(readFileSync(dbPath).equals(garbage)).toBe(true);
  });

  it('a truncated database file (a real store cut short): exits 1 naming the file, the file untouched', async () => {
    const dataDir = join(scratch, 'truncated');
    const server = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN });
    servers.push(server);
    expect((await post(server.baseUrl, randomStream(11, Date.now() - 60_000, 200))).status).toBe(200);
    expect(await server.stop()).toBe(0);
    const dbPath = join(dataDir, 'wallboard.duckdb');
    truncateSync(dbPath, Math.floor(statSync(dbPath).size / 2));
    const cut = readFileSync(dbPath);

    const { code, output } = await runToExit({ DATA_DIR: dataDir, INGEST_KEY });
    expect(code).toBe(1);
    expect(refusalLine(output)).toMatch(new RegExp(`^wallboard: ${dbPath}: cannot (open|read) the event store \\(.+\\)`));
    expect(readFileSync(dbPath).equals(cut)).toBe(true);
  });

  it('a corrupted secrets.json: exits 1 naming the file, and does not replace the keys', async () => {
    const dataDir = join(scratch, 'bad-secrets');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'secrets.json'), '{"ingestKey": "kept-k');
    const { code, output } = await runToExit({ DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(refusalLine(output)).toMatch(new RegExp(`^wallboard: ${join(dataDir, 'secrets.json')}: cannot read secrets \\(.*JSON.*\\)$`));
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toBe('{"ingestKey": "kept-k');
  });

  it('DATA_DIR under a regular file: exits 1 saying the path is not a directory', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a directory');
    for (const [dataDir, why] of [
      [join(file, 'data'), 'a part of the path is a file, not a directory'],
      [file, 'it exists and is not a directory'],
    ]) {
      const { code, output } = await runToExit({ DATA_DIR: dataDir, INGEST_KEY });
      expect(code).toBe(1);
      expect(refusalLine(output)).toBe(`wallboard: DATA_DIR ${dataDir}: cannot create the directory (${why})`);
    }
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('a read-only DATA_DIR: exits 1 saying so; once writable again the stored events are all there', async () => {
    const dataDir = mountTmpfs('read-only', '16m');
    const events = randomStream(12, Date.now() - 60_000, 200);
    let server = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN });
    servers.push(server);
    expect((await post(server.baseUrl, events)).body).toMatchObject({ accepted: events.length, duplicates: 0 });
    const figures = await centreToday(server.baseUrl);
    expect(await server.stop()).toBe(0);

    remount(dataDir, 'ro');
    const { code, output } = await runToExit({ DATA_DIR: dataDir, INGEST_KEY });
    expect(code).toBe(1);
    expect(refusalLine(output)).toBe(`wallboard: DATA_DIR ${dataDir}: not writable (read-only file system); the server cannot store events there`);
    // A DATA_DIR still to be created on a read-only mount names the mount.
    const below = await runToExit({ DATA_DIR: join(dataDir, 'sub', 'data'), INGEST_KEY });
    expect(below.code).toBe(1);
    expect(refusalLine(below.output)).toBe(`wallboard: DATA_DIR ${join(dataDir, 'sub', 'data')}: cannot create the directory (${dataDir}: read-only file system)`);

    remount(dataDir, 'rw');
    server = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN });
    servers.push(server);
    expect((await post(server.baseUrl, events)).body).toEqual({ accepted: 0, duplicates: events.length, rejected: [] });
    expect(await centreToday(server.baseUrl)).toEqual(figures);
    expect(await server.stop()).toBe(0);
  }, 60_000);
});

describe('store failures: the disk fills up while the server runs', () => {
  it('answers 503 saying why, stores nothing of the refused batch, recovers when space is back, and loses nothing across restarts', async () => {
    const dataDir = mountTmpfs('full', '16m');
    // DuckDB's events table acknowledging (EVENT_LOG=duckdb), whose commits all need new space: a
    // full disk refuses every batch. The journal (the default) may still fit a commit into pages
    // it freed: see the next test.
    const env = { DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN, EVENT_LOG: 'duckdb' };
    const events = randomStream(13, Date.now() - 60_000, 600);
    const third = Math.floor(events.length / 3);
    const [a, b, c] = [events.slice(0, third), events.slice(third, 2 * third), events.slice(2 * third)];

    let server = await startServerProcess(env);
    servers.push(server);
    expect((await post(server.baseUrl, a)).body).toEqual({ accepted: a.length, duplicates: 0, rejected: [] });
    const afterA = await centreToday(server.baseUrl);
    expect((await healthz(server.baseUrl)).body.status).toBe('ok');

    // Full: the batch is refused as a whole, with the file and the reason; the figures do not move.
    let filler = fillDisk(dataDir);
    const refused = await post(server.baseUrl, b);
    expect(refused.status).toBe(503);
    // The cause, never the server's paths (issue 12): the answer and /healthz name "the event store".
    expect(refused.body.error).toMatch(/^the event store: cannot write events \(.*No space left on device\); nothing in this batch was stored$/);
    expect(refused.body.error).not.toMatch(/\n|\s+at /);
    expect(JSON.stringify(refused.body)).not.toContain(dataDir);
    expect(JSON.stringify(refused.body)).not.toContain('wallboard.duckdb');
    const health = await healthz(server.baseUrl);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'degraded', store: { restartRequired: false } });
    expect(health.body.store.error).toMatch(/No space left on device/);
    expect(JSON.stringify(health.body)).not.toContain(dataDir);
    expect(JSON.stringify(health.body)).not.toContain('wallboard.duckdb');
    expect(await centreToday(server.baseUrl)).toEqual(afterA);
    // Re-sending what was acknowledged is still answered (duplicates need no space).
    expect((await post(server.baseUrl, a)).body).toEqual({ accepted: 0, duplicates: a.length, rejected: [] });

    // Space again: the same batch is taken whole, without a restart.
    rmSync(filler);
    expect((await post(server.baseUrl, b)).body).toEqual({ accepted: b.length, duplicates: 0, rejected: [] });
    expect(await healthz(server.baseUrl)).toMatchObject({ status: 200, body: { status: 'ok' } });
    const afterB = await centreToday(server.baseUrl);

    // Full again, and the server is killed while it is: A and B are kept, C was never stored.
    filler = fillDisk(dataDir);
    expect((await post(server.baseUrl, c)).status).toBe(503);
    await server.kill9();
    rmSync(filler);
    server = await startServerProcess(env);
    servers.push(server);
    expect(await centreToday(server.baseUrl)).toEqual(afterB);
    expect((await post(server.baseUrl, [...a, ...b])).body).toEqual({ accepted: 0, duplicates: a.length + b.length, rejected: [] });

    // Full at a clean stop: the shutdown checkpoint fails, the WAL keeps everything.
    filler = fillDisk(dataDir);
    expect((await post(server.baseUrl, c)).status).toBe(503);
    expect(await server.stop()).toBe(0);
    rmSync(filler);
    server = await startServerProcess(env);
    servers.push(server);
    expect(await centreToday(server.baseUrl)).toEqual(afterB);
    expect((await post(server.baseUrl, c)).body).toEqual({ accepted: c.length, duplicates: 0, rejected: [] });

    // The end state equals a run that never saw a full disk.
    const reference = await startTestServer({ nowMs: Date.now() });
    await reference.post(events);
    const expected = await centreToday(reference.baseUrl, 'test-admin-token');
    await reference.close();
    expect(await centreToday(server.baseUrl)).toEqual(expected);
    expect(await server.stop()).toBe(0);
  }, 60_000);

  it('with the journal (the default): on a full disk each batch is refused whole or kept whole, and what was acknowledged survives kill -9', async () => {
    const dataDir = mountTmpfs('full-journal', '16m');
    const env = { DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN };
    const events = randomStream(17, Date.now() - 60_000, 600);
    const third = Math.floor(events.length / 3);
    const batches = [events.slice(0, third), events.slice(third, 2 * third), events.slice(2 * third)];
    const figuresOf = async (subset: unknown[]) => {
      const reference = await startTestServer({ nowMs: Date.now() });
      if (subset.length > 0) await reference.post(subset);
      const figures = await centreToday(reference.baseUrl, 'test-admin-token');
      await reference.close();
      return figures;
    };

    let server = await startServerProcess(env);
    servers.push(server);
    expect((await post(server.baseUrl, batches[0])).body).toEqual({ accepted: batches[0].length, duplicates: 0, rejected: [] });
    const acknowledged = [...batches[0]];
    const filler = fillDisk(dataDir);
    // A commit that finds no space is refused whole, saying why without paths; one that fits into
    // pages the journal freed is durable like any other.
    let refusals = 0;
    for (const batch of batches.slice(1)) {
      const answer = await post(server.baseUrl, batch);
      if (answer.status === 200) {
        expect(answer.body).toEqual({ accepted: batch.length, duplicates: 0, rejected: [] });
        acknowledged.push(...batch);
      } else {
        refusals++;
        expect(answer.status).toBe(503);
        expect(answer.body.error).toMatch(/No space left on device/);
        expect(JSON.stringify(answer.body)).not.toContain(dataDir);
      }
    }
    const expectedNow = await figuresOf(acknowledged);
    expect(await centreToday(server.baseUrl)).toEqual(expectedNow);

    // Killed while the disk is full; space again; every acknowledged event is there, once.
    await server.kill9();
    rmSync(filler);
    server = await startServerProcess(env);
    servers.push(server);
    expect(await centreToday(server.baseUrl)).toEqual(expectedNow);
    // Everything posted again: the acknowledged events are duplicates, the rest is taken.
    expect((await post(server.baseUrl, events)).body).toEqual({ accepted: events.length - acknowledged.length, duplicates: acknowledged.length, rejected: [] });
    expect(await centreToday(server.baseUrl)).toEqual(await figuresOf(events));
    expect(await server.stop()).toBe(0);
  }, 120_000);
});

describe('store failures: DuckDbEventLog on a full disk', () => {
  const clock = { now: () => Date.now() };
  const idsIn = async (log: DuckDbEventLog) => {
    const ids: string[] = [];
    await log.replay(0, (events) => void ids.push(...events.map((e) => e.id)));
    return ids.sort();
  };
  const stream = (seed: number, contacts: number) => randomStream(seed, Date.now() - 60_000, contacts) as unknown as CallCentreEvent[];

  it('a commit that cannot write the WAL stores nothing and forgets the ids, so the retry is taken whole', async () => {
    const dataDir = mountTmpfs('log-wal', '8m');
    const log = await DuckDbEventLog.open({ dataDir, clock });
    const first = stream(21, 100);
    const second = stream(22, 100);
    expect((await log.append(first)).accepted).toHaveLength(first.length);

    const filler = fillDisk(dataDir);
    const error = await log.append(second).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(
      'the event store: cannot write events (Could not write file a store file: No space left on device); nothing in this batch was stored',
    );
    expect((error as Error).message).not.toContain(dataDir);
    expect(log.health()).toEqual({ ok: false, restartRequired: false, error: (error as Error).message });

    rmSync(filler);
    const retried = await log.append(second);
    expect(retried.duplicates).toBe(0);
    expect(retried.accepted.map((e) => e.id).sort()).toEqual(second.map((e) => e.id).sort());
    expect(log.health()).toEqual({ ok: true, restartRequired: false });
    await log.close();
    const reopened = await DuckDbEventLog.open({ dataDir, clock });
    expect(await idsIn(reopened)).toEqual([...first, ...second].map((e) => e.id).sort());
    await reopened.close();
  });

  it('an automatic checkpoint that fails after a durable commit: that batch is acknowledged, later ones refused until a restart', async () => {
    const dataDir = mountTmpfs('log-autocheckpoint', '8m');
    const log = await DuckDbEventLog.open({ dataDir, clock });
    const first = stream(31, 700);
    const second = stream(32, 5);
    const third = stream(33, 5);
    expect((await log.append(first)).accepted).toHaveLength(first.length);
    // The default threshold is 16 MB of WAL; lower it so the next commit checkpoints.
    const other = await log.connect();
    await other.run("SET checkpoint_threshold = '1KB'");
    // Room for a small commit in the WAL, not for the checkpoint that writes the table.
    const walBytes = statSync(join(dataDir, 'wallboard.duckdb.wal')).size;
    expect(walBytes).toBeGreaterThan(300_000);
    const filler = fillDiskLeaving(dataDir, 64 * 1024);

    expect(await log.append(second)).toEqual({ accepted: second, duplicates: 0 });
    const health = log.health();
    expect(health).toMatchObject({ ok: false, restartRequired: true });
    expect(health.error).toMatch(/^the event store failed \(.*No space left on device\); restart required/);
    expect(health.error).not.toContain(dataDir);

    const refused = await log.append(third).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as Error).message).toMatch(/restart required.*; nothing in this batch was stored$/);
    // Even with space back, this instance stays refused: DuckDB invalidated it.
    rmSync(filler);
    await expect(log.append(third)).rejects.toThrow(/restart required/);
    other.closeSync();
    await log.close();

    const reopened = await DuckDbEventLog.open({ dataDir, clock });
    expect(await idsIn(reopened)).toEqual([...first, ...second].map((e) => e.id).sort());
    expect(await reopened.append(third)).toEqual({ accepted: third, duplicates: 0 });
    await reopened.close();
  });

  it('an invalidated store over HTTP: 503 "restart required" on ingest, /healthz 503 degraded; a restarted server has every event', async () => {
    const dataDir = mountTmpfs('log-invalidated', '8m');
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ ingestKey: INGEST_KEY, displayToken: 'display-token-1', pseudonymKey: 'k'.repeat(64) }));
    const log = await DuckDbEventLog.open({ dataDir, clock });
    const server = await startTestServer({ nowMs: Date.now(), log, env: { INGEST_KEY } });
    const events = stream(41, 300);
    const [kept, refusedBatch] = [events.slice(0, 1000), events.slice(1000)];
    expect((await server.post(kept)).body).toMatchObject({ accepted: kept.length, duplicates: 0 });

    // Another connection's checkpoint on a full disk is FATAL for the whole DuckDB instance.
    const filler = fillDisk(dataDir);
    const other = await log.connect();
    await expect(other.run('CHECKPOINT')).rejects.toThrow(/FATAL/);
    other.closeSync();
    rmSync(filler);

    const res = await server.post(refusedBatch);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatch(/^the event store failed \(.+\); restart required, the events it acknowledged are kept; nothing in this batch was stored$/);
    expect(JSON.stringify(res.body)).not.toContain(dataDir);
    const health = await healthz(server.baseUrl);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'degraded', store: { restartRequired: true } });
    expect(health.body.store.error).toMatch(/restart required/);
    expect(JSON.stringify(health.body)).not.toContain(dataDir);
    await server.close();

    const restarted = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN });
    servers.push(restarted);
    expect((await post(restarted.baseUrl, kept)).body).toEqual({ accepted: 0, duplicates: kept.length, rejected: [] });
    expect((await post(restarted.baseUrl, refusedBatch)).body).toEqual({ accepted: refusedBatch.length, duplicates: 0, rejected: [] });
    expect(await restarted.stop()).toBe(0);
  });
});
