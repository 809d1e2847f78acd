/**
 * The durable event log in an embedded DuckDB file (DATA_DIR/wallboard.duckdb). Appends are
 * group-committed: batches that arrive while a commit is running wait and go together in the
 * next one, so one fsync'd commit acknowledges many requests. `append` resolves only after the
 * commit; if the commit fails, nothing of the batch is acknowledged and a retry is accepted.
 *
 * Event ids are unique across restarts: ids of events stamped in the last `dedupeHours` (and
 * later) are held in memory (reloaded at start), and older-stamped events are checked against
 * the table itself.
 *
 * Failures (measured with DuckDB 1.5 on a full tmpfs): a commit that cannot write the WAL fails
 * cleanly, writes nothing, and the next commit succeeds once there is space again. A checkpoint
 * that cannot write the database file is FATAL: DuckDB invalidates the instance and every later
 * statement fails until the process reopens the file (nothing committed is lost; the WAL keeps
 * it). When that happens on an automatic checkpoint right after a commit, DuckDB reports the
 * commit as durable, so that batch is acknowledged; everything after it is refused with
 * "restart required" and `health()` says so.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import type { CallCentreEvent } from '../../shared/events.ts';
import { prepareDataDir } from './data-dir.ts';
import { StoreError, type AppendResult, type EventLog, type StoreHealth } from './event-log.ts';

interface PendingAppend {
  events: CallCentreEvent[];
  ingestKey: string | null;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface DuckDbEventLogOptions {
  dataDir: string;
  clock: { now(): number };
  /** How long event ids are remembered in memory for de-duplication (default 24 h, up to twice that). */
  dedupeHours?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id VARCHAR NOT NULL,
  ts BIGINT NOT NULL,
  received_ms BIGINT NOT NULL,
  type VARCHAR NOT NULL,
  contact_id VARCHAR,
  ticket_id VARCHAR,
  agent_id VARCHAR,
  body JSON NOT NULL,
  ingest_key VARCHAR
);
-- Stores made before events recorded their ingest key.
ALTER TABLE events ADD COLUMN IF NOT EXISTS ingest_key VARCHAR;`;

/**
 * Ids of stored events stamped in the last `spanMs` (and later), in generations by event time,
 * so the memory holds exactly the ids a recent event could repeat, whatever the arrival order or
 * however the clock was set when they came (a replayed backfill, a restart).
 */
class RecentIds {
  private readonly generations = new Map<number, Set<string>>();

  constructor(private readonly spanMs: number) {}

  private generation(tsMs: number): number {
    // Quarter-span generations: V8 caps a Set at 2^24 ids, so a day's ids must not share one.
    return Math.floor((tsMs * 4) / this.spanMs);
  }

  /** Does the memory hold every stored id for an event stamped `tsMs`? */
  covers(tsMs: number, nowMs: number): boolean {
    return this.generation(tsMs) >= this.generation(nowMs - this.spanMs);
  }

  /** Forgets generations that no event stamped from `nowMs − span` on can fall into. */
  prune(nowMs: number): void {
    const oldest = this.generation(nowMs - this.spanMs);
    for (const generation of this.generations.keys()) if (generation < oldest) this.generations.delete(generation);
  }

  has(id: string): boolean {
    for (const ids of this.generations.values()) if (ids.has(id)) return true;
    return false;
  }

  add(id: string, tsMs: number): void {
    const generation = this.generation(tsMs);
    let ids = this.generations.get(generation);
    if (!ids) this.generations.set(generation, (ids = new Set()));
    ids.add(id);
  }

  delete(id: string): void {
    for (const ids of this.generations.values()) ids.delete(id);
  }
}

/** DuckDB's word that the instance is unusable until the file is reopened. */
const FATAL = /^FATAL Error|database has been invalidated/i;
/** ...except this FATAL, which comes after the commit is already durable. */
const COMMITTED = /COMMIT succeeded and is durable/i;

export class DuckDbEventLog implements EventLog {
  private readonly recent: RecentIds;
  /** Old-stamped ids whose check against the table (and commit) is under way. */
  private readonly oldInFlight = new Set<string>();
  private queue: PendingAppend[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;
  /** Why the last commit failed; cleared by the next commit that succeeds. */
  private writeError: string | null = null;
  /** Set once DuckDB has invalidated the instance: nothing can be written until a restart. */
  private fatalError: string | null = null;

  private constructor(
    /** DATA_DIR/wallboard.duckdb, for messages. */
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly options: DuckDbEventLogOptions,
  ) {
    this.recent = new RecentIds((options.dedupeHours ?? 24) * 3600_000);
  }

  /**
   * Opens (or creates) DATA_DIR/wallboard.duckdb; throws a one-line StoreError naming the file
   * and the reason if it cannot. A file DuckDB cannot read is left exactly as it was.
   */
  static async open(options: DuckDbEventLogOptions): Promise<DuckDbEventLog> {
    const path = join(options.dataDir, 'wallboard.duckdb');
    prepareDataDir(options.dataDir);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      const why = reason(error);
      // DuckDB allows one writing process: a second server or a CLI on the same DATA_DIR lands here.
      if (/Conflicting lock/i.test(why)) {
        throw new StoreError(`${path}: in use by another process (${why.replace(/\. See also.*$/, '')}); stop it first`);
      }
      throw new StoreError(`${path}: cannot open the event store (${why}); the file was left as it is: restore it from a backup or move it aside to start empty`);
    }
    let connection: DuckDBConnection | undefined;
    try {
      connection = await instance.connect();
      await connection.run(SCHEMA);
      // Fewer, larger checkpoints: each rewrites compressed segments, which costs more per
      // event than the WAL append itself. A bigger WAL only lengthens the replay after a crash.
      await connection.run("SET checkpoint_threshold = '64MB'");
      const log = new DuckDbEventLog(path, instance, connection, options);
      await log.loadRecentIds();
      return log;
    } catch (error) {
      connection?.closeSync();
      instance.closeSync();
      throw new StoreError(`${path}: cannot read the event store (${reason(error)})`);
    }
  }

  /**
   * Whether the store can take writes now: not after a commit failed (until one succeeds
   * again), nor once DuckDB has invalidated the file (until a restart).
   */
  health(): StoreHealth {
    if (this.fatalError) return { ok: false, restartRequired: true, error: this.fatalError };
    if (this.writeError) return { ok: false, restartRequired: false, error: this.writeError };
    return { ok: true, restartRequired: false };
  }

  /** Remembers a FATAL DuckDB error; returns whether `error` was one. */
  private noteFatal(error: unknown): boolean {
    if (!FATAL.test(firstLine(error))) return false;
    this.fatalError ??= `${this.path}: the store failed (${reason(error)}); restart required, the events it acknowledged are kept`;
    return true;
  }

  /** The error an append fails with when the store cannot take writes: says why and what happened to the batch. */
  private refusal(error: unknown): StoreError {
    if (this.noteFatal(error) || this.fatalError) {
      return new StoreError(`${this.fatalError}; nothing in this batch was stored`);
    }
    return new StoreError(`${this.path}: cannot write events (${reason(error)}); nothing in this batch was stored`);
  }

  /**
   * A new connection to the same file, for records and reports: each has its own transactions,
   * so a record transaction can never swallow an event commit.
   */
  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  private async loadRecentIds(): Promise<void> {
    const sinceMs = this.options.clock.now() - 2 * (this.options.dedupeHours ?? 24) * 3600_000;
    const result = await this.connection.stream('SELECT id, CAST(ts AS DOUBLE) FROM events WHERE ts >= $1', [BigInt(sinceMs)]);
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      // Whole columns at once: row by row, the node binding wraps every value (slow at millions).
      const ids = chunk.getColumnVector(0).toArray() as string[];
      const times = chunk.getColumnVector(1).toArray() as number[];
      for (let i = 0; i < ids.length; i++) this.recent.add(ids[i], times[i]);
    }
  }

  async append(events: CallCentreEvent[], ingestKey: string | null = null): Promise<AppendResult> {
    if (this.closed) throw new StoreError('store: closed; the server is shutting down');
    // Refuse before touching the id memory: a refused batch must count as new when re-sent.
    if (this.fatalError) throw new StoreError(`${this.fatalError}; nothing in this batch was stored`);
    const nowMs = this.options.clock.now();
    this.recent.prune(nowMs);
    const fresh: CallCentreEvent[] = [];
    let duplicates = 0;
    const old: CallCentreEvent[] = [];
    for (const event of events) {
      if (this.recent.has(event.id) || this.oldInFlight.has(event.id)) {
        duplicates++;
        continue;
      }
      if (this.recent.covers(event.ts, nowMs)) {
        this.recent.add(event.id, event.ts);
        fresh.push(event);
      } else {
        // Older than the memory: held here until the store has answered whether it knows it.
        this.oldInFlight.add(event.id);
        old.push(event);
      }
    }
    try {
      if (old.length > 0) {
        // Rare: events stamped long ago may repeat ids the memory no longer holds.
        const known = await this.storedIds(old.map((e) => e.id));
        for (const event of old) {
          if (known.has(event.id)) duplicates++;
          else fresh.push(event);
        }
      }
      if (fresh.length > 0) await this.enqueue(fresh, ingestKey);
    } catch (error) {
      // Forget every id this call remembered, else a retry of the batch would be "duplicates".
      for (const event of fresh) this.recent.delete(event.id);
      throw error instanceof StoreError ? error : this.refusal(error);
    } finally {
      for (const event of old) this.oldInFlight.delete(event.id);
    }
    return { accepted: fresh, duplicates };
  }

  private async storedIds(ids: string[]): Promise<Set<string>> {
    const reader = await this.connection.runAndReadAll(
      'SELECT id FROM events WHERE id IN (SELECT unnest($1::VARCHAR[]))',
      [JSON.stringify(ids)],
    );
    return new Set(reader.getRows().map(([id]) => id as string));
  }

  private enqueue(events: CallCentreEvent[], ingestKey: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, ingestKey, resolve, reject });
      if (!this.writing) this.writing = this.drain();
    });
  }

  /** Commits everything queued, one commit per round, until the queue is empty. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const queued = this.queue;
      this.queue = [];
      // One commit per ingest key among the waiting batches (nearly always just one).
      for (const group of byIngestKey(queued)) {
        const events = group.flatMap((p) => p.events);
        try {
          if (this.fatalError) throw new StoreError(`${this.fatalError}; nothing in this batch was stored`);
          await this.insert(events, group[0].ingestKey);
          this.writeError = null;
          for (const pending of group) pending.resolve();
        } catch (error) {
          if (!(error instanceof StoreError) && COMMITTED.test(firstLine(error))) {
            // The rows are in the WAL; only the checkpoint after them failed. Acknowledge them.
            this.noteFatal(error);
            this.writeError = null;
            for (const pending of group) pending.resolve();
            continue;
          }
          const storeError = error instanceof StoreError ? error : this.refusal(error);
          if (!this.fatalError) this.writeError = storeError.message;
          for (const pending of group) pending.reject(storeError);
        }
      }
    }
    this.writing = null;
  }

  private async insert(events: CallCentreEvent[], ingestKey: string | null): Promise<void> {
    // One JSON parameter, unpacked by DuckDB on its own thread: the main thread only serialises.
    await this.connection.run(
      // from_json parses each event once for all the columns (`->>` would parse it per column).
      `INSERT INTO events (id, ts, received_ms, type, contact_id, ticket_id, agent_id, body, ingest_key)
       SELECT r.id, r.ts, $2, r.type, r.contactId, r.ticketId, r.agentId, e, $3::VARCHAR
       FROM (SELECT e, from_json(e, '{"id":"VARCHAR","ts":"BIGINT","type":"VARCHAR","contactId":"VARCHAR","ticketId":"VARCHAR","agentId":"VARCHAR"}') AS r
             FROM (SELECT unnest(CAST($1 AS JSON[])) AS e))`,
      [JSON.stringify(events), BigInt(this.options.clock.now()), ingestKey],
    );
  }

  async replay(sinceMs: number, onBatch: (events: CallCentreEvent[], receivedMs?: number[]) => Promise<void> | void): Promise<void> {
    // Errors of the store (a corrupt block is only found when read) name the file; errors of
    // `onBatch` pass through as they are.
    const read = async <T>(step: () => Promise<T>): Promise<T> => {
      try {
        return await step();
      } catch (error) {
        this.noteFatal(error);
        throw new StoreError(`${this.path}: cannot read the event store (${reason(error)})`);
      }
    };
    const result = await read(() =>
      this.connection.stream('SELECT body, CAST(received_ms AS DOUBLE) FROM events WHERE ts >= $1 ORDER BY ts, id', [BigInt(sinceMs)]),
    );
    for (let chunk = await read(() => result.fetchChunk()); chunk && chunk.rowCount > 0; chunk = await read(() => result.fetchChunk())) {
      const bodies = chunk.getColumnVector(0).toArray() as string[];
      const received = chunk.getColumnVector(1).toArray() as number[];
      await onBatch(bodies.map((body) => JSON.parse(body) as CallCentreEvent), received);
    }
  }

  /** Waits for pending commits, then checkpoints and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    try {
      await this.connection.run('CHECKPOINT');
    } catch {
      // A read-only or full disk cannot checkpoint; the WAL still holds every commit.
    }
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Waiting appends grouped by the key that brought them, in order of first arrival. */
function byIngestKey(queued: PendingAppend[]): PendingAppend[][] {
  const groups = new Map<string | null, PendingAppend[]>();
  for (const pending of queued) {
    const group = groups.get(pending.ingestKey);
    if (group) group.push(pending);
    else groups.set(pending.ingestKey, [pending]);
  }
  return [...groups.values()];
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0].slice(0, 600);
}

/** DuckDB's message without its class prefixes ("IO Error: ", "TransactionContext Error: Failed to commit: "). */
function reason(error: unknown): string {
  return firstLine(error).replace(/^(?:(?:FATAL|IO|TransactionContext|Invalid Input|Internal|Serialization) Error: |Failed(?: to commit)?: )+/g, '');
}
