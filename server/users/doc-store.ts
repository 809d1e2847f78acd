/**
 * Where accounts, sessions, display links and ingest keys are kept: one small table per kind in
 * the DuckDB store file (rows as JSON documents keyed by id), or in memory for servers that keep
 * nothing across restarts. The whole set is small (people and screens, not events), so it is
 * loaded once at start and every change is written through at once.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export const DOC_KINDS = ['users', 'sessions', 'display_links', 'ingest_keys'] as const;
export type DocKind = (typeof DOC_KINDS)[number];

export interface DocStore {
  loadAll(kind: DocKind): Promise<unknown[]>;
  put(kind: DocKind, id: string, doc: object): Promise<void>;
  remove(kind: DocKind, ids: string[]): Promise<void>;
  close?(): void;
}

export class MemoryDocStore implements DocStore {
  private readonly tables = new Map<DocKind, Map<string, string>>(DOC_KINDS.map((kind) => [kind, new Map()]));
  async loadAll(kind: DocKind): Promise<unknown[]> {
    return [...this.tables.get(kind)!.values()].map((text) => JSON.parse(text) as unknown);
  }
  async put(kind: DocKind, id: string, doc: object): Promise<void> {
    this.tables.get(kind)!.set(id, JSON.stringify(doc));
  }
  async remove(kind: DocKind, ids: string[]): Promise<void> {
    for (const id of ids) this.tables.get(kind)!.delete(id);
  }
}

export class DuckDbDocStore implements DocStore {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbDocStore> {
    for (const kind of DOC_KINDS) {
      await connection.run(`CREATE TABLE IF NOT EXISTS ${kind} (id VARCHAR PRIMARY KEY, doc JSON NOT NULL)`);
    }
    return new DuckDbDocStore(connection);
  }

  async loadAll(kind: DocKind): Promise<unknown[]> {
    const reader = await this.connection.runAndReadAll(`SELECT doc FROM ${kind} ORDER BY id`);
    return reader.getRows().map(([doc]) => JSON.parse(String(doc)) as unknown);
  }

  async put(kind: DocKind, id: string, doc: object): Promise<void> {
    await this.connection.run(`INSERT OR REPLACE INTO ${kind} (id, doc) VALUES ($1, $2)`, [id, JSON.stringify(doc)]);
  }

  async remove(kind: DocKind, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.connection.run(`DELETE FROM ${kind} WHERE id IN (SELECT unnest($1::VARCHAR[]))`, [JSON.stringify(ids)]);
  }

  close(): void {
    this.connection.closeSync();
  }
}
