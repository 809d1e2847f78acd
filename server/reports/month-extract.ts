/**
 * Month extracts (SPEC §6): one gzip CSV file per table (contacts, transfers, tickets) with every
 * record that contributes to the month, written by the native DuckDB straight from the records
 * tables (`COPY … TO`), so a month of 3 M contacts never passes through JavaScript, and the two
 * report cubes summed from those files (native-report.ts): the page builds its tables from the
 * cubes (1 MB for 3 M contacts) and fetches the rows only for a drill-down or a query. Closed
 * months are written once and kept: their files never change, so browsers may cache them for good.
 *
 * Why gzip CSV (measured by bench/reports.ts on a 3 M-contact month, README "Monthly reports"):
 * DuckDB-WASM cannot load its parquet extension offline (STACK-NOTES §2a), so Parquet would need
 * a second WASM decoder; Arrow IPC loaded about 1.6× faster in DuckDB-WASM but was 1.4× larger
 * gzipped and would have to be built in JavaScript, where CSV is written by the native DuckDB.
 */
import { mkdirSync, renameSync, rmSync, statSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CONTACT_WIRE_COLUMNS, CUBE_FILES, EXTRACT_TABLES, MASK_KEEP, nextMonth, type ExtractManifest, type ExtractTable } from '../../shared/report-extract.ts';
import type { CubeName } from '../../shared/report-sql.ts';
import { writeCubeFiles } from './native-report.ts';
import type { KpiSettings } from '../../shared/kpi.ts';
import { dayBounds, dayKey, localDayBounds } from '../../shared/time.ts';

/** A month is closed (its extract frozen) this long after it ends: late events still arrive. */
export const CLOSE_GRACE_MS = 2 * 86_400_000;
/** Same look-back as the daily report: a contact can contribute (a survey) weeks after its day. */
const LOOKBACK_DAYS = 31;
const DAY_MS = 86_400_000;
/** Bumped when the file layout changes, so cached files of an old layout are not served. */
const LAYOUT_VERSION = 'v3';

export interface MonthExtractOptions {
  dataDir: string;
  timeZone: string;
  centreName: string;
  settings: KpiSettings;
}

export interface BuiltExtract {
  manifest: ExtractManifest;
  /** table → path of its gzip CSV file. */
  paths: Record<ExtractTable, string>;
  /** cube → path of its gzip CSV file. */
  cubePaths: Record<CubeName, string>;
}

/** [start, end) of a local month in epoch ms. */
export function monthBoundsMs(month: string, timeZone: string): { startMs: number; endMs: number } {
  // The local days' own bounds (noon UTC is the next day in zones of UTC+12 and beyond).
  const startMs = localDayBounds(`${month}-01`, timeZone).startMs;
  const endMs = localDayBounds(`${nextMonth(month)}-01`, timeZone).startMs;
  return { startMs, endMs };
}

