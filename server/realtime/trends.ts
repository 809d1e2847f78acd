/**
 * The last hour of the headline figures, one sample a minute, for the sparklines and trend arrows
 * of wallboard tiles. Kept on the server so a TV that reloads (after a deployment, a power cut)
 * shows the hour at once instead of an empty line. Samples the centre, every site, and any other
 * scope a screen asked for lately; a few numbers per scope, so 500 queues cost nothing worth noting.
 */
import type { TrendSeries } from '../../shared/alerts.ts';
import { addCounters, computeKpis, emptyLiveState, longestWaitSec, newCounters, type Counters, type KpiName, type Kpis, type KpiSettings, type LiveState } from '../../shared/kpi.ts';
import { scopeDimension, type ScopeKey } from '../../shared/scope.ts';
import type { KpiWindow } from '../../shared/time.ts';

export const TREND_KPIS = ['inQueue', 'longestWaitSec', 'serviceLevel', 'answerRate', 'abandonRate', 'asaSec', 'ahtSec', 'fcr', 'csat', 'closureRate'] as const satisfies readonly KpiName[];
export const TREND_POINTS = 60;
const STEP_MS = 60_000;
/** A scope nobody asked about for this long is no longer sampled. */
const WANTED_FOR_MS = 15 * 60_000;
/** Scopes sampled on request at most; beyond, a request gets a one-off sample (bounded memory). */
const MAX_WANTED = 500;

interface Source {
  snapshot(scope: ScopeKey, window: KpiWindow): { kpis: Kpis; live: LiveState };
  scopeKeys(dimension: 'site'): ScopeKey[];
  /**
   * Today's 15-minute intervals of a scope (with the day's start), so a scope first sampled now
   * (after a restart, or first asked for) gets its last hour at once, at quarter-hour steps.
   */
  todayIntervals?(scope: ScopeKey, nowMs: number): { dayStartMs: number; intervals: Array<{ startMs: number; counters: Counters }> };
  settings?: KpiSettings;
}

export class TrendHistory {
  private readonly series = new Map<string, { asOf: number; values: Record<string, Array<number | null>> }>();
  private readonly wanted = new Map<string, number>();
  private lastSampleMinute = -1;

  constructor(private readonly source: Source) {}

  /** Samples once per minute of `nowMs` (call it as often as you like). */
  maybeSample(nowMs: number): void {
    const minute = Math.floor(nowMs / STEP_MS);
    if (minute === this.lastSampleMinute) return;
    this.lastSampleMinute = minute;
    const scopes = new Set<string>(['centre', ...this.source.scopeKeys('site')]);
    for (const [scope, at] of this.wanted) {
      if (nowMs - at > WANTED_FOR_MS) this.wanted.delete(scope);
      else scopes.add(scope);
    }
    for (const scope of this.series.keys()) if (!scopes.has(scope)) this.series.delete(scope);
    for (const scope of scopes) this.sample(scope as ScopeKey, nowMs);
  }

  /** The series of a scope; starts sampling it if it was not. */
  get(scope: ScopeKey, nowMs: number): TrendSeries {
    if (this.wanted.size >= MAX_WANTED && !this.wanted.has(scope) && !this.series.has(scope)) {
      const { kpis, live } = this.source.snapshot(scope, 'today');
      const series = Object.fromEntries(TREND_KPIS.map((kpi) => [kpi, [kpi === 'longestWaitSec' && kpis.longestWaitSec.value !== null ? longestWaitSec(live, nowMs) : kpis[kpi].value]]));
      return { scope, asOf: nowMs, stepMs: STEP_MS, series };
    }
    this.wanted.set(scope, nowMs);
    if (!this.series.has(scope)) this.sample(scope, nowMs);
    const entry = this.series.get(scope)!;
    return { scope, asOf: entry.asOf, stepMs: STEP_MS, series: this.withGapFilled(scope, entry) };
  }

  private sample(scope: ScopeKey, nowMs: number): void {
    const { kpis, live } = this.source.snapshot(scope, 'today');
    let entry = this.series.get(scope);
    if (!entry) {
      entry = { asOf: nowMs, values: Object.fromEntries(TREND_KPIS.map((kpi) => [kpi, []])) };
      this.series.set(scope, entry);
    }
    entry.asOf = nowMs;
    for (const kpi of TREND_KPIS) {
      const values = entry.values[kpi];
      values.push(kpi === 'longestWaitSec' && kpis.longestWaitSec.value !== null ? longestWaitSec(live, nowMs) : kpis[kpi].value);
      if (values.length > TREND_POINTS) values.shift();
    }
  }

  /**
   * Less than an hour sampled (a new scope, a restart, a morning's events sent late): the
   * minutes before the first sample come from today's quarter hours as they stand now, worked
   * out again on each request (late events rewrite that past) and never stored.
   */
  private withGapFilled(scope: ScopeKey, entry: { asOf: number; values: Record<string, Array<number | null>> }): Record<string, Array<number | null>> {
    const have = entry.values[TREND_KPIS[0]].length;
    if (have >= TREND_POINTS) return entry.values;
    // Not cached: a screen asks once a minute, and with a full day of quarter hours this took
    // about 85 µs here (2-core machine, shared), so 5,000 screens cost well under a second a minute.
    const earlier = this.backfill(scope, entry.asOf - (have - 1) * STEP_MS, TREND_POINTS - have);
    return Object.fromEntries(TREND_KPIS.map((kpi) => [kpi, [...earlier[kpi], ...entry.values[kpi]]]));
  }

  /**
   * The `points` minutes before `nowMs` from today's intervals: each gets the day's figure with the
   * quarter hour it falls in counted whole (a step line, at most 15 minutes early). Live figures
   * (in queue, longest wait) have no history: null.
   */
  private backfill(scope: ScopeKey, nowMs: number, points: number): Record<string, Array<number | null>> {
    const values: Record<string, Array<number | null>> = Object.fromEntries(TREND_KPIS.map((kpi) => [kpi, []]));
    const today = this.source.todayIntervals?.(scope, nowMs);
    if (!today || today.intervals.length === 0) return values;
    const intervals = [...today.intervals].sort((a, b) => a.startMs - b.startMs);
    const sum = newCounters();
    let next = 0;
    const live = emptyLiveState();
    for (let back = points; back >= 1; back--) {
      const atMs = nowMs - back * STEP_MS;
      if (atMs < today.dayStartMs) {
        for (const kpi of TREND_KPIS) values[kpi].push(null);
        continue;
      }
      while (next < intervals.length && intervals[next].startMs <= atMs) addCounters(sum, intervals[next++].counters);
      const kpis = computeKpis(sum, live, atMs, this.source.settings, scopeDimension(scope));
      for (const kpi of TREND_KPIS) values[kpi].push(kpi === 'inQueue' || kpi === 'longestWaitSec' ? null : kpis[kpi].value);
    }
    return values;
  }
}
