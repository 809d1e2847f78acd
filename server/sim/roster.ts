/**
 * Staffing plan of the simulated centre: which skill group, site, team and shift each agent has,
 * and the peak arrival rate that headcount can carry. Shifts are chosen greedily against the
 * Erlang C requirement of every half hour, the way a workforce planner would, so the simulated
 * floor is neither idle all day nor drowning at the peak.
 */
import { requiredAgents } from '../../shared/erlang.ts';
import {
  ARRIVAL_MIX,
  GROUP_DEFS,
  GROUPS,
  INTERNAL_HELP_RATE,
  NIGHT_SERVES,
  ROUTE_KEYS,
  SITES,
  TRANSFER_RATE,
  TRANSFER_TARGETS,
  intradayFactor,
  meanHandleSec,
  routeKeyIndex,
  type GroupId,
  type QueueId,
} from './org.ts';

export const SLOT_MIN = 30;
export const SLOTS_PER_DAY = 48;
/** 8.5 h on site including a 30-minute meal around the middle of the shift. */
export const SHIFT_SLOTS = 17;
export const MEAL_SLOT = 8;
const TEAM_MAX = 12;
/** Service level the planner staffs for (Erlang C); phone threshold 30 s, written 120 s. */
const TARGET_SL = 0.85;
/** Breaks, meetings and coaching take this share of logged-in time. */
const SHRINKAGE = 0.1;
const TARGET_PEAK_OCCUPANCY = 0.85;

export interface AgentPlan {
  id: string;
  site: string;
  team: string;
  group: GroupId;
  /** Routing keys served, in priority order. */
  serves: number[];
  /** The first `primaryKeys` of `serves` are the agent's own seat; the rest only after `OVERFLOW_SEC`. */
  primaryKeys: number;
  queues: QueueId[];
  /** Start of the shift as a half-hour slot of the local day (0 = 00:00). */
  shiftStartSlot: number;
  /** Length of the shift in half-hour slots (17 full-time, 9 part-time). */
  shiftSlots: number;
  /** Slot offset of the 30-minute meal, or -1 for a part-time shift without one. */
  mealSlot: number;
}

export interface StaffingPlan {
  agents: AgentPlan[];
  /** Customer contacts per hour at the intraday peak (rate factor 1, an ordinary weekday). */
  peakContactsPerHour: number;
}

/** Is a half-hour slot in the night window (22:00–07:00), when only the multi-skilled team works? */
function isNightSlot(slot: number): boolean {
  return slot >= 44 || slot < 14;
}

function slotRate(peakPerHour: number, slot: number): number {
  return peakPerHour * intradayFactor(slot / 2 + 0.25);
}

/** Contacts per hour per routing key at the given total rate, including consults and transfer legs. */
function keyRates(totalPerHour: number): Float64Array {
  const rates = new Float64Array(ROUTE_KEYS.length);
  let phone = 0;
  for (const m of ARRIVAL_MIX) {
    rates[routeKeyIndex(m.queue, m.channel)] += totalPerHour * m.share;
    if (m.channel === 'phone') phone += totalPerHour * m.share;
  }
  rates[routeKeyIndex('internal_help', 'phone')] += phone * INTERNAL_HELP_RATE;
  const weightSum = TRANSFER_TARGETS.reduce((a, t) => a + t.weight, 0);
  for (const t of TRANSFER_TARGETS) rates[routeKeyIndex(t.queue, 'phone')] += (phone * TRANSFER_RATE * t.weight) / weightSum;
  return rates;
}

const AHT_BY_KEY = ROUTE_KEYS.map((k) => meanHandleSec(k.queue, k.channel));

function requirementFor(keys: readonly number[], rates: Float64Array): number {
  let calls = 0;
  let work = 0;
  let phone = false;
  for (const k of keys) {
    if (rates[k] <= 0) continue;
    calls += rates[k];
    work += rates[k] * AHT_BY_KEY[k];
    if (ROUTE_KEYS[k].channel === 'phone') phone = true;
  }
  if (calls <= 0) return 0;
  return requiredAgents(calls, work / calls, phone ? 30 : 120, TARGET_SL) / (1 - SHRINKAGE);
}

const NIGHT_KEYS = [...new Set([...NIGHT_SERVES])];

interface GroupSpec {
  group: GroupId;
  serves: number[];
  owns: number[];
  primary: number;
}

