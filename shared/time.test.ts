/** Windows and local days (SPEC §4: "today" and days/months use the centre's time zone). */
import { describe, expect, it } from 'vitest';
import {
  INTERVAL_MS,
  MINUTE_MS,
  ROLLING_MINUTES,
  dayBounds,
  dayKey,
  intervalStart,
  isValidTimeZone,
  minuteStart,
  rollingWindowStart,
  shiftDay,
} from './time.ts';

const HOUR = 3_600_000;

describe('dayKey / dayBounds in Asia/Shanghai (UTC+8, no DST)', () => {
  const tz = 'Asia/Shanghai';

  it('local midnight is 16:00 UTC the day before', () => {
    // 2024-05-31T15:59:59.999Z = 2024-05-31 23:59:59.999 local
    expect(dayKey(Date.UTC(2024, 4, 31, 15, 59, 59, 999), tz)).toBe('2024-05-31');
    // 2024-05-31T16:00:00Z = 2024-06-01 00:00 local
    expect(dayKey(Date.UTC(2024, 4, 31, 16, 0, 0), tz)).toBe('2024-06-01');
  });

  it('bounds of 2024-06-01 local: [05-31 16:00Z, 06-01 16:00Z)', () => {
    const b = dayBounds(Date.UTC(2024, 5, 1, 3, 0, 0), tz); // 11:00 local
    expect(b.day).toBe('2024-06-01');
    expect(b.startMs).toBe(Date.UTC(2024, 4, 31, 16));
    expect(b.endMs).toBe(Date.UTC(2024, 5, 1, 16));
    expect(b.endMs - b.startMs).toBe(24 * HOUR);
  });

  it('the start belongs to the day, the end to the next', () => {
    const start = Date.UTC(2024, 4, 31, 16);
    expect(dayBounds(start, tz).startMs).toBe(start);
    expect(dayBounds(start - 1, tz).day).toBe('2024-05-31');
    const end = dayBounds(start, tz).endMs;
    expect(dayBounds(end, tz).day).toBe('2024-06-02');
    expect(dayBounds(end, tz).startMs).toBe(end);
  });

  it('year end', () => {
    expect(dayKey(Date.UTC(2024, 11, 31, 16, 30), tz)).toBe('2025-01-01');
    expect(dayBounds(Date.UTC(2024, 11, 31, 16, 30), tz).startMs).toBe(Date.UTC(2024, 11, 31, 16));
  });
});

describe('dayKey / dayBounds across DST in Europe/Berlin', () => {
  const tz = 'Europe/Berlin';

  it('spring forward (2024-03-31, 02:00 CET → 03:00 CEST): a 23-hour day', () => {
    // local midnight is 23:00Z before (CET, +1) and 22:00Z after (CEST, +2)
    const b = dayBounds(Date.UTC(2024, 2, 31, 12), tz);
    expect(b.day).toBe('2024-03-31');
    expect(b.startMs).toBe(Date.UTC(2024, 2, 30, 23));
    expect(b.endMs).toBe(Date.UTC(2024, 2, 31, 22));
    expect(b.endMs - b.startMs).toBe(23 * HOUR);
    expect(dayKey(Date.UTC(2024, 2, 30, 22, 59, 59, 999), tz)).toBe('2024-03-30');
    expect(dayKey(Date.UTC(2024, 2, 30, 23), tz)).toBe('2024-03-31');
    expect(dayKey(Date.UTC(2024, 2, 31, 21, 59, 59, 999), tz)).toBe('2024-03-31');
    expect(dayKey(Date.UTC(2024, 2, 31, 22), tz)).toBe('2024-04-01');
  });

  it('an instant just after the jump (03:00 CEST = 01:00Z) is on the same 23-hour day', () => {
    const b = dayBounds(Date.UTC(2024, 2, 31, 1), tz);
    expect(b.startMs).toBe(Date.UTC(2024, 2, 30, 23));
    expect(b.endMs).toBe(Date.UTC(2024, 2, 31, 22));
  });

  it('fall back (2024-10-27, 03:00 CEST → 02:00 CET): a 25-hour day', () => {
    const b = dayBounds(Date.UTC(2024, 9, 27, 12), tz);
    expect(b.day).toBe('2024-10-27');
    expect(b.startMs).toBe(Date.UTC(2024, 9, 26, 22));
    expect(b.endMs).toBe(Date.UTC(2024, 9, 27, 23));
    expect(b.endMs - b.startMs).toBe(25 * HOUR);
    // both 02:30 local times (00:30Z CEST and 01:30Z CET) are on 2024-10-27
    expect(dayKey(Date.UTC(2024, 9, 27, 0, 30), tz)).toBe('2024-10-27');
    expect(dayKey(Date.UTC(2024, 9, 27, 1, 30), tz)).toBe('2024-10-27');
    expect(dayKey(Date.UTC(2024, 9, 27, 22, 59), tz)).toBe('2024-10-27');
    expect(dayKey(Date.UTC(2024, 9, 27, 23), tz)).toBe('2024-10-28');
  });

  it('an ordinary summer day is 24 hours', () => {
    const b = dayBounds(Date.UTC(2024, 6, 15, 12), tz);
    expect(b.startMs).toBe(Date.UTC(2024, 6, 14, 22));
    expect(b.endMs - b.startMs).toBe(24 * HOUR);
  });
});

