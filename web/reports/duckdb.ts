/**
 * DuckDB-WASM for the reports page, loaded only by this page (the wallboard never imports it).
 * Bundles come from local `?url` assets, not a CDN (offline LANs, STACK-NOTES §2a), and only the
 * `eh` build is shipped. Extension autoloading is off: offline it would hang.
 */
import * as duckdb from '@duckdb/duckdb-wasm';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';
import ehWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js?url';
import type { Row } from '../../shared/report-model.ts';
import { arrowRows } from '../../shared/arrow-rows.ts';

export interface QueryResult {
  columns: Array<{ name: string; type: string }>;
  rows: Row[];
}

export class ReportDb {
  private constructor(
    private readonly db: duckdb.AsyncDuckDB,
    private readonly conn: duckdb.AsyncDuckDBConnection,
  ) {}

  static async open(): Promise<ReportDb> {
    const worker = new Worker(ehWorker);
    const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
    await db.instantiate(ehWasm);
    await db.open({ query: { castBigIntToDouble: true, castDecimalToDouble: true, castTimestampToDate: false } });
    const conn = await db.connect();
    await conn.query('SET autoinstall_known_extensions = false');
    await conn.query('SET autoload_known_extensions = false');
    return new ReportDb(db, conn);
  }

  async registerFile(name: string, bytes: Uint8Array): Promise<void> {
    await this.db.registerFileBuffer(name, bytes);
  }

  async dropFile(name: string): Promise<void> {
    await this.db.dropFile(name);
  }

  /** Rows as plain objects (timestamps as epoch ms of the local wall-clock time). */
  run = async (sql: string): Promise<Row[]> => (await this.query(sql)).rows;

  async query(sql: string): Promise<QueryResult> {
    const table = await this.conn.query(sql);
    const columns = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
    const rows = arrowRows(table) as Row[];
    return { columns, rows };
  }

  /** Bytes of memory DuckDB holds (for the bench and the status line). */
  async memoryBytes(): Promise<number> {
    const rows = await this.run('SELECT sum(memory_usage_bytes) AS bytes FROM duckdb_memory()');
    return Number(rows[0]?.bytes ?? 0);
  }

  async close(): Promise<void> {
    await this.conn.close();
    await this.db.terminate();
  }
}
