/**
 * The monthly report as data (issue 6): which KPIs it shows, how the cube's summed counters
 * become KPIs (through `computeKpis`, the live engine's own formulas), and the queries that build
 * every report table. It takes a `run(sql)` function, so the same code serves DuckDB-WASM in the
 * browser, DuckDB-WASM under Node in the tests and the native DuckDB in the bench.
 */
import { COUNTER_NAMES, computeKpis, emptyLiveState, newCounters, type Counters, type KpiName, type Kpis, type KpiSettings } from './kpi.ts';
import { CONTACT_WIRE_COLUMNS, EXTRACT_COLUMNS, type ExtractTable } from './report-extract.ts';
import { CUBES, CUBE_COUNTERS, cubeSql, groupSql, REPORT_DIMS, rollupSql, type CubeFilter, type CubeName, type Grouping, type ReportDim, type ReportWindow } from './report-sql.ts';

export type Row = Record<string, unknown>;
export type RunSql = (sql: string) => Promise<Row[]>;

/** The KPIs of the monthly report, in the order the table shows them. */
export const REPORT_KPIS = [
  'offered',
  'answered',
  'abandoned',
  'flowedOut',
  'answerRate',
  'serviceLevel',
  'abandonRate',
  'asaSec',
  'ahtSec',
  'handled',
  'transferred',
  'fcr',
  'csat',
  'csatMean',
  'writtenFirstResponse',
  'closureRate',
  'closedOverOpened',
  'escalationCompliance',
] as const satisfies readonly KpiName[];
export type ReportKpi = (typeof REPORT_KPIS)[number];

function readCsv(file: string, columns: Record<string, string>): string {
  const types = Object.entries(columns).map(([name, type]) => `'${name}': '${type}'`).join(', ');
  return `read_csv('${file.replace(/'/g, "''")}', header = true, auto_detect = false, columns = {${types}}, timestampformat = '%Y-%m-%d %H:%M:%S.%g')`;
}

/**
 * `CREATE TABLE <table> AS …` from a month extract file: tickets and transfers as they are, the
 * contacts rebuilt from their compact file (CONTACT_WIRE_COLUMNS) into EXTRACT_COLUMNS.
 * `monthStart` is the manifest's `start`.
 */
export function loadCsvSql(table: ExtractTable, file: string, monthStart: string): string {
  if (table !== 'contacts') return `CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${readCsv(file, EXTRACT_COLUMNS[table])}`;
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(monthStart)) throw new Error(`month start: "${monthStart}" is not YYYY-MM-DD HH:MM:SS`);
  const at = (delta: string) => `TIMESTAMP '${monthStart}' + to_milliseconds(base_ms + ${delta})`;
  const decoded: Partial<Record<keyof typeof EXTRACT_COLUMNS.contacts, string>> = {
    offered_at: at('offered_d'),
    outcome_at: at('outcome_d'),
    // As shared/attribution.ts waitSec: max(0, (outcome − offered) / 1000) in UTC milliseconds.
    wait_sec: 'greatest(0, CAST(outcome_d - offered_d + coalesce(wait_fix_ms, 0) AS DOUBLE) / 1000)',
    wrapped_at: at('wrapped_d'),
    resolved_at: at('resolved_d'),
    survey_at: at('survey_d'),
  };
  // Every other column is in the file as it is in the table.
  const expr = Object.fromEntries(Object.keys(EXTRACT_COLUMNS.contacts).map((name) => [name, decoded[name as keyof typeof decoded] ?? name]));
  const select = Object.entries(expr).map(([name, e]) => `${e} AS ${name}`).join(', ');
  return `CREATE OR REPLACE TABLE contacts AS SELECT ${select} FROM ${readCsv(file, CONTACT_WIRE_COLUMNS)}`;
}

/** `CREATE TABLE <cube> AS …` from a cube file the server wrote (`COPY <cube> TO … csv`). */
export function loadCubeSql(cube: CubeName, file: string): string {
  const { table, keys } = CUBES[cube];
  const columns: Record<string, string> = Object.fromEntries(keys.map((k) => [k, k === 'hour_key' ? 'INTEGER' : 'VARCHAR']));
  for (const c of CUBE_COUNTERS) columns[c] = 'DOUBLE';
  return `CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${readCsv(file, columns)}`;
}

