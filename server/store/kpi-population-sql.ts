/**
 * The population behind a figure (shared/kpi-population.ts) over the stored records: every
 * contact or ticket that left the engine's memory is in the record store, so after a flush the
 * store holds every record the live figures count. One query gives the population's size, its
 * numerator and denominator, and its newest rows.
 *
 * The counters come from the report's SQL attribution (shared/report-sql.ts `kinds`, the SQL
 * twin of shared/attribution.ts that the monthly report already uses), run over views of the
 * record tables with the columns it expects, in UTC epoch time rather than local wall-clock
 * (each kind compares its own times with the window, so the frame does not matter). A row's
 * shares are the population's coefficients applied to one kind's counters, exactly as
 * `sharesOf` applies them to one occurrence's contributions in memory.
 *
 * Only recently written rows can count in a live window: a record is written after each event
 * that changes it, and no event is accepted more than `maxFutureSkewSec` ahead of the clock, so
 * a contribution stamped at or after the window start comes from a row written at or after
 * start − skew; the passing of a ticket's deadline, with no event, comes at most the longest
 * ticket or escalation clock after the write that set it. That bound lets DuckDB skip the row
 * groups of older days.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { kinds, sqlLiteral, type Kind } from '../../shared/report-sql.ts';
import { OCCURRENCE_OF, type Occurrence, type Population, type Term } from '../../shared/kpi-population.ts';
import type { CounterName, KpiSettings } from '../../shared/kpi.ts';
import { SITE_QUEUE, type ParsedScope } from '../../shared/scope.ts';

export interface StoredPopulationQuery {
  population: Population;
  scope: ParsedScope;
  /** The window's contributions: startMs <= ts < endMs (KpiEngine.windowBounds). */
  startMs: number;
  endMs: number;
  /** The clock: ticket deadlines and escalation steps due by now count as missed. */
  nowMs: number;
  settings: KpiSettings;
  maxFutureSkewSec: number;
  /** Rows returned at most (newest first); the totals cover the whole population. */
  limit: number;
}

/** One stored row of a population, with what the drill-down table shows of its record. */
export interface StoredShareRow {
  id: string;
  occurrence: Occurrence;
  tsMs: number;
  num: number;
  den: number;
  site: string | null;
  queue: string | null;
  team: string | null;
  channel: string | null;
  /** Contacts. */
  customerRef?: string | null;
  agentId?: string | null;
  offeredMs?: number | null;
  outcomeMs?: number | null;
  outcome?: string | null;
  waitSec?: number | null;
  handleSec?: number | null;
  firstContact?: boolean | null;
  surveyScore?: number | null;
  /** Tickets. */
  tier?: string | null;
  category?: string | null;
  complaint?: boolean | null;
  openedMs?: number | null;
  deadlineMs?: number | null;
  closedMs?: number | null;
  escalatedMs?: number | null;
  notifiedMs?: number | null;
  acknowledgedMs?: number | null;
  feedbackMs?: number | null;
}

