/**
 * The LMDB event log keeps the EventLog contract of the DuckDB one (issue 15): events come back
 * exactly, ids are unique across restarts, replay is in (ts, id) order, the tail after a
 * checkpoint in commit order, agent states as of a commit, commits applied in order before their
 * appends resolve, and a disk that cannot take writes is refused with a clear error.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateEvent, type CallCentreEvent } from '../../shared/events.ts';
import { randomStream } from '../../test/fixtures/random-stream.ts';
import { DuckDbEventLog } from './duckdb-event-log.ts';
import { StoreError } from './event-log.ts';
import { LmdbEventLog } from './lmdb-event-log.ts';
import { fillDisk } from '../../test/fixtures/full-disk.ts';

const NOW_MS = Date.parse('2026-11-20T16:00:00+08:00');
const dirs: string[] = [];
const mounts: string[] = [];

afterEach(() => {
  for (const dir of mounts.splice(0)) execFileSync('umount', [dir]);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wallboard-lmdb-log-'));
  dirs.push(dir);
  return dir;
}

function validated(inputs: unknown[]): CallCentreEvent[] {
  return inputs.map((input, i) => {
    const result = validateEvent(input, `event[${i}]`);
    if (!result.ok) throw new Error(result.error);
    return result.event;
  });
}

async function replayed(log: LmdbEventLog, sinceMs = 0): Promise<CallCentreEvent[]> {
  const out: CallCentreEvent[] = [];
  await log.replay(sinceMs, (events) => void out.push(...events));
  return out;
}

const byTsId = (a: CallCentreEvent, b: CallCentreEvent) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('LmdbEventLog', () => {
  it('replays every event exactly as appended, in (ts, id) order, and from a time on', async () => {
    const dataDir = tempDir();
    const events = validated(randomStream(11, NOW_MS));
    expect(new Set(events.map((e) => e.type)).size).toBeGreaterThanOrEqual(8);
    const log = await LmdbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    for (let i = 0; i < events.length; i += 250) await log.append(events.slice(i, i + 250));
    expect(await replayed(log)).toEqual([...events].sort(byTsId));
    const since = NOW_MS - 3600_000;
    expect(await replayed(log, since)).toEqual([...events].filter((e) => e.ts >= since).sort(byTsId));
    await log.close();
  });

  it('counts an id once: within a batch, across batches in flight together, and across restarts', async () => {
    const dataDir = tempDir();
    const events = validated(randomStream(12, NOW_MS, 60));
    const log = await LmdbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    const half = events.slice(0, 100);
    const first = await log.append([...half, half[0]]);
    expect(first).toMatchObject({ duplicates: 1 });
    expect(first.accepted).toHaveLength(100);
    // Two appends of the same events at once: one takes them, the other counts duplicates.
    const rest = events.slice(100);
    const [a, b] = await Promise.all([log.append(rest), log.append(rest)]);
    expect(a.accepted.length + b.accepted.length).toBe(rest.length);
    expect(a.duplicates + b.duplicates).toBe(rest.length);
    await log.close();

    const reopened = await LmdbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    const again = await reopened.append(events);
    expect(again).toEqual({ accepted: [], duplicates: events.length });
    expect((await replayed(reopened)).length).toBe(events.length);
    await reopened.close();
  });

  it('applies each commit synchronously before append resolves, receivedMs strictly growing, also across a restart', async () => {
    const dataDir = tempDir();
    const events = validated(randomStream(13, NOW_MS, 80));
    const clock = { now: () => NOW_MS };
    const log = await LmdbEventLog.open({ dataDir, clock });
    const applied: { ids: string[]; receivedMs: number }[] = [];
    log.onCommit((committed, receivedMs) => applied.push({ ids: committed.map((e) => e.id), receivedMs }));
    const batches = Array.from({ length: 6 }, (_, i) => events.slice(i * 40, i * 40 + 40));
    await Promise.all(
      batches.map(async (batch) => {
        const result = await log.append(batch, { prepare: async () => {} });
        // Applied by the time the append resolves.
        const seen = new Set(applied.flatMap((c) => c.ids));
        expect(result.accepted.every((e) => seen.has(e.id))).toBe(true);
      }),
    );
    const times = applied.map((c) => c.receivedMs);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
    expect(log.lastCommittedMs).toBe(times.at(-1));
    await log.close();
    const reopened = await LmdbEventLog.open({ dataDir, clock });
    expect(reopened.lastCommittedMs).toBe(times.at(-1));
    let after = 0;
    reopened.onCommit((_, receivedMs) => (after = receivedMs));
    await reopened.append(events.slice(240, 250));
    expect(after).toBeGreaterThan(times.at(-1)!);
    await reopened.close();
  });

  it('replays the tail committed after a checkpoint in commit order, (ts, id) within a commit', async () => {
    const dataDir = tempDir();
    const events = validated(randomStream(14, NOW_MS, 80));
    let now = NOW_MS;
    const log = await LmdbEventLog.open({ dataDir, clock: { now: () => now } });
    const commits: number[] = [];
    log.onCommit((_, receivedMs) => commits.push(receivedMs));
    const batches = [events.slice(0, 100), events.slice(100, 200), events.slice(200)];
    for (const batch of batches) {
      await log.append(batch);
      now += 1000;
    }
    const tail: CallCentreEvent[] = [];
    await log.replayCommittedAfter(commits[0], 0, (batch) => void tail.push(...batch));
    expect(tail).toEqual([...[...batches[1]].sort(byTsId), ...[...batches[2]].sort(byTsId)]);
    const since = NOW_MS - 3600_000;
    const recent: CallCentreEvent[] = [];
    await log.replayCommittedAfter(commits[1], since, (batch) => void recent.push(...batch));
    expect(recent).toEqual([...batches[2]].filter((e) => e.ts >= since).sort(byTsId));
    const none: CallCentreEvent[] = [];
    await log.replayCommittedAfter(commits[2], 0, (batch) => void none.push(...batch));
    expect(none).toEqual([]);
    await log.close();
  });

  it('gives agent states from a time on plus, per agent, the last one before it, as of a commit', async () => {
    const dataDir = tempDir();
    let now = NOW_MS;
    const log = await LmdbEventLog.open({ dataDir, clock: { now: () => now } });
    const commits: number[] = [];
    log.onCommit((_, receivedMs) => commits.push(receivedMs));
    const since = NOW_MS - 3600_000;
    const state = (id: string, agentId: string, ts: number, s: string) => ({ id, type: 'agent.state', ts, agentId, state: s });
    const first = validated([
      state('s1', 'a1', since - 9 * 86_400_000, 'ready'), // beyond the look-back
      state('s2', 'a1', since - 600_000, 'busy'),
      state('s3', 'a1', since - 300_000, 'acw'),
      state('s4', 'a2', since - 100_000, 'ready'),
      state('s5', 'a1', since + 1000, 'ready'),
      { id: 'c1', type: 'contact.offered', ts: since + 5, contactId: 'k1', queue: 'general', site: 'hz', channel: 'phone' },
    ]);
    await log.append(first);
    now += 1000;
    await log.append(validated([state('s6', 'a2', since - 50_000, 'not_ready'), state('s7', 'a2', since + 2000, 'busy')]));
    const asOf = async (through: number) => {
      const out: string[] = [];
      await log.agentStates(since, through, (batch) => void out.push(...batch.map((e) => e.id)));
      return out;
    };
    expect(await asOf(commits[0])).toEqual(['s3', 's4', 's5']);
    expect(await asOf(commits[1])).toEqual(['s3', 's6', 's5', 's7']);
    await log.close();
  });

  it('refuses a DATA_DIR it cannot write, naming it, and leaves nothing behind', async () => {
    const parent = tempDir();
    const file = join(parent, 'a-file');
    closeSync(openSync(file, 'w'));
    const error = await LmdbEventLog.open({ dataDir: join(file, 'data'), clock: { now: () => NOW_MS } }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/not a directory/);

    const readOnly = join(parent, 'ro');
    mkdirSync(readOnly);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', readOnly]);
    mounts.push(readOnly);
    const roError = await LmdbEventLog.open({ dataDir: readOnly, clock: { now: () => NOW_MS } }).then(() => null, (e: unknown) => e);
    expect(roError).toBeInstanceOf(StoreError);
    expect((roError as Error).message).toMatch(/read-only file system/);
  });

  it('on a full disk: refuses the batch whole, says so in health without paths, and takes the retry once space is back', async () => {
    const dataDir = join(tempDir(), 'full');
    mkdirSync(dataDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dataDir]);
    mounts.push(dataDir);
    const events = validated(randomStream(15, NOW_MS, 300));
    const log = await LmdbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    const first = events.slice(0, 200);
    await log.append(first);
    const filler = fillDisk(dataDir);
    // Enough to need new pages past what the file has.
    const second = events.slice(200);
    const error = await log.append(second).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/^the event store: cannot write events \(.+\); nothing in this batch was stored$/);
    expect((error as Error).message).not.toContain(dataDir);
    expect(log.health()).toEqual({ ok: false, restartRequired: false, error: (error as Error).message });

    rmSync(filler);
    const retried = await log.append(second);
    expect(retried.duplicates).toBe(0);
    expect(retried.accepted).toHaveLength(second.length);
    // The journal takes writes again (the copy into DuckDB may still be catching up).
    expect(log.health()).toMatchObject({ ok: true, restartRequired: false });
    await log.close();
    const reopened = await LmdbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    expect((await replayed(reopened)).map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    await reopened.close();
  });

  it('fills the DuckDB events table behind the acknowledgements, each event once with its ingest key and commit time, and empties the journal', async () => {
    const dataDir = tempDir();
    let now = NOW_MS;
    const clock = { now: () => now++ };
    const events = validated(randomStream(16, NOW_MS, 120));
    const duck = await DuckDbEventLog.open({ dataDir, clock });
    const log = await LmdbEventLog.open({ dataDir, clock, duck });
    const commits: number[] = [];
    log.onCommit((_, receivedMs) => commits.push(receivedMs));
    await Promise.all([log.append(events.slice(0, 200), { ingestKey: 'pbx' }), log.append(events.slice(200), { ingestKey: 'crm' })]);
    // A replay waits for the copy: what it reads is DuckDB's.
    expect((await replayed(log)).length).toBe(events.length);
    expect(log.copyLag).toBe(0);
    const connection = await duck.connect();
    const rows = (await connection.runAndReadAll('SELECT id, ingest_key, CAST(received_ms AS DOUBLE) FROM events ORDER BY id')).getRows();
    connection.closeSync();
    const keyOf = new Map(events.map((e, i) => [e.id, i < 200 ? 'pbx' : 'crm']));
    expect(rows.map(([id, key]) => [id, key])).toEqual([...keyOf].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, key]) => [id, key]));
    expect(new Set(rows.map((row) => row[2]))).toEqual(new Set(commits));
    // The next commit deletes the copied entries: the journal holds only what DuckDB may lack.
    await log.append(validated(randomStream(17, NOW_MS, 5)).map((e) => ({ ...e, id: `x-${e.id}` })));
    expect(log.journalCount()).toBeLessThanOrEqual(1);
    // Closing the journal closes DuckDB.
    await log.close();
    const reopened = await DuckDbEventLog.open({ dataDir, clock });
    let count = 0;
    await reopened.replay(0, (batch) => void (count += batch.length));
    expect(count).toBeGreaterThan(events.length);
    await reopened.close();
  });

  it('keeps acknowledging while DuckDB cannot take the copy, says so in health, and catches up once it can', async () => {
    const dataDir = tempDir();
    const clock = { now: () => NOW_MS };
    const events = validated(randomStream(18, NOW_MS, 200));
    const duck = await DuckDbEventLog.open({ dataDir, clock });
    const log = await LmdbEventLog.open({ dataDir, clock, duck });
    await log.append(events.slice(0, 100));
    await log.replay(0, () => {});
    // DuckDB refuses the copy (as on a disk of its own that filled up): the journal still acknowledges.
    const copyCommits = duck.copyCommits.bind(duck);
    duck.copyCommits = async () => {
      throw new StoreError('the event store: cannot write events (No space left on device); nothing in this batch was stored');
    };
    const second = await log.append(events.slice(100));
    expect(second.accepted).toHaveLength(events.length - 100);
    // Its ids are still known while only the journal has them.
    expect((await log.append(events.slice(100, 150))).duplicates).toBe(50);
    while (!log.health().copy) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.health()).toMatchObject({ ok: true, restartRequired: false, copy: { restartRequired: false } });
    expect(log.health().copy!.commitsBehind).toBeGreaterThan(0);
    expect(log.health().copy!.error).toMatch(/No space left on device/);
    duck.copyCommits = copyCommits;
    expect((await replayed(log)).map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(log.health()).toEqual({ ok: true, restartRequired: false });
    await log.close();
  });

  it('a journal left uncopied (DuckDB refused until the stop) is copied at the next open, each event once', async () => {
    const dataDir = tempDir();
    const clock = { now: () => NOW_MS };
    const events = validated(randomStream(19, NOW_MS, 200));
    const duck = await DuckDbEventLog.open({ dataDir, clock });
    const log = await LmdbEventLog.open({ dataDir, clock, duck });
    await log.append(events.slice(0, 300));
    await log.replay(0, () => {});
    duck.copyCommits = async () => {
      throw new StoreError('no space');
    };
    await log.append(events.slice(300));
    const lastMs = log.lastCommittedMs;
    expect(log.journalCount()).toBeGreaterThanOrEqual(1);
    await log.close();

    const reopened = await LmdbEventLog.open({ dataDir, clock });
    expect(reopened.lastCommittedMs).toBe(lastMs);
    expect(reopened.journalCount()).toBe(0);
    const ids = (await replayed(reopened)).map((e) => e.id);
    expect(ids.sort()).toEqual(events.map((e) => e.id).sort());
    // Ids copied at open are known (to the filter, not only the table).
    expect((await reopened.append(events)).duplicates).toBe(events.length);
    await reopened.close();
  });

  it("stores the ingest worker's JSON text as is when every event is new, and serialises the new ones itself when some were duplicates", async () => {
    const dataDir = tempDir();
    const events = validated(randomStream(14, NOW_MS, 40));
    const log = await LmdbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    const [first, second] = [events.slice(0, 80), events.slice(80)];
    // All new: the text given is what the journal keeps (here with one offer's queue renamed).
    const offer = first.find((e) => e.type === 'contact.offered')!;
    expect(offer).toBeDefined();
    const marked = first.map((e) => (e === offer ? { ...e, queue: 'from-the-text' } : e));
    expect((await log.append(first, { json: JSON.stringify(marked) })).accepted).toHaveLength(first.length);
    // One duplicate: the text would store it twice, so the new events are serialised instead.
    const withDuplicate = [...second, first[1]];
    const result = await log.append(withDuplicate, { json: JSON.stringify(withDuplicate) });
    expect(result.duplicates).toBe(1);
    await log.close();

    const reopened = await LmdbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    const back = await replayed(reopened);
    expect(back).toHaveLength(events.length);
    expect(new Set(back.map((e) => e.id)).size).toBe(events.length);
    expect(back.find((e) => e.id === offer.id)).toMatchObject({ queue: 'from-the-text' });
    await reopened.close();
  });
});
