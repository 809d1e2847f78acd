/**
 * The durable event log in an embedded DuckDB file (DATA_DIR/wallboard.duckdb). Appends are
 * group-committed: batches that arrive while a commit is running wait and go together in the
 * next one, so one fsync'd commit acknowledges many requests. `append` resolves only after the
 * commit; if the commit fails, nothing of the batch is acknowledged and a retry is accepted.
 *
 * Event ids are unique forever, whatever their ts (issue 12): a Bloom filter of every stored id
 * (~4 bytes an id; kept in DATA_DIR/event-ids.bloom at close and every million ids or so, so an
 * open reads from the table only the ids committed after that) tells nearly every id "certainly new" with no
 * query; the rest are looked up in the table, first in the batch's range of event times (DuckDB
 * skips row groups outside it by their min/max), then in the whole id column. Ids of batches
 * still on their way to a commit are held in memory.
 *
 * By default (EVENT_LOG=lmdb) this log is not the one that acknowledges: the journal in front
 * of it (lmdb-event-log.ts) claims ids here (`claimNew`, `release`), acknowledges from LMDB, and
 * fills the table behind with `copyCommits`; replay and the rest are read from here.
 *
 * Failures (measured with DuckDB 1.5 on a full tmpfs): a commit that cannot write the WAL fails
 * cleanly, writes nothing, and the next commit succeeds once there is space again. A checkpoint
 * that cannot write the database file is FATAL: DuckDB invalidates the instance and every later
 * statement fails until the process reopens the file (nothing committed is lost; the WAL keeps
 * it). When that happens on an automatic checkpoint right after a commit, DuckDB reports the
 * commit as durable, so that batch is acknowledged; everything after it is refused with
 * "restart required" and `health()` says so.
 */
import { DuckDBBlobValue, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallCentreEvent } from '../../shared/events.ts';
import { bloomKey } from '../lib/bloom.ts';
import { GrowingBloomFilter, type BloomLayer } from '../lib/growing-bloom.ts';
import { prepareDataDir } from './data-dir.ts';
import { StoreError, withoutPaths, type AppendOptions, type AppendResult, type CommitListener, type EventLog, type StoreHealth } from './event-log.ts';

/** A commit under way: the batches it stores and how its insert ended (null: stored). */
interface Commit {
  group: PendingAppend[];
  events: CallCentreEvent[];
  receivedMs: number;
  done: Promise<unknown>;
}

interface PendingAppend {
  events: CallCentreEvent[];
  ingestKey: string | null;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** DuckDB's memory limit when none is given (DUCKDB_MEMORY_MB's default), MB. */
export const DUCKDB_DEFAULT_MEMORY_MB = 128;

