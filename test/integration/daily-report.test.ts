/**
 * The daily report (GET /api/v1/reports/daily) from the DuckDB store: equal to the live
 * `today` figures scope by scope, the same for a shuffled and repeated stream as for an ordered
 * one, unchanged by re-sent batches, and updated by late events for a day already closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayKey } from '../../shared/time.ts';
import { randomStream } from '../fixtures/random-stream.ts';
import { seededRandom, shuffled, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW_MS = Date.parse('2026-11-20T16:00:00+08:00');
const TODAY = '2026-11-20';
const GROUP_BYS = ['centre', 'site', 'queue', 'team', 'agent', 'channel'] as const;
/** Live-only figures are not part of a report. */
const LIVE = new Set(['inQueue', 'longestWaitSec', 'agentsReady', 'agentsBusy', 'agentsAcw', 'agentsNotReady', 'agentsNotReadyOverLimit']);

type Kpis = Record<string, { value: number | null; num?: number; den?: number }>;

function rounded(kpis: Kpis): Kpis {
  const out: Kpis = {};
  for (const [name, v] of Object.entries(kpis)) {
    if (LIVE.has(name)) continue;
    const r = (x: number | null | undefined) => (x === null || x === undefined ? x : Math.round(x * 1e6) / 1e6);
    out[name] = { value: r(v.value) as number | null, ...(v.num !== undefined ? { num: r(v.num)!, den: r(v.den)! } : {}) };
  }
  return out;
}

