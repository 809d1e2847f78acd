/**
 * The ingest worker answers as the main thread would (events, refusals, a body that is not a
 * batch), loses no body when it dies (each is checked in the main thread instead, and the worker
 * starts again), and bodies reach the log in the order they arrived, whichever thread checked them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import type { CallCentreEvent } from '../../shared/events.ts';
import { KpiEngine } from '../engine/kpi-engine.ts';
import { HttpError } from '../errors.ts';
import { MemoryEventLog, type AppendOptions, type AppendResult } from '../store/event-log.ts';
import { checkBody } from './batch-check.ts';
import { BodyWorker, workerExecArgv } from './body-worker.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Ingestor } from './ingestor.ts';
import { Pseudonymizer } from './pseudonymize.ts';

const execFileAsync = promisify(execFile);
const NOW_MS = Date.parse('2026-11-20T14:00:00+08:00');
const SETTINGS = { pseudonymKey: 'key', centreCountry: 'CN', maxFutureSkewSec: 300 };
const rules = () => ({ maxFutureSkewSec: 300, pseudonymizer: new Pseudonymizer('key', 'CN') });

const offered = (id: string, extra: object = {}) => ({ id, type: 'contact.offered', ts: NOW_MS - 60_000, contactId: `c-${id}`, queue: 'general', site: 'hz', channel: 'phone', ...extra });
const ndjson = (values: unknown[]) => values.map((value) => JSON.stringify(value)).join('\n');
const shared = (text: string) => {
  const bytes = Buffer.from(text, 'utf8');
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.length));
  copy.set(bytes);
  return copy;
};
const inThread = (text: string) => () => checkBody(text, rules(), NOW_MS);

const BODIES = [
  ndjson(Array.from({ length: 500 }, (_, i) => offered(`e${i}`, { caller: `13800${String(i % 50).padStart(6, '0')}` }))),
  `${ndjson([offered('a'), offered('b', { ts: NOW_MS + 3_600_000 })])}\n{"id":\n${ndjson([{ id: 'c', type: 'nope', ts: NOW_MS }])}`,
  JSON.stringify([offered('a', { caller: '+86 139 8765 4321' }), 'text', null]),
  JSON.stringify(offered('z', { caller: 'chat:someone' }), null, 2),
];
const NOT_BATCHES = ['', '[{"id":', 'hello world'];

/**
 * A batch as the main thread would check it: the worker's answer also carries the events' JSON
 * text (the journal stores it as is), which must be exactly that of the events it sent.
 */
function asChecked(answer: unknown): unknown {
  const { json, ...checked } = answer as { json?: string; events: unknown[] };
  if (json !== undefined) expect(json).toBe(JSON.stringify(checked.events));
  return checked;
}

async function outcome(check: () => Promise<unknown>): Promise<unknown> {
  try {
    return { answer: asChecked(await check()) };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { status: error.status, message: error.message };
  }
}

/** Polls until the worker is ready (a positive signal, however busy the machine). */
async function whenReady(worker: BodyWorker, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!worker.available()) {
    if (Date.now() > until) throw new Error('ingest worker not ready in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('BodyWorker', () => {
  it('answers every body as the main thread does', async () => {
    const worker = new BodyWorker(SETTINGS);
    cleanups.push(() => worker.close());
    await whenReady(worker);
    for (const text of [...BODIES, ...NOT_BATCHES]) {
      const expected = await outcome(async () => inThread(text)());
      expect(await outcome(() => worker.check(shared(text), NOW_MS, () => { throw new Error('checked in the main thread'); }))).toEqual(expected);
    }
  });

  it('checks in the main thread what a lost worker held, then starts again', async () => {
    const lost: string[] = [];
    const worker = new BodyWorker(SETTINGS, (message) => lost.push(message));
    cleanups.push(() => worker.close());
    await whenReady(worker);
    const answers = BODIES.map((text) => worker.check(shared(text), NOW_MS, inThread(text)));
    await (worker as unknown as { worker: Worker }).worker.terminate();
    expect((await Promise.all(answers)).map(asChecked)).toEqual(BODIES.map((text) => inThread(text)()));
    expect(lost).toHaveLength(1);
    expect(lost[0]).not.toMatch(/\d{5}/);
    expect(worker.available()).toBe(false);
    await whenReady(worker);
    expect(asChecked(await worker.check(shared(BODIES[0]), NOW_MS, inThread(BODIES[0])))).toEqual(inThread(BODIES[0])());
  });
});

