/**
 * `GET /api/v1/kpis/contacts?scope=&window=&kpi=` (issue 10): the contacts, or tickets, behind a
 * live figure: exactly its formula's population (shared/kpi-population.ts) in the same window
 * as `GET /api/v1/kpis`, so `num` and `den` are the figure's own. Newest first, at most
 * MAX_ROWS rows; the totals cover the whole population.
 *
 * With a store, changed records are written first and the store answers (every contact that
 * left the engine's memory is there, and one query gives totals and rows); without one (tests,
 * a demo) the engine's memory holds every record of the live days and answers itself.
 */
import { effectiveCloseMs, handleSec, queueOutcome, ticketDeadlineMs, waitSec, type ContactRecord, type TicketRecord } from '../../shared/attribution.ts';
import type { DrillRow, KpiContacts } from '../../shared/kpi-contacts.ts';
import { compilePopulation, DRILLABLE_KPIS, NOT_DRILLABLE, populationOf, sharesOf, type Occurrence, type Population } from '../../shared/kpi-population.ts';
import { kpiApplies, KPI_NAMES, type KpiName } from '../../shared/kpi.ts';
import { localDateTime } from '../../shared/local-time.ts';
import { maskCustomerRef } from '../../shared/report-extract.ts';
import { canSeeScope } from '../../shared/roles.ts';
import { parseScope, SCOPE_FORMS, type ParsedScope } from '../../shared/scope.ts';
import { WINDOWS, type KpiWindow } from '../../shared/time.ts';
import { storedPopulation, type StoredPopulation, type StoredShareRow } from '../store/kpi-population-sql.ts';
import { HttpError } from '../errors.ts';
import { requireKnownScope } from './known-scope.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

/** Rows returned at most; `truncated` says when the population has more. */
export const MAX_ROWS = 5000;

const ESCALATION_STEPS = ['notified', 'acknowledged', 'feedback'] as const;

/** Reads and checks `scope`, `window` and `kpi` (field-named 400s that never echo the input). */
function parseQuery(url: URL): { scope: string; parsed: ParsedScope; window: KpiWindow; kpi: KpiName } {
  const scope = url.searchParams.get('scope') ?? 'centre';
  const parsed = parseScope(scope);
  if (!parsed) throw new HttpError(400, `scope: must be one of ${SCOPE_FORMS}`);
  const window = (url.searchParams.get('window') ?? 'today') as KpiWindow;
  if (!WINDOWS.includes(window)) throw new HttpError(400, `window: must be one of ${WINDOWS.join(', ')}`);
  const kpi = url.searchParams.get('kpi') as KpiName | null;
  if (kpi === null || !KPI_NAMES.includes(kpi)) throw new HttpError(400, `kpi: must be one of ${DRILLABLE_KPIS.join(', ')}`);
  const why = NOT_DRILLABLE[kpi];
  if (why !== undefined) throw new HttpError(400, `kpi: ${kpi} ${why}; it has no contacts behind it (drillable: ${DRILLABLE_KPIS.join(', ')})`);
  return { scope, parsed, window, kpi };
}

