/**
 * Well-formed Unicode (issue 12): a lone UTF-16 surrogate (`"\udc00"` in JSON) is a valid
 * JavaScript string but no valid text; DuckDB refuses it, and with it the whole commit. Every
 * text field is checked where it enters (events at ingest, management bodies), so the error
 * names that field and nothing else is refused with it.
 */
declare global {
  interface String {
    /** ES2024; in Node 20 and every current browser. */
    isWellFormed(): boolean;
  }
}

export const LONE_SURROGATE = 'not valid Unicode (lone surrogate)';

/**
 * The path of the first string (value or key) in `value` that is not well-formed UTF-16, e.g.
 * `layout.tiles.2.title`, or null when all are. `at` prefixes the path.
 */
export function illFormedPath(value: unknown, at = ''): string | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : at || '(value)';
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = illFormedPath(value[i], at ? `${at}.${i}` : String(i));
      if (found !== null) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    // A bad key is named by its parent: the key itself cannot be shown.
    if (!key.isWellFormed()) return at || '(key)';
    // Keys are named as sent when they look like field names; any other key is not echoed.
    const name = /^[\w-]{1,64}$/.test(key) ? key : '[key]';
    const found = illFormedPath((value as Record<string, unknown>)[key], at ? `${at}.${name}` : name);
    if (found !== null) return found;
  }
  return null;
}
