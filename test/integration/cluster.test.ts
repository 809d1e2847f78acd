/**
 * Several server processes on one Redis Stream (issue 16): two real server processes with the
 * same REDIS_URL and their own DATA_DIRs, and a real redis-server on loopback. Events posted to
 * one reach screens on the other; both serve the same figures at every scope; the same event
 * posted to both counts once; a broadcast sent through one reaches a screen on the other; Redis
 * killed → ingest answers 503 and /healthz says why, and once Redis is back ingest resumes with
 * nothing acknowledged lost or doubled.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, RoomMessage, ServerToClientEvents } from '../../shared/socket-events.ts';
import type { ScreenState } from '../../shared/alerts.ts';
import { randomStream } from '../fixtures/random-stream.ts';
import { startRedisServer, type RedisServer } from '../fixtures/redis-server.ts';
import { postEvents, startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';
import { connected, nextPush } from '../fixtures/socket-wait.ts';
import { until } from '../fixtures/cluster-group.ts';

const INGEST_KEY = 'cluster-ingest-key';
const ADMIN_TOKEN = 'cluster-admin-token';
const DISPLAY_TOKEN = 'cluster-display-token';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

async function kpis(baseUrl: string, scope: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/api/v1/kpis?scope=${encodeURIComponent(scope)}&window=today`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const body = (await response.json()) as { kpis: Record<string, unknown> };
  return body.kpis;
}

async function health(baseUrl: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}/healthz`);
  return { status: response.status, body: await response.json() };
}

/** Figures that depend on the moment they are read (ages, durations up to now) are left out of the comparison. */
function stable(figures: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(figures).filter(([name]) => !/(longest|oldest|age|Now|inState|since)/i.test(name)));
}