describe('rolling windows and intervals', () => {
  // 2024-06-03 10:07:30 Shanghai = 02:07:30Z
  const now = Date.UTC(2024, 5, 3, 2, 7, 30);

  it('minute and 15-minute interval starts', () => {
    expect(MINUTE_MS).toBe(60_000);
    expect(INTERVAL_MS).toBe(900_000);
    expect(minuteStart(now)).toBe(Date.UTC(2024, 5, 3, 2, 7));
    expect(intervalStart(now)).toBe(Date.UTC(2024, 5, 3, 2, 0));
    expect(intervalStart(Date.UTC(2024, 5, 3, 2, 14, 59, 999))).toBe(Date.UTC(2024, 5, 3, 2, 0));
    expect(intervalStart(Date.UTC(2024, 5, 3, 2, 15))).toBe(Date.UTC(2024, 5, 3, 2, 15));
  });

  it('at 10:07:30 the 15-minute window starts at 09:53:00 and the 60-minute one at 09:08:00', () => {
    expect(ROLLING_MINUTES['15m']).toBe(15);
    expect(ROLLING_MINUTES['60m']).toBe(60);
    expect(rollingWindowStart(now, 15)).toBe(Date.UTC(2024, 5, 3, 1, 53));
    expect(rollingWindowStart(now, 60)).toBe(Date.UTC(2024, 5, 3, 1, 8));
  });

  it('on a minute boundary the current minute is the newest of the window', () => {
    expect(rollingWindowStart(Date.UTC(2024, 5, 3, 2, 7), 15)).toBe(Date.UTC(2024, 5, 3, 1, 53));
    expect(rollingWindowStart(Date.UTC(2024, 5, 3, 2, 6, 59, 999), 15)).toBe(Date.UTC(2024, 5, 3, 1, 52));
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA names and rejects others', () => {
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});

describe('shiftDay: calendar days on a day key', () => {
  it('crosses month, year and leap-day ends both ways', () => {
    expect(shiftDay('2026-12-06', 1)).toBe('2026-12-07');
    expect(shiftDay('2026-12-31', 1)).toBe('2027-01-01');
    expect(shiftDay('2027-01-01', -1)).toBe('2026-12-31');
    expect(shiftDay('2024-02-28', 1)).toBe('2024-02-29');
    expect(shiftDay('2023-02-28', 1)).toBe('2023-03-01');
    expect(shiftDay('2024-03-01', -1)).toBe('2024-02-29');
    expect(shiftDay('2026-12-06', -31)).toBe('2026-11-05');
    expect(shiftDay('2026-12-06', -7)).toBe('2026-11-29');
    expect(shiftDay('2026-12-06', 0)).toBe('2026-12-06');
  });

  it('is the same on the days the clocks change (no zone is involved)', () => {
    // Europe/Berlin springs forward on 2024-03-31 and falls back on 2024-10-27.
    expect(shiftDay('2024-03-30', 1)).toBe('2024-03-31');
    expect(shiftDay('2024-03-31', 1)).toBe('2024-04-01');
    expect(shiftDay('2024-10-27', -1)).toBe('2024-10-26');
  });
});
