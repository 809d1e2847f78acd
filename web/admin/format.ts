/** Times on the admin page, in the centre's time zone (the audit log is read against the floor's clock). */
import type { Lang } from '../lib/i18n.ts';

export function formatTime(iso: string | null, lang: Lang, timeZone: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(lang, {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(date);
}

/** A `datetime-local` value (centre-less, browser-local) as ISO, or '' when empty. */
export function localInputToIso(value: string): string {
  if (!value) return '';
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}