/** Counters of one result row (columns named as COUNTER_NAMES). */
export function countersOf(row: Row): Counters {
  const counters = newCounters();
  COUNTER_NAMES.forEach((name, i) => (counters[i] = Number(row[name] ?? 0)));
  return counters;
}

/**
 * KPIs of summed counters, by the live engine's formulas (live-only figures are meaningless here);
 * `grouping` the table's: queue outcomes are null in the team and agent breakdowns (shared/kpi.ts `forScope`).
 */
export function kpisOf(counters: Counters, settings: Pick<KpiSettings, 'serviceLevelVariant'>, grouping: Grouping = 'total'): Kpis {
  return computeKpis(counters, emptyLiveState(), 0, settings, grouping === 'agent_id' ? 'agent' : grouping);
}

export interface ReportRow {
  group: string | null;
  counters: Counters;
  kpis: Kpis;
}

export interface ReportData {
  total: ReportRow;
  byDim: Record<ReportDim, ReportRow[]>;
  daily: ReportRow[];
  hourly: ReportRow[];
  /** Milliseconds to build the cube and all tables. */
  elapsedMs: number;
}

/** One report table: summed counters per group from the cube, with their KPIs. */
export async function reportTable(run: RunSql, grouping: Grouping, settings: Pick<KpiSettings, 'serviceLevelVariant'>, filter: CubeFilter = {}): Promise<ReportRow[]> {
  const rows = await run(groupSql(grouping, filter));
  return rows.map((row) => {
    const counters = countersOf(row);
    return { group: row.grp === null || row.grp === undefined ? null : String(row.grp), counters, kpis: kpisOf(counters, settings, grouping) };
  });
}

/** Builds the cubes from the loaded month's record tables, then every report table from them. */
export async function buildReport(
  run: RunSql,
  window: ReportWindow,
  settings: KpiSettings,
  filter: CubeFilter = {},
  now: () => number = () => performance.now(),
): Promise<ReportData> {
  const started = now();
  await buildCubes(run, window, settings);
  const report = await reportTables(run, settings, filter, now);
  return { ...report, elapsedMs: now() - started };
}

/** Both cubes (report_cube_dims, report_cube_time) from the record tables. */
export async function buildCubes(run: RunSql, window: ReportWindow, settings: KpiSettings): Promise<void> {
  for (const cube of Object.keys(CUBES) as CubeName[]) await run(cubeSql(window, settings, cube));
}

/** Every report table from cubes already in the database (built here or loaded from the server's files). */
export async function reportTables(
  run: RunSql,
  settings: Pick<KpiSettings, 'serviceLevelVariant'>,
  filter: CubeFilter = {},
  now: () => number = () => performance.now(),
): Promise<ReportData> {
  const started = now();
  const tables = new Map<string, ReportRow[]>();
  for (const cube of Object.keys(CUBES) as CubeName[]) {
    for (const row of await run(rollupSql(cube, filter))) {
      const grouping = String(row.grouping);
      const group = row.grp === null || row.grp === undefined ? null : String(row.grp);
      // As groupSql: the tier table has only rows with a tier (contacts have none).
      if (grouping === 'tier' && group === null) continue;
      const counters = countersOf(row);
      const rows = tables.get(grouping) ?? [];
      rows.push({ group, counters, kpis: kpisOf(counters, settings, grouping as Grouping) });
      tables.set(grouping, rows);
    }
  }
  const table = (grouping: Grouping) => tables.get(grouping) ?? [];
  const byDim = Object.fromEntries(REPORT_DIMS.map((dim) => [dim, table(dim)])) as Record<ReportDim, ReportRow[]>;
  const zero = newCounters();
  const total = table('total')[0] ?? { group: 'total', counters: zero, kpis: kpisOf(zero, settings) };
  return { total, byDim, daily: table('day'), hourly: table('hour'), elapsedMs: now() - started };
}

/** Difference of two KPI values (null when either is missing). */
export function delta(current: number | null | undefined, previous: number | null | undefined): number | null {
  if (current === null || current === undefined || previous === null || previous === undefined) return null;
  return current - previous;
}
