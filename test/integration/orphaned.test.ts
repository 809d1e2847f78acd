/**
 * contact.orphaned (issue 13: a QUEUESTART ends every call still waiting): the contact leaves
 * "in queue" and "longest wait" at once, counts as offered, and is never answered, abandoned or
 * flowed out: live, after the orphan arrived before its offer, after a restart from the store,
 * and in the daily report, the intervals, the contacts behind a figure and the month extract.
 *
 * Today (2026-05-14, Asia/Shanghai), queue sales at site hz, now 10:00:00:
 * - c1 offered 09:55:00, orphaned 09:59:00 (pbx_restart)
 * - c2 offered 09:56:00, still waiting          → in queue 1, longest wait 240 s
 * - c3 offered 09:57:00, answered 09:57:10       → answer rate 1/1 (wait 10 s)
 * Offered 3, answered 1, abandoned 0, flowed out 0; without the orphan c1 would be in queue
 * (2, longest wait 300 s), and the answer rate's base is the same 1 with it or without.
 * 2026-05-11 (a stored day): p1 offered 14:03:00, orphaned 14:20:00; p2 offered 14:05:00,
 * answered 14:05:20 → offered 2 (both in the 14:00 interval), answer rate 1/1.
 */
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { RecordStore } from '../../server/store/record-store.ts';
import { startTestServer, type TestServer } from '../fixtures/test-server.ts';

const TZ = '+08:00';
const TODAY = '2026-05-14';
const PAST = '2026-05-11';
const at = (day: string, time: string) => Date.parse(`${day}T${time}${TZ}`);
const NOW = at(TODAY, '10:00:00');
const where = { queue: 'sales', site: 'hz', channel: 'phone' };

const offers = [
  { id: 'o-c1', type: 'contact.offered', ts: at(TODAY, '09:55:00'), contactId: 'c1', ...where },
  { id: 'o-c2', type: 'contact.offered', ts: at(TODAY, '09:56:00'), contactId: 'c2', ...where },
  { id: 'o-c3', type: 'contact.offered', ts: at(TODAY, '09:57:00'), contactId: 'c3', ...where },
  { id: 'a-c3', type: 'contact.answered', ts: at(TODAY, '09:57:10'), contactId: 'c3', agentId: 'a1' },
];
const orphan = { id: 'x-c1', type: 'contact.orphaned', ts: at(TODAY, '09:59:00'), contactId: 'c1', reason: 'pbx_restart' };
const past = [
  { id: 'o-p1', type: 'contact.offered', ts: at(PAST, '14:03:00'), contactId: 'p1', ...where },
  { id: 'x-p1', type: 'contact.orphaned', ts: at(PAST, '14:20:00'), contactId: 'p1', reason: 'pbx_restart' },
  { id: 'o-p2', type: 'contact.offered', ts: at(PAST, '14:05:00'), contactId: 'p2', ...where },
  { id: 'a-p2', type: 'contact.answered', ts: at(PAST, '14:05:20'), contactId: 'p2', agentId: 'a1' },
];

type Kpi = { value: number | null; num?: number; den?: number };
type Kpis = Record<string, Kpi>;
const ratio = (k: Kpi) => ({ value: k.value, num: k.num, den: k.den });

async function live(server: TestServer, scope = 'centre', window = 'today'): Promise<Kpis> {
  const { status, body } = await server.kpis(scope, window);
  expect(status).toBe(200);
  return body.kpis as Kpis;
}

async function daily(server: TestServer, day: string, groupBy = 'centre'): Promise<Kpis> {
  const { status, body } = await server.daily({ from: day, to: day, groupBy });
  expect(status).toBe(200);
  expect(body.rows).toHaveLength(1);
  return body.rows[0].kpis as Kpis;
}

/** The figures today's scenario must show, whatever the order the events came in. */
async function expectToday(server: TestServer, label: string): Promise<void> {
  for (const [scope, window] of [['centre', 'today'], ['queue:sales', 'today'], ['site:hz/queue:sales', '15m']]) {
    const kpis = await live(server, scope, window);
    const what = `${label} ${scope} ${window}`;
    expect(kpis.inQueue.value, what).toBe(1);
    expect(kpis.longestWaitSec.value, what).toBe(240);
    expect(kpis.offered.value, what).toBe(3);
    expect(kpis.answered.value, what).toBe(1);
    expect(kpis.abandoned.value, what).toBe(0);
    expect(kpis.flowedOut.value, what).toBe(0);
    expect(ratio(kpis.answerRate), what).toEqual({ value: 1, num: 1, den: 1 });
    expect(ratio(kpis.abandonRate), what).toEqual({ value: 0, num: 0, den: 1 });
    expect(ratio(kpis.serviceLevel), what).toEqual({ value: 1, num: 1, den: 1 });
  }
  // The daily report (stored records) agrees with the live figures.
  await server.app.flushRecords();
  const report = await daily(server, TODAY);
  const kpis = await live(server);
  for (const name of ['offered', 'answered', 'abandoned', 'flowedOut', 'answerRate', 'abandonRate', 'serviceLevel', 'asaSec']) {
    expect(ratio(report[name]), `${label} daily ${name}`).toEqual(ratio(kpis[name]));
  }
  expect(report.offered.value).toBe(3);
}

