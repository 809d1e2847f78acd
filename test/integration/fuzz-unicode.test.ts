/**
 * Issue 12: fast-check against a real server on a real DuckDB file, with arbitrary Unicode (lone
 * surrogates included), numbers and shapes, at ingest and on the management API. Whatever comes:
 * no 5xx; every valid event kept (read back from the file after the server stopped); every
 * invalid one named by its index and field; one audit entry for each management action applied
 * and none for one refused.
 */
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEventLog } from '../../server/store/duckdb-event-log.ts';
import { validateEvent } from '../../shared/events.ts';
import { startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');
const RUNS = 60;
const FIELD_ERROR = /^[\w.[\]-]+: /;

let nextId = 0;
const freshId = () => `fu-${nextId++}`;

/** Any text: lone surrogates (often), astral characters, controls, plain names. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\ud83d'), fc.string({ maxLength: 6 })).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.constantFrom('general', 'sz', 'a1', '总机', '😀', 'x'.repeat(129), '') },
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER, NOW - 1000));
const shape = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 2 }));

const tsArb = fc.integer({ min: NOW - 3 * 3600_000, max: NOW });
const base = fc.oneof(
  fc.record({ type: fc.constant('contact.offered'), ts: tsArb, contactId: fc.constantFrom('c1', 'c2'), queue: fc.constant('general'), site: fc.constant('sz'), channel: fc.constant('phone') }),
  fc.record({ type: fc.constant('agent.state'), ts: tsArb, agentId: fc.constant('a1'), state: fc.constant('not_ready'), reason: fc.constant('lunch'), queues: fc.constant(['general']) }),
  fc.record({ type: fc.constant('ticket.escalated'), ts: tsArb, ticketId: fc.constant('t1'), level: fc.constant('L2'), to: fc.constant('team-b') }),
  fc.record({ type: fc.constant('contact.ended'), ts: tsArb, contactId: fc.constant('c1'), talkSec: fc.constant(30), holdSec: fc.constant(0) }),
);
/** A valid event, or one with up to three fields (known or not) set to any text, number or shape. */
const event = fc
  .tuple(
    base,
    fc.array(fc.tuple(fc.constantFrom('contactId', 'queue', 'site', 'agentId', 'reason', 'queues', 'level', 'to', 'team', 'ts', 'talkSec', 'channel', 'note', 'extra'), shape), { maxLength: 3 }),
    fc.boolean(),
  )
  .map(([event, changes, keepId]) => {
    const out: Record<string, unknown> = { id: freshId(), ...event };
    for (const [field, value] of changes) out[field] = value;
    // Sometimes the id itself is any text (made unique so validity alone decides).
    if (!keepId) out.id = `${out.id}:${fc.sample(text, 1)[0]}`;
    return out;
  });

describe('fuzzing a durable server with any Unicode', () => {
  let server: TestServer;
  let running = false;
  const validIds = new Set<string>();
  let surrogateRejections = 0;
  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true, env: { RATE_LIMIT_PER_ADDRESS: '0', RATE_LIMIT_PER_KEY: '0' } });
    running = true;
  });
  afterAll(async () => {
    if (running) await server.close();
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('ingest: no 5xx, the valid events kept, each invalid one named by index and field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 3 }), async (events, clients) => {
        // The batch split among concurrent clients: their commits group together.
        const parts = Array.from({ length: clients }, (_, c) => events.filter((_, i) => i % clients === c));
        const answers = await Promise.all(parts.map((part) => (part.length ? server.post(undefined, { raw: JSON.stringify(part) }) : null)));
        for (const [c, answer] of answers.entries()) {
          if (!answer) continue;
          const part = parts[c];
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          const verdicts = part.map((e, i) => validateEvent(JSON.parse(JSON.stringify(e)), `event[${i}]`));
          const invalid = verdicts.flatMap((v, i) => (v.ok ? [] : [i]));
          expect(answer.body.accepted).toBe(part.length - invalid.length);
          expect(answer.body.rejected.map((r: { index: number }) => r.index)).toEqual(invalid);
          for (const rejection of answer.body.rejected) expect(rejection.error).toMatch(new RegExp(`^event\\[${rejection.index}\\]\\.[^:]+: `));
          for (const [i, v] of verdicts.entries()) {
            if (v.ok) validIds.add(part[i].id as string);
            // A lone surrogate in a field that is kept is never valid.
            else if (/not valid Unicode/.test(v.error) && ++surrogateRejections) expect(answer.body.rejected.find((r: { index: number }) => r.index === i).error).toMatch(/: not valid Unicode \(lone surrogate\)/);
          }
        }
      }),
      { numRuns: RUNS },
    );
    // The run did what it is for: valid events stored next to ones refused for a lone surrogate.
    expect(validIds.size).toBeGreaterThan(RUNS);
    expect(surrogateRejections).toBeGreaterThan(0);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });

  it('management: no 5xx, every refusal names a field, one audit entry per action applied', async () => {
    const actions = fc.oneof(
      fc.record({ path: fc.constant('POST /api/v1/broadcasts'), body: fc.record({ text: text, screens: fc.oneof(fc.constant('all'), fc.array(text, { minLength: 1, maxLength: 3 }), shape), durationSec: fc.oneof(fc.integer({ min: 5, max: 600 }), number) }, { requiredKeys: ['text'] }) }),
      fc.record({
        path: fc.constant('PUT /api/v1/screens/layout'),
        body: fc.record({ screen: text, layout: fc.oneof(fc.constant(null), fc.record({ layouts: fc.array(fc.oneof(fc.constantFrom('overview', 'queues', 'alerts'), text), { maxLength: 3 }), scope: fc.oneof(fc.constant('centre'), text), lang: fc.constantFrom('en', 'zh-CN'), rotateSec: number }), shape) }),
      }),
      fc.record({ path: fc.constant('POST /api/v1/reports/exports'), body: fc.record({ format: fc.constantFrom('csv', 'pdf'), month: fc.oneof(fc.constant('2026-02'), text), file: fc.oneof(fc.constant('feb.csv'), text), view: text }) }),
      fc.record({ path: fc.constant('POST /api/v1/alerts/ack'), body: fc.record({ id: text, note: text }) }),
      fc.record({ path: fc.constant('PUT /api/v1/screens/visitor-mode'), body: fc.record({ on: fc.boolean(), screens: fc.array(text, { minLength: 1, maxLength: 2 }) }) }),
    );
    let applied = 0;
    let surrogates = 0;
    const audited = async () => (await server.request('GET', '/api/v1/audit?limit=10000')).body.entries as Array<{ action: string }>;
    await fc.assert(
      fc.asyncProperty(actions, async ({ path, body }) => {
        const [method, route] = path.split(' ');
        const before = (await audited()).length;
        const answer = await server.request(method, route, { body });
        expect(answer.status, `${path} -> ${JSON.stringify(answer.body)}`).toBeLessThan(500);
        const added = (await audited()).length - before;
        if (answer.status >= 400) {
          expect(answer.body.error).toMatch(FIELD_ERROR);
          expect(added, `${path} refused but audited`).toBe(0);
          if (/not valid Unicode/.test(answer.body.error)) surrogates++;
        } else if (route === '/api/v1/screens/visitor-mode') {
          expect(added).toBe(answer.body.changed.length);
        } else {
          expect(added, `${path} applied`).toBe(1);
        }
        if (answer.status < 400) applied++;
      }),
      { numRuns: RUNS * 3 },
    );
    expect(applied).toBeGreaterThan(0);
    expect(surrogates).toBeGreaterThan(0);
    // Every broadcast showing was audited as sent.
    const sent = new Set((await server.request('GET', '/api/v1/audit?action=broadcast.send&limit=10000')).body.entries.map((e: { detail: { id: string } }) => e.detail.id));
    for (const broadcast of (await server.request('GET', '/api/v1/broadcasts')).body.broadcasts) expect(sent.has(broadcast.id)).toBe(true);
  });

  it('every valid event is in the file after the server stopped, and nothing else', async () => {
    running = false;
    await server.close();
    const log = await DuckDbEventLog.open({ dataDir: server.dataDir, clock: { now: () => NOW } });
    const stored: string[] = [];
    try {
      await log.replay(0, (batch) => void stored.push(...batch.map((e) => e.id)));
    } finally {
      await log.close();
    }
    expect(new Set(stored)).toEqual(validIds);
    expect(stored.length).toBe(validIds.size);
  });
});