export interface DuckDbEventLogOptions {
  dataDir: string;
  clock: { now(): number };
  /** DuckDB's memory limit in MB (default DUCKDB_DEFAULT_MEMORY_MB; DUCKDB_MEMORY_MB). */
  memoryLimitMb?: number;
  /** Least number of ids the id filter is sized for (default MIN_ID_CAPACITY; small in tests of its growth). */
  minIdCapacity?: number;
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
 * An event as it came in, from its row: the body holds the fields the columns do not (stores
 * written before that hold them all; the columns' values are the same).
 */
const FULL_BODY = `json_merge_patch(body, json_object('id', id, 'ts', ts, 'type', type, 'contactId', contact_id, 'ticketId', ticket_id, 'agentId', agent_id))`;

/** DuckDB's word that the instance is unusable until the file is reopened. */
const FATAL = /^FATAL Error|database has been invalidated/i;
/** A failure of the disk or the file (not of a value in the batch): its words are kept in messages. */
const IO_FAILURE = /^(?:FATAL |IO |TransactionContext )?Error|No space left|Could not (?:write|read|open)|disk|I\/O/i;
/** ...except this FATAL, which comes after the commit is already durable. */
const COMMITTED = /COMMIT succeeded and is durable/i;

export class DuckDbEventLog implements EventLog {
  /** Ids of events accepted by an append and not yet committed (or refused). */
  private readonly pending = new Set<string>();
  private queue: PendingAppend[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;
  /** Why the last commit failed; cleared by the next commit that succeeds. */
  private writeError: string | null = null;
  /** Set once DuckDB has invalidated the instance: nothing can be written until a restart. */
  private fatalError: string | null = null;
  private listener: CommitListener = () => {};
  /** `received_ms` of the last commit: strictly increasing, so it orders commits exactly. */
  lastCommittedMs = 0;
  /** `received_ms` given to the latest commit started (it may not have landed yet). */
  private lastAssignedMs = 0;
  /**
   * Every id stored (issue 12: an id is unique forever, whatever its ts): "certainly new" for
   * nearly every id, so only a repeat (or a rare false positive) is looked up in the whole table.
   * Filled at open (from IDS_FILE and the ids after it, or from the id column); grows by layers
   * as it fills up, never reading the ids again (see growing-bloom.ts).
   */
  private ids!: GrowingBloomFilter;
  /** The filter's `count` when it was last written to IDS_FILE, and that write while under way. */
  private savedIdCount = 0;
  private savingIds: Promise<void> | null = null;
  /** Told each commit's duration (see `onCommitTimed`). */
  private commitTimed: ((seconds: number) => void) | null = null;

  private constructor(
    /** DATA_DIR/wallboard.duckdb, for messages. */
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** For id lookups: its own connection, so they never wait behind a commit. */
    private readonly reader: DuckDBConnection,
    private readonly options: DuckDbEventLogOptions,
  ) {}

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
      // DuckDB's buffer pool would grow to most of the machine's memory (it caches what it read);
      // the server shares a 1 GB budget with the live state. Larger queries spill to disk. At
      // 20,000 events/s the server's RSS reached 1.08–1.18 GB with 224 MB and 1.01 GB with 128 MB
      // (120 s runs, same p99), though a 5-minute pass still reached 1.18 GB (README, Performance).
      await connection.run(`SET memory_limit = '${options.memoryLimitMb ?? DUCKDB_DEFAULT_MEMORY_MB}MB'`);
      const log = new DuckDbEventLog(path, instance, connection, await instance.connect(), options);
      const last = await connection.runAndReadAll('SELECT CAST(max(received_ms) AS DOUBLE) FROM events');
      log.lastCommittedMs = Number(last.getRows()[0]?.[0] ?? 0);
      log.lastAssignedMs = log.lastCommittedMs;
      await log.restoreIds(connection);
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

  /** A record write on this file went through: the disk takes writes again (issue 12: /healthz follows the store, not the last commit). */
  storeWritable(): void {
    this.writeError = null;
  }

  onCommitTimed(listener: (seconds: number) => void): void {
    this.commitTimed = listener;
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  /** Remembers a FATAL DuckDB error; returns whether `error` was one. */
  private noteFatal(error: unknown): boolean {
    if (!FATAL.test(firstLine(error))) return false;
    this.fatalError ??= `the event store failed (${withoutPaths(reason(error))}); restart required, the events it acknowledged are kept`;
    return true;
  }

  /** The error an append fails with when the store cannot take writes: says why and what happened to the batch. */
  private refusal(error: unknown): StoreError {
    if (this.noteFatal(error) || this.fatalError) {
      return new StoreError(`${this.fatalError}; nothing in this batch was stored`);
    }
    // DuckDB's words about a value it refused may quote the batch: never passed on (issue 12).
    if (!IO_FAILURE.test(firstLine(error))) return new StoreError('store: cannot write events (the store refused a value of this batch); nothing in this batch was stored');
    return new StoreError(`the event store: cannot write events (${withoutPaths(reason(error))}); nothing in this batch was stored`);
  }

  /**
   * A new connection to the same file, for records and reports: each has its own transactions,
   * so a record transaction can never swallow an event commit.
   */
  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  async append(events: CallCentreEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) throw new StoreError('store: closed; the server is shutting down');
    // Refuse before touching the id memory: a refused batch must count as new when re-sent.
    if (this.fatalError) throw new StoreError(`${this.fatalError}; nothing in this batch was stored`);
    const { accepted: fresh, duplicates } = await this.claimNew(events);
    try {
      if (fresh.length > 0) {
        await options.prepare?.(fresh);
        await this.enqueue(fresh, options.ingestKey ?? null);
      }
    } catch (error) {
      throw error instanceof StoreError ? error : this.refusal(error);
    } finally {
      // Committed (now in the table) or refused (a retry must count as new).
      this.release(fresh);
    }
    return { accepted: fresh, duplicates };
  }

  /**
   * The events of `events` whose id is new (not stored, not claimed by a commit under way, not
   * earlier in the batch), now claimed: their ids count as taken until `release` (after they are
   * in the table, or refused). The journal in front of this log (lmdb-event-log.ts) claims here
   * and releases once its copy of them is in the table, so dedupe stays exact and forever.
   */
  async claimNew(events: CallCentreEvent[]): Promise<AppendResult> {
    const candidates: CallCentreEvent[] = [];
    let duplicates = 0;
    for (const event of events) {
      // Also catches an id repeated within the batch.
      if (this.pending.has(event.id)) {
        duplicates++;
        continue;
      }
      this.pending.add(event.id);
      candidates.push(event);
    }
    if (candidates.length === 0) return { accepted: candidates, duplicates };
    // A commit releases its ids only after it is visible, and the lookup below starts after they
    // were claimed: every id is either claimed or in the table when it is looked for.
    let known: Set<string>;
    try {
      known = await this.storedIds(candidates);
    } catch (error) {
      this.release(candidates);
      throw error instanceof StoreError ? error : this.refusal(error);
    }
    if (known.size === 0) return { accepted: candidates, duplicates };
    const fresh: CallCentreEvent[] = [];
    for (const event of candidates) {
      if (!known.has(event.id)) fresh.push(event);
      else {
        duplicates++;
        this.pending.delete(event.id);
      }
    }
    return { accepted: fresh, duplicates };
  }

  /** Gives claimed ids back: their events were refused (a retry counts as new) or are in the table now. */
  release(events: readonly CallCentreEvent[]): void {
    for (const event of events) this.pending.delete(event.id);
  }

  /**
   * Copies commits a journal acknowledged into the table, in one DuckDB transaction (all or none):
   * `commits` is a JSON array of `{"r": receivedMs, "p": [{"k": ingestKey, "e": [events]}]}`, in
   * commit order, each `r` above every `received_ms` stored (so `lastCommittedMs` is exactly how
   * far the copy got, after a crash too), as UTF-8 bytes. DuckDB parses the JSON on its own
   * threads: the main thread only joins the bytes the journal already holds (a BLOB parameter is
   * copied as it is; a string one would be encoded again). `ids`: the ids of those events that
   * this process claimed, released (and added to the id filter) once the rows are visible.
   */
  async copyCommits(commits: Uint8Array, throughReceivedMs: number, ids: readonly (readonly string[])[]): Promise<void> {
    if (this.closed) throw new StoreError('store: closed; the server is shutting down');
    if (this.fatalError) throw new StoreError(this.fatalError);
    const startedAt = performance.now();
    try {
      await this.connection.run(COPY_COMMITS, [new DuckDBBlobValue(commits)]);
    } catch (error) {
      // Stored, with only the checkpoint after it failed (the rows are in the WAL): a copy made.
      const stored = COMMITTED.test(firstLine(error));
      this.noteFatal(error);
      if (!stored) throw this.refusal(error);
    }
    this.commitTimed?.((performance.now() - startedAt) / 1000);
    this.lastCommittedMs = this.lastAssignedMs = Math.max(this.lastCommittedMs, throughReceivedMs);
    for (const list of ids) {
      this.rememberIds(list);
      for (let i = 0; i < list.length; i++) this.pending.delete(list[i]);
    }
    this.idsCopied();
    this.writeError = null;
  }

  /** Adds to the id filter the ids stored after `afterReceivedMs` that no claim in this process brought (a journal copied at open). */
  async rememberStoredAfter(afterReceivedMs: number): Promise<void> {
    const reader = await this.instance.connect();
    try {
      await addStoredIds(reader, this.ids, 'SELECT id FROM events WHERE received_ms > $1', [BigInt(afterReceivedMs)]);
    } finally {
      reader.closeSync();
    }
  }

  /**
   * The filter at open: from IDS_FILE (written at close and every so many ids) plus the ids
   * committed after it was written, which DuckDB finds by received_ms (in commit order, so whole
   * row groups are skipped); from the whole id column when there is no usable file.
   */
  private async restoreIds(connection: DuckDBConnection): Promise<void> {
    const saved = readIdsFile(join(this.options.dataDir, IDS_FILE));
    if (saved === null) return this.loadIds(connection);
    this.ids = new GrowingBloomFilter(0, BITS_FACTOR, saved.layers);
    this.savedIdCount = this.ids.count;
    await addStoredIds(connection, this.ids, 'SELECT id FROM events WHERE received_ms > $1', [BigInt(saved.throughMs)]);
  }

  /** Fills a filter sized for twice the ids stored (at least MIN_ID_CAPACITY) from the id column. */
  private async loadIds(connection: DuckDBConnection): Promise<void> {
    const count = await connection.runAndReadAll('SELECT CAST(count(*) AS DOUBLE) FROM events');
    const stored = Number(count.getRows()[0]?.[0] ?? 0);
    const capacity = Math.max(this.options.minIdCapacity ?? MIN_ID_CAPACITY, 2 * stored);
    const ids = new GrowingBloomFilter(capacity, BITS_FACTOR);
    await addStoredIds(connection, ids, 'SELECT id FROM events', []);
    this.ids = ids;
  }

  /**
   * Writes the filter to IDS_FILE (a new file, then renamed over the old), with the received_ms
   * through which it holds every id. A failed write only makes the next open read more ids.
   */
  private saveIds(): Promise<void> {
    const file = join(this.options.dataDir, IDS_FILE);
    const layers = this.ids.layersCopy();
    const header = new Float64Array([IDS_MAGIC_LAYERS, layers.length, this.lastCommittedMs, 0, ...layers.flatMap((l) => [l.capacity, l.count, l.bits.length])]);
    this.savedIdCount = this.ids.count;
    return writeFile(`${file}.tmp`, Buffer.concat([Buffer.from(header.buffer), ...layers.map((l) => Buffer.from(l.bits.buffer))]))
      .then(() => rename(`${file}.tmp`, file))
      .catch(() => {});
  }

  /** Adds committed ids to the filter (a new layer when its newest is full). */
  private rememberIds(ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i++) this.ids.addKey(bloomKey(ids[i]));
  }

  /**
   * The ids of `events` already stored. Ids the filter has never seen are new without a query;
   * the others are looked up in the batch's range of times (a retry: cheap, DuckDB skips row
   * groups by min/max), and what is still not found in the whole table (another ts, or a
   * false positive of the filter, about 1 in 50 000 ids).
   */
  private async storedIds(all: CallCentreEvent[]): Promise<Set<string>> {
    const events = all.filter((event) => this.ids.mightHaveKey(bloomKey(event.id)));
    if (events.length === 0) return new Set();
    const found = await this.storedIdsInRange(events);
    const rest = events.filter((event) => !found.has(event.id));
    if (rest.length === 0) return found;
    const anywhere = await this.reader.runAndReadAll('SELECT id FROM events WHERE id IN (SELECT unnest($1::VARCHAR[]))', [JSON.stringify(rest.map((e) => e.id))]);
    for (const id of anywhere.getColumns()[0] ?? []) found.add(id as string);
    return found;
  }

  private async storedIdsInRange(events: CallCentreEvent[]): Promise<Set<string>> {
    let minTs = Infinity;
    let maxTs = -Infinity;
    for (const event of events) {
      if (event.ts < minTs) minTs = event.ts;
      if (event.ts > maxTs) maxTs = event.ts;
    }
    const result = await this.reader.runAndReadAll(
      'SELECT id FROM events WHERE ts >= $1 AND ts <= $2 AND id IN (SELECT unnest($3::VARCHAR[]))',
      [BigInt(Math.floor(minTs)), BigInt(Math.ceil(maxTs)), JSON.stringify(events.map((e) => e.id))],
    );
    return new Set(result.getColumns()[0]?.map((id) => id as string) ?? []);
  }

  private enqueue(events: CallCentreEvent[], ingestKey: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, ingestKey, resolve, reject });
      if (!this.writing) this.writing = this.drain();
    });
  }

  /**
   * Commits everything queued, one commit per ingest key among the waiting batches (nearly always
   * just one), until the queue is empty. The next commit is started before the one that just
   * finished is applied, so DuckDB writes it on its own threads while the main thread applies
   * (SPEC §9). Commits still land, and are applied, strictly one after the other.
   */
  private async drain(): Promise<void> {
    const groups: PendingAppend[][] = [];
    const startNext = (): Commit | null => {
      if (groups.length === 0) groups.push(...byIngestKey(this.queue.splice(0)));
      const group = groups.shift();
      if (!group) return null;
      const events = group.length === 1 ? group[0].events : group.flatMap((p) => p.events);
      // Strictly increasing, also while the commit before is still being applied.
      const receivedMs = Math.max(this.options.clock.now(), this.lastAssignedMs + 1);
      this.lastAssignedMs = receivedMs;
      const startedAt = performance.now();
      const done: Promise<unknown> = this.fatalError
        ? Promise.resolve(new StoreError(`${this.fatalError}; nothing in this batch was stored`))
        : this.insert(events, receivedMs, group[0].ingestKey).then(
            () => {
              this.commitTimed?.((performance.now() - startedAt) / 1000);
              return null;
            },
            (error: unknown) => error ?? new Error('insert failed'),
          );
      return { group, events, receivedMs, done };
    };
    let next = startNext();
    while (next !== null) {
      const current = next;
      const error = await current.done;
      // Stored, or stored with only the checkpoint after it failed (the rows are in the WAL).
      const stored = error === null || (!(error instanceof StoreError) && COMMITTED.test(firstLine(error)));
      if (error !== null) this.noteFatal(error);
      next = startNext();
      if (stored) {
        this.rememberIds(current.events.map((event) => event.id));
        this.committed(current.events, current.receivedMs);
        this.idsCopied();
        this.writeError = null;
        for (const pending of current.group) pending.resolve();
      } else if (current.group.length > 1 && !(error instanceof StoreError) && !this.fatalError && !IO_FAILURE.test(firstLine(error))) {
        // Not the disk but a value (validation makes that impossible; if it happens anyway): each
        // batch of the group is tried again alone, so one batch never takes the others with it.
        groups.unshift(...current.group.map((pending) => [pending]));
        next ??= startNext();
      } else {
        const storeError = error instanceof StoreError ? error : this.refusal(error);
        // A value refused (one batch's fault) says nothing of the disk: /healthz stays as it was.
        if (!this.fatalError && (error instanceof StoreError || IO_FAILURE.test(firstLine(error)))) this.writeError = storeError.message;
        for (const pending of current.group) pending.reject(storeError);
      }
    }
    this.writing = null;
  }

  /** Every so many new ids, the filter is written to IDS_FILE (so an open reads few ids from the table). */
  private idsCopied(): void {
    if (this.ids.count - this.savedIdCount >= Math.max(this.options.minIdCapacity ?? MIN_ID_CAPACITY, this.ids.capacity / 8) && !this.savingIds) {
      this.savingIds = this.saveIds().finally(() => (this.savingIds = null));
    }
  }

  private committed(events: CallCentreEvent[], receivedMs: number): void {
    this.lastCommittedMs = receivedMs;
    try {
      this.listener(events, receivedMs);
    } catch {
      // The events are stored; a listener that throws must not un-acknowledge them.
    }
  }

  private async insert(events: CallCentreEvent[], receivedMs: number, ingestKey: string | null): Promise<void> {
    // One JSON parameter, unpacked by DuckDB on its own thread: the main thread only serialises.
    // The body keeps what the columns do not (see FULL_BODY): the file is half the size, and a
    // checkpoint, during which DuckDB makes inserts into the table wait, a third shorter.
    await this.connection.run(
      // from_json parses each event once for all the columns (`->>` would parse it per column).
      `INSERT INTO events (id, ts, received_ms, type, contact_id, ticket_id, agent_id, body, ingest_key)
       SELECT r.id, r.ts, $2, r.type, r.contactId, r.ticketId, r.agentId,
              json_merge_patch(e, '{"id":null,"ts":null,"type":null,"contactId":null,"ticketId":null,"agentId":null}'), $3::VARCHAR
       FROM (SELECT e, from_json(e, '{"id":"VARCHAR","ts":"BIGINT","type":"VARCHAR","contactId":"VARCHAR","ticketId":"VARCHAR","agentId":"VARCHAR"}') AS r
             FROM (SELECT unnest(CAST($1 AS JSON[])) AS e))`,
      [JSON.stringify(events), BigInt(receivedMs), ingestKey],
    );
  }

  async replay(sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    await this.streamBodies(`SELECT ${FULL_BODY} FROM events WHERE ts >= $1 ORDER BY ts, id`, [BigInt(sinceMs)], onBatch);
  }

  async replayCommittedAfter(afterReceivedMs: number, sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    await this.streamBodies(
      `SELECT ${FULL_BODY} FROM events WHERE received_ms > $1 AND ts >= $2 ORDER BY received_ms, ts, id`,
      [BigInt(afterReceivedMs), BigInt(sinceMs)],
      onBatch,
    );
  }

  async agentStates(sinceMs: number, throughReceivedMs: number, onBatch: (events: CallCentreEvent[]) => void): Promise<void> {
    await this.streamBodies(
      `SELECT body FROM (
         SELECT ${FULL_BODY} AS body, ts, id FROM events WHERE type = 'agent.state' AND ts >= $1 AND received_ms <= $2
         UNION ALL
         SELECT arg_max(${FULL_BODY}, (ts, id)), max(ts), arg_max(id, (ts, id)) FROM events
         WHERE type = 'agent.state' AND ts < $1 AND ts >= $1 - 7 * 86400000 AND received_ms <= $2 GROUP BY agent_id)
       ORDER BY ts, id`,
      [BigInt(sinceMs), BigInt(throughReceivedMs)],
      onBatch,
    );
  }

  /**
   * Streams the JSON bodies a query selects, parsed, a chunk at a time. Errors of the store (a
   * corrupt block is only found when read) name the file; errors of `onBatch` pass through.
   */
  private async streamBodies(sql: string, params: bigint[], onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    const read = async <T>(step: () => Promise<T>): Promise<T> => {
      try {
        return await step();
      } catch (error) {
        this.noteFatal(error);
        throw new StoreError(`cannot read the event store (${withoutPaths(reason(error))})`);
      }
    };
    const result = await read(() => this.connection.stream(sql, params));
    for (let chunk = await read(() => result.fetchChunk()); chunk && chunk.rowCount > 0; chunk = await read(() => result.fetchChunk())) {
      const bodies = chunk.getColumnVector(0).toArray() as string[];
      await onBatch(bodies.map((body) => JSON.parse(body) as CallCentreEvent));
    }
  }

  /** Waits for pending commits, then checkpoints and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.savingIds;
    // After the last commit: the next open reads no ids from the table (unless the write failed).
    if (!this.fatalError) await this.saveIds();
    try {
      await this.connection.run('CHECKPOINT');
    } catch {
      // A read-only or full disk cannot checkpoint; the WAL still holds every commit.
    }
    this.reader.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * One copy of journal commits (see `copyCommits`): the JSON is parsed once into commits, their
 * parts (one per ingest key) and each event's raw JSON, then each event as `insert` stores it.
 */
