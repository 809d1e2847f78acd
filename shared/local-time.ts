/**
 * Centre-local wall-clock text of many times at once (a drill-down's thousands of rows): the
 * zone's offset is looked up once per quarter hour (every zone changes offset on a quarter hour)
 * and the text built from UTC fields, where formatting each time through the zone costs ~100×.
 */

const offsets = new Map<string, number>();
const QUARTER_MS = 15 * 60_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of `tz` from UTC at `tsMs`, in ms (local = UTC + offset). */
export function zoneOffsetMs(tsMs: number, tz: string): number {
  const quarter = Math.floor(tsMs / QUARTER_MS);
  const key = `${tz}|${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    let formatter = formatters.get(tz);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
      formatters.set(tz, formatter);
    }
    const at = quarter * QUARTER_MS;
    const parts = Object.fromEntries(formatter.formatToParts(at).map((p) => [p.type, p.value]));
    const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
    offset = wall - at;
    if (offsets.size >= 10_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** `00`…`59`, for the clock fields. */
const TWO = Array.from({ length: 60 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
const DAY_MS = 86_400_000;
/** The last zone and quarter hour looked up, and the last local day written: rows come in time order. */
let lastTz = '';
let lastQuarter = NaN;
let lastOffset = 0;
let lastDayNumber = NaN;
let lastDayText = '';

/** `YYYY-MM-DD HH:mm:ss` of `tsMs` in `tz`; null for null. */
export function localDateTime(tsMs: number | null | undefined, tz: string): string | null {
  if (tsMs === null || tsMs === undefined || !Number.isFinite(tsMs)) return null;
  const quarter = Math.floor(tsMs / QUARTER_MS);
  if (quarter !== lastQuarter || tz !== lastTz) {
    lastOffset = zoneOffsetMs(tsMs, tz);
    lastQuarter = quarter;
    lastTz = tz;
  }
  const localMs = tsMs + lastOffset;
  const dayNumber = Math.floor(localMs / DAY_MS);
  if (dayNumber !== lastDayNumber) {
    lastDayNumber = dayNumber;
    lastDayText = new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
  }
  const second = Math.floor((localMs - dayNumber * DAY_MS) / 1000);
  return `${lastDayText} ${TWO[Math.floor(second / 3600)]}:${TWO[Math.floor(second / 60) % 60]}:${TWO[second % 60]}`;
}
