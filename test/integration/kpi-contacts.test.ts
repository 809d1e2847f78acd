/**
 * `GET /api/v1/kpis/contacts` (issue 10): for every figure with contacts or tickets behind it, at
 * centre, site × queue, site, queue, team, agent and channel scope, the rows are exactly the
 * formula's population: `den` rows (their denominator shares add up to `den`) of which `num` are
 * in the numerator, with `num` and `den` those of `GET /api/v1/kpis` for the same scope and
 * window. The same from the engine's memory (a server without a store) and from the store after
 * every contact has left memory; row for row the same. Roles, field-named 400s and truncation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILLABLE_KPIS } from '../../shared/kpi-population.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, INGEST_KEY, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createDisplayLink, createUser } from '../fixtures/accounts.ts';
import { HAND_NOW_MS as NOW, handTime as at } from '../fixtures/hand-floor.ts';
import { kpiApplies } from '../../shared/kpi.ts';
import { scopeDimension } from '../../shared/scope.ts';
import { randomStream } from '../fixtures/random-stream.ts';

const DAY_MS = 86_400_000;
const SCOPES = ['centre', 'site:hz/queue:general', 'site:nb/queue:vip', 'site:nb', 'queue:complaints', 'team:t1', 'agent:a3', 'channel:chat', 'site:sz/queue:hand'];
const ROLLING_SCOPES = ['centre', 'site:hz/queue:general', 'team:t2'];

/** A few contacts whose rows are known by hand, in queue `hand` of site `sz` (times +08:00). */
const HAND = [
  { id: 'h-o1', type: 'contact.offered', ts: at('09:50:00'), contactId: 'h-ans', queue: 'hand', site: 'sz', channel: 'phone', caller: '+86 138 0000 0001' },
  { id: 'h-a1', type: 'contact.answered', ts: at('09:50:12'), contactId: 'h-ans', agentId: 'h1', team: 'th' },
  { id: 'h-e1', type: 'contact.ended', ts: at('09:55:00'), contactId: 'h-ans', talkSec: 280, holdSec: 8 },
  { id: 'h-w1', type: 'contact.wrapped', ts: at('09:55:30'), contactId: 'h-ans', agentId: 'h1' },
  { id: 'h-o2', type: 'contact.offered', ts: at('09:51:00'), contactId: 'h-short', queue: 'hand', site: 'sz', channel: 'phone' },
  { id: 'h-b2', type: 'contact.abandoned', ts: at('09:51:03'), contactId: 'h-short' },
  { id: 'h-o3', type: 'contact.offered', ts: at('09:52:00'), contactId: 'h-long', queue: 'hand', site: 'sz', channel: 'phone' },
  { id: 'h-b3', type: 'contact.abandoned', ts: at('09:52:45'), contactId: 'h-long' },
  { id: 'h-o4', type: 'contact.offered', ts: at('09:53:00'), contactId: 'h-flow', queue: 'hand', site: 'sz', channel: 'phone' },
  { id: 'h-f4', type: 'contact.flowed_out', ts: at('09:55:00'), contactId: 'h-flow', reason: 'timeout' },
];

async function drill(server: TestServer, query: Record<string, string>, token: string | null = ADMIN_TOKEN) {
  return server.request('GET', `/api/v1/kpis/contacts?${new URLSearchParams(query)}`, { token });
}

/** Every figure at every scope and window: the endpoint's population against `/api/v1/kpis`. */
async function checkAgainstKpis(server: TestServer, label: string): Promise<Map<string, any>> {
  const answers = new Map<string, any>();
  const cases = [...SCOPES.map((scope) => [scope, 'today']), ...ROLLING_SCOPES.flatMap((scope) => [[scope, '60m'], [scope, '15m']])];
  for (const [scope, window] of cases) {
    const kpis = (await server.kpis(scope, window)).body.kpis;
    for (const kpi of DRILLABLE_KPIS) {
      const what = `${label} ${kpi} ${scope} ${window}`;
      const { status, body } = await drill(server, { scope, window, kpi });
      // Queue outcomes have no figure at team and agent scope (issue 11), so no rows either.
      if (!kpiApplies(kpi, scopeDimension(scope))) {
        expect([status, kpis[kpi].value], what).toEqual([400, null]);
        expect(body.error, what).toMatch(new RegExp(`^kpi: ${kpi} is a queue outcome`));
        continue;
      }
      expect(status, what).toBe(200);
      const figure = kpis[kpi];
      const [num, den] = figure.num === undefined ? [figure.value, figure.value] : [figure.num, figure.den];
      expect(body.num, what).toBeCloseTo(num, 6);
      expect(body.den, what).toBeCloseTo(den, 6);
      expect(body.truncated, what).toBe(false);
      expect(body.rows.length, what).toBe(body.total);
      const rows = body.rows as any[];
      expect(rows.reduce((s, r) => s + r.numShare, 0), what).toBeCloseTo(num, 6);
      expect(rows.reduce((s, r) => s + r.denShare, 0), what).toBeCloseTo(den, 6);
      if (kpi === 'closedOverOpened') {
        // Closed ÷ opened: a ticket closed in the window need not have opened in it.
        expect(rows.filter((r) => r.inDenominator).length, what).toBe(den);
        expect(rows.filter((r) => r.inNumerator).length, what).toBe(num);
      } else {
        expect(rows.length, what).toBe(den);
        expect(rows.every((r) => r.inDenominator && r.denShare === 1), what).toBe(true);
        if (body.shape !== 'mean') expect(rows.filter((r) => r.inNumerator).length, what).toBe(num);
        else expect(rows.every((r) => r.value === r.numShare), what).toBe(true);
      }
      // Newest first, in the centre's zone; customers masked.
      for (let i = 1; i < rows.length; i++) expect(rows[i - 1].countsAt >= rows[i].countsAt, what).toBe(true);
      for (const r of rows) {
        expect(r.countsAt, what).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        if (r.customer !== null) expect(r.customer, what).toMatch(/^c_[0-9a-f]{4}…$/);
      }
      answers.set(`${kpi} ${scope} ${window}`, body);
    }
  }
  return answers;
}

