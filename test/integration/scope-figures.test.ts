/**
 * Figures only where they mean something, and unknown scopes refused (issue 11), on a real
 * server with a real DuckDB store and real sockets:
 * - queue outcomes (offered, abandoned, short abandons, flowed out, answer rate, service level,
 *   abandon rate, in queue, longest wait) are null at team and agent scope, in GET /api/v1/kpis,
 *   the socket rooms, the intervals and the daily report, while answered, ASA and AHT count;
 * - the contacts behind a queue outcome at team scope are refused with a field-named 400;
 * - an unknown scope answers 404 naming it (control characters removed, length capped) on every
 *   route that takes a scope, and a socket room of one is refused; a site only the org
 *   directory knows (set up before its first event) is not unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomMessage } from '../../shared/socket-events.ts';
import { HAND_DAY, HAND_NOW_MS as NOW, handEvents } from '../fixtures/hand-floor.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

/**
 * On 2026-03-02 at hz/general: g1 offered 09:00:00, answered 09:00:10 by ah1 (team t1), ended
 * 09:05:00 (talk 280 + hold 10), wrapped 09:05:30 (handle 320 s); g2 abandoned after 40 s; g3 a
 * short abandon (2 s); g4 flowed out after 60 s; g5 offered 09:59:00 and still waiting at 10:00.
 */
function story(): unknown[] {
  const { offered, answered, ended, wrapped, abandoned, flowedOut, state } = handEvents('sf');
  const place = { team: 't1', site: 'hz', queues: ['general'] };
  return [
    state('ah1', '08:00:00', 'ready', place),
    offered('g1', '09:00:00', 'hz', 'general'), answered('g1', '09:00:10', 'ah1'), state('ah1', '09:00:10', 'busy', place),
    ended('g1', '09:05:00', 280, 10), state('ah1', '09:05:00', 'acw', place), wrapped('g1', '09:05:30', 'ah1'), state('ah1', '09:05:30', 'ready', place),
    offered('g2', '09:10:00', 'hz', 'general'), abandoned('g2', '09:10:40'),
    offered('g3', '09:20:00', 'hz', 'general'), abandoned('g3', '09:20:02'),
    offered('g4', '09:30:00', 'hz', 'general'), flowedOut('g4', '09:31:00', 'timeout'),
    offered('g5', '09:59:00', 'hz', 'general'),
  ];
}

const QUEUE_OUTCOMES = ['offered', 'abandoned', 'shortAbandoned', 'flowedOut', 'answerRate', 'serviceLevel', 'abandonRate', 'inQueue', 'longestWaitSec'];

describe('figures only where they mean something', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    expect((await server.post(story())).body).toMatchObject({ rejected: [] });
    await server.app.flushRecords();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('gives a team and an agent no queue outcome, but their answered, ASA and AHT', async () => {
    for (const scope of ['team:t1', 'agent:ah1']) {
      const { status, body } = await server.kpis(scope, 'today');
      expect(status, scope).toBe(200);
      for (const kpi of QUEUE_OUTCOMES) expect(body.kpis[kpi].value, `${scope} ${kpi}`).toBeNull();
      expect(body.kpis.answered.value).toBe(1);
      expect(body.kpis.handled.value).toBe(1);
      expect(body.kpis.asaSec).toMatchObject({ value: 10, num: 10, den: 1 });
      expect(body.kpis.ahtSec).toMatchObject({ value: 320, num: 320, den: 1 });
    }
    // The site has them: 1 answered ÷ (1 + 2 abandoned + 1 flowed out − 1 short).
    const site = (await server.kpis('site:hz', 'today')).body.kpis;
    expect(site.answerRate).toMatchObject({ value: 1 / 3, num: 1, den: 3 });
    expect([site.offered.value, site.abandoned.value, site.shortAbandoned.value, site.inQueue.value, site.longestWaitSec.value]).toEqual([5, 2, 1, 1, 60]);
  });

  it('sends a team room the same: null answer rate, answered counted', async () => {
    const socket = server.socket(ADMIN_TOKEN);
    const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['team:t1@today', 'team:*@today', 'site:hz@today'] });
    expect(ack.ok).toBe(true);
    const [one, all, site] = (ack as { ok: true; data: RoomMessage[] }).data;
    for (const message of [one, all]) {
      const t1 = message.scopes.find((s) => s.scope === 'team:t1')!;
      expect(t1.kpis.answerRate).toMatchObject({ value: null });
      expect(t1.kpis.inQueue).toMatchObject({ value: null });
      expect(t1.kpis.answered.value).toBe(1);
    }
    expect(site.scopes[0].kpis.answerRate.value).toBeCloseTo(1 / 3, 12);
  });

  it('gives the team’s intervals and daily report rows no queue outcome either', async () => {
    const intervals = await server.request('GET', `/api/v1/intervals?scope=team:t1&day=${HAND_DAY}`);
    expect(intervals.status).toBe(200);
    const nine = intervals.body.intervals.find((i: { start: string }) => i.start === '09:00');
    expect(nine.kpis.answered.value).toBe(1);
    expect(nine.kpis.answerRate).toMatchObject({ value: null });
    expect(nine.kpis.offered).toMatchObject({ value: null });
    const siteNine = (await server.request('GET', `/api/v1/intervals?scope=site:hz&day=${HAND_DAY}`)).body.intervals.find((i: { start: string }) => i.start === '09:00');
    expect(siteNine.kpis.offered.value).toBe(2); // g1 at 09:00, g2 at 09:10
    for (const groupBy of ['team', 'agent']) {
      const rows = (await server.daily({ from: HAND_DAY, to: HAND_DAY, groupBy })).body.rows;
      const row = rows.find((r: { group: string }) => r.group === (groupBy === 'team' ? 't1' : 'ah1'));
      expect(row.kpis.answered.value, groupBy).toBe(1);
      for (const kpi of QUEUE_OUTCOMES) expect(row.kpis[kpi].value, `${groupBy} ${kpi}`).toBeNull();
    }
    const byQueue = (await server.daily({ from: HAND_DAY, to: HAND_DAY, groupBy: 'queue' })).body.rows[0].kpis;
    expect(byQueue.answerRate).toMatchObject({ value: 1 / 3, num: 1, den: 3 });
  });

  it('refuses the contacts behind a queue outcome at team or agent scope with a field-named 400', async () => {
    for (const scope of ['team:t1', 'agent:ah1']) {
      const refused = await server.request('GET', `/api/v1/kpis/contacts?scope=${scope}&window=today&kpi=answerRate`);
      expect(refused.status, scope).toBe(400);
      expect(refused.body.error).toMatch(/^kpi: answerRate is a queue outcome, which has no figure at (team|agent) scope/);
      expect(refused.body.error).not.toContain('t1');
    }
    const answered = await server.request('GET', '/api/v1/kpis/contacts?scope=team:t1&window=today&kpi=answered');
    expect(answered.status).toBe(200);
    expect(answered.body.rows.map((r: { id: string }) => r.id)).toEqual(['g1']);
  });
});

