/**
 * The management API as the desk pages call it: same-origin fetch with the session cookie (or
 * the page's `?token=` as a bearer: an admin token opens every page, SPEC §6), JSON in and out,
 * and the server's error message (which names the field) kept for display.
 */

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: string };

/** The token the page was opened with (`?token=`), or null: people sign in and use the cookie. */
export function pageToken(search: string = typeof window === 'undefined' ? '' : window.location.search): string | null {
  return new URLSearchParams(search).get('token') || null;
}

export async function api<T>(method: string, path: string, body?: unknown, fetchFn: typeof fetch = fetch): Promise<ApiResult<T>> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  const token = pageToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetchFn(path, {
      method,
      credentials: 'same-origin',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, error: 'network' };
  }
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    // A proxy's HTML error page: keep the status.
  }
  if (!response.ok) return { ok: false, status: response.status, error: (data as { error?: string } | null)?.error ?? `HTTP ${response.status}` };
  return { ok: true, status: response.status, data: data as T };
}

export interface SessionInfo {
  name: string;
  role: 'display' | 'manager' | 'director' | 'admin';
  via: string;
  mustChangePassword: boolean;
  permissions: string[];
}

/** Where a person lands after signing in: the page of their role, or a safe `next` path. */
export function landingPath(role: SessionInfo['role'], next: string | null, lang: string): string {
  if (next && /^\/(?![/\\])/.test(next)) return next;
  const page = { admin: '/admin', manager: '/manager', director: '/reports', display: '/wall' }[role];
  return `${page}?lang=${encodeURIComponent(lang)}`;
}

/** Leaves for another page (a seam for component tests, where jsdom cannot navigate). */
export const navigation = {
  go(path: string): void {
    window.location.assign(path);
  },
};
