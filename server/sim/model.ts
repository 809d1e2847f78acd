/**
 * Seeded, deterministic discrete-event model of a provincial hotline (manual 003): callers arrive
 * on an intraday curve, wait in skill queues, abandon or flow out, are answered by agents who move
 * through ready → busy → acw → ready, get surveyed, call back, and open tickets that escalate and
 * close. It produces ingest-format events (SPEC §3) in time order; time only moves when the caller
 * calls `advance`, and all randomness comes from the seed.
 */
import type { AgentStateName, CallCentreEventInput, TicketTier } from '../../shared/events.ts';
import { DEFAULT_KPI_SETTINGS, type KpiSettings } from '../../shared/kpi.ts';
import { ActionQueue } from './action-queue.ts';
import {
  ARRIVAL_MIX,
  INTERNAL_HELP_RATE,
  MUTUAL_AID_SEC,
  NOT_READY_OVERRUN_RATE,
  NOT_READY_OVERRUN_SEC,
  NOT_READY_REASONS,
  OVERFLOW_SEC,
  ROUTE_KEYS,
  SITES,
  SITE_LOCAL_KEYS,
  TICKET_CATEGORIES,
  TICKET_RATE,
  TRANSFER_RATE,
  TRANSFER_TARGETS,
  WEEKDAY_FACTOR,
  handleProfile,
  intradayFactor,
  routeKeyIndex,
  type QueueId,
  type SimChannel,
} from './org.ts';
import { Rng, deriveSeed, hashUnit } from './prng.ts';
import { SLOT_MIN, planStaffing, type AgentPlan, type StaffingPlan } from './roster.ts';
import { ticketTimeline, type TicketStep } from './ticket-lifecycle.ts';

export interface SimulationOptions {
  /** Unsigned 32-bit seed; with `startMs` it is also part of every id (`sim-<seed>-<start>-<n>`). */
  seed: number;
  /** Simulated time starts here (epoch ms); the first `advance` returns events from this instant on. */
  startMs: number;
  /** Agents on the roster (all shifts together). Default 120. */
  agents?: number;
  /** Multiplies the arrival rate the roster was planned for: 1 = normal day, 1.5 = a bad one. */
  rateFactor?: number;
  /** IANA zone of the centre, for the intraday curve and shift times. Default Asia/Shanghai. */
  timeZone?: string;
  /** Days of ticket history before `startMs` to make up (see `takeBacklog`). Default 0. */
  ticketBacklogDays?: number;
  /** Occasional local surges (a network fault in one city). Default true. */
  incidents?: boolean;
  /** Deadlines and clocks the tickets are timed against. Default DEFAULT_KPI_SETTINGS. */
  settings?: KpiSettings;
}

export const DEFAULT_AGENTS = 120;
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Callers who hang up almost at once (wrong number, IVR greeting): the short abandons. */
const SHORT_ABANDON_RATE = 0.025;
/** Of callers who give up after waiting this long, some press the callback key instead (flow-out `key`). */
const CALLBACK_KEY_AFTER_SEC = 30;
const CALLBACK_KEY_RATE = 0.12;
const RETRY_AFTER_ABANDON_RATE = 0.3;
/** New contacts from a caller of the last days (FCR repeat window). */
const REPEAT_CALLER_RATE = 0.04;
const NOT_FIRST_CONTACT_RATE = 0.02;
const DRILL_RATE = 0.002;
const COMPLAINT_TICKET_SHARE = 0.08;
const SURVEY_RATE: Record<SimChannel, number> = { phone: 0.25, chat: 0.3, email: 0.08, social: 0.08 };
const ABSENCE_RATE = 0.03;
const INCIDENT_DAY_RATE = 0.35;
const INCIDENT_BOOST = 1.6;
const CALLER_POOL_SIZE = 50_000;

const TIER_SHARES: Record<'normal' | 'complaint', ReadonlyArray<[TicketTier, number]>> = {
  normal: [['simple', 0.75], ['complex', 0.22], ['special', 0.03]],
  complaint: [['simple', 0.4], ['complex', 0.45], ['special', 0.15]],
};
const MOBILE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '153', '155', '156', '158', '159', '177', '180', '186', '189'];

/** Where a contact is in its life. */
type ContactPhase = 'waiting' | 'ringing' | 'talking' | 'wrapping' | 'done';

interface SimContact {
  id: string;
  queue: QueueId;
  channel: SimChannel;
  site: string;
  caller?: string;
  drill: boolean;
  key: number;
  offeredMs: number;
  phase: ContactPhase;
  agent: SimAgent | null;
  answeredMs: number;
  transferredTo: QueueId | null;
}

type AgentPhase = 'off' | 'meal' | 'ready' | 'reserved' | 'busy' | 'acw' | 'not_ready';

interface Shift {
  loginMs: number;
  logoutMs: number;
  mealStartMs: number;
}

interface SimAgent {
  plan: AgentPlan;
  index: number;
  /** Priority of each routing key for this agent, -1 when not served. */
  rank: Int16Array;
  phase: AgentPhase;
  /** Bumped on every phase change, so a timer set for an older phase does nothing. */
  token: number;
  online: boolean;
  readyIdx: number;
  readySinceMs: number;
  contact: SimContact | null;
  pendingBreak: boolean;
  pendingMeal: boolean;
  pendingLogout: boolean;
  shift: Shift | null;
  emitted: AgentStateName;
}

