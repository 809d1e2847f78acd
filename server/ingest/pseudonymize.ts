/**
 * Caller pseudonyms (SPEC §3): a raw phone number or handle becomes a keyed hash at ingest and
 * is dropped, so it is never stored, logged or sent. The same caller always gets the same
 * reference (needed for the FCR repeat rule).
 */
import { createHmac } from 'node:crypto';

/** Normalises a phone number to its digits (so +86 138-0000-0000 and 8613800000000 match). */
function normaliseCaller(caller: string): string {
  const trimmed = caller.trim().toLowerCase();
  return /^[+\d\s().-]+$/.test(trimmed) ? trimmed.replace(/\D/g, '') : trimmed;
}

/** The customer reference of a caller under `key`: `c_` and 24 hex digits of HMAC-SHA256. */
export function customerRefOf(caller: string, key: string): string {
  return `c_${createHmac('sha256', key).update(normaliseCaller(caller)).digest('hex').slice(0, 24)}`;
}
