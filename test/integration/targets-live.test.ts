/**
 * Targets reach the live floor (issue 11), on a real server with a DuckDB file and real sockets:
 * a target posted for today changes the status in GET /api/v1/kpis and in the socket messages the
 * wallboard colours by, raises the alert within seconds and clears it again when loosened; the
 * daily report judges each day by the targets of that day, so last month keeps last month's; a
 * change of T waits for the next local midnight, the variant applies at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { ScreenState } from '../../shared/alerts.ts';
import type { RoomMessage, ScopeKpis } from '../../shared/socket-events.ts';
import { STATUS_STYLE, statusOf } from '../../shared/thresholds.ts';
import { DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');
const LAST_MONTH = Date.parse('2026-02-27T10:00:00+08:00');
const VIP = 'queue:vip';

/** 10 calls of the VIP queue at hangzhou: 9 answered after 10 s, one after 90 s. Service level 9/10 (T = 30 s). */
function calls(prefix: string, startMs: number) {
  const events = [];
  for (let i = 0; i < 10; i++) {
    const offered = startMs + i * 1000;
    events.push({ id: `${prefix}o${i}`, type: 'contact.offered', ts: offered, contactId: `${prefix}c${i}`, queue: 'vip', site: 'hangzhou', channel: 'phone' });
    events.push({ id: `${prefix}a${i}`, type: 'contact.answered', ts: offered + (i === 9 ? 90_000 : 10_000), contactId: `${prefix}c${i}`, agentId: `agent${i}` });
  }
  return events;
}

let server: TestServer;
let display: Socket;
/** Every scope the display's `queue:*@today` room has heard, latest last. */
const heard: ScopeKpis[] = [];
const states: ScreenState[] = [];
const waiters = new Set<() => void>();

/** Resolves when `check` holds for what was heard; fails after `ms`. */
function until<T>(check: () => T | undefined | null | false, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const value = check();
      if (!value) return false;
      waiters.delete(attempt);
      clearTimeout(timer);
      resolve(value);
      return true;
    };
    const timer = setTimeout(() => {
      waiters.delete(attempt);
      reject(new Error('not heard in time'));
    }, ms);
    if (!attempt()) waiters.add(attempt);
  });
}
const notify = () => {
  for (const w of [...waiters]) w();
};
const latestVip = () => heard.filter((s) => s.scope === VIP).at(-1);
const vipAlert = (state: ScreenState | undefined) => state?.alerts.find((a) => a.rule === 'threshold' && a.kpi === 'serviceLevel' && a.scope === VIP);

beforeAll(async () => {
  // The app's own alert engine, raising and clearing at once.
  Object.assign(process.env, { ALERT_RAISE_SEC: '0', ALERT_CLEAR_SEC: '0', ALERT_COOLDOWN_SEC: '0' });
  server = await startTestServer({ nowMs: NOW, durable: true });
  expect((await server.post([...calls('t', NOW - 300_000), ...calls('m', LAST_MONTH)])).body.accepted).toBe(40);
  display = server.socket(DISPLAY_TOKEN);
  display.on('screen:state', (s: ScreenState) => {
    states.push(s);
    notify();
  });
  const take = (m: RoomMessage) => {
    heard.push(...m.scopes);
    notify();
  };
  display.on('kpi:update', take);
  display.on('kpi:snapshot', take);
  await new Promise<void>((resolve) => display.once('connect', () => resolve()));
  const ack = await display.emitWithAck('kpi:subscribe', { rooms: ['queue:*@today'] });
  expect(ack.ok).toBe(true);
  for (const m of ack.data) take(m);
}, 60_000);
afterAll(async () => {
  await server?.close();
  for (const key of ['ALERT_RAISE_SEC', 'ALERT_CLEAR_SEC', 'ALERT_COOLDOWN_SEC']) delete process.env[key];
});

