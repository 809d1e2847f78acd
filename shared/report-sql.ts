/**
 * The monthly report's SQL (issue 6): the same counters as shared/kpi.ts, attributed as in
 * shared/attribution.ts (each counter at the time of its own outcome), written once as SQL over
 * the month extract tables (shared/report-extract.ts). The browser runs it in DuckDB-WASM, the
 * tests in DuckDB-WASM under Node and the bench also in the native DuckDB; KPIs are then computed
 * from the summed counters by `computeKpis`, so no formula is written twice.
 *
 * Everything first lands in two small cubes (by dimension; by local hour) with one scan
 * per kind of contribution; every report table is a small GROUP BY over a cube.
 */
import { COUNTER_NAMES, type CounterName, type KpiName, type KpiSettings } from './kpi.ts';
import { OCCURRENCE_OF, populationOf, type Term } from './kpi-population.ts';

/** Dimensions a report can break down by; `tier` is the ticket tier (tickets only). */
export const REPORT_DIMS = ['site', 'queue', 'team', 'agent_id', 'channel', 'tier'] as const;
export type ReportDim = (typeof REPORT_DIMS)[number];

/** Month bounds and clock, as local wall-clock `YYYY-MM-DD HH:MM:SS` (see ExtractManifest). */
export interface ReportWindow {
  start: string;
  end: string;
  asOf: string;
}

type ReportSettings = Pick<KpiSettings, 'serviceLevelSec' | 'shortAbandonSec' | 'writtenResponseSec' | 'escalationSec'>;

const ts = (text: string) => {
  // Milliseconds are allowed: the live drill-down (server/store/kpi-population-sql.ts) bounds to the engine's clock.
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{3})?$/.test(text)) throw new Error(`report window: "${text}" is not YYYY-MM-DD HH:MM:SS`);
  return `TIMESTAMP '${text}'`;
};
const num = (n: number) => {
  if (!Number.isFinite(n)) throw new Error(`report settings: ${n} is not a number`);
  return String(n);
};

/** One kind of contribution: the rows it comes from, when it counts, and what it adds. */
export interface Kind {
  from: string;
  at: string;
  where?: string;
  dims: Record<'site' | 'queue' | 'team' | 'agent_id' | 'channel' | 'tier', string>;
  add: Partial<Record<CounterName, string>>;
}

const CONTACT_DIMS = { site: 'site', queue: 'queue', team: 'team', agent_id: 'agent_id', channel: 'channel', tier: 'NULL::VARCHAR' };
const TICKET_DIMS = { site: 'site', queue: 'queue', team: 'team', agent_id: 'NULL::VARCHAR', channel: 'channel', tier: 'tier' };

/**
 * Every kind of contribution, in SQL over tables shaped like the month extract's. Also the
 * population rows of the live drill-down (server/store/kpi-population-sql.ts), over views of the
 * record store with those columns.
 */
