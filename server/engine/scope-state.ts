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

/**
 * Minute buckets of a scope with few increments (an agent): only the minutes that have any, each
 * a slot of 26 counters in one growing Float64Array, found by minute. A ring would hold 72
 * minutes for each of ten thousand agents; a counter set of its own per minute cost an
 * ArrayBuffer each, about 200 bytes of objects besides its 208 (issue 15: 10,000 agents busy
 * every minute held 500,000 of them, 110 MB of ArrayBuffers and as much again on the heap).
 * Minutes older than MINUTE_SLOTS before the newest are dropped and their slots reused.
 */
export class SparseMinutes {
  /** Counters of slot `i` at `i * COUNTER_COUNT`. */
  data = new Float64Array(4 * COUNTER_COUNT);
  /** Minute → its slot. */
  private readonly slots = new Map<number, number>();
  private readonly freeSlots: number[] = [];
  private usedSlots = 0;
  private newest = -Infinity;
  /** The minute added to last and its slot's offset (a contact's increments come one after another); -1: none. */
  private lastMinute = -1;
  private lastOffset = 0;

  get size(): number {
    return this.slots.size;
  }

  /** Adds `amount` to one counter of a minute; false if it is older than the ones kept. */
  add(minuteMs: number, counter: number, amount: number): boolean {
    if (minuteMs <= this.newest - MINUTE_SLOTS * MINUTE_MS) return false;
    if (minuteMs !== this.lastMinute) {
      this.lastOffset = this.offsetOf(minuteMs, true);
      this.lastMinute = minuteMs;
    }
    this.data[this.lastOffset + counter] += amount;
    return true;
  }

  /** Offset of a minute's counters in `data`, or -1 when it has none. */
  offset(minuteMs: number): number {
    const slot = this.slots.get(minuteMs);
    return slot === undefined ? -1 : slot * COUNTER_COUNT;
  }

  /** Sets a minute's counters (from a checkpoint); ignored when older than the ones kept. */
  set(minuteMs: number, counters: ArrayLike<number>): void {
    if (minuteMs <= this.newest - MINUTE_SLOTS * MINUTE_MS) return;
    const offset = this.offsetOf(minuteMs, false);
    for (let i = 0; i < COUNTER_COUNT; i++) this.data[offset + i] = counters[i];
  }

  /** Adds the minutes with `fromMs <= minute < toMs` into `sum`. */
  sumInto(sum: Counters, fromMs: number, toMs = Infinity): void {
    const data = this.data;
    for (const [minute, slot] of this.slots) {
      if (minute < fromMs || minute >= toMs) continue;
      const base = slot * COUNTER_COUNT;
      for (let i = 0; i < COUNTER_COUNT; i++) sum[i] += data[base + i];
    }
  }

  /** Drops the minutes older than MINUTE_SLOTS before the newest; their slots are reused. */
  prune(): void {
    const oldest = this.newest - MINUTE_SLOTS * MINUTE_MS;
    for (const [minute, slot] of this.slots) {
      if (minute > oldest) continue;
      this.slots.delete(minute);
      this.freeSlots.push(slot);
    }
    this.lastMinute = -1;
  }

  private offsetOf(minuteMs: number, zeroed: boolean): number {
    let slot = this.slots.get(minuteMs);
    if (slot !== undefined) return slot * COUNTER_COUNT;
    slot = this.freeSlots.pop() ?? this.usedSlots++;
    if ((slot + 1) * COUNTER_COUNT > this.data.length) {
      // Half as many slots again, but no more than a full hour and its next minute need unless more are.
      const slots = Math.max(slot + 1, Math.min(Math.ceil(1.5 * (this.data.length / COUNTER_COUNT)), MINUTE_SLOTS + 1));
      const grown = new Float64Array(slots * COUNTER_COUNT);
      grown.set(this.data);
      this.data = grown;
    }
    const offset = slot * COUNTER_COUNT;
    if (zeroed) this.data.fill(0, offset, offset + COUNTER_COUNT);
    this.slots.set(minuteMs, slot);
    if (minuteMs > this.newest) {
      this.newest = minuteMs;
      if (this.slots.size > MINUTE_SLOTS) this.prune();
    }
    return offset;
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

  /** Minute buckets of a scope with few increments (an agent): see SparseMinutes. */
  private sparseMinutes: SparseMinutes | null = null;

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
        const offset = this.sparseMinutes.offset(minuteMs);
        if (offset >= 0) out.push({ scope, kind: 0, startMs: minuteMs, day: '', counters: copies.copy(this.sparseMinutes.data, offset) });
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
    this.cachedIntervalMs?.fill(-1);
    this.cachedIntervals.length = 0;
    this.markedMinuteStamps?.fill(-1);
  }

  /**
   * Sets a bucket from a checkpoint (at start, before any increment). An interval or a day keeps
   * `b.counters` itself, not a copy: a restart reads each bucket's counters fresh (half a million
   * buckets on a busy day, where a second copy of each was a fifth of the restore's garbage). A
   * minute is copied into its scope's ring or SparseMinutes slot.
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
      (this.sparseMinutes ??= new SparseMinutes()).set(b.startMs, b.counters);
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
    // Older than the ones kept: gone, as from a ring.
    if (!(this.sparseMinutes ??= new SparseMinutes()).add(minuteMs, counter, amount)) return;
    if (minuteMs !== this.lastMarkedMinute) {
      this.lastMarkedMinute = minuteMs;
      this.mark().minutes.add(minuteMs);
    }
  }

  /** Sum of minute buckets from `fromMinuteMs` on. */
  rollingSum(fromMinuteMs: number): Counters {
    const sum = newCounters();
    if (this.sparseMinutes !== null) {
      this.sparseMinutes.sumInto(sum, fromMinuteMs);
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
      this.sparseMinutes.sumInto(sum, fromMs, toMs);
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
    this.sparseMinutes?.prune();
    for (const day of this.days.keys()) if (!keepDays.has(day)) this.days.delete(day);
  }
}
