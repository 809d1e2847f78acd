/**
 * The report SQL on the native DuckDB: loads a month's extract files into a private in-memory
 * database (never the store: its `contacts` and `tickets` are the records themselves), and
 * writes the report cubes from them, so the page and the month summary start from the cubes.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { CUBE_FILES, EXTRACT_TABLES, type ExtractTable } from '../../shared/report-extract.ts';
import type { KpiSettings } from '../../shared/kpi.ts';
import { buildCubes, loadCsvSql, type Row, type RunSql } from '../../shared/report-model.ts';
import { CUBES, type CubeName, type ReportWindow } from '../../shared/report-sql.ts';

export async function loadExtractNative(run: RunSql, paths: Record<ExtractTable, string>, monthStart: string): Promise<void> {
  for (const table of EXTRACT_TABLES) await run(loadCsvSql(table, paths[table], monthStart));
}

/** A private in-memory native DuckDB for one job; `close` frees it. */
export async function privateDuckDb(): Promise<{ run: RunSql; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  return {
    run: async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJS() as Row[],
    close: () => {
      db.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Sums both cubes from the extract files with the report SQL (the same `cubeSql` the page ran
 * itself before) and writes each as gzip CSV into `dir`: cube name → row count.
 */
export async function writeCubeFiles(paths: Record<ExtractTable, string>, window: ReportWindow, settings: KpiSettings, dir: string): Promise<Record<CubeName, number>> {
  const { run, close } = await privateDuckDb();
  try {
    await loadExtractNative(run, paths, window.start);
    await buildCubes(run, window, settings);
    const rows = {} as Record<CubeName, number>;
    for (const cube of Object.keys(CUBES) as CubeName[]) {
      const file = join(dir, `${CUBE_FILES[cube]}.csv.gz`).replace(/'/g, "''");
      const [result] = await run(`COPY (SELECT * FROM ${CUBES[cube].table} ORDER BY ALL) TO '${file}' (FORMAT csv, HEADER, COMPRESSION gzip)`);
      rows[cube] = Number(Object.values(result ?? {})[0] ?? 0);
    }
    return rows;
  } finally {
    close();
  }
}