export function kinds(s: ReportSettings, asOf: string): Kind[] {
  const T = num(s.serviceLevelSec);
  const S = num(s.shortAbandonSec);
  const written = `channel IN ('email', 'chat', 'social')`;
  const limit = `CASE channel WHEN 'email' THEN ${num(s.writtenResponseSec.email)} WHEN 'chat' THEN ${num(s.writtenResponseSec.chat)} WHEN 'social' THEN ${num(s.writtenResponseSec.social)} END`;
  const flag = (cond: string) => `CASE WHEN ${cond} THEN 1 ELSE 0 END`;
  const steps = (['notified', 'acknowledged', 'feedback'] as const).map((step): Kind[] => {
    const due = `escalated_at + INTERVAL (${num(s.escalationSec[step])}) SECOND`;
    const done = `${step}_at`;
    return [
      { from: 'tickets', at: done, where: `escalated_at IS NOT NULL AND ${done} <= ${due}`, dims: TICKET_DIMS, add: { escalationStepsOnTime: '1' } },
      { from: 'tickets', at: due, where: `escalated_at IS NOT NULL AND (${done} IS NULL OR ${done} > ${due}) AND ${due} <= ${ts(asOf)}`, dims: TICKET_DIMS, add: { escalationStepsMissed: '1' } },
    ];
  });
  return [
    { from: 'contacts', at: 'offered_at', dims: CONTACT_DIMS, add: { offered: '1' } },
    {
      from: 'contacts',
      at: 'outcome_at',
      dims: CONTACT_DIMS,
      add: {
        answered: flag(`outcome = 'answered'`),
        answeredInSl: flag(`outcome = 'answered' AND wait_sec <= ${T}`),
        answerWaitSec: `CASE WHEN outcome = 'answered' THEN coalesce(wait_sec, 0) ELSE 0 END`,
        abandoned: flag(`outcome = 'abandoned'`),
        shortAbandoned: flag(`outcome = 'abandoned' AND wait_sec < ${S}`),
        abandonedInSl: flag(`outcome = 'abandoned' AND wait_sec <= ${T}`),
        flowedOut: flag(`outcome = 'flowed_out'`),
        writtenOutcomes: flag(written),
        writtenInTarget: flag(`${written} AND outcome = 'answered' AND wait_sec <= ${limit}`),
      },
    },
    {
      from: 'transfers JOIN contacts USING (contact_id)',
      at: 'transferred_at',
      dims: CONTACT_DIMS,
      add: { transferred: '1' },
    },
    { from: 'contacts', at: 'wrapped_at', dims: CONTACT_DIMS, add: { handled: '1', handleSec: 'coalesce(handle_sec, 0)' } },
    { from: 'contacts', at: 'resolved_at', dims: CONTACT_DIMS, add: { resolved: '1', resolvedFirst: flag('first_contact AND NOT repeated_later') } },
    {
      from: 'contacts',
      at: 'survey_at',
      where: 'survey_score IS NOT NULL',
      dims: CONTACT_DIMS,
      add: {
        surveys: '1',
        surveyTopTwo: flag('survey_score >= survey_scale - 1'),
        surveyScore5: 'CASE WHEN survey_scale = 5 THEN survey_score ELSE 1 + (survey_score - 1) * 4 / (survey_scale - 1) END',
      },
    },
    { from: 'tickets', at: 'opened_at', dims: TICKET_DIMS, add: { ticketsOpened: '1' } },
    { from: 'tickets', at: 'closed_at', dims: TICKET_DIMS, add: { ticketsClosed: '1', ticketsOnTime: flag(`closure = 'on_time'`) } },
    { from: 'tickets', at: 'deadline_at', where: `closure = 'overdue'`, dims: TICKET_DIMS, add: { ticketsOverdue: '1' } },
    ...steps.flat(),
  ];
}

/** Counter columns of the cube, in COUNTER_NAMES order. */
export const CUBE_COUNTERS: readonly CounterName[] = COUNTER_NAMES;

/** The two cubes: by dimension (breakdowns, ranking, totals) and by local hour (day and hour charts). */
export const CUBES = {
  dims: { table: 'report_cube_dims', keys: ['site', 'queue', 'team', 'agent_id', 'channel', 'tier'] },
  time: { table: 'report_cube_time', keys: ['hour_key'] },
} as const;
export type CubeName = keyof typeof CUBES;

function inWindow(k: Kind, window: ReportWindow): string {
  return [`${k.at} >= ${ts(window.start)}`, `${k.at} < ${ts(window.end)}`, ...(k.where ? [k.where] : [])].join(' AND ');
}

/**
 * `CREATE TABLE <cube> AS …`: every contribution inside the month, summed per key. Hash
 * aggregation is what costs in DuckDB-WASM (one thread), so each cube does as few as it can:
 * the dimension cube folds all kinds of one table into a single scan of conditional sums (a
 * contact's dimensions do not depend on which of its times counts), and the time cube groups
 * each kind by one timestamp key. Only these small results are unioned.
 */