interface WaitingList {
  items: SimContact[];
  head: number;
}

interface Incident {
  startMs: number;
  endMs: number;
  siteIndex: number;
}

/**
 * The demo simulator's model. Create it with a seed and a start time, then call `advance` with
 * increasing times; the same options and the same sequence of `advance` targets (or any other
 * split of the same span) give the same events.
 */
export class CallCentreSimulation {
  readonly plan: StaffingPlan;
  readonly options: Required<Omit<SimulationOptions, 'settings'>> & { settings: KpiSettings };
  private readonly rng: Rng;
  private readonly actions = new ActionQueue();
  private readonly agents: SimAgent[];
  private readonly readyAgents: SimAgent[] = [];
  private readonly waiting: WaitingList[] = ROUTE_KEYS.map(() => ({ items: [], head: 0 }));
  private readonly servingCount = new Int32Array(ROUTE_KEYS.length);
  private readonly idPrefix: string;
  private readonly lambdaMaxPerMs: number;
  private readonly siteWeights = SITES.map((s) => s.weight);
  private readonly mixWeights = ARRIVAL_MIX.map((m) => m.share);
  private readonly incidents: Incident[] = [];
  private readonly callerPool: Array<{ caller: string; site: string; tsMs: number }> = [];
  private callerPoolNext = 0;
  private offsetMs = 0;
  private nowMs: number;
  private doneUntilMs: number;
  private out: CallCentreEventInput[] = [];
  private eventSeq = 0;
  private contactSeq = 0;
  private ticketSeq = 0;
  private nextArrivalMs: number;
  private backlog: CallCentreEventInput[] | null = null;
  /** Contacts without a final event yet, so a shutdown can close them. */
  private readonly openContacts = new Set<SimContact>();
  /** Ticket steps scheduled but not yet due, so a shutdown can hand them on (`pendingTicketSteps`). */
  private readonly ticketStepsDue = new Set<{ tsMs: number; ticketId: string; step: TicketStep }>();
  private finished = false;

  constructor(options: SimulationOptions) {
    if (!Number.isFinite(options.startMs)) throw new Error('startMs must be epoch milliseconds');
    this.options = {
      seed: options.seed >>> 0,
      startMs: Math.round(options.startMs),
      agents: options.agents ?? DEFAULT_AGENTS,
      rateFactor: options.rateFactor ?? 1,
      timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
      ticketBacklogDays: options.ticketBacklogDays ?? 0,
      incidents: options.incidents ?? true,
      settings: options.settings ?? DEFAULT_KPI_SETTINGS,
    };
    if (!(this.options.rateFactor >= 0)) throw new Error('rateFactor must be a non-negative number');
    const { seed, startMs } = this.options;
    this.rng = new Rng(deriveSeed(seed, 1));
    this.idPrefix = `sim-${seed}-${startMs.toString(36)}`;
    this.nowMs = startMs;
    this.doneUntilMs = startMs - 1;
    this.plan = planStaffing(this.options.agents);
    this.agents = this.plan.agents.map((plan, index) => newAgent(plan, index));
    // Thinning bound: the busiest weekday, the day-to-day wobble and a city incident together.
    const maxPerHour = this.plan.peakContactsPerHour * this.options.rateFactor * 1.06 * 1.04 * (1 + (INCIDENT_BOOST - 1) * 0.3) * 1.02;
    this.lambdaMaxPerMs = maxPerHour / HOUR_MS;
    this.offsetMs = tzOffsetMs(this.options.timeZone, startMs);

    const today = this.localDay(startMs);
    this.buildDay(today - 1);
    this.buildDay(today);
    this.scheduleDayBuild(today + 1);
    this.nextArrivalMs = startMs;
    this.scheduleNextArrival();
    if (this.options.ticketBacklogDays > 0) this.backlog = this.makeTicketBacklog();
  }

  /** Simulated time reached so far. */
  get simulatedUntilMs(): number {
    return this.doneUntilMs;
  }

  /**
   * Runs the model up to `untilMs` and returns the events with ts in (previous target, untilMs]
   * (the first call: [startMs, untilMs]) in ts order. A target at or before the previous one
   * returns nothing.
   */
  advance(untilMs: number): CallCentreEventInput[] {
    if (this.finished || !(untilMs > this.doneUntilMs)) return [];
    this.out = [];
    while (this.actions.peekTime() <= untilMs) {
      const action = this.actions.pop();
      this.nowMs = action.tsMs;
      action.run();
    }
    this.nowMs = untilMs;
    this.doneUntilMs = untilMs;
    const events = this.out;
    this.out = [];
    return events;
  }

