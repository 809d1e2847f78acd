/**
 * Intraday 15-minute intervals (SPEC §4, §6: the duty manager's trend charts): the row shape of
 * `GET /api/v1/intervals` and of the `intervals:*` socket events, and the pure parts every source
 * shares: which records a scope takes, the KPIs of one interval's counters, and the agents logged
 * in and ready during each interval, computed from agent-state episodes the same way whether they
 * come from the live engine (today, yesterday) or from the stored events (older days).
 */
import type { AgentStateName } from './events.ts';
import { computeKpis, emptyLiveState, type Counters, type Kpis, type KpiSettings } from './kpi.ts';
import { parseScope, SCOPE_FORMS } from './scope.ts';
import { can, canSeeScope, type Role } from './roles.ts';

/** One 15-minute interval of a local day. */
export interface IntervalRow {
  /** Start and end, epoch ms. */
  startMs: number;
  endMs: number;
  /** Local wall-clock start `HH:mm` in the centre's zone (repeats for an hour on the day the clocks go back). */
  start: string;
  /** The figures of `GET /api/v1/kpis` over the interval's counters; point-in-time figures (in queue, longest wait, agents by state now) are null. */
  kpis: Kpis;
  /** Most agents logged in (any state but logged out) at any moment of the interval; null before it began and for channel scopes. */
  agentsLoggedIn: number | null;
  /** Most agents ready at any moment of the interval; null like `agentsLoggedIn`. */
  agentsReady: number | null;
}

/** A local day's intervals for one scope (`GET /api/v1/intervals` and the `intervals:subscribe` answer). */
export interface IntervalDay {
  scope: string;
  day: string;
  /** Time of the figures (ISO): intervals starting after it have not begun. */
  asOf: string;
  /** `live`: the engine's interval counters (today, yesterday); `store`: computed from stored records. */
  source: 'live' | 'store';
  intervals: IntervalRow[];
}

/** Pushed `intervals:update`: the current interval (or the one just ended) of a subscribed scope changed. */
export interface IntervalUpdate {
  scope: string;
  day: string;
  interval: IntervalRow;
}

/**
 * Why `role` may not read `scope`'s intervals (a field-named message), or null when it may: the
 * readers of the daily reports, team and agent scopes as for live figures. The HTTP route, the
 * socket feed and the socket guard all ask this.
 */
export function intervalScopeError(role: Role, scope: unknown): { status: 400 | 403; message: string } | null {
  if (!can(role, 'reports:read')) return { status: 403, message: `authorization: the ${role} role may not do this (reports:read)` };
  if (typeof scope !== 'string' || !parseScope(scope)) return { status: 400, message: `scope: must be one of ${SCOPE_FORMS}` };
  if (!canSeeScope(role, scope)) return { status: 403, message: `scope: the ${role} role sees centre, site, queue and channel figures only` };
  return null;
}

/** Figures that describe one moment, not a span: not part of an interval. */
export const POINT_IN_TIME_KPIS = ['inQueue', 'longestWaitSec', 'agentsReady', 'agentsBusy', 'agentsAcw', 'agentsNotReady', 'agentsNotReadyOverLimit'] as const;

/**
 * The KPIs of one interval's counters, through the one definition (shared/kpi.ts); `dimension`
 * the scope's (queue outcomes are null at team and agent scope).
 */
export function intervalKpis(counters: Counters, nowMs: number, settings: Pick<KpiSettings, 'serviceLevelVariant'>, dimension = 'centre'): Kpis {
  const kpis = computeKpis(counters, emptyLiveState(), nowMs, settings, dimension);
  for (const name of POINT_IN_TIME_KPIS) kpis[name] = { value: null };
  return kpis;
}

/** What a record or agent episode is known to belong to. */
export interface ScopeFields {
  site?: string | null;
  queue?: string | null;
  /** An agent's queues (skills): the agent counts in each. */
  queues?: readonly string[];
  team?: string | null;
  agentId?: string | null;
  channel?: string | null;
}

/**
 * A test of whether a record counts in `scope`, by the rule the engine files it by
 * (shared/scope.ts `scopesOf` / `inScope`); an agent counts in each of its queues. Built once per
 * scope and allocation-free, as it runs for every agent episode of a day. Unknown scopes match nothing.
 */
