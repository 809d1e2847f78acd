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
  // ~10 µs a number: Pseudonymizer caches the reference of a caller, not this.
  const parsed = isCentreCountry(country) ? parsePhoneNumberFromString(number, country as CountryCode) : undefined;
  return parsed?.isPossible() ? parsed.number.slice(1) : number.replace(/\D/g, '');
}

/** The customer reference of a caller under `key`: `c_` and 24 hex digits of HMAC-SHA256. */
export function customerRefOf(caller: string, key: string, country: string = DEFAULT_CENTRE_COUNTRY): string {
  return `c_${createHmac('sha256', key).update(normaliseCaller(caller, country)).digest('hex').slice(0, 24)}`;
}

/** How many callers a Pseudonymizer remembers before it starts afresh. */
const CACHE_MAX_CALLERS = 50_000;

/**
 * Customer references under one key and centre country, with the callers seen lately cached
 * (libphonenumber's parse and the HMAC were ~5 % of the ingest thread; repeat callers are the
 * norm in a call centre). The cache lives only in this process's memory, is never logged or
 * stored, and is dropped whole at CACHE_MAX_CALLERS: a Map cleared at a cap costs nothing per
 * hit, where an LRU would reorder on every one.
 */
export class Pseudonymizer {
  private readonly refs = new Map<string, string>();

  constructor(
    private readonly key: string,
    private readonly country: string = DEFAULT_CENTRE_COUNTRY,
    private readonly maxCallers = CACHE_MAX_CALLERS,
  ) {}

  /** The same reference as `customerRefOf(caller, key, country)`. */
  refOf(caller: string): string {
    let ref = this.refs.get(caller);
    if (ref === undefined) {
      ref = customerRefOf(caller, this.key, this.country);
      if (this.refs.size >= this.maxCallers) this.refs.clear();
      this.refs.set(caller, ref);
    }
    return ref;
  }

  /** Forgets every cached caller (at shutdown, so no raw number outlives its use longer than needed). */
  clear(): void {
    this.refs.clear();
  }
}