export function cubeSql(window: ReportWindow, settings: ReportSettings, cube: CubeName): string {
  const { table, keys } = CUBES[cube];
  const all = kinds(settings, window.asOf);
  const byKey = keys.map((_, i) => i + 1).join(', ');
  let selects: string[];
  if (cube === 'dims') {
    const sources = [...new Set(all.map((k) => k.from))];
    selects = sources.map((from) => {
      const group = all.filter((k) => k.from === from);
      // Each kind's window test once per row (w0, w1, …), not once per counter it feeds.
      const flags = group.map((k, i) => `(${inWindow(k, window)}) AS w${i}`);
      const counters = CUBE_COUNTERS.map((c) => {
        const parts = group.map((k, i) => (k.add[c] ? `CASE WHEN w${i} THEN ${k.add[c]} ELSE 0 END` : null)).filter((p) => p !== null);
        return parts.length ? `sum(${parts.join(' + ')})::DOUBLE AS "${c}"` : `0::DOUBLE AS "${c}"`;
      });
      const dims = group[0].dims;
      return `SELECT ${[...keys.map((key) => `${dims[key as keyof Kind['dims']]} AS ${key}`), ...counters].join(', ')} FROM (SELECT *, ${flags.join(', ')} FROM ${from}) GROUP BY ${byKey}`;
    });
  } else {
    selects = all.map((k) => {
      const counters = CUBE_COUNTERS.map((c) => (k.add[c] ? `sum(${k.add[c]})::DOUBLE AS "${c}"` : `0::DOUBLE AS "${c}"`));
      return `SELECT CAST(epoch_ms(${k.at}) // 3600000 AS INTEGER) AS hour_key, ${counters.join(', ')} FROM ${k.from} WHERE ${inWindow(k, window)} GROUP BY 1`;
    });
  }
  const sums = CUBE_COUNTERS.map((c) => `sum("${c}") AS "${c}"`).join(', ');
  return `CREATE OR REPLACE TABLE ${table} AS
SELECT ${keys.join(', ')}, ${sums}
FROM (${selects.join('\nUNION ALL\n')}) GROUP BY ${byKey}`;
}

/** A filter on the cube: dimension → value (null matches rows without that dimension). */
export type CubeFilter = Partial<Record<ReportDim, string | null>>;

