/**
 * The journal (the LMDB log in front of DuckDB) loses nothing it acknowledged (issue 15): a writer
 * process appending at full speed is killed with SIGKILL and every acknowledged event is there
 * exactly once after reopening (the journal's commits DuckDB lacked are copied in at open); and a
 * commit torn mid-write (its pages cut short, its meta page never written: what a crash or power
 * cut during the last write leaves) reopens to exactly the commits before it, which DuckDB had
 * not received yet and gets whole.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallCentreEvent } from '../../shared/events.ts';
import { DuckDbEventLog } from '../../server/store/duckdb-event-log.ts';
import { StoreError } from '../../server/store/event-log.ts';
import { LmdbEventLog } from '../../server/store/lmdb-event-log.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'wallboard-ack-log-'));
  dirs.push(dir);
  return dir;
};
const clock = { now: () => Date.now() };

async function storedIds(log: LmdbEventLog): Promise<string[]> {
  const ids: string[] = [];
  await log.replay(0, (events) => void ids.push(...events.map((e) => e.id)));
  return ids;
}

const batchIds = (batch: number, size: number) => Array.from({ length: size }, (_, i) => `b${batch}-${i}`);

function batchEvents(batch: number, size: number): CallCentreEvent[] {
  const base = Date.parse('2026-11-20T08:00:00Z');
  return batchIds(batch, size).map((id, i) => ({ id, type: 'contact.offered', ts: base + batch * 10 + (i % 7), contactId: `k${id}`, queue: 'q1', site: 'hz', channel: 'phone' }) as unknown as CallCentreEvent);
}

describe('the journal: crash safety', () => {
  it('kill -9 during sustained appends: every acknowledged event is stored exactly once', async () => {
    const dataDir = tempDir();
    const BATCH = 500;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/ack-log-writer.ts', dataDir, String(BATCH)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: number[] = [];
    /** Most commits acknowledged and not yet in DuckDB, as the writer saw it. */
    let maxLag = 0;
    let buffered = '';
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const m = /^ack (\d+) b(\d+)-(\d+) lag (\d+)$/.exec(line);
          if (m) {
            expect(m[2]).toBe(m[1]);
            expect(Number(m[3])).toBe(BATCH - 1);
            acked.push(Number(m[1]));
            maxLag = Math.max(maxLag, Number(m[4]));
          }
        }
        // Mid-stream: well after it started, while both posters keep appending.
        if (acked.length >= 200) resolve();
      });
    });
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');

    const log = await LmdbEventLog.open({ dataDir, clock });
    // The copy ran behind the acknowledgements (not asserted: a fast machine may keep up).
    console.log(`kill -9: ${acked.length} batches acknowledged, copy at most ${maxLag} commits behind, ${log.copiedAtOpen} copied at open`);
    const ids = await storedIds(log);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    // Nothing twice, every acknowledged event there.
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const missing = acked.flatMap((b) => batchIds(b, BATCH)).filter((id) => !counts.has(id));
    expect(missing).toEqual([]);
    // Commits are all-or-nothing: a batch is there whole or not at all.
    const perBatch = new Map<string, number>();
    for (const id of ids) perBatch.set(id.split('-')[0], (perBatch.get(id.split('-')[0]) ?? 0) + 1);
    expect([...perBatch.values()].every((n) => n === BATCH)).toBe(true);
    // A re-sent acknowledged batch is all duplicates.
    const again = await log.append(batchEvents(acked[0], BATCH));
    expect(again.duplicates).toBe(BATCH);
    await log.close();
  }, 120_000);

  it('a commit torn mid-write (pages cut short, meta never written) reopens to the commits before it, copied into DuckDB at open; garbage past the end is ignored', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'journal.lmdb');
    // DuckDB takes no copy (as when it is slower, or its disk is full): the commits are the journal's alone.
    const duck = await DuckDbEventLog.open({ dataDir, clock });
    duck.copyCommits = async () => {
      throw new StoreError('the copy is held back by the test');
    };
    const log = await LmdbEventLog.open({ dataDir, clock, duck });
    for (let b = 0; b < 10; b++) await log.append(batchEvents(b, 500));
    // Acknowledged = flushed: the file as the disk holds it now.
    const acknowledged = readFileSync(file);

    // The next commit, written whole; then cut back to a torn write of it: its new pages only
    // partly on disk, and the meta pages (the first two pages) as they were before it.
    await log.append(batchEvents(10, 5000));
    const written = readFileSync(file);
    await log.close();
    const pageSize = 4096;
    expect(written.length).toBeGreaterThan(acknowledged.length);
    const cut = acknowledged.length + Math.floor((written.length - acknowledged.length) / 2) + 1234;
    const torn = Buffer.concat([acknowledged.subarray(0, 2 * pageSize), written.subarray(2 * pageSize, cut)]);
    writeFileSync(file, torn);
    // And bytes of garbage after it, as a write cut off mid-page leaves.
    appendFileSync(file, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 131 + 7) & 0xff)));

    const reopened = await LmdbEventLog.open({ dataDir, clock });
    expect(reopened.copiedAtOpen).toBe(10);
    const ids = await storedIds(reopened);
    expect(ids.sort()).toEqual(Array.from({ length: 10 }, (_, b) => batchIds(b, 500)).flat().sort());
    // The torn commit was never acknowledged: its events are new, and are taken whole.
    expect((await reopened.append(batchEvents(10, 5000))).accepted).toHaveLength(5000);
    expect((await reopened.append(batchEvents(3, 500))).duplicates).toBe(500);
    await reopened.close();
    const last = await LmdbEventLog.open({ dataDir, clock });
    expect((await storedIds(last)).length).toBe(10 * 500 + 5000);
    await last.close();
    expect(readdirSync(dataDir).filter((name) => name.startsWith('journal')).sort()).toEqual(['journal.lmdb', 'journal.lmdb-lock']);
  }, 120_000);
});
