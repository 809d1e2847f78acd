/**
 * Staffing for the duty manager's console (SPEC §4 "required agents", manual 003 §3.1):
 * - `GET /api/v1/staffing/erlang-c?callsPerHour=&ahtSec=&thresholdSec=&targetSl=` (or `&agents=N`
 *   instead of `targetSl`): the what-if calculator, both ways;
 * - `GET /api/v1/staffing?scope=centre|site:X`: per queue of the scope and for the scope itself,
 *   agents required by Erlang C for the last hour's arrivals and AHT to meet the service-level
 *   target, beside agents ready + busy and logged in now, with manual 003's busy-hour seat table.
 * Managers, directors and admins ('staffing:read'); a floor screen never sees staffing.
 */
import { erlangC, MAX_AGENTS, MAX_TRAFFIC_ERLANGS, requiredAgents, trafficErlangs, type ErlangCFigures } from '../../shared/erlang.ts';
import { parseScope, type ScopeKey } from '../../shared/scope.ts';
import type { ErlangCAnswer, Staffing, StaffingRow } from '../../shared/staffing.ts';
import { BUSY_HOUR_SEAT_TABLE, SEAT_TABLE_BEYOND, SEAT_TABLE_STEP_CALLS, seatsByTable } from '../../shared/seat-types.ts';
import { targetsInForce } from '../../shared/targets.ts';
import { DEFAULT_THRESHOLDS } from '../../shared/thresholds.ts';
import { dayKey } from '../../shared/time.ts';
import { DuckDbTargetStore, type TargetStore } from '../reports/target-store.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import { HttpError } from '../errors.ts';
import { requireKnownScope } from './known-scope.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

/** Calls per hour the calculator takes (a whole province's busy hour is far below). */
const MAX_CALLS_PER_HOUR = 10_000_000;
const MAX_SECONDS = 86_400;

/** A number query parameter within [min, max] (`above`: strictly above min); field-named 400 otherwise. */
function numberParam(url: URL, name: string, what: string, range: { min: number; max: number; above?: boolean; below?: boolean; integer?: boolean }, fallback?: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw.trim() === '') {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, `${name}: required, ${what}`);
  }
  const value = Number(raw);
  const inRange =
    Number.isFinite(value) &&
    (range.above ? value > range.min : value >= range.min) &&
    (range.below ? value < range.max : value <= range.max) &&
    (!range.integer || Number.isInteger(value));
  if (!inRange) throw new HttpError(400, `${name}: must be ${what}`);
  return value;
}

/** The what-if calculator's request, validated (shared by tests). */
export function parseErlangRequest(url: URL, defaultThresholdSec: number): { callsPerHour: number; ahtSec: number; thresholdSec: number } & ({ targetSl: number; agents?: undefined } | { agents: number; targetSl?: undefined }) {
  const callsPerHour = numberParam(url, 'callsPerHour', `a number of calls per hour from 0 to ${MAX_CALLS_PER_HOUR}`, { min: 0, max: MAX_CALLS_PER_HOUR });
  const ahtSec = numberParam(url, 'ahtSec', `an average handle time in seconds above 0, at most ${MAX_SECONDS}`, { min: 0, max: MAX_SECONDS, above: true });
  const thresholdSec = numberParam(url, 'thresholdSec', `a service-level threshold in seconds from 0 to ${MAX_SECONDS}`, { min: 0, max: MAX_SECONDS }, defaultThresholdSec);
  if (trafficErlangs(callsPerHour, ahtSec) > MAX_TRAFFIC_ERLANGS) {
    throw new HttpError(400, `callsPerHour: callsPerHour × ahtSec / 3600 must be at most ${MAX_TRAFFIC_ERLANGS} Erlangs`);
  }
  const hasTarget = url.searchParams.has('targetSl');
  const hasAgents = url.searchParams.has('agents');
  if (hasTarget === hasAgents) throw new HttpError(400, 'targetSl: give either targetSl (agents needed for a target) or agents (what they achieve), not both and not neither');
  if (hasTarget) {
    const targetSl = numberParam(url, 'targetSl', 'a fraction strictly between 0 and 1 (0.8 = 80 %)', { min: 0, max: 1, above: true, below: true });
    return { callsPerHour, ahtSec, thresholdSec, targetSl };
  }
  const agents = numberParam(url, 'agents', `a whole number of agents from 0 to ${MAX_AGENTS}`, { min: 0, max: MAX_AGENTS, integer: true });
  return { callsPerHour, ahtSec, thresholdSec, agents };
}

