/**
 * The report SQL on the native DuckDB: loads a month's extract files into a private in-memory
 * database (never the store: its `contacts` and `tickets` are the records themselves).
 */
import { EXTRACT_TABLES, type ExtractTable } from '../../shared/report-extract.ts';
import { loadCsvSql, type RunSql } from '../../shared/report-model.ts';

export async function loadExtractNative(run: RunSql, paths: Record<ExtractTable, string>, monthStart: string): Promise<void> {
  for (const table of EXTRACT_TABLES) await run(loadCsvSql(table, paths[table], monthStart));
}
