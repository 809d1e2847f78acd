/** Cells of raw result rows as text: local timestamps, numbers rounded, booleans and nulls. */

/** Local wall-clock epoch ms (as DuckDB returns TIMESTAMP) → `YYYY-MM-DD HH:MM:SS`. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function formatCell(column: string, value: unknown, type = ''): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && (column.endsWith('_at') || type.startsWith('Timestamp'))) return formatTimestamp(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
  if (value instanceof Date) return formatTimestamp(value.getTime());
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