describe('daily report from the store', () => {
  let ordered: TestServer;
  let messy: TestServer;
  const events = randomStream(11, NOW_MS - 60_000, 600);

  beforeAll(async () => {
    ordered = await startTestServer({ nowMs: NOW_MS, durable: true });
    messy = await startTestServer({ nowMs: NOW_MS, durable: true });
    for (let i = 0; i < events.length; i += 500) await ordered.post(events.slice(i, i + 500));
    const random = seededRandom(5);
    const stream = shuffled([...events, ...shuffled(events, random).slice(0, 300)], random);
    for (let i = 0; i < stream.length; i += 40) await messy.post(stream.slice(i, i + 40));
  });

  afterAll(async () => {
    await ordered?.close();
    await messy?.close();
  });

  it('equals the live today figures, scope by scope', async () => {
    for (const groupBy of GROUP_BYS) {
      const { status, body } = await ordered.daily({ from: TODAY, to: TODAY, groupBy });
      expect(status).toBe(200);
      expect(body.rows.length, groupBy).toBeGreaterThan(0);
      for (const row of body.rows as Array<{ day: string; group: string; kpis: Kpis }>) {
        expect(row.day).toBe(TODAY);
        const scope = groupBy === 'centre' ? 'centre' : `${groupBy}:${row.group}`;
        const live = (await ordered.kpis(scope, 'today')).body.kpis as Kpis;
        expect(rounded(row.kpis), scope).toEqual(rounded(live));
      }
    }
    const centre = (await ordered.daily({ from: TODAY, to: TODAY })).body.rows[0].kpis as Kpis;
    expect(centre.answered.value).toBeGreaterThan(100);
    expect(centre.fcr.den).toBeGreaterThan(0);
    expect(centre.closureRate.den).toBeGreaterThan(0);
    expect(centre.occupancy.den).toBeGreaterThan(0);
  });

  it('gives the same report for a shuffled, repeated stream as for an ordered one', async () => {
    for (const groupBy of GROUP_BYS) {
      const a = (await ordered.daily({ from: TODAY, to: TODAY, groupBy })).body.rows as Array<{ group: string; kpis: Kpis }>;
      const b = (await messy.daily({ from: TODAY, to: TODAY, groupBy })).body.rows as Array<{ group: string; kpis: Kpis }>;
      expect(b.map((r) => r.group)).toEqual(a.map((r) => r.group));
      b.forEach((row, i) => expect(rounded(row.kpis), `${groupBy} ${row.group}`).toEqual(rounded(a[i].kpis)));
    }
  });

  it('changes nothing when an acknowledged batch is sent again', async () => {
    const before = (await ordered.daily({ from: TODAY, to: TODAY, groupBy: 'queue' })).body;
    const again = await ordered.post(events.slice(0, 500));
    expect(again.body).toEqual({ accepted: 0, duplicates: 500, rejected: [] });
    expect((await ordered.daily({ from: TODAY, to: TODAY, groupBy: 'queue' })).body).toEqual(before);
  });

  it('puts late events for a closed day into that day, and leaves today alone', async () => {
    const threeDaysAgo = NOW_MS - 3 * 86_400_000;
    const day = dayKey(threeDaysAgo, 'Asia/Shanghai');
    const todayBefore = (await ordered.kpis('centre', 'today')).body.kpis as Kpis;
    const late = [
      { id: 'late-1', type: 'contact.offered', ts: threeDaysAgo, contactId: 'old-1', queue: 'vip', site: 'hz', channel: 'phone' },
      { id: 'late-2', type: 'contact.answered', ts: threeDaysAgo + 12_000, contactId: 'old-1', agentId: 'a1' },
      { id: 'late-3', type: 'contact.offered', ts: threeDaysAgo + 60_000, contactId: 'old-2', queue: 'vip', site: 'hz', channel: 'phone' },
      { id: 'late-4', type: 'contact.abandoned', ts: threeDaysAgo + 100_000, contactId: 'old-2' },
    ];
    expect((await ordered.post(shuffled(late, seededRandom(3)))).body.accepted).toBe(4);
    const report = (await ordered.daily({ from: day, to: day, groupBy: 'queue' })).body.rows as Array<{ group: string; kpis: Kpis }>;
    expect(report).toHaveLength(1);
    expect(report[0].group).toBe('vip');
    expect(report[0].kpis.answerRate).toEqual({ value: 0.5, num: 1, den: 2 });
    expect(report[0].kpis.asaSec.value).toBe(12);
    expect(rounded((await ordered.kpis('centre', 'today')).body.kpis)).toEqual(rounded(todayBefore));

    // A resolution today for that old contact counts today, for its queue (the record comes from the store).
    await ordered.post([{ id: 'late-5', type: 'contact.resolved', ts: NOW_MS - 1000, contactId: 'old-1', firstContact: true }]);
    const vipToday = (await ordered.kpis('queue:vip', 'today')).body.kpis as Kpis;
    const vipReport = ((await ordered.daily({ from: TODAY, to: TODAY, groupBy: 'queue' })).body.rows as Array<{ group: string; kpis: Kpis }>).find((r) => r.group === 'vip')!;
    expect(rounded(vipReport.kpis)).toEqual(rounded(vipToday));
    const oldDay = (await ordered.daily({ from: day, to: day, groupBy: 'queue' })).body.rows[0].kpis as Kpis;
    expect(oldDay.answerRate).toEqual({ value: 0.5, num: 1, den: 2 });
  });

  it('turns an earlier day\'s first-contact resolution into a repeat when the caller comes back', async () => {
    const fourDaysAgo = NOW_MS - 4 * 86_400_000;
    const day = dayKey(fourDaysAgo, 'Asia/Shanghai');
    const caller = '+86 139 1234 5678';
    await ordered.post([
      { id: 'rep-1', type: 'contact.offered', ts: fourDaysAgo, contactId: 'rep-old', queue: 'complaints', site: 'hz', channel: 'phone', caller },
      { id: 'rep-2', type: 'contact.answered', ts: fourDaysAgo + 5000, contactId: 'rep-old', agentId: 'a1' },
      { id: 'rep-3', type: 'contact.resolved', ts: fourDaysAgo + 300_000, contactId: 'rep-old', firstContact: true },
    ]);
    const fcrOf = async () => ((await ordered.daily({ from: day, to: day, groupBy: 'queue' })).body.rows as Array<{ group: string; kpis: Kpis }>)
      .find((r) => r.group === 'complaints')!.kpis.fcr;
    expect(await fcrOf()).toEqual({ value: 1, num: 1, den: 1 });
    // The same caller again today, within the 7-day repeat window.
    await ordered.post([{ id: 'rep-4', type: 'contact.offered', ts: NOW_MS - 30_000, contactId: 'rep-new', queue: 'complaints', site: 'hz', channel: 'phone', caller }]);
    expect(await fcrOf()).toEqual({ value: 0, num: 0, den: 1 });
  });

  it('rejects malformed report requests with the field named', async () => {
    expect((await ordered.daily({ from: '2026-13-01' })).status).toBe(400);
    expect((await ordered.daily({ from: 'yesterday' })).body.error).toMatch(/^from:/);
    expect((await ordered.daily({ from: TODAY, to: '2026-11-01' })).body.error).toMatch(/^to:/);
    expect((await ordered.daily({ from: TODAY, groupBy: 'planet' })).body.error).toMatch(/^groupBy:/);
    expect((await ordered.daily({ from: '2026-01-01', to: '2026-12-31' })).body.error).toMatch(/at most 92 days/);
  });
});