  /**
   * Ends the simulation at `atMs`: the events up to then (as `advance`), then closing events so
   * nothing is left hanging on the wallboard after the demo stops: waiting contacts flow out,
   * conversations end and wrap, and every signed-in agent signs out (reason `simulator_stopped`).
   * Later calls to `advance` return nothing.
   */
  shutdown(atMs: number): CallCentreEventInput[] {
    const events = this.advance(Math.max(atMs, this.doneUntilMs));
    this.out = events;
    for (const c of this.openContacts) {
      if (c.phase === 'waiting' || c.phase === 'ringing') {
        this.queueOutcome(c, 'contact.flowed_out', 'no_agents');
        continue;
      }
      const agent = c.agent!;
      const drill = c.drill ? { drill: true } : {};
      if (c.phase === 'talking') {
        const talkSec = (this.nowMs - c.answeredMs) / 1000;
        this.out.push({ id: this.nextId(), ts: this.nowMs, type: 'contact.ended', contactId: c.id, talkSec, holdSec: 0, ...drill });
      }
      this.out.push({ id: this.nextId(), ts: this.nowMs, type: 'contact.wrapped', contactId: c.id, agentId: agent.plan.id, ...drill });
      c.phase = 'done';
    }
    this.openContacts.clear();
    for (const agent of this.agents) {
      if (agent.emitted !== 'logged_out') this.emitAgentState(agent, 'logged_out', 'simulator_stopped');
    }
    this.finished = true;
    this.out = [];
    return events;
  }

  /**
   * The ticket steps not yet due when the simulation stopped (escalation steps, closes, reopens
   * of tickets still open), in time order, with ids of their own (`<ticket>-s<n>`, the same in
   * every run of the same seed): `simulate --history` hands them to the live demo, which posts
   * each when its time comes, so backfilled tickets close as the demo's own do.
   */
  pendingTicketSteps(): CallCentreEventInput[] {
    const steps = [...this.ticketStepsDue].sort((a, b) => a.tsMs - b.tsMs || (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0));
    const seen = new Map<string, number>();
    return steps.map(({ tsMs, ticketId, step }) => {
      const n = (seen.get(ticketId) ?? 0) + 1;
      seen.set(ticketId, n);
      return { ...this.ticketEvent(ticketId, step, tsMs), id: `${ticketId}-s${n}` };
    });
  }

  /**
   * Ticket history made up for the `ticketBacklogDays` before `startMs` (opened, escalation steps
   * and closures that happened before the start), in ts order; their later steps come from
   * `advance`. Returns the events once, then an empty array.
   */
  takeBacklog(): CallCentreEventInput[] {
    const events = this.backlog ?? [];
    this.backlog = null;
    return events;
  }

  // ---- time and scheduling -------------------------------------------------------------------

  private at(tsMs: number, run: () => void): void {
    this.actions.push(Math.max(Math.round(tsMs), this.nowMs), run);
  }

  private localDay(tsMs: number): number {
    return Math.floor((tsMs + this.offsetMs) / DAY_MS);
  }

  private localDayStartMs(day: number): number {
    return day * DAY_MS - this.offsetMs;
  }

  private nextId(): string {
    return `${this.idPrefix}-${++this.eventSeq}`;
  }

  /** Customer contacts per ms at `tsMs`: intraday curve × weekday × daily wobble × incident. */
  private arrivalRatePerMs(tsMs: number): number {
    const localMs = tsMs + this.offsetMs;
    const day = Math.floor(localMs / DAY_MS);
    const hour = (localMs - day * DAY_MS) / HOUR_MS;
    const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday
    const wobble = 1 + 0.08 * (hashUnit(this.options.seed, 0x5eed0000 + day) - 0.5);
    let factor = intradayFactor(hour) * WEEKDAY_FACTOR[weekday] * wobble;
    const incident = this.incidentAt(tsMs);
    if (incident) factor *= 1 + (INCIDENT_BOOST - 1) * SITES[incident.siteIndex].weight;
    return (this.plan.peakContactsPerHour * this.options.rateFactor * factor) / HOUR_MS;
  }

  private incidentAt(tsMs: number): Incident | undefined {
    for (const i of this.incidents) if (tsMs >= i.startMs && tsMs < i.endMs) return i;
    return undefined;
  }

  // ---- arrivals --------------------------------------------------------------------------------

  /** Non-homogeneous Poisson arrivals by thinning a process at the maximum rate. */
  private scheduleNextArrival(): void {
    if (this.lambdaMaxPerMs <= 0) return;
    this.nextArrivalMs += this.rng.exponential(1 / this.lambdaMaxPerMs);
    this.at(this.nextArrivalMs, () => {
      if (this.rng.next() * this.lambdaMaxPerMs < this.arrivalRatePerMs(this.nowMs)) this.arrive();
      this.scheduleNextArrival();
    });
  }

  private arrive(): void {
    const rng = this.rng;
    const incident = this.incidentAt(this.nowMs);
    let siteIndex: number;
    if (incident) {
      const weights = this.siteWeights.map((w, i) => (i === incident.siteIndex ? w * INCIDENT_BOOST : w));
      siteIndex = rng.weightedIndex(weights);
    } else {
      siteIndex = rng.weightedIndex(this.siteWeights, 1);
    }
    const mix = ARRIVAL_MIX[rng.weightedIndex(this.mixWeights, 1)];
    let site = SITES[siteIndex].id;
    let caller: string | undefined;
    const drill = rng.chance(DRILL_RATE);
    if (!drill) {
      const repeat = rng.chance(REPEAT_CALLER_RATE) ? this.recentCaller() : undefined;
      if (repeat) {
        caller = repeat.caller;
        site = repeat.site;
      } else {
        caller = this.newCallerNumber();
      }
    }
    this.offer({ queue: mix.queue, channel: mix.channel, site, caller, drill });
  }

