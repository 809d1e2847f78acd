import { describe, expect, it } from 'vitest';
import { COUNTER_COUNT, newCounters } from '../../shared/kpi.ts';
import { MINUTE_MS } from '../../shared/time.ts';
import { MINUTE_SLOTS, ScopeState, SparseMinutes } from './scope-state.ts';

const T0 = Date.UTC(2026, 11, 6, 8, 0);
const minute = (n: number) => T0 + n * MINUTE_MS;

describe('SparseMinutes: an agent’s minute buckets in one array', () => {
  it('adds into each minute, sums a range, and keeps the last 72 minutes in at most 73 slots', () => {
    const m = new SparseMinutes();
    expect(m.add(minute(0), 0, 1)).toBe(true);
    expect(m.add(minute(0), 0, 2)).toBe(true);
    expect(m.add(minute(1), 3, 5)).toBe(true);
    expect(m.add(minute(0), 3, 7)).toBe(true);
    const sum = newCounters();
    m.sumInto(sum, minute(0));
    // Hand-computed: counter 0 = 1 + 2; counter 3 = 5 + 7.
    expect(sum[0]).toBe(3);
    expect(sum[3]).toBe(12);
    const second = newCounters();
    m.sumInto(second, minute(1), minute(2));
    expect([second[0], second[3]]).toEqual([0, 5]);
    expect(m.offset(minute(2))).toBe(-1);

    // 500 more minutes, one increment each: only the last 72 stay, and the slots are reused.
    for (let n = 2; n < 502; n++) m.add(minute(n), 1, n);
    expect(m.size).toBe(MINUTE_SLOTS);
    expect(m.data.length).toBeLessThanOrEqual((MINUTE_SLOTS + 1) * COUNTER_COUNT);
    expect(m.offset(minute(501 - MINUTE_SLOTS))).toBe(-1);
    expect(m.offset(minute(502 - MINUTE_SLOTS))).toBeGreaterThanOrEqual(0);
    // A minute older than those kept is refused, as a ring would drop it.
    expect(m.add(minute(400), 1, 1)).toBe(false);
    const last = newCounters();
    m.sumInto(last, minute(500));
    expect(last[1]).toBe(500 + 501);
    // A reused slot starts from zero: minute 501 holds only its own increment.
    expect(m.data[m.offset(minute(501)) + 1]).toBe(501);
    expect(m.data[m.offset(minute(501)) + 0]).toBe(0);
  });

  it('takes a checkpoint’s minutes as they were, and an agent scope hands them back changed', () => {
    const restored = new ScopeState(false);
    const counters = newCounters();
    counters[2] = 4;
    restored.restore({ kind: 0, startMs: minute(10), day: '', counters });
    // The copy is its own: changing the checkpoint's array changes nothing held.
    counters[2] = 99;
    expect(restored.minuteSum(minute(10), minute(11))[2]).toBe(4);
    restored.add(minute(10), 0, '2026-12-06', 2, 1);
    restored.add(minute(11), 0, '2026-12-06', 2, 6);
    const changed = restored.takeChanged('agent:a1');
    const minutes = changed.filter((b) => b.kind === 0).map((b) => [b.startMs, b.counters[2]]);
    expect(minutes).toEqual([[minute(10), 5], [minute(11), 6]]);
    expect(restored.rollingSum(minute(10))[2]).toBe(11);
  });
});
