/**
 * A queue within one site (`site:X/queue:Y`, issue 10) on a real server: two sites serve a queue
 * of the same name; each site's part has its own hand-computed figures from GET /api/v1/kpis,
 * and the two parts add up to the queue across the centre. `site:X/queue:*` rooms carry exactly
 * one site's queues, and the scope tree names each site's queues and teams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomMessage } from '../../shared/socket-events.ts';
import { HAND_NOW_MS as NOW, handEvents } from '../fixtures/hand-floor.ts';
import { nextPush } from '../fixtures/socket-wait.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

/**
 * The story, all on 2026-03-02 (Asia/Shanghai):
 * - hz/general: g1 offered 09:00:00, answered 09:00:10 by ah1 (wait 10 s), ended 09:05:10 talk 290
 *   + hold 10, wrapped 09:05:40 (handle 330 s); g2 offered 09:10:00, answered 09:11:00 by ah1
 *   (wait 60 s: outside SL), ended 09:15:00 talk 230 + hold 10, wrapped 09:15:20 (handle 260 s);
 *   g3 abandoned after 3 s (short); g4 abandoned after 45 s; g5 offered 09:58:00, still waiting.
 * - hz/vip: v1 offered 09:40:00, answered 09:40:05 by ah2.
 * - nb/general: n1 offered 09:05:00, answered 09:05:20 by an1 (wait 20 s), ended 09:08:00 talk 160,
 *   wrapped 09:08:10 (handle 170 s); n2 flowed out; n3 abandoned after 60 s.
 * - nb/complaints: c1 offered 09:35:00, answered 09:35:30 by an2.
 * - Agents: ah1 (t1, hz, general), ah2 (t1, hz, vip + general), an1 (t2, nb, general),
 *   an2 (t2, nb, complaints); ready from 08:00, busy and after-call work as above.
 */
function story(): unknown[] {
  const { offered, answered, ended, wrapped, abandoned, flowedOut, state: agentState } = handEvents('sq');
  const state = (agentId: string, time: string, s: string, team: string, site: string, queues: string[]) => agentState(agentId, time, s, { team, site, queues });
  const ah1 = (time: string, s: string) => state('ah1', time, s, 't1', 'hz', ['general']);
  const an1 = (time: string, s: string) => state('an1', time, s, 't2', 'nb', ['general']);
  return [
    ah1('08:00:00', 'ready'),
    state('ah2', '08:00:00', 'ready', 't1', 'hz', ['vip', 'general']),
    an1('08:00:00', 'ready'),
    state('an2', '08:00:00', 'ready', 't2', 'nb', ['complaints']),
    offered('g1', '09:00:00', 'hz', 'general'), answered('g1', '09:00:10', 'ah1'), ah1('09:00:10', 'busy'),
    ended('g1', '09:05:10', 290, 10), ah1('09:05:10', 'acw'), wrapped('g1', '09:05:40', 'ah1'), ah1('09:05:40', 'ready'),
    offered('g2', '09:10:00', 'hz', 'general'), answered('g2', '09:11:00', 'ah1'), ah1('09:11:00', 'busy'),
    ended('g2', '09:15:00', 230, 10), ah1('09:15:00', 'acw'), wrapped('g2', '09:15:20', 'ah1'), ah1('09:15:20', 'ready'),
    offered('g3', '09:20:00', 'hz', 'general'), abandoned('g3', '09:20:03'),
    offered('g4', '09:30:00', 'hz', 'general'), abandoned('g4', '09:30:45'),
    offered('g5', '09:58:00', 'hz', 'general'),
    offered('v1', '09:40:00', 'hz', 'vip'), answered('v1', '09:40:05', 'ah2'), state('ah2', '09:40:05', 'busy', 't1', 'hz', ['vip', 'general']),
    offered('n1', '09:05:00', 'nb', 'general'), answered('n1', '09:05:20', 'an1'), an1('09:05:20', 'busy'),
    ended('n1', '09:08:00', 160, 0), an1('09:08:00', 'acw'), wrapped('n1', '09:08:10', 'an1'), an1('09:08:10', 'ready'),
    offered('n2', '09:25:00', 'nb', 'general'), flowedOut('n2', '09:27:00', 'timeout'),
    offered('n3', '09:50:00', 'nb', 'general'), abandoned('n3', '09:51:00'),
    offered('c1', '09:35:00', 'nb', 'complaints'), answered('c1', '09:35:30', 'an2'), state('an2', '09:35:30', 'busy', 't2', 'nb', ['complaints']),
  ];
}