/** SQL string literal. */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function whereOf(filter: CubeFilter, keys: readonly string[]): string {
  const parts = Object.entries(filter).map(([dim, value]) => {
    if (!keys.includes(dim)) throw new Error(`report filter: cannot filter by "${dim}" here (only ${keys.join(', ')})`);
    return value === null ? `${dim} IS NULL` : `${dim} = ${sqlLiteral(value as string)}`;
  });
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

/** What a report table is grouped by: nothing (totals), a dimension, the day or the hour. */
export type Grouping = 'total' | ReportDim | 'day' | 'hour';

/** Summed counters from a cube per group; the group column is `grp` (VARCHAR). */
export function groupSql(grouping: Grouping, filter: CubeFilter = {}): string {
  const cube = grouping === 'day' || grouping === 'hour' ? CUBES.time : CUBES.dims;
  const sums = CUBE_COUNTERS.map((c) => `sum("${c}") AS "${c}"`).join(', ');
  const where = whereOf(filter, cube.keys);
  if (grouping === 'total') return `SELECT 'total' AS grp, ${sums} FROM ${cube.table} ${where}`;
  const expr = grouping === 'day' ? `strftime(epoch_ms(hour_key * 3600000::BIGINT), '%Y-%m-%d')` : grouping === 'hour' ? `lpad(CAST(hour_key % 24 AS VARCHAR), 2, '0')` : grouping;
  const extra = grouping === 'tier' ? (where ? ' AND tier IS NOT NULL' : 'WHERE tier IS NOT NULL') : '';
  return `SELECT ${expr} AS grp, ${sums} FROM ${cube.table} ${where}${extra} GROUP BY ALL ORDER BY grp NULLS LAST`;
}

/**
 * Every report table of one cube in a single query (GROUPING SETS): the dimension cube gives the
 * total and each breakdown, the time cube the days and the hours. Row for row the same as
 * `groupSql` per grouping (a test holds them equal); one scan instead of one per table, which
 * is most of what the tables cost in DuckDB-WASM. Columns: `grouping`, `grp`, the counters.
 */
export function rollupSql(cube: CubeName, filter: CubeFilter = {}): string {
  const { table, keys } = CUBES[cube];
  const sums = CUBE_COUNTERS.map((c) => `sum("${c}") AS "${c}"`).join(', ');
  const where = whereOf(filter, keys);
  const groupings: Array<[Grouping, string]> =
    cube === 'dims'
      ? REPORT_DIMS.map((dim) => [dim, dim])
      : [
          ['day', `strftime(epoch_ms(hour_key * 3600000::BIGINT), '%Y-%m-%d')`],
          ['hour', `lpad(CAST(hour_key % 24 AS VARCHAR), 2, '0')`],
        ];
  const columns = groupings.map(([name, expr]) => `${expr} AS g_${name}`).join(', ');
  const names = groupings.map(([name]) => `g_${name}`);
  // grouping(a, b, …) has a bit set for each column a row is summed over: one clear bit names the table.
  const bit = (i: number) => (1 << names.length) - 1 - (1 << (names.length - 1 - i));
  const which = `CASE grouping(${names.join(', ')}) ${groupings.map(([name], i) => `WHEN ${bit(i)} THEN '${name}'`).join(' ')} ELSE 'total' END`;
  const grp = `CASE grouping(${names.join(', ')}) ${names.map((n, i) => `WHEN ${bit(i)} THEN ${n}`).join(' ')} ELSE 'total' END`;
  const sets = [...(cube === 'dims' ? ['()'] : []), ...names.map((n) => `(${n})`)].join(', ');
  return `SELECT ${which} AS grouping, ${grp} AS grp, ${sums}
FROM (SELECT ${columns}, * FROM ${table} ${where}) GROUP BY GROUPING SETS (${sets})
ORDER BY grouping, grp NULLS LAST`;
}

/**
 * A drill-down: the rows of a figure's population (shared/kpi-population.ts, the same definition
 * the console's contacts endpoint uses) in the month and group, one row per counted occurrence,
 * so the rows are exactly what the formula counted (answer rate: no short abandons) and their
 * shares add up to its numerator and denominator.
 */
export interface DrillQuery {
  kpi: KpiName;
  settings: ReportSettings & Pick<KpiSettings, 'serviceLevelVariant'>;
  window: Pick<ReportWindow, 'start' | 'end' | 'asOf'>;
  /** Dimension filter; `day` / `hour` narrow to one local day (YYYY-MM-DD) or hour (00–23). */
  filter: CubeFilter & { day?: string; hour?: string };
  /** Free text matched against ids, agent, queue, team, site and customer. */
  search?: string;
  sort?: { column: string; descending: boolean };
  limit: number;
}

/** The table a figure's rows come from; null for figures without rows (live or agents' time). */
export function drillTableOf(kpi: KpiName): 'contacts' | 'tickets' | null {
  return populationOf(kpi, { serviceLevelVariant: 'standard' })?.source ?? null;
}

/** Σ coefficient × what the kind adds to each counter of the term (as the live drill's shares). */
function shareOf(term: Term, kind: Kind): string {
  const parts = Object.entries(term)
    .filter(([counter]) => kind.add[counter as CounterName] !== undefined)
    .map(([counter, k]) => `${num(k ?? 0)} * (${kind.add[counter as CounterName]})`);
  return parts.length > 0 ? `(${parts.join(' + ')})::DOUBLE` : '0::DOUBLE';
}

/**
 * `SELECT` of the rows behind a figure: `columns` of each row plus `counts_at` (when it counts),
 * `occurrence`, `num_share` and `den_share`, and over all rows (not only those returned)
 * `total`, `num_total` and `den_total`. Throws for figures without rows.
 */
export function drillSql(q: DrillQuery, columns: readonly string[]): string {
  const population = populationOf(q.kpi, q.settings);
  if (!population) throw new Error(`drill: ${q.kpi} has no rows behind it`);
  const terms = { ...population.num, ...population.den };
  const table = population.source === 'tickets' ? 'tickets' : 'contacts';
  const relevant = kinds(q.settings, q.window.asOf).filter(
    (kind) => (table === 'tickets' ? kind.from === 'tickets' : kind.from !== 'tickets') && Object.keys(terms).some((c) => kind.add[c as CounterName] !== undefined),
  );
  const filters: string[] = [];
  for (const [dim, value] of Object.entries(q.filter)) {
    if (value === undefined || dim === 'day' || dim === 'hour') continue;
    if (!(REPORT_DIMS as readonly string[]).includes(dim)) throw new Error(`drill filter: unknown dimension "${dim}"`);
    if (dim === 'agent_id' && table === 'tickets') filters.push('false');
    else if (dim === 'tier' && table === 'contacts') filters.push(value === null ? 'true' : 'false');
    else filters.push(value === null ? `${table}.${dim} IS NULL` : `${table}.${dim} = ${sqlLiteral(String(value))}`);
  }
  if (q.search) {
    const text = sqlLiteral(`%${q.search}%`);
    const searchable = columns.filter((c) => ['contact_id', 'ticket_id', 'agent_id', 'queue', 'team', 'site', 'customer', 'category', 'channel', 'outcome', 'tier'].includes(c));
    if (searchable.length > 0) filters.push(`(${searchable.map((c) => `${table}.${c} ILIKE ${text}`).join(' OR ')})`);
  }
  const selects = relevant.map((kind) => {
    const occurrence = OCCURRENCE_OF[Object.keys(kind.add)[0] as CounterName];
    const conds = [`${kind.at} >= ${ts(q.window.start)}`, `${kind.at} < ${ts(q.window.end)}`, ...(kind.where ? [kind.where] : []), ...filters];
    if (q.filter.day !== undefined) conds.push(`strftime(CAST(${kind.at} AS DATE), '%Y-%m-%d') = ${sqlLiteral(String(q.filter.day))}`);
    if (q.filter.hour !== undefined) conds.push(`hour(${kind.at}) = ${Number(q.filter.hour)}`);
    const picked = columns.map((c) => `${table}.${c} AS ${c}`).join(', ');
    return `SELECT ${picked}, ${kind.at} AS counts_at, '${occurrence}' AS occurrence, ${shareOf(population.num, kind)} AS num_share, ${shareOf(population.den, kind)} AS den_share
  FROM ${kind.from} WHERE ${conds.join(' AND ')}`;
  });
  const none = `SELECT ${columns.map((c) => `${table}.${c} AS ${c}`).join(', ')}, NULL::TIMESTAMP AS counts_at, NULL::VARCHAR AS occurrence, 0::DOUBLE AS num_share, 0::DOUBLE AS den_share FROM ${table} WHERE false`;
  const sortable = [...columns, 'counts_at'];
  const sortColumn = q.sort && sortable.includes(q.sort.column) ? q.sort.column : 'counts_at';
  const order = `${sortColumn} ${q.sort?.descending ? 'DESC' : 'ASC'} NULLS LAST, ${table === 'tickets' ? 'ticket_id' : 'contact_id'}, occurrence`;
  const limit = Math.max(1, Math.min(Math.floor(q.limit), 10_000));
  return `SELECT *, count(*) OVER () AS total, sum(num_share) OVER () AS num_total, sum(den_share) OVER () AS den_total
FROM (${selects.length > 0 ? selects.join('\nUNION ALL\n') : none}) WHERE num_share <> 0 OR den_share <> 0 ORDER BY ${order} LIMIT ${limit}`;
}