export function kpiContactRoutes(context: RouteContext, flushRecords: () => Promise<void>): Routes {
  const { access, config, engine, records, clock } = context;
  const tz = config.timeZone;
  const local = (ms: number | null | undefined) => localDateTime(ms, tz);

  /** The step of an escalation row: the one done, or due, at the row's time. */
  const stepAt = (tsMs: number, escalatedMs: number | null | undefined, done: Record<(typeof ESCALATION_STEPS)[number], number | null | undefined>) => {
    for (const step of ESCALATION_STEPS) {
      if (done[step] === tsMs) return step;
      if (escalatedMs !== null && escalatedMs !== undefined && escalatedMs + config.kpi.escalationSec[step] * 1000 === tsMs) return step;
    }
    return null;
  };

  const ticketOutcome = (occurrence: Occurrence, inNumerator: boolean, closedMs: number | null | undefined, deadlineMs: number | null | undefined): string => {
    switch (occurrence) {
      case 'closed':
        return deadlineMs === null || deadlineMs === undefined || (closedMs ?? Infinity) <= deadlineMs ? 'closed_on_time' : 'closed_late';
      case 'escalation-step':
        return inNumerator ? 'step_on_time' : 'step_missed';
      default:
        return occurrence;
    }
  };

  /** A row as the API gives it; plain literals, as a request builds thousands of them. */
  const row = (population: Population, r: StoredShareRow): DrillRow => {
    const inNumerator = r.num !== 0;
    const value = population.shape === 'mean' ? r.num : null;
    if (population.source === 'contacts') {
      return {
        id: r.id, kind: 'contact', occurrence: r.occurrence, countsAt: local(r.tsMs)!, inNumerator, inDenominator: r.den !== 0, numShare: r.num, denShare: r.den,
        customer: maskCustomerRef(r.customerRef), offeredAt: local(r.offeredMs), outcomeAt: local(r.outcomeMs), waitSec: r.waitSec ?? null, handleSec: r.handleSec ?? null,
        agent: r.agentId ?? null, team: r.team, site: r.site, queue: r.queue, channel: r.channel, outcome: r.outcome ?? null, firstContact: r.firstContact ?? null,
        surveyScore: r.surveyScore ?? null, value,
      };
    }
    return {
      id: r.id, kind: 'ticket', occurrence: r.occurrence, countsAt: local(r.tsMs)!, inNumerator, inDenominator: r.den !== 0, numShare: r.num, denShare: r.den,
      customer: null, offeredAt: null, outcomeAt: local(r.closedMs), waitSec: null, handleSec: null, agent: null, team: r.team, site: r.site, queue: r.queue,
      channel: r.channel, outcome: ticketOutcome(r.occurrence, inNumerator, r.closedMs, r.deadlineMs), firstContact: null, surveyScore: null, value,
      tier: r.tier ?? null, category: r.category ?? null, complaint: r.complaint ?? null, openedAt: local(r.openedMs), deadlineAt: local(r.deadlineMs),
      closedAt: local(r.closedMs),
      step: r.occurrence === 'escalation-step'
        ? stepAt(r.tsMs, r.escalatedMs, { notified: r.notifiedMs, acknowledged: r.acknowledgedMs, feedback: r.feedbackMs })
        : null,
    };
  };

  /** The population from the engine's memory (no store: memory holds every record of the live days). */
  const fromMemory = (population: Population, scope: string, startMs: number, endMs: number): StoredPopulation => {
    const compiled = compilePopulation(population);
    const out: StoredPopulation = { total: 0, num: 0, den: 0, rows: [] };
    const add = (shares: ReturnType<typeof sharesOf>, detail: (share: (typeof shares)[number]) => StoredShareRow) => {
      for (const share of shares) {
        out.total++;
        out.num += share.num;
        out.den += share.den;
        out.rows.push(detail(share));
      }
    };
    const contactDetail = (r: ContactRecord, team: string | undefined) => {
      const outcome = queueOutcome(r);
      return {
        site: r.site ?? null, queue: r.queue ?? null, team: team ?? null, channel: r.channel ?? null, customerRef: r.customerRef ?? null, agentId: r.agentId ?? null,
        offeredMs: r.offeredTsMs ?? null, outcomeMs: outcome?.tsMs ?? null, outcome: outcome?.outcome ?? null, waitSec: waitSec(r),
        handleSec: r.wrappedTsMs !== undefined ? handleSec(r) : null, firstContact: r.firstContact ?? null, surveyScore: r.surveyScore ?? null,
      };
    };
    const ticketDetail = (t: TicketRecord, scopes: readonly string[]) => ({
      // Queue, site and channel as counted (the ticket's own, else its contact's): from its scope keys.
      site: t.site ?? keyOf(scopes, 'site:'), queue: t.queue ?? keyOf(scopes, 'queue:'), team: t.team ?? null, channel: t.channel ?? keyOf(scopes, 'channel:'),
      tier: t.tier ?? null, category: t.category ?? null, complaint: t.complaint, openedMs: t.openedTsMs ?? null, deadlineMs: ticketDeadlineMs(t, config.kpi), closedMs: effectiveCloseMs(t),
      escalatedMs: t.escalatedTsMs ?? null, notifiedMs: t.notifiedTsMs ?? null, acknowledgedMs: t.acknowledgedTsMs ?? null, feedbackMs: t.feedbackTsMs ?? null,
    });
    engine.forEachHeldRecord(
      (r, team, scopes, contributions) => {
        if (population.source !== 'contacts' || !scopes.includes(scope as never)) return;
        const shares = sharesOf(contributions, compiled, startMs, endMs);
        if (shares.length > 0) add(shares, (s) => ({ id: r.contactId, occurrence: s.occurrence, tsMs: s.tsMs, num: s.num, den: s.den, ...contactDetail(r, team) }));
      },
      (t, scopes, contributions) => {
        if (population.source !== 'tickets' || !scopes.includes(scope as never)) return;
        const shares = sharesOf(contributions, compiled, startMs, endMs);
        if (shares.length > 0) add(shares, (s) => ({ id: t.ticketId, occurrence: s.occurrence, tsMs: s.tsMs, num: s.num, den: s.den, ...ticketDetail(t, scopes) }));
      },
    );
    // Newest first, as the store orders them.
    out.rows.sort((a, b) => b.tsMs - a.tsMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) || (a.occurrence < b.occurrence ? -1 : a.occurrence > b.occurrence ? 1 : 0));
    out.rows.length = Math.min(out.rows.length, MAX_ROWS);
    return out;
  };

  return {
    'GET /api/v1/kpis/contacts': async (req, res, url) => {
      const principal = access.requirePermission(req, 'kpi:drill');
      const { scope, parsed, window, kpi } = parseQuery(url);
      if (!canSeeScope(principal.role, scope)) throw new HttpError(403, `scope: the ${principal.role} role sees centre, site, queue and channel figures only`);
      // Queue outcomes mean nothing for a team or an agent (abandons have neither): no rows behind them.
      if (!kpiApplies(kpi, parsed.dimension)) {
        throw new HttpError(400, `kpi: ${kpi} is a queue outcome, which has no figure at ${parsed.dimension} scope (abandons and waits belong to no team or agent); ask a site, queue or channel`);
      }
      requireKnownScope(context.knownScope, scope);
      const population = populationOf(kpi, config.kpi)!;
      // Records the engine changed since the last write go to the store first (a write under way
      // is waited for anyway: reads of the store queue behind its writes).
      engine.advance(clock.now());
      if (records && engine.hasChangedRecords) await flushRecords();
      const nowMs = clock.now();
      const { startMs, endMs } = engine.windowBounds(window, nowMs);
      const found = records
        ? await records.read((db) => storedPopulation(db, { population, scope: parsed, startMs, endMs, nowMs, settings: config.kpi, maxFutureSkewSec: config.maxFutureSkewSec, limit: MAX_ROWS }))
        : fromMemory(population, scope, startMs, endMs);
      const value = population.shape === 'count' ? found.num : found.den > 0 ? found.num / found.den : null;
      sendJson(res, 200, {
        scope,
        window,
        kpi,
        asOf: new Date(nowMs).toISOString(),
        from: local(startMs),
        source: population.source,
        shape: population.shape,
        value,
        num: found.num,
        den: found.den,
        total: found.total,
        truncated: found.total > found.rows.length,
        rows: found.rows.map((r) => row(population, r)),
      } satisfies KpiContacts);
    },
  };
}

/** The name of the first scope key with this prefix (`site:`, `queue:`, `channel:`), or null. */
function keyOf(scopes: readonly string[], prefix: string): string | null {
  for (const key of scopes) if (key.startsWith(prefix) && !key.includes('/queue:')) return key.slice(prefix.length);
  return null;
}
