/**
 * An alert storm reaches screens as one push (regression: `screens.ts --quick` ran the server
 * out of memory). Each `screen:state` carries every active alert to every screen, so a push per
 * alert raised grew with alerts² × screens: 500 queues waiting with nobody ready raise ~2,000
 * alerts in one evaluation. Here 30 queues wait with nobody ready: their alerts (no agents
 * ready, longest wait; at the queue and the site's queue) are raised in the same second and
 * come to the screen together, in one or two pushes, not one each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScreenState } from '../../shared/alerts.ts';
import { HAND_NOW_MS as NOW } from '../fixtures/hand-floor.ts';
import { connected, nextPush } from '../fixtures/socket-wait.ts';
import { DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const QUEUES = 30;

describe('alert storm', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sends the alerts raised together in one screen:state, not one per alert', async () => {
    const display = server.socket(DISPLAY_TOKEN);
    await connected(display);
    const events = Array.from({ length: QUEUES }, (_, q) => ({ id: `o${q}`, type: 'contact.offered', ts: NOW - 1000, contactId: `c${q}`, queue: `storm${q}`, site: 'hangzhou', channel: 'phone' }));
    expect((await server.post(events)).status).toBeLessThan(300);
    const storm = (s: ScreenState) => s.alerts.filter((a) => a.rule === 'no-agents-ready' && a.scope.includes('storm')).length;
    // The breach is seen first (a screen hub tick a second), then held past the raise delay.
    await new Promise((r) => setTimeout(r, 1500));
    const pushes: ScreenState[] = [];
    display.on('screen:state', (s) => pushes.push(s));
    server.clock.set(NOW + 60_000);
    const state = await nextPush(display, 'screen:state', (s) => storm(s) >= 2 * QUEUES, 5000);
    // Any later ones of the same evaluation would have come within the next moment.
    await new Promise((r) => setTimeout(r, 300));
    expect(storm(state)).toBe(2 * QUEUES);
    expect(pushes.length).toBeLessThanOrEqual(2);
    display.disconnect();
  }, 20_000);
});
