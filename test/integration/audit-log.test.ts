import { afterEach, describe, expect, it } from 'vitest';
import { DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');

describe('audit log', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('keeps entries across a restart, newest first, filtered by actor, action and time, for admins only', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const { dataDir } = server;
    const entry = (at: number, actor: string, action: string, target: string | null) =>
      server!.app.audit.record({ at, actor, role: 'admin', action, target, from: '10.0.0.7', detail: { note: `${action} ${target}` } });
    await entry(NOW - 3_000, 'wang.li', 'signin', null);
    await entry(NOW - 2_000, 'wang.li', 'user.create', 'zhao.min');
    await entry(NOW - 1_000, 'chen.yu', 'export.csv', '2026-02');
    await server.close();

    server = await startTestServer({ nowMs: NOW, durable: true, dataDir });
    const all = await server.request('GET', '/api/v1/audit');
    expect(all.status).toBe(200);
    expect(all.body.entries.map((e: { action: string }) => e.action)).toEqual(['export.csv', 'user.create', 'signin']);
    expect(all.body.entries[1]).toEqual({
      at: new Date(NOW - 2_000).toISOString(),
      actor: 'wang.li',
      role: 'admin',
      action: 'user.create',
      target: 'zhao.min',
      from: '10.0.0.7',
      detail: { note: 'user.create zhao.min' },
    });

    const byActor = await server.request('GET', '/api/v1/audit?actor=wang.li');
    expect(byActor.body.entries.map((e: { action: string }) => e.action)).toEqual(['user.create', 'signin']);
    // `user` matches `user.create` but `sign` does not match `signin`.
    expect((await server.request('GET', '/api/v1/audit?action=user')).body.entries).toHaveLength(1);
    expect((await server.request('GET', '/api/v1/audit?action=sign')).body.entries).toHaveLength(0);
    const since = encodeURIComponent(new Date(NOW - 2_000).toISOString());
    expect((await server.request('GET', `/api/v1/audit?from=${since}&limit=1`)).body.entries.map((e: { actor: string }) => e.actor)).toEqual(['chen.yu']);

    expect((await server.request('GET', '/api/v1/audit?from=yesterday')).status).toBe(400);
    expect((await server.request('GET', '/api/v1/audit?limit=0')).status).toBe(400);
    const asDisplay = await server.request('GET', '/api/v1/audit', { token: DISPLAY_TOKEN });
    expect(asDisplay.status).toBe(403);
    expect(asDisplay.body.entries).toBeUndefined();
    expect((await server.request('GET', '/api/v1/audit', { token: null })).status).toBe(401);
  });
});