const COPY_COMMITS = `
INSERT INTO events (id, ts, received_ms, type, contact_id, ticket_id, agent_id, body, ingest_key)
SELECT f.id, f.ts, r, f.type, f.contactId, f.ticketId, f.agentId,
       json_merge_patch(e, '{"id":null,"ts":null,"type":null,"contactId":null,"ticketId":null,"agentId":null}'), k
FROM (SELECT r, k, e, from_json(e, '{"id":"VARCHAR","ts":"BIGINT","type":"VARCHAR","contactId":"VARCHAR","ticketId":"VARCHAR","agentId":"VARCHAR"}') AS f
      FROM (SELECT r, p.k AS k, unnest(p.e) AS e
            FROM (SELECT c.r AS r, unnest(c.p) AS p
                  FROM (SELECT unnest(from_json(decode($1), '[{"r":"BIGINT","p":[{"k":"VARCHAR","e":["JSON"]}]}]')) AS c))))`;

/** The filter's minimum capacity in ids (4 MB), and its bits per id over BloomFilter's ten (~30: about 1 in 50 000 false positives). */
const MIN_ID_CAPACITY = 1 << 20;
const BITS_FACTOR = 3;

/**
 * The id filter's file in DATA_DIR, as float64s: IDS_MAGIC_LAYERS, the number of layers, the
 * received_ms through which it holds every id, 0; per layer its capacity, count and length in
 * 32-bit words; then each layer's bits. Files of one filter (IDS_MAGIC: capacity, count, through
 * received_ms, then the bits) are read as one layer.
 */
