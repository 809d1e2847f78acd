/**
 * Graceful stop under load (issue 12, finding 4): four posters keep batches in flight on
 * keep-alive connections when the server gets SIGTERM. From then on requests are refused (503,
 * `Retry-After`, `Connection: close`), the batches in progress finish and get their 200, a final
 * checkpoint is written and the process exits within 10 s; the next start replays (almost)
 * nothing, and every acknowledged event is stored once.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { randomStream } from '../fixtures/random-stream.ts';
import { startServerProcess, type ServerProcess, postEvents } from '../fixtures/server-process.ts';

const INGEST_KEY = 'graceful-ingest-key';
const ADMIN_TOKEN = 'graceful-admin-token';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** Whether the request went out on a connection that had carried an earlier request. */
  reused: boolean;
}

/** One POST on a keep-alive agent (node:http, so the connection and its headers are visible). */
function post(baseUrl: string, agent: Agent, batch: unknown[]): Promise<Answer> {
  const body = JSON.stringify(batch);
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/api/v1/events`, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('error', reject);
      res.on('end', () => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, reused: (req as unknown as { reusedSocket: boolean }).reusedSocket });
      });
    });
    req.end(body);
  });
}

/** The `events` count of the server's "live state restored" log line (LOG_LEVEL=info). */
function restoredCount(output: string): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes('live state restored from the store')) continue;
    return (JSON.parse(line) as { events: number }).events;
  }
  return undefined;
}

describe('graceful stop: SIGTERM under load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-sigterm-'));
  const env = { DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN, LOG_LEVEL: 'info' };
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await server?.kill9();
  });

  it('refuses new requests, answers those in flight, checkpoints and exits within 10 s', { timeout: 90_000 }, async () => {
    // 4,000 contacts' events, about 800 batches: the posters are still sending when the stop
    // begins (some 600 batches left), however fast the machine, so requests reach the stopping server.
    const events = randomStream(31, Date.now() - 60_000, 4000);
    const batches: unknown[][] = [];
    for (let i = 0; i < events.length; i += 25) batches.push(events.slice(i, i + 25));

    server = await startServerProcess(env);
    const baseUrl = server.baseUrl;
    // A screen on a socket: closed by the stop too.
    const screen = io(baseUrl, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
    const screenClosed = new Promise<string>((resolve) => screen.once('disconnect', (reason) => resolve(reason)));
    expect(((await screen.timeout(10_000).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] })) as { ok: boolean }).ok).toBe(true);
    const acknowledged: number[] = [];
    const refused: number[] = [];
    /** Batches whose outcome is unknown (the connection broke before an answer). */
    const unknown: number[] = [];
    /** Real time of the first 503: every request sent after it reaches a stopping server. */
    let firstRefusalAt = Number.POSITIVE_INFINITY;
    const answeredAfterRefusal: Array<{ index: number; status: number }> = [];
    let refusal: Answer | undefined;
    let next = 0;
    let sigtermAt = 0;
    const posters = [0, 1, 2, 3].map(async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (next < batches.length) {
          const index = next++;
          const sentAt = performance.now();
          let answer: Answer;
          try {
            answer = await post(baseUrl, agent, batches[index]);
          } catch (error) {
            unknown.push(index);
            // The listener is closed: the server is gone. A reset (the stop closing an idle
            // keep-alive connection under a request it had not read yet) is not the end: the
            // next request goes out on a new connection and must be refused.
            if (sigtermAt > 0 && (error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return;
            continue;
          }
          if (sentAt > firstRefusalAt) answeredAfterRefusal.push({ index, status: answer.status });
          if (answer.status === 200) acknowledged.push(index);
          else if (answer.status === 503) {
            refused.push(index);
            firstRefusalAt = Math.min(firstRefusalAt, performance.now());
            refusal ??= answer;
            // Keep knocking (a client that ignores Retry-After), a little slower.
            await new Promise((r) => setTimeout(r, 10));
          } else throw new Error(`batch ${index}: status ${answer.status} ${JSON.stringify(answer.body)}`);
        }
      } finally {
        agent.destroy();
      }
    });
    while (acknowledged.length < batches.length / 4) await new Promise((r) => setTimeout(r, 5));
    sigtermAt = performance.now();
    const exitCode = await server.stop();
    const stopMs = performance.now() - sigtermAt;
    await Promise.all(posters);
    const firstOutput = server.output();
    server = undefined;

    expect(exitCode, firstOutput).toBe(0);
    expect(stopMs, 'exit within 10 s of SIGTERM').toBeLessThan(10_000);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(await screenClosed).toBeTruthy();
    // Refused on an open keep-alive connection: 503, Retry-After, and the connection closed.
    expect(refusal, 'a request reached the stopping server').toBeDefined();
    expect(refusal!.headers['retry-after']).toMatch(/^\d+$/);
    expect(refusal!.headers.connection).toBe('close');
    expect(refusal!.body.error).toMatch(/shutting down/);
    // Nothing sent after the stop was seen is taken.
    expect(answeredAfterRefusal.filter((a) => a.status === 200)).toEqual([]);

    // The next start: the final checkpoint covers every commit, so (almost) nothing is replayed.
    server = await startServerProcess(env);
    const replayed = restoredCount(server.output());
    expect(replayed, server.output()).toBeDefined();
    expect(replayed).toBe(0);

    // Every acknowledged event is stored (sending it again is a duplicate) ...
    for (const index of acknowledged) {
      const res = await postEvents(server.baseUrl, INGEST_KEY, batches[index]);
      expect(res.body, `acknowledged batch ${index}`).toEqual({ accepted: 0, duplicates: batches[index].length, rejected: [] });
    }
    // ... and a refused one was not applied at all.
    for (const index of refused.filter((i) => !unknown.includes(i))) {
      const res = await postEvents(server.baseUrl, INGEST_KEY, batches[index]);
      expect(res.body, `refused batch ${index}`).toEqual({ accepted: batches[index].length, duplicates: 0, rejected: [] });
    }
    // ... and none in flight lost its answer: a request that failed found no server (not stored).
    for (const index of unknown) {
      const res = await postEvents(server.baseUrl, INGEST_KEY, batches[index]);
      expect(res.body, `batch ${index} without an answer`).toEqual({ accepted: batches[index].length, duplicates: 0, rejected: [] });
    }
    // Counted once: the centre's offered count is that of the distinct offers stored.
    const stored = new Set([...acknowledged, ...refused, ...unknown]);
    const offers = new Set<string>();
    for (const index of stored) for (const e of batches[index] as Array<{ type: string; id: string }>) if (e.type === 'contact.offered') offers.add(e.id);
    const figures = (await (await fetch(`${server.baseUrl}/api/v1/kpis?scope=centre&window=today`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
      kpis: { offered: { value: number } };
    };
    // Events of the stream before the centre's midnight are not today's: at most as many.
    expect(figures.kpis.offered.value).toBeLessThanOrEqual(offers.size);
    expect(stopMs).toBeGreaterThan(0);
    expect(await server.stop()).toBe(0);
    server = undefined;
  });
});