describe('several processes on a Redis Stream', () => {
  let redis: RedisServer;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];
  const sockets: ClientSocket[] = [];
  let a: ServerProcess;
  let b: ServerProcess;
  const events = randomStream(16, Date.now() - 60_000, 120);
  /** Ids acknowledged as accepted, by any process (each must be counted exactly once). */
  const acknowledged = new Set<string>();

  const socketOn = (server: ServerProcess, token: string): ClientSocket => {
    const socket = io(server.baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true }) as ClientSocket;
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    const start = async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-cluster-'));
      dirs.push(dataDir);
      // Every process of a group shares its secrets (the caller pseudonym key above all): the README says copy secrets.json.
      writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ ingestKey: INGEST_KEY, displayToken: DISPLAY_TOKEN, pseudonymKey: 'c'.repeat(64) }), { mode: 0o600 });
      const server = await startServerProcess({ DATA_DIR: dataDir, REDIS_URL: redis.url, INGEST_KEY, ADMIN_TOKEN, DISPLAY_TOKEN, CLUSTER_HEARTBEAT_MS: '300' });
      servers.push(server);
      return server;
    };
    [a, b] = await Promise.all([start(), start()]);
  }, 240_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
    await redis?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('events posted to one process reach a screen connected to the other', { timeout: 120_000 }, async () => {
    const screen = socketOn(b, DISPLAY_TOKEN);
    await connected(screen);
    // The last 60 minutes, not today: the stream spans 3 hours, so just after the centre's midnight
    // "today" would hold none of its offers.
    const ack = await screen.timeout(20_000).emitWithAck('kpi:subscribe', { rooms: ['centre@60m'] });
    expect(ack.ok).toBe(true);
    const update = nextPush(screen, 'kpi:update', (message: RoomMessage) => message.scopes.some((s) => Number((s.kpis as Record<string, { value?: unknown }>).offered?.value ?? 0) > 0), 60_000);
    const first = events.filter((e) => e.type === 'contact.offered' && Number(e.ts) >= Date.now() - 50 * 60_000).slice(0, 20);
    expect(first.length).toBeGreaterThan(0);
    const posted = await postEvents(a.baseUrl, INGEST_KEY, first);
    expect(posted.status).toBe(200);
    expect(posted.body.accepted).toBe(first.length);
    for (const event of first) acknowledged.add(String(event.id));
    await update;
  });

  it('the same events posted to both processes at once are counted once; figures agree at every scope', { timeout: 180_000 }, async () => {
    const rest = events.filter((e) => !acknowledged.has(String(e.id)));
    const batches: (typeof rest)[] = [];
    for (let i = 0; i < rest.length; i += 20) batches.push(rest.slice(i, i + 20));
    let accepted = 0;
    let duplicates = 0;
    for (const batch of batches) {
      // Each batch to both at the same moment: the shared id claim decides which one stores it.
      const answers = await Promise.all([postEvents(a.baseUrl, INGEST_KEY, batch), postEvents(b.baseUrl, INGEST_KEY, batch)]);
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        accepted += answer.body.accepted;
        duplicates += answer.body.duplicates;
      }
      for (const event of batch) acknowledged.add(String(event.id));
    }
    expect(accepted).toBe(rest.length);
    expect(duplicates).toBe(rest.length);

    const scopes = ['centre', ...new Set(events.flatMap((e: any) => [e.site && `site:${e.site}`, e.queue && `queue:${e.queue}`, e.agentId && `agent:${e.agentId}`]).filter(Boolean))] as string[];
    expect(scopes.some((s) => s.startsWith('site:')) && scopes.some((s) => s.startsWith('queue:')) && scopes.some((s) => s.startsWith('agent:'))).toBe(true);
    for (const scope of scopes) {
      await until(
        async () => [stable(await kpis(a.baseUrl, scope)), stable(await kpis(b.baseUrl, scope))] as const,
        ([fromA, fromB]) => JSON.stringify(fromA) === JSON.stringify(fromB),
        `figures of ${scope} equal on both processes`,
      );
    }
  });

  it('a broadcast sent through one process reaches a screen on the other', { timeout: 120_000 }, async () => {
    const screen = socketOn(b, DISPLAY_TOKEN);
    await connected(screen);
    const joined = await screen.timeout(20_000).emitWithAck('screen:join', {} as never);
    expect(joined.ok).toBe(true);
    const arrived = nextPush(screen, 'screen:state', (state: ScreenState) => state.broadcasts.some((b) => b.text === 'all hands: system outage'), 60_000);
    const response = await fetch(`${a.baseUrl}/api/v1/broadcasts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'all hands: system outage', screens: 'all', durationSec: 600 }),
    });
    expect(response.status).toBe(201);
    await arrived;
    // The other process's registry has it too (a screen joining there later sees it).
    const history = await (await fetch(`${b.baseUrl}/api/v1/broadcasts`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    expect(history.broadcasts.map((x: { text: string }) => x.text)).toContain('all hands: system outage');
  });

  it('Redis killed: ingest answers 503 and /healthz says why; back: ingest resumes, nothing lost or doubled', { timeout: 240_000 }, async () => {
    // Both processes keep posting small batches while Redis dies and returns.
    const load = randomStream(18, Date.now() - 90_000, 150);
    const loadBatches: (typeof load)[] = [];
    for (let i = 0; i < load.length; i += 10) loadBatches.push(load.slice(i, i + 10));
    const refusedBatches: (typeof load)[] = [];
    let posting = true;
    const poster = async (server: ServerProcess, mine: (typeof load)[]) => {
      for (const batch of mine) {
        if (!posting) {
          refusedBatches.push(batch);
          continue;
        }
        const answer = await postEvents(server.baseUrl, INGEST_KEY, batch);
        if (answer.status === 200) for (const event of batch) acknowledged.add(String(event.id));
        else {
          expect(answer.status).toBe(503);
          refusedBatches.push(batch);
        }
      }
    };
    const before = acknowledged.size;
    const posters = Promise.all([poster(a, loadBatches.filter((_, i) => i % 2 === 0)), poster(b, loadBatches.filter((_, i) => i % 2 === 1))]);
    // Killed once the load is under way (its first batch acknowledged).
    await until(async () => acknowledged.size, (n) => n > before, 'first batch of the load acknowledged');
    await redis.kill9();
    const late = randomStream(17, Date.now() - 30_000, 20);
    const refused = await until(() => postEvents(a.baseUrl, INGEST_KEY, late), (answer) => answer.status === 503, 'ingest refused while Redis is down');
    expect(refused.body.error).toMatch(/redis/);
    const down = await until(() => health(b.baseUrl), (answer) => answer.status === 503, 'health degraded while Redis is down');
    expect(down.body.store.error).toMatch(/redis/);
    expect(JSON.stringify(down.body)).not.toContain(String(redis.port));

    posting = false;
    await posters;

    await redis.start();
    const resumed = await until(() => postEvents(a.baseUrl, INGEST_KEY, late), (answer) => answer.status === 200, 'ingest resumed after Redis returned', 120_000);
    // A 503 stored nothing: the whole batch is new now (or, at most, what a lost reply stored, as duplicates).
    expect(resumed.body.accepted + resumed.body.duplicates).toBe(late.length);
    for (const event of late) acknowledged.add(String(event.id));
    await until(() => health(a.baseUrl), (answer) => answer.status === 200, 'health ok again on a');
    await until(() => health(b.baseUrl), (answer) => answer.status === 200, 'health ok again on b');

    // The refused batches again, now accepted (or duplicates, for a reply lost with the connection).
    for (const batch of refusedBatches) {
      const answer = await postEvents(a.baseUrl, INGEST_KEY, batch);
      expect(answer.status).toBe(200);
      for (const event of batch) acknowledged.add(String(event.id));
    }

    // Every acknowledged event exactly once: posting them all again finds only duplicates, on either process.
    const all = [...events, ...late, ...load];
    const again = await postEvents(b.baseUrl, INGEST_KEY, all);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: acknowledged.size });
    for (const scope of ['centre', 'site:hz', 'queue:vip']) {
      await until(
        async () => [stable(await kpis(a.baseUrl, scope)), stable(await kpis(b.baseUrl, scope))] as const,
        ([fromA, fromB]) => JSON.stringify(fromA) === JSON.stringify(fromB),
        `figures of ${scope} equal after Redis returned`,
      );
    }
  });
});
