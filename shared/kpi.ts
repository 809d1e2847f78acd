/**
 * KPI definitions (SPEC §4): the additive counters every figure is built from, and one pure
 * function per KPI over those counters. The live engine, the daily report and the browser
 * reports all go through `computeKpis`, so a figure means the same everywhere.
 */

/** Additive counters; each is attributed to the time of its outcome (SPEC §4 "Attribution"). */
export const COUNTER_NAMES = [
  'offered', // at offer time
  'answered', // at answer time
  'answeredInSl', // answered with wait <= T
  'answerWaitSec', // sum of wait of answered contacts
  'abandoned', // at abandon time (short ones included)
  'shortAbandoned', // abandoned with wait < S
  'abandonedInSl', // abandoned with wait <= T (Asterisk SL2 variant)
  'flowedOut', // at flow-out time
  'transferred', // at transfer time
  'handled', // at wrap-up time
  'handleSec', // talk + hold + wrap-up, at wrap-up time
  'resolved', // at resolution time
  'resolvedFirst', // resolved with firstContact and no repeat contact within the repeat window
  'surveys', // at response time
  'surveyTopTwo', // responses in the top two boxes of their scale
  'surveyScore5', // sum of scores normalised to a 5-point scale
  'ticketsOpened', // at open time
  'ticketsClosed', // at close time
  'ticketsOnTime', // closed by the deadline, at close time
  'ticketsOverdue', // not closed by the deadline, at the deadline
  'escalationStepsOnTime', // notify/acknowledge/feedback steps done in time, at the step
  'escalationStepsMissed', // steps not done in time, at their deadline
  'writtenOutcomes', // email/chat/social queue outcomes
  'writtenInTarget', // email/chat answered <= 5 min, social <= 15 min
  'readySec', // agent time in ready, at the end of each ready episode
  'notReadyLongEpisodes', // not-ready episodes longer than the limit, at their end
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
export const COUNTER_COUNT = COUNTER_NAMES.length;

/** Index of each counter in a `Counters` array. */
export const C = Object.fromEntries(COUNTER_NAMES.map((name, i) => [name, i])) as {
  readonly [K in CounterName]: number;
};

/** A set of counters: a Float64Array indexed by `C`. */
export type Counters = Float64Array;

export function newCounters(): Counters {
  return new Float64Array(COUNTER_COUNT);
}

/** `target += sign * delta`, field by field. */
export function addCounters(target: Counters, delta: Counters, sign = 1): void {
  for (let i = 0; i < COUNTER_COUNT; i++) target[i] += sign * delta[i];
}

/** Builds counters from a partial record (handy for tests, reports and fixtures). */
export function countersFrom(values: Partial<Record<CounterName, number>>): Counters {
  const counters = newCounters();
  for (const [name, value] of Object.entries(values)) counters[C[name as CounterName]] = value ?? 0;
  return counters;
}

export function countersToRecord(counters: Counters): Record<CounterName, number> {
  return Object.fromEntries(COUNTER_NAMES.map((name, i) => [name, counters[i]])) as Record<CounterName, number>;
}

/** Live (not windowed) state of a scope. */
export interface LiveState {
  inQueue: number;
  /** Offer time of the oldest contact still waiting, or null when none waits. */
  oldestWaitingTsMs: number | null;
  agents: AgentStateCounts;
  /** Agents currently in not-ready for longer than the limit (manual 003: 5 min). */
  notReadyOverLimit: number;
}

export interface AgentStateCounts {
  ready: number;
  busy: number;
  acw: number;
  not_ready: number;
}

export function emptyLiveState(): LiveState {
  return { inQueue: 0, oldestWaitingTsMs: null, agents: { ready: 0, busy: 0, acw: 0, not_ready: 0 }, notReadyOverLimit: 0 };
}

/** A figure with the numerator and denominator it came from; `value` is null when den is 0. */
export interface KpiValue {
  value: number | null;
  num?: number;
  den?: number;
}

export const KPI_NAMES = [
  'offered',
  'answered',
  'abandoned',
  'shortAbandoned',
  'flowedOut',
  'transferred',
  'handled',
  'answerRate',
  'serviceLevel',
  'abandonRate',
  'asaSec',
  'ahtSec',
  'fcr',
  'csat',
  'csatMean',
  'closureRate',
  'closedOverOpened',
  'escalationCompliance',
  'writtenFirstResponse',
  'occupancy',
  'inQueue',
  'longestWaitSec',
  'agentsReady',
  'agentsBusy',
  'agentsAcw',
  'agentsNotReady',
  'agentsNotReadyOverLimit',
  'notReadyLongEpisodes',
] as const;

export type KpiName = (typeof KPI_NAMES)[number];
export type Kpis = Record<KpiName, KpiValue>;

export type ServiceLevelVariant = 'standard' | 'answered' | 'sl2';

/** Parameters of the definitions (SPEC §4, §5). All times in seconds. */
export interface KpiSettings {
  /** T: an answer is within service level when wait <= T. */
  serviceLevelSec: number;
  /** S: an abandon with wait < S is short. */
  shortAbandonSec: number;
  serviceLevelVariant: ServiceLevelVariant;
  /** A later contact by the same customer within this many days makes a resolution not-first. */
  fcrRepeatDays: number;
  /** First-response limits for written channels (manual 002). */
  writtenResponseSec: { email: number; chat: number; social: number };
  /** Ticket closure deadlines from open (manuals 001/002). */
  ticketDeadlineSec: { simple: number; complex: number; special: number; complaint: number };
  /** Escalation clocks from escalation: notify customer, acknowledge, feedback (manual 002). */
  escalationSec: { notified: number; acknowledged: number; feedback: number };
  /** Not-ready episodes longer than this are flagged (manual 003). */
  notReadyLimitSec: number;
}

export const DEFAULT_KPI_SETTINGS: KpiSettings = {
  serviceLevelSec: 30,
  shortAbandonSec: 5,
  serviceLevelVariant: 'standard',
  fcrRepeatDays: 7,
  writtenResponseSec: { email: 300, chat: 300, social: 900 },
  ticketDeadlineSec: { simple: 24 * 3600, complex: 72 * 3600, special: 72 * 3600, complaint: 72 * 3600 },
  escalationSec: { notified: 3600, acknowledged: 2 * 3600, feedback: 72 * 3600 },
  notReadyLimitSec: 300,
};

function ratio(num: number, den: number): KpiValue {
  return { value: den > 0 ? num / den : null, num, den };
}

function count(value: number): KpiValue {
  return { value };
}

/** answered + abandoned + flowed out − short abandons: the base of the queue-outcome rates. */
export function queueOutcomeBase(c: Counters): number {
  return c[C.answered] + c[C.abandoned] + c[C.flowedOut] - c[C.shortAbandoned];
}

/** 接通率: answered ÷ (answered + abandoned + flowed out − short abandons). */
export function answerRate(c: Counters): KpiValue {
  return ratio(c[C.answered], queueOutcomeBase(c));
}

/**
 * 服务水平. standard: answered ≤ T ÷ (answered + abandoned + flowed out − short abandons);
 * answered: answered ≤ T ÷ answered; sl2 (Asterisk servicelevelperf2, ASTERISK-26559):
 * (answered ≤ T + abandoned ≤ T) ÷ (answered + abandoned): as in Asterisk, short abandons are
 * not set apart and flow-outs (queue timeouts, EXITWITHTIMEOUT) are in neither term.
 */
export function serviceLevel(c: Counters, variant: ServiceLevelVariant = 'standard'): KpiValue {
  switch (variant) {
    case 'answered':
      return ratio(c[C.answeredInSl], c[C.answered]);
    case 'sl2':
      return ratio(c[C.answeredInSl] + c[C.abandonedInSl], c[C.answered] + c[C.abandoned]);
    default:
      return ratio(c[C.answeredInSl], queueOutcomeBase(c));
  }
}

/** 放弃率: (abandoned − short abandons) ÷ (answered + abandoned + flowed out − short abandons). */
export function abandonRate(c: Counters): KpiValue {
  return ratio(c[C.abandoned] - c[C.shortAbandoned], queueOutcomeBase(c));
}

/** ASA: Σ wait of answered ÷ answered, in seconds. */
export function asaSec(c: Counters): KpiValue {
  return ratio(c[C.answerWaitSec], c[C.answered]);
}

/** AHT: Σ (talk + hold + wrap-up) ÷ handled, in seconds. */
export function ahtSec(c: Counters): KpiValue {
  return ratio(c[C.handleSec], c[C.handled]);
}

/** 首次解决率: resolved first-contact (and not repeated within the window) ÷ resolved. */
export function fcr(c: Counters): KpiValue {
  return ratio(c[C.resolvedFirst], c[C.resolved]);
}

/** 满意度: responses in the top two boxes ÷ responses. */
export function csat(c: Counters): KpiValue {
  return ratio(c[C.surveyTopTwo], c[C.surveys]);
}

/** Mean satisfaction score on a 5-point scale. */
export function csatMean(c: Counters): KpiValue {
  return ratio(c[C.surveyScore5], c[C.surveys]);
}

/** 结案率/闭环率: tickets closed on time ÷ (on time + overdue). */
export function closureRate(c: Counters): KpiValue {
  return ratio(c[C.ticketsOnTime], c[C.ticketsOnTime] + c[C.ticketsOverdue]);
}

/** Tickets closed ÷ tickets opened in the same window. */
export function closedOverOpened(c: Counters): KpiValue {
  return ratio(c[C.ticketsClosed], c[C.ticketsOpened]);
}

/** Escalation steps (notify 1 h, acknowledge 2 h, feedback 72 h) done in time ÷ steps due. */
export function escalationCompliance(c: Counters): KpiValue {
  return ratio(c[C.escalationStepsOnTime], c[C.escalationStepsOnTime] + c[C.escalationStepsMissed]);
}

/** Written first response: answered within the channel limit ÷ written queue outcomes. */
export function writtenFirstResponse(c: Counters): KpiValue {
  return ratio(c[C.writtenInTarget], c[C.writtenOutcomes]);
}

/** Occupancy: handle time ÷ (handle time + ready time). */
export function occupancy(c: Counters): KpiValue {
  return ratio(c[C.handleSec], c[C.handleSec] + c[C.readySec]);
}

/** Longest current wait in whole seconds at `nowMs` (0 when nobody waits). */
export function longestWaitSec(live: LiveState, nowMs: number): number {
  if (live.oldestWaitingTsMs === null) return 0;
  return Math.max(0, Math.floor((nowMs - live.oldestWaitingTsMs) / 1000));
}

/**
 * Queue outcomes (issue 11): what happened to contacts in a queue. Abandons, flow-outs and waits
 * have no team or agent, so at team and agent scope these figures mean nothing (every team would
 * show answer rate 100 %) and are null, shown as "—". `answered`, ASA, AHT, handled, transferred
 * and the rest stay: they are agents' outcomes.
 */
export const QUEUE_OUTCOME_KPIS = [
  'offered',
  'abandoned',
  'shortAbandoned',
  'flowedOut',
  'answerRate',
  'serviceLevel',
  'abandonRate',
  'inQueue',
  'longestWaitSec',
] as const satisfies readonly KpiName[];

/** Dimensions whose scopes have no queue outcomes (a scope key's, or a report's group-by). */
const WITHOUT_QUEUE_OUTCOMES: ReadonlySet<string> = new Set(['team', 'agent']);

/** Whether a figure means something at a scope of this dimension (`centre`, `site`, ..., `siteQueue`). */
export function kpiApplies(kpi: KpiName, dimension: string): boolean {
  return !WITHOUT_QUEUE_OUTCOMES.has(dimension) || !(QUEUE_OUTCOME_KPIS as readonly string[]).includes(kpi);
}

/** The figures as a scope of this dimension shows them: queue outcomes null at team and agent scope. */
export function forScope(kpis: Kpis, dimension: string): Kpis {
  if (!WITHOUT_QUEUE_OUTCOMES.has(dimension)) return kpis;
  for (const kpi of QUEUE_OUTCOME_KPIS) kpis[kpi] = { value: null };
  return kpis;
}

/**
 * Every KPI of a scope and window: counters of the window plus the scope's live state.
 * `dimension` is the scope's (`scopeDimension`, or a report's group-by): queue outcomes are null
 * at team and agent scope (`forScope`).
 */
export function computeKpis(
  c: Counters,
  live: LiveState,
  nowMs: number,
  settings: Pick<KpiSettings, 'serviceLevelVariant'> = DEFAULT_KPI_SETTINGS,
  dimension = 'centre',
): Kpis {
  return forScope(allKpis(c, live, nowMs, settings), dimension);
}

function allKpis(c: Counters, live: LiveState, nowMs: number, settings: Pick<KpiSettings, 'serviceLevelVariant'>): Kpis {
  return {
    offered: count(c[C.offered]),
    answered: count(c[C.answered]),
    abandoned: count(c[C.abandoned]),
    shortAbandoned: count(c[C.shortAbandoned]),
    flowedOut: count(c[C.flowedOut]),
    transferred: count(c[C.transferred]),
    handled: count(c[C.handled]),
    answerRate: answerRate(c),
    serviceLevel: serviceLevel(c, settings.serviceLevelVariant),
    abandonRate: abandonRate(c),
    asaSec: asaSec(c),
    ahtSec: ahtSec(c),
    fcr: fcr(c),
    csat: csat(c),
    csatMean: csatMean(c),
    closureRate: closureRate(c),
    closedOverOpened: closedOverOpened(c),
    escalationCompliance: escalationCompliance(c),
    writtenFirstResponse: writtenFirstResponse(c),
    occupancy: occupancy(c),
    inQueue: count(live.inQueue),
    longestWaitSec: count(longestWaitSec(live, nowMs)),
    agentsReady: count(live.agents.ready),
    agentsBusy: count(live.agents.busy),
    agentsAcw: count(live.agents.acw),
    agentsNotReady: count(live.agents.not_ready),
    agentsNotReadyOverLimit: count(live.notReadyOverLimit),
    notReadyLongEpisodes: count(c[C.notReadyLongEpisodes]),
  };
}

/** Is a survey score in the top two boxes of its scale (4–5 of 5, 9–10 of 10)? */
export function isTopTwoBox(score: number, scale: number): boolean {
  return score >= scale - 1;
}

/** A survey score on a 5-point scale (1..scale mapped linearly onto 1..5). */
export function scoreOnFivePointScale(score: number, scale: number): number {
  return scale === 5 ? score : 1 + ((score - 1) * 4) / (scale - 1);
}
