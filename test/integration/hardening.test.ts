/**
 * Hostile input at the edges (SPEC §6, §7): security headers on every answer, size limits on
 * bodies and socket messages, rate limits per address, per ingest key and per connection,
 * origin checks for sockets and for changes, and no stack trace ever sent to a client.
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { MemoryAuditLog } from '../../server/audit/audit-log.ts';
import { loadConfig } from '../../server/config.ts';
import { MemoryEventLog } from '../../server/store/event-log.ts';
import { MANAGEMENT_BODY_MAX_BYTES } from '../../server/ingest/http-body.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, INGEST_KEY, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createUser, PASSWORD, signIn } from '../fixtures/accounts.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');

/** Connects and resolves with `connected` or the refusal's message. */
function connectResult(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

describe('hardening', () => {
  let server: TestServer | undefined;
  const sockets: Socket[] = [];
  const open = (options: Parameters<typeof connect>[1]) => {
    const socket = connect(server!.baseUrl, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
    sockets.push(socket);
    return socket;
  };
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await server?.close();
    server = undefined;
  });

  it('sends security headers on pages and API answers; only the wallboard may be framed, and only when configured', async () => {
    server = await startTestServer({ nowMs: NOW, env: { DISPLAY_FRAME_ANCESTORS: 'https://signage.example' } });
    for (const path of ['/api/v1/config', '/admin', '/signin', '/wall', '/', '/api/v1/nothing']) {
      const response = await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${DISPLAY_TOKEN}` } });
      const csp = response.headers.get('content-security-policy') ?? '';
      const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1];
      expect(scriptSrc, path).toBe("'self' 'wasm-unsafe-eval'");
      expect(csp, path).toContain("object-src 'none'");
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      const display = path === '/wall' || path === '/';
      expect(csp, path).toContain(display ? 'frame-ancestors https://signage.example' : "frame-ancestors 'none'");
      expect(response.headers.get('x-frame-options'), path).toBe(display ? null : 'DENY');
    }
    await server.close();
    server = await startTestServer({ nowMs: NOW });
    const wall = await fetch(`${server.baseUrl}/wall`);
    expect(wall.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(wall.headers.get('x-frame-options')).toBe('DENY');
  });

  it('refuses oversized and mistyped bodies with 413/415, and cuts only the socket that sends an oversized message', async () => {
    server = await startTestServer({ nowMs: NOW, env: { MAX_BODY_BYTES: '2048' } });
    // One limit for every management body (issue 14), whatever MAX_BODY_BYTES says for ingest.
    const big = await server.request('POST', '/api/v1/users', { body: { name: 'x'.repeat(MANAGEMENT_BODY_MAX_BYTES + 1000), role: 'manager' } });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ error: expect.stringMatching(new RegExp(`^body: \\d+ bytes is over the limit of ${MANAGEMENT_BODY_MAX_BYTES} bytes$`)) });
    const ingest = await server.post([{ filler: 'y'.repeat(3000) }]);
    expect(ingest.status).toBe(413);
    const form = await fetch(`${server.baseUrl}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=evil&role=admin',
    });
    expect(form.status).toBe(415);
    expect((await server.request('GET', '/api/v1/users')).body.users).toEqual([]);

    const victim = open({ auth: { token: DISPLAY_TOKEN } });
    const bystander = open({ auth: { token: DISPLAY_TOKEN } });
    expect(await connectResult(victim)).toBe('connected');
    expect(await connectResult(bystander)).toBe('connected');
    const cut = new Promise<string>((resolve) => victim.once('disconnect', (reason) => resolve(reason)));
    victim.emit('kpi:subscribe', { rooms: ['centre@today'.padEnd(70_000, 'z')] }, () => {});
    expect(await cut).toBe('transport close');
    const ack = await bystander.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] });
    expect(ack.ok).toBe(true);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });

  it('rate-limits per address, per ingest key, sign-ins per address and messages per socket, with Retry-After', async () => {
    server = await startTestServer({ nowMs: NOW, env: { RATE_LIMIT_PER_KEY: '2', SIGNIN_PER_MINUTE: '3' } });
    const other = await server.request('POST', '/api/v1/ingest-keys', { body: { name: 'second' } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await server.post([])).status);
    // A burst of twice the rate, then 429.
    expect(statuses.slice(0, 4).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(4)).toContain(429);
    const limited = await fetch(`${server.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${INGEST_KEY}` }, body: '[]' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await limited.json()).error).toMatch(/^rate limit: too many requests with ingest key "default"/);
    // Another key is not held back by the first.
    expect((await server.post([], { key: other.body.token })).status).not.toBe(429);

    await createUser(server, 'qin.hao', 'manager');
    const attempts = [];
    for (let i = 0; i < 3; i++) attempts.push((await signIn(server, 'qin.hao', PASSWORD)).status);
    // createUser signed in once already: three a minute from one address.
    expect(attempts).toEqual([200, 200, 429]);

    const socket = open({ auth: { token: DISPLAY_TOKEN } });
    expect(await connectResult(socket)).toBe('connected');
    const acks = await Promise.all(Array.from({ length: 60 }, () => socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] })));
    const refused = acks.filter((a) => !a.ok);
    expect(refused.length).toBeGreaterThan(10);
    expect(refused[0]).toEqual({ ok: false, error: 'rate limit: too many messages on this connection; slow down' });
    await server.close();

    server = await startTestServer({ nowMs: NOW, env: { RATE_LIMIT_PER_ADDRESS: '5' } });
    const reads: number[] = [];
    for (let i = 0; i < 14; i++) reads.push((await server.kpis('centre', 'today')).status);
    expect(reads.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(reads.slice(10)).toContain(429);
  });

  it('accepts sockets and changes only from its own pages or allowed origins', async () => {
    server = await startTestServer({ nowMs: NOW, env: { ALLOWED_ORIGINS: 'https://ops.example' } });
    const host = new URL(server.baseUrl).host;
    expect(await connectResult(open({ auth: { token: DISPLAY_TOKEN }, extraHeaders: { origin: 'http://evil.example' } }))).not.toBe('connected');
    expect(await connectResult(open({ auth: { token: DISPLAY_TOKEN }, extraHeaders: { origin: `http://${host}` } }))).toBe('connected');
    expect(await connectResult(open({ auth: { token: DISPLAY_TOKEN }, extraHeaders: { origin: 'https://ops.example' } }))).toBe('connected');
    // Non-browser clients send no Origin; they still need a token.
    expect(await connectResult(open({ auth: { token: DISPLAY_TOKEN } }))).toBe('connected');
    expect(await connectResult(open({ auth: { token: 'guess' } }))).toBe('unauthorized');

    const manager = await createUser(server, 'gao.yan', 'manager');
    const crossSite = await fetch(`${server.baseUrl}/api/v1/session`, { method: 'DELETE', headers: { cookie: manager.cookie, origin: 'http://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).error).toMatch(/^origin: /);
    expect((await server.request('GET', '/api/v1/session', { token: manager.token })).status).toBe(200);
    const sameSite = await fetch(`${server.baseUrl}/api/v1/session`, { method: 'DELETE', headers: { cookie: manager.cookie, origin: `http://${host}` } });
    expect(sameSite.status).toBe(200);
  });

  it('answers a failing audit write with a plain 503 saying nothing was applied, never a stack trace or the error', async () => {
    const config = loadConfig({ DATA_DIR: '/nonexistent', INGEST_KEY, ADMIN_TOKEN, DISPLAY_TOKEN });
    const audit = new MemoryAuditLog();
    audit.record = async () => {
      throw new Error('disk on fire at /var/lib/secret/path.ts:42');
    };
    const app = createApp({
      config,
      secrets: { ingestKey: INGEST_KEY, adminToken: ADMIN_TOKEN, displayToken: DISPLAY_TOKEN, pseudonymKey: 'k'.repeat(64), generated: [] },
      log: new MemoryEventLog(),
      audit,
      clock: { now: () => NOW },
      logger: pino({ level: 'silent' }),
    });
    await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = app.httpServer.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'new.user', role: 'manager' }),
      });
      // Audited before it is applied (issue 12): the account is not made, and the answer says why.
      expect(response.status).toBe(503);
      expect(await response.text()).toBe('{"error":"audit: the audit log cannot record this action, so it was not applied; retry shortly"}');
      expect(app.access.identity.accounts.user('new.user')).toBeUndefined();
    } finally {
      await app.close();
      await new Promise<void>((resolve) => app.httpServer.close(() => resolve()));
    }
  });
});
