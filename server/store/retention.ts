/**
 * Retention: raw events older than the configured age are compacted away; contact and ticket
 * records stay (reports and month extracts read those), and so do agent-state events, which
 * the reports need for occupancy and are a small share of the log.
 *
 * After compaction an event id older than the retention age is no longer known, so a very late
 * repeat of such an event is stored again; merging it into its record changes nothing (the
 * record merge is idempotent), so no figure moves.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** Deletes raw contact and ticket events stamped before `olderThanMs`; returns how many. */
export async function compactEvents(db: DuckDBConnection, olderThanMs: number): Promise<number> {
  const reader = await db.runAndReadAll(
    `DELETE FROM events WHERE ts < $1 AND type <> 'agent.state' RETURNING 1`,
    [BigInt(olderThanMs)],
  );
  const deleted = reader.getRows().length;
  // Give the space of deleted rows back to the file now rather than at some later checkpoint.
  if (deleted > 0) await db.run('CHECKPOINT');
  return deleted;
}

/**
 * Runs compaction now and then every `everyMs` until stopped, on a connection of its own from
 * `connect` (a DELETE on the record writes' connection would join a write's open transaction).
 */
export function scheduleRetention(
  connect: () => Promise<DuckDBConnection>,
  options: { retentionDays: number; clock: { now(): number }; everyMs?: number; onResult(deleted: number, error?: Error): void },
): { stop(): void } {
  let db: Promise<DuckDBConnection> | null = null;
  const run = () =>
    (db ??= connect())
      .then((connection) => compactEvents(connection, options.clock.now() - options.retentionDays * 86_400_000))
      .then((deleted) => options.onResult(deleted))
      .catch((error: Error) => options.onResult(0, error));
  void run();
  const timer = setInterval(run, options.everyMs ?? 6 * 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
