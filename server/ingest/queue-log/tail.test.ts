/**
 * The queue_log tail against a real app in this process (in-memory log): a file that appears
 * later, a line written in two parts, and a second tail going on from the saved position.
 * Rotation, truncation and kill -9 of the real server: test/integration/queue-log-tail.test.ts.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/fixtures/test-server.ts';
import { defaultQueueLogMapping } from './mapping.ts';
import { POSITION_FILE, QueueLogTail, type QueueLogPosition } from './tail.ts';

const epoch = Math.floor(Date.now() / 1000) - 120;
const enter = (n: number) => `${epoch}|1700000000.${n}|support|NONE|ENTERQUEUE||1380000000${n}|1\n`;

/** Resolves once `check` holds (checked every 20 ms), or fails after 20 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 20_000) throw new Error(`not within 20 s: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('QueueLogTail', () => {
  let server: TestServer | undefined;
  const tails: QueueLogTail[] = [];
  afterEach(async () => {
    for (const tail of tails.splice(0)) await tail.stop();
    await server?.close();
  });

  const offered = () => server!.app.engine.snapshot('centre', 'today').kpis.offered.value;

  it('waits for the file, keeps a half-written line for later, and goes on from its saved position', async () => {
    server = await startTestServer({ nowMs: Date.now() });
    const dir = mkdtempSync(join(tmpdir(), 'queue-log-tail-unit-'));
    const path = join(dir, 'queue_log');
    const open = () => {
      const tail = new QueueLogTail({ path, dataDir: dir, ingestor: server!.app.ingestor, mapping: defaultQueueLogMapping, logger: pino({ level: 'silent' }), pollMs: 50 });
      tails.push(tail);
      return tail;
    };
    const position = () => JSON.parse(readFileSync(join(dir, POSITION_FILE), 'utf8')) as QueueLogPosition;

    const first = open();
    await first.start();
    expect(first.status().following).toBe(false);
    writeFileSync(path, enter(1) + enter(2));
    await until(() => offered() === 2, 'two offers from a file created after the start');

    // A whole line and half of the next: the half stays unread until its newline comes.
    const half = enter(3).slice(0, 20);
    appendFileSync(path, enter(4) + half);
    // The position is saved once the batch is stored (the figure moves at the commit, just before).
    await until(() => position().nextLine > 3, 'the whole line stored');
    expect(offered()).toBe(3);
    expect(position()).toMatchObject({ offset: Buffer.byteLength(enter(1) + enter(2) + enter(4)), nextLine: 4 });
    appendFileSync(path, enter(3).slice(20));
    await until(() => offered() === 4, 'the line once completed');
    await first.stop();

    // Lines written while no tail ran: a new one reads only those, from the saved position.
    appendFileSync(path, enter(5) + enter(6));
    const second = open();
    await second.start();
    await until(() => offered() === 6, 'the lines written while stopped');
    expect(position()).toMatchObject({ offset: readFileSync(path).length, nextLine: 7 });
    expect(second.status()).toMatchObject({ following: true, linesRead: 2, malformedLines: 0, lastError: null });
    // The waiting calls are in the saved translator state, for a restart to go on with.
    expect(Object.keys(position().state!.calls)).toHaveLength(6);
  });
});
