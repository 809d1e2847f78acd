/**
 * The last hour of the headline figures, one sample a minute, for the sparklines and trend arrows
 * of wallboard tiles. Kept on the server so a TV that reloads (after a deployment, a power cut)
 * shows the hour at once instead of an empty line. Samples the centre, every site, and any other
 * scope a screen asked for lately; a few numbers per scope, so 500 queues cost nothing worth noting.
 */
import type { TrendSeries } from '../../shared/alerts.ts';
import { longestWaitSec, type KpiName, type Kpis, type LiveState } from '../../shared/kpi.ts';
import type { ScopeKey } from '../../shared/scope.ts';
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
      const series = Object.fromEntries(TREND_KPIS.map((kpi) => [kpi, [kpi === 'longestWaitSec' ? longestWaitSec(live, nowMs) : kpis[kpi].value]]));
      return { scope, asOf: nowMs, stepMs: STEP_MS, series };
    }
    this.wanted.set(scope, nowMs);
    if (!this.series.has(scope)) this.sample(scope, nowMs);
    const entry = this.series.get(scope)!;
    return { scope, asOf: entry.asOf, stepMs: STEP_MS, series: entry.values };
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
      values.push(kpi === 'longestWaitSec' ? longestWaitSec(live, nowMs) : kpis[kpi].value);
      if (values.length > TREND_POINTS) values.shift();
    }
  }
}
