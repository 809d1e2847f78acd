/**
 * Sign-in, sessions, display links and ingest keys as people and screens meet them, against
 * the real server: forced change of an initial password, lock-out, expiry and revocation,
 * durable accounts across a restart, a revoked screen dropped at once, and the audit entry of
 * every one of these actions.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, INGEST_KEY, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createDisplayLink, createUser, PASSWORD, signIn } from '../fixtures/accounts.ts';
import { startServerProcess } from '../fixtures/server-process.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');
const offered = (id: string) => ({ id, type: 'contact.offered', ts: '2026-03-02T09:59:00+08:00', contactId: id, channel: 'phone', queue: 'general', site: 'sz' });

async function auditActions(server: TestServer, query = ''): Promise<Array<{ action: string; actor: string; target: string | null; role: string | null; from: string | null; detail: any }>> {
  const response = await server.request('GET', `/api/v1/audit?limit=1000${query}`);
  expect(response.status).toBe(200);
  return response.body.entries;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('sign-in and sessions', () => {

  it('makes a new user change the initial password before anything else, then gives them their role', async () => {
    server = await startTestServer({ nowMs: NOW });
    const created = await server.request('POST', '/api/v1/users', { body: { name: 'zhao.min', role: 'manager' } });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ name: 'zhao.min', role: 'manager', mustChangePassword: true, disabled: false });
    expect(created.body.user.passwordHash).toBeUndefined();
    const initial = created.body.initialPassword as string;
    expect(initial.length).toBeGreaterThanOrEqual(12);

    const first = await signIn(server, 'zhao.min', initial);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ name: 'zhao.min', role: 'manager', mustChangePassword: true, permissions: [] });
    expect(first.setCookie).toMatch(/^wb_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);

    // Until the password is changed, the session opens nothing.
    const blocked = await server.request('GET', '/api/v1/kpis?scope=centre&window=today', { token: first.token });
    expect(blocked.status).toBe(403);
    expect(blocked.body).toEqual({ error: 'password: change the initial password before anything else' });
    expect((await server.request('GET', '/api/v1/session', { token: first.token })).body.mustChangePassword).toBe(true);

    const change = (currentPassword: string, newPassword: string) =>
      server!.request('POST', '/api/v1/session/password', { token: first.token, body: { currentPassword, newPassword } });
    expect((await change('wrong', PASSWORD)).body.error).toBe('currentPassword: does not match');
    expect((await change(initial, 'short')).body.error).toBe('newPassword: at least 10 characters');
    expect((await change(initial, 'zhao.min-2026!')).body.error).toBe('newPassword: must not contain the user name');
    expect((await change(initial, initial)).status).toBe(400);
    const changed = await change(initial, PASSWORD);
    expect(changed.status).toBe(200);

    const me = await server.request('GET', '/api/v1/session', { token: first.token });
    expect(me.body).toMatchObject({ name: 'zhao.min', role: 'manager', via: 'session', mustChangePassword: false });
    expect(me.body.permissions).toContain('kpi:read-agents');
    expect(me.body.permissions).not.toContain('users:manage');
    // Agent figures are open to the role (a display gets 403); this agent has sent nothing, so 404.
    expect((await server.request('GET', '/api/v1/kpis?scope=agent:a1&window=today', { token: first.token })).status).toBe(404);
    expect((await server.request('GET', '/api/v1/users', { token: first.token })).status).toBe(403);
    // The cookie works as well as the bearer form.
    const byCookie = await fetch(`${server.baseUrl}/api/v1/session`, { headers: { cookie: `wb_session=${first.token}` } });
    expect((await byCookie.json()).name).toBe('zhao.min');

    // The old password no longer works; the new one does.
    expect((await signIn(server, 'zhao.min', initial)).status).toBe(401);
    expect((await signIn(server, 'zhao.min', PASSWORD)).body.mustChangePassword).toBe(false);

    const actions = await auditActions(server, '&action=');
    const mine = actions.filter((e) => e.target === 'zhao.min').map((e) => e.action).reverse();
    expect(mine).toEqual(['user.create', 'signin', 'password.change', 'signin.failed', 'signin']);
    const create = actions.find((e) => e.action === 'user.create')!;
    expect(create).toMatchObject({ actor: 'token', role: 'admin', from: '127.0.0.1', detail: { role: 'manager' } });
  });

  it('locks an account after 5 failed sign-ins, even against the right password, until an admin unlocks it', async () => {
    server = await startTestServer({ nowMs: NOW });
    const manager = await createUser(server, 'li.na', 'manager');
    for (let i = 1; i <= 4; i++) {
      const failed = await signIn(server, manager.name, `wrong password ${i}`);
      expect(failed.status).toBe(401);
      expect(failed.body.error).toBe('signin: name or password not recognised, or the account is disabled');
    }
    const fifth = await signIn(server, manager.name, 'wrong password 5');
    expect(fifth.status).toBe(423);
    expect(fifth.body.error).toMatch(/locked for 15 min/);
    expect((await signIn(server, manager.name, PASSWORD)).status).toBe(423);
    // An unknown name fails the same way as a wrong password, and is audited as anonymous.
    expect((await signIn(server, 'nobody', PASSWORD)).status).toBe(401);

    const listed = await server.request('GET', '/api/v1/users');
    expect(listed.body.users.find((u: { name: string }) => u.name === 'li.na')).toMatchObject({ locked: true });
    expect((await server.request('PATCH', '/api/v1/users', { body: { name: 'li.na', unlock: true } })).status).toBe(200);
    expect((await signIn(server, manager.name, PASSWORD)).status).toBe(200);

    // The lock also ends by itself.
    for (let i = 0; i < 5; i++) await signIn(server, manager.name, 'wrong again!!');
    expect((await signIn(server, manager.name, PASSWORD)).status).toBe(423);
    server.clock.set(NOW + 16 * 60_000);
    expect((await signIn(server, manager.name, PASSWORD)).status).toBe(200);

    const actions = (await auditActions(server)).reverse();
    const failures = actions.filter((e) => e.action === 'signin.failed' && e.target === 'li.na');
    expect(failures).toHaveLength(8);
    expect(failures[0]).toMatchObject({ actor: 'li.na', role: 'manager', from: '127.0.0.1', detail: { reason: 'invalid' } });
    const locks = actions.filter((e) => e.action === 'signin.locked');
    expect(locks.length).toBeGreaterThanOrEqual(2);
    expect(locks[0].detail.lockedUntil).toBe(new Date(NOW + 15 * 60_000).toISOString());
    expect(actions.find((e) => e.target === 'nobody')).toMatchObject({ action: 'signin.failed', actor: 'anonymous', role: null });
    expect(actions.find((e) => e.action === 'user.unlock')).toMatchObject({ actor: 'token', target: 'li.na' });
  });

  it('ends sessions on expiry, sign-out, admin revocation, a role change and disabling; resets passwords', async () => {
    server = await startTestServer({ nowMs: NOW, env: { SESSION_HOURS: '8' } });
    const me = (token: string) => server!.request('GET', '/api/v1/session', { token });

    const director = await createUser(server, 'chen.yu', 'director');
    expect((await me(director.token)).status).toBe(200);
    server.clock.set(NOW + 8 * 3600_000 + 1);
    expect((await me(director.token)).status).toBe(403);
    expect((await fetch(`${server.baseUrl}/api/v1/session`, { headers: { cookie: director.cookie } })).status).toBe(401);

    const again = await signIn(server, 'chen.yu', PASSWORD);
    const out = await server.request('DELETE', '/api/v1/session', { token: again.token });
    expect(out.status).toBe(200);
    expect((await me(again.token)).status).toBe(403);

    const a = await signIn(server, 'chen.yu', PASSWORD);
    const b = await signIn(server, 'chen.yu', PASSWORD);
    const sessions = await server.request('GET', '/api/v1/sessions');
    expect(sessions.body.sessions.filter((s: { user: string }) => s.user === 'chen.yu')).toHaveLength(2);
    expect(JSON.stringify(sessions.body)).not.toContain(a.token);
    const revoked = await server.request('DELETE', '/api/v1/sessions?user=chen.yu');
    expect(revoked.body).toEqual({ revoked: 2 });
    expect((await me(a.token)).status).toBe(403);
    expect((await me(b.token)).status).toBe(403);

    const c = await signIn(server, 'chen.yu', PASSWORD);
    const roleChange = await server.request('PATCH', '/api/v1/users', { body: { name: 'chen.yu', role: 'manager' } });
    expect(roleChange.body.user.role).toBe('manager');
    expect((await me(c.token)).status).toBe(403);
    const d = await signIn(server, 'chen.yu', PASSWORD);
    expect(d.body.role).toBe('manager');
    await server.request('PATCH', '/api/v1/users', { body: { name: 'chen.yu', disabled: true } });
    expect((await me(d.token)).status).toBe(403);
    expect((await signIn(server, 'chen.yu', PASSWORD)).status).toBe(401);
    await server.request('PATCH', '/api/v1/users', { body: { name: 'chen.yu', disabled: false } });

    const reset = await server.request('POST', '/api/v1/users/password-reset', { body: { name: 'chen.yu' } });
    expect(reset.status).toBe(200);
    expect((await signIn(server, 'chen.yu', PASSWORD)).status).toBe(401);
    expect((await signIn(server, 'chen.yu', reset.body.initialPassword)).body.mustChangePassword).toBe(true);

    // Bad changes name the field; an admin cannot lock themselves out.
    expect((await server.request('POST', '/api/v1/users', { body: { name: 'Bad Name', role: 'manager' } })).body.error).toMatch(/^name: /);
    expect((await server.request('POST', '/api/v1/users', { body: { name: 'wang.li', role: 'boss' } })).body.error).toMatch(/^role: /);
    expect((await server.request('POST', '/api/v1/users', { body: { name: 'chen.yu', role: 'admin' } })).status).toBe(409);
    expect((await server.request('PATCH', '/api/v1/users', { body: { name: 'nobody' } })).status).toBe(404);
    const admin = await createUser(server, 'root.admin', 'admin');
    const selfDemote = await server.request('PATCH', '/api/v1/users', { token: admin.token, body: { name: 'root.admin', role: 'manager' } });
    expect(selfDemote.status).toBe(400);

    const actions = (await auditActions(server)).reverse().filter((e) => e.target === 'chen.yu').map((e) => e.action);
    expect(actions).toEqual([
      'user.create', 'signin', 'password.change', 'signin', 'signout', 'signin', 'signin', 'session.revoke', 'signin',
      'user.role', 'signin', 'user.disable', 'signin.failed', 'user.enable', 'user.password-reset', 'signin.failed', 'signin',
    ]);
    const roleEntry = (await auditActions(server, '&action=user.role'))[0];
    expect(roleEntry.detail).toEqual({ from: 'director', to: 'manager' });
  });

  it('keeps accounts and sessions in the store file across a restart, without passwords or session tokens in it', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const manager = await createUser(server, 'sun.li', 'manager');
    const link = await createDisplayLink(server, '一楼大屏');
    const { dataDir } = server;
    await server.close();

    server = await startTestServer({ nowMs: NOW, durable: true, dataDir });
    expect((await server.request('GET', '/api/v1/session', { token: manager.token })).body.name).toBe('sun.li');
    expect((await server.request('GET', '/api/v1/kpis?scope=centre&window=today', { token: link })).status).toBe(200);
    expect((await signIn(server, 'sun.li', PASSWORD)).status).toBe(200);
    await server.close();
    server = undefined;

    const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
    const connection = await instance.connect();
    const dump = async (table: string) => JSON.stringify((await connection.runAndReadAll(`SELECT * FROM ${table}`)).getRowObjectsJson());
    const users = await dump('users');
    expect(users).toContain('sun.li');
    expect(users).toContain('scrypt$32768$8$1$');
    expect(users).not.toContain(PASSWORD);
    expect(await dump('sessions')).not.toContain(manager.token);
    expect(await dump('display_links')).toContain('一楼大屏');
    expect(await dump('display_links')).not.toContain(link);
    connection.closeSync();
    instance.closeSync();
  });
});

describe('display links', () => {

  it('opens a named screen on aggregates only, and drops it within seconds of being revoked', async () => {
    server = await startTestServer({ nowMs: NOW });
    const created = await server.request('POST', '/api/v1/display-links', { body: { name: 'Floor 2 west' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Floor 2 west', createdBy: 'token', revokedAt: null });
    expect(created.body.path).toBe(`/wall?token=${created.body.token}`);
    const token = created.body.token as string;
    expect((await server.request('POST', '/api/v1/display-links', { body: { name: 'Floor 2 west' } })).status).toBe(400);
    expect((await server.request('POST', '/api/v1/display-links', { body: { name: '../etc' } })).body.error).toMatch(/^name: /);

    const screen = connect(server.baseUrl, { auth: { token }, transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 200 });
    try {
      await new Promise<void>((resolve, reject) => {
        screen.once('connect', resolve);
        screen.once('connect_error', reject);
      });
      const ack = await screen.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['centre@today', 'queue:*@today'] });
      expect(ack.ok).toBe(true);
      const refused = await screen.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['centre@today', 'agent:a1@today'] });
      expect(refused).toEqual({ ok: false, error: 'rooms[1]: the display role sees centre, site, queue and channel figures only' });

      const listed = await server.request('GET', '/api/v1/display-links');
      expect(listed.body.links.find((l: { name: string }) => l.name === 'Floor 2 west')).toMatchObject({ screens: 1 });
      expect(JSON.stringify(listed.body)).not.toContain(token);

      const dropped = new Promise<number>((resolve) => screen.once('disconnect', () => resolve(Date.now())));
      const refusedAgain = new Promise<string>((resolve) => screen.once('connect_error', (error) => resolve(error.message)));
      const revokedAt = Date.now();
      const revoke = await server.request('DELETE', `/api/v1/display-links?name=${encodeURIComponent('Floor 2 west')}`);
      expect(revoke.status).toBe(200);
      expect((await dropped) - revokedAt).toBeLessThan(2000);
      expect(await refusedAgain).toBe('unauthorized');
    } finally {
      screen.close();
    }
    expect((await server.request('GET', '/api/v1/kpis?scope=centre&window=today', { token })).status).toBe(403);
    expect((await server.request('DELETE', '/api/v1/display-links?name=Floor%202%20west')).status).toBe(404);
    // The name is free again for a new screen.
    expect((await server.request('POST', '/api/v1/display-links', { body: { name: 'Floor 2 west' } })).status).toBe(201);

    const actions = (await auditActions(server, '&action=display-link')).reverse();
    expect(actions.map((e) => [e.action, e.target, e.actor])).toEqual([
      ['display-link.create', 'Floor 2 west', 'token'],
      ['display-link.revoke', 'Floor 2 west', 'token'],
      ['display-link.create', 'Floor 2 west', 'token'],
    ]);
  });
});

describe('ingest keys', () => {

  it('records with each stored event the name of the key that brought it; a revoked key is refused', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const crm = await server.request('POST', '/api/v1/ingest-keys', { body: { name: 'crm' } });
    expect(crm.status).toBe(201);
    const pbx = await server.request('POST', '/api/v1/ingest-keys', { body: { name: 'pbx-east' } });
    expect((await server.post([offered('e1'), offered('e2')], { key: crm.body.token })).body.accepted).toBe(2);
    // Three keys at once, waiting for the same commit round: each event still gets its own key.
    const [a, b, c] = await Promise.all([
      server.post([offered('e3')], { key: pbx.body.token }),
      server.post([offered('e4')], { key: INGEST_KEY }),
      server.post([offered('e5')], { key: crm.body.token }),
    ]);
    expect([a.body.accepted, b.body.accepted, c.body.accepted]).toEqual([1, 1, 1]);

    const keys = await server.request('GET', '/api/v1/ingest-keys');
    expect(keys.body.keys.map((k: { name: string; eventsSinceStart: number }) => [k.name, k.eventsSinceStart])).toEqual([
      ['default', 1],
      ['crm', 3],
      ['pbx-east', 1],
    ]);
    expect(JSON.stringify(keys.body)).not.toContain(crm.body.token);

    expect((await server.request('DELETE', '/api/v1/ingest-keys?name=crm')).status).toBe(200);
    const refused = await server.post([offered('e6')], { key: crm.body.token });
    expect(refused.status).toBe(403);
    expect((await server.post([offered('e7')], { key: pbx.body.token })).status).toBe(200);
    expect((await server.request('POST', '/api/v1/ingest-keys', { body: { name: 'default' } })).body.error).toBe('name: "default" is reserved');

    const actions = (await auditActions(server, '&action=ingest-key')).reverse();
    expect(actions.map((e) => [e.action, e.target])).toEqual([
      ['ingest-key.create', 'crm'],
      ['ingest-key.create', 'pbx-east'],
      ['ingest-key.revoke', 'crm'],
    ]);
    const { dataDir } = server;
    await server.close();
    server = undefined;

    const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll('SELECT id, ingest_key FROM events ORDER BY id')).getRows();
    expect(rows).toEqual([['e1', 'crm'], ['e2', 'crm'], ['e3', 'pbx-east'], ['e4', 'default'], ['e5', 'crm'], ['e7', 'pbx-east']]);
    connection.closeSync();
    instance.closeSync();
  });
});

describe('ingest keys in a store made before keys were recorded', () => {
  it('adds the column, leaves older events without a key and records it for new ones', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-old-store-'));
    const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE events (id VARCHAR NOT NULL, ts BIGINT NOT NULL, received_ms BIGINT NOT NULL, type VARCHAR NOT NULL,
      contact_id VARCHAR, ticket_id VARCHAR, agent_id VARCHAR, body JSON NOT NULL)`);
    const old = { ...offered('old1'), ts: Date.parse(offered('old1').ts) };
    await connection.run('INSERT INTO events VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6)', ['old1', old.ts, old.ts, old.type, 'old1', JSON.stringify(old)]);
    connection.closeSync();
    instance.closeSync();

    server = await startTestServer({ nowMs: NOW, durable: true, dataDir });
    expect((await server.kpis('centre', 'today')).body.kpis.offered.value).toBe(1);
    expect((await server.post([offered('new1')])).body.accepted).toBe(1);
    await server.close();
    server = undefined;
    const reopened = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
    const check = await reopened.connect();
    expect((await check.runAndReadAll('SELECT id, ingest_key FROM events ORDER BY id')).getRows()).toEqual([['new1', 'default'], ['old1', null]]);
    check.closeSync();
    reopened.closeSync();
  });
});

describe('first start', () => {
  it('creates one admin with a printed initial password when there are no accounts and no ADMIN_TOKEN, and only then', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-first-start-'));
    let instance = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY });
    // The links are printed right after the server starts answering.
    for (let i = 0; i < 50 && !instance.output().includes('First admin'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const password = /First admin: "admin", initial password (\S+) \(must be changed at first sign-in\)/.exec(instance.output())?.[1];
    try {
      expect(password).toMatch(/^[\w-]{16}$/);
      const response = await fetch(`${instance.baseUrl}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'admin', password }),
      });
      expect(await response.json()).toMatchObject({ role: 'admin', mustChangePassword: true });
    } finally {
      await instance.stop();
    }
    instance = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY });
    await instance.stop();
    expect(instance.output()).not.toContain('First admin');
  });
});

describe('sockets signed in by cookie', () => {

  it('lets a manager page open a socket with the session cookie, and cuts it when the session is revoked', async () => {
    server = await startTestServer({ nowMs: NOW });
    const manager = await createUser(server, 'he.jun', 'manager');
    const socket = connect(server.baseUrl, { extraHeaders: { cookie: manager.cookie }, transports: ['websocket'], reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['agent:*@today', 'team:*@15m'] });
      expect(ack.ok).toBe(true);
      const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
      await server.request('DELETE', '/api/v1/sessions?user=he.jun', { token: ADMIN_TOKEN });
      await dropped;
    } finally {
      socket.close();
    }
  });
});
