/**
 * Reading the shared stream in batches (issue 16), on a real redis-server: what one read returns
 * is committed to the local store in as few appends as the ingest keys allow, while the engine
 * (the commit listener) and the app's hooks still see each entry's new events apart, in stream
 * order, an id repeated in a later entry counted once, and every own append answered with its
 * own share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallCentreEvent } from '../../shared/events.ts';
import { startRedisServer, type RedisServer } from '../../test/fixtures/redis-server.ts';
import { MemoryEventLog, type AppendOptions } from '../store/event-log.ts';
import { RedisStreamEventLog } from './redis-stream-log.ts';

const PREFIX = 'batched';
const NOW_MS = Date.UTC(2026, 11, 5, 4);

const offered = (id: string, queue = 'general'): CallCentreEvent =>
  ({ id, type: 'contact.offered', ts: NOW_MS, contactId: id, queue, site: 'hz', channel: 'phone' }) as CallCentreEvent;

/** A memory log that counts its appends (each one commit) and records what the engine would be handed. */
class CountingLog extends MemoryEventLog {
  appends = 0;
  override append(events: CallCentreEvent[], options?: AppendOptions) {
    this.appends++;
    return super.append(events, options);
  }
}

type Client = RedisClientType<any, any, any, any, any>;

describe('the shared stream read in batches', () => {
  let redis: RedisServer;
  const clients: Client[] = [];
  const dirs: string[] = [];
  const logs: RedisStreamEventLog[] = [];

  const connect = async (): Promise<Client> => {
    const client = createClient({ url: redis.url }) as Client;
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };

  /** A process's stream log on its own memory store, with the engine's batches and the hooks' calls recorded. */
  const openProcess = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-stream-batches-'));
    dirs.push(dataDir);
    const local = new CountingLog();
    const log = await RedisStreamEventLog.open({ local, writer: await connect(), reader: await connect(), dataDir, logger: pino({ level: 'silent' }), clock: { now: () => NOW_MS }, prefix: PREFIX, trim: false });
    logs.push(log);
    const engineBatches: string[][] = [];
    const prepared: string[] = [];
    const applied: string[] = [];
    log.onCommit((events) => engineBatches.push(events.map((e) => e.id)));
    log.followRemote({
      prepare: async (fresh) => void prepared.push(...fresh.map((e) => e.id)),
      applied: async (events) => void applied.push(...events.map((e) => e.id)),
    });
    return { log, local, engineBatches, prepared, applied };
  };

  beforeAll(async () => {
    redis = await startRedisServer({ appendfsync: 'everysec' });
  }, 60_000);

  afterAll(async () => {
    for (const log of logs) await log.close().catch(() => undefined);
    for (const client of clients) client.destroy();
    await redis?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('commits a read in one append per run of one ingest key, and hands the engine each entry apart', { timeout: 60_000 }, async () => {
    const raw = await connect();
    // Entries as other processes' scripts write them; e2 repeats x1 (an id older than the id window, re-sent).
    const entries: Array<{ k: string; events: CallCentreEvent[] }> = [
      { k: 'pbx', events: [offered('x1'), offered('x2')] },
      { k: 'pbx', events: [offered('x3'), offered('x1', 'vip')] },
      { k: 'crm', events: [offered('x4')] },
      { k: 'pbx', events: [offered('x5')] },
    ];
    for (const [i, entry] of entries.entries()) await raw.xAdd(`${PREFIX}:events`, '*', { o: `other:${i + 1}`, k: entry.k, e: JSON.stringify(entry.events) });

    const joining = await openProcess();
    expect(await joining.log.catchUp()).toBe(4);
    // Three runs: [e1 e2] of pbx, [e3] of crm, [e4] of pbx.
    expect(joining.local.appends).toBe(3);
    expect(joining.engineBatches).toEqual([['x1', 'x2'], ['x3'], ['x4'], ['x5']]);
    expect(joining.prepared).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
    expect(joining.applied).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
    expect(Object.fromEntries(joining.local.ingestKeys)).toEqual({ x1: 'pbx', x2: 'pbx', x3: 'pbx', x4: 'crm', x5: 'pbx' });
    expect(joining.log.status()).toMatchObject({ entriesApplied: 4, fromOtherProcesses: 4 });
  });

  it('answers each of its own appends with its own share, and another process follows in the same order', { timeout: 60_000 }, async () => {
    const posting = await openProcess();
    await posting.log.catchUp();
    const following = await openProcess();
    await following.log.catchUp();
    const before = following.engineBatches.length;

    const answers = await Promise.all([
      posting.log.append([offered('y1'), offered('y2')], { ingestKey: 'pbx' }),
      posting.log.append([offered('y2'), offered('y3')], { ingestKey: 'pbx' }),
      posting.log.append([offered('y4'), offered('x1')], { ingestKey: 'pbx' }),
      posting.log.append([offered('y5')], { ingestKey: 'crm' }),
    ]);
    expect(answers.map((a) => ({ accepted: a.accepted.map((e) => e.id), duplicates: a.duplicates }))).toEqual([
      { accepted: ['y1', 'y2'], duplicates: 0 },
      { accepted: ['y3'], duplicates: 1 },
      { accepted: ['y4'], duplicates: 1 },
      { accepted: ['y5'], duplicates: 0 },
    ]);
    // Own entries are followed up by the ingest path, not by the hooks.
    expect(posting.applied.filter((id) => id.startsWith('y'))).toEqual([]);

    const started = Date.now();
    while (following.engineBatches.flat().length - following.engineBatches.slice(0, before).flat().length < 5) {
      if (Date.now() - started > 30_000) throw new Error('the other process did not apply the entries within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(following.engineBatches.slice(before)).toEqual([['y1', 'y2'], ['y3'], ['y4'], ['y5']]);
    expect(following.engineBatches.slice(before)).toEqual(posting.engineBatches.slice(-4));
    expect(following.applied.slice(-5)).toEqual(['y1', 'y2', 'y3', 'y4', 'y5']);
  });
});
