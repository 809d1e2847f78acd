/**
 * Loading a month into the page's DuckDB-WASM: the manifest, each table's gzip CSV (the browser
 * inflates it), the report tables, the targets in force that month and last month's totals.
 */
import { EXTRACT_TABLES, previousMonth, type ExtractManifest } from '../../shared/report-extract.ts';
import type { KpiSettings, Kpis } from '../../shared/kpi.ts';
import { buildReport, kpisOf, loadCsvSql, type ReportData } from '../../shared/report-model.ts';
import type { Targets } from '../../shared/targets.ts';
import { ApiError, type ReportApi } from './api.ts';
import type { ReportDb } from './duckdb.ts';

export interface LoadedMonth {
  manifest: ExtractManifest & { settings: KpiSettings };
  data: ReportData;
  targets: Targets;
  previous: Kpis | null;
  loadMs: number;
  bytes: number;
}

export async function loadMonth(api: ReportApi, db: ReportDb, month: string): Promise<LoadedMonth> {
  const started = performance.now();
  const manifest = await api.json<LoadedMonth['manifest']>(`/api/v1/extracts?month=${month}`);
  let bytes = 0;
  await Promise.all(
    EXTRACT_TABLES.map(async (table) => {
      const data = await api.bytes(manifest.files[table].url);
      bytes += data.byteLength;
      const file = `${month}-${table}.csv`;
      await db.registerFile(file, data);
      await db.run(loadCsvSql(table, file, manifest.start));
      await db.dropFile(file);
    }),
  );
  const loadMs = performance.now() - started;
  const data = await buildReport(db.run, manifest, manifest.settings);
  const [targets, previous] = await Promise.all([
    api.json<{ inForce: Targets }>(`/api/v1/targets?month=${month}`).then((r) => r.inForce),
    api
      .json<{ total: number[] }>(`/api/v1/reports/summary?month=${previousMonth(month)}`)
      .then((r) => (r.total.every((v) => v === 0) ? null : kpisOf(Float64Array.from(r.total), manifest.settings)))
      .catch((error: unknown) => {
        // No previous month (before the first stored one): no month-over-month deltas.
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
  ]);
  return { manifest, data, targets, previous, loadMs, bytes };
}
