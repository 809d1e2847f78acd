/**
 * The engine gives the same figures whatever the order and repetition of events (SPEC §3, §8):
 * a seeded stream of every event type, applied in order once, equals the same stream shuffled
 * and partly re-sent, for every scope and window.
 */
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../shared/events.ts';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { SCOPE_DIMENSIONS, type ScopeKey } from '../../shared/scope.ts';
import { WINDOWS } from '../../shared/time.ts';
import { randomStream } from '../../test/fixtures/random-stream.ts';
import { seededRandom, shuffled } from '../../test/fixtures/test-server.ts';
import { Ingestor, type BatchItem } from '../ingest/ingestor.ts';
import { MemoryEventLog } from '../store/event-log.ts';
import { KpiEngine } from './kpi-engine.ts';

const NOW_MS = Date.parse('2026-11-20T16:00:00+08:00');

function newPipeline(nowMs = NOW_MS) {
  const clock = { now: () => nowMs };
  const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
  const ingestor = new Ingestor({ log: new MemoryEventLog(), engine, clock, pseudonymKey: 'key', maxFutureSkewSec: 300 });
  return { engine, ingestor };
}

const items = (values: unknown[]): BatchItem[] => values.map((value, index) => ({ index, value }));

function expectSameFigures(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [key, figures] of Object.entries(expected)) {
    const got = actual[key] as Record<string, { value: number | null; num?: number; den?: number }>;
    for (const [name, value] of Object.entries(figures as typeof got)) {
      for (const part of ['value', 'num', 'den'] as const) {
        const want = value[part];
        if (want === undefined || want === null) expect(got[name][part], `${key} ${name} ${part}`).toBe(want);
        else expect(got[name][part], `${key} ${name} ${part}`).toBeCloseTo(want, 6);
      }
    }
  }
}

function allFigures(engine: KpiEngine): Record<string, unknown> {
  const keys: ScopeKey[] = ['centre', ...SCOPE_DIMENSIONS.flatMap((d) => engine.scopeKeys(d))];
  const out: Record<string, unknown> = {};
  for (const key of keys) for (const window of WINDOWS) out[`${key}@${window}`] = engine.snapshot(key, window).kpis;
  return out;
}