describe('a target posted for today reaches the live floor', () => {
  it('judges the VIP queue by the centre defaults before it has targets of its own', async () => {
    const { body } = await server.kpis(VIP, 'today');
    expect(body.kpis.serviceLevel).toEqual({ value: 0.9, num: 9, den: 10, target: 0.9, status: 'ok' });
    expect(body.kpis.offered.status).toBeNull();
    const vip = await until(latestVip);
    expect(vip.targets?.serviceLevel?.target).toBe(0.9);
    expect(statusOf(vip.kpis.serviceLevel.value, vip.targets?.serviceLevel)).toBe('green');
    expect(vipAlert(states.at(-1))).toBeUndefined();
  });

  it('turns the API, the socket message and the alert red within seconds of a stricter VIP target', async () => {
    const posted = Date.now();
    const change = { scope: VIP, effectiveFrom: '2026-03-02', targets: { serviceLevel: { target: 0.97, amber: 0.97, red: 0.95 } } };
    const created = await server.request('POST', '/api/v1/targets', { body: change });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ scope: VIP, effectiveFrom: '2026-03-02', changedBy: 'token', appliesLive: { targets: '2026-03-02', settings: null, variant: null } });

    const vip = await until(() => heard.filter((s) => s.scope === VIP && s.targets?.serviceLevel?.target === 0.97).at(-1));
    const status = statusOf(vip.kpis.serviceLevel.value, vip.targets?.serviceLevel);
    expect(status).toBe('red');
    expect(STATUS_STYLE[status].colour).toBe('#ff4d4d');
    const alert = await until(() => vipAlert(states.findLast((s) => vipAlert(s))));
    expect(alert).toMatchObject({ value: 0.9, limit: 0.95, clearedAt: null });
    expect(Date.now() - posted).toBeLessThan(5000);

    expect((await server.kpis(VIP, 'today')).body.kpis.serviceLevel).toMatchObject({ value: 0.9, target: 0.97, status: 'alarm' });
    // The VIP queue at its site inherits the queue's target; the centre keeps its own.
    expect((await server.kpis('site:hangzhou/queue:vip', 'today')).body.kpis.serviceLevel).toMatchObject({ target: 0.97, status: 'alarm' });
    expect((await server.kpis('centre', 'today')).body.kpis.serviceLevel).toMatchObject({ value: 0.9, target: 0.9, status: 'ok' });
    const audit = (await server.request('GET', '/api/v1/audit?action=targets')).body.entries;
    expect(audit[0]).toMatchObject({ action: 'targets.change', target: '2026-03-02', detail: { scope: VIP, previous: { serviceLevel: { target: 0.9 } } } });
  });

  it('judges last month by last month\'s targets: daily rows and the month\'s targets in force', async () => {
    const { body } = await server.daily({ from: '2026-02-27', to: '2026-03-02', groupBy: 'queue' });
    const vip = (day: string) => body.rows.find((r: { day: string; group: string }) => r.day === day && r.group === 'vip');
    expect(vip('2026-02-27').kpis.serviceLevel.value).toBe(0.9);
    expect(vip('2026-02-27').judged.serviceLevel).toEqual({ target: 0.9, status: 'ok' });
    expect(vip('2026-03-02').kpis.serviceLevel.value).toBe(0.9);
    expect(vip('2026-03-02').judged.serviceLevel).toEqual({ target: 0.97, status: 'alarm' });
    expect((await server.request('GET', `/api/v1/targets?month=2026-02&scope=${VIP}`)).body.inForce.serviceLevel.target).toBe(0.9);
    const today = (await server.request('GET', `/api/v1/targets?scope=${VIP}`)).body.inForceToday;
    expect(today.targets.serviceLevel.target).toBe(0.97);
    expect(today.sources.serviceLevel).toEqual({ scope: VIP, effectiveFrom: '2026-03-02' });
    expect(today.sources.asaSec).toEqual({ scope: 'centre', effectiveFrom: '1970-01-01' });
  });

  it('clears the alert and the colour within seconds of a looser target', async () => {
    const posted = Date.now();
    const change = { scope: VIP, effectiveFrom: '2026-03-02', targets: { serviceLevel: { target: 0.85, amber: 0.85, red: 0.8 } } };
    expect((await server.request('POST', '/api/v1/targets', { body: change })).status).toBe(201);
    const vip = await until(() => heard.filter((s) => s.scope === VIP && s.targets?.serviceLevel?.target === 0.85).at(-1));
    expect(statusOf(vip.kpis.serviceLevel.value, vip.targets?.serviceLevel)).toBe('green');
    const cleared = await until(() => {
      const last = states.at(-1);
      return last && !vipAlert(last) ? last : undefined;
    });
    expect(cleared).toBeDefined();
    expect(Date.now() - posted).toBeLessThan(5000);
    expect((await server.kpis(VIP, 'today')).body.kpis.serviceLevel).toMatchObject({ target: 0.85, status: 'ok' });
  });
});

describe('service-level settings as versions', () => {
  it('applies the variant at once and T from the next local midnight', async () => {
    const created = await server.request('POST', '/api/v1/targets', { body: { effectiveFrom: '2026-03-02', settings: { serviceLevelSec: 5, serviceLevelVariant: 'answered' } } });
    expect(created.status).toBe(201);
    expect(created.body.appliesLive).toEqual({ targets: null, settings: '2026-03-03', variant: '2026-03-02' });
    const config = (await server.request('GET', '/api/v1/config')).body.kpi;
    expect(config).toMatchObject({ serviceLevelSec: 30, serviceLevelVariant: 'answered' });
    const targets = (await server.request('GET', '/api/v1/targets')).body;
    expect(targets.inForceToday.settings).toEqual({ serviceLevelSec: 5, shortAbandonSec: 5, serviceLevelVariant: 'answered' });
    expect(targets.liveSettings).toEqual({ serviceLevelSec: 30, shortAbandonSec: 5, serviceLevelVariant: 'answered' });
    // Today's figure keeps the T it was counted with.
    expect((await server.kpis(VIP, 'today')).body.kpis.serviceLevel.value).toBe(0.9);

    server.clock.set(Date.parse('2026-03-03T00:00:01+08:00'));
    await server.kpis('centre', 'today');
    expect((await server.request('GET', '/api/v1/config')).body.kpi).toMatchObject({ serviceLevelSec: 5, serviceLevelVariant: 'answered' });
    // A call of the new day answered after 10 s is outside T = 5 s.
    const ts = Date.parse('2026-03-03T00:00:02+08:00');
    await server.post([
      { id: 'n-o', type: 'contact.offered', ts, contactId: 'n-c', queue: 'vip', site: 'hangzhou', channel: 'phone' },
      { id: 'n-a', type: 'contact.answered', ts: ts + 10_000, contactId: 'n-c', agentId: 'agent1' },
    ]);
    server.clock.set(ts + 20_000);
    expect((await server.kpis(VIP, 'today')).body.kpis.serviceLevel).toMatchObject({ value: 0, num: 0, den: 1 });
  });
});