export interface StoredPopulation {
  total: number;
  num: number;
  den: number;
  rows: StoredShareRow[];
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, as the report SQL's timestamp literals take it. */
function utcText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

/** The scope as a filter on a record table's columns (the rule of shared/scope.ts `scopesOf`). */
function scopeFilter(scope: ParsedScope, table: 'contacts' | 'tickets'): string {
  switch (scope.dimension) {
    case 'centre':
      return 'true';
    case SITE_QUEUE:
      return `site = ${sqlLiteral(scope.site)} AND queue = ${sqlLiteral(scope.queue)}`;
    case 'agent':
      // Tickets belong to no agent (shared/attribution.ts TicketRecord).
      return table === 'tickets' ? 'false' : `agent_id = ${sqlLiteral(scope.name)}`;
    default:
      return `${scope.dimension} = ${sqlLiteral(scope.name)}`;
  }
}

const ms = (column: string) => `CAST(${column} AS DOUBLE)`;
const OUTCOME_MS = `CASE outcome WHEN 'answered' THEN answered_ms WHEN 'abandoned' THEN abandoned_ms WHEN 'flowed_out' THEN flowed_out_ms END`;

/** Σ coefficient × what the kind adds to each counter of the term (0 when it adds to none). */
function shareSql(term: Term, kind: Kind): string {
  const parts = Object.entries(term)
    .filter(([counter]) => kind.add[counter as CounterName] !== undefined)
    .map(([counter, k]) => `${k} * (${kind.add[counter as CounterName]})`);
  return parts.length > 0 ? `(${parts.join(' + ')})::DOUBLE` : '0::DOUBLE';
}

/** The query: views shaped like the month extract, one SELECT per kind that feeds the figure, totals and the newest rows. */
export function storedPopulationSql(q: StoredPopulationQuery): string {
  const { population, scope, startMs, endMs, nowMs, settings } = q;
  const skewMs = q.maxFutureSkewSec * 1000;
  const longestClockMs = Math.max(...Object.values(settings.ticketDeadlineSec), ...Object.values(settings.escalationSec)) * 1000;
  const terms = { ...population.num, ...population.den };
  const feeds = (kind: Kind) => Object.keys(terms).some((counter) => kind.add[counter as CounterName] !== undefined);
  const source = population.source;
  const ofSource = (kind: Kind) => (source === 'tickets' ? kind.from === 'tickets' : kind.from !== 'tickets');
  const relevant = kinds(settings, utcText(nowMs)).filter((kind) => ofSource(kind) && feeds(kind));
  const at = (kind: Kind) => `${kind.at} >= TIMESTAMP '${utcText(startMs)}' AND ${kind.at} < TIMESTAMP '${utcText(endMs)}'${kind.where ? ` AND ${kind.where}` : ''}`;
  const table = source === 'tickets' ? 'tickets' : 'contacts';
  // Narrow rows (the record's row id, no text) until the newest are chosen: the population can
  // be a whole day of contacts, and only MAX_ROWS of them need their columns.
  const selects = relevant.map((kind) => {
    const occurrence: Occurrence = OCCURRENCE_OF[Object.keys(kind.add)[0] as CounterName];
    return `SELECT '${occurrence}' AS occurrence, epoch_ms(${kind.at}) AS ts_ms, ${shareSql(population.num, kind)} AS num, ${shareSql(population.den, kind)} AS den, ${table}.rid
      FROM ${kind.from} WHERE ${at(kind)}`;
  });
  const views =
    source === 'tickets'
      ? `tickets AS NOT MATERIALIZED (
          SELECT *, rowid AS rid, epoch_ms(opened_ms) AS opened_at, epoch_ms(deadline_ms) AS deadline_at, epoch_ms(closed_ms) AS closed_at,
            epoch_ms(escalated_ms) AS escalated_at, epoch_ms(notified_ms) AS notified_at, epoch_ms(acknowledged_ms) AS acknowledged_at,
            epoch_ms(feedback_ms) AS feedback_at,
            CASE WHEN deadline_ms IS NULL THEN NULL WHEN closed_ms IS NOT NULL AND closed_ms <= deadline_ms THEN 'on_time' WHEN ${nowMs} >= deadline_ms THEN 'overdue' END AS closure
          FROM main.tickets WHERE NOT drill AND updated_ms >= ${startMs - skewMs - longestClockMs} AND ${scopeFilter(scope, 'tickets')})`
      : `contacts AS NOT MATERIALIZED (
          SELECT *, rowid AS rid, epoch_ms(offered_ms) AS offered_at, epoch_ms(${OUTCOME_MS}) AS outcome_at,
            epoch_ms(wrapped_ms) AS wrapped_at, epoch_ms(resolved_ms) AS resolved_at, epoch_ms(survey_ms) AS survey_at
          FROM main.contacts WHERE NOT drill AND updated_ms >= ${startMs - skewMs} AND ${scopeFilter(scope, 'contacts')}),
        transfers AS (
          SELECT contact_id, epoch_ms(t) AS transferred_at FROM (
            SELECT contact_id, unnest(CAST(json_extract(fold, '$.record.transferTsMs') AS BIGINT[])) AS t FROM contacts WHERE transfers > 0))`;
  const details = source === 'tickets'
    ? ['ticket_id', 'site', 'queue', 'team', 'channel', 'tier', 'category', 'complaint', ...['opened_ms', 'deadline_ms', 'closed_ms', 'escalated_ms', 'notified_ms', 'acknowledged_ms', 'feedback_ms'].map(ms)]
    : ['contact_id', 'site', 'queue', 'team', 'channel', 'customer_ref', 'agent_id', ms('offered_ms'), ms(OUTCOME_MS), 'outcome', 'wait_sec', 'handle_sec', 'first_contact', 'survey_score'];
  const limit = Math.max(0, Math.floor(q.limit));
  const none = `SELECT NULL::VARCHAR AS occurrence, 0::BIGINT AS ts_ms, 0::DOUBLE AS num, 0::DOUBLE AS den, 0::BIGINT AS rid WHERE false`;
  return `WITH ${views},
    pop AS (SELECT * FROM (${selects.length > 0 ? selects.join('\nUNION ALL\n') : none}) WHERE num <> 0 OR den <> 0),
    totals AS (SELECT count(*)::DOUBLE AS total, coalesce(sum(num), 0)::DOUBLE AS num_total, coalesce(sum(den), 0)::DOUBLE AS den_total FROM pop),
    newest AS (SELECT * FROM pop ORDER BY ts_ms DESC, rid DESC, occurrence LIMIT ${limit}),
    shown AS (SELECT newest.occurrence, newest.ts_ms, newest.num, newest.den, ${details.map((c) => (c.startsWith('CAST(') ? c : `r.${c}`)).join(', ')}
      FROM newest JOIN ${table} r ON r.rid = newest.rid)
    SELECT totals.total, totals.num_total, totals.den_total, shown.* EXCLUDE (ts_ms), CAST(shown.ts_ms AS DOUBLE) AS ts_ms
    FROM totals LEFT JOIN shown ON true ORDER BY shown.ts_ms DESC, shown.${table === 'tickets' ? 'ticket_id' : 'contact_id'} DESC, shown.occurrence`;
}

/** The population's totals and newest rows from the store (run through RecordStore.read). */
export async function storedPopulation(db: DuckDBConnection, q: StoredPopulationQuery): Promise<StoredPopulation> {
  // Materialised, not streamed: a streamed result of a few thousand rows comes back several times slower.
  const result = await db.run(storedPopulationSql(q));
  const out: StoredPopulation = { total: 0, num: 0, den: 0, rows: [] };
  const tickets = q.population.source === 'tickets';
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const width = chunk.columnCount;
    const cols: any[][] = [];
    for (let k = 0; k < width; k++) cols.push(chunk.getColumnVector(k).toArray());
    const n = chunk.rowCount;
    const tsMs = cols[width - 1];
    for (let i = 0; i < n; i++) {
      out.total = cols[0][i];
      out.num = cols[1][i];
      out.den = cols[2][i];
      if (cols[3][i] === null) continue; // no rows: the totals alone
      // Plain literals (no spread, no closures): thousands of rows per request.
      out.rows.push(tickets
        ? {
            occurrence: cols[3][i], num: cols[4][i], den: cols[5][i], id: cols[6][i], site: cols[7][i], queue: cols[8][i], team: cols[9][i], channel: cols[10][i], tsMs: tsMs[i],
            tier: cols[11][i], category: cols[12][i], complaint: cols[13][i], openedMs: cols[14][i], deadlineMs: cols[15][i], closedMs: cols[16][i],
            escalatedMs: cols[17][i], notifiedMs: cols[18][i], acknowledgedMs: cols[19][i], feedbackMs: cols[20][i],
          }
        : {
            occurrence: cols[3][i], num: cols[4][i], den: cols[5][i], id: cols[6][i], site: cols[7][i], queue: cols[8][i], team: cols[9][i], channel: cols[10][i], tsMs: tsMs[i],
            customerRef: cols[11][i], agentId: cols[12][i], offeredMs: cols[13][i], outcomeMs: cols[14][i], outcome: cols[15][i], waitSec: cols[16][i],
            handleSec: cols[17][i], firstContact: cols[18][i], surveyScore: cols[19][i],
          });
    }
  }
  return out;
}