/**
 * Skill groups in use for a centre of `count` agents: a small centre cannot staff nine separate
 * seats around the clock, so its general seat absorbs the specialist queues (and, when tiny, the
 * written channels too).
 */
function groupSpecs(count: number): GroupSpec[] {
  const active: readonly GroupId[] =
    count >= 80 ? GROUPS
      : count >= 40 ? ['general', 'vip', 'complaints', 'digital']
        : count >= 12 ? ['general', 'digital']
          : ['general'];
  const specs = active.map((g) => {
    const def = GROUP_DEFS[g];
    return { group: g, serves: [...def.serves], owns: [...def.owns], primary: Math.min(def.primary, def.serves.length) };
  });
  const general = specs[0];
  const absorbed = GROUPS.filter((g) => !active.includes(g)).flatMap((g) => GROUP_DEFS[g].owns);
  if (absorbed.length > 0) {
    // Nobody else serves the absorbed seats, so they are primary work of the general seat.
    const own = general.serves.slice(0, general.primary);
    const rest = general.serves.slice(general.primary).filter((k) => !absorbed.includes(k));
    general.owns.push(...absorbed);
    general.serves = [...own, ...absorbed, ...rest];
    general.primary = own.length + absorbed.length;
  }
  return specs;
}

/** Agents per erlang of work when all traffic of a channel class is pooled (Erlang C). */
function pooledAgentsPerErlang(rates: Float64Array, phone: boolean): number {
  const keys = ROUTE_KEYS.filter((k) => (k.channel === 'phone') === phone).map((k) => k.index);
  let work = 0;
  for (const k of keys) work += (rates[k] * AHT_BY_KEY[k]) / 3600;
  return work > 0 ? requirementFor(keys, rates) / work : 0;
}

/**
 * Agents needed per group and half hour (rows in `specs` order). Specialist agents take general
 * calls when their own queue is empty, so a group needs its share of the pooled requirement
 * rather than the (much larger) requirement of its own queue in isolation; at least one agent
 * per open seat.
 */
function requirements(peakPerHour: number, specs: readonly GroupSpec[]): Float64Array[] {
  const req = specs.map(() => new Float64Array(SLOTS_PER_DAY));
  for (let s = 0; s < SLOTS_PER_DAY; s++) {
    const rates = keyRates(slotRate(peakPerHour, s));
    if (isNightSlot(s)) {
      req[0][s] = requirementFor(NIGHT_KEYS, rates) / (1 - SHRINKAGE);
      continue;
    }
    const perErlang = { phone: pooledAgentsPerErlang(rates, true), written: pooledAgentsPerErlang(rates, false) };
    specs.forEach((spec, gi) => {
      let agents = 0;
      for (const k of spec.owns) {
        const erlangs = (rates[k] * AHT_BY_KEY[k]) / 3600;
        agents += erlangs * (ROUTE_KEYS[k].channel === 'phone' ? perErlang.phone : perErlang.written);
      }
      req[gi][s] = agents > 0 ? Math.max(1, agents) / (1 - SHRINKAGE) : 0;
    });
  }
  return req;
}

interface ShiftShape {
  slots: number;
  /** Offset of the 30-minute meal in slots, or -1 for none. */
  mealSlot: number;
}

/** Full-time shifts, and part-time ones that let the planner cover the evening tail cheaply. */
const SHAPES: readonly ShiftShape[] = [
  { slots: SHIFT_SLOTS, mealSlot: MEAL_SLOT },
  { slots: 9, mealSlot: -1 },
];
const PART_TIME_MAX_SHARE = 0.2;

interface ShiftChoice {
  group: number;
  startSlot: number;
  shape: ShiftShape;
}

function covers(shape: ShiftShape, k: number): boolean {
  return k !== shape.mealSlot;
}

/**
 * Greedy shift assignment: each agent takes the (group, shift start, shape) that covers the most
 * uncovered requirement; once everything is covered (or with `stopWhenCovered`, then it stops),
 * extra agents go where requirement per assigned agent is highest.
 */
