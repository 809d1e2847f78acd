/**
 * Large ingest bodies are checked in a worker thread (server/ingest/body-worker.ts): over HTTP,
 * a server that sends every body to the worker answers every body, good or hostile, exactly as a
 * server that checks them all in the main thread, and ends with the same figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW_MS = Date.parse('2026-11-20T14:00:00+08:00');

const offered = (id: string, extra: object = {}) => ({ id, type: 'contact.offered', ts: NOW_MS - 600_000, contactId: `c-${id}`, queue: 'general', site: 'hz', channel: 'phone', ...extra });
const answered = (id: string) => ({ id: `${id}-a`, type: 'contact.answered', ts: NOW_MS - 590_000, contactId: `c-${id}`, agentId: 'agent1' });
const ndjson = (values: unknown[]) => values.map((value) => JSON.stringify(value)).join('\n');

const BODIES: string[] = [
  ndjson(Array.from({ length: 3000 }, (_, i) => (i % 2 ? answered(`big${i - 1}`) : offered(`big${i}`, { caller: `+86 139 ${String(i % 97).padStart(4, '0')} 4321` })))),
  `${ndjson([offered('m1'), offered('m2', { ts: NOW_MS + 3_600_000 })])}\n{"id":"m3",\n\n${ndjson([{ id: 'm4', type: 'contact.nope', ts: NOW_MS }, offered('m5', { queue: '' })])}`,
  JSON.stringify([offered('a1', { caller: '0086 13987654321' }), 'text', null, offered('a2', { nested: { x: 1 } })]),
  JSON.stringify(offered('p1', { caller: 'chat:Someone@example.com' }), null, 2),
  `${ndjson([offered('dup1'), offered('dup1'), offered('big0')])}`,
  '[{"id":"broken",',
  'hello world',
  '{"id":\n{nope',
];

async function whenWorkerReady(server: TestServer): Promise<void> {
  const until = Date.now() + 120_000;
  while (!server.app.ingestor.workerReady()) {
    if (Date.now() > until) throw new Error('ingest worker not ready in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function startWith(workerMinBytes: string): Promise<TestServer> {
  return startTestServer({ nowMs: NOW_MS, env: { INGEST_WORKER_MIN_BYTES: workerMinBytes } });
}

describe('ingest worker over HTTP', () => {
  let inWorker: TestServer;
  let inThread: TestServer;

  beforeAll(async () => {
    inWorker = await startWith('0');
    inThread = await startWith('-1');
    await whenWorkerReady(inWorker);
  });

  afterAll(async () => {
    await inWorker?.close();
    await inThread?.close();
  });

  it('answers every body as the main thread does, one by one and all at once', async () => {
    expect(inThread.app.ingestor.workerReady()).toBe(false);
    for (const raw of BODIES) {
      const expected = await inThread.post(null, { raw, contentType: 'application/x-ndjson' });
      expect(await inWorker.post(null, { raw, contentType: 'application/x-ndjson' })).toEqual(expected);
    }
    // Again, concurrently: everything is a duplicate or refused the same way now.
    const expected = await Promise.all(BODIES.map((raw) => inThread.post(null, { raw })));
    expect(await Promise.all(BODIES.map((raw) => inWorker.post(null, { raw })))).toEqual(expected);
    expect((await inWorker.kpis('centre', 'today')).body.kpis).toEqual((await inThread.kpis('centre', 'today')).body.kpis);
    expect((await inWorker.kpis('centre', 'today')).body.kpis.offered.value).toBe(1500 + 2 + 1 + 1 + 1);
  });
});
