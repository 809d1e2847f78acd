/**
 * Property-based attacks on the running server (fast-check): random and malformed events,
 * bodies, headers and socket payloads. Whatever is thrown at it, the server never crashes or
 * answers 500, never stores an event that fails validation (nor a raw caller), and keeps every
 * valid event of a batch, however many broken ones come with it.
 */
import fc from 'fast-check';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEvent, type CallCentreEvent } from '../../shared/events.ts';
import { MemoryEventLog } from '../../server/store/event-log.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');
const RUNS = 40;

let nextId = 0;
const freshId = () => `fz-${nextId++}`;

const tsArb = fc.integer({ min: NOW - 3 * 3600_000, max: NOW }).map((ms) => (ms % 2 ? ms : new Date(ms).toISOString()));
const small = (names: string[]) => fc.constantFrom(...names);

/** Valid events of several types, each with a new id. */
const validEvent = fc.oneof(
  fc.record({
    type: fc.constant('contact.offered'),
    ts: tsArb,
    contactId: small(['c1', 'c2', 'c3']),
    queue: small(['general', 'vip']),
    site: small(['sz', 'gz']),
    channel: small(['phone', 'chat']),
    caller: fc.option(fc.stringMatching(/^\+86 1[3-9]\d{9}$/), { nil: undefined }),
  }),
  fc.record({ type: fc.constant('contact.answered'), ts: tsArb, contactId: small(['c1', 'c2', 'c3']), agentId: small(['a1', 'a2']) }),
  fc.record({ type: fc.constant('contact.abandoned'), ts: tsArb, contactId: small(['c1', 'c2', 'c3']) }),
  fc.record({ type: fc.constant('agent.state'), ts: tsArb, agentId: small(['a1', 'a2']), state: small(['ready', 'busy', 'not_ready']) }),
  fc.record({ type: fc.constant('survey.response'), ts: tsArb, contactId: small(['c1', 'c2']), score: fc.integer({ min: 1, max: 5 }) }),
).map((event) => JSON.parse(JSON.stringify({ id: freshId(), ...event })) as Record<string, unknown>);

/** A valid event with one field replaced by anything at all (often invalid, sometimes not). */
const mutatedEvent = fc
  .tuple(validEvent, fc.constantFrom('type', 'ts', 'contactId', 'queue', 'channel', 'agentId', 'score', 'caller', 'site'), fc.anything())
  .map(([event, field, value]) => ({ ...event, id: freshId(), [field]: value }));

const junk = fc.oneof(fc.anything(), fc.object(), fc.array(fc.anything(), { maxLength: 3 }), fc.constant(null));

type Item = { kind: 'value'; value: unknown } | { kind: 'raw'; line: string };
const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 4, arbitrary: validEvent.map((value) => ({ kind: 'value' as const, value })) },
  { weight: 2, arbitrary: mutatedEvent.map((value) => ({ kind: 'value' as const, value })) },
  { weight: 1, arbitrary: junk.map((value) => ({ kind: 'value' as const, value })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).filter((s) => !s.includes('\n') && s.trim() !== '').map((line) => ({ kind: 'raw' as const, line })) },
);

/** What the server sees of a value after the JSON round trip. */
const roundTrip = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