/** Runs `use` on the server's DuckDB file while no server holds it. */
async function withStore<T>(dataDir: string, use: (db: DuckDBConnection, records: RecordStore) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
  const db = await instance.connect();
  let records: RecordStore | undefined;
  try {
    records = await RecordStore.open(() => instance.connect(), { timeZone: 'Asia/Shanghai', settings: DEFAULT_KPI_SETTINGS, clock: { now: () => NOW } });
    return await use(db, records);
  } finally {
    records?.close();
    db.closeSync();
    instance.closeSync();
  }
}

async function post(server: TestServer, events: unknown[]): Promise<void> {
  const { status, body } = await server.post(events);
  expect(status).toBe(200);
  expect(body.rejected).toEqual([]);
}

async function drill(server: TestServer, kpi: string): Promise<any> {
  const { status, body } = await server.request('GET', `/api/v1/kpis/contacts?scope=centre&window=today&kpi=${kpi}`);
  expect(status).toBe(200);
  return body;
}

describe('contact.orphaned end to end (durable store)', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });
  async function start(dataDir?: string): Promise<TestServer> {
    const server = await startTestServer({ nowMs: NOW, durable: true, dataDir });
    servers.push(server);
    return server;
  }

  it('leaves the queue at once, counts as offered only, and stays so after a restart from the store', async () => {
    const server = await start();
    await post(server, offers);
    const before = await live(server);
    expect([before.inQueue.value, before.longestWaitSec.value, before.offered.value]).toEqual([2, 300, 3]);
    expect(ratio(before.answerRate)).toEqual({ value: 1, num: 1, den: 1 });

    await post(server, [orphan]);
    await expectToday(server, 'live');
    // Sent again (a re-import): a duplicate, nothing changes.
    expect((await server.post([orphan])).body).toMatchObject({ accepted: 0, duplicates: 1 });
    await expectToday(server, 'duplicate');

    // The contacts behind the figures: c1 is in offered's population and in no other figure's.
    const offered = await drill(server, 'offered');
    expect(offered.rows.map((r: any) => [r.id, r.outcome]).sort()).toEqual([['c1', null], ['c2', null], ['c3', 'answered']]);
    for (const kpi of ['answerRate', 'answered', 'abandoned', 'flowedOut', 'abandonRate', 'serviceLevel', 'asaSec']) {
      const body = await drill(server, kpi);
      expect(body.rows.map((r: any) => r.id), kpi).not.toContain('c1');
    }

    // Stored: the column, and not waiting in the store's eyes.
    const dataDir = server.dataDir;
    await servers.pop()!.close();
    const stored = await withStore(dataDir, async (db, records) => ({
      rows: (await db.runAndReadAll('SELECT contact_id, CAST(orphaned_ms AS DOUBLE), outcome FROM contacts ORDER BY contact_id')).getRows(),
      waiting: (await records.loadWaitingContacts(TODAY)).map((s) => s.fold.record.contactId),
    }));
    expect(stored.rows).toEqual([['c1', orphan.ts, null], ['c2', null, null], ['c3', null, 'answered']]);
    expect(stored.waiting).toEqual(['c2']);

    // Restart from the store's checkpoint: the same figures (c1 is not brought back into the queue).
    await expectToday(await start(dataDir), 'restarted');
    await servers.pop()!.close();
    // And rebuilt from the records alone (no checkpoint of the counters).
    await withStore(dataDir, (db) => db.run('DELETE FROM live_counters; UPDATE record_sync SET exact = false'));
    const restarted = await start(dataDir);
    // Rebuilt, it wrote its first checkpoint (every counter bucket) before serving, not on its first timed write.
    const checkpoint = await restarted.records!.read(async (db) => (await db.runAndReadAll('SELECT bool_and(exact), (SELECT count(*) FROM live_counters) FROM record_sync')).getRows()[0]);
    expect(checkpoint[0]).toBe(true);
    expect(Number(checkpoint[1])).toBeGreaterThan(0);
    await expectToday(restarted, 'rebuilt');

    // The waiting contact still leaves the queue when its own outcome comes.
    await post(restarted, [{ id: 'b-c2', type: 'contact.abandoned', ts: at(TODAY, '09:59:30'), contactId: 'c2' }]);
    const after = await live(restarted);
    expect([after.inQueue.value, after.offered.value, after.abandoned.value]).toEqual([0, 3, 1]);
    expect(ratio(after.answerRate)).toEqual({ value: 0.5, num: 1, den: 2 });
  });

  it('gives the same figures when the orphan arrives before its offer, and after a restart between them', async () => {
    const server = await start();
    await post(server, [orphan]);
    const early = await live(server);
    expect([early.inQueue.value, early.offered.value]).toEqual([0, 0]);
    // Restart with only the orphan stored: the offer then finds the stored fold.
    await server.app.flushRecords();
    const dataDir = server.dataDir;
    await servers.pop()!.close();
    const restarted = await start(dataDir);
    await post(restarted, offers);
    await expectToday(restarted, 'out of order');
  });

  it('without a store (the engine memory answers the contacts behind a figure): the same', async () => {
    const server = await startTestServer({ nowMs: NOW });
    servers.push(server);
    await post(server, [orphan, ...offers]);
    for (const [scope, window] of [['centre', 'today'], ['queue:sales', '15m']]) {
      const kpis = await live(server, scope, window);
      expect([kpis.inQueue.value, kpis.longestWaitSec.value, kpis.offered.value, kpis.answered.value], scope).toEqual([1, 240, 3, 1]);
      expect(ratio(kpis.answerRate), scope).toEqual({ value: 1, num: 1, den: 1 });
    }
    const offered = await drill(server, 'offered');
    expect(offered.rows.map((r: any) => [r.id, r.outcome]).sort()).toEqual([['c1', null], ['c2', null], ['c3', 'answered']]);
    for (const kpi of ['answerRate', 'answered', 'abandoned', 'flowedOut']) {
      expect((await drill(server, kpi)).rows.map((r: any) => r.id), kpi).not.toContain('c1');
    }
  });

  it('counts an orphan of a stored day as offered only in its daily report, intervals and month extract', async () => {
    const server = await start();
    await post(server, past);
    await post(server, offers);
    await post(server, [orphan]);
    await server.app.flushRecords();

    const report = await daily(server, PAST, 'queue');
    expect(report.offered.value).toBe(2);
    expect(report.answered.value).toBe(1);
    expect(report.abandoned.value).toBe(0);
    expect(report.flowedOut.value).toBe(0);
    expect(ratio(report.answerRate)).toEqual({ value: 1, num: 1, den: 1 });

    const { status, body } = await server.request('GET', `/api/v1/intervals?scope=centre&day=${PAST}`);
    expect(status).toBe(200);
    expect(body.source).toBe('store');
    const withOffers = (body.intervals as Array<{ start: string; kpis: Kpis }>).filter((i) => (i.kpis.offered.value ?? 0) > 0);
    expect(withOffers.map((i) => [i.start.slice(-5), i.kpis.offered.value, ratio(i.kpis.answerRate)])).toEqual([
      ['14:00', 2, { value: 1, num: 1, den: 1 }],
    ]);
    // The orphaning (14:20) counts nothing in its own interval.
    const later = (body.intervals as Array<{ start: string; kpis: Kpis }>).find((i) => i.start.endsWith('14:15'))!;
    expect([later.kpis.offered.value, later.kpis.abandoned.value, later.kpis.flowedOut.value, later.kpis.answerRate.den ?? 0]).toEqual([0, 0, 0, 0]);

    // The month extract: both orphans are rows with an offer and no outcome.
    const manifest = await server.request('GET', '/api/v1/extracts?month=2026-05');
    expect(manifest.status).toBe(200);
    const file = await fetch(`${server.baseUrl}${manifest.body.files.contacts.url}`, { headers: { authorization: 'Bearer test-admin-token' } });
    expect(file.status).toBe(200);
    const [header, ...lines] = (await file.text()).trim().split('\n');
    const columns = header.split(',');
    const rows = lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])));
    const byId = new Map(rows.map((r) => [r.contact_id, r]));
    expect([...byId.keys()].sort()).toEqual(['c1', 'c2', 'c3', 'p1', 'p2']);
    for (const id of ['c1', 'p1', 'c2']) {
      expect(byId.get(id)!.offered_d, id).not.toBe('');
      expect(byId.get(id)!.outcome, id).toBe('');
    }
    expect(byId.get('p2')!.outcome).toBe('answered');
  });
});