/** Hand-worked from the story (today). */
const EXPECTED: Record<string, Record<string, number>> = {
  'site:hz/queue:general': {
    offered: 5, answered: 2, abandoned: 2, shortAbandoned: 1, flowedOut: 0,
    answerRate: 2 / 3, serviceLevel: 1 / 3, abandonRate: 1 / 3, asaSec: 35, handled: 2, ahtSec: 295,
    inQueue: 1, longestWaitSec: 120, agentsReady: 1, agentsBusy: 1,
  },
  'site:nb/queue:general': {
    offered: 3, answered: 1, abandoned: 1, shortAbandoned: 0, flowedOut: 1,
    answerRate: 1 / 3, serviceLevel: 1 / 3, abandonRate: 1 / 3, asaSec: 20, handled: 1, ahtSec: 170,
    inQueue: 0, agentsReady: 1, agentsBusy: 0,
  },
  'queue:general': {
    offered: 8, answered: 3, abandoned: 3, shortAbandoned: 1, flowedOut: 1,
    answerRate: 3 / 6, serviceLevel: 2 / 6, abandonRate: 2 / 6, asaSec: 30, handled: 3, ahtSec: 760 / 3,
    inQueue: 1, longestWaitSec: 120, agentsReady: 2, agentsBusy: 1,
  },
};

type Figure = { value: number | null; num?: number; den?: number };

