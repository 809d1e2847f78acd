/**
 * Cells of raw result rows as text: local timestamps, durations (`*_sec` columns) as `4.5 s` /
 * `1 min 05 s`, numbers with grouped thousands (web/lib/format.ts), booleans and nulls.
 */
import { formatDuration, formatNumber } from '../lib/format.ts';
import type { Lang } from '../lib/i18n.ts';

/** Local wall-clock epoch ms (as DuckDB returns TIMESTAMP) → `YYYY-MM-DD HH:MM:SS`. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Whether a column holds seconds: the store's `wait_sec`, `handle_sec`, a query's `p90_wait_sec`. */
export const isSecondsColumn = (column: string): boolean => /(^|_)sec$/.test(column);

export function formatCell(column: string, value: unknown, type = '', lang: Lang = 'en'): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'bigint') return formatCell(column, Number(value), type, lang);
  if (typeof value === 'number' && (column.endsWith('_at') || type.startsWith('Timestamp'))) return formatTimestamp(value);
  if (typeof value === 'number' && isSecondsColumn(column)) return formatDuration(value, lang);
  // Grouped from five digits on, so a year or a score reads as itself (`2026`, `250,800`).
  if (typeof value === 'number') return formatNumber(value, 3, true);
  if (value instanceof Date) return formatTimestamp(value.getTime());
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
