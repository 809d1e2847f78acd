/**
 * Required agents by Erlang C (SPEC §4): the fewest agents that meet a service-level target
 * for a given arrival rate and average handle time.
 */

/**
 * Probability that a contact waits (Erlang C) with `agents` servers and `trafficErlangs` of
 * offered load. 1 when the queue is unstable (agents <= traffic).
 */
export function erlangCWaitProbability(agents: number, trafficErlangs: number): number {
  if (agents <= trafficErlangs) return 1;
  // Erlang B by its stable recurrence, then C from B.
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (trafficErlangs * b) / (k + trafficErlangs * b);
  return b / (1 - (trafficErlangs / agents) * (1 - b));
}

/** Expected service level: share of contacts answered within `thresholdSec`. */
export function erlangCServiceLevel(agents: number, callsPerHour: number, ahtSec: number, thresholdSec: number): number {
  const traffic = (callsPerHour * ahtSec) / 3600;
  if (traffic === 0) return 1;
  if (agents <= traffic) return 0;
  const pWait = erlangCWaitProbability(agents, traffic);
  return 1 - pWait * Math.exp((-(agents - traffic) * thresholdSec) / ahtSec);
}

/**
 * Fewest agents whose Erlang C service level reaches `targetSl` for `callsPerHour` arrivals
 * with average handle time `ahtSec`; 0 when there is no traffic.
 */
export function requiredAgents(callsPerHour: number, ahtSec: number, thresholdSec: number, targetSl: number): number {
  if (callsPerHour <= 0 || ahtSec <= 0) return 0;
  const traffic = (callsPerHour * ahtSec) / 3600;
  let agents = Math.max(1, Math.floor(traffic) + 1);
  while (erlangCServiceLevel(agents, callsPerHour, ahtSec, thresholdSec) < targetSl && agents < 100_000) agents++;
  return agents;
}