  private newCallerNumber(): string {
    const prefix = this.rng.pick(MOBILE_PREFIXES);
    return prefix + String(this.rng.int(0, 99_999_999)).padStart(8, '0');
  }

  private rememberCaller(caller: string, site: string): void {
    const entry = { caller, site, tsMs: this.nowMs };
    if (this.callerPool.length < CALLER_POOL_SIZE) this.callerPool.push(entry);
    else this.callerPool[this.callerPoolNext] = entry;
    this.callerPoolNext = (this.callerPoolNext + 1) % CALLER_POOL_SIZE;
  }

  /** A caller from the FCR repeat window, so the engine's repeat logic has something to find. */
  private recentCaller(): { caller: string; site: string } | undefined {
    if (this.callerPool.length === 0) return undefined;
    const entry = this.callerPool[this.rng.int(0, this.callerPool.length - 1)];
    const windowMs = this.options.settings.fcrRepeatDays * DAY_MS;
    return this.nowMs - entry.tsMs < windowMs ? entry : undefined;
  }

  // ---- contacts --------------------------------------------------------------------------------

  private offer(spec: { queue: QueueId; channel: SimChannel; site: string; caller?: string; drill: boolean }): void {
    const c: SimContact = {
      id: `${this.idPrefix}-c${++this.contactSeq}`,
      ...spec,
      key: routeKeyIndex(spec.queue, spec.channel),
      offeredMs: this.nowMs,
      phase: 'waiting',
      agent: null,
      answeredMs: 0,
      transferredTo: null,
    };
    this.out.push({
      id: this.nextId(),
      ts: this.nowMs,
      type: 'contact.offered',
      contactId: c.id,
      queue: c.queue,
      channel: c.channel,
      site: c.site,
      ...(c.caller ? { caller: c.caller } : {}),
      ...(c.drill ? { drill: true } : {}),
    });
    if (c.caller && !c.drill && c.queue !== 'internal_help') this.rememberCaller(c.caller, c.site);
    this.openContacts.add(c);

    const profile = handleProfile(c.queue, c.channel);
    const realTime = c.channel === 'phone' || c.channel === 'chat';
    if (realTime && this.servingCount[c.key] === 0) {
      // Nobody is signed in for this seat: the ACD plays a message and drops the call out.
      this.at(this.nowMs + this.rng.uniform(2, 4) * 1000, () => {
        if (c.phase === 'waiting') this.queueOutcome(c, 'contact.flowed_out', 'no_agents');
      });
      return;
    }
    const list = this.waiting[c.key];
    list.items.push(c);

    if (Number.isFinite(profile.patienceMeanSec) && !c.drill) {
      const patienceSec = c.channel === 'phone' && this.rng.chance(SHORT_ABANDON_RATE)
        ? this.rng.uniform(0.5, 4.9)
        : this.rng.exponential(profile.patienceMeanSec);
      if (patienceSec < profile.maxWaitSec) this.at(this.nowMs + patienceSec * 1000, () => this.giveUp(c));
    }
    if (Number.isFinite(profile.maxWaitSec)) {
      this.at(this.nowMs + profile.maxWaitSec * 1000, () => {
        if (c.phase === 'waiting') this.queueOutcome(c, 'contact.flowed_out', 'timeout');
      });
    }
    if (!this.tryAssign(c)) {
      this.at(this.nowMs + OVERFLOW_SEC * 1000, () => this.tryAssign(c));
      if (SITE_LOCAL_KEYS.has(c.key)) this.at(this.nowMs + MUTUAL_AID_SEC * 1000, () => this.tryAssign(c));
    }
  }

  /** Abandon (or the callback key) when the caller's patience runs out before an answer. */
  private giveUp(c: SimContact): void {
    if (c.phase !== 'waiting' && c.phase !== 'ringing') return;
    const agent = c.agent;
    const waitedSec = (this.nowMs - c.offeredMs) / 1000;
    if (c.channel === 'phone' && waitedSec > CALLBACK_KEY_AFTER_SEC && this.rng.chance(CALLBACK_KEY_RATE)) {
      this.queueOutcome(c, 'contact.flowed_out', 'key');
    } else {
      this.queueOutcome(c, 'contact.abandoned');
      if (c.caller && waitedSec >= 5 && this.rng.chance(RETRY_AFTER_ABANDON_RATE)) {
        const retry = { queue: c.queue, channel: c.channel, site: c.site, caller: c.caller, drill: false };
        this.at(this.nowMs + this.rng.uniform(20, 600) * 1000, () => this.offer(retry));
      }
    }
    if (agent) {
      agent.contact = null;
      this.release(agent);
    }
  }

  private queueOutcome(c: SimContact, type: 'contact.abandoned' | 'contact.flowed_out', reason?: 'timeout' | 'no_agents' | 'key'): void {
    c.phase = 'done';
    this.openContacts.delete(c);
    const base = { id: this.nextId(), ts: this.nowMs, contactId: c.id, ...(c.drill ? { drill: true } : {}) };
    this.out.push(type === 'contact.abandoned' ? { ...base, type } : { ...base, type, reason: reason! });
  }