/** A log that notes the first event id of each batch in the order `append` is called. */
class OrderedLog extends MemoryEventLog {
  readonly order: string[] = [];
  override append(events: CallCentreEvent[], options?: AppendOptions): Promise<AppendResult> {
    this.order.push(events[0].id);
    return super.append(events, options);
  }
}

function pipeline(workerMinBytes: number) {
  const clock = { now: () => NOW_MS };
  const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
  const log = new OrderedLog();
  const ingestor = new Ingestor({ log, engine, clock, pseudonymKey: 'key', centreCountry: 'CN', maxFutureSkewSec: 300, workerMinBytes });
  cleanups.push(() => ingestor.close());
  return { log, ingestor };
}

describe('Ingestor.ingestBody', () => {
  it('stores bodies in the order they arrived when large ones go to the worker', async () => {
    const large = (n: number) => ndjson(Array.from({ length: 2000 }, (_, i) => offered(`L${n}-${i}`, { caller: `1390000${i % 100}` })));
    const small = (n: number) => ndjson([offered(`S${n}`)]);
    const bodies = [large(0), small(0), large(1), small(1), small(2), large(2)];
    const withWorker = pipeline(4096);
    // The first large body starts the worker and is checked in this thread meanwhile.
    await withWorker.ingestor.ingestBody(shared(ndjson([offered('warm-up')])), 'k');
    await withWorker.ingestor.ingestBody(shared(large(9)), 'k');
    await whenReady((withWorker.ingestor as unknown as { worker: BodyWorker }).worker);
    withWorker.log.order.length = 0;
    // A body that is not a batch, refused at once while those before it are still in the worker.
    const [results, refused] = await Promise.all([
      Promise.all(bodies.map((text) => withWorker.ingestor.ingestBody(shared(text), 'k'))),
      outcome(() => withWorker.ingestor.ingestBody(shared('hello world'), 'k')),
    ]);
    expect(refused).toEqual(await outcome(async () => inThread('hello world')()));
    expect(withWorker.log.order).toEqual(['L0-0', 'S0', 'L1-0', 'S1', 'S2', 'L2-0']);

    const inThreadOnly = pipeline(-1);
    const expected = [];
    for (const text of bodies) expected.push(await inThreadOnly.ingestor.ingestBody(shared(text), 'k'));
    expect(results).toEqual(expected);
    expect(results.reduce((sum, r) => sum + r.accepted, 0)).toBe(3 * 2000 + 3);
  });

  it('answers a body that is not a batch with the 400 the main thread gives, and carries on', async () => {
    const { ingestor } = pipeline(0);
    await ingestor.ingestBody(shared(ndjson([offered('warm-up')])));
    await whenReady((ingestor as unknown as { worker: BodyWorker }).worker);
    for (const text of NOT_BATCHES) {
      const expected = await outcome(async () => inThread(text)());
      expect(await outcome(() => ingestor.ingestBody(shared(text)))).toEqual(expected);
    }
    expect((await ingestor.ingestBody(shared(ndjson([offered('after')])))).accepted).toBe(1);
  });
});

describe('the ingest worker under a parent with preloads', () => {
  it('drops the parent\'s --import/--require flags and keeps the rest', () => {
    expect(workerExecArgv(['--import', 'tsx', '--import=./probe.ts', '--max-old-space-size=900', '-r', 'x', '--require=y', '--cpu-prof'])).toEqual(['--max-old-space-size=900', '--cpu-prof']);
  });

  it('starts and answers when the server process was started with a TypeScript preload and a per-process V8 flag', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await execFileAsync(process.execPath, ['--max-semi-space-size=32', '--import', 'tsx', '--import', './test/fixtures/ts-preload.ts', 'test/fixtures/body-worker-under-preload.ts'], { cwd: root, timeout: 180_000 });
    const outcome = JSON.parse(stdout.trim().split('\n').pop()!) as { ready: boolean; lost: string[]; checkedInThread: boolean; accepted: number | null; preloaded: boolean };
    expect(outcome).toEqual({ ready: true, lost: [], checkedInThread: false, accepted: 1, preloaded: true });
  }, 200_000);
});