const IDS_FILE = 'event-ids.bloom';
const IDS_MAGIC = 0x57424931;
const IDS_MAGIC_LAYERS = 0x57424932;

export function readIdsFile(file: string): { layers: BloomLayer[]; throughMs: number } | null {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return null;
  }
  const float = (i: number) => data.readDoubleLE(i * 8);
  const bitsAt = (offset: number, words: number) => new Uint32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + words * 4));
  // A torn or foreign file is not used: the ids are read from the table instead.
  const usable = (layer: BloomLayer) => layer.bits.length >= 32 && (layer.bits.length & (layer.bits.length - 1)) === 0 && layer.capacity > 0 && layer.count >= 0;
  if (data.length < 32 + 128) return null;
  if (float(0) === IDS_MAGIC) {
    const layer = { capacity: float(1), count: float(2), bits: bitsAt(32, (data.length - 32) / 4) };
    return Number.isInteger((data.length - 32) / 4) && usable(layer) && Number.isFinite(float(3)) ? { layers: [layer], throughMs: float(3) } : null;
  }
  const count = float(1);
  if (float(0) !== IDS_MAGIC_LAYERS || !Number.isInteger(count) || count < 1 || count > 64 || data.length < 32 + count * 24 || !Number.isFinite(float(2))) return null;
  const layers: BloomLayer[] = [];
  let offset = 32 + count * 24;
  for (let i = 0; i < count; i++) {
    const words = float(4 + 3 * i + 2);
    if (!Number.isInteger(words) || offset + words * 4 > data.length) return null;
    layers.push({ capacity: float(4 + 3 * i), count: float(4 + 3 * i + 1), bits: bitsAt(offset, words) });
    offset += words * 4;
  }
  return offset === data.length && layers.every(usable) ? { layers, throughMs: float(2) } : null;
}

/** Adds the ids a query selects to `ids`. */
async function addStoredIds(connection: DuckDBConnection, ids: { addKey(key: number): void }, sql: string, params: bigint[]): Promise<void> {
  const result = await connection.stream(sql, params);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const column = chunk.getColumnVector(0).toArray() as string[];
    for (let i = 0; i < column.length; i++) ids.addKey(bloomKey(column[i]));
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