  /** May `agent` take `c` now? Own seat at once; overflow skills and other cities only after a wait. */
  private eligible(agent: SimAgent, c: SimContact): boolean {
    const rank = agent.rank[c.key];
    if (rank < 0) return false;
    const waitedMs = this.nowMs - c.offeredMs;
    if (rank >= agent.plan.primaryKeys && waitedMs < OVERFLOW_SEC * 1000) return false;
    if (agent.plan.site !== c.site && SITE_LOCAL_KEYS.has(c.key) && waitedMs < MUTUAL_AID_SEC * 1000) return false;
    return true;
  }

  /** Routes a waiting contact to the best ready agent: own seat first, then own city, then longest idle. */
  private tryAssign(c: SimContact): boolean {
    if (c.phase !== 'waiting') return false;
    let best: SimAgent | null = null;
    let bestScore = Infinity;
    for (const agent of this.readyAgents) {
      if (!this.eligible(agent, c)) continue;
      const overflow = agent.rank[c.key] >= agent.plan.primaryKeys ? 1 : 0;
      const otherSite = agent.plan.site === c.site ? 0 : 1;
      const score = overflow * 4 * DAY_MS + otherSite * 2 * DAY_MS + agent.readySinceMs - this.nowMs;
      if (score < bestScore) {
        bestScore = score;
        best = agent;
      }
    }
    if (!best) return false;
    this.assign(c, best);
    return true;
  }

  /** The oldest contact `agent` may take, searching its skills in priority order. */
  private nextContactFor(agent: SimAgent): SimContact | null {
    for (const key of agent.plan.serves) {
      const list = this.waiting[key];
      const items = list.items;
      for (let i = list.head; i < items.length; i++) {
        const c = items[i];
        if (c.phase !== 'waiting') {
          if (i === list.head) list.head++;
          continue;
        }
        if (this.eligible(agent, c)) return c;
        // The list is in offer order: once one is too young for overflow, so are all after it.
        if (agent.rank[key] >= agent.plan.primaryKeys && this.nowMs - c.offeredMs < OVERFLOW_SEC * 1000) break;
      }
      if (list.head > 256 && list.head * 2 > items.length) {
        list.items = items.slice(list.head);
        list.head = 0;
      }
    }
    return null;
  }

  private assign(c: SimContact, agent: SimAgent): void {
    this.removeReady(agent);
    agent.phase = 'reserved';
    agent.token++;
    agent.contact = c;
    c.phase = 'ringing';
    c.agent = agent;
    const [min, max] = handleProfile(c.queue, c.channel).pickupSec;
    this.at(this.nowMs + this.rng.uniform(min, max) * 1000, () => this.answer(c));
  }

  private answer(c: SimContact): void {
    if (c.phase !== 'ringing' || !c.agent) return;
    const agent = c.agent;
    c.phase = 'talking';
    c.answeredMs = this.nowMs;
    this.out.push({
      id: this.nextId(),
      ts: this.nowMs,
      type: 'contact.answered',
      contactId: c.id,
      agentId: agent.plan.id,
      team: agent.plan.team,
      // The handling site: differs from the offer's site when another city helped out.
      site: agent.plan.site,
      ...(c.drill ? { drill: true } : {}),
    });
    agent.phase = 'busy';
    agent.token++;
    this.emitAgentState(agent, 'busy');

    const p = handleProfile(c.queue, c.channel);
    const talkSec = Math.round(clamp(this.rng.logNormal(p.talkMeanSec, 0.6), 10, 3600));
    const holdSec = this.rng.chance(p.holdProb) ? Math.round(clamp(this.rng.logNormal(p.holdMeanSec, 0.7), 3, 900)) : 0;
    if (c.channel === 'phone' && isCustomerQueue(c.queue) && !c.drill && this.rng.chance(INTERNAL_HELP_RATE)) {
      const site = agent.plan.site;
      this.at(this.nowMs + this.rng.uniform(10, Math.max(11, Math.min(talkSec, 150))) * 1000, () =>
        this.offer({ queue: 'internal_help', channel: 'phone', site, drill: false }));
    }
    this.at(this.nowMs + (talkSec + holdSec) * 1000, () => this.end(c, talkSec, holdSec));
  }

  private end(c: SimContact, talkSec: number, holdSec: number): void {
    const agent = c.agent!;
    const drill = c.drill ? { drill: true } : {};
    if (c.channel === 'phone' && isCustomerQueue(c.queue) && !c.drill && this.rng.chance(TRANSFER_RATE)) {
      const targets = TRANSFER_TARGETS.filter((t) => t.queue !== c.queue && this.servingCount[routeKeyIndex(t.queue, 'phone')] > 0);
      if (targets.length > 0) {
        const to = targets[this.rng.weightedIndex(targets.map((t) => t.weight))].queue;
        c.transferredTo = to;
        this.out.push({ id: this.nextId(), ts: this.nowMs, type: 'contact.transferred', contactId: c.id, toQueue: to });
        const leg = { queue: to, channel: 'phone' as const, site: c.site, caller: c.caller, drill: false };
        this.at(this.nowMs + 1000, () => this.offer(leg));
      }
    }
    this.out.push({
      id: this.nextId(),
      ts: this.nowMs,
      type: 'contact.ended',
      contactId: c.id,
      talkSec,
      holdSec,
      ...drill,
    });
    c.phase = 'wrapping';
    agent.phase = 'acw';
    agent.token++;
    this.emitAgentState(agent, 'acw');
    const wrapSec = clamp(this.rng.logNormal(handleProfile(c.queue, c.channel).wrapMeanSec, 0.5), 3, 600);
    this.at(this.nowMs + wrapSec * 1000, () => this.wrap(c));
  }

