/**
 * The answer of `GET /api/v1/kpis/contacts` (issue 10): the contacts, or tickets, behind a live
 * figure, as the server sends them and the duty manager's drawer reads them.
 */
import type { KpiName } from './kpi.ts';
import type { Occurrence, Population } from './kpi-population.ts';
import type { KpiWindow } from './time.ts';

/** One row of the drill-down table (the API contract of issue 10, plus what a ticket row needs). */
export interface DrillRow {
  id: string;
  kind: 'contact' | 'ticket';
  /** What of the record counts here (its queue outcome, wrap-up, survey, a ticket's close, ...). */
  occurrence: Occurrence;
  /** When it counts, centre-local `YYYY-MM-DD HH:mm:ss`; rows are newest first by it. */
  countsAt: string;
  inNumerator: boolean;
  inDenominator: boolean;
  /** The row's shares of `num` and `den` (0 or 1 but for sums; they add up to the totals). */
  numShare: number;
  denShare: number;
  customer: string | null;
  offeredAt: string | null;
  outcomeAt: string | null;
  waitSec: number | null;
  handleSec: number | null;
  agent: string | null;
  team: string | null;
  site: string | null;
  queue: string | null;
  channel: string | null;
  outcome: string | null;
  firstContact: boolean | null;
  surveyScore: number | null;
  /** The row's own contribution for a mean (wait for ASA, handle time for AHT, score for the mean score); else null. */
  value: number | null;
  tier?: string | null;
  category?: string | null;
  complaint?: boolean | null;
  openedAt?: string | null;
  deadlineAt?: string | null;
  closedAt?: string | null;
  /** Escalation compliance: which step (notified, acknowledged, feedback). */
  step?: string | null;
}

/** The whole answer: the figure's own `num` and `den` over the population, and its newest rows. */
export interface KpiContacts {
  scope: string;
  window: KpiWindow;
  kpi: KpiName;
  /** Time of the answer (ISO). */
  asOf: string;
  /** Start of the window, centre-local `YYYY-MM-DD HH:mm:ss`. */
  from: string | null;
  source: Population['source'];
  shape: Population['shape'];
  /** The figure: `num` for a count, `num ÷ den` otherwise (null without a denominator). */
  value: number | null;
  num: number;
  den: number;
  /** Rows in the population; `rows` stops at the server's limit, newest kept (`truncated`). */
  total: number;
  truncated: boolean;
  rows: DrillRow[];
}
