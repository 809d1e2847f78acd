/**
 * Runs `refresh` now and then every `periodMs`, and returns what stops it: an `$effect` of a
 * panel that polls the server (tickets, staffing, incidents, screens) returns it as its cleanup.
 * The first call runs inside the effect, so what it reads before its first `await` (the scope)
 * is what the effect follows.
 */
export function refreshEvery(periodMs: number, refresh: () => Promise<void>): () => void {
  void refresh();
  const timer = setInterval(() => void refresh(), periodMs);
  return () => clearInterval(timer);
}