  private wrap(c: SimContact): void {
    const agent = c.agent!;
    c.phase = 'done';
    this.openContacts.delete(c);
    this.out.push({
      id: this.nextId(),
      ts: this.nowMs,
      type: 'contact.wrapped',
      contactId: c.id,
      agentId: agent.plan.id,
      ...(c.drill ? { drill: true } : {}),
    });
    if (c.queue !== 'internal_help') this.resolve(c, agent);
    agent.contact = null;
    this.release(agent);
  }

  /** Outcome of a handled customer contact: resolution, maybe a ticket, maybe a survey later. */
  private resolve(c: SimContact, agent: SimAgent): void {
    const rng = this.rng;
    let tier: TicketTier | null = null;
    let complaint = false;
    if (!c.drill && rng.chance(TICKET_RATE[c.queue])) {
      complaint = c.queue === 'complaints' || rng.chance(COMPLAINT_TICKET_SHARE);
      const shares = TIER_SHARES[complaint ? 'complaint' : 'normal'];
      tier = shares[rng.weightedIndex(shares.map((s) => s[1]))][0];
    }
    const firstContact = c.transferredTo === null && (tier === null || tier === 'simple') && !rng.chance(NOT_FIRST_CONTACT_RATE);
    this.out.push({
      id: this.nextId(),
      ts: this.nowMs,
      type: 'contact.resolved',
      contactId: c.id,
      firstContact,
      ...(c.drill ? { drill: true } : {}),
    });
    if (tier !== null) {
      this.openTicket(rng, {
        tier,
        complaint,
        queue: c.queue,
        site: c.site,
        channel: c.channel,
        team: agent.plan.team,
        contactId: c.id,
        openedMs: this.nowMs,
      });
    }
    if (!c.drill && rng.chance(SURVEY_RATE[c.channel])) {
      const waitSec = (c.answeredMs - c.offeredMs) / 1000;
      const unhappy = waitSec > 60 || !firstContact;
      const score = surveyScore(rng, unhappy);
      this.at(this.nowMs + rng.uniform(20, 180) * 1000, () => {
        this.out.push({ id: this.nextId(), ts: this.nowMs, type: 'survey.response', contactId: c.id, score, scale: 5 });
      });
    }
  }

  // ---- tickets ---------------------------------------------------------------------------------

  private openTicket(rng: Rng, t: {
    tier: TicketTier;
    complaint: boolean;
    queue: QueueId;
    site: string;
    channel: SimChannel;
    team?: string;
    contactId?: string;
    openedMs: number;
  }, history?: CallCentreEventInput[]): void {
    const ticketId = `${this.idPrefix}-t${++this.ticketSeq}`;
    const opened: CallCentreEventInput = {
      id: this.nextId(),
      ts: t.openedMs,
      type: 'ticket.opened',
      ticketId,
      tier: t.tier,
      category: rng.pick(TICKET_CATEGORIES[t.queue]),
      complaint: t.complaint,
      queue: t.queue,
      site: t.site,
      channel: t.channel,
      ...(t.team ? { team: t.team } : {}),
      ...(t.contactId ? { contactId: t.contactId } : {}),
    };
    (history ?? this.out).push(opened);
    for (const step of ticketTimeline(rng, t.tier, t.complaint, this.options.settings)) {
      const tsMs = t.openedMs + step.offsetMs;
      if (history && tsMs < this.options.startMs) history.push(this.ticketEvent(ticketId, step, tsMs));
      else {
        const due = { tsMs, ticketId, step };
        this.ticketStepsDue.add(due);
        this.at(tsMs, () => {
          this.ticketStepsDue.delete(due);
          this.out.push(this.ticketEvent(ticketId, step, this.nowMs));
        });
      }
    }
  }

  private ticketEvent(ticketId: string, step: TicketStep, tsMs: number): CallCentreEventInput {
    const base = { id: this.nextId(), ts: tsMs, ticketId };
    switch (step.type) {
      case 'ticket.escalated':
        return { ...base, type: step.type, level: step.level, to: step.to };
      case 'ticket.closed':
        return { ...base, type: step.type, confirmed: step.confirmed };
      default:
        return { ...base, type: step.type };
    }
  }

  /** Tickets opened in the days before the start, so closure and escalation figures exist at once. */
  private makeTicketBacklog(): CallCentreEventInput[] {
    const history: CallCentreEventInput[] = [];
    const { startMs, ticketBacklogDays } = this.options;
    // A stream of its own, so the live traffic is the same with or without a backlog.
    const rng = new Rng(deriveSeed(this.options.seed, 2));
    // Tickets per day ≈ daily contacts × the mean ticket rate (≈ 7 %).
    const perDay = this.plan.peakContactsPerHour * this.options.rateFactor * 13 * 0.07;
    const count = Math.round(perDay * ticketBacklogDays);
    const spanMs = ticketBacklogDays * DAY_MS;
    const opens: number[] = [];
    while (opens.length < count) {
      const tsMs = startMs - 1 - Math.floor(rng.next() * spanMs);
      if (rng.next() < intradayFactor(((tsMs + this.offsetMs) % DAY_MS) / HOUR_MS)) opens.push(tsMs);
    }
    opens.sort((a, b) => a - b);
    for (const openedMs of opens) {
      const mix = ARRIVAL_MIX[rng.weightedIndex(this.mixWeights, 1)];
      const complaint = mix.queue === 'complaints' || rng.chance(COMPLAINT_TICKET_SHARE);
      const shares = TIER_SHARES[complaint ? 'complaint' : 'normal'];
      const tier = shares[rng.weightedIndex(shares.map((s) => s[1]))][0];
      const site = SITES[rng.weightedIndex(this.siteWeights, 1)].id;
      this.openTicket(rng, { tier, complaint, queue: mix.queue, site, channel: mix.channel, openedMs }, history);
    }
    return history.sort((a, b) => (a.ts as number) - (b.ts as number));
  }

