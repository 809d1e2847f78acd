/**
 * Bad input at the ingest and read APIs: each gets the documented status and a message that
 * names the field, the server stays up, and valid events in the same batch are kept.
 */
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, DISPLAY_TOKEN, INGEST_KEY, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW_MS = Date.parse('2026-11-20T14:00:00+08:00');

const offered = (id: string, contactId: string, tsMs = NOW_MS - 60_000) => ({
  id, type: 'contact.offered', ts: tsMs, contactId, queue: 'general', site: 'hz', channel: 'phone',
});

describe('ingest: bad input', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW_MS, env: { MAX_BODY_BYTES: '4096' } });
  });

  afterAll(async () => {
    await server?.close();
  });

  const offeredNow = async () => (await server.kpis('centre', 'today')).body.kpis.offered.value as number;

  it('rejects a body that is not JSON with 400 and stores nothing', async () => {
    const before = await offeredNow();
    const res = await server.post(null, { raw: '[{"id":"x1","type":"contact.offered",' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^body: not valid JSON/);
    const garbage = await server.post(null, { raw: 'hello world' });
    expect(garbage.status).toBe(400);
    expect(garbage.body.error).toMatch(/^body:/);
    const empty = await server.post(null, { raw: '' });
    expect(empty.status).toBe(400);
    expect(await offeredNow()).toBe(before);
  });

  it('rejects each bad event with a message naming the field and keeps the valid ones', async () => {
    const before = await offeredNow();
    const batch = [
      offered('ok-1', 'k1'),
      { ...offered('bad-ts', 'k2'), ts: '2026-11-20 13:00' },
      { ...offered('bad-type-field', 'k3'), channel: 'fax' },
      { id: 'unknown', type: 'contact.teleported', ts: NOW_MS, contactId: 'k4' },
      { id: 'missing', type: 'contact.answered', ts: NOW_MS },
      { id: 'wrong-type', type: 'contact.ended', ts: NOW_MS, contactId: 'k1', talkSec: '12', holdSec: 0 },
      { ...offered('too-far-ahead', 'k5'), ts: NOW_MS + 3_600_000 },
      'just a string',
      { ...offered('x'.repeat(129), 'k6') },
      offered('ok-2', 'k7'),
    ];
    const res = await server.post(batch);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    const errors = Object.fromEntries(res.body.rejected.map((r: { index: number; error: string }) => [r.index, r.error]));
    expect(errors[1]).toMatch(/^event\[1\]\.ts: not an ISO-8601 time with offset/);
    expect(errors[2]).toMatch(/^event\[2\]\.channel:/);
    expect(errors[3]).toBe('event[3].type: unknown event type');
    expect(errors[4]).toMatch(/event\[4\]\.contactId: required/);
    expect(errors[4]).toMatch(/event\[4\]\.agentId: required/);
    expect(errors[5]).toMatch(/^event\[5\]\.talkSec:/);
    expect(errors[6]).toMatch(/^event\[6\]\.ts: 3600 s ahead of the server clock/);
    expect(errors[7]).toBe('event[7]: must be a JSON object');
    expect(errors[8]).toMatch(/^event\[8\]\.id: must be at most 128 characters/);
    expect(Object.keys(errors)).toHaveLength(8);
    expect(await offeredNow()).toBe(before + 2);
  });

  it('keeps the good lines of NDJSON and names the bad line', async () => {
    const before = await offeredNow();
    const raw = [JSON.stringify(offered('nd-1', 'n1')), '{"id": "nd-2", ', JSON.stringify(offered('nd-3', 'n3')), ''].join('\n');
    const res = await server.post(null, { raw, contentType: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toHaveLength(1);
    expect(res.body.rejected[0].index).toBe(1);
    expect(res.body.rejected[0].error).toMatch(/^event\[1\]: not valid JSON/);
    expect(await offeredNow()).toBe(before + 2);
  });

  it('accepts a single event, even pretty-printed over several lines', async () => {
    const before = await offeredNow();
    const res = await server.post(null, { raw: JSON.stringify(offered('single-1', 's1'), null, 2) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await offeredNow()).toBe(before + 1);
  });

  it('answers 413 for a body over the limit and stores none of it', async () => {
    const before = await offeredNow();
    const big = Array.from({ length: 60 }, (_, i) => offered(`big-${i}`, `b${i}`));
    const res = await server.post(big);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/over the limit of 4096 bytes/);
    expect(await offeredNow()).toBe(before);
  });

  it('answers 401 without a key and 403 with a wrong or read-only key', async () => {
    const body = [offered('auth-1', 'a1')];
    const none = await server.post(body, { key: null });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/^authorization:/);
    expect((await server.post(body, { key: 'not-the-key' })).status).toBe(403);
    expect((await server.post(body, { key: DISPLAY_TOKEN })).status).toBe(403);
    expect((await server.post(body, { key: ADMIN_TOKEN })).status).toBe(403);
    const reads = await server.kpis('centre', 'today', INGEST_KEY);
    expect(reads.status).toBe(403);
    expect(reads.body.kpis).toBeUndefined();
    const anonymous = await server.kpis('centre', 'today', '');
    expect(anonymous.status).toBe(401);
  });

  it('answers 400 for a malformed scope or window', async () => {
    const scope = await server.kpis('galaxy:far', 'today');
    expect(scope.status).toBe(400);
    expect(scope.body.error).toMatch(/^scope:/);
    const window = await server.kpis('centre', '5m');
    expect(window.status).toBe(400);
    expect(window.body.error).toMatch(/^window:/);
  });

  it('counts a re-sent event once', async () => {
    const before = await offeredNow();
    const first = await server.post([offered('dup-1', 'd1')]);
    const again = await server.post([offered('dup-1', 'd1'), offered('dup-1', 'd1')]);
    expect(first.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(again.body).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    expect(await offeredNow()).toBe(before + 1);
  });

  it('survives a client that disconnects halfway through a body, storing nothing of it', async () => {
    const before = await offeredNow();
    const { port } = new URL(server.baseUrl);
    const partial = JSON.stringify([offered('cut-1', 'cut')]).slice(0, 40);
    await new Promise<void>((resolve) => {
      const socket = connectTcp(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${INGEST_KEY}\r\n` +
            `Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n${partial}`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    const health = await fetch(`${server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await offeredNow()).toBe(before);
  });

  it('refuses sockets without a valid token and answers bad subscriptions with an error', async () => {
    const intruder = server.socket('wrong-token');
    const error = await new Promise<Error>((resolve) => intruder.on('connect_error', resolve));
    expect(error.message).toBe('unauthorized');

    const screen = server.socket();
    const bad = await screen.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['centre@5m'] });
    expect(bad).toEqual({ ok: false, error: 'rooms[0]: "centre@5m" is not "<scope>@15m|60m|today"' });
    const garbage = await screen.timeout(5000).emitWithAck('kpi:subscribe', 42 as never);
    expect(garbage.ok).toBe(false);
    const unknown = await screen.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['planet:mars@today'] });
    expect(unknown).toEqual({ ok: false, error: 'rooms[0]: unknown scope "planet:mars"' });
    const good = await screen.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] });
    expect(good.ok).toBe(true);
  });
});
