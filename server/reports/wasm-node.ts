/**
 * DuckDB-WASM under Node (the blocking build, STACK-NOTES §2a "Testing the SQL layer"): the
 * same engine and SQL dialect as the reports page, for the tests that prove the page's figures
 * and for the bench. Not used by the running server.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RunSql } from '../../shared/report-model.ts';
import { arrowRows } from '../../shared/arrow-rows.ts';

const require = createRequire(import.meta.url);

export interface WasmDb {
  run: RunSql;
  registerText(name: string, text: string): void;
  registerBuffer(name: string, bytes: Uint8Array): void;
  insertArrowIpc(table: string, bytes: Uint8Array): void;
  /** The query's result as Arrow IPC stream bytes. */
  ipc(sql: string): Uint8Array;
  close(): void;
}

export async function openWasmDb(): Promise<WasmDb> {
  const duckdb = require('@duckdb/duckdb-wasm/blocking') as typeof import('@duckdb/duckdb-wasm/blocking');
  const arrow = require('apache-arrow') as typeof import('apache-arrow');
  const dist = dirname(require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs'));
  const db = await duckdb.createDuckDB(
    {
      mvp: { mainModule: join(dist, 'duckdb-mvp.wasm'), mainWorker: join(dist, 'duckdb-node-mvp.worker.cjs') },
      eh: { mainModule: join(dist, 'duckdb-eh.wasm'), mainWorker: join(dist, 'duckdb-node-eh.worker.cjs') },
    },
    new duckdb.VoidLogger(),
    duckdb.NODE_RUNTIME,
  );
  await db.instantiate();
  db.open({ query: { castBigIntToDouble: true, castTimestampToDate: false, castDecimalToDouble: true } });
  const conn = db.connect();
  // Offline, an autoloaded extension hangs: fail fast instead (STACK-NOTES §2a).
  conn.query('SET autoinstall_known_extensions = false');
  conn.query('SET autoload_known_extensions = false');
  return {
    run: async (sql) => arrowRows(conn.query(sql)),
    registerText: (name, text) => db.registerFileText(name, text),
    registerBuffer: (name, bytes) => db.registerFileBuffer(name, bytes),
    insertArrowIpc: (table, bytes) => conn.insertArrowFromIPCStream(bytes, { name: table, create: true }),
    ipc: (sql) => arrow.tableToIPC(conn.query(sql), 'stream'),
    close: () => {
      conn.close();
      db.reset();
    },
  };
}
