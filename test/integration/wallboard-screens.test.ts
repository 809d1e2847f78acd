/**
 * The duty manager steering the floor's screens, over real HTTP and real sockets against a
 * server with its DuckDB store: broadcasts reach the chosen screens and leave when withdrawn or
 * expired, visitor mode strips staffing figures from what a screen receives, the agent board goes
 * only to screens assigned it, alerts are raised and acknowledged, and each of these is audited.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentBoard, ScreenState } from '../../shared/alerts.ts';
import type { RoomMessage } from '../../shared/socket-events.ts';
import { DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');
type Client = ReturnType<TestServer['socket']>;

/** The next time `event` arrives on the socket with a payload that passes `accept`. */
function next<T>(socket: Client, event: string, accept: (value: T) => boolean = () => true, timeoutMs = 4_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      (socket as any).off(event, listener);
      reject(new Error(`no matching ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (value: T) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      (socket as any).off(event, listener);
      resolve(value);
    };
    (socket as any).on(event, listener);
  });
}

async function join(socket: Client, request: { scope?: string; agentBoard?: boolean }): Promise<ScreenState> {
  const result = await (socket as any).emitWithAck('screen:join', request);
  if (!result.ok) throw new Error(result.error);
  return result.data;
}

async function auditActions(server: TestServer, action: string) {
  const response = await server.request('GET', `/api/v1/audit?action=${action}`);
  return response.body.entries as Array<{ actor: string; role: string; action: string; target: string; detail: any }>;
}

describe('screens, broadcasts, visitor mode and alerts', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends a broadcast to the chosen screen only, withdraws it, expires the next, and audits both', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const display = server.socket(DISPLAY_TOKEN);
    const state = await join(display, {});
    expect(state).toMatchObject({ screen: 'display', assigned: null, visitor: false, agentBoard: false, broadcasts: [] });

    const toOther = await server.request('POST', '/api/v1/broadcasts', { body: { text: 'for the other floor', screens: ['floor-2'], durationSec: 60 } });
    expect(toOther.status).toBe(201);
    const arrived = next<ScreenState>(display, 'screen:state', (s) => s.broadcasts.length > 0);
    const sent = await server.request('POST', '/api/v1/broadcasts', { body: { text: '系统故障，统一口径：预计 30 分钟内恢复', screens: ['display'], durationSec: 600 } });
    expect(sent.status).toBe(201);
    const shown = await arrived;
    expect(shown.broadcasts.map((b) => b.text)).toEqual(['系统故障，统一口径：预计 30 分钟内恢复']);

    const gone = next<ScreenState>(display, 'screen:state', (s) => s.broadcasts.length === 0);
    expect((await server.request('POST', '/api/v1/broadcasts/withdraw', { body: { id: sent.body.broadcast.id } })).status).toBe(200);
    await gone;
    expect((await server.request('POST', '/api/v1/broadcasts/withdraw', { body: { id: sent.body.broadcast.id } })).status).toBe(409);

    // One to every screen, expiring after 10 s of the server's clock.
    const all = next<ScreenState>(display, 'screen:state', (s) => s.broadcasts.length === 1);
    await server.request('POST', '/api/v1/broadcasts', { body: { text: 'brief at 11:00', screens: 'all', durationSec: 10 } });
    await all;
    const expired = next<ScreenState>(display, 'screen:state', (s) => s.broadcasts.length === 0);
    server.clock.set(NOW + 11_000);
    await expired;

    const sends = await auditActions(server, 'broadcast.send');
    expect(sends.map((e) => [e.actor, e.role, e.target, e.detail.text])).toEqual([
      ['token', 'admin', 'all', 'brief at 11:00'],
      ['token', 'admin', 'display', '系统故障，统一口径：预计 30 分钟内恢复'],
      ['token', 'admin', 'floor-2', 'for the other floor'],
    ]);
    const withdrawals = await auditActions(server, 'broadcast.withdraw');
    expect(withdrawals.map((e) => [e.target, e.detail.id])).toEqual([['display', sent.body.broadcast.id]]);
  });

  it('refuses bad broadcasts and non-managers, naming the field, and keeps nothing', async () => {
    server = await startTestServer({ nowMs: NOW });
    const cases: Array<[unknown, RegExp]> = [
      [{ text: '', durationSec: 60 }, /^text:/],
      [{ text: 'x'.repeat(281), durationSec: 60 }, /^text:/],
      [{ text: 'hi', durationSec: 2 }, /^durationSec:/],
      [{ text: 'hi', durationSec: 'soon' }, /^durationSec:/],
      [{ text: 'hi', durationSec: 60, screens: [] }, /^screens:/],
      [{ text: 'hi', durationSec: 60, screens: [42] }, /^screens\[0\]:/],
      [[1, 2], /^body:/],
    ];
    for (const [body, error] of cases) {
      const response = await server.request('POST', '/api/v1/broadcasts', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error).toMatch(error);
    }
    const raw = await fetch(`${server.baseUrl}/api/v1/broadcasts`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' }, body: '{"text":' });
    expect(raw.status).toBe(400);
    expect((await raw.json()).error).toMatch(/^body: not valid JSON/);
    // Like every management body: JSON only (a cross-site form cannot send it).
    const form = await fetch(`${server.baseUrl}/api/v1/broadcasts`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'text/plain' }, body: '{"text":"x"}' });
    expect(form.status).toBe(415);
    expect((await server.request('POST', '/api/v1/broadcasts', { token: DISPLAY_TOKEN, body: { text: 'hi', durationSec: 60 } })).status).toBe(403);
    expect((await server.request('POST', '/api/v1/broadcasts', { token: null, body: { text: 'hi', durationSec: 60 } })).status).toBe(401);
    expect((await server.request('PUT', '/api/v1/screens/visitor-mode', { token: DISPLAY_TOKEN, body: { screens: 'all', on: true } })).status).toBe(403);
    expect((await server.request('GET', '/api/v1/broadcasts')).body.broadcasts).toEqual([]);

    const badLayout = await server.request('PUT', '/api/v1/screens/layout', { body: { screen: 'display', layout: { layouts: ['overview', 'pie'] } } });
    expect(badLayout.status).toBe(400);
    expect(badLayout.body.error).toMatch(/^layout\.layouts\[1\]: "pie"/);
    const badRotate = await server.request('PUT', '/api/v1/screens/layout', { body: { screen: 'display', layout: { layouts: ['queues'], rotateSec: 1 } } });
    expect(badRotate.body.error).toMatch(/^layout\.rotateSec:/);
    expect((await server.request('PUT', '/api/v1/screens/visitor-mode', { body: { screens: ['display'], on: 'yes' } })).body.error).toMatch(/^on:/);
    expect((await server.request('GET', '/api/v1/screens')).body.screens).toEqual([]);

    // A screen that sends nonsense gets a refusal naming the field, and the socket stays usable.
    const display = server.socket(DISPLAY_TOKEN);
    expect(await (display as any).emitWithAck('screen:join', null)).toMatchObject({ ok: true, data: { screen: 'display' } });
    expect(await (display as any).emitWithAck('screen:join', { scope: 'planet:mars' })).toEqual({ ok: false, error: expect.stringMatching(/^scope:/) });
    expect(await (display as any).emitWithAck('screen:join', { scope: 'site:hangzhou' })).toMatchObject({ ok: true });

    // Trends: for every role (screens draw sparklines), never per agent.
    const trends = await server.request('GET', '/api/v1/trends?scope=centre', { token: DISPLAY_TOKEN });
    expect(trends.status).toBe(200);
    expect(trends.body).toMatchObject({ scope: 'centre', stepMs: 60_000, series: { serviceLevel: [null], inQueue: [0] } });
    expect((await server.request('GET', '/api/v1/trends?scope=agent:wang', { token: DISPLAY_TOKEN })).body.error).toMatch(/^scope:/);
    expect((await server.request('GET', '/api/v1/trends?scope=centre', { token: null })).status).toBe(401);
  });

  it('visitor mode strips staffing figures and the agent board at once, and survives a restart', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    await server.post([
      { id: 's1', type: 'agent.state', ts: NOW - 400_000, agentId: 'wang.fang', state: 'not_ready', reason: 'training', team: 'red', site: 'hangzhou', queues: ['general'] },
      { id: 's2', type: 'agent.state', ts: NOW - 60_000, agentId: 'li.lei', state: 'ready', team: 'red', site: 'hangzhou', queues: ['general'] },
      { id: 'o1', type: 'contact.offered', ts: NOW - 50_000, contactId: 'c1', queue: 'general', site: 'hangzhou', channel: 'phone' },
      { id: 'a1', type: 'contact.answered', ts: NOW - 30_000, contactId: 'c1', agentId: 'li.lei' },
      { id: 's3', type: 'agent.state', ts: NOW - 30_000, agentId: 'li.lei', state: 'busy', team: 'red', site: 'hangzhou', queues: ['general'] },
    ]);
    const display = server.socket(DISPLAY_TOKEN);
    await join(display, { scope: 'site:hangzhou', agentBoard: true });
    const subscribed = await (display as any).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] });
    const before: RoomMessage = subscribed.data[0];
    expect(before.scopes[0].kpis.agentsBusy.value).toBe(1);
    expect(before.scopes[0].kpis.agentsNotReadyOverLimit.value).toBe(1);

    // Not assigned the agent board: no agent names reach this display link.
    let boards = 0;
    display.on('agents:board', () => boards++);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(boards).toBe(0);

    const board = next<AgentBoard>(display, 'agents:board');
    const assigned = await server.request('PUT', '/api/v1/screens/layout', { body: { screen: 'display', layout: { layouts: ['agents', 'queues'], scope: 'site:hangzhou', lang: 'en', rotateSec: 30 } } });
    expect(assigned.status).toBe(200);
    const rows = (await board).agents;
    // A floor screen gets no agent ids or teams (issue 12): the rows are numbered in board order.
    expect(rows.map((r) => [r.agentId, r.team, r.state, r.reason, r.sinceMs, r.contactSinceMs])).toEqual([
      ['#1', null, 'not_ready', 'training', NOW - 400_000, null],
      ['#2', null, 'busy', null, NOW - 30_000, NOW - 30_000],
    ]);

    const redacted = next<RoomMessage>(display, 'kpi:snapshot', (m) => m.room === 'centre@today');
    const stateNow = next<ScreenState>(display, 'screen:state', (s) => s.visitor);
    const started = Date.now();
    expect((await server.request('PUT', '/api/v1/screens/visitor-mode', { body: { screens: ['display'], on: true } })).body.changed).toEqual(['display']);
    const message = await redacted;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(message.redacted).toBe(true);
    expect(message.scopes[0].kpis.agentsBusy.value).toBeNull();
    expect(message.scopes[0].kpis.agentsNotReadyOverLimit.value).toBeNull();
    expect(message.scopes[0].live.agents).toEqual({ ready: 0, busy: 0, acw: 0, not_ready: 0 });
    expect(message.scopes[0].kpis.answered.value).toBe(1);
    expect((await stateNow).agentBoard).toBe(false);
    // Updates keep coming redacted, and no agent board comes at all.
    boards = 0;
    const updated = next<RoomMessage>(display, 'kpi:update', (m) => m.room === 'centre@today' && m.scopes.length > 0);
    await server.post([{ id: 's4', type: 'agent.state', ts: NOW - 1_000, agentId: 'zhao.min', state: 'ready', team: 'red', site: 'hangzhou', queues: ['general'] }]);
    const update = await updated;
    expect(update.redacted).toBe(true);
    expect(update.scopes[0].kpis.agentsReady.value).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(boards).toBe(0);

    const entries = await server.request('GET', '/api/v1/audit');
    expect(entries.body.entries.map((e: any) => [e.action, e.target])).toEqual([
      ['visitor-mode.on', 'display'],
      ['screen.assign', 'display'],
    ]);

    const { dataDir } = server;
    await server.close();
    server = await startTestServer({ nowMs: NOW, durable: true, dataDir });
    const again = server.socket(DISPLAY_TOKEN);
    expect(await join(again, {})).toMatchObject({ visitor: true, assigned: { layouts: ['agents', 'queues'], scope: 'site:hangzhou' } });
    const resubscribed = await (again as any).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] });
    expect(resubscribed.data[0].redacted).toBe(true);

    const off = next<RoomMessage>(again, 'kpi:snapshot', (m) => m.room === 'centre@today');
    await server.request('PUT', '/api/v1/screens/visitor-mode', { body: { screens: 'all', on: false } });
    const plain = await off;
    expect(plain.redacted).toBeUndefined();
    expect(plain.scopes[0].kpis.agentsBusy.value).toBe(1);
    expect(plain.scopes[0].kpis.agentsReady.value).toBe(1);
    expect((await auditActions(server, 'visitor-mode')).map((e) => e.action)).toEqual(['visitor-mode.off', 'visitor-mode.on']);
  });

  it('raises an alert the screens see, which a duty manager acknowledges (audited)', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const display = server.socket(DISPLAY_TOKEN);
    await join(display, {});
    // 10 calls answered after 90 s each: service level 0 % over the last 15 minutes.
    const events = [];
    for (let i = 0; i < 10; i++) {
      events.push({ id: `o${i}`, type: 'contact.offered', ts: NOW - 120_000, contactId: `c${i}`, queue: 'general', site: 'hangzhou', channel: 'phone' });
      events.push({ id: `a${i}`, type: 'contact.answered', ts: NOW - 30_000, contactId: `c${i}`, agentId: 'li.lei' });
    }
    await server.post(events);
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // first seen breaching
    const raised = next<ScreenState>(display, 'screen:state', (s) => s.alerts.some((a) => a.kpi === 'serviceLevel' && a.scope === 'centre'));
    server.clock.set(NOW + 31_000); // held for the raise delay
    const alert = (await raised).alerts.find((a) => a.kpi === 'serviceLevel' && a.scope === 'centre')!;
    expect(alert).toMatchObject({ rule: 'threshold', value: 0, limit: 0.8, raisedAt: expect.any(Number), ackedBy: null });

    const listed = await server.request('GET', '/api/v1/alerts');
    expect(listed.body.active.map((a: any) => `${a.kpi}@${a.scope}`)).toEqual(expect.arrayContaining(['serviceLevel@centre', 'serviceLevel@site:hangzhou', 'serviceLevel@queue:general']));
    expect((await server.request('POST', '/api/v1/alerts/ack', { token: DISPLAY_TOKEN, body: { id: alert.id } })).status).toBe(403);
    const acked = await server.request('POST', '/api/v1/alerts/ack', { body: { id: alert.id } });
    expect(acked.body.alert).toMatchObject({ id: alert.id, ackedBy: 'token' });
    expect((await server.request('POST', '/api/v1/alerts/ack', { body: { id: alert.id } })).status).toBe(409);
    expect((await server.request('POST', '/api/v1/alerts/ack', { body: { id: 'A0' } })).status).toBe(404);
    expect((await server.request('POST', '/api/v1/alerts/ack', { body: {} })).body.error).toMatch(/^id:/);
    const [entry] = await auditActions(server, 'alert.ack');
    expect(entry).toMatchObject({ actor: 'token', role: 'admin', target: alert.id, detail: { rule: 'threshold', kpi: 'serviceLevel', scope: 'centre' } });
  });

  it('raises a complaint surge against the same quarter hour yesterday', async () => {
    server = await startTestServer({ nowMs: NOW });
    const offer = (id: string, ts: number) => ({ id, type: 'contact.offered', ts, contactId: id, queue: 'complaints', site: 'hangzhou', channel: 'phone' });
    // Yesterday 10:00–10:15: 10 complaints; today's last 15 minutes: 25.
    await server.post(Array.from({ length: 10 }, (_, i) => offer(`y${i}`, NOW - 86_400_000 + 60_000 + i * 1000)));
    await server.post(Array.from({ length: 25 }, (_, i) => offer(`t${i}`, NOW - 600_000 + i * 1000)));
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    server.clock.set(NOW + 31_000);
    let surge: any;
    for (let i = 0; i < 30 && !surge; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      surge = (await server.request('GET', '/api/v1/alerts')).body.active.find((a: any) => a.rule === 'volume-surge' && a.scope === 'queue:complaints');
    }
    expect(surge).toMatchObject({ scope: 'queue:complaints', value: 25, limit: 20 });
  });
});
