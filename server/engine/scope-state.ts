/**
 * Counters and live state of one scope: a ring of minute buckets for the rolling windows, 15-minute
 * intervals and day totals for today (and yesterday, for comparisons), the contacts waiting
 * and the agents by state. Every update is O(1).
 */
import { COUNTER_COUNT, emptyLiveState, newCounters, type Counters, type LiveState } from '../../shared/kpi.ts';
import { INTERVAL_MS, MINUTE_MS } from '../../shared/time.ts';

/**
 * Minute slots kept per scope: the 60 of the widest rolling window, one being filled, and room
 * for events stamped a few minutes ahead (clock skew up to 10 min).
 */
export const MINUTE_SLOTS = 72;
/** Slots of the interval cache (a power of two): more than the intervals a batch's increments span. */
const INTERVAL_CACHE = 8;
import type { AgentStateName } from '../../shared/events.ts';
import type { CounterBucket } from '../records/snapshots.ts';

function bucket<K>(map: Map<K, Counters>, key: K): Counters {
  let counters = map.get(key);
  if (counters === undefined) {
    counters = newCounters();
    map.set(key, counters);
  }
  return counters;
}

/**
 * Copies of counter sets cut from shared chunks: a checkpoint copies a hundred thousand buckets
 * or more, and a Float64Array of its own each (208 bytes, beyond what V8 keeps on its heap) cost
 * an allocation outside the heap, some 4 µs a bucket (issue 15). Each copy is a view of its own
 * part of a chunk (readers that take its `buffer` must mind `byteOffset`, as the store does).
 */
export class CounterCopies {
  private chunk = new Float64Array(0);
  private used = 0;

  constructor(private readonly perChunk = 4096) {}

  copy(source: ArrayLike<number>, from = 0): Counters {
    if (this.used * COUNTER_COUNT >= this.chunk.length) {
      this.chunk = new Float64Array(this.perChunk * COUNTER_COUNT);
      this.used = 0;
    }
    const start = this.used++ * COUNTER_COUNT;
    const chunk = this.chunk;
    for (let i = 0; i < COUNTER_COUNT; i++) chunk[start + i] = source[from + i];
    return chunk.subarray(start, start + COUNTER_COUNT);
  }
}

export class ScopeState {
  /**
   * Buckets changed since the last checkpoint. Marked only when an increment lands in another
   * bucket than the one before (the caches below), so a busy scope pays nothing per increment;
   * a checkpoint resets the caches so the next increment marks again.
   */
  private marks: { minutes: Set<number>; intervals: Set<number>; days: Set<string> } | null = null;
  private lastMarkedMinute = -1;

  /**
   * Minute buckets for the rolling windows: a ring of MINUTE_SLOTS counter sets in one array,
   * each slot stamped with its minute, so a busy scope allocates nothing per minute.
   */
  private minuteRing: Float64Array | null = null;
  private readonly minuteStamps = new Float64Array(MINUTE_SLOTS).fill(-1);
  /** 15-minute interval start → counters, for today and yesterday. */
  readonly intervals = new Map<number, Counters>();
  /** Local day `YYYY-MM-DD` → counters, for today and yesterday. */
  readonly days = new Map<string, Counters>();
  /** Contacts waiting in queue: contactId → offer time. */
  readonly waiting = new Map<string, number>();
  /** Agents by live state; not-ready agents also by the time their episode began. */
  readonly agentCounts = { ready: 0, busy: 0, acw: 0, not_ready: 0 };
  readonly notReadySince = new Map<string, number>();

  /**
   * @param keepIntervals whether to keep 15-minute intervals: not for agents, whose intraday
   *   figures come from the store, as ten thousand agents' intervals would take most of the memory.
   */
  constructor(private readonly keepIntervals = true) {}

  /**
   * Minute buckets of a scope with few increments (an agent): only the minutes that have any,
   * where a ring would hold 72 minutes of 26 counters for each of ten thousand agents.
   */
  private sparseMinutes: Map<number, Float64Array> | null = null;
  private newestSparseMinute = -Infinity;