  // ---- agents ----------------------------------------------------------------------------------

  private emitAgentState(agent: SimAgent, state: AgentStateName, reason?: string): void {
    agent.emitted = state;
    this.out.push({
      id: this.nextId(),
      ts: this.nowMs,
      type: 'agent.state',
      agentId: agent.plan.id,
      state,
      ...(reason ? { reason } : {}),
      team: agent.plan.team,
      site: agent.plan.site,
      queues: agent.plan.queues,
    });
  }

  private setOnline(agent: SimAgent, online: boolean): void {
    if (agent.online === online) return;
    agent.online = online;
    const delta = online ? 1 : -1;
    for (const k of agent.plan.serves) this.servingCount[k] += delta;
  }

  private addReady(agent: SimAgent): void {
    if (agent.readyIdx >= 0) return;
    agent.readyIdx = this.readyAgents.length;
    agent.readySinceMs = this.nowMs;
    this.readyAgents.push(agent);
  }

  private removeReady(agent: SimAgent): void {
    const i = agent.readyIdx;
    if (i < 0) return;
    const last = this.readyAgents.pop()!;
    if (last !== agent) {
      this.readyAgents[i] = last;
      last.readyIdx = i;
    }
    agent.readyIdx = -1;
  }

  /** The agent's work is over (or a reserved call went away): logout, meal or break if due, else ready. */
  private release(agent: SimAgent): void {
    if (agent.pendingLogout) this.logout(agent);
    else if (agent.pendingMeal) this.startMeal(agent);
    else if (agent.pendingBreak) this.startBreak(agent);
    else this.becomeReady(agent);
  }

  private becomeReady(agent: SimAgent): void {
    agent.phase = 'ready';
    agent.token++;
    if (agent.emitted !== 'ready') this.emitAgentState(agent, 'ready');
    const c = this.nextContactFor(agent);
    if (c) this.assign(c, agent);
    else this.addReady(agent);
  }

  private startBreak(agent: SimAgent): void {
    agent.pendingBreak = false;
    this.removeReady(agent);
    agent.phase = 'not_ready';
    const token = ++agent.token;
    const r = NOT_READY_REASONS[this.rng.weightedIndex(NOT_READY_REASONS.map((x) => x.weight))];
    const [min, max] = this.rng.chance(NOT_READY_OVERRUN_RATE) ? NOT_READY_OVERRUN_SEC : r.sec;
    this.emitAgentState(agent, 'not_ready', r.reason);
    this.at(this.nowMs + this.rng.uniform(min, max) * 1000, () => {
      if (agent.token === token) this.release(agent);
    });
  }

  /** Manual 003 limits not-ready to 5 minutes, so the meal is taken signed out. */
  private startMeal(agent: SimAgent): void {
    agent.pendingMeal = false;
    agent.pendingBreak = false;
    this.removeReady(agent);
    this.setOnline(agent, false);
    agent.phase = 'meal';
    const token = ++agent.token;
    this.emitAgentState(agent, 'logged_out', 'meal');
    this.at(this.nowMs + this.rng.uniform(28, 33) * MINUTE_MS, () => {
      if (agent.token !== token) return;
      this.setOnline(agent, true);
      this.becomeReady(agent);
    });
  }

  private logout(agent: SimAgent): void {
    this.removeReady(agent);
    this.setOnline(agent, false);
    agent.pendingLogout = agent.pendingMeal = agent.pendingBreak = false;
    agent.phase = 'off';
    agent.token++;
    agent.shift = null;
    if (agent.emitted !== 'logged_out') this.emitAgentState(agent, 'logged_out', 'shift_end');
  }

  private login(agent: SimAgent, shift: Shift): void {
    agent.shift = shift;
    if (agent.phase !== 'off') {
      // Still on a call from a previous shift that ran long: just keep working.
      agent.pendingLogout = false;
      return;
    }
    this.setOnline(agent, true);
    this.becomeReady(agent);
    this.scheduleBreak(agent, shift, this.rng.uniform(40, 90));
  }

  private scheduleBreak(agent: SimAgent, shift: Shift, inMinutes: number): void {
    const dueMs = this.nowMs + inMinutes * MINUTE_MS;
    if (dueMs >= shift.logoutMs - 15 * MINUTE_MS) return;
    this.at(dueMs, () => {
      if (agent.shift !== shift) return;
      if (agent.phase === 'ready') this.startBreak(agent);
      else if (agent.phase === 'reserved' || agent.phase === 'busy' || agent.phase === 'acw') agent.pendingBreak = true;
      this.scheduleBreak(agent, shift, this.rng.uniform(45, 95));
    });
  }

