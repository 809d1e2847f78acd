/**
 * The runner feeds a server through the public ingest endpoint: NDJSON with the ingest key, a
 * warm-up first, live events as the clock moves, failed posts retried with the same batch and
 * nothing lost silently. A plain node:http server stands in for the real ingest route.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateEvent } from '../../shared/events.ts';
import { startSimulator, type SimulatorLogger } from './runner.ts';

interface Request {
  auth: string | undefined;
  contentType: string | undefined;
  events: Array<{ id: string; type: string; ts: number; state?: string; agentId?: string }>;
  status: number;
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** An ingest stand-in that answers each request with the next status (200 once they run out). */
async function fakeIngest(statuses: number[] = []) {
  const requests: Request[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      const events = body.split('\n').filter(Boolean).map((line) => JSON.parse(line));
      requests.push({ auth: req.headers.authorization, contentType: req.headers['content-type'], events, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ accepted: events.length, duplicates: 0, rejected: [] }) : '{"error":"busy"}');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const delivered = () => requests.filter((r) => r.status === 200).flatMap((r) => r.events);
  return { baseUrl: `http://127.0.0.1:${port}`, requests, delivered };
}

function recordingLogger() {
  const lines: string[] = [];
  const logger: SimulatorLogger = {
    info: (_obj, msg) => lines.push(`info ${msg}`),
    warn: (_obj, msg) => lines.push(`warn ${msg}`),
    error: (_obj, msg) => lines.push(`error ${msg}`),
  };
  return { lines, logger };
}

const START = Date.parse('2025-03-04T10:00:00+08:00');

describe('simulator runner', () => {
  it('posts a warm-up and then live events as NDJSON with the ingest key, retrying failures with the same batch', async () => {
    const ingest = await fakeIngest([503, 503]);
    const { lines, logger } = recordingLogger();
    let now = START;
    const sim = startSimulator({
      baseUrl: `${ingest.baseUrl}/`,
      ingestKey: 'demo-key',
      clock: { now: () => now },
      seed: 3,
      agents: 30,
      warmupMinutes: 10,
      ticketBacklogDays: 1,
      tickMs: 20,
      logger,
    });
    try {
      await vi.waitFor(() => expect(lines).toContain('info simulator warm-up delivered'), { timeout: 10_000, interval: 20 });
      const [first, second, third] = ingest.requests;
      expect([first.status, second.status, third.status]).toEqual([503, 503, 200]);
      expect(third.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
      expect(lines.filter((l) => l === 'warn simulator post failed; will retry the same batch')).toHaveLength(2);
      for (const r of ingest.requests) {
        expect(r.auth).toBe('Bearer demo-key');
        expect(r.contentType).toBe('application/x-ndjson');
      }

      const warmup = ingest.delivered();
      expect(warmup.every((e) => validateEvent(e).ok)).toBe(true);
      expect(warmup.every((e) => e.ts <= START)).toBe(true);
      // Ticket history from before the warm-up, then agents signing in and ten minutes of traffic.
      expect(warmup.some((e) => e.type === 'ticket.opened' && e.ts < START - 10 * 60_000)).toBe(true);
      expect(warmup.filter((e) => e.type === 'agent.state' && e.state === 'ready').length).toBeGreaterThan(5);
      expect(warmup.filter((e) => e.type === 'contact.answered').length).toBeGreaterThan(10);

      now += 60_000;
      await vi.waitFor(() => expect(ingest.delivered().some((e) => e.ts > START)).toBe(true), { timeout: 5_000, interval: 20 });
      const all = ingest.delivered();
      expect(all.every((e) => e.ts <= now)).toBe(true);
      expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    } finally {
      await sim.stop();
    }
    expect(lines.at(-1)).toBe('info simulator stopped');
    // The closing events were delivered: no agent is left signed in on the server.
    const lastState = new Map<string, string>();
    for (const e of ingest.delivered()) if (e.type === 'agent.state') lastState.set(e.agentId!, e.state!);
    expect([...lastState.values()].every((state) => state === 'logged_out')).toBe(true);
  });

  it('runs a simulated clock from now when speed > 1', async () => {
    const ingest = await fakeIngest();
    let now = START;
    const sim = startSimulator({
      baseUrl: ingest.baseUrl,
      ingestKey: 'k',
      clock: { now: () => now },
      agents: 30,
      warmupMinutes: 0,
      ticketBacklogDays: 0,
      speed: 60,
      tickMs: 20,
      logger: recordingLogger().logger,
    });
    try {
      now += 10_000;
      // 10 real seconds at speed 60 are 10 simulated minutes.
      await vi.waitFor(() => expect(Math.max(...ingest.delivered().map((e) => e.ts))).toBeGreaterThan(START + 5 * 60_000), {
        timeout: 5_000,
        interval: 20,
      });
      expect(Math.max(...ingest.delivered().map((e) => e.ts))).toBeLessThanOrEqual(START + 10 * 60_000);
    } finally {
      await sim.stop();
    }
  });

  it('says how many events were not delivered when stopped while the server is down', async () => {
    const ingest = await fakeIngest(Array(50).fill(503));
    const { lines, logger } = recordingLogger();
    const sim = startSimulator({
      baseUrl: ingest.baseUrl,
      ingestKey: 'k',
      clock: { now: () => START },
      agents: 20,
      warmupMinutes: 5,
      ticketBacklogDays: 0,
      tickMs: 20,
      logger,
    });
    await vi.waitFor(() => expect(ingest.requests.length).toBeGreaterThan(0), { timeout: 5_000, interval: 20 });
    await sim.stop();
    expect(lines.at(-1)).toBe('warn simulator stopped with events not delivered');
    expect(ingest.delivered()).toEqual([]);
  });
});
