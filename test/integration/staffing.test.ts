/**
 * Staffing on a real server (real DuckDB file, real HTTP): the Erlang C what-if calculator both
 * ways with field-named 400s for nonsense, and per-queue required agents from posted events,
 * worked out by hand below, beside the agents ready + busy and logged in, with manual 003's seat
 * table; a director's service-level target change moves the requirement.
 *
 * The floor at 10:00 (Asia/Shanghai) on 2026-03-02, threshold T = 30 s, target 90 % (SPEC §5):
 * - queue general @ site sz: 20 calls offered since 09:01 (the 60-minute window), two of them
 *   handled in the hour in 180 s each (talk 150 + hold 0 + wrap 30; talk 140 + hold 10 + wrap 30)
 *   → AHT 180 s, A = 20 · 180 / 3600 = 1 Erlang.
 *     N = 2: C = 1/3, SL = 1 − 1/3 · e^{−1·30/180} = 0.71784 < 0.9
 *     N = 3: C = (1/6 · 3/2) / (1 + 1 + 1/2 + 1/4) = 1/11, SL = 1 − 1/11 · e^{−2·30/180} = 0.93486 → 3 agents.
 * - queue vip @ site sz: 10 calls in the hour, none handled in it; one handled at 08:12 today in
 *   720 s (talk 600 + hold 60 + wrap 60) → AHT from today, 720 s, A = 10 · 720 / 3600 = 2 Erlangs.
 *     N = 4: C = (16/24 · 4/2) / (1 + 2 + 2 + 4/3 + 4/3) = 4/23, SL = 1 − 4/23 · e^{−2·30/720} = 0.83999
 *     N = 5: C = (32/120 · 5/3) / (7 + 4/9) = 4/67, SL = 1 − 4/67 · e^{−3·30/720} = 0.94731 → 5 agents.
 * - centre: 30 calls in the hour, AHT 180 s (only general's two in the hour) → A = 1.5 Erlangs.
 *     N = 3: C = (1.5³/6 · 3/1.5) / (1 + 1.5 + 1.125 + 1.125) = 0.236842, SL = 1 − C · e^{−1.5·30/180} = 0.81555
 *     N = 4: C = (1.5⁴/24 · 4/2.5) / (4.1875 + 0.3375) = 0.0745856, SL = 1 − C · e^{−2.5·30/180} = 0.95083 → 4.
 *   Pooled, the centre needs 4 where the queues staffed apart need 3 + 5 = 8.
 *   With a target of 80 %: general still 3 (0.71784 < 0.8), centre 3 (0.81555 ≥ 0.8), vip 4 (0.83999).
 * - queue complaints @ site nb: one call yesterday only: 0 calls in the hour → 0 agents; not a queue of site sz.
 * - agents now: g1 ready (general), g2 busy (general), v1 not ready (vip), v2 after-call work
 *   (general and vip): general ready+busy 2 of 3 logged in, vip 0 of 2, centre 2 of 4.
 * - seat table (manual 003): 20, 10 and 30 calls an hour are all in its first row → 5 seats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallCentreEventInput } from '../../shared/events.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createUser } from '../fixtures/accounts.ts';
import { HAND_NOW_MS as NOW, handEvents } from '../fixtures/hand-floor.ts';

function floor(): CallCentreEventInput[] {
  const ev = handEvents('st');
  const events: CallCentreEventInput[] = [];
  const offer = (contactId: string, time: string, queue: string, site: string, day?: string) => events.push(ev.offered(contactId, time, site, queue, day));
  const handle = (contactId: string, agentId: string, answered: string, ended: string, wrapped: string, talkSec: number, holdSec: number) =>
    events.push(ev.answered(contactId, answered, agentId), ev.ended(contactId, ended, talkSec, holdSec), ev.wrapped(contactId, wrapped, agentId));
  // general: two handled in the hour (180 s each), 18 more offered and still waiting.
  offer('g-1', '09:10:00', 'general', 'sz');
  handle('g-1', 'g1', '09:10:10', '09:12:40', '09:13:10', 150, 0);
  offer('g-2', '09:20:00', 'general', 'sz');
  handle('g-2', 'g2', '09:20:05', '09:22:35', '09:23:05', 140, 10);
  for (let i = 3; i <= 20; i++) offer(`g-${i}`, `09:${String(27 + i).padStart(2, '0')}:00`, 'general', 'sz');
  // vip: one handled early today (720 s), ten offered in the hour and abandoned.
  offer('v-0', '08:00:00', 'vip', 'sz');
  handle('v-0', 'v1', '08:00:10', '08:11:10', '08:12:10', 600, 60);
  for (let i = 1; i <= 10; i++) {
    offer(`v-${i}`, `09:${String(39 + i).padStart(2, '0')}:00`, 'vip', 'sz');
    events.push(ev.abandoned(`v-${i}`, `09:${String(39 + i).padStart(2, '0')}:40`));
  }
  // complaints at nb: yesterday only.
  offer('c-1', '15:00:00', 'complaints', 'nb', '2026-03-01');
  events.push(ev.abandoned('c-1', '15:01:00', '2026-03-01'));
  const state = (agentId: string, time: string, s: string, queues: string[]) => events.push(ev.state(agentId, time, s, { team: 'red', site: 'sz', queues }));
  state('g1', '09:50:00', 'ready', ['general']);
  state('g2', '09:55:00', 'busy', ['general']);
  state('v1', '09:58:00', 'not_ready', ['vip']);
  state('v2', '09:59:00', 'acw', ['general', 'vip']);
  return events;
}

describe('staffing: Erlang C what-if and required agents per queue', () => {
  let server: TestServer;
  let manager: string;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true, env: { SL_THRESHOLD_SEC: '30' } });
    const posted = await server.post(floor());
    expect(posted.body.rejected).toEqual([]);
    manager = (await createUser(server, 'duty.manager', 'manager')).token;
  });
  afterAll(async () => {
    await server?.close();
  });

  const erlang = (query: string, token: string | null = ADMIN_TOKEN) => server.request('GET', `/api/v1/staffing/erlang-c?${query}`, { token });

  it('agents → figures: the published 20 Erlangs on 26 agents (P(wait) 14.3 %, ASA ≈ 3 s)', async () => {
    const { status, body } = await erlang('callsPerHour=600&ahtSec=120&thresholdSec=20&agents=26', manager);
    expect(status).toBe(200);
    expect(body.agents).toBe(26);
    expect(body.trafficErlangs).toBeCloseTo(20, 12);
    expect(body.stable).toBe(true);
    expect(body.pWait).toBeCloseTo(0.1433999284489232, 10);
    expect(body.asaSec).toBeCloseTo(2.867998568978464, 9);
    expect(body.serviceLevel).toBeCloseTo(0.9472461144581853, 10);
    expect(body.occupancy).toBeCloseTo(20 / 26, 12);
    expect(body.targetSl).toBeNull();
  });

  it('target → fewest agents: 25 for 90 % in 20 s at 20 Erlangs; 10,009 at 10,000 Erlangs, quickly', async () => {
    const { body } = await erlang('callsPerHour=600&ahtSec=120&thresholdSec=20&targetSl=0.9', manager);
    expect(body).toMatchObject({ agents: 25, stable: true, targetSl: 0.9 });
    expect(body.serviceLevel).toBeGreaterThanOrEqual(0.9);
    const started = performance.now();
    const large = await erlang('callsPerHour=300000&ahtSec=120&thresholdSec=20&targetSl=0.8', manager);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(large.body.agents).toBe(10_009);
    expect(large.body.serviceLevel).toBeCloseTo(0.80095848179455775, 9);
    expect(large.body.occupancy).toBeCloseTo(10_000 / 10_009, 12);
  });

  it('agents ≤ traffic: answered as unstable, said so', async () => {
    const { status, body } = await erlang('callsPerHour=600&ahtSec=120&thresholdSec=20&agents=20', manager);
    expect(status).toBe(200);
    expect(body).toMatchObject({ agents: 20, stable: false, serviceLevel: 0, pWait: 1, asaSec: null, occupancy: 1 });
  });

  it('the threshold defaults to the centre service-level threshold', async () => {
    const { body } = await erlang('callsPerHour=20&ahtSec=180&targetSl=0.9', manager);
    expect(body).toMatchObject({ agents: 3, thresholdSec: 30 });
    expect(body.serviceLevel).toBeCloseTo(1 - Math.exp(-1 / 3) / 11, 12);
  });

  it('nonsense: a field-named 400 that does not echo the input', async () => {
    const cases: Array<[string, string]> = [
      ['ahtSec=120&thresholdSec=20&targetSl=0.8', 'callsPerHour:'],
      ['callsPerHour=-5&ahtSec=120&thresholdSec=20&targetSl=0.8', 'callsPerHour:'],
      ['callsPerHour=NaN&ahtSec=120&thresholdSec=20&targetSl=0.8', 'callsPerHour:'],
      ['callsPerHour=Infinity&ahtSec=120&thresholdSec=20&targetSl=0.8', 'callsPerHour:'],
      ['callsPerHour=600&ahtSec=0&thresholdSec=20&targetSl=0.8', 'ahtSec:'],
      ['callsPerHour=600&ahtSec=abc&thresholdSec=20&targetSl=0.8', 'ahtSec:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=-1&targetSl=0.8', 'thresholdSec:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=20', 'targetSl:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=20&targetSl=0.8&agents=25', 'targetSl:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=20&targetSl=1', 'targetSl:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=20&targetSl=0', 'targetSl:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=20&targetSl=80', 'targetSl:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=20&agents=2.5', 'agents:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=20&agents=-1', 'agents:'],
      ['callsPerHour=600&ahtSec=120&thresholdSec=20&agents=99999999', 'agents:'],
      // 9,000,000 calls of 3,600 s = 9,000,000 Erlangs: beyond what the calculator takes.
      ['callsPerHour=9000000&ahtSec=3600&thresholdSec=20&targetSl=0.8', 'callsPerHour:'],
    ];
    for (const [query, field] of cases) {
      const { status, body } = await erlang(query, manager);
      expect(status, query).toBe(400);
      expect(Object.keys(body), query).toEqual(['error']);
      expect(body.error.startsWith(field), `${query} → ${body.error}`).toBe(true);
      expect(body.error, query).not.toMatch(/NaN|abc|99999999|Infinity|-5/);
    }
  });

  it('is for managers, directors and admins: a display is refused, anonymous unauthorised', async () => {
    const query = 'callsPerHour=600&ahtSec=120&thresholdSec=20&agents=26';
    expect((await erlang(query, DISPLAY_TOKEN)).status).toBe(403);
    expect((await erlang(query, null)).status).toBe(401);
    expect((await server.request('GET', '/api/v1/staffing?scope=centre', { token: DISPLAY_TOKEN })).status).toBe(403);
    const director = (await createUser(server, 'staff.director', 'director')).token;
    expect((await erlang(query, director)).status).toBe(200);
  });

  it('per queue of the centre: required agents by hand, beside ready + busy and logged in', async () => {
    const { status, body } = await server.request('GET', '/api/v1/staffing?scope=centre', { token: manager });
    expect(status).toBe(200);
    const byScope = Object.fromEntries(body.rows.map((r: { scope: string }) => [r.scope, r]));
    expect(Object.keys(byScope).sort()).toEqual(['queue:complaints', 'queue:general', 'queue:vip']);
    expect(byScope['queue:general']).toMatchObject({
      callsLastHour: 20, ahtSec: 180, ahtWindow: '60m', thresholdSec: 30, targetSl: 0.9, trafficErlangs: 1, required: 3, readyBusy: 2, loggedIn: 3, tableSeats: 5,
    });
    expect(byScope['queue:general'].serviceLevelAtRequired).toBeCloseTo(1 - Math.exp(-1 / 3) / 11, 12);
    expect(byScope['queue:general'].serviceLevelNow).toBeCloseTo(1 - Math.exp(-1 / 6) / 3, 12);
    expect(byScope['queue:vip']).toMatchObject({ callsLastHour: 10, ahtSec: 720, ahtWindow: 'today', trafficErlangs: 2, required: 5, readyBusy: 0, loggedIn: 2, serviceLevelNow: 0, tableSeats: 5 });
    expect(byScope['queue:vip'].serviceLevelAtRequired).toBeCloseTo(1 - (4 / 67) * Math.exp(-90 / 720), 12);
    expect(byScope['queue:complaints']).toMatchObject({ callsLastHour: 0, required: 0, readyBusy: 0, loggedIn: 0, tableSeats: 0 });
    // Worst first: vip lacks 5 agents taking calls, general 1.
    expect(body.rows.map((r: { scope: string }) => r.scope)).toEqual(['queue:vip', 'queue:general', 'queue:complaints']);
    expect(body.centre).toMatchObject({ scope: 'centre', callsLastHour: 30, ahtSec: 180, ahtWindow: '60m', trafficErlangs: 1.5, required: 4, readyBusy: 2, loggedIn: 4, tableSeats: 5 });
    expect(body.centre.serviceLevelAtRequired).toBeCloseTo(0.9508301187419559, 12);
    expect(body.requiredByQueues).toBe(8);
    expect(body.seatTable).toEqual([
      { callsPerHour: 50, seats: 5 },
      { callsPerHour: 100, seats: 7 },
      { callsPerHour: 200, seats: 10 },
      { callsPerHour: 300, seats: 14 },
      { callsPerHour: 400, seats: 17 },
    ]);
    expect(body.seatTableBeyond).toEqual({ aboveCallsPerHour: 400, everyCalls: 100, addSeats: 3 });
  });

  it("per queue of one site: the site's own queues and the site as the total", async () => {
    const { status, body } = await server.request('GET', '/api/v1/staffing?scope=site:sz', { token: manager });
    expect(status).toBe(200);
    expect(body.rows.map((r: { scope: string; required: number }) => [r.scope, r.required])).toEqual([
      ['site:sz/queue:vip', 5],
      ['site:sz/queue:general', 3],
    ]);
    expect(body.centre).toMatchObject({ scope: 'site:sz', callsLastHour: 30, required: 4, readyBusy: 2, loggedIn: 4 });
    const nb = await server.request('GET', '/api/v1/staffing?scope=site:nb', { token: manager });
    expect(nb.body.rows.map((r: { scope: string; required: number }) => [r.scope, r.required])).toEqual([['site:nb/queue:complaints', 0]]);
  });

  it('refuses scopes that are not the centre or a site', async () => {
    for (const scope of ['queue:general', 'team:red', 'site:sz/queue:vip', 'nonsense', '']) {
      const { status, body } = await server.request('GET', `/api/v1/staffing?scope=${encodeURIComponent(scope)}`, { token: manager });
      expect(status, scope).toBe(400);
      expect(body.error, scope).toMatch(/^scope: /);
    }
  });

  it("follows the service-level target a director set for today", async () => {
    const changed = await server.request('POST', '/api/v1/targets', {
      token: ADMIN_TOKEN,
      body: { effectiveFrom: '2026-03-02', targets: { serviceLevel: { target: 0.8, amber: 0.8, red: 0.7 } } },
    });
    expect(changed.status).toBe(201);
    const { body } = await server.request('GET', '/api/v1/staffing?scope=centre', { token: manager });
    const byScope = Object.fromEntries(body.rows.map((r: { scope: string }) => [r.scope, r]));
    expect(byScope['queue:general']).toMatchObject({ targetSl: 0.8, required: 3 });
    expect(byScope['queue:vip']).toMatchObject({ targetSl: 0.8, required: 4 });
    expect(body.centre).toMatchObject({ targetSl: 0.8, required: 3 });
  });
});
