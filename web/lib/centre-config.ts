/**
 * The centre's settings a screen needs before it can label what it shows: its name and its
 * time zone (the clock and "today" are the centre's, not the TV's).
 */

export interface CentreConfig {
  centreName: string;
  timeZone: string;
}

/**
 * Reads `GET /api/v1/config` with the display token; null when the server cannot be asked
 * (the screen then keeps its defaults rather than showing an error over the figures).
 */
export async function fetchCentreConfig(token: string, fetchFn: typeof fetch = fetch): Promise<CentreConfig | null> {
  try {
    const response = await fetchFn('/api/v1/config', { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) return null;
    const body = (await response.json()) as Partial<CentreConfig>;
    if (typeof body.centreName !== 'string' || typeof body.timeZone !== 'string') return null;
    return { centreName: body.centreName, timeZone: body.timeZone };
  } catch {
    return null;
  }
}