function assignShifts(req: Float64Array[], count: number, stopWhenCovered: boolean): ShiftChoice[] {
  const cov = req.map(() => new Float64Array(SLOTS_PER_DAY));
  const out: ShiftChoice[] = [];
  let partTimers = 0;
  for (let n = 0; n < count; n++) {
    const shapes = partTimers < PART_TIME_MAX_SHARE * (n + 1) ? SHAPES : SHAPES.slice(0, 1);
    let best: ShiftChoice | null = null;
    let bestGain = 0;
    for (let g = 0; g < req.length; g++) {
      const r = req[g];
      const c = cov[g];
      for (const shape of shapes) {
        for (let start = 0; start < SLOTS_PER_DAY; start++) {
          let gain = 0;
          for (let k = 0; k < shape.slots; k++) {
            if (!covers(shape, k)) continue;
            const s = (start + k) % SLOTS_PER_DAY;
            const deficit = r[s] - c[s];
            if (deficit > 0) gain += deficit < 1 ? deficit : 1;
          }
          if (gain > bestGain + 1e-9) {
            bestGain = gain;
            best = { group: g, startSlot: start, shape };
          }
        }
      }
    }
    if (bestGain < 0.5) {
      if (stopWhenCovered) return out;
      best = null;
      let bestScore = -1;
      const shape = SHAPES[0];
      for (let g = 0; g < req.length; g++) {
        for (let start = 0; start < SLOTS_PER_DAY; start++) {
          let score = 0;
          for (let k = 0; k < shape.slots; k++) {
            const s = (start + k) % SLOTS_PER_DAY;
            score += req[g][s] / (cov[g][s] + 1);
          }
          if (score > bestScore + 1e-9) {
            bestScore = score;
            best = { group: g, startSlot: start, shape };
          }
        }
      }
    }
    const choice = best!;
    if (choice.shape !== SHAPES[0]) partTimers++;
    for (let k = 0; k < choice.shape.slots; k++) {
      if (covers(choice.shape, k)) cov[choice.group][(choice.startSlot + k) % SLOTS_PER_DAY] += 1;
    }
    out.push(choice);
  }
  return out;
}

function agentsNeeded(peakPerHour: number, specs: readonly GroupSpec[], limit: number): number {
  return assignShifts(requirements(peakPerHour, specs), limit + 1, true).length;
}

/**
 * The highest peak rate whose requirement `agentCount` agents can cover, found by secant steps
 * on the (almost linear) agents-needed curve rather than bisection, to keep Erlang work small.
 */
function calibratePeakRate(agentCount: number, specs: readonly GroupSpec[]): number {
  let rate = agentCount * 10;
  for (let i = 0; i < 8; i++) {
    const needed = agentsNeeded(rate, specs, agentCount * 3);
    if (needed === 0) {
      rate *= 2;
      continue;
    }
    const next = rate * (agentCount / needed);
    if (Math.abs(next - rate) / rate < 0.01) break;
    rate = next;
  }
  while (rate > 0.5 && agentsNeeded(rate, specs, agentCount) > agentCount) rate *= 0.97;
  return rate;
}

/** Keys an agent serves and how many of them are primary; evening/night general agents are multi-skilled. */
/**
 * Erlang C staffing of many small seats plus whole shifts leaves the floor far emptier than a
 * real centre runs it; real centres run their busiest half hour near `TARGET_PEAK_OCCUPANCY`.
 * Returns the factor that brings the planned rate there (never below 1).
 */
function occupancyHeadroom(plannedRate: number, choices: readonly ShiftChoice[]): number {
  const coverage = new Float64Array(SLOTS_PER_DAY);
  for (const c of choices) {
    for (let k = 0; k < c.shape.slots; k++) if (covers(c.shape, k)) coverage[(c.startSlot + k) % SLOTS_PER_DAY]++;
  }
  let worst = 0;
  for (let s = 0; s < SLOTS_PER_DAY; s++) {
    if (isNightSlot(s) || coverage[s] === 0) continue;
    const rates = keyRates(slotRate(plannedRate, s));
    let erlangs = 0;
    for (let k = 0; k < rates.length; k++) erlangs += (rates[k] * AHT_BY_KEY[k]) / 3600;
    worst = Math.max(worst, erlangs / (coverage[s] * (1 - SHRINKAGE)));
  }
  return worst > 0 ? Math.max(1, TARGET_PEAK_OCCUPANCY / worst) : 1;
}

