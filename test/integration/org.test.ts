/**
 * The org directory over HTTP (issue 11): ids seen in events join it, every role reads it (a
 * floor screen without agent names), only admins write it, with field-named 400s and an audit
 * entry per change; it lives in DATA_DIR/org.json across restarts, and the simulator's names
 * never overwrite an admin's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createUser } from '../fixtures/accounts.ts';
import { simulatorNames } from '../../server/sim/org-names.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');
const contact = { contactId: 'c1', ts: '2026-03-02T09:50:00+08:00' };
const EVENTS = [
  { id: 'o1', type: 'contact.offered', channel: 'phone', queue: 'general', site: 'sz', ...contact },
  { id: 'a1', type: 'contact.answered', agentId: 'sz1001', team: 'sz-general-1', ...contact, ts: '2026-03-02T09:50:10+08:00' },
];

const ids = (body: { entries: Array<{ kind: string; id: string }> }) => body.entries.map((e) => `${e.kind}:${e.id}`);

describe('org directory API', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('lists ids seen in events for every role, agents only for agent-level roles', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    expect((await server.post(EVENTS)).body.accepted).toBe(2);
    const admin = await server.request('GET', '/api/v1/org');
    expect(admin.status).toBe(200);
    expect(ids(admin.body).sort()).toEqual(['agent:sz1001', 'channel:phone', 'queue:general', 'site:sz', 'team:sz-general-1']);
    expect(admin.body.entries.find((e: { id: string }) => e.id === 'sz')).toEqual({ kind: 'site', id: 'sz', source: 'seen' });
    expect(admin.body.limits).toEqual({ idChars: 128, nameChars: 64, entriesPerKind: 5000, entriesPerChange: 500 });

    const display = await server.request('GET', '/api/v1/org', { token: DISPLAY_TOKEN });
    expect(display.status).toBe(200);
    expect(ids(display.body).sort()).toEqual(['channel:phone', 'queue:general', 'site:sz', 'team:sz-general-1']);
    const manager = await createUser(server, 'wu.manager', 'manager');
    expect(ids((await server.request('GET', '/api/v1/org', { token: manager.token })).body)).toContain('agent:sz1001');
    expect((await server.request('GET', '/api/v1/org', { token: null })).status).toBe(401);
  });

  it('lets only admins name entries, audits each change, answers 304 while nothing changed', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    await server.post(EVENTS);
    const first = await fetch(`${server.baseUrl}/api/v1/org`, { headers: { authorization: `Bearer ${DISPLAY_TOKEN}` } });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"org-\d+-d"$/);
    const again = await fetch(`${server.baseUrl}/api/v1/org`, { headers: { authorization: `Bearer ${DISPLAY_TOKEN}`, 'if-none-match': etag } });
    expect(again.status).toBe(304);

    const body = { entries: [{ kind: 'site', id: 'sz', zh: '深圳', en: 'Shenzhen' }, { kind: 'team', id: 'sz-general-1', zh: '深圳综合1组', en: 'Shenzhen General team 1' }] };
    const director = await createUser(server, 'qian.director', 'director');
    for (const token of [DISPLAY_TOKEN, director.token]) {
      const refused = await server.request('PUT', '/api/v1/org', { token, body });
      expect(refused.status).toBe(403);
      expect(Object.keys(refused.body)).toEqual(['error']);
    }
    const put = await server.request('PUT', '/api/v1/org', { body });
    expect(put.status).toBe(200);
    expect(put.body.changed).toBe(2);
    const after = await fetch(`${server.baseUrl}/api/v1/org`, { headers: { authorization: `Bearer ${DISPLAY_TOKEN}`, 'if-none-match': etag } });
    expect(after.status).toBe(200);
    const entries = ((await after.json()) as { entries: Array<Record<string, unknown>> }).entries;
    expect(entries.find((e) => e.id === 'sz')).toMatchObject({ kind: 'site', zh: '深圳', en: 'Shenzhen', source: 'admin', changedBy: 'token' });
    // Unnamed first: the named site and team come last.
    expect(entries.slice(-2).map((e) => e.id)).toEqual(['sz', 'sz-general-1']);

    const audit = await server.request('GET', '/api/v1/audit?action=org.change');
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({ actor: 'token', role: 'admin', action: 'org.change', target: '2 entries' });
    expect(audit.body.entries[0].detail.changes[0]).toEqual({ kind: 'site', id: 'sz', from: { zh: null, en: null }, to: { zh: '深圳', en: 'Shenzhen' } });
    // The same names again change nothing and add no audit entry.
    expect((await server.request('PUT', '/api/v1/org', { body })).body.changed).toBe(0);
    const rename = await server.request('PUT', '/api/v1/org', { body: { entries: [{ kind: 'site', id: 'sz', en: 'Shenzhen centre' }] } });
    expect(rename.body.changes).toEqual([{ kind: 'site', id: 'sz', from: { zh: '深圳', en: 'Shenzhen' }, to: { zh: '深圳', en: 'Shenzhen centre' } }]);
    const audits = (await server.request('GET', '/api/v1/audit?action=org.change')).body.entries;
    expect(audits.map((e: { target: string }) => e.target)).toEqual(['site:sz', '2 entries']);
  });

  it('refuses bad changes with field-named 400s that repeat nothing sent', async () => {
    server = await startTestServer({ nowMs: NOW });
    const secret = 'PRIVATE-9f3a';
    const cases: Array<[unknown, string]> = [
      [{ entries: [{ kind: secret, id: 'x', zh: 'a' }] }, 'entries[0].kind: must be one of site, queue, team, channel, agent'],
      [{ entries: [{ kind: 'site', id: 'x', zh: secret.repeat(8) }] }, 'entries[0].zh: at most 64 characters'],
      [{ entries: [{ kind: 'site', id: `${secret}\n`, zh: 'a' }] }, 'entries[0].id: must not contain control characters'],
      [{ entries: 'all' }, 'entries: must be a list'],
      [{ names: [] }, 'entries: required'],
    ];
    for (const [body, error] of cases) {
      const response = await server.request('PUT', '/api/v1/org', { body });
      expect(response).toEqual({ status: 400, body: { error } });
    }
    const notJson = await fetch(`${server.baseUrl}/api/v1/org`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: `{${secret}` });
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).not.toContain(secret);
    const tooBig = await fetch(`${server.baseUrl}/api/v1/org`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ entries: [{ kind: 'site', id: 'x', zh: 'x'.repeat(300_000) }] }) });
    expect(tooBig.status).toBe(413);
  });

  it('keeps names in DATA_DIR/org.json across a restart; the simulator\'s names never replace an admin\'s', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const { dataDir } = server;
    server.app.org.ship(simulatorNames(40), 'simulator', NOW);
    await server.request('PUT', '/api/v1/org', { body: { entries: [{ kind: 'site', id: 'hangzhou', zh: '杭州总部', en: 'Hangzhou HQ' }] } });
    await server.post(EVENTS);
    await server.close();
    server = undefined;
    const file = JSON.parse(readFileSync(join(dataDir, 'org.json'), 'utf8'));
    expect(file.format).toBe(1);
    expect(existsSync(join(dataDir, `org.json.${process.pid}.tmp`))).toBe(false);

    server = await startTestServer({ nowMs: NOW, durable: true, dataDir });
    server.app.org.ship(simulatorNames(40), 'simulator', NOW);
    const entries = (await server.request('GET', '/api/v1/org')).body.entries as Array<{ kind: string; id: string; zh?: string; en?: string; source: string }>;
    const find = (kind: string, id: string) => entries.find((e) => e.kind === kind && e.id === id);
    expect(find('site', 'hangzhou')).toMatchObject({ zh: '杭州总部', en: 'Hangzhou HQ', source: 'admin' });
    expect(find('site', 'ningbo')).toMatchObject({ zh: '宁波', en: 'Ningbo', source: 'builtin' });
    expect(find('queue', 'back_office')).toMatchObject({ zh: '综合解决', en: 'Back office' });
    expect(find('team', 'hangzhou-complaints-1')).toMatchObject({ zh: '杭州投诉1组', en: 'Hangzhou Complaints team 1', source: 'builtin', changedBy: 'simulator' });
    // Ids seen before the restart were written at shutdown.
    expect(find('site', 'sz')).toEqual({ kind: 'site', id: 'sz', source: 'seen' });
    await server.close();
    server = undefined;

    // A damaged file stops the start with one line naming it; it is never overwritten.
    writeFileSync(join(dataDir, 'org.json'), '{"format":1,"revision":0,"entries":[{"kind":"site","id":"x","zh":""}]}');
    await expect(startTestServer({ nowMs: NOW, durable: true, dataDir })).rejects.toThrow(/org\.json: entries\[0\]\.zh: must not be empty; fix or remove it/);
  });
});
