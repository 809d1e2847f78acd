/**
 * What a month extract holds (SPEC §6 "Month extracts"): the columns of the three tables the
 * browser loads into DuckDB-WASM, shared by the server that writes them and the page and tests
 * that read them. Times are the centre's local wall-clock time (TIMESTAMP without zone):
 * DuckDB-WASM has no ICU offline (STACK-NOTES §2a), so day and hour buckets must need no time
 * zone database in the browser. Durations are precomputed by the server from shared/attribution.
 */

import type { CubeName } from './report-sql.ts';

export const EXTRACT_TABLES = ['contacts', 'transfers', 'tickets'] as const;
export type ExtractTable = (typeof EXTRACT_TABLES)[number];

/**
 * The report cubes (shared/report-sql.ts CUBES) as files: the server sums them once from the
 * extract with the report SQL, so the page builds its tables from a few thousand rows instead of
 * scanning every contact (measured: bench/reports.ts). `file` is the `table=` of the file route.
 */
export const CUBE_FILES: Record<CubeName, string> = { dims: 'cube_dims', time: 'cube_time' };
/** Every file of a month: the three record tables and the two cubes. */
export const EXTRACT_FILES = [...EXTRACT_TABLES, ...Object.values(CUBE_FILES)] as const;

export type ColumnType = 'VARCHAR' | 'TIMESTAMP' | 'DOUBLE' | 'INTEGER' | 'BOOLEAN';

/** The columns a contact has the same in the file and in the table. */
const CONTACT_IDENTITY: Record<string, ColumnType> = {
  contact_id: 'VARCHAR',
  site: 'VARCHAR',
  handling_site: 'VARCHAR',
  queue: 'VARCHAR',
  team: 'VARCHAR',
  agent_id: 'VARCHAR',
  channel: 'VARCHAR',
  /** Masked pseudonym (first characters of the keyed hash + '…'): never the full reference. */
  customer: 'VARCHAR',
};

/** Column name → type, in file order. */
export const EXTRACT_COLUMNS: Record<ExtractTable, Record<string, ColumnType>> = {
  contacts: {
    ...CONTACT_IDENTITY,
    offered_at: 'TIMESTAMP',
    outcome: 'VARCHAR',
    outcome_at: 'TIMESTAMP',
    wait_sec: 'DOUBLE',
    transfers: 'INTEGER',
    talk_sec: 'DOUBLE',
    hold_sec: 'DOUBLE',
    handle_sec: 'DOUBLE',
    wrapped_at: 'TIMESTAMP',
    resolved_at: 'TIMESTAMP',
    first_contact: 'BOOLEAN',
    repeated_later: 'BOOLEAN',
    survey_at: 'TIMESTAMP',
    survey_score: 'DOUBLE',
    survey_scale: 'INTEGER',
  },
  transfers: {
    contact_id: 'VARCHAR',
    transferred_at: 'TIMESTAMP',
  },
  tickets: {
    ticket_id: 'VARCHAR',
    site: 'VARCHAR',
    queue: 'VARCHAR',
    team: 'VARCHAR',
    channel: 'VARCHAR',
    tier: 'VARCHAR',
    category: 'VARCHAR',
    complaint: 'BOOLEAN',
    opened_at: 'TIMESTAMP',
    deadline_at: 'TIMESTAMP',
    closed_at: 'TIMESTAMP',
    /** 'on_time' (at closed_at) or 'overdue' (at deadline_at, once passed), else null. */
    closure: 'VARCHAR',
    escalated_at: 'TIMESTAMP',
    notified_at: 'TIMESTAMP',
    acknowledged_at: 'TIMESTAMP',
    feedback_at: 'TIMESTAMP',
  },
};

/**
 * The contacts file as sent (the table above is rebuilt from it on load, `contactsFromWireSql`):
 * a contact's times as milliseconds after its first known time (`base_ms`, local milliseconds
 * after the local month start), because full timestamps were most of the bytes (measured:
 * bench/reports.ts). `wait_fix_ms` is the UTC minus local difference of the wait, non-empty only
 * when a wait spans a daylight-saving switch, so the wait stays exact.
 */
export const CONTACT_WIRE_COLUMNS: Record<string, ColumnType | 'BIGINT'> = {
  ...CONTACT_IDENTITY,
  base_ms: 'BIGINT',
  offered_d: 'BIGINT',
  outcome: 'VARCHAR',
  outcome_d: 'BIGINT',
  wait_fix_ms: 'BIGINT',
  transfers: 'INTEGER',
  talk_sec: 'DOUBLE',
  hold_sec: 'DOUBLE',
  handle_sec: 'DOUBLE',
  wrapped_d: 'BIGINT',
  resolved_d: 'BIGINT',
  first_contact: 'BOOLEAN',
  repeated_later: 'BOOLEAN',
  survey_d: 'BIGINT',
  survey_score: 'DOUBLE',
  survey_scale: 'INTEGER',
};

/** What the server says about a month's extract before the browser downloads it. */
export interface ExtractManifest {
  month: string;
  centreName: string;
  timeZone: string;
  /** Local wall-clock bounds of the month, `YYYY-MM-DD HH:MM:SS`. */
  start: string;
  end: string;
  /** Local wall-clock time the figures are as of (overdue clocks stop here). */
  asOf: string;
  /** Closed months never change: their files are cached as immutable. */
  closed: boolean;
  format: 'csv';
  files: Record<ExtractTable, ExtractFile>;
  /** The report cubes, summed by the server from these files with the report SQL. */
  cubes: Record<CubeName, ExtractFile>;
}

export interface ExtractFile {
  url: string;
  rows: number;
  bytes: number;
}

/** Leading characters of a pseudonym kept when shown: `c_` and 4 hex digits (65,536 buckets, no caller). */
export const MASK_KEEP = 6;

/** The customer reference as shown: enough to see two contacts are the same caller, no more. */
export function maskCustomerRef(ref: string | null | undefined): string | null {
  if (!ref) return null;
  return `${ref.slice(0, MASK_KEEP)}…`;
}

/** `YYYY-MM` → true when it is a real month. */
export function isMonth(text: string): boolean {
  const match = /^(\d{4})-(\d{2})$/.exec(text);
  return !!match && Number(match[2]) >= 1 && Number(match[2]) <= 12 && Number(match[1]) >= 2000;
}

/** The month after `YYYY-MM`. */
export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** The month before `YYYY-MM`. */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}
