/**
 * Time windows (SPEC §4): rolling 15 and 60 minutes, today in the centre's time zone, and
 * 15-minute intervals for charts. All times are epoch milliseconds (UTC); only day boundaries
 * depend on the centre's time zone.
 */
import { TZDate } from '@date-fns/tz';
import { addDays, format, startOfDay } from 'date-fns';

export const WINDOWS = ['15m', '60m', 'today'] as const;
export type KpiWindow = (typeof WINDOWS)[number];

export const MINUTE_MS = 60_000;
export const INTERVAL_MS = 15 * MINUTE_MS;

/** Length of each rolling window in minutes. */
export const ROLLING_MINUTES: Record<Exclude<KpiWindow, 'today'>, number> = { '15m': 15, '60m': 60 };

/** Start of the minute containing `tsMs`. */
export function minuteStart(tsMs: number): number {
  return Math.floor(tsMs / MINUTE_MS) * MINUTE_MS;
}

/** Start of the 15-minute interval containing `tsMs` (aligned in UTC, true for all whole-quarter-hour zones). */
export function intervalStart(tsMs: number): number {
  return Math.floor(tsMs / INTERVAL_MS) * INTERVAL_MS;
}

/**
 * A rolling window covers whole minutes: the current minute and the `n − 1` before it, so at
 * 10:07:30 the 15-minute window holds events from 09:53:00 on.
 */
export function rollingWindowStart(nowMs: number, minutes: number): number {
  return minuteStart(nowMs) - (minutes - 1) * MINUTE_MS;
}

/** The local day `YYYY-MM-DD` of `tsMs` in time zone `tz`. */
export function dayKey(tsMs: number, tz: string): string {
  // Day boundaries fall on quarter hours in every zone, so one answer serves a whole quarter;
  // formatting through TZDate is the expensive part of filing events and records by day.
  const quarter = Math.floor(tsMs / INTERVAL_MS);
  const cacheKey = `${tz}|${quarter}`;
  let day = dayKeyCache.get(cacheKey);
  if (day === undefined) {
    day = format(new TZDate(quarter * INTERVAL_MS, tz), 'yyyy-MM-dd');
    if (dayKeyCache.size >= 10_000) dayKeyCache.clear();
    dayKeyCache.set(cacheKey, day);
  }
  return day;
}

const dayKeyCache = new Map<string, string>();

/** [start, end) of the local day containing `tsMs` in `tz`, as epoch ms (23–25 h long on DST days). */
export function dayBounds(tsMs: number, tz: string): { startMs: number; endMs: number; day: string } {
  const start = startOfDay(new TZDate(tsMs, tz));
  const end = addDays(start, 1);
  return { startMs: start.getTime(), endMs: end.getTime(), day: format(start, 'yyyy-MM-dd') };
}

/** Is `tz` an IANA time zone this runtime knows? */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Is `day` a real calendar day written `YYYY-MM-DD`? */
export function isDayKey(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** The earliest day and month any request may name (issue 12: a sane range, nothing before). */
export const EARLIEST_DAY = '2000-01-01';

/** The latest day a request may name: a year after `nowMs` (UTC day, so every zone's today is inside). */
export function latestDay(nowMs: number): string {
  const d = new Date(nowMs + 86_400_000);
  return `${String(d.getUTCFullYear() + 1).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/**
 * Why `value` is not a day a request may name (a real calendar day YYYY-MM-DD from 2000-01-01
 * to a year after today), as `<field>: …` without echoing the value; null when it is one.
 */
export function dayFieldError(field: string, value: string, nowMs: number): string | null {
  const latest = latestDay(nowMs);
  if (!isDayKey(value)) return `${field}: must be a calendar day YYYY-MM-DD`;
  if (value < EARLIEST_DAY || value > latest) return `${field}: must be a day from ${EARLIEST_DAY} to ${latest}`;
  return null;
}

/** As dayFieldError for a month `YYYY-MM` (from 2000-01 to the month a year after today). */
export function monthFieldError(field: string, value: string, nowMs: number): string | null {
  const latest = latestDay(nowMs).slice(0, 7);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) return `${field}: must be a month YYYY-MM`;
  if (value < EARLIEST_DAY.slice(0, 7) || value > latest) return `${field}: must be a month from ${EARLIEST_DAY.slice(0, 7)} to ${latest}`;
  return null;
}

/**
 * The day key `days` calendar days after `day` (before, if negative): date arithmetic on the
 * `YYYY-MM-DD` itself, the same in every zone (no clock change moves a date).
 */
export function shiftDay(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * [start, end) of the local day `day` (`YYYY-MM-DD`) in `tz`: from its local midnight, built in
 * the zone itself (noon UTC is another local day in zones beyond ±12 h).
 */
export function localDayBounds(day: string, tz: string): { startMs: number; endMs: number; day: string } {
  const [y, m, d] = day.split('-').map(Number);
  return dayBounds(new TZDate(y, m - 1, d, 12, 0, 0, tz).getTime(), tz);
}

/**
 * Starts of the 15-minute intervals of a local day: 96, or 92 / 100 on a day the clocks go
 * forward / back (SPEC §4: intervals for charts). Each starts a real quarter hour after the last.
 */
export function dayIntervalStarts(day: string, tz: string): number[] {
  const { startMs, endMs } = localDayBounds(day, tz);
  const starts: number[] = [];
  for (let t = startMs; t < endMs; t += INTERVAL_MS) starts.push(t);
  return starts;
}

/** Local wall-clock `HH:mm` of `tsMs` in `tz` (on a day the clocks go back, an hour's labels repeat). */
export function localClock(tsMs: number, tz: string): string {
  return format(new TZDate(tsMs, tz), 'HH:mm');
}
