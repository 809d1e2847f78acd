/**
 * Caller pseudonyms (SPEC §3): a raw phone number or handle becomes a keyed hash at ingest and
 * is dropped, so it is never stored, logged or sent. The same caller always gets the same
 * reference (needed for the FCR repeat rule), however the number is written (issue 12):
 * `+86 139 8765 4321`, `0086 13987654321`, `13987654321`, `tel:+8613987654321` and full-width
 * digits are one caller.
 */
import { createHmac } from 'node:crypto';
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** The centre's default country when none is configured (`CENTRE_COUNTRY`). */
export const DEFAULT_CENTRE_COUNTRY = 'CN';

/** Whether `code` is an ISO 3166 alpha-2 country libphonenumber-js knows (for `CENTRE_COUNTRY`). */
export function isCentreCountry(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

/** Characters a written phone number may hold besides digits (after NFKC). */
const PHONE_TEXT = /^\+?[\d\s().\-/]+$/;

/**
 * The canonical form of a caller: a phone number as its E.164 digits (without the `+`, so
 * numbers already written internationally keep the reference they had), with the centre's
 * country for national numbers and its international prefix (`00` in China); a number that is
 * not a possible one by its digits only; anything else (chat handles, e-mail addresses)
 * NFKC-normalised, trimmed and lower-cased.
 */
export function normaliseCaller(caller: string, country: string = DEFAULT_CENTRE_COUNTRY): string {
  const text = caller.normalize('NFKC').trim().toLowerCase();
  const number = text.replace(/^tel:/, '').replace(/;.*$/, '').trim();
  if (!PHONE_TEXT.test(number) || !/\d/.test(number)) return text;
  // ~10 µs a number (not cached: a cache would keep raw numbers in memory, SPEC §3).
  const parsed = isCentreCountry(country) ? parsePhoneNumberFromString(number, country as CountryCode) : undefined;
  return parsed?.isPossible() ? parsed.number.slice(1) : number.replace(/\D/g, '');
}

/** The customer reference of a caller under `key`: `c_` and 24 hex digits of HMAC-SHA256. */
export function customerRefOf(caller: string, key: string, country: string = DEFAULT_CENTRE_COUNTRY): string {
  return `c_${createHmac('sha256', key).update(normaliseCaller(caller, country)).digest('hex').slice(0, 24)}`;
}