  // ---- roster ----------------------------------------------------------------------------------

  private scheduleDayBuild(day: number): void {
    this.at(Math.max(this.nowMs, this.localDayStartMs(day) - 30 * MINUTE_MS), () => {
      this.offsetMs = tzOffsetMs(this.options.timeZone, this.localDayStartMs(day) + 12 * HOUR_MS);
      this.buildDay(day);
      this.scheduleDayBuild(day + 1);
    });
  }

  /** Schedules the shifts that start on local day `day` (and their meals and ends), plus any incident. */
  private buildDay(day: number): void {
    const { seed, startMs } = this.options;
    const dayStartMs = this.localDayStartMs(day);
    const h = (salt: number, i: number) => hashUnit(deriveSeed(seed, salt), day * 4096 + i);
    for (const agent of this.agents) {
      const i = agent.index;
      if (h(11, i) < ABSENCE_RATE) continue;
      const plannedLoginMs = dayStartMs + agent.plan.shiftStartSlot * SLOT_MIN * MINUTE_MS + (h(12, i) * 8 - 5) * MINUTE_MS;
      const logoutMs = plannedLoginMs + agent.plan.shiftSlots * SLOT_MIN * MINUTE_MS + h(13, i) * 5 * MINUTE_MS;
      if (logoutMs <= startMs) continue;
      let mealStartMs = agent.plan.mealSlot >= 0
        ? plannedLoginMs + (agent.plan.mealSlot * SLOT_MIN + (h(14, i) - 0.5) * 40) * MINUTE_MS
        : -1;
      let loginMs = plannedLoginMs;
      if (loginMs < startMs) {
        // Agents already on shift when the simulation starts sign in during its first two minutes.
        loginMs = startMs + Math.floor(h(15, i) * 120_000);
        if (mealStartMs >= 0 && mealStartMs < loginMs) {
          if (loginMs < mealStartMs + 30 * MINUTE_MS) loginMs = mealStartMs + 30 * MINUTE_MS;
          mealStartMs = -1;
        }
      }
      if (loginMs >= logoutMs) continue;
      const shift: Shift = { loginMs, logoutMs: Math.round(logoutMs), mealStartMs };
      this.at(loginMs, () => this.login(agent, shift));
      if (mealStartMs >= 0) {
        this.at(mealStartMs, () => {
          if (agent.shift !== shift) return;
          if (agent.phase === 'ready' || agent.phase === 'not_ready') this.startMeal(agent);
          else if (agent.phase !== 'off' && agent.phase !== 'meal') agent.pendingMeal = true;
        });
      }
      this.at(logoutMs, () => {
        if (agent.shift !== shift) return;
        if (agent.phase === 'ready' || agent.phase === 'not_ready' || agent.phase === 'meal') this.logout(agent);
        else if (agent.phase !== 'off') agent.pendingLogout = true;
      });
    }
    if (this.options.incidents && h(16, 0) < INCIDENT_DAY_RATE) {
      const incidentStart = dayStartMs + (8 + h(17, 0) * 12) * HOUR_MS;
      this.incidents.push({
        startMs: incidentStart,
        endMs: incidentStart + (15 + h(18, 0) * 25) * MINUTE_MS,
        siteIndex: Math.min(SITES.length - 1, Math.floor(h(19, 0) * SITES.length)),
      });
      if (this.incidents.length > 4) this.incidents.shift();
    }
  }
}

/** Creates a simulation; see `CallCentreSimulation`. */
export function createSimulation(options: SimulationOptions): CallCentreSimulation {
  return new CallCentreSimulation(options);
}

function newAgent(plan: AgentPlan, index: number): SimAgent {
  const rank = new Int16Array(ROUTE_KEYS.length).fill(-1);
  plan.serves.forEach((k, i) => {
    if (rank[k] < 0) rank[k] = i;
  });
  return {
    plan,
    index,
    rank,
    phase: 'off',
    token: 0,
    online: false,
    readyIdx: -1,
    readySinceMs: 0,
    contact: null,
    pendingBreak: false,
    pendingMeal: false,
    pendingLogout: false,
    shift: null,
    emitted: 'logged_out',
  };
}

function isCustomerQueue(queue: QueueId): boolean {
  return queue !== 'internal_help' && queue !== 'back_office';
}

function clamp(x: number, min: number, max: number): number {
  return x < min ? min : x > max ? max : x;
}

/** Scores skew high (top-two ≈ 90 %); a long wait or an unresolved issue pulls them down. */
function surveyScore(rng: Rng, unhappy: boolean): number {
  const weights = unhappy ? [0.06, 0.06, 0.13, 0.3, 0.45] : [0.015, 0.015, 0.05, 0.22, 0.7];
  return rng.weightedIndex(weights) + 1;
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** UTC offset of `timeZone` at `tsMs`, in ms (local = UTC + offset). */
export function tzOffsetMs(timeZone: string, tsMs: number): number {
  let fmt = offsetFormatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, fmt);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(tsMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const localAsUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return Math.round((localAsUtc - Math.floor(tsMs / 1000) * 1000) / MINUTE_MS) * MINUTE_MS;
}