const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`;

export class MonthExtracts {
  /** One build at a time per month: concurrent requests share it. */
  private readonly building = new Map<string, Promise<BuiltExtract>>();

  private connection: Promise<DuckDBConnection> | null = null;

  /**
   * `connect` gives a connection of its own: a read on the connection that writes the records
   * would see a record write's uncommitted half (a DuckDB transaction belongs to its connection).
   */
  constructor(
    private readonly connect: () => Promise<DuckDBConnection>,
    private readonly options: MonthExtractOptions,
  ) {}

  isClosed(month: string, nowMs: number): boolean {
    return nowMs >= monthBoundsMs(month, this.options.timeZone).endMs + CLOSE_GRACE_MS;
  }

  /**
   * The month's extract: from the cache when closed and built, else written now. Null for a past
   * month without a single record: nothing is written for it (issue 12, `month=2001-03`).
   */
  async get(month: string, nowMs: number): Promise<BuiltExtract | null> {
    const closed = this.isClosed(month, nowMs);
    const dir = join(this.options.dataDir, 'extracts', `${month}.${LAYOUT_VERSION}`);
    if (closed && existsSync(join(dir, 'manifest.json'))) {
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ExtractManifest;
      return { manifest, paths: this.pathsIn(dir), cubePaths: this.cubePathsIn(dir) };
    }
    const { startMs, endMs } = monthBoundsMs(month, this.options.timeZone);
    if (endMs <= nowMs && !(await this.hasRecords(startMs, endMs, nowMs))) return null;
    const key = `${month}|${closed}`;
    let build = this.building.get(key);
    if (!build) {
      build = this.build(month, nowMs, closed ? dir : join(this.options.dataDir, 'extracts', `${month}.open`), closed).finally(() => this.building.delete(key));
      this.building.set(key, build);
    }
    return build;
  }

  /** Whether any table of the month's extract would have a row. */
  private async hasRecords(startMs: number, endMs: number, nowMs: number): Promise<boolean> {
    this.connection ??= this.connect();
    const db = await this.connection;
    const queries = this.queries(startMs, endMs, nowMs);
    const any = Object.values(queries).map((sql) => `EXISTS (${sql})`).join(' OR ');
    const reader = await db.runAndReadAll(`SELECT ${any}`);
    return reader.getRows()[0]?.[0] === true;
  }

  private cubePathsIn(dir: string): Record<CubeName, string> {
    return Object.fromEntries(Object.entries(CUBE_FILES).map(([cube, file]) => [cube, join(dir, `${file}.csv.gz`)])) as Record<CubeName, string>;
  }

  private pathsIn(dir: string): Record<ExtractTable, string> {
    return Object.fromEntries(EXTRACT_TABLES.map((t) => [t, join(dir, `${t}.csv.gz`)])) as Record<ExtractTable, string>;
  }

  private async build(month: string, nowMs: number, dir: string, closed: boolean): Promise<BuiltExtract> {
    const { timeZone, centreName } = this.options;
    const { startMs, endMs } = monthBoundsMs(month, timeZone);
    // Written next to the final place and renamed, so a crash never leaves half a closed month.
    const tmp = `${dir}.tmp-${process.pid}-${nowMs}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const queries = this.queries(startMs, endMs, nowMs);
    const rows = {} as Record<ExtractTable, number>;
    this.connection ??= this.connect();
    const db = await this.connection;
    for (const table of EXTRACT_TABLES) {
      const reader = await db.runAndReadAll(
        `COPY (${queries[table]}) TO ${sqlString(join(tmp, `${table}.csv.gz`))} (FORMAT csv, HEADER, COMPRESSION gzip, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S.%g')`,
      );
      rows[table] = Number(reader.getRows()[0]?.[0] ?? 0);
    }
    const local = (ms: number) => new Date(ms + this.offsetMs(ms)).toISOString().replace('T', ' ').slice(0, 19);
    const paths = this.pathsIn(tmp);
    const window = { start: `${month}-01 00:00:00`, end: `${nextMonth(month)}-01 00:00:00`, asOf: local(Math.min(nowMs, endMs)) };
    const cubeRows = await writeCubeFiles(paths, window, this.options.settings, tmp);
    const cubePaths = this.cubePathsIn(tmp);
    const fileOf = (table: string, count: number, path: string) => ({ url: `/api/v1/extracts/file?month=${month}&table=${table}`, rows: count, bytes: statSync(path).size });
    const manifest: ExtractManifest = {
      month,
      centreName,
      timeZone,
      ...window,
      closed,
      format: 'csv',
      files: Object.fromEntries(EXTRACT_TABLES.map((t) => [t, fileOf(t, rows[t], paths[t])])) as ExtractManifest['files'],
      cubes: Object.fromEntries(Object.entries(CUBE_FILES).map(([cube, file]) => [cube, fileOf(file, cubeRows[cube as CubeName], cubePaths[cube as CubeName])])) as ExtractManifest['cubes'],
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { manifest, paths: this.pathsIn(dir), cubePaths: this.cubePathsIn(dir) };
  }

  /** Offset of the centre's zone from UTC at `ms` (for the manifest's local times). */
  private offsetMs(ms: number): number {
    const day = dayKey(ms, this.options.timeZone);
    const midnight = dayBounds(ms, this.options.timeZone).startMs;
    return Date.parse(`${day}T00:00:00Z`) - midnight;
  }

  /** The SELECT of each table, bounded to records that can contribute to [startMs, endMs). */
  queries(startMs: number, endMs: number, nowMs: number): Record<ExtractTable, string> {
    const tz = sqlString(this.options.timeZone);
    const local = (column: string) => `timezone(${tz}, timezone('UTC', epoch_ms(${column})))`;
    const inMonth = (column: string) => `(${column} >= ${startMs} AND ${column} < ${endMs})`;
    const lookback = sqlString(dayKey(startMs - LOOKBACK_DAYS * DAY_MS, this.options.timeZone));
    const lastDay = sqlString(dayKey(endMs - 1, this.options.timeZone));
    const outcomeMs = `CASE outcome WHEN 'answered' THEN answered_ms WHEN 'abandoned' THEN abandoned_ms WHEN 'flowed_out' THEN flowed_out_ms END`;
    const transfersOf = `CAST(json_extract(fold, '$.record.transferTsMs') AS BIGINT[])`;
    const contactsInRange = `NOT drill AND day >= ${lookback} AND day <= ${lastDay}`;
    // Local wall-clock milliseconds (as if UTC) of an epoch-ms column, and of the month start.
    const localMs = (column: string) => `epoch_ms(${local(column)})`;
    const monthStartLocal = `epoch_ms(TIMESTAMP ${sqlString(`${dayKey(startMs, this.options.timeZone)} 00:00:00`)})`;
    const firstMs = `coalesce(offered_ms, ${outcomeMs}, wrapped_ms, resolved_ms, survey_ms)`;
    const delta = (column: string) => `${localMs(column)} - ${localMs(firstMs)}`;
    const encoded: Partial<Record<keyof typeof CONTACT_WIRE_COLUMNS, string>> = {
      customer: `CASE WHEN customer_ref IS NULL THEN NULL ELSE left(customer_ref, ${MASK_KEEP}) || '…' END`,
      base_ms: `${localMs(firstMs)} - ${monthStartLocal}`,
      offered_d: delta('offered_ms'),
      outcome_d: delta(outcomeMs),
      wait_fix_ms: `nullif((${outcomeMs} - offered_ms) - (${localMs(outcomeMs)} - ${localMs('offered_ms')}), 0)`,
      wrapped_d: delta('wrapped_ms'),
      resolved_d: delta('resolved_ms'),
      survey_d: delta('CASE WHEN survey_score IS NOT NULL THEN survey_ms END'),
    };
    // Every other column is the records table's column of the same name.
    const contactExpr = Object.fromEntries(Object.keys(CONTACT_WIRE_COLUMNS).map((name) => [name, encoded[name as keyof typeof encoded] ?? name]));
    const contacts = `SELECT ${Object.entries(contactExpr).map(([name, expr]) => `${expr} AS ${name}`).join(', ')}
      FROM contacts WHERE ${contactsInRange} AND (${inMonth('offered_ms')} OR ${inMonth(outcomeMs)} OR ${inMonth('wrapped_ms')}
        OR ${inMonth('resolved_ms')} OR ${inMonth('survey_ms')} OR (transfers > 0 AND list_any_value(list_filter(${transfersOf}, t -> t >= ${startMs} AND t < ${endMs})) IS NOT NULL))
      ORDER BY offered_ms NULLS LAST, contact_id`;
    const transfers = `SELECT contact_id, ${local('t')} AS transferred_at FROM (
        SELECT contact_id, unnest(${transfersOf}) AS t FROM contacts WHERE ${contactsInRange} AND transfers > 0)
      WHERE t >= ${startMs} AND t < ${endMs} ORDER BY t, contact_id`;
    const closure = `CASE WHEN deadline_ms IS NULL THEN NULL WHEN closed_ms IS NOT NULL AND closed_ms <= deadline_ms THEN 'on_time' WHEN ${nowMs} >= deadline_ms THEN 'overdue' END`;
    const tickets = `SELECT ticket_id, site, queue, team, channel, tier, category, complaint,
        ${local('opened_ms')} AS opened_at, ${local('deadline_ms')} AS deadline_at, ${local('closed_ms')} AS closed_at, ${closure} AS closure,
        ${local('escalated_ms')} AS escalated_at, ${local('notified_ms')} AS notified_at, ${local('acknowledged_ms')} AS acknowledged_at, ${local('feedback_ms')} AS feedback_at
      FROM tickets WHERE NOT drill AND day >= ${lookback} AND day <= ${lastDay} ORDER BY opened_ms NULLS LAST, ticket_id`;
    return { contacts, transfers, tickets };
  }
}