describe('a queue within one site', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW });
    const result = await server.post(story());
    expect(result.body).toMatchObject({ rejected: [] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the hand-computed figures of each site’s part of a shared queue', async () => {
    for (const [scope, expected] of Object.entries(EXPECTED)) {
      const { status, body } = await server.kpis(scope, 'today', DISPLAY_TOKEN);
      expect(status, scope).toBe(200);
      expect(body.scope).toBe(scope);
      for (const [name, value] of Object.entries(expected)) expect(body.kpis[name].value, `${scope} ${name}`).toBeCloseTo(value, 9);
    }
  });

  it('adds the two sites’ parts up to the queue, every count and both terms of every ratio', async () => {
    const [hz, nb, whole] = await Promise.all(['site:hz/queue:general', 'site:nb/queue:general', 'queue:general'].map((s) => server.kpis(s, 'today')));
    const names = Object.keys(whole.body.kpis).filter((name) => name !== 'longestWaitSec');
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const [a, b, w] = [hz, nb, whole].map((r) => r.body.kpis[name] as Figure);
      if (w.den !== undefined) {
        expect(a.num! + b.num!, `${name} num`).toBeCloseTo(w.num!, 9);
        expect(a.den! + b.den!, `${name} den`).toBe(w.den);
      } else {
        expect((a.value ?? 0) + (b.value ?? 0), name).toBe(w.value ?? 0);
      }
    }
    // And a site's queues add up to the site.
    const [general, vip, site] = await Promise.all(['site:hz/queue:general', 'site:hz/queue:vip', 'site:hz'].map((s) => server.kpis(s, 'today')));
    for (const name of ['offered', 'answered', 'abandoned', 'inQueue']) expect(general.body.kpis[name].value + vip.body.kpis[name].value, name).toBe(site.body.kpis[name].value);
  });

  it('names the forms in a field-named 400 without echoing the scope', async () => {
    for (const bad of ['site:/queue:general', 'site:hz/queue:', 'region:<b>x</b>']) {
      const { status, body } = await server.kpis(bad, 'today');
      expect(status, bad).toBe(400);
      expect(body.error).toBe('scope: must be one of centre, site:X, queue:X, site:X/queue:Y, team:X, agent:X or channel:X');
    }
  });

  it('lists the site × queue scopes, and a site’s queues and teams in the tree (no teams for a display)', async () => {
    const scopes = await server.request('GET', '/api/v1/scopes', { token: DISPLAY_TOKEN });
    expect(scopes.body.siteQueues).toEqual(['site:hz/queue:general', 'site:hz/queue:vip', 'site:nb/queue:complaints', 'site:nb/queue:general']);
    expect(scopes.body.sites).toEqual(['site:hz', 'site:nb']);
    const tree = await server.request('GET', '/api/v1/scopes/tree', { token: ADMIN_TOKEN });
    expect(tree).toEqual({
      status: 200,
      body: {
        sites: [
          { scope: 'site:hz', queues: ['site:hz/queue:general', 'site:hz/queue:vip'], teams: ['team:t1'] },
          { scope: 'site:nb', queues: ['site:nb/queue:complaints', 'site:nb/queue:general'], teams: ['team:t2'] },
        ],
        queues: ['queue:complaints', 'queue:general', 'queue:vip'],
        teams: [
          { scope: 'team:t1', site: 'hz', queues: ['general', 'vip'], agents: ['agent:ah1', 'agent:ah2'] },
          { scope: 'team:t2', site: 'nb', queues: ['complaints', 'general'], agents: ['agent:an1', 'agent:an2'] },
        ],
        channels: ['channel:phone'],
      },
    });
    const forDisplay = await server.request('GET', '/api/v1/scopes/tree', { token: DISPLAY_TOKEN });
    expect(forDisplay.body).toEqual({
      sites: [
        { scope: 'site:hz', queues: ['site:hz/queue:general', 'site:hz/queue:vip'] },
        { scope: 'site:nb', queues: ['site:nb/queue:complaints', 'site:nb/queue:general'] },
      ],
      queues: ['queue:complaints', 'queue:general', 'queue:vip'],
      channels: ['channel:phone'],
    });
    expect((await server.request('GET', '/api/v1/scopes/tree', { token: null })).status).toBe(401);
  });

  it('carries exactly one site’s queues in a `site:X/queue:*` room, snapshot and updates', async () => {
    const socket = server.socket(DISPLAY_TOKEN);
    const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['site:hz/queue:*@today', 'site:hz/queue:general@today'] });
    expect(ack.ok).toBe(true);
    const [all, one] = (ack as { ok: true; data: RoomMessage[] }).data;
    expect(all.scopes.map((s) => s.scope)).toEqual(['site:hz/queue:general', 'site:hz/queue:vip']);
    expect(all.scopes[0].kpis.offered.value).toBe(5);
    expect(all.scopes[0].kpis.answerRate).toEqual({ value: 2 / 3, num: 2, den: 3 });
    expect(one.scopes.map((s) => s.scope)).toEqual(['site:hz/queue:general']);

    const seen: RoomMessage[] = [];
    const vipUpdate = nextPush(socket, 'kpi:update', (message) => {
      if (message.room !== 'site:hz/queue:*@today') return false;
      seen.push(message);
      return message.scopes.some((s) => s.scope === 'site:hz/queue:vip' && s.kpis.offered.value === 2);
    });
    // Another site's general queue changes first, then hz's vip queue.
    await server.post([{ id: 'late-n4', type: 'contact.offered', ts: NOW - 5_000, contactId: 'n4', site: 'nb', queue: 'general', channel: 'phone' }]);
    await server.post([{ id: 'late-v2', type: 'contact.offered', ts: NOW - 4_000, contactId: 'v2', site: 'hz', queue: 'vip', channel: 'phone' }]);
    const update = await vipUpdate;
    expect(update.seq).toBeGreaterThan(all.seq);
    for (const message of seen) for (const scope of message.scopes) expect(scope.scope).toMatch(/^site:hz\/queue:/);
    expect((await server.kpis('site:nb/queue:general', 'today')).body.kpis.offered.value).toBe(4);
  });

  it('refuses a malformed site queues room', async () => {
    const socket = server.socket(DISPLAY_TOKEN);
    const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['site:/queue:*@today'] });
    expect(ack).toMatchObject({ ok: false, error: expect.stringMatching(/^rooms\[0\]:/) });
  });
});
