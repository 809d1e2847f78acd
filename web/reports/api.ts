/**
 * The reports page's calls to the server: same origin with credentials (a director's session
 * cookie), plus `Authorization: Bearer <token>` when the page was opened with `?token=` (an
 * admin token opens every page, SPEC §6).
 */
export class ReportApi {
  constructor(private readonly token: string | null) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  async json<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const response = await fetch(path, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers: this.headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const body = (await response.json().catch(() => ({}))) as T & { error?: string };
    if (!response.ok) throw new ApiError(response.status, body.error ?? `${response.status}`);
    return body;
  }

  async bytes(path: string): Promise<Uint8Array> {
    const response = await fetch(path, { credentials: 'same-origin', headers: this.headers() });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      throw new ApiError(response.status, body.error ?? `${response.status}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
