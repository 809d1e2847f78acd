/** Intraday intervals: day boundaries on daylight-saving days, agents per interval, scope tests (issue 10). */
import { describe, expect, it } from 'vitest';
import { agentPeaks, intervalKpis, intervalScopeError, scopeMatcher, type AgentHistory } from './intervals.ts';
import { countersFrom, DEFAULT_KPI_SETTINGS } from './kpi.ts';
import { dayIntervalStarts, INTERVAL_MS, isDayKey, localClock, localDayBounds } from './time.ts';

const MIN = 60_000;

describe('dayIntervalStarts: the 15-minute intervals of a local day', () => {
  it('has 96 intervals on an ordinary day in Shanghai, from local midnight (16:00 UTC the day before)', () => {
    const starts = dayIntervalStarts('2026-11-20', 'Asia/Shanghai');
    expect(starts).toHaveLength(96);
    expect(starts[0]).toBe(Date.UTC(2026, 10, 19, 16));
    expect(starts[95]).toBe(Date.UTC(2026, 10, 20, 15, 45));
    expect(localClock(starts[0], 'Asia/Shanghai')).toBe('00:00');
    expect(localClock(starts[95], 'Asia/Shanghai')).toBe('23:45');
  });

  it('has 92 on the day Berlin moves its clocks forward (2026-03-29: 02:00 CET becomes 03:00 CEST)', () => {
    const tz = 'Europe/Berlin';
    const starts = dayIntervalStarts('2026-03-29', tz);
    expect(starts).toHaveLength(92);
    // Local midnight is 23:00 UTC (CET, +1); the next midnight 22:00 UTC (CEST, +2): 23 hours.
    expect(starts[0]).toBe(Date.UTC(2026, 2, 28, 23));
    expect(localDayBounds('2026-03-29', tz).endMs).toBe(Date.UTC(2026, 2, 29, 22));
    const labels = starts.map((s) => localClock(s, tz));
    expect(labels.slice(6, 10)).toEqual(['01:30', '01:45', '03:00', '03:15']);
    expect(labels.some((l) => l.startsWith('02:'))).toBe(false);
    expect(labels.at(-1)).toBe('23:45');
  });

  it('has 100 on the day Berlin moves them back (2026-10-25: 03:00 CEST becomes 02:00 CET), the 02:xx labels twice', () => {
    const tz = 'Europe/Berlin';
    const starts = dayIntervalStarts('2026-10-25', tz);
    expect(starts).toHaveLength(100);
    expect(starts[0]).toBe(Date.UTC(2026, 9, 24, 22));
    expect(localDayBounds('2026-10-25', tz).endMs).toBe(Date.UTC(2026, 9, 25, 23));
    const labels = starts.map((s) => localClock(s, tz));
    expect(labels.filter((l) => l === '02:00')).toHaveLength(2);
    expect(labels.slice(8, 14)).toEqual(['02:00', '02:15', '02:30', '02:45', '02:00', '02:15']);
  });

  it('steps a real quarter hour every time, and ends where the next day begins', () => {
    for (const [day, tz] of [['2026-03-29', 'Europe/Berlin'], ['2026-10-25', 'Europe/Berlin'], ['2026-11-01', 'America/New_York'], ['2026-11-20', 'Asia/Kolkata']]) {
      const starts = dayIntervalStarts(day, tz);
      starts.forEach((s, i) => i > 0 && expect(s - starts[i - 1]).toBe(INTERVAL_MS));
      expect(starts.at(-1)! + INTERVAL_MS).toBe(localDayBounds(day, tz).endMs);
    }
    expect(dayIntervalStarts('2026-11-01', 'America/New_York')).toHaveLength(100);
  });

  it('tells real days from the rest', () => {
    expect(isDayKey('2026-02-28')).toBe(true);
    expect(isDayKey('2026-02-29')).toBe(false);
    expect(isDayKey('2026-13-01')).toBe(false);
    expect(isDayKey('yesterday')).toBe(false);
  });
});

