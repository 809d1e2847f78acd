/**
 * Required agents by Erlang C (SPEC §4): the fewest agents that meet a service-level target
 * for a given arrival rate and average handle time, and what a given number of agents achieves
 * (service level, average speed of answer, probability of waiting, occupancy).
 *
 * Numerics: nothing here forms A^N or N!, which overflow a double from about 170 agents on.
 * The probability of waiting comes from Erlang B's recurrence B(k) = A·B(k−1) / (k + A·B(k−1)),
 * whose terms stay within [0, 1] (stable at 10,000 Erlangs and beyond), and C = B / (1 − ρ(1 − B)).
 * The search for required agents carries the recurrence along, so it costs O(N) for the N it
 * finds rather than O(N²): about ten thousand steps at 10,000 Erlangs.
 */

/** Largest offered load the calculator takes: beyond it a request is nonsense, and the work stays bounded. */
export const MAX_TRAFFIC_ERLANGS = 100_000;
/** Largest number of agents the calculator takes (same reason). */
export const MAX_AGENTS = 200_000;

/** Offered load in Erlangs: calls per hour × AHT in hours. */
export function trafficErlangs(callsPerHour: number, ahtSec: number): number {
  return (callsPerHour * ahtSec) / 3600;
}

/** Erlang B (blocking) probability with `agents` servers, by the stable recurrence. */
function erlangB(agents: number, traffic: number): number {
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (traffic * b) / (k + traffic * b);
  return b;
}

/** Erlang C from Erlang B for the same servers (only for agents > traffic). */
function cFromB(b: number, agents: number, traffic: number): number {
  return b / (1 - (traffic / agents) * (1 - b));
}

/**
 * Probability that a contact waits (Erlang C) with `agents` servers and `trafficErlangs` of
 * offered load. 1 when the queue is unstable (agents <= traffic).
 */
export function erlangCWaitProbability(agents: number, trafficErlangs: number): number {
  if (agents <= trafficErlangs) return 1;
  return cFromB(erlangB(agents, trafficErlangs), agents, trafficErlangs);
}

/** SL(t) = 1 − C · e^{−(N − A)·t / AHT}: share of contacts answered within `thresholdSec`. */
function serviceLevelFrom(pWait: number, agents: number, traffic: number, ahtSec: number, thresholdSec: number): number {
  return 1 - pWait * Math.exp((-(agents - traffic) * thresholdSec) / ahtSec);
}

/** Expected service level: share of contacts answered within `thresholdSec`. */
export function erlangCServiceLevel(agents: number, callsPerHour: number, ahtSec: number, thresholdSec: number): number {
  const traffic = trafficErlangs(callsPerHour, ahtSec);
  if (traffic === 0) return 1;
  if (agents <= traffic) return 0;
  return serviceLevelFrom(erlangCWaitProbability(agents, traffic), agents, traffic, ahtSec, thresholdSec);
}

/**
 * Fewest agents whose Erlang C service level reaches `targetSl` for `callsPerHour` arrivals
 * with average handle time `ahtSec`; 0 when there is no traffic. One pass of the recurrence:
 * B(N) is carried from one candidate N to the next. A target of 1 or more is never met exactly:
 * the search then stops where the computed level rounds to 1, or at MAX_AGENTS.
 */
export function requiredAgents(callsPerHour: number, ahtSec: number, thresholdSec: number, targetSl: number): number {
  if (callsPerHour <= 0 || ahtSec <= 0) return 0;
  const traffic = trafficErlangs(callsPerHour, ahtSec);
  // Below the traffic the queue grows without bound: start at the first stable number of agents.
  const first = Math.max(1, Math.floor(traffic) + 1);
  let b = erlangB(first - 1, traffic);
  for (let agents = first; ; agents++) {
    b = (traffic * b) / (agents + traffic * b);
    const sl = serviceLevelFrom(cFromB(b, agents, traffic), agents, traffic, ahtSec, thresholdSec);
    if (sl >= targetSl || agents >= Math.max(MAX_AGENTS, first)) return agents;
  }
}

/** What `agents` achieve against an offered load (the what-if calculator's answer). */
export interface ErlangCFigures {
  agents: number;
  trafficErlangs: number;
  /** False when agents ≤ traffic: the queue grows without bound, every contact waits. */
  stable: boolean;
  /** Share answered within the threshold (0 when unstable, 1 without traffic). */
  serviceLevel: number;
  /** Probability that a contact waits at all (1 when unstable). */
  pWait: number;
  /** Average speed of answer, C · AHT / (N − A), in seconds; null when unstable (unbounded). */
  asaSec: number | null;
  /** Agents' busy share, A / N (capped at 1; 0 without agents or traffic). */
  occupancy: number;
}

/** Service level, ASA, probability of waiting and occupancy of `agents` agents. */
export function erlangC(agents: number, callsPerHour: number, ahtSec: number, thresholdSec: number): ErlangCFigures {
  const traffic = trafficErlangs(callsPerHour, ahtSec);
  if (traffic === 0) return { agents, trafficErlangs: 0, stable: true, serviceLevel: 1, pWait: 0, asaSec: 0, occupancy: 0 };
  if (agents <= traffic) return { agents, trafficErlangs: traffic, stable: false, serviceLevel: 0, pWait: 1, asaSec: null, occupancy: 1 };
  const pWait = erlangCWaitProbability(agents, traffic);
  return {
    agents,
    trafficErlangs: traffic,
    stable: true,
    serviceLevel: serviceLevelFrom(pWait, agents, traffic, ahtSec, thresholdSec),
    pWait,
    asaSec: (pWait * ahtSec) / (agents - traffic),
    occupancy: traffic / agents,
  };
}

/** The fewest agents that meet `targetSl`, with what they achieve. */
export function erlangCForTarget(callsPerHour: number, ahtSec: number, thresholdSec: number, targetSl: number): ErlangCFigures {
  return erlangC(requiredAgents(callsPerHour, ahtSec, thresholdSec, targetSl), callsPerHour, ahtSec, thresholdSec);
}