/** Rows in a fixed order (rows counted at the same time may come in either). */
const canonical = (rows: any[]) => rows.map((r) => JSON.stringify(r)).sort();

describe('the contacts behind a figure', () => {
  let memory: TestServer;
  let durable: TestServer;
  let manager: string;
  let director: string;
  let displayLink: string;
  const events = [...randomStream(31, NOW, 400), ...HAND];

  beforeAll(async () => {
    memory = await startTestServer({ nowMs: NOW });
    // Every settled contact leaves memory at each record write: the store has to answer.
    durable = await startTestServer({ nowMs: NOW, durable: true, evictIdleMs: 0 });
    for (const server of [memory, durable]) expect((await server.post(events)).body.rejected).toEqual([]);
    await durable.app.flushRecords();
    manager = (await createUser(durable, 'wang.manager', 'manager')).token;
    director = (await createUser(durable, 'li.director', 'director')).token;
    displayLink = await createDisplayLink(durable, 'Lobby');
  }, 60_000);
  afterAll(async () => {
    await memory?.close();
    await durable?.close();
  });

  it('lists the answered, abandoned and flowed-out contacts of the answer rate, less short abandons, as counted by hand', async () => {
    const { body } = await drill(durable, { scope: 'site:sz/queue:hand', window: 'today', kpi: 'answerRate' });
    expect(body).toMatchObject({ scope: 'site:sz/queue:hand', window: 'today', kpi: 'answerRate', num: 1, den: 3, total: 3, truncated: false, value: 1 / 3 });
    expect(body.rows.map((r: any) => [r.id, r.countsAt, r.outcome, r.inNumerator])).toEqual([
      ['h-flow', '2026-03-02 09:55:00', 'flowed_out', false],
      ['h-long', '2026-03-02 09:52:45', 'abandoned', false],
      ['h-ans', '2026-03-02 09:50:12', 'answered', true],
    ]);
    expect(body.rows[2]).toMatchObject({
      kind: 'contact', occurrence: 'outcome', offeredAt: '2026-03-02 09:50:00', outcomeAt: '2026-03-02 09:50:12', waitSec: 12, handleSec: 318,
      agent: 'h1', team: 'th', site: 'sz', queue: 'hand', channel: 'phone', value: null,
    });
    expect(body.rows[2].customer).toMatch(/^c_[0-9a-f]{4}…$/);
    // ASA: the answered contact's own wait is its value; AHT: 280 talk + 8 hold + 30 wrap-up.
    expect((await drill(durable, { scope: 'site:sz/queue:hand', window: 'today', kpi: 'asaSec' })).body).toMatchObject({ num: 12, den: 1, value: 12, rows: [{ id: 'h-ans', value: 12 }] });
    expect((await drill(durable, { scope: 'agent:h1', window: 'today', kpi: 'ahtSec' })).body).toMatchObject({ num: 318, den: 1, rows: [{ id: 'h-ans', value: 318, countsAt: '2026-03-02 09:55:30' }] });
    // The short abandon is an abandon, and a short one, in the counts.
    const abandoned = (await drill(durable, { scope: 'site:sz/queue:hand', window: 'today', kpi: 'abandoned' })).body;
    expect(abandoned.rows.map((r: any) => r.id)).toEqual(['h-long', 'h-short']);
  });

  it('gives every figure its own num and den at every scope and window, from memory and from the store alike', async () => {
    // Nearly everything left memory: the store answers for those contacts.
    expect(durable.app.engine.stats().contacts).toBeLessThan(events.length / 20);
    const fromMemory = await checkAgainstKpis(memory, 'memory');
    const fromStore = await checkAgainstKpis(durable, 'store');
    // Every figure has rows behind it at the centre today (else the checks above prove little).
    for (const kpi of DRILLABLE_KPIS) expect(fromStore.get(`${kpi} centre today`).den, kpi).toBeGreaterThan(0);
    for (const [key, body] of fromMemory) {
      expect(canonical(fromStore.get(key).rows), key).toEqual(canonical(body.rows));
    }
  }, 180_000);

  it('counts overdue tickets and missed escalation steps once their deadlines pass, as the figures do', async () => {
    // A day on: yesterday's simple tickets still open are overdue at their 24-hour deadline today.
    for (const server of [memory, durable]) server.clock.set(NOW + DAY_MS);
    const answers = await checkAgainstKpis(durable, 'store, next day');
    const closure = answers.get('closureRate centre today');
    expect(closure.rows.filter((r: any) => r.outcome === 'overdue').length).toBeGreaterThan(0);
    expect(closure.rows.every((r: any) => r.kind === 'ticket' && r.deadlineAt !== null)).toBe(true);
    const memoryAnswers = await checkAgainstKpis(memory, 'memory, next day');
    for (const [key, body] of memoryAnswers) expect(canonical(answers.get(key).rows), key).toEqual(canonical(body.rows));
    for (const server of [memory, durable]) server.clock.set(NOW);
  }, 180_000);

  it('answers managers, directors and admins; not a floor screen, nor anyone unknown', async () => {
    const query = { scope: 'team:t1', window: 'today', kpi: 'answered' };
    for (const token of [manager, director, ADMIN_TOKEN]) expect((await drill(durable, query, token)).status).toBe(200);
    for (const token of [displayLink, DISPLAY_TOKEN]) {
      const refused = await drill(durable, { ...query, scope: 'centre' }, token);
      expect(refused.status).toBe(403);
      expect(Object.keys(refused.body)).toEqual(['error']);
    }
    expect((await drill(durable, query, INGEST_KEY)).status).toBe(403);
    expect(await drill(durable, query, null)).toEqual({ status: 401, body: { error: expect.stringMatching(/^authorization: /) } });
  });

  it('names the field at fault, without repeating what was sent', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ scope: 'floor:<b>7</b>', window: 'today', kpi: 'answerRate' }, /^scope: must be one of centre, site:X, queue:X, site:X\/queue:Y/],
      [{ scope: 'centre', window: '2h<b>', kpi: 'answerRate' }, /^window: must be one of 15m, 60m, today$/],
      [{ scope: 'centre', window: 'today' }, /^kpi: must be one of offered, /],
      [{ scope: 'centre', window: 'today', kpi: 'nonsense<b>' }, /^kpi: must be one of offered, /],
      [{ scope: 'centre', window: 'today', kpi: 'occupancy' }, /^kpi: occupancy comes from agents' time/],
      [{ scope: 'centre', window: 'today', kpi: 'inQueue' }, /^kpi: inQueue is a live figure/],
      [{ scope: 'centre', window: 'today', kpi: 'longestWaitSec' }, /^kpi: longestWaitSec is a live figure/],
      [{ scope: 'centre', window: 'today', kpi: 'agentsReady' }, /^kpi: agentsReady is a live count of agents/],
      [{ scope: 'centre', window: 'today', kpi: 'notReadyLongEpisodes' }, /^kpi: notReadyLongEpisodes counts agents' not-ready episodes/],
    ];
    for (const [query, error] of cases) {
      const { status, body } = await drill(durable, query);
      expect(status, JSON.stringify(query)).toBe(400);
      expect(body.error, JSON.stringify(query)).toMatch(error);
      expect(body.error).not.toContain('<b>');
    }
  });
});

describe('the contacts behind a figure, beyond 5,000', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true, evictIdleMs: 0 });
    const bulk = Array.from({ length: 5100 }, (_, i) => ({
      id: `bulk-o${i}`, type: 'contact.offered', ts: NOW - 3600_000 + i * 500, contactId: `bulk-${String(i).padStart(5, '0')}`, queue: 'bulk', site: 'sz', channel: 'phone',
    }));
    expect((await server.post(bulk)).body.accepted).toBe(5100);
    await server.app.flushRecords();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('returns the newest 5,000 rows, says it truncated, and counts the whole population', async () => {
    const { status, body } = await drill(server, { scope: 'site:sz/queue:bulk', window: 'today', kpi: 'offered' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ num: 5100, den: 5100, total: 5100, truncated: true });
    expect(body.rows).toHaveLength(5000);
    // Newest first: the last offered (i = 5099) down to i = 100.
    expect(body.rows[0].id).toBe('bulk-05099');
    expect(body.rows[4999].id).toBe('bulk-00100');
    expect((await server.kpis('site:sz/queue:bulk', 'today')).body.kpis.offered.value).toBe(5100);
  });
});
