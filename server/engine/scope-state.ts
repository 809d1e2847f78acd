/**
 * Counters and live state of one scope: minute buckets for the rolling windows, 15-minute
 * intervals and day totals for today (and yesterday, for comparisons), the contacts waiting
 * and the agents by state. Every update is O(1).
 */
import { addCounters, emptyLiveState, newCounters, type Counters, type LiveState } from '../../shared/kpi.ts';
import type { AgentStateName } from '../../shared/events.ts';

export class ScopeState {
  /** Minute start → counters, for the rolling 15 and 60 minute windows. */
  readonly minutes = new Map<number, Counters>();
  /** 15-minute interval start → counters, for today and yesterday. */
  readonly intervals = new Map<number, Counters>();
  /** Local day `YYYY-MM-DD` → counters, for today and yesterday. */
  readonly days = new Map<string, Counters>();
  /** Contacts waiting in queue: contactId → offer time. */
  readonly waiting = new Map<string, number>();
  /** Agents by live state; not-ready agents also by the time their episode began. */
  readonly agentCounts = { ready: 0, busy: 0, acw: 0, not_ready: 0 };
  readonly notReadySince = new Map<string, number>();

  add(map: Map<number, Counters> | Map<string, Counters>, key: number | string, counter: number, amount: number): void {
    const m = map as Map<number | string, Counters>;
    let counters = m.get(key);
    if (!counters) {
      counters = newCounters();
      m.set(key, counters);
    }
    counters[counter] += amount;
  }

  /** Sum of minute buckets from `fromMinuteMs` on. */
  rollingSum(fromMinuteMs: number): Counters {
    const sum = newCounters();
    for (const [minute, counters] of this.minutes) if (minute >= fromMinuteMs) addCounters(sum, counters);
    return sum;
  }

  setAgent(agentId: string, state: AgentStateName, sinceMs: number, sign: 1 | -1): void {
    if (state === 'logged_out') return;
    this.agentCounts[state] += sign;
    if (state === 'not_ready') {
      if (sign === 1) this.notReadySince.set(agentId, sinceMs);
      else this.notReadySince.delete(agentId);
    }
  }

  /** Live state at `nowMs`; waits older than `maxWaitMs` are taken as lost events and dropped. */
  live(nowMs: number, notReadyLimitMs: number, maxWaitMs: number): LiveState {
    const live = emptyLiveState();
    let oldest = Infinity;
    for (const [contactId, offeredMs] of this.waiting) {
      if (nowMs - offeredMs > maxWaitMs) {
        this.waiting.delete(contactId);
        continue;
      }
      if (offeredMs < oldest) oldest = offeredMs;
    }
    live.inQueue = this.waiting.size;
    live.oldestWaitingTsMs = oldest === Infinity ? null : oldest;
    live.agents = { ...this.agentCounts };
    for (const since of this.notReadySince.values()) if (nowMs - since > notReadyLimitMs) live.notReadyOverLimit++;
    return live;
  }

  /** Forgets minute buckets before `minMinuteMs`, intervals before `minIntervalMs`, days not in `keepDays`. */
  prune(minMinuteMs: number, minIntervalMs: number, keepDays: Set<string>): void {
    for (const minute of this.minutes.keys()) if (minute < minMinuteMs) this.minutes.delete(minute);
    for (const interval of this.intervals.keys()) if (interval < minIntervalMs) this.intervals.delete(interval);
    for (const day of this.days.keys()) if (!keepDays.has(day)) this.days.delete(day);
  }
}
