/** Tests' record store: on a DuckDB file of its own in `dir`, closed after `use`. */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { RecordStore } from './record-store.ts';

export async function withRecordStore(dir: string, file: string, nowMs: number, use: (records: RecordStore, db: DuckDBConnection) => Promise<void>, timeZone = 'Asia/Shanghai'): Promise<void> {
  const instance = await DuckDBInstance.create(join(dir, file));
  const db = await instance.connect();
  let records: RecordStore | undefined;
  try {
    records = await RecordStore.open(() => instance.connect(), { timeZone, settings: DEFAULT_KPI_SETTINGS, clock: { now: () => nowMs } });
    await records.prepare();
    await use(records, db);
  } finally {
    records?.close();
    db.closeSync();
    instance.closeSync();
  }
}
