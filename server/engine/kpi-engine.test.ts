/**
 * The engine gives the same figures whatever the order and repetition of events (SPEC §3, §8):
 * a seeded stream of every event type, applied in order once, equals the same stream shuffled
 * and partly re-sent, for every scope and window.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { DIMENSIONS, type ScopeKey } from '../../shared/scope.ts';
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

function allFigures(engine: KpiEngine): Record<string, unknown> {
  const keys: ScopeKey[] = ['centre', ...DIMENSIONS.flatMap((d) => engine.scopeKeys(d))];
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
      const actual = allFigures(messy.engine);
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
    });
  }

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