export function scopeMatcher(scope: string): (f: ScopeFields) => boolean {
  const parsed = parseScope(scope);
  if (!parsed) return () => false;
  const inQueue = (f: ScopeFields, name: string) => f.queue === name || (f.queues !== undefined && f.queues.includes(name));
  switch (parsed.dimension) {
    case 'centre':
      return () => true;
    case 'siteQueue': {
      const { site, queue } = parsed;
      return (f) => f.site === site && inQueue(f, queue);
    }
    case 'queue': {
      const name = parsed.name;
      return (f) => inQueue(f, name);
    }
    default: {
      const { dimension, name } = parsed;
      const field = dimension === 'agent' ? 'agentId' : dimension;
      return (f) => f[field] === name;
    }
  }
}

/** Agents have no channel: their counts are not figures of a channel scope. */
export function countsAgents(scope: string): boolean {
  return !scope.startsWith('channel:');
}

/** One agent-state episode: from `tsMs` until the agent's next one. */
export interface AgentEpisodeLike {
  tsMs: number;
  state: AgentStateName;
  team?: string;
  site?: string;
  queues: readonly string[];
}

/** An agent's episodes in time order, from the one in force when the day began. */
export interface AgentHistory {
  agentId: string;
  episodes: AgentEpisodeLike[];
}

/**
 * Most agents of `scope` logged in, and ready, at any moment of each interval `[start, start + 15
 * min)`, counting only up to `nowMs` (the current interval's peak so far); null for intervals that
 * have not begun. An agent counts in the scope of the episode it is in (team, site and queues may
 * change between episodes). Changes at the same instant are taken together, so an agent going
 * from ready to busy is never counted twice.
 */
export function agentPeaks(
  histories: Iterable<AgentHistory>,
  scope: string,
  starts: readonly number[],
  intervalMs: number,
  nowMs: number,
): Array<{ loggedIn: number | null; ready: number | null }> {
  if (!countsAgents(scope)) return starts.map(() => ({ loggedIn: null, ready: null }));
  const matches = scopeMatcher(scope);
  const deltas = new Map<number, [number, number]>();
  const addDelta = (tsMs: number, loggedIn: number, ready: number) => {
    const d = deltas.get(tsMs);
    if (d) {
      d[0] += loggedIn;
      d[1] += ready;
    } else deltas.set(tsMs, [loggedIn, ready]);
  };
  for (const { agentId, episodes } of histories) {
    for (let i = 0; i < episodes.length; i++) {
      const e = episodes[i];
      if (e.state === 'logged_out' || !matches({ agentId, team: e.team, site: e.site, queues: e.queues })) continue;
      const endMs = i + 1 < episodes.length ? episodes[i + 1].tsMs : Infinity;
      if (endMs <= e.tsMs) continue;
      const ready = e.state === 'ready' ? 1 : 0;
      addDelta(e.tsMs, 1, ready);
      if (endMs !== Infinity) addDelta(endMs, -1, -ready);
    }
  }
  const times = [...deltas.keys()].sort((a, b) => a - b);
  const out: Array<{ loggedIn: number | null; ready: number | null }> = [];
  let p = 0;
  let loggedIn = 0;
  let ready = 0;
  for (const start of starts) {
    if (start > nowMs) {
      out.push({ loggedIn: null, ready: null });
      continue;
    }
    // The state at the interval's first instant, then every change before its end (or now).
    while (p < times.length && times[p] <= start) {
      const [l, r] = deltas.get(times[p++])!;
      loggedIn += l;
      ready += r;
    }
    let maxLoggedIn = loggedIn;
    let maxReady = ready;
    const until = Math.min(start + intervalMs, nowMs + 1);
    while (p < times.length && times[p] < until) {
      const [l, r] = deltas.get(times[p++])!;
      loggedIn += l;
      ready += r;
      if (loggedIn > maxLoggedIn) maxLoggedIn = loggedIn;
      if (ready > maxReady) maxReady = ready;
    }
    out.push({ loggedIn: maxLoggedIn, ready: maxReady });
  }
  return out;
}