describe('KpiEngine: order and repetition do not change the figures', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: shuffled with duplicates equals in order once`, async () => {
      const events = randomStream(seed, NOW_MS);
      const ordered = newPipeline();
      await ordered.ingestor.ingest(items(events));

      const random = seededRandom(seed * 7919);
      const messy = newPipeline();
      const stream = shuffled([...events, ...shuffled(events, random).slice(0, events.length / 4)], random);
      for (let i = 0; i < stream.length; i += 37) await messy.ingestor.ingest(items(stream.slice(i, i + 37)));

      const expected = allFigures(ordered.engine);
      expect(Object.keys(expected).length).toBeGreaterThan(60);
      const centre = ordered.engine.snapshot('centre', 'today').kpis;
      // The stream exercises every kind of figure, so equality below means something.
      for (const name of ['answered', 'abandoned', 'shortAbandoned', 'flowedOut', 'handled', 'transferred'] as const) {
        expect(centre[name].value, name).toBeGreaterThan(0);
      }
      for (const name of ['fcr', 'csat', 'closureRate', 'escalationCompliance', 'occupancy', 'writtenFirstResponse'] as const) {
        expect(centre[name].den, name).toBeGreaterThan(0);
      }
      expectSameFigures(allFigures(messy.engine), expected);
    });
  }

  for (const seed of [6, 7, 8]) {
    it(`seed ${seed}: events applied in batches give what they give one by one`, () => {
      const random = seededRandom(seed);
      // Agents moved to another team mid-stream: their contacts answered after that move with them.
      const moves = Array.from({ length: 8 }, (_, i) => ({ id: `move-${i}`, type: 'agent.state', ts: NOW_MS - 100 * 60_000 + i * 5 * 60_000, agentId: `a${i}`, state: 'ready', team: 'moved' }));
      const events = shuffled([...randomStream(seed, NOW_MS), ...moves], random).map((input, i) => {
        const result = validateEvent(input, `event[${i}]`);
        if (!result.ok) throw new Error(result.error);
        return result.event;
      });
      const clock = { now: () => NOW_MS };
      const oneByOne = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
      for (const event of events) oneByOne.apply(event);
      const batched = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
      // Batches of 1 to 400 events: a contact's events land in one batch or across several.
      for (let i = 0; i < events.length;) {
        const size = 1 + Math.floor(random() * 400);
        batched.applyBatch(events.slice(i, i + size));
        i += size;
      }
      const expected = allFigures(oneByOne);
      expect(Object.keys(expected).length).toBeGreaterThan(60);
      expect((expected['centre@today'] as Record<string, { value: number }>).answered.value).toBeGreaterThan(0);
      expect((expected['team:moved@today'] as Record<string, { value: number }>).handled.value).toBeGreaterThan(0);
      expectSameFigures(allFigures(batched), expected);
      // The waiting contacts too (in queue, longest wait), scope by scope.
      for (const key of Object.keys(expected)) {
        const [scope, window] = key.split('@') as [ScopeKey, (typeof WINDOWS)[number]];
        expect(batched.snapshot(scope, window).kpis.inQueue, key).toEqual(oneByOne.snapshot(scope, window).kpis.inQueue);
        expect(batched.snapshot(scope, window).kpis.longestWaitSec, key).toEqual(oneByOne.snapshot(scope, window).kpis.longestWaitSec);
      }
    });
  }

  it('counts only the latest contact of a customer with hundreds of calls as first-contact resolved, in any order', () => {
    const random = seededRandom(42);
    const clock = { now: () => NOW_MS };
    const events = [];
    // Three callers (one behind a switchboard) with 50, 200 and 400 contacts over the last 15 h,
    // each resolved at first contact by the agent; the repeat rule makes all but the latest not-first.
    for (const [c, calls] of [[0, 50], [1, 200], [2, 400]] as const) {
      for (let k = 0; k < calls; k++) {
        const contactId = `c${c}-${k}`;
        const ts = NOW_MS - 15 * 3600_000 + Math.floor(random() * 14 * 3600_000);
        events.push(
          { id: `${contactId}-o`, type: 'contact.offered', ts, contactId, queue: 'general', site: 'hz', channel: 'phone', customerRef: `cust-${c}` },
          { id: `${contactId}-a`, type: 'contact.answered', ts: ts + 5_000, contactId, agentId: 'a1' },
          { id: `${contactId}-r`, type: 'contact.resolved', ts: ts + 60_000, contactId, firstContact: true },
        );
      }
    }
    const stream = shuffled(events, random).map((input, i) => {
      const result = validateEvent(input, `event[${i}]`);
      if (!result.ok) throw new Error(result.error);
      return result.event;
    });
    const batched = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
    for (let i = 0; i < stream.length; i += 97) batched.applyBatch(stream.slice(i, i + 97));
    const oneByOne = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
    for (const event of stream) oneByOne.apply(event);
    for (const engine of [batched, oneByOne]) {
      expect(engine.snapshot('centre', 'today').kpis.fcr).toEqual({ value: 3 / 650, num: 3, den: 650 });
    }
  });

  it('excludes drill contacts from every figure', async () => {
    const { engine, ingestor } = newPipeline();
    await ingestor.ingest(items([
      { id: 'd1', type: 'contact.offered', ts: NOW_MS - 60_000, contactId: 'd', queue: 'general', site: 'hz', channel: 'phone', drill: true },
      { id: 'd2', type: 'contact.answered', ts: NOW_MS - 50_000, contactId: 'd', agentId: 'a1' },
    ]));
    const kpis = engine.snapshot('centre', 'today').kpis;
    expect(kpis.offered.value).toBe(0);
    expect(kpis.answered.value).toBe(0);
    expect(kpis.inQueue.value).toBe(0);
  });

  it('counts a ticket overdue at its deadline once time passes it, and on time if closed by it', async () => {
    let nowMs = NOW_MS;
    const clock = { now: () => nowMs };
    const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
    const openedMs = NOW_MS - 23 * 3600_000; // simple tier: 24 h deadline, 1 h from now
    const base = { tier: 'simple', category: 'billing' } as const;
    engine.apply({ id: 't1', type: 'ticket.opened', ts: openedMs, ticketId: 'late', ...base, complaint: false });
    engine.apply({ id: 't2', type: 'ticket.opened', ts: openedMs, ticketId: 'ok', ...base, complaint: false });
    engine.apply({ id: 't3', type: 'ticket.closed', ts: NOW_MS - 1000, ticketId: 'ok', confirmed: true });
    expect(engine.snapshot('centre', 'today').kpis.closureRate).toEqual({ value: 1, num: 1, den: 1 });
    nowMs = openedMs + 24 * 3600_000 + 1;
    expect(engine.snapshot('centre', 'today').kpis.closureRate).toEqual({ value: 0.5, num: 1, den: 2 });
    expect(engine.snapshot('centre', '15m').kpis.closureRate.den).toBe(1);
  });

  it('starts a new day at local midnight in the centre time zone', async () => {
    let nowMs = Date.parse('2026-11-20T23:59:00+08:00');
    const clock = { now: () => nowMs };
    const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
    engine.apply({ id: 'o1', type: 'contact.offered', ts: nowMs - 1000, contactId: 'c1', queue: 'q', site: 's', channel: 'phone' });
    engine.apply({ id: 'o2', type: 'contact.answered', ts: nowMs, contactId: 'c1', agentId: 'a' });
    expect(engine.snapshot('centre', 'today').kpis.answered.value).toBe(1);
    nowMs = Date.parse('2026-11-21T00:00:30+08:00');
    expect(engine.snapshot('centre', 'today').kpis.answered.value).toBe(0);
    expect(engine.snapshot('centre', '15m').kpis.answered.value).toBe(1);
    expect(engine.intervals('centre', '2026-11-20').at(-1)?.counters[1]).toBe(1);
  });
});

describe('KpiEngine: a queue within a site (issue 10)', () => {
  /** Adds up a figure over scopes: numerator and denominator of a ratio, else the count. */
  function sum(engine: KpiEngine, scopes: ScopeKey[], name: string): { value: number; num: number; den: number } {
    const total = { value: 0, num: 0, den: 0 };
    for (const scope of scopes) {
      const figure = (engine.snapshot(scope, 'today').kpis as Record<string, { value: number | null; num?: number; den?: number }>)[name];
      // A ratio's value does not add up; its two terms do.
      if (figure.den === undefined) total.value += figure.value ?? 0;
      total.num += figure.num ?? 0;
      total.den += figure.den ?? 0;
    }
    return total;
  }

  /** Equal up to float rounding of sums in another order (wait seconds have fractions). */
  function expectSum(actual: { value: number; num: number; den: number }, expected: { value: number; num: number; den: number }, what: string): void {
    for (const part of ['value', 'num', 'den'] as const) expect(actual[part], `${what} ${part}`).toBeCloseTo(expected[part], 6);
  }

  for (const seed of [1, 2]) {
    it(`seed ${seed}: each queue's figures split exactly across its sites, each site's across its queues`, async () => {
      const { engine, ingestor } = newPipeline();
      await ingestor.ingest(items(randomStream(seed, NOW_MS)));
      const siteQueues = engine.scopeKeys('siteQueue');
      // Two sites serve the same three queues: six site × queue scopes, none listed as a site.
      expect(siteQueues).toEqual(['hz', 'nb'].flatMap((site) => ['complaints', 'general', 'vip'].map((queue) => `site:${site}/queue:${queue}`)));
      expect(engine.scopeKeys('site')).toEqual(['site:hz', 'site:nb']);
      expect(engine.siteQueueKeys('hz')).toEqual(['site:hz/queue:complaints', 'site:hz/queue:general', 'site:hz/queue:vip']);
      // Every contact, ticket and agent of the stream has one site and one queue at a time, so
      // the parts add up to the whole for every count and every ratio's two terms.
      const names = Object.keys(engine.snapshot('centre', 'today').kpis).filter((name) => name !== 'longestWaitSec');
      let checked = 0;
      for (const queue of ['general', 'vip', 'complaints']) {
        for (const name of names) {
          const whole = sum(engine, [`queue:${queue}`], name);
          expectSum(sum(engine, [`site:hz/queue:${queue}`, `site:nb/queue:${queue}`], name), whole, `queue:${queue} ${name}`);
          if (whole.value > 0 || whole.den > 0) checked++;
        }
      }
      for (const site of ['hz', 'nb']) {
        for (const name of ['offered', 'answered', 'abandoned', 'handled', 'answerRate', 'serviceLevel', 'ahtSec', 'fcr', 'closureRate', 'inQueue']) {
          expectSum(sum(engine, engine.siteQueueKeys(site), name), sum(engine, [`site:${site}`], name), `site:${site} ${name}`);
        }
      }
      expect(checked).toBeGreaterThan(40);
      expect(engine.snapshot('site:hz/queue:general', 'today').kpis.offered.value).toBeGreaterThan(0);
    });
  }
});

describe('pins (a batch between its seed and its commit)', () => {
  it('keeps pinned contacts and the contacts of pinned customers through eviction, and lets them go once unpinned', () => {
    const clock = { now: () => NOW_MS };
    const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
    engine.markStoredApplied();
    const settled = (contactId: string, customerRef?: string) => {
      engine.apply({ id: `${contactId}-o`, type: 'contact.offered', ts: NOW_MS - 60_000, contactId, queue: 'q', site: 's', channel: 'phone', ...(customerRef ? { customerRef } : {}) });
      engine.apply({ id: `${contactId}-a`, type: 'contact.answered', ts: NOW_MS - 50_000, contactId, agentId: 'a1' });
      engine.apply({ id: `${contactId}-e`, type: 'contact.ended', ts: NOW_MS - 20_000, contactId, talkSec: 30, holdSec: 0 });
      engine.apply({ id: `${contactId}-w`, type: 'contact.wrapped', ts: NOW_MS - 10_000, contactId, agentId: 'a1' });
    };
    settled('c1');
    settled('c2', 'cust-7');
    settled('c3');
    engine.drainChangedRecords(); // written to the store: settled and unchanged
    const batch = [
      { id: 'late-survey', type: 'survey.response', ts: NOW_MS, contactId: 'c1', score: 5, scale: 5 },
      { id: 'new-call', type: 'contact.offered', ts: NOW_MS, contactId: 'c9', queue: 'q', site: 's', channel: 'phone', customerRef: 'cust-7' },
    ] as const;
    engine.pin(batch);
    engine.pin(batch); // a second batch in flight naming the same
    expect(engine.evictSettled(NOW_MS, 0)).toBe(1); // c3 only: c1 by id, c2 by its customer
    expect(engine.holdsContact('c1') && engine.holdsContact('c2')).toBe(true);
    engine.unpin(batch);
    expect(engine.evictSettled(NOW_MS, 0)).toBe(0);
    engine.unpin(batch);
    expect(engine.evictSettled(NOW_MS, 0)).toBe(2);
    expect(engine.holdsContact('c1') || engine.holdsContact('c2')).toBe(false);
  });
});

/**
 * An engine at NOW_MS whose stored records count as applied (as after a restore), and `settled`:
 * a contact offered, answered and ended (not waiting) a minute to 20 s before NOW_MS.
 */
function engineOverStore(): { engine: KpiEngine; settled: (contactId: string) => void } {
  const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock: { now: () => NOW_MS } });
  engine.markStoredApplied();
  const settled = (contactId: string) => {
    engine.apply({ id: `${contactId}-o`, type: 'contact.offered', ts: NOW_MS - 60_000, contactId, queue: 'q', site: 's', channel: 'phone' });
    engine.apply({ id: `${contactId}-a`, type: 'contact.answered', ts: NOW_MS - 50_000, contactId, agentId: 'a1' });
    engine.apply({ id: `${contactId}-e`, type: 'contact.ended', ts: NOW_MS - 20_000, contactId, talkSec: 30, holdSec: 0 });
  };
  return { engine, settled };
}

describe('a cap on contacts held (issue 15: bounded memory at any rate)', () => {
  it('lets settled, written contacts go before their idle time while over the cap, oldest first, never a waiting or unwritten one, and keeps the figures', () => {
    const { engine, settled } = engineOverStore();
    for (const id of ['c1', 'c2', 'c3', 'c4']) settled(id);
    engine.apply({ id: 'w-o', type: 'contact.offered', ts: NOW_MS - 5_000, contactId: 'waiting', queue: 'q', site: 's', channel: 'phone' });
    engine.drainChangedRecords(); // written to the store
    settled('c5'); // changed since the write: not yet in the store
    const before = engine.snapshot('centre', 'today').kpis;
    // Nothing is idle for a minute: without a cap nothing goes.
    expect(engine.evictSettled(NOW_MS, 60_000)).toBe(0);
    // Six held, cap 3: three go, the oldest settled and written ones (c1, c2, c3).
    expect(engine.evictSettled(NOW_MS, 60_000, 3)).toBe(3);
    expect(['c1', 'c2', 'c3'].some((id) => engine.holdsContact(id))).toBe(false);
    expect(['c4', 'waiting', 'c5'].every((id) => engine.holdsContact(id))).toBe(true);
    // Still over a cap of 1: c4 goes; the waiting contact and the unwritten c5 stay.
    expect(engine.evictSettled(NOW_MS, 60_000, 1)).toBe(1);
    expect(engine.holdsContact('waiting') && engine.holdsContact('c5')).toBe(true);
    const after = engine.snapshot('centre', 'today').kpis;
    expect(after.offered.value).toBe(before.offered.value);
    expect(after.answered.value).toBe(before.answered.value);
    expect(after.offered.value).toBe(6);
  });
});

describe('an eviction pass in steps (the event loop runs between them)', () => {
  it('lets go of what a one-task pass would, but keeps a contact changed or a batch pinned while it waited', () => {
    const { engine, settled } = engineOverStore();
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
    for (const id of ids) settled(id);
    engine.drainChangedRecords(); // written to the store
    const before = engine.snapshot('centre', 'today').kpis;
    // Idle time 0: all ten may go; two contacts looked at per step.
    const pass = engine.evictSettledSteps(NOW_MS, 0, Infinity, 2);
    let steps = 0;
    let step = pass.next();
    for (; !step.done; step = pass.next()) {
      steps++;
      // While the pass waits after its first step (c0 gone, c1 next): c5 changes, and a batch naming c8 is between its seed and its commit.
      if (steps === 1) {
        expect([engine.holdsContact('c0'), engine.holdsContact('c1')]).toEqual([false, true]);
        engine.apply({ id: 'c5-w', type: 'contact.wrapped', ts: NOW_MS - 10_000, contactId: 'c5', agentId: 'a1' });
        engine.pin([{ id: 'c8-s', type: 'survey.response', ts: NOW_MS, contactId: 'c8', score: 5, scale: 5 }]);
      }
    }
    expect(steps).toBe(5);
    expect(step.value).toBe(8);
    expect(ids.filter((id) => engine.holdsContact(id))).toEqual(['c5', 'c8']);
    const after = engine.snapshot('centre', 'today').kpis;
    expect(after.offered.value).toBe(before.offered.value);
    expect(after.answered.value).toBe(10);
  });
});

describe('idle contacts leave memory in the order they came in', () => {
  it('lets go of every contact idle for the idle time, keeps one that came in as long ago but changed since, and one that came in later', () => {
    let nowMs = NOW_MS - 200_000;
    const clock = { now: () => nowMs };
    const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
    engine.markStoredApplied();
    const offerAndEnd = (contactId: string, ts: number) => {
      engine.apply({ id: `${contactId}-o`, type: 'contact.offered', ts, contactId, queue: 'q', site: 's', channel: 'phone' });
      engine.apply({ id: `${contactId}-a`, type: 'contact.answered', ts: ts + 1_000, contactId, agentId: 'a1' });
    };
    for (const id of ['c1', 'c2', 'c3']) offerAndEnd(id, nowMs);
    nowMs += 100_000;
    // c2 came in with c1 and c3, but changed 100 s later.
    engine.apply({ id: 'c2-e', type: 'contact.ended', ts: nowMs, contactId: 'c2', talkSec: 30, holdSec: 0 });
    offerAndEnd('c4', nowMs);
    engine.drainChangedRecords(); // written to the store
    nowMs += 30_000;
    // Idle for 120 s: c1 and c3 (130 s); c2 and c4 were touched 30 s ago.
    expect(engine.evictSettled(nowMs, 120_000)).toBe(2);
    expect(['c1', 'c3'].some((id) => engine.holdsContact(id))).toBe(false);
    expect(['c2', 'c4'].every((id) => engine.holdsContact(id))).toBe(true);
    nowMs += 100_000;
    expect(engine.evictSettled(nowMs, 120_000)).toBe(2);
    expect(engine.snapshot('centre', 'today').kpis.offered.value).toBe(4);
  });
});
