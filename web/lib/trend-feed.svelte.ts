/**
 * The last hour of a scope's headline figures (`GET /api/v1/trends`), re-read once a minute,
 * for tile sparklines and trend arrows. A failed read keeps the last series: a sparkline is a
 * hint, never a reason to show an error over the figures.
 */
import type { TrendSeries } from '../../shared/alerts.ts';

export class TrendFeed {
  series = $state.raw<TrendSeries | null>(null);
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly scope: string,
    private readonly token: string,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  start(everyMs = 60_000): void {
    void this.load();
    this.#timer = setInterval(() => void this.load(), everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async load(): Promise<void> {
    try {
      const response = await this.fetchFn(`/api/v1/trends?scope=${encodeURIComponent(this.scope)}`, { headers: { authorization: `Bearer ${this.token}` } });
      if (response.ok) this.series = (await response.json()) as TrendSeries;
    } catch {
      // Offline: the connection status already says so.
    }
  }
}

/** Direction of a series: the newest value against the one `back` samples earlier. */
export function trendOf(values: ReadonlyArray<number | null> | undefined, back = 15, tolerance = 0.002): 'up' | 'down' | 'flat' | null {
  if (!values) return null;
  // The newest known value (a minute without a figure says nothing about the direction).
  let end = values.length - 1;
  while (end >= 0 && values[end] === null) end--;
  if (end < 1) return null;
  const last = values[end]!;
  const earlier = values[Math.max(0, end - back)];
  if (earlier === null) return null;
  const scale = Math.max(Math.abs(earlier), 1);
  if (Math.abs(last - earlier) <= tolerance * scale) return 'flat';
  return last > earlier ? 'up' : 'down';
}