function servesFor(spec: GroupSpec, choice: ShiftChoice): { serves: number[]; primary: number } {
  if (spec.group === 'general') {
    for (let k = 0; k < choice.shape.slots; k++) {
      if (isNightSlot((choice.startSlot + k) % SLOTS_PER_DAY)) {
        const serves = [...new Set([...NIGHT_SERVES, ...spec.serves])];
        return { serves, primary: serves.length };
      }
    }
  }
  return { serves: [...spec.serves], primary: spec.primary };
}

function queuesOf(serves: readonly number[]): QueueId[] {
  return [...new Set(serves.map((k) => ROUTE_KEYS[k].queue))];
}

/** Spreads a group's agents (sorted by shift) over its host sites so each site gets a mix of shifts. */
function assignSites(group: GroupId, count: number): string[] {
  const hosts = GROUP_DEFS[group].hostSites;
  const sites = hosts === 'all' ? SITES : SITES.filter((s) => hosts.includes(s.id));
  const total = sites.reduce((a, s) => a + s.weight, 0);
  const assigned = sites.map(() => 0);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let best = 0;
    let bestLag = -Infinity;
    sites.forEach((s, i) => {
      const lag = (s.weight / total) * (n + 1) - assigned[i];
      if (lag > bestLag + 1e-9) {
        bestLag = lag;
        best = i;
      }
    });
    assigned[best]++;
    out.push(sites[best].id);
  }
  return out;
}

/**
 * Builds the staffing plan for `agentCount` agents: peak rate, skill groups, sites, teams of at
 * most 12 (one team per shift block) and agent ids (`hz1001`, ...). Deterministic: it draws no
 * random numbers.
 */
export function planStaffing(agentCount: number): StaffingPlan {
  const count = Math.max(1, Math.floor(agentCount));
  const cached = planCache.get(count);
  if (cached) return cached;
  const plan = buildPlan(count);
  planCache.set(count, plan);
  return plan;
}

// Planning runs Erlang C a few thousand times; a process (or a test file) builds the same plan often.
const planCache = new Map<number, StaffingPlan>();

function buildPlan(count: number): StaffingPlan {
  const specs = groupSpecs(count);
  const plannedRate = calibratePeakRate(count, specs);
  const choices = assignShifts(requirements(plannedRate, specs), count, false);
  const peakContactsPerHour = plannedRate * occupancyHeadroom(plannedRate, choices);

  const byGroupSite = new Map<string, ShiftChoice[]>();
  specs.forEach((spec, gi) => {
    const mine = choices.filter((c) => c.group === gi).sort((a, b) => a.startSlot - b.startSlot || a.shape.slots - b.shape.slots);
    const sites = assignSites(spec.group, mine.length);
    mine.forEach((c, i) => {
      const k = `${sites[i]}|${spec.group}`;
      if (!byGroupSite.has(k)) byGroupSite.set(k, []);
      byGroupSite.get(k)!.push(c);
    });
  });

  const agents: AgentPlan[] = [];
  const nextNumber = new Map<string, number>(SITES.map((s) => [s.id, 1001]));
  for (const site of SITES) {
    for (const spec of specs) {
      const members = byGroupSite.get(`${site.id}|${spec.group}`) ?? [];
      const teams = Math.ceil(members.length / TEAM_MAX);
      members.forEach((c, i) => {
        const teamNo = Math.floor((i * teams) / members.length) + 1;
        const number = nextNumber.get(site.id)!;
        nextNumber.set(site.id, number + 1);
        const { serves, primary } = servesFor(spec, c);
        agents.push({
          id: `${site.code}${number}`,
          site: site.id,
          team: `${site.id}-${spec.group}-${teamNo}`,
          group: spec.group,
          serves,
          queues: queuesOf(serves),
          primaryKeys: primary,
          shiftStartSlot: c.startSlot,
          shiftSlots: c.shape.slots,
          mealSlot: c.shape.mealSlot,
        });
      });
    }
  }
  coverOrphanKeys(agents);
  return { agents, peakContactsPerHour };
}

/** With very few agents some seats get nobody; let every agent take their traffic last. */
function coverOrphanKeys(agents: AgentPlan[]): void {
  const needed = new Set(Array.from(keyRates(1)).flatMap((r, k) => (r > 0 ? [k] : [])));
  for (const a of agents) for (const k of a.serves) needed.delete(k);
  if (needed.size === 0) return;
  for (const a of agents) {
    a.serves.push(...needed);
    a.primaryKeys = a.serves.length;
    a.queues = queuesOf(a.serves);
  }
}
