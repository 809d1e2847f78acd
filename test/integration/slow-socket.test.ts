/**
 * A socket that never reads (issue 12, finding 5): a screen subscribed to busy rooms stops
 * reading from its TCP connection while events flow. The server leaves it out of updates while
 * its last ones are still on their way and drops it past a small backlog (or when it stays
 * behind), so what it holds for that socket stays bounded; a normal screen keeps getting updates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket as ServerSocket } from 'socket.io';
import { WINDOWS } from '../../shared/time.ts';
import { DIMENSIONS } from '../../shared/scope.ts';
import { backlogOf } from '../../server/realtime/slow-sockets.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { connected, nextPush } from '../fixtures/socket-wait.ts';

const AGENTS = 300;
const STATES = ['ready', 'busy', 'acw', 'not_ready'] as const;

/** One state change for every agent (each dirties its agent, team, site and queue scopes). */
function agentRound(round: number, nowMs: number): unknown[] {
  return Array.from({ length: AGENTS }, (_, i) => {
    const state = STATES[(i + round) % STATES.length];
    return {
      id: `slow-${round}-${i}`,
      type: 'agent.state',
      ts: nowMs,
      agentId: `agent-${i}`,
      state,
      team: `team-${i % 20}`,
      site: `site-${i % 4}`,
      queues: [`queue-${i % 12}`],
      ...(state === 'not_ready' ? { reason: 'break' } : {}),
    };
  });
}

describe('a socket that never reads', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: Date.now() });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('is left out and dropped, its backlog bounded, while a normal screen keeps its updates', { timeout: 90_000 }, async () => {
    const rooms = ['centre@today', ...DIMENSIONS.flatMap((d) => WINDOWS.map((w) => `${d}:*@${w}`))];
    expect((await server.post(agentRound(0, Date.now()))).status).toBe(200);

    const normal = server.socket(ADMIN_TOKEN);
    const slow = server.socket(ADMIN_TOKEN);
    await connected(normal);
    await connected(slow);
    expect(((await normal.timeout(10_000).emitWithAck('kpi:subscribe', { rooms: ['centre@today', 'agent:*@today'] })) as { ok: boolean }).ok).toBe(true);
    expect(((await slow.timeout(10_000).emitWithAck('kpi:subscribe', { rooms })) as { ok: boolean }).ok).toBe(true);
    const serverSlow = server.app.io.sockets.sockets.get(slow.id!) as ServerSocket | undefined;
    expect(serverSlow, 'the slow screen on the server').toBeDefined();
    let normalUpdates = 0;
    normal.on('kpi:update', () => normalUpdates++);

    const rssBefore = process.memoryUsage().rss;
    const buffersBefore = process.memoryUsage().arrayBuffers;
    let maxBuffers = buffersBefore;
    // The slow screen stops reading: its TCP receive window fills, then the server's send buffer.
    (slow.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket.pause();

    let maxBacklog = 0;
    let maxRss = rssBefore;
    let round = 1;
    const started = performance.now();
    while (server.app.io.sockets.sockets.has(slow.id!)) {
      if (performance.now() - started > 60_000) throw new Error(`the slow socket was not dropped within 60 s (largest backlog ${maxBacklog} bytes)`);
      server.clock.set(Date.now());
      const answer = await server.post(agentRound(round++, Date.now()));
      expect(answer.status).toBe(200);
      maxBacklog = Math.max(maxBacklog, backlogOf(serverSlow!).bytes);
      const memory = process.memoryUsage();
      maxRss = Math.max(maxRss, memory.rss);
      maxBuffers = Math.max(maxBuffers, memory.arrayBuffers);
      // Events keep flowing, a tick or so apart.
      await new Promise((r) => setTimeout(r, 60));
    }
    const stalledMs = performance.now() - started;
    expect(server.app.io.sockets.sockets.has(slow.id!)).toBe(false);
    // What the server queued for it in the process stayed small: the limit is 1 MB, checked each
    // tick, so one tick's messages (or the 16 rooms' snapshots on subscribe, about 1.2 MB with
    // their targets) can come on top; never the hundreds of MB of before.
    expect(maxBacklog).toBeLessThan(4 * 1024 * 1024);
    // Loose bounds on the whole test process (client and server; the events ingested meanwhile
    // take their share): queued frames are buffers, and they stayed far from the hundreds of MB
    // a socket that never reads used to collect (279 MB in 25 s of this test before the fix).
    expect(maxBuffers - buffersBefore).toBeLessThan(32 * 1024 * 1024);
    expect(maxRss - rssBefore).toBeLessThan(250 * 1024 * 1024);

    // The normal screen kept getting updates all along, and still does.
    expect(normalUpdates).toBeGreaterThan(Math.min(10, stalledMs / 1000));
    server.clock.set(Date.now());
    const next = nextPush(normal, 'kpi:update', (m) => m.room === 'agent:*@today' && m.scopes.length > 0, 20_000);
    await server.post(agentRound(round++, Date.now()));
    expect((await next).scopes.length).toBeGreaterThan(0);
    normal.disconnect();
    slow.disconnect();
  });
});
