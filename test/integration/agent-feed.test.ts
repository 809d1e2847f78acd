/**
 * The agents of a scope on a real server, over HTTP and a real socket.io-client, with the clock
 * under the test's control. Hand-worked floor (Asia/Shanghai, 2026-03-02, now 10:00:00):
 * - a1 (team red, site sz, queue general): ready 08:00, busy 09:00:10 (c1), acw 09:05:10, ready
 *   09:05:40, busy 09:30:00 (c2), acw 09:33:00, ready 09:33:30, not ready 09:40 ("break"), ready
 *   09:47, not ready 09:55 ("meeting").
 *   c1: talk 280 + hold 20 + wrap 30 = 330 s; c2: talk 170 + hold 10 + wrap 30 = 210 s
 *   → handled 2, AHT 540 / 2 = 270 s. Ready episodes that ended: 08:00–09:00:10 3,610 s,
 *   09:05:40–09:30 1,460 s, 09:33:30–09:40 390 s, 09:47–09:55 480 s = 5,940 s
 *   → occupancy 540 / (540 + 5,940) = 1/12. Not ready 09:40–09:47 = 420 s > 5 min: one long
 *   episode, the longest 420 s; the current one is exactly 300 s at 10:00, not beyond the limit.
 * - b1 (team blue, site nb, queue vip): ready 08:30, not ready 09:56 ("toilet"): 240 s at 10:00,
 *   360 s (6 min) at 10:02 → one long episode, still running.
 * - b2 (team blue, site sz, queues general and vip): ready 09:00, busy 09:58 on c3; c3 ends at
 *   10:02:30 (talk 150) and is wrapped at 10:02:50 → handled 1, AHT 150 + 20 = 170 s,
 *   occupancy 170 / (170 + 3,480) (ready 09:00–09:58).
 * - z1: logged out at 09:30: not on the list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { AgentFeedMessage, AgentFeedRow } from '../../shared/agent-feed.ts';
import type { CallCentreEventInput } from '../../shared/events.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/socket-events.ts';
import { DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createDisplayLink, createUser } from '../fixtures/accounts.ts';
import { HAND_NOW_MS, handEvents, handTime, type AgentPlace } from '../fixtures/hand-floor.ts';
import { connected, nextPush } from '../fixtures/socket-wait.ts';

const at = (hhmmss: string) => Date.parse(handTime(hhmmss));
const iso = (hhmmss: string) => handTime(hhmmss);
const NOW = HAND_NOW_MS;

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

function floor(): CallCentreEventInput[] {
  const ev = handEvents('af');
  const events: CallCentreEventInput[] = [];
  const state = (agentId: string, time: string, s: string, who: AgentPlace, reason?: string) => events.push(ev.state(agentId, time, s, who, reason));
  const contact = (contactId: string, agentId: string, offered: string, answered: string, ended?: [string, number, number], wrapped?: string) => {
    events.push(ev.offered(contactId, offered, 'sz', 'general'), ev.answered(contactId, answered, agentId));
    if (ended) events.push(ev.ended(contactId, ended[0], ended[1], ended[2]));
    if (wrapped) events.push(ev.wrapped(contactId, wrapped, agentId));
  };
  const a1 = { team: 'red', site: 'sz', queues: ['general'] };
  state('a1', '08:00:00', 'ready', a1);
  contact('c1', 'a1', '09:00:00', '09:00:10', ['09:05:10', 280, 20], '09:05:40');
  state('a1', '09:00:10', 'busy', a1);
  state('a1', '09:05:10', 'acw', a1);
  state('a1', '09:05:40', 'ready', a1);
  contact('c2', 'a1', '09:29:50', '09:30:00', ['09:33:00', 170, 10], '09:33:30');
  state('a1', '09:30:00', 'busy', a1);
  state('a1', '09:33:00', 'acw', a1);
  state('a1', '09:33:30', 'ready', a1);
  state('a1', '09:40:00', 'not_ready', a1, 'break');
  state('a1', '09:47:00', 'ready', a1);
  state('a1', '09:55:00', 'not_ready', a1, 'meeting');
  const b1 = { team: 'blue', site: 'nb', queues: ['vip'] };
  state('b1', '08:30:00', 'ready', b1);
  state('b1', '09:56:00', 'not_ready', b1, 'toilet');
  const b2 = { team: 'blue', site: 'sz', queues: ['general', 'vip'] };
  state('b2', '09:00:00', 'ready', b2);
  contact('c3', 'b2', '09:57:50', '09:58:00');
  state('b2', '09:58:00', 'busy', b2);
  const z1 = { team: 'red', site: 'sz', queues: ['general'] };
  state('z1', '09:00:00', 'ready', z1);
  state('z1', '09:30:00', 'logged_out', z1);
  return events;
}

const row = (rows: AgentFeedRow[], agentId: string) => rows.find((r) => r.agentId === agentId)!;

describe('agents of a scope: HTTP and the socket feed', () => {
  let server: TestServer;
  let manager: string;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const posted = await server.post(floor());
    expect(posted.body.rejected).toEqual([]);
    manager = (await createUser(server, 'floor.manager', 'manager')).token;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers the rows of the centre with hand-computed figures', async () => {
    const { status, body } = await server.request('GET', '/api/v1/agents?scope=centre', { token: manager });
    expect(status).toBe(200);
    expect(body.scope).toBe('centre');
    expect(body.asOf).toBe(NOW);
    // Not ready first, longest in state first; logged-out z1 is not listed.
    expect(body.rows.map((r: AgentFeedRow) => r.agentId)).toEqual(['a1', 'b1', 'b2']);
    const a1 = row(body.rows, 'a1');
    expect(a1).toMatchObject({
      agentId: 'a1', team: 'red', site: 'sz', queues: ['general'], state: 'not_ready', reason: 'meeting', sinceMs: at('09:55:00'),
      timeInStateSec: 300, contactId: null, contactSinceMs: null, handledToday: 2, ahtSec: 270,
      longNotReady: { count: 1, longestSec: 420, ongoing: false },
    });
    expect(a1.occupancy).toBeCloseTo(1 / 12, 12);
    expect(row(body.rows, 'b1')).toMatchObject({
      state: 'not_ready', reason: 'toilet', timeInStateSec: 240, handledToday: 0, ahtSec: null, occupancy: 0, longNotReady: { count: 0, longestSec: 0, ongoing: false },
    });
    expect(row(body.rows, 'b2')).toMatchObject({ state: 'busy', reason: null, contactId: 'c3', contactSinceMs: at('09:58:00'), timeInStateSec: 120, handledToday: 0, ahtSec: null, occupancy: 0 });
  });

  it("filters by the agent's site, team, queues, site × queue and the agent", async () => {
    const ids = async (scope: string) => {
      const { status, body } = await server.request('GET', `/api/v1/agents?scope=${encodeURIComponent(scope)}`, { token: manager });
      expect(status, scope).toBe(200);
      return body.rows.map((r: AgentFeedRow) => r.agentId);
    };
    expect(await ids('site:sz')).toEqual(['a1', 'b2']);
    expect(await ids('site:nb')).toEqual(['b1']);
    expect(await ids('queue:vip')).toEqual(['b1', 'b2']);
    expect(await ids('queue:general')).toEqual(['a1', 'b2']);
    expect(await ids('site:sz/queue:vip')).toEqual(['b2']);
    expect(await ids('site:nb/queue:general')).toEqual([]);
    expect(await ids('team:blue')).toEqual(['b1', 'b2']);
    expect(await ids('agent:a1')).toEqual(['a1']);
    expect(await ids('agent:z1')).toEqual([]);
    for (const scope of ['channel:phone', 'nonsense', 'floor:3']) {
      const { status, body } = await server.request('GET', `/api/v1/agents?scope=${encodeURIComponent(scope)}`, { token: manager });
      expect(status, scope).toBe(400);
      expect(body.error).toMatch(/^scope: must be /);
      expect(body.error).not.toContain(scope);
    }
  });

  it('refuses a display link and the display token, over HTTP and the socket', async () => {
    const link = await createDisplayLink(server, 'Floor TV');
    for (const token of [link, DISPLAY_TOKEN]) {
      const response = await server.request('GET', '/api/v1/agents?scope=centre', { token });
      expect(response.status).toBe(403);
      expect(Object.keys(response.body)).toEqual(['error']);
      const socket = server.socket(token) as ClientSocket;
      await connected(socket);
      const pushed: AgentFeedMessage[] = [];
      socket.on('agents:rows', (m) => pushed.push(m));
      const ack = await socket.timeout(5000).emitWithAck('agents:subscribe', { scope: 'centre' });
      expect(ack).toEqual({ ok: false, error: 'agents: the display role sees centre, site, queue and channel figures only' });
      expect(pushed).toEqual([]);
      socket.disconnect();
    }
    expect((await server.request('GET', '/api/v1/agents?scope=centre', { token: null })).status).toBe(401);
  });

  it('pushes changed rows at most once a second: 6 minutes not ready, then a wrapped contact', async () => {
    const socket = server.socket(manager) as ClientSocket;
    await connected(socket);
    const pushes: Array<{ at: number; message: AgentFeedMessage }> = [];
    socket.on('agents:rows', (message) => pushes.push({ at: performance.now(), message }));

    const bad = await socket.timeout(5000).emitWithAck('agents:subscribe', { scope: 'channel:phone' });
    expect(bad).toEqual({ ok: false, error: 'scope: must be centre, site:X, queue:X, site:X/queue:Y, team:X or agent:X' });
    const ack = await socket.timeout(5000).emitWithAck('agents:subscribe', { scope: 'team:blue' });
    expect(ack.ok).toBe(true);
    const rows = (ack as { ok: true; data: AgentFeedRow[] }).data;
    expect(rows.map((r) => r.agentId)).toEqual(['b1', 'b2']);
    expect(row(rows, 'b1').longNotReady).toEqual({ count: 0, longestSec: 0, ongoing: false });

    // Six minutes into b1's not-ready episode: one beyond 5 minutes, still running.
    server.clock.set(at('10:02:00'));
    const long = await nextPush(socket, 'agents:rows', (m) => row(m.rows, 'b1').longNotReady.count === 1);
    expect(long.scope).toBe('team:blue');
    expect(long.asOf).toBe(at('10:02:00'));
    expect(row(long.rows, 'b1').longNotReady.longestSec).toBeGreaterThanOrEqual(360);
    expect(row(long.rows, 'b1').longNotReady.ongoing).toBe(true);
    expect(row(long.rows, 'b1').timeInStateSec).toBe(360);

    // b2 finishes c3: handled 1, AHT 150 + 20 = 170 s, back to ready.
    server.clock.set(at('10:03:00'));
    const b2 = { team: 'blue', site: 'sz', queues: ['general', 'vip'] };
    const posted = await server.post([
      { id: 'af-end', type: 'contact.ended', ts: iso('10:02:30'), contactId: 'c3', talkSec: 150, holdSec: 0 },
      { id: 'af-acw', type: 'agent.state', ts: iso('10:02:30'), agentId: 'b2', state: 'acw', ...b2 },
      { id: 'af-wrap', type: 'contact.wrapped', ts: iso('10:02:50'), contactId: 'c3', agentId: 'b2' },
      { id: 'af-ready', type: 'agent.state', ts: iso('10:02:50'), agentId: 'b2', state: 'ready', ...b2 },
    ]);
    expect(posted.body.accepted).toBe(4);
    const wrapped = await nextPush(socket, 'agents:rows', (m) => row(m.rows, 'b2').handledToday === 1);
    const after = row(wrapped.rows, 'b2');
    expect(after).toMatchObject({ state: 'ready', contactId: null, handledToday: 1, ahtSec: 170, sinceMs: at('10:02:50') });
    expect(after.occupancy).toBeCloseTo(170 / (170 + 3480), 12);
    expect(row(wrapped.rows, 'b1').longNotReady).toMatchObject({ count: 1, ongoing: true });
    expect(row(wrapped.rows, 'b1').longNotReady.longestSec).toBeGreaterThanOrEqual(420);

    // Nothing changes for team blue now. A witness following team red sees two of z1's changes,
    // pushed by two later ticks (≥ 1 s apart): by then a spurious blue push would have come.
    const seen = pushes.length;
    const witness = server.socket(manager) as ClientSocket;
    await connected(witness);
    expect((await witness.timeout(5000).emitWithAck('agents:subscribe', { scope: 'team:red' })).ok).toBe(true);
    const z1 = { team: 'red', site: 'sz', queues: ['general'] };
    const firstRed = nextPush(witness, 'agents:rows', (m) => m.rows.some((r) => r.agentId === 'z1'));
    await server.post([{ id: 'af-z1-ready', type: 'agent.state', ts: iso('10:02:55'), agentId: 'z1', state: 'ready', ...z1 }]);
    await firstRed;
    const secondRed = nextPush(witness, 'agents:rows', (m) => row(m.rows, 'z1')?.state === 'not_ready');
    await server.post([{ id: 'af-z1-away', type: 'agent.state', ts: iso('10:03:00'), agentId: 'z1', state: 'not_ready', reason: 'coaching', ...z1 }]);
    await secondRed;
    witness.disconnect();
    expect(pushes.length).toBe(seen);
    for (let i = 1; i < pushes.length; i++) expect(pushes[i].at - pushes[i - 1].at).toBeGreaterThan(900);
    expect(pushes.every((p) => p.message.scope === 'team:blue')).toBe(true);

    // Unsubscribed: no more pushes, even when something changes.
    expect(await socket.timeout(5000).emitWithAck('agents:unsubscribe', {})).toEqual({ ok: true, data: null });
    socket.disconnect();
  });

  it('keeps the day\'s longest episode once it ended, and counts it from the engine', async () => {
    // b1 back to ready at 10:04 after 8 minutes: one long episode, ended, 480 s.
    server.clock.set(at('10:05:00'));
    await server.post([{ id: 'af-b1', type: 'agent.state', ts: iso('10:04:00'), agentId: 'b1', state: 'ready', team: 'blue', site: 'nb', queues: ['vip'] }]);
    const { body } = await server.request('GET', '/api/v1/agents?scope=agent:b1', { token: manager });
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0]).toMatchObject({ state: 'ready', reason: null, timeInStateSec: 60, longNotReady: { count: 1, longestSec: 480, ongoing: false } });
    // a1's current episode is 10 minutes now: two beyond the limit, the longest the running one.
    const a1 = await server.request('GET', '/api/v1/agents?scope=agent:a1', { token: manager });
    expect(a1.body.rows[0].longNotReady).toEqual({ count: 2, longestSec: 600, ongoing: true });
  });

  it('sends a subscriber that asks for changes only the changed rows and who left, beside whole rows to others', async () => {
    const whole = server.socket(manager) as ClientSocket;
    const changes = server.socket(manager) as ClientSocket;
    await Promise.all([connected(whole), connected(changes)]);
    expect((await whole.timeout(5000).emitWithAck('agents:subscribe', { scope: 'team:red' })).ok).toBe(true);
    const first = await changes.timeout(5000).emitWithAck('agents:subscribe', { scope: 'team:red', changes: true });
    expect(first.ok && first.data.map((r: AgentFeedRow) => r.agentId).sort()).toEqual(['a1', 'z1']);

    // r2 joins team red: the changes feed carries r2 alone, the whole feed all three.
    const red = { team: 'red', site: 'sz', queues: ['general'] };
    const joinedWhole = nextPush(whole, 'agents:rows', (m) => m.rows.some((r) => r.agentId === 'r2'));
    const joinedChanges = nextPush(changes, 'agents:rows', (m) => m.rows.some((r) => r.agentId === 'r2'));
    await server.post([{ id: 'af-r2', type: 'agent.state', ts: iso('10:04:30'), agentId: 'r2', state: 'ready', ...red }]);
    expect((await joinedWhole).rows.map((r) => r.agentId).sort()).toEqual(['a1', 'r2', 'z1']);
    expect((await joinedWhole).changes).toBeUndefined();
    const joined = await joinedChanges;
    expect(joined).toMatchObject({ scope: 'team:red', changes: true, removed: [] });
    expect(joined.rows.map((r) => r.agentId)).toEqual(['r2']);
    expect(joined.rows[0]).toMatchObject({ state: 'ready', team: 'red', sinceMs: at('10:04:30') });

    // z1 logs out: the changes feed says z1 left and sends no rows; the whole feed the other two.
    const leftWhole = nextPush(whole, 'agents:rows', (m) => !m.rows.some((r) => r.agentId === 'z1'));
    const leftChanges = nextPush(changes, 'agents:rows', (m) => (m.removed ?? []).length > 0);
    await server.post([{ id: 'af-z1-out', type: 'agent.state', ts: iso('10:04:40'), agentId: 'z1', state: 'logged_out', ...red }]);
    expect((await leftWhole).rows.map((r) => r.agentId).sort()).toEqual(['a1', 'r2']);
    expect(await leftChanges).toMatchObject({ scope: 'team:red', changes: true, rows: [], removed: ['z1'] });
    whole.disconnect();
    changes.disconnect();
  });
});
