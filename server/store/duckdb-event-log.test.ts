/**
 * What the event log stores comes back exactly (SPEC §8): every event of a seeded stream, of every
 * type, replays equal to what was appended, although each row's body keeps only the fields its
 * columns do not. Rows written by the earlier format (the whole event in the body) replay the same.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateEvent, type CallCentreEvent } from '../../shared/events.ts';
import { randomStream } from '../../test/fixtures/random-stream.ts';
import { BloomFilter, bloomKey } from '../lib/bloom.ts';
import { DuckDbEventLog, readIdsFile } from './duckdb-event-log.ts';

const NOW_MS = Date.parse('2026-11-20T16:00:00+08:00');
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function validated(inputs: unknown[]): CallCentreEvent[] {
  return inputs.map((input, i) => {
    const result = validateEvent(input, `event[${i}]`);
    if (!result.ok) throw new Error(result.error);
    return result.event;
  });
}

async function replayed(log: DuckDbEventLog): Promise<CallCentreEvent[]> {
  const out: CallCentreEvent[] = [];
  await log.replay(0, (events) => void out.push(...events));
  return out;
}

const byId = (a: CallCentreEvent, b: CallCentreEvent) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('DuckDbEventLog storage', () => {
  it('replays every event exactly as appended, of every type, though the body keeps only what the columns do not', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-event-log-'));
    dirs.push(dataDir);
    const events = validated(randomStream(11, NOW_MS));
    expect(new Set(events.map((e) => e.type)).size).toBeGreaterThanOrEqual(8);
    const log = await DuckDbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    for (let i = 0; i < events.length; i += 250) await log.append(events.slice(i, i + 250));
    expect((await replayed(log)).sort(byId)).toEqual([...events].sort(byId));
    await log.close();

    const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
    const db = await instance.connect();
    const rows = (await db.runAndReadAll(
      `SELECT count(*)::INTEGER, count(*) FILTER (WHERE ${['id', 'ts', 'type', 'contactId', 'ticketId', 'agentId'].map((k) => `(body->>'${k}') IS NOT NULL`).join(' OR ')})::INTEGER FROM events`,
    )).getRows();
    expect(rows).toEqual([[events.length, 0]]);
    db.closeSync();
    instance.closeSync();
  });

  it('replays rows stored with the whole event in the body (stores from before) the same', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-event-log-'));
    dirs.push(dataDir);
    const events = validated(randomStream(12, NOW_MS, 40));
    // Create the schema, then write rows the way the earlier version did.
    await (await DuckDbEventLog.open({ dataDir, clock: { now: () => NOW_MS } })).close();
    const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
    const db = await instance.connect();
    for (const e of events) {
      const ids = e as { contactId?: string; ticketId?: string; agentId?: string };
      await db.run('INSERT INTO events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)', [
        e.id, BigInt(e.ts), BigInt(NOW_MS), e.type, ids.contactId ?? null, ids.ticketId ?? null, ids.agentId ?? null, JSON.stringify(e),
      ]);
    }
    db.closeSync();
    instance.closeSync();
    const log = await DuckDbEventLog.open({ dataDir, clock: { now: () => NOW_MS } });
    expect((await replayed(log)).sort(byId)).toEqual([...events].sort(byId));
    await log.close();
  });
});

describe('the id filter file', () => {
  const offer = (id: string, ts: number) => validated([{ id, type: 'contact.offered', ts, contactId: `c-${id}`, queue: 'q', channel: 'phone', site: 's' }])[0];
  const offers = (from: number, n: number) => Array.from({ length: n }, (_, i) => offer(`g-${from + i}`, NOW_MS - 60_000 + i));

  it('keeps the layers the filter grew, and reads a file of one filter (written before layers) as one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-event-log-'));
    dirs.push(dataDir);
    const file = join(dataDir, 'event-ids.bloom');
    const open = () => DuckDbEventLog.open({ dataDir, clock: { now: () => NOW_MS }, minIdCapacity: 100 });
    let log = await open();
    for (let k = 0; k < 10; k++) await log.append(offers(k * 100, 100));
    const through = log.lastCommittedMs;
    await log.close();
    const saved = readIdsFile(file);
    // Grown from 100 ids in layers, none read back from the table.
    expect(saved?.layers.map((l) => [l.capacity, l.count])).toEqual([[100, 100], [200, 200], [400, 400], [800, 300]]);
    expect(saved?.throughMs).toBe(through);

    // A torn file is not used (the ids are read from the table instead): every id is still known.
    writeFileSync(file, readFileSync(file).subarray(0, 4_000));
    expect(readIdsFile(file)).toBeNull();
    log = await open();
    expect(await log.append(offers(0, 1_000))).toMatchObject({ accepted: [], duplicates: 1_000 });
    await log.close();

    // A file as the store wrote it before: magic, capacity, count, through received_ms, then one filter's bits.
    const single = new BloomFilter(2_048 * 3);
    for (let i = 0; i < 1_000; i++) single.addKey(bloomKey(`g-${i}`));
    writeFileSync(file, Buffer.concat([Buffer.from(new Float64Array([0x57424931, 2_048, 1_000, through]).buffer), Buffer.from(single.bitsCopy().buffer)]));
    expect(readIdsFile(file)?.layers.map((l) => [l.capacity, l.count])).toEqual([[2_048, 1_000]]);
    log = await open();
    const again = await log.append([...offers(990, 20)]);
    expect(again.duplicates).toBe(10);
    expect(again.accepted.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `g-${1_000 + i}`));
    await log.close();
    // Written back in layers: the one it read, and the ten ids after.
    expect(readIdsFile(file)?.layers.map((l) => [l.capacity, l.count])).toEqual([[2_048, 1_010]]);
  });
});
