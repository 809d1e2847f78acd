/**
 * Where target versions are kept: a table in the store's DuckDB file (append-only, like the
 * audit log: a change is a new version, never an edit), or memory for a server without a store.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TargetScope, TargetVersion } from '../../shared/targets.ts';

export interface TargetStore {
  list(): Promise<TargetVersion[]>;
  add(version: TargetVersion): Promise<void>;
}

export class MemoryTargetStore implements TargetStore {
  private readonly versions: TargetVersion[] = [];
  async list(): Promise<TargetVersion[]> {
    return structuredClone(this.versions);
  }
  async add(version: TargetVersion): Promise<void> {
    this.versions.push(structuredClone(version));
  }
}

/**
 * Target versions in the store's file, on a connection of its own (opened at first use by
 * `connect`): on the record writes' connection, a version added while a write's transaction was
 * open joined that transaction, and a failed write's rollback took it back.
 */
export class DuckDbTargetStore implements TargetStore {
  private ready: Promise<DuckDBConnection> | null = null;
  constructor(private readonly connect: () => Promise<DuckDBConnection>) {}

  private prepare(): Promise<DuckDBConnection> {
    // Issue 11 added the scope (NULL: a centre version stored before) and service-level settings.
    this.ready ??= (async () => {
      const db = await this.connect();
      await db.run('CREATE TABLE IF NOT EXISTS target_versions (effective_from VARCHAR NOT NULL, targets JSON NOT NULL, changed_by VARCHAR, changed_at_ms BIGINT)');
      await db.run('ALTER TABLE target_versions ADD COLUMN IF NOT EXISTS scope VARCHAR');
      await db.run('ALTER TABLE target_versions ADD COLUMN IF NOT EXISTS settings JSON');
      return db;
    })();
    return this.ready;
  }

  async list(): Promise<TargetVersion[]> {
    const db = await this.prepare();
    const reader = await db.runAndReadAll('SELECT effective_from, targets::VARCHAR, changed_by, changed_at_ms, scope, settings::VARCHAR FROM target_versions ORDER BY effective_from, changed_at_ms');
    return reader.getRows().map(([from, targets, by, at, scope, settings]) => ({
      effectiveFrom: String(from),
      scope: (scope === null ? 'centre' : String(scope)) as TargetScope,
      targets: JSON.parse(String(targets)),
      ...(settings === null ? {} : { settings: JSON.parse(String(settings)) }),
      changedBy: by === null ? null : String(by),
      changedAtMs: at === null ? null : Number(at),
    }));
  }

  async add(v: TargetVersion): Promise<void> {
    const db = await this.prepare();
    await db.run('INSERT INTO target_versions (effective_from, targets, changed_by, changed_at_ms, scope, settings) VALUES ($1, $2, $3, $4, $5, $6)', [
      v.effectiveFrom,
      JSON.stringify(v.targets),
      v.changedBy,
      v.changedAtMs === null ? null : BigInt(v.changedAtMs),
      v.scope ?? 'centre',
      v.settings ? JSON.stringify(v.settings) : null,
    ]);
  }
}
