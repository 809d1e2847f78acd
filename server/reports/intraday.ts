/**
 * A scope's 15-minute intervals of one local day (issue 10: the duty manager's intraday trends),
 * for `GET /api/v1/intervals` and the `intervals:*` socket feed. Today and yesterday come from the
 * live engine's interval counters; older days, and agents (whose intervals the engine does not
 * keep), from the stored records with the same attribution, so both add up to the daily report.
 * Agents logged in and ready come from agent-state episodes (the engine's for the live days, the
 * stored events for older ones) through one function (shared/intervals.ts `agentPeaks`).
 */
import { agentPeaks, intervalKpis, type AgentHistory, type IntervalDay, type IntervalRow } from '../../shared/intervals.ts';
import { newCounters, type Counters } from '../../shared/kpi.ts';
import { scopeDimension, type ScopeKey } from '../../shared/scope.ts';
import { dayIntervalStarts, dayKey, INTERVAL_MS, intervalStart, localClock, localDayBounds } from '../../shared/time.ts';
import type { Config } from '../config.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import type { RecordStore } from '../store/record-store.ts';

/** What the intervals are read from. */
export interface IntradayContext {
  engine: KpiEngine;
  records?: RecordStore;
  config: Pick<Config, 'timeZone' | 'kpi'>;
  clock: { now(): number };
}

export class Intraday {
  constructor(
    private readonly context: IntradayContext,
    /** Writes the records the engine changed, so a read of the store sees the latest events. */
    private readonly flushRecords: () => Promise<void>,
  ) {}

  /**
   * Whether the intervals of `day` for `scope` can be had: the live engine keeps today's and
   * yesterday's (but not agents'); everything else needs the store.
   */
  available(scope: string, day: string): boolean {
    return this.context.records !== undefined || this.fromEngine(scope, day);
  }

  private fromEngine(scope: string, day: string): boolean {
    return day >= this.context.engine.horizonDay && scopeDimension(scope) !== 'agent';
  }

  /** Every interval of `day` (not after today) for `scope`, already validated, allowed and `available`. */
  async day(scope: string, day: string): Promise<IntervalDay> {
    const { engine, records, config, clock } = this.context;
    const tz = config.timeZone;
    const starts = dayIntervalStarts(day, tz);
    const { startMs, endMs } = localDayBounds(day, tz);
    const live = day >= engine.horizonDay;
    const fromEngine = this.fromEngine(scope, day);
    let counters: Map<number, Counters>;
    let stored: AgentHistory[] | null = null;
    if (fromEngine) {
      counters = new Map(engine.intervals(scope as ScopeKey, day).map(({ startMs: start, counters: c }) => [start, c]));
    } else {
      if (!records) throw new Error('intervals: this server runs without a store');
      await this.flushRecords();
      const report = await records.intervals({ day, scope });
      counters = report.counters;
      stored = report.agents;
    }
    // Read after the store (which may have taken a while): the live agents and the time agree.
    const nowMs = clock.now();
    const agents = live ? engine.agentEpisodes(startMs, endMs) : stored!;
    return { scope, day, asOf: new Date(nowMs).toISOString(), source: fromEngine ? 'live' : 'store', intervals: this.rows(scope, starts, endMs, counters, agents, nowMs) };
  }

  /** The agents' episodes `recent` needs (read once a tick for every scope followed). */
  recentAgents(): AgentHistory[] {
    const current = intervalStart(this.context.clock.now());
    return this.context.engine.agentEpisodes(current - INTERVAL_MS, current + INTERVAL_MS);
  }

  /**
   * The current interval and the one before it (late events still land there just after the turn),
   * each with its local day, from the engine alone: cheap enough to compare every tick.
   */
  recent(scope: string, agents: AgentHistory[] = this.recentAgents()): Array<{ day: string; interval: IntervalRow }> {
    const { engine, config, clock } = this.context;
    const nowMs = clock.now();
    const current = intervalStart(nowMs);
    const starts = [current - INTERVAL_MS, current];
    const counters = new Map<number, Counters>();
    for (const start of starts) {
      const c = engine.recentIntervalCounters(scope as ScopeKey, start);
      if (c) counters.set(start, c);
    }
    const rows = this.rows(scope, starts, current + INTERVAL_MS, counters, agents, nowMs);
    return rows.map((interval) => ({ day: dayKey(interval.startMs, config.timeZone), interval }));
  }

  private rows(scope: string, starts: number[], endMs: number, counters: Map<number, Counters>, agents: AgentHistory[], nowMs: number): IntervalRow[] {
    const { config } = this.context;
    const peaks = agentPeaks(agents, scope, starts, INTERVAL_MS, nowMs);
    const none = newCounters();
    return starts.map((start, i) => ({
      startMs: start,
      endMs: Math.min(start + INTERVAL_MS, endMs),
      start: localClock(start, config.timeZone),
      kpis: intervalKpis(counters.get(start) ?? none, nowMs, config.kpi, scopeDimension(scope)),
      agentsLoggedIn: peaks[i].loggedIn,
      agentsReady: peaks[i].ready,
    }));
  }
}
