/**
 * The org directory on a page (issue 11): display names of sites, queues, teams, channels and
 * agents from `GET /api/v1/org`, loaded once per page (a wallboard re-asks every minute, a
 * 304 when nothing changed). Until it arrives, or if it cannot, names fall back to the built-in
 * ones (shared/org.ts) and then to the id. Reactive: labels re-render when names arrive.
 */
import { OrgBook, type OrgDirectoryData, type OrgKind, type OrgLang } from '../../shared/org.ts';

class OrgStore {
  book = $state.raw(new OrgBook());
  etag: string | null = null;
}

const store = new OrgStore();

/** The display name of an id in a language (the id itself when nobody named it). */
export function orgName(kind: OrgKind, id: string, lang: OrgLang): string {
  return store.book.name(kind, id, lang);
}

/** Puts a directory in place (what a load does; tests call it directly). */
export function setOrg(data: OrgDirectoryData): void {
  store.book = new OrgBook(data);
}

/** Forgets the directory (tests). */
export function resetOrg(): void {
  store.book = new OrgBook();
  store.etag = null;
}

/**
 * Asks the server for the directory with the page's credentials (a display token, or the session
 * cookie when `token` is null). Returns whether names arrived (false: unchanged, or not allowed).
 */
export async function loadOrg(token: string | null, fetchFn: typeof fetch = fetch): Promise<boolean> {
  try {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (store.etag) headers['if-none-match'] = store.etag;
    const response = await fetchFn('/api/v1/org', { credentials: 'same-origin', headers });
    if (response.status !== 200) return false;
    const body = (await response.json()) as Partial<OrgDirectoryData>;
    if (typeof body.revision !== 'number' || !Array.isArray(body.entries)) return false;
    store.etag = response.headers.get('etag');
    setOrg({ revision: body.revision, entries: body.entries });
    return true;
  } catch {
    return false;
  }
}

/** Loads now and again every `everyMs` (a TV stays up for days); returns the stop. */
export function watchOrg(token: string | null, everyMs = 60_000, fetchFn: typeof fetch = fetch): () => void {
  void loadOrg(token, fetchFn);
  const timer = setInterval(() => void loadOrg(token, fetchFn), everyMs);
  return () => clearInterval(timer);
}
