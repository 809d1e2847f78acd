/**
 * The seat types (skills) of a provincial hotline, manual 003 §4.2, as queue ids with their
 * names, in the order a floor is used to reading them. Queues with other ids work everywhere;
 * these are the ones the demo simulates and the wallboard names in both languages.
 */
export const SEAT_TYPES = [
  { id: 'general', zh: '综合业务', en: 'General' },
  { id: 'customer', zh: '客户业务', en: 'Customer' },
  { id: 'value_added', zh: '增值业务', en: 'Value-added' },
  { id: 'brand', zh: '品牌', en: 'Brand' },
  { id: 'vip', zh: 'VIP会员', en: 'VIP members' },
  { id: 'complaints', zh: '投诉', en: 'Complaints' },
  { id: 'internal_help', zh: '内部求助', en: 'Internal help' },
  { id: 'back_office', zh: '综合解决', en: 'Back office' },
] as const;

export type SeatTypeId = (typeof SEAT_TYPES)[number]['id'];

export const SEAT_TYPE_IDS = SEAT_TYPES.map((s) => s.id) as readonly SeatTypeId[];

/**
 * Manual 003 §3.1, the busy-hour seat table ("based on the Erlang C formula and local
 * conditions"): agent-requested calls in the busy hour → seats to open. Beyond the last row,
 * `SEAT_TABLE_BEYOND` more seats per `SEAT_TABLE_STEP_CALLS` more calls. The manual gives no AHT
 * or target; the digest (§5.3) finds it matches Erlang C for calls of about 2 minutes at ~90 %
 * within 30 s, so it is shown beside the live Erlang C figure, not instead of it.
 */
export const BUSY_HOUR_SEAT_TABLE = [
  { callsPerHour: 50, seats: 5 },
  { callsPerHour: 100, seats: 7 },
  { callsPerHour: 200, seats: 10 },
  { callsPerHour: 300, seats: 14 },
  { callsPerHour: 400, seats: 17 },
] as const;
export const SEAT_TABLE_STEP_CALLS = 100;
export const SEAT_TABLE_BEYOND = 3;

/**
 * Seats the table asks for at `callsPerHour`: the row at or above the volume (a volume between
 * two rows gets the larger row's seats), and beyond 400 calls three more seats for every
 * started hundred. 0 without calls.
 */
export function seatsByTable(callsPerHour: number): number {
  if (!(callsPerHour > 0)) return 0;
  for (const row of BUSY_HOUR_SEAT_TABLE) if (callsPerHour <= row.callsPerHour) return row.seats;
  const last = BUSY_HOUR_SEAT_TABLE[BUSY_HOUR_SEAT_TABLE.length - 1];
  return last.seats + SEAT_TABLE_BEYOND * Math.ceil((callsPerHour - last.callsPerHour) / SEAT_TABLE_STEP_CALLS);
}
