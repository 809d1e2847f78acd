/**
 * The audit log (SPEC §7, manuals 000/001/003): who did what, when, from where. Append-only:
 * nothing here updates or deletes an entry. Stored in the DuckDB file next to the events when the
 * server runs on the durable store, in memory otherwise (tests of routes that do not restart).
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export interface AuditEntry {
  /** Epoch ms. */
  at: number;
  /** User or display-link name; `token` for ADMIN_TOKEN; `anonymous` for failed sign-ins. */
  actor: string;
  role: string | null;
  /** e.g. `signin`, `signin.failed`, `user.create`, `display-link.revoke`, `export.csv`, `broadcast.send`. */
  action: string;
  /** What it acted on (a user name, a link, a month), when there is one. */
  target: string | null;
  /** Remote address of the request or socket. */
  from: string | null;
  /** Anything else worth keeping, as JSON. */
  detail: Record<string, unknown> | null;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** Epoch ms, inclusive. */
  fromMs?: number;
  /** Epoch ms, exclusive. */
  toMs?: number;
  limit?: number;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(filter?: AuditFilter): Promise<AuditEntry[]>;
  close?(): void;
}

function matches(e: AuditEntry, f: AuditFilter): boolean {
  return (
    (f.actor === undefined || e.actor === f.actor) &&
    (f.action === undefined || e.action === f.action || e.action.startsWith(`${f.action}.`)) &&
    (f.fromMs === undefined || e.at >= f.fromMs) &&
    (f.toMs === undefined || e.at < f.toMs)
  );
}

export class MemoryAuditLog implements AuditLog {
  private readonly entries: AuditEntry[] = [];
  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
  }
  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const limit = filter.limit ?? 500;
    return this.entries.filter((e) => matches(e, filter)).reverse().slice(0, limit).map((e) => structuredClone(e));
  }
}

const AUDIT_SCHEMA = `
CREATE SEQUENCE IF NOT EXISTS audit_seq;
CREATE TABLE IF NOT EXISTS audit_log (
  seq BIGINT NOT NULL DEFAULT nextval('audit_seq'),
  at_ms BIGINT NOT NULL, actor VARCHAR NOT NULL, role VARCHAR, action VARCHAR NOT NULL,
  target VARCHAR, from_addr VARCHAR, detail JSON
);`;

export class DuckDbAuditLog implements AuditLog {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbAuditLog> {
    await connection.run(AUDIT_SCHEMA);
    return new DuckDbAuditLog(connection);
  }

  async record(e: AuditEntry): Promise<void> {
    await this.connection.run(
      'INSERT INTO audit_log (at_ms, actor, role, action, target, from_addr, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [e.at, e.actor, e.role, e.action, e.target, e.from, e.detail === null ? null : JSON.stringify(e.detail)],
    );
  }

  close(): void {
    this.connection.closeSync();
  }

  async list(f: AuditFilter = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (sql: string, value: string | number) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.actor !== undefined) add('actor = ?', f.actor);
    if (f.action !== undefined) {
      params.push(f.action, `${f.action}.`);
      where.push(`(action = $${params.length - 1} OR starts_with(action, $${params.length}))`);
    }
    if (f.fromMs !== undefined) add('at_ms >= ?', f.fromMs);
    if (f.toMs !== undefined) add('at_ms < ?', f.toMs);
    const limit = Math.max(1, Math.min(f.limit ?? 500, 10_000));
    const reader = await this.connection.runAndReadAll(
      `SELECT at_ms, actor, role, action, target, from_addr, detail FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit}`,
      params,
    );
    return reader.getRowObjectsJS().map((r) => ({
      at: Number(r.at_ms),
      actor: String(r.actor),
      role: (r.role as string | null) ?? null,
      action: String(r.action),
      target: (r.target as string | null) ?? null,
      from: (r.from_addr as string | null) ?? null,
      detail: r.detail === null || r.detail === undefined ? null : (JSON.parse(String(r.detail)) as Record<string, unknown>),
    }));
  }
}