describe('fuzzing the server', () => {
  let server: TestServer;
  const log = new MemoryEventLog();
  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, log, env: { RATE_LIMIT_PER_ADDRESS: '0', RATE_LIMIT_PER_KEY: '0', SIGNIN_PER_MINUTE: '0' } });
  });
  afterAll(async () => {
    await server.close();
  });

  const stored = async () => {
    const events: CallCentreEvent[] = [];
    await log.replay(0, (batch) => void events.push(...batch));
    return events;
  };

  it('keeps exactly the valid events of any mixed batch (JSON or NDJSON) and stores nothing invalid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 25 }), fc.boolean(), async (items, ndjson) => {
        const before = (await stored()).length;
        // NDJSON starts with a valid event so the body reads as NDJSON, not as one JSON value.
        const lead = { kind: 'value' as const, value: fc.sample(validEvent, 1)[0] };
        const batch = ndjson ? [lead, ...items] : items.filter((i): i is Extract<Item, { kind: 'value' }> => i.kind === 'value');
        const values = batch.map((i) => (i.kind === 'value' ? roundTrip(i.value) : i.line));
        const body = ndjson
          ? batch.map((i) => (i.kind === 'raw' ? i.line : (JSON.stringify(i.value) ?? 'undefined'))).join('\n')
          : JSON.stringify(values.map((v) => (v === undefined ? null : v)));
        const expectedValid = batch.filter((i, n) => i.kind === 'value' && values[n] !== undefined && validateEvent(values[n]).ok).length;

        const response = await server.post(undefined, { raw: body });
        if (!ndjson && values.length === 0) {
          expect(response.status).toBe(200);
          return;
        }
        expect(response.status, body.slice(0, 300)).toBe(200);
        expect(response.body.accepted, body.slice(0, 300)).toBe(expectedValid);
        expect(response.body.accepted + response.body.rejected.length).toBe(batch.filter((i) => i.kind === 'value' || i.line.trim() !== '').length);
        for (const rejection of response.body.rejected) expect(rejection.error).toMatch(/^event\[\d+\]/);
        expect((await stored()).length).toBe(before + expectedValid);
      }),
      { numRuns: RUNS },
    );
    const all = await stored();
    expect(all.length).toBeGreaterThan(RUNS);
    for (const event of all) {
      expect(validateEvent(event).ok).toBe(true);
      expect('caller' in event).toBe(false);
    }
    expect((await server.kpis('centre', 'today')).status).toBe(200);
  });

  it('answers any body on any management route with a 4xx naming the problem, never a 500', async () => {
    const routes = [
      ['POST', '/api/v1/session'],
      ['POST', '/api/v1/session/password'],
      ['POST', '/api/v1/users'],
      ['PATCH', '/api/v1/users'],
      ['POST', '/api/v1/users/password-reset'],
      ['POST', '/api/v1/display-links'],
      ['POST', '/api/v1/ingest-keys'],
      ['POST', '/api/v1/events'],
    ] as const;
    const bodyArb = fc.oneof(
      fc.anything().map((v) => JSON.stringify(v) ?? ''),
      fc.record({ name: fc.anything(), role: fc.anything(), password: fc.anything(), disabled: fc.anything(), unlock: fc.anything() }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodyArb, fc.constantFrom('application/json', 'text/plain', ''), async ([method, path], body, type) => {
        const response = await fetch(`${server.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${path === '/api/v1/events' ? 'test-ingest-key' : ADMIN_TOKEN}`, ...(type ? { 'content-type': type } : {}) },
          body,
        });
        const text = await response.text();
        expect(response.status, `${method} ${path} ${body.slice(0, 100)} -> ${text}`).toBeLessThan(500);
        if (response.status >= 400) expect(JSON.parse(text).error).toMatch(/^[\w.[\]-]+: /);
      }),
      { numRuns: RUNS * 3 },
    );
    // Whatever names the fuzzer made stay valid names.
    const users = (await server.request('GET', '/api/v1/users')).body.users as Array<{ name: string; role: string }>;
    for (const user of users) {
      expect(user.name).toMatch(/^[a-z0-9][a-z0-9._-]{1,63}$/);
      expect(['display', 'manager', 'director', 'admin']).toContain(user.role);
    }
  });

  it('survives random headers, tokens, cookies, paths and queries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/v1/kpis', '/api/v1/session', '/api/v1/audit', '/api/v1/users', '/api/v1/sessions', '/api/v1/reports/daily'),
        fc.dictionary(fc.constantFrom('scope', 'window', 'from', 'to', 'limit', 'groupBy', 'user', 'name', 'action'), fc.string({ maxLength: 30 })),
        fc.oneof(fc.constant(`Bearer ${ADMIN_TOKEN}`), fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`), fc.string({ maxLength: 60 })),
        fc.string({ maxLength: 80 }),
        fc.constantFrom('GET', 'DELETE'),
        async (path, query, authorization, cookie, method) => {
          const headers: Record<string, string> = {};
          // Header values must be Latin-1 without control characters to leave fetch at all.
          if (/^[\x20-\x7e]*$/.test(authorization)) headers.authorization = authorization;
          if (/^[\x20-\x7e]*$/.test(cookie)) headers.cookie = cookie;
          const response = await fetch(`${server.baseUrl}${path}?${new URLSearchParams(query)}`, { method, headers });
          // This server has no store, so valid report requests are 503 by design.
          if (!(path === '/api/v1/reports/daily' && response.status === 503)) expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('survives random socket events and payloads, and still serves a well-behaved screen', async () => {
    const socket = connect(server.baseUrl, { auth: { token: DISPLAY_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('kpi:subscribe', 'kpi:unsubscribe', 'kpi:snapshot', 'admin:anything'),
          fc.oneof(
            fc.anything(),
            fc.record({ rooms: fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.anything()), { maxLength: 60 }) }),
            fc.record({ rooms: fc.array(fc.constantFrom('centre@today', 'agent:*@today', 'team:x@15m', 'queue:*@60m', '@', 'centre@forever'), { maxLength: 5 }) }),
          ),
          fc.boolean(),
          async (event, payload, withAck) => {
            // Only the kpi events answer; the others are dropped by the server without a word.
            if (withAck && event.startsWith('kpi:sub') || withAck && event === 'kpi:unsubscribe') {
              const answer = await socket.timeout(2000).emitWithAck(event as 'kpi:subscribe', payload as never).catch(() => 'no answer');
              if (typeof answer === 'object' && answer !== null && 'ok' in answer && answer.ok && event === 'kpi:subscribe') {
                // A display that got a yes got aggregate rooms only.
                for (const message of (answer as { data: Array<{ room: string }> }).data) expect(message.room).not.toMatch(/^(agent|team):/);
              }
            } else {
              socket.emit(event as 'kpi:subscribe', payload as never, undefined as never);
            }
          },
        ),
        { numRuns: RUNS * 2 },
      );
      // Let the per-connection rate limit refill, then behave.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] });
      expect(ack.ok).toBe(true);
    } finally {
      socket.close();
    }
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });
});
