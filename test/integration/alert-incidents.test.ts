/**
 * Alerts as incidents over real HTTP (issue 10): one stuck queue at one site breaches at its
 * site's queue, the queue, the site and the centre; GET /api/v1/alerts lists that as one
 * incident; acknowledging it acknowledges all its alerts at once and writes one audit entry with
 * the duty manager's note. Bad notes get a field-named 400 that never repeats them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, Incident, ScreenState } from '../../shared/alerts.ts';
import { HAND_NOW_MS as NOW } from '../fixtures/hand-floor.ts';
import { connected, nextPush } from '../fixtures/socket-wait.ts';
import { DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const STUCK = ['centre', 'site:hangzhou', 'queue:general', 'site:hangzhou/queue:general'];

describe('alert incidents', () => {
  let server: TestServer;
  let incident: Incident;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW });
    const display = server.socket(DISPLAY_TOKEN);
    await connected(display);
    // 10 calls of general at hangzhou answered after 90 s each: service level 0 %, ASA 90 s.
    const events = [];
    for (let i = 0; i < 10; i++) {
      events.push({ id: `o${i}`, type: 'contact.offered', ts: NOW - 120_000, contactId: `c${i}`, queue: 'general', site: 'hangzhou', channel: 'phone' });
      events.push({ id: `a${i}`, type: 'contact.answered', ts: NOW - 30_000, contactId: `c${i}`, agentId: 'li.lei' });
    }
    await server.post(events);
    // The breach must be seen, then held for the raise delay: move the clock on a little at a
    // time until every screen hears the alert of all four scopes.
    let nowMs = NOW;
    let state: ScreenState | null = null;
    const raised = (s: ScreenState) => STUCK.every((scope) => s.alerts.some((a) => a.kpi === 'serviceLevel' && a.scope === scope));
    for (let step = 0; step < 40 && !state; step++) {
      nowMs += 16_000;
      server.clock.set(nowMs);
      state = await nextPush(display, 'screen:state', raised, 1_500).catch(() => null);
    }
    expect(state).not.toBeNull();
    const listed = await server.request('GET', '/api/v1/alerts');
    incident = (listed.body.incidents as Incident[]).find((i) => i.kpi === 'serviceLevel')!;
  }, 90_000);
  afterAll(async () => {
    await server?.close();
  });

  it('lists one incident of the stuck queue with its four scopes and alerts', async () => {
    const { body } = await server.request('GET', '/api/v1/alerts');
    const serviceLevel = (body.incidents as Incident[]).filter((i) => i.kpi === 'serviceLevel');
    expect(serviceLevel).toHaveLength(1);
    expect(incident).toMatchObject({ rule: 'threshold', kpi: 'serviceLevel', clearedAt: null, ackedBy: null, ackedAt: null, note: null });
    expect([...incident.scopes].sort()).toEqual([...STUCK].sort());
    const alerts = (body.active as Alert[]).filter((a) => a.kpi === 'serviceLevel');
    expect([...incident.alertIds].sort()).toEqual(alerts.map((a) => a.id).sort());
    expect(alerts.every((a) => a.incidentId === incident.id)).toBe(true);
    // ASA breaches at the same four scopes: another incident, of its own KPI.
    expect((body.incidents as Incident[]).find((i) => i.kpi === 'asaSec')?.scopes).toHaveLength(4);
  });

  it('refuses bad notes with a field-named 400 that does not repeat them, acknowledging nothing', async () => {
    const secret = 'NOTE-ECHO-CHECK';
    for (const note of [`${secret}${'x'.repeat(500)}`, 42, ['a'], `${secret}\u0007`]) {
      const response = await server.request('POST', '/api/v1/alerts/ack', { body: { id: incident.id, note } });
      expect(response.status, String(note).slice(0, 20)).toBe(400);
      expect(response.body.error).toMatch(/^note: /);
      expect(JSON.stringify(response.body)).not.toContain(secret);
    }
    const missing = await server.request('POST', '/api/v1/alerts/ack', { body: { id: 'I999-<script>' } });
    expect(missing).toEqual({ status: 404, body: { error: 'id: no such alert or incident' } });
    expect((await server.request('POST', '/api/v1/alerts/ack', { token: DISPLAY_TOKEN, body: { id: incident.id } })).status).toBe(403);
    const { body } = await server.request('GET', '/api/v1/alerts');
    expect((body.active as Alert[]).every((a) => a.ackedAt === null)).toBe(true);
  });

  it('acknowledges nothing while the audit log cannot record it: 503 saying so (issue 12)', async () => {
    const original = server.app.audit.record;
    server.app.audit.record = async () => {
      throw new Error('audit write failed');
    };
    try {
      for (const id of [incident.id, incident.alertIds[0]]) {
        const answer = await server.request('POST', '/api/v1/alerts/ack', { body: { id, note: 'NOT-APPLIED' } });
        expect(answer.status, id).toBe(503);
        expect(answer.body.error, id).toMatch(/^audit: .*not applied/);
      }
    } finally {
      server.app.audit.record = original;
    }
    const { body } = await server.request('GET', '/api/v1/alerts');
    expect((body.active as Alert[]).every((a) => a.ackedAt === null)).toBe(true);
    expect((body.incidents as Incident[]).every((i) => i.ackedAt === null)).toBe(true);
    expect((await server.request('GET', '/api/v1/audit?action=alert.ack')).body.entries).toEqual([]);
  });

  it('acknowledges every alert of the incident once, with the note, in one audit entry', async () => {
    const note = '  已调 3 名坐席支援综合业务; vendor called  ';
    const acked = await server.request('POST', '/api/v1/alerts/ack', { body: { id: incident.id, note } });
    expect(acked.status).toBe(200);
    expect(acked.body.incident).toMatchObject({ id: incident.id, ackedBy: 'token', ackedAt: expect.any(Number), note: note.trim() });
    expect((acked.body.alerts as Alert[]).map((a) => a.id).sort()).toEqual([...incident.alertIds].sort());

    const { body } = await server.request('GET', '/api/v1/alerts');
    for (const alert of body.active as Alert[]) {
      if (alert.kpi === 'serviceLevel') expect(alert).toMatchObject({ ackedBy: 'token', ackedAt: acked.body.incident.ackedAt });
      else expect(alert.ackedAt, `${alert.kpi} ${alert.scope}`).toBeNull();
    }
    expect((body.incidents as Incident[]).find((i) => i.id === incident.id)).toMatchObject({ ackedBy: 'token', note: note.trim() });

    expect((await server.request('POST', '/api/v1/alerts/ack', { body: { id: incident.id } })).status).toBe(409);
    expect((await server.request('POST', '/api/v1/alerts/ack', { body: { id: incident.alertIds[0] } })).status).toBe(409);

    const audit = await server.request('GET', '/api/v1/audit?action=alert.ack');
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({
      actor: 'token',
      role: 'admin',
      action: 'alert.ack',
      target: incident.id,
      detail: { rule: 'threshold', kpi: 'serviceLevel', note: note.trim() },
    });
    expect([...audit.body.entries[0].detail.scopes].sort()).toEqual([...STUCK].sort());
    expect([...audit.body.entries[0].detail.alertIds].sort()).toEqual([...incident.alertIds].sort());
  });
});