/** The staffing row of one scope from the engine's live figures. */
export function staffingRow(engine: KpiEngine, scope: ScopeKey, thresholdSec: number, targetSl: number): StaffingRow {
  const hour = engine.snapshot(scope, '60m');
  const callsLastHour = hour.kpis.offered.value ?? 0;
  let ahtSec = hour.kpis.ahtSec.value;
  let ahtWindow: StaffingRow['ahtWindow'] = ahtSec === null ? null : '60m';
  if (ahtSec === null) {
    ahtSec = engine.snapshot(scope, 'today').kpis.ahtSec.value;
    if (ahtSec !== null) ahtWindow = 'today';
  }
  const agents = hour.live.agents;
  const readyBusy = agents.ready + agents.busy;
  const loggedIn = readyBusy + agents.acw + agents.not_ready;
  const traffic = ahtSec === null ? 0 : trafficErlangs(callsLastHour, ahtSec);
  // Without calls nobody is needed; without an AHT (nothing handled today) Erlang C has no input.
  const computable = ahtSec !== null && ahtSec > 0 && traffic <= MAX_TRAFFIC_ERLANGS;
  let required: number | null = callsLastHour === 0 ? 0 : null;
  let atRequired: ErlangCFigures | null = null;
  if (callsLastHour > 0 && computable) {
    required = requiredAgents(callsLastHour, ahtSec!, thresholdSec, targetSl);
    atRequired = erlangC(required, callsLastHour, ahtSec!, thresholdSec);
  }
  return {
    scope,
    callsLastHour,
    ahtSec,
    ahtWindow,
    thresholdSec,
    targetSl,
    trafficErlangs: traffic,
    required,
    serviceLevelAtRequired: callsLastHour === 0 ? 1 : (atRequired?.serviceLevel ?? null),
    readyBusy,
    loggedIn,
    serviceLevelNow: callsLastHour === 0 ? 1 : computable ? erlangC(readyBusy, callsLastHour, ahtSec!, thresholdSec).serviceLevel : null,
    tableSeats: seatsByTable(callsLastHour),
  };
}

export function staffingRoutes(context: RouteContext, store?: TargetStore): Routes {
  const { access, config, engine, clock } = context;
  const targets: TargetStore | null = store ?? (context.records ? new DuckDbTargetStore(context.records.connect) : null);

  /** The service-level target in force today (a director may have changed SPEC §5's default). */
  const targetSlToday = async (): Promise<number> => {
    const fallback = DEFAULT_THRESHOLDS.serviceLevel?.target ?? 0.9;
    if (!targets) return fallback;
    const inForce = targetsInForce(await targets.list(), dayKey(clock.now(), config.timeZone));
    return inForce.serviceLevel?.target ?? fallback;
  };

  return {
    'GET /api/v1/staffing/erlang-c': (req, res, url) => {
      access.requirePermission(req, 'staffing:read');
      const request = parseErlangRequest(url, config.kpi.serviceLevelSec);
      const { callsPerHour, ahtSec, thresholdSec } = request;
      const agents = request.agents ?? requiredAgents(callsPerHour, ahtSec, thresholdSec, request.targetSl!);
      const figures = erlangC(agents, callsPerHour, ahtSec, thresholdSec);
      sendJson(res, 200, { ...figures, callsPerHour, ahtSec, thresholdSec, targetSl: request.targetSl ?? null } satisfies ErlangCAnswer);
    },
    'GET /api/v1/staffing': async (req, res, url) => {
      access.requirePermission(req, 'staffing:read');
      const scope = url.searchParams.get('scope') ?? 'centre';
      const parsed = parseScope(scope);
      if (!parsed || (parsed.dimension !== 'centre' && parsed.dimension !== 'site')) {
        throw new HttpError(400, 'scope: centre or site:X (staffing is per queue of the centre or of one site)');
      }
      requireKnownScope(context.knownScope, scope);
      const thresholdSec = config.kpi.serviceLevelSec;
      const targetSl = await targetSlToday();
      const queues = parsed.dimension === 'site' ? engine.siteQueueKeys(parsed.name) : engine.scopeKeys('queue');
      const rows = queues.map((queue) => staffingRow(engine, queue, thresholdSec, targetSl));
      // Worst first: the largest shortfall of agents taking calls against Erlang C.
      const shortfall = (r: StaffingRow) => (r.required ?? 0) - r.readyBusy;
      rows.sort((a, b) => shortfall(b) - shortfall(a) || a.scope.localeCompare(b.scope));
      sendJson(res, 200, {
        scope,
        asOf: new Date(clock.now()).toISOString(),
        rows,
        centre: staffingRow(engine, scope as ScopeKey, thresholdSec, targetSl),
        // Queues staffed apart need more agents than one pooled queue: the sum, for comparison.
        requiredByQueues: rows.every((r) => r.required !== null) ? rows.reduce((sum, r) => sum + r.required!, 0) : null,
        seatTable: BUSY_HOUR_SEAT_TABLE.map((row) => ({ ...row })),
        seatTableBeyond: { aboveCallsPerHour: BUSY_HOUR_SEAT_TABLE[BUSY_HOUR_SEAT_TABLE.length - 1].callsPerHour, everyCalls: SEAT_TABLE_STEP_CALLS, addSeats: SEAT_TABLE_BEYOND },
      } satisfies Staffing);
    },
  };
}