  /** Adds `amount` to one counter of the minute, the 15-minute interval and the day of an increment. */
  add(minuteMs: number | null, intervalMs: number, day: string, counter: number, amount: number): void {
    if (minuteMs !== null) this.addMinute(minuteMs, counter, amount);
    if (this.keepIntervals) {
      // The few intervals increments land in (a contact's spans a few) are found and marked
      // once per checkpoint, each in a slot of a small direct-mapped cache, not per increment.
      const slot = (intervalMs / INTERVAL_MS) & (INTERVAL_CACHE - 1);
      const cachedMs = (this.cachedIntervalMs ??= new Float64Array(INTERVAL_CACHE).fill(-1));
      let counters = this.cachedIntervals[slot];
      if (cachedMs[slot] !== intervalMs || counters === undefined) {
        cachedMs[slot] = intervalMs;
        this.cachedIntervals[slot] = counters = bucket(this.intervals, intervalMs);
        this.mark().intervals.add(intervalMs);
      }
      counters[counter] += amount;
    }
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.lastDayCounters = bucket(this.days, day);
      this.mark().days.add(day);
    }
    this.lastDayCounters![counter] += amount;
  }

  private mark(): { minutes: Set<number>; intervals: Set<number>; days: Set<string> } {
    return (this.marks ??= { minutes: new Set(), intervals: new Set(), days: new Set() });
  }

  /** Whether any bucket changed since the last `takeChanged`. */
  get changed(): boolean {
    return this.marks !== null;
  }

  /**
   * Copies of the buckets changed since the last call (still held), tagged with `scope`, added to
   * `out`; forgets the marks. A checkpoint passes one `copies` for all its scopes.
   */
  takeChanged<S extends string>(scope: S, out: Array<CounterBucket & { scope: S }> = [], copies = new CounterCopies(16)): Array<CounterBucket & { scope: S }> {
    const marks = this.marks;
    this.forgetChanged();
    if (!marks) return out;
    for (const minuteMs of marks.minutes) {
      if (this.sparseMinutes !== null) {
        const counters = this.sparseMinutes.get(minuteMs);
        if (counters) out.push({ scope, kind: 0, startMs: minuteMs, day: '', counters: copies.copy(counters) });
        continue;
      }
      const slot = (minuteMs / MINUTE_MS) % MINUTE_SLOTS;
      if (this.minuteStamps[slot] !== minuteMs || !this.minuteRing) continue;
      out.push({ scope, kind: 0, startMs: minuteMs, day: '', counters: copies.copy(this.minuteRing, slot * COUNTER_COUNT) });
    }
    for (const startMs of marks.intervals) {
      const counters = this.intervals.get(startMs);
      if (counters) out.push({ scope, kind: 1, startMs, day: '', counters: copies.copy(counters) });
    }
    for (const day of marks.days) {
      const counters = this.days.get(day);
      if (counters) out.push({ scope, kind: 2, startMs: 0, day, counters: copies.copy(counters) });
    }
    return out;
  }

  /** Forgets the marks without copying anything (after a restore, the buckets are the store's). */
  forgetChanged(): void {
    this.marks = null;
    this.forgetCachedBuckets();
    this.lastDay = '';
    this.lastMarkedMinute = -1;
  }

  /** Marks buckets changed again (a checkpoint that could not be written). */
  remark(buckets: CounterBucket[]): void {
    const marks = this.mark();
    for (const b of buckets) {
      if (b.kind === 0) marks.minutes.add(b.startMs);
      else if (b.kind === 1) marks.intervals.add(b.startMs);
      else marks.days.add(b.day);
    }
  }

  /** The next increment of each interval and ring minute looks up its bucket and marks it again. */
  private forgetCachedBuckets(): void {
    this.lastSparseMinuteMs = -1;
    this.lastSparseCounters = undefined;
    this.cachedIntervalMs?.fill(-1);
    this.cachedIntervals.length = 0;
    this.markedMinuteStamps?.fill(-1);
  }

  /**
   * Sets a bucket from a checkpoint (at start, before any increment). Keeps `b.counters` itself,
   * not a copy: a restart reads each bucket's counters fresh (half a million buckets on a busy
   * day, where a second copy of each was a fifth of the restore's garbage).
   */
  restore(b: CounterBucket): void {
    // A restored bucket replaces one a cache may hold.
    this.forgetCachedBuckets();
    this.lastDay = '';
    if (b.kind === 1) {
      if (this.keepIntervals) this.intervals.set(b.startMs, b.counters);
    }
    else if (b.kind === 2) this.days.set(b.day, b.counters);
    else if (!this.keepIntervals) {
      if (b.startMs <= this.newestSparseMinute - MINUTE_SLOTS * MINUTE_MS) return;
      (this.sparseMinutes ??= new Map()).set(b.startMs, b.counters);
      this.newestSparseMinute = Math.max(this.newestSparseMinute, b.startMs);
    } else {
      const slot = (b.startMs / MINUTE_MS) % MINUTE_SLOTS;
      if (this.minuteStamps[slot] > b.startMs) return;
      this.minuteRing ??= new Float64Array(MINUTE_SLOTS * COUNTER_COUNT);
      this.minuteRing.set(b.counters, slot * COUNTER_COUNT);
      this.minuteStamps[slot] = b.startMs;
    }
  }

  /**
   * Interval buckets found and marked since the last checkpoint, by start (see `add`); only for
   * scopes that keep intervals (not the ten thousand agents').
   */
  private cachedIntervalMs: Float64Array | null = null;
  private readonly cachedIntervals: Array<Counters | undefined> = [];
  /** Per ring slot, the minute marked in it since the last checkpoint (-1: none); with the ring. */
  private markedMinuteStamps: Float64Array | null = null;
  private lastDay = '';
  private lastDayCounters: Counters | undefined;

  private addMinute(minuteMs: number, counter: number, amount: number): void {
    if (!this.keepIntervals) {
      this.addSparseMinute(minuteMs, counter, amount);
      return;
    }
    const slot = (minuteMs / MINUTE_MS) % MINUTE_SLOTS;
    const stamp = this.minuteStamps[slot];
    // The slot holds a later minute: this one is older than any rolling window.
    if (stamp > minuteMs) return;
    this.minuteRing ??= new Float64Array(MINUTE_SLOTS * COUNTER_COUNT);
    const base = slot * COUNTER_COUNT;
    if (stamp !== minuteMs) {
      this.minuteRing.fill(0, base, base + COUNTER_COUNT);
      this.minuteStamps[slot] = minuteMs;
    }
    const marked = (this.markedMinuteStamps ??= new Float64Array(MINUTE_SLOTS).fill(-1));
    if (marked[slot] !== minuteMs) {
      marked[slot] = minuteMs;
      this.mark().minutes.add(minuteMs);
    }
    this.minuteRing[base + counter] += amount;
  }

  private addSparseMinute(minuteMs: number, counter: number, amount: number): void {
    // Older than the ring would keep: gone, as from a ring.
    if (minuteMs <= this.newestSparseMinute - MINUTE_SLOTS * MINUTE_MS) return;
    const minutes = (this.sparseMinutes ??= new Map());
    // A contact's increments at one time come one after another: the last minute's counters.
    let counters = minuteMs === this.lastSparseMinuteMs ? this.lastSparseCounters : minutes.get(minuteMs);
    if (!counters) {
      minutes.set(minuteMs, (counters = newCounters()));
      if (minuteMs > this.newestSparseMinute) {
        this.newestSparseMinute = minuteMs;
        if (minutes.size > MINUTE_SLOTS) this.pruneSparseMinutes();
      }
    }
    this.lastSparseMinuteMs = minuteMs;
    this.lastSparseCounters = counters;
    counters[counter] += amount;
    if (minuteMs !== this.lastMarkedMinute) {
      this.lastMarkedMinute = minuteMs;
      this.mark().minutes.add(minuteMs);
    }
  }

  /** The sparse minute `addSparseMinute` added to last, and its counters (still in `sparseMinutes`). */
  private lastSparseMinuteMs = -1;
  private lastSparseCounters: Counters | undefined;

  private pruneSparseMinutes(): void {
    this.lastSparseMinuteMs = -1;
    this.lastSparseCounters = undefined;
    const oldest = this.newestSparseMinute - MINUTE_SLOTS * MINUTE_MS;
    for (const minute of this.sparseMinutes?.keys() ?? []) if (minute <= oldest) this.sparseMinutes!.delete(minute);
  }

  /** Sum of minute buckets from `fromMinuteMs` on. */
  rollingSum(fromMinuteMs: number): Counters {
    const sum = newCounters();
    if (this.sparseMinutes !== null) {
      for (const [minute, counters] of this.sparseMinutes) {
        if (minute < fromMinuteMs) continue;
        for (let i = 0; i < COUNTER_COUNT; i++) sum[i] += counters[i];
      }
      return sum;
    }
    const ring = this.minuteRing;
    if (ring === null) return sum;
    for (let slot = 0; slot < MINUTE_SLOTS; slot++) {
      if (this.minuteStamps[slot] < fromMinuteMs) continue;
      const base = slot * COUNTER_COUNT;
      for (let i = 0; i < COUNTER_COUNT; i++) sum[i] += ring[base + i];
    }
    return sum;
  }

  /** Sum of the minute buckets still held (the last hour or so) with `fromMs <= minute < toMs`. */
  minuteSum(fromMs: number, toMs: number): Counters {
    const sum = newCounters();
    if (this.sparseMinutes !== null) {
      for (const [minute, counters] of this.sparseMinutes) {
        if (minute < fromMs || minute >= toMs) continue;
        for (let i = 0; i < COUNTER_COUNT; i++) sum[i] += counters[i];
      }
      return sum;
    }
    const ring = this.minuteRing;
    if (ring === null) return sum;
    for (let slot = 0; slot < MINUTE_SLOTS; slot++) {
      const stamp = this.minuteStamps[slot];
      if (stamp < fromMs || stamp >= toMs) continue;
      const base = slot * COUNTER_COUNT;
      for (let i = 0; i < COUNTER_COUNT; i++) sum[i] += ring[base + i];
    }
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

  /** Forgets intervals before `minIntervalMs` and days not in `keepDays` (minute slots recycle themselves). */
  prune(minIntervalMs: number, keepDays: Set<string>): void {
    // The cached buckets may be the ones pruned: look them up again next time.
    this.forgetCachedBuckets();
    this.lastDay = '';
    for (const interval of this.intervals.keys()) if (interval < minIntervalMs) this.intervals.delete(interval);
    this.pruneSparseMinutes();
    for (const day of this.days.keys()) if (!keepDays.has(day)) this.days.delete(day);
  }
}