describe('agentPeaks: most agents logged in and ready at any moment of each interval', () => {
  const t0 = Date.UTC(2026, 10, 20, 2, 0); // an interval start
  const starts = [t0, t0 + INTERVAL_MS, t0 + 2 * INTERVAL_MS];
  const histories: AgentHistory[] = [
    // a1: ready from before the day, busy at +5, logged out at +20.
    { agentId: 'a1', episodes: [
      { tsMs: t0 - 60 * MIN, state: 'ready', team: 't1', site: 'hz', queues: ['vip'] },
      { tsMs: t0 + 5 * MIN, state: 'busy', team: 't1', site: 'hz', queues: ['vip'] },
      { tsMs: t0 + 20 * MIN, state: 'logged_out', team: 't1', site: 'hz', queues: ['vip'] },
    ] },
    // a2: logs in ready at +10 (while a1 is busy), not ready at +16, ready at +40.
    { agentId: 'a2', episodes: [
      { tsMs: t0 + 10 * MIN, state: 'ready', team: 't2', site: 'nb', queues: ['general'] },
      { tsMs: t0 + 16 * MIN, state: 'not_ready', team: 't2', site: 'nb', queues: ['general'] },
      { tsMs: t0 + 40 * MIN, state: 'ready', team: 't2', site: 'nb', queues: ['general'] },
    ] },
  ];

  it('counts the whole interval for past intervals', () => {
    // [0,15): a1 ready then busy, a2 ready from 10 → logged in peak 2, ready peak 1 (a1 until 5, a2 from 10).
    // [15,30): a1 busy until 20, a2 not ready from 16 → logged in 2, ready 1 (a2 at 15).
    // [30,45): a2 only → logged in 1, ready 1 (from 40).
    expect(agentPeaks(histories, 'centre', starts, INTERVAL_MS, t0 + 60 * MIN)).toEqual([
      { loggedIn: 2, ready: 1 },
      { loggedIn: 2, ready: 1 },
      { loggedIn: 1, ready: 1 },
    ]);
  });

  it('counts the current interval only up to now, and none that has not begun', () => {
    // Now = +35: [30,45) so far has a2 not ready only.
    expect(agentPeaks(histories, 'centre', starts, INTERVAL_MS, t0 + 35 * MIN)).toEqual([
      { loggedIn: 2, ready: 1 },
      { loggedIn: 2, ready: 1 },
      { loggedIn: 1, ready: 0 },
    ]);
    expect(agentPeaks(histories, 'centre', starts, INTERVAL_MS, t0 + 14 * MIN)[1]).toEqual({ loggedIn: null, ready: null });
  });

  it('counts an agent in the scopes of the episode it is in', () => {
    expect(agentPeaks(histories, 'site:hz', starts, INTERVAL_MS, t0 + 60 * MIN).map((p) => p.loggedIn)).toEqual([1, 1, 0]);
    expect(agentPeaks(histories, 'queue:general', starts, INTERVAL_MS, t0 + 60 * MIN).map((p) => p.ready)).toEqual([1, 1, 1]);
    expect(agentPeaks(histories, 'site:nb/queue:general', starts, INTERVAL_MS, t0 + 60 * MIN).map((p) => p.loggedIn)).toEqual([1, 1, 1]);
    expect(agentPeaks(histories, 'agent:a1', starts, INTERVAL_MS, t0 + 60 * MIN).map((p) => p.loggedIn)).toEqual([1, 1, 0]);
    expect(agentPeaks(histories, 'channel:phone', starts, INTERVAL_MS, t0 + 60 * MIN)[0]).toEqual({ loggedIn: null, ready: null });
  });

  it('takes changes at one instant together: a handover from one agent to another is not two at once', () => {
    const swap: AgentHistory[] = [
      { agentId: 'x', episodes: [{ tsMs: t0, state: 'ready', queues: [] }, { tsMs: t0 + 7 * MIN, state: 'logged_out', queues: [] }] },
      { agentId: 'y', episodes: [{ tsMs: t0 + 7 * MIN, state: 'ready', queues: [] }] },
    ];
    expect(agentPeaks(swap, 'centre', [t0], INTERVAL_MS, t0 + 60 * MIN)).toEqual([{ loggedIn: 1, ready: 1 }]);
  });
});

describe('intervalKpis and scopes', () => {
  it('computes the figures of the interval counters, point-in-time ones null', () => {
    const kpis = intervalKpis(countersFrom({ offered: 10, answered: 8, answeredInSl: 6, abandoned: 2, shortAbandoned: 1, answerWaitSec: 96 }), 0, DEFAULT_KPI_SETTINGS);
    expect(kpis.offered).toEqual({ value: 10 });
    expect(kpis.answerRate).toEqual({ value: 8 / 9, num: 8, den: 9 });
    expect(kpis.serviceLevel).toEqual({ value: 6 / 9, num: 6, den: 9 });
    expect(kpis.asaSec).toEqual({ value: 12, num: 96, den: 8 });
    expect(kpis.inQueue).toEqual({ value: null });
    expect(kpis.agentsReady).toEqual({ value: null });
  });

  it('matches records as the engine files them', () => {
    const contact = { site: 'hz', queue: 'vip', team: 't1', agentId: 'a1', channel: 'phone' };
    for (const scope of ['centre', 'site:hz', 'queue:vip', 'site:hz/queue:vip', 'team:t1', 'agent:a1', 'channel:phone']) {
      expect(scopeMatcher(scope)(contact), scope).toBe(true);
    }
    for (const scope of ['site:nb', 'queue:general', 'site:nb/queue:vip', 'site:hz/queue:general', 'team:t2', 'agent:a2', 'channel:chat', 'planet:x']) {
      expect(scopeMatcher(scope)(contact), scope).toBe(false);
    }
  });

  it('lets the readers of reports in, agents and teams only with kpi:read-agents', () => {
    expect(intervalScopeError('manager', 'team:t1')).toBeNull();
    expect(intervalScopeError('director', 'site:hz/queue:vip')).toBeNull();
    expect(intervalScopeError('display', 'centre')).toMatchObject({ status: 403, message: expect.stringMatching(/^authorization:/) });
    expect(intervalScopeError('admin', 'galaxy:1')).toMatchObject({ status: 400, message: expect.stringMatching(/^scope:/) });
    expect(intervalScopeError('admin', 42)).toMatchObject({ status: 400 });
  });
});
