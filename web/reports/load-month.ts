/**
 * Loading a month into the page's DuckDB-WASM. The report tables come from the two cubes the
 * server summed (a few thousand rows: fast to download and group); the contact, transfer and
 * ticket rows (most of the bytes and of the load time) are fetched only when a drill-down or the
 * SQL console first needs them (`records()`). Also the targets in force and last month's totals.
 */
import { CUBE_FILES, EXTRACT_TABLES, previousMonth, type ExtractManifest } from '../../shared/report-extract.ts';
import type { KpiSettings, Kpis } from '../../shared/kpi.ts';
import { kpisOf, loadCsvSql, loadCubeSql, reportTables, type ReportData } from '../../shared/report-model.ts';
import type { CubeName } from '../../shared/report-sql.ts';
import type { Targets, TargetVersion } from '../../shared/targets.ts';
import { ApiError, type ReportApi } from './api.ts';
import type { ReportDb } from './duckdb.ts';
import type { MonthTargets } from './report-view.ts';

export interface LoadedMonth {
  manifest: ExtractManifest & { settings: KpiSettings };
  data: ReportData;
  /** The centre's targets in force on the month's first day (the month table). */
  targets: Targets;
  /** Every target version of every scope: breakdown rows are judged by their own scope's (issue 11). */
  judging: MonthTargets;
  previous: Kpis | null;
  /** Milliseconds from the first request to the cubes being in DuckDB. */
  loadMs: number;
  bytes: number;
  /** The record tables (contacts, transfers, tickets), loaded on the first call. */
  records: () => Promise<RecordsLoaded>;
}

export interface RecordsLoaded {
  loadMs: number;
  bytes: number;
}

/** Downloads one extract file into a table. */
async function loadFile(api: ReportApi, db: ReportDb, url: string, name: string, sql: (file: string) => string): Promise<number> {
  const data = await api.bytes(url);
  const file = `${name}.csv`;
  await db.registerFile(file, data);
  await db.run(sql(file));
  await db.dropFile(file);
  return data.byteLength;
}

export async function loadMonth(api: ReportApi, db: ReportDb, month: string): Promise<LoadedMonth> {
  const started = performance.now();
  const manifest = await api.json<LoadedMonth['manifest']>(`/api/v1/extracts?month=${month}`);
  const sizes = await Promise.all(
    (Object.keys(CUBE_FILES) as CubeName[]).map((cube) => loadFile(api, db, manifest.cubes[cube].url, `${month}-${CUBE_FILES[cube]}`, (file) => loadCubeSql(cube, file))),
  );
  const loadMs = performance.now() - started;
  const data = await reportTables(db.run, manifest.settings);
  let records: Promise<RecordsLoaded> | null = null;
  const loadRecords = async (): Promise<RecordsLoaded> => {
    const from = performance.now();
    const bytes = await Promise.all(EXTRACT_TABLES.map((table) => loadFile(api, db, manifest.files[table].url, `${month}-${table}`, (file) => loadCsvSql(table, file, manifest.start))));
    return { loadMs: performance.now() - from, bytes: bytes.reduce((a, b) => a + b, 0) };
  };
  const [{ inForce: targets, versions }, previous] = await Promise.all([
    api.json<{ inForce: Targets; versions: TargetVersion[] }>(`/api/v1/targets?month=${month}`),
    api
      .json<{ total: number[] }>(`/api/v1/reports/summary?month=${previousMonth(month)}`)
      .then((r) => (r.total.every((v) => v === 0) ? null : kpisOf(Float64Array.from(r.total), manifest.settings)))
      .catch((error: unknown) => {
        // No previous month (before the first stored one): no month-over-month deltas.
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
  ]);
  return {
    manifest,
    data,
    targets,
    judging: { month, versions },
    previous,
    loadMs,
    bytes: sizes.reduce((a, b) => a + b, 0),
    // A failed load is tried again on the next use rather than remembered.
    records: () => (records ??= loadRecords().catch((error: unknown) => ((records = null), Promise.reject(error)))),
  };
}
