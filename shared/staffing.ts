/**
 * Staffing for the duty manager's console (SPEC §4 "required agents", manual 003 §3.1): what
 * `GET /api/v1/staffing` and the what-if calculator `GET /api/v1/staffing/erlang-c` answer, as
 * the server sends them and the console reads them.
 */
import type { ErlangCFigures } from './erlang.ts';

/** One row of the staffing table: a queue, or the scope itself. */
export interface StaffingRow {
  scope: string;
  /** Contacts offered in the last 60 minutes (the rolling window's `offered`). */
  callsLastHour: number;
  /** AHT of the last 60 minutes, or of today when nothing was handled in the hour; null when neither. */
  ahtSec: number | null;
  /** Which window the AHT is from. */
  ahtWindow: '60m' | 'today' | null;
  thresholdSec: number;
  targetSl: number;
  trafficErlangs: number;
  /** Erlang C: fewest agents meeting the target; null without an AHT (or beyond the calculator's range). */
  required: number | null;
  /** Service level those agents are expected to give (null with `required`). */
  serviceLevelAtRequired: number | null;
  /** Agents ready or busy now (the ones taking calls). */
  readyBusy: number;
  /** Agents logged in now: ready + busy + after-call work + not ready. */
  loggedIn: number;
  /** Erlang C service level with the agents ready + busy now; null when it cannot be computed. */
  serviceLevelNow: number | null;
  /** Manual 003's table for the last hour's calls. */
  tableSeats: number;
}

/** `GET /api/v1/staffing?scope=centre|site:X`: the scope's queues, worst shortfall first, and the scope itself. */
export interface Staffing {
  scope: string;
  /** Time of the figures (ISO). */
  asOf: string;
  rows: StaffingRow[];
  /** The scope itself (the centre, or the site), pooled. */
  centre: StaffingRow;
  /** Queues staffed apart need more agents than one pooled queue: the sum, for comparison (null when any is unknown). */
  requiredByQueues: number | null;
  /** Manual 003's busy-hour seat table (shared/seat-types.ts). */
  seatTable: Array<{ callsPerHour: number; seats: number }>;
  /** Beyond its last row: `addSeats` more seats for every `everyCalls` more calls. */
  seatTableBeyond: { aboveCallsPerHour: number; everyCalls: number; addSeats: number };
}

/** `GET /api/v1/staffing/erlang-c`: what the agents achieve, with the request they answer (`targetSl` null when agents were given). */
export interface ErlangCAnswer extends ErlangCFigures {
  callsPerHour: number;
  ahtSec: number;
  thresholdSec: number;
  targetSl: number | null;
}