describe('unknown scopes', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW });
    expect((await server.post(story())).body).toMatchObject({ rejected: [] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 404 naming the scope on every route that takes one', async () => {
    expect(await server.kpis('site:nowhere', 'today')).toEqual({ status: 404, body: { error: 'scope: no such site: nowhere' } });
    expect(await server.kpis('site:hz/queue:nothing', 'today')).toEqual({ status: 404, body: { error: 'scope: no such queue at site hz: nothing' } });
    expect((await server.kpis('team:t9', 'today')).body).toEqual({ error: 'scope: no such team: t9' });
    const paths = [
      '/api/v1/kpis/contacts?scope=site:nowhere&window=today&kpi=answered',
      `/api/v1/intervals?scope=site:nowhere&day=${HAND_DAY}`,
      '/api/v1/tickets/open?scope=site:nowhere',
      '/api/v1/agents?scope=site:nowhere',
      '/api/v1/staffing?scope=site:nowhere',
    ];
    for (const path of paths) expect(await server.request('GET', path), path).toEqual({ status: 404, body: { error: 'scope: no such site: nowhere' } });
    // Known scopes still answer; a floor screen asking for a team is refused before anything is said about it.
    expect((await server.kpis('site:hz', 'today')).status).toBe(200);
    expect((await server.kpis('queue:general', 'today')).status).toBe(200);
    expect((await server.kpis('team:t9', 'today', DISPLAY_TOKEN)).status).toBe(403);
  });

  it('names the scope without control characters and at most 64 characters of it', async () => {
    const { status, body } = await server.kpis(`site:no\u0007where\u202e\n${'x'.repeat(100)}`, 'today');
    expect(status).toBe(404);
    expect(body.error).toBe(`scope: no such site: nowhere${'x'.repeat(57)}…`);
  });

  it('refuses a socket room of an unknown scope, naming it, and keeps dimension rooms', async () => {
    const socket = server.socket(DISPLAY_TOKEN);
    const refused = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['centre@today', 'site:nowhere@today'] });
    expect(refused).toEqual({ ok: false, error: 'rooms[1]: no such site: nowhere' });
    const queues = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['site:nowhere/queue:*@today'] });
    expect(queues).toEqual({ ok: false, error: 'rooms[0]: no such site: nowhere' });
    const fine = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['site:*@today', 'site:hz@today'] });
    expect(fine.ok).toBe(true);
    expect((fine as { ok: true; data: RoomMessage[] }).data[0].scopes.map((s) => s.scope)).toEqual(['site:hz']);
  });

  it('knows a site the org directory has before its first event, for the API and a wallboard room', async () => {
    expect((await server.kpis('site:wz', 'today')).status).toBe(404);
    server.app.org.apply([{ kind: 'site', id: 'wz', zh: '温州', en: 'Wenzhou' }], 'admin', NOW);
    const { status, body } = await server.kpis('site:wz', 'today');
    expect(status).toBe(200);
    expect([body.kpis.offered.value, body.kpis.answerRate.value]).toEqual([0, null]);
    const socket = server.socket(DISPLAY_TOKEN);
    const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['site:wz@today'] });
    expect(ack.ok).toBe(true);
    // Its first event makes it a scope of the engine too.
    await server.post([{ id: 'wz-1', type: 'contact.offered', ts: `${HAND_DAY}T09:59:30+08:00`, contactId: 'w1', site: 'wz', queue: 'general', channel: 'phone' }]);
    expect((await server.kpis('site:wz/queue:general', 'today')).body.kpis.offered.value).toBe(1);
  });
});
