/**
 * The acknowledged journal in front of DuckDB (issue 15; the default, EVENT_LOG=lmdb):
 * DATA_DIR/journal.lmdb. An append is acknowledged once its group commit is fsync'd in LMDB
 * (applied to the live state as soon as it is written, before the fsync: see `durable`); the
 * DuckDB events table (duckdb-event-log.ts) is filled from the journal behind the
 * acknowledgements, so a DuckDB checkpoint, a record write or a month extract never delays one
 * (LMDB has no checkpoint: a commit writes its own copy-on-write pages, then the meta page that
 * points at them; a commit torn by a crash is simply not there on reopening).
 *
 * One LMDB put (a "commit" here) per group of appends made in one turn of the event loop, issued
 * at once with lmdb-js's asynchronous `put` (its write thread puts the ones that come while it
 * commits into its next transaction): key = the commit's receivedMs (strictly increasing), value =
 * its events as one UTF-8 JSON buffer `[{"k": ingestKey, "e": [events]}, ...]`, which is also
 * what the copy hands DuckDB (as a BLOB: bytes copied, never decoded into a JS string), so the
 * main thread serialises each event once (JSON.stringify) and never parses it again. There is no per-event index in LMDB: ids are de-duplicated by the DuckDB log's
 * id machinery (a Bloom filter of every stored id, a lookup on positives, and the set of claimed
 * ids, which keeps a journaled id until its copy is in the table: `claimNew` / `release`).
 *
 * The copy runs in large chunks, in commit order, each chunk one DuckDB transaction with every
 * commit's receivedMs as received_ms; DuckDB's max(received_ms) is therefore exactly how far the
 * copy got (also after a crash), and journal entries up to it are deleted with the next commit.
 * At open, every journal commit after it is copied before anything reads; reads (replay, the tail
 * after a checkpoint, agent states) are DuckDB's, after the copy has caught up.
 *
 * When DuckDB cannot write (a full disk, an invalidated file), acknowledgements continue (the
 * journal grows) and `health().copy` says the copy is behind and why (/healthz shows it); the
 * copy is retried every COPY_RETRY_MS, and at once when a record write to DuckDB goes through.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { join } from 'node:path';
import type { CallCentreEvent } from '../../shared/events.ts';
import { prepareDataDir } from './data-dir.ts';
import { DuckDbEventLog } from './duckdb-event-log.ts';
import { StoreError, withoutPaths, type AppendOptions, type AppendResult, type CommitListener, type EventLog, type StoreHealth } from './event-log.ts';

export interface LmdbEventLogOptions {
  dataDir: string;
  clock: { now(): number };
  /** The DuckDB log the journal fills and reads through (default: opened on dataDir). Closed with the journal. */
  duck?: DuckDbEventLog;
  /** File name in dataDir (default journal.lmdb). */
  fileName?: string;
}

/** The journal's file in DATA_DIR. */
export const JOURNAL_FILE = 'journal.lmdb';

/** Bytes of journal JSON copied into DuckDB at a time (about 20 000 events). */
const COPY_CHUNK_BYTES = 4 << 20;
/** How soon a failed copy is tried again when no commit comes to retry it. */
const COPY_RETRY_MS = 1000;

const OPEN_LIST = Buffer.from('[');
const CLOSE_LIST = Buffer.from(']');
const CLOSE_OBJECT = Buffer.from('}');

interface PendingAppend {
  events: CallCentreEvent[];
  /** `events` as JSON text, when the ingest worker wrote it (see AppendOptions.json). */
  json: string | undefined;
  ingestKey: string | null;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Commit {
  group: PendingAppend[];
  events: CallCentreEvent[];
  receivedMs: number;
}

/**
 * A commit that was written and applied, but whose flush to disk failed: its events are taken
 * (their ids stay claimed, so a retry is reported as duplicates, not counted twice).
 */
export class UnconfirmedCommit extends StoreError {}

export class LmdbEventLog implements EventLog {
  private queue: PendingAppend[] = [];
  /** A microtask will put what is queued. */
  private startScheduled = false;
  /** Journal keys DuckDB holds now, to delete with the next put. */
  private readonly copiedKeys: number[] = [];
  /** Settles after the last commit started is applied (commits are applied one after the other). */
  private applied: Promise<void> = Promise.resolve();
  /** Settles after the last commit started is acknowledged or refused (after it is applied and flushed). */
  private acknowledged: Promise<void> = Promise.resolve();
  private closed = false;
  private copying: Promise<void> | null = null;
  private copyRetry: NodeJS.Timeout | null = null;
  /** Why the last journal commit failed (cleared by the next that succeeds). */
  private writeError: string | null = null;
  /** Why the last copy into DuckDB failed (cleared by the next that succeeds). */
  private copyError: string | null = null;
  private listener: CommitListener = () => {};
  private commitTimed: ((seconds: number) => void) | null = null;
  lastCommittedMs = 0;
  /** Journal commits DuckDB lacked at open, copied then (a crash or a full disk left them). */
  copiedAtOpen = 0;
  private lastAssignedMs = 0;
  /** receivedMs through which commits are in DuckDB (journal entries up to it can go). */
  private copiedThroughMs = 0;
  /** Ids of the commits acknowledged and not yet copied, by receivedMs in commit order (released after their copy). */
  private readonly uncopied: { receivedMs: number; ids: string[] }[] = [];

  private constructor(
    readonly path: string,
    private readonly root: RootDatabase,
    private readonly journal: Database<Buffer, number>,
    private readonly duck: DuckDbEventLog,
    private readonly clock: { now(): number },
  ) {}

  /**
   * Opens (or creates) the journal, copies into DuckDB every commit it holds that DuckDB lacks,
   * and only then returns; throws a one-line StoreError naming the file and the reason if it cannot.
   */
  static async open(options: LmdbEventLogOptions): Promise<LmdbEventLog> {
    const path = join(options.dataDir, options.fileName ?? JOURNAL_FILE);
    prepareDataDir(options.dataDir);
    const duck = options.duck ?? (await DuckDbEventLog.open({ dataDir: options.dataDir, clock: options.clock }));
    let root: RootDatabase;
    try {
      // overlappingSync: the fsync runs after the writer lock is released, so the next commit is
      // written while this one is flushed; an append waits for `flushed` before it is acknowledged.
      root = open({ path, maxDbs: 2, overlappingSync: true, separateFlushed: true });
    } catch (error) {
      if (!options.duck) await duck.close();
      throw new StoreError(`${path}: cannot open the event journal (${reason(error)}); the file was left as it is: restore it from a backup or move it aside to start empty`);
    }
    const log = new LmdbEventLog(path, root, root.openDB<Buffer, number>({ name: 'journal', encoding: 'binary' }), duck, options.clock);
    try {
      await log.catchUpAtOpen();
      return log;
    } catch (error) {
      await root.close().catch(() => {});
      if (!options.duck) await duck.close();
      throw error instanceof StoreError ? new StoreError(`${path}: ${error.message}`) : new StoreError(`${path}: cannot read the event journal (${reason(error)})`);
    }
  }

  /** Copies the journal's commits after DuckDB's last into it (left there by a crash or a full disk). */
  private async catchUpAtOpen(): Promise<void> {
    const copiedAtOpen = this.duck.lastCommittedMs;
    this.copiedThroughMs = copiedAtOpen;
    let last = 0;
    for (const key of this.journal.getKeys({ reverse: true, limit: 1 })) last = key;
    this.lastCommittedMs = this.lastAssignedMs = Math.max(last, copiedAtOpen);
    if (last > copiedAtOpen) {
      this.copiedAtOpen = this.journal.getKeysCount({ start: copiedAtOpen + 1 });
      while (this.copiedThroughMs < last) {
        if (!(await this.copyChunk(last))) throw new StoreError(`cannot copy the journal into the event store (${this.copyError})`);
      }
      // Their ids were claimed by an earlier process: the filter learns them from the table.
      await this.duck.rememberStoredAfter(copiedAtOpen);
    }
    if (this.journal.getKeysCount({ end: this.copiedThroughMs + 1 }) > 0) {
      try {
        await this.root.transaction(() => this.trim());
      } catch {
        // A full disk: the entries are in DuckDB already; the next commit deletes them.
        this.root.committed.then(undefined, () => {});
      }
    }
  }

  /**
   * Not ok while the journal cannot write (appends are refused). A copy into DuckDB that fails
   * leaves it ok (acknowledgements continue, the journal grows) but is reported under `copy`.
   */
  health(): StoreHealth {
    if (this.writeError) return { ok: false, restartRequired: false, error: this.writeError };
    if (this.copyError) {
      return { ok: true, restartRequired: false, copy: { commitsBehind: this.uncopied.length, error: this.copyError, restartRequired: this.duck.health().restartRequired } };
    }
    return { ok: true, restartRequired: false };
  }

  storeWritable(): void {
    // A record write to DuckDB went through: the disk of DATA_DIR (the journal's too) takes
    // writes again, so a failed commit's degraded health is over, and the copy can go on.
    this.writeError = null;
    this.duck.storeWritable();
    if (this.copyError) this.startCopy();
  }

  onCommitTimed(listener: (seconds: number) => void): void {
    this.commitTimed = listener;
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  /** A new connection to the DuckDB file (records, reports, identity). */
  connect() {
    return this.duck.connect();
  }

  /** Commits acknowledged but not yet copied into DuckDB. */
  get copyLag(): number {
    return this.uncopied.length;
  }

  async append(events: CallCentreEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) throw new StoreError('store: closed; the server is shutting down');
    const { accepted: fresh, duplicates } = await this.duck.claimNew(events);
    if (fresh.length === 0) return { accepted: fresh, duplicates };
    try {
      await options.prepare?.(fresh);
      // The worker's text is these events only when none was a duplicate.
      await this.enqueue(fresh, options.ingestKey ?? null, fresh.length === events.length ? options.json : undefined);
    } catch (error) {
      // Refused: a retry must count as new. (Journaled ids stay claimed until their copy is in
      // DuckDB, and so do those of a commit applied but not confirmed on disk.)
      if (!(error instanceof UnconfirmedCommit)) this.duck.release(fresh);
      throw error;
    }
    return { accepted: fresh, duplicates };
  }

  private enqueue(events: CallCentreEvent[], ingestKey: string | null, json?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, json, ingestKey, resolve, reject });
      if (!this.startScheduled) {
        this.startScheduled = true;
        // Every append of this turn in one put (they came together: one commit, one apply).
        queueMicrotask(() => {
          this.startScheduled = false;
          this.startNext();
        });
      }
    });
  }

  /**
   * Puts everything queued as one journal entry, without waiting for the commit before it:
   * lmdb-js's own write thread groups the puts that come while it commits into its next
   * transaction and writes them without calling back into this thread (a transaction callback
   * would wait for this thread twice per commit: to run, then to hear it committed), and flushes
   * each commit after the next is written (overlappingSync). Each commit is applied as soon as it
   * is written (screens see it without waiting for the disk) and acknowledged once its own flush
   * is done, both strictly in commit order.
   */
  private startNext(): void {
    const group = this.queue.splice(0);
    if (group.length === 0) return;
    const events = group.length === 1 ? group[0].events : group.flatMap((p) => p.events);
    const receivedMs = Math.max(this.clock.now(), this.lastAssignedMs + 1);
    this.lastAssignedMs = receivedMs;
    let value = '[';
    for (let i = 0; i < group.length; i++) {
      value += `${i > 0 ? ',' : ''}{"k":${JSON.stringify(group[i].ingestKey)},"e":${group[i].json ?? JSON.stringify(group[i].events)}}`;
    }
    value += ']';
    const bytes = Buffer.from(value, 'utf8');
    const startedAt = performance.now();
    // The entries DuckDB holds go with this put (in its transaction or the one before).
    for (const key of this.copiedKeys.splice(0)) void this.journal.remove(key).then(undefined, () => {});
    const put = this.journal.put(receivedMs, bytes) as Promise<boolean> & { flushed?: PromiseLike<unknown> };
    // null once written (in the file, so a kill -9 keeps it; not yet on disk), else why not.
    const written: Promise<unknown> = put.then(
      () => null,
      async (error: unknown) => {
        // lmdb-js rejects the writes with "Commit failed" and keeps the cause in a promise of its
        // own; its `committed` promise is rejected too and, unwatched, would end the process.
        this.root.committed.then(undefined, () => {});
        const cause = (error as { commitError?: Promise<unknown> })?.commitError;
        if (cause && typeof cause.then === 'function') return cause.then(() => error, (why: unknown) => why ?? error);
        return error ?? new Error('commit failed');
      },
    );
    // This commit's own flush (separateFlushed), which follows every earlier commit's.
    const flushed = Promise.resolve(put.flushed ?? this.root.flushed).then(
      () => null,
      (error: unknown) => error ?? new Error('flush failed'),
    );
    const commit: Commit = { group, events, receivedMs };
    const applied = this.applied.then(() => written.then((error) => this.apply(commit, error)));
    this.applied = applied.then(() => undefined);
    this.acknowledged = this.acknowledged.then(async () => {
      if (!(await applied)) return;
      const flushError = await flushed;
      if (flushError === null) {
        this.commitTimed?.((performance.now() - startedAt) / 1000);
        for (const pending of commit.group) pending.resolve();
        return;
      }
      const unconfirmed = new UnconfirmedCommit(`the event store: cannot confirm the events are on disk (${withoutPaths(reason(flushError))}); they were taken, so a retry reports them as duplicates`);
      this.writeError = unconfirmed.message;
      for (const pending of commit.group) pending.reject(unconfirmed);
    });
  }

  /** Deletes (inside a write transaction) the journal entries DuckDB holds: a cursor seek when there are none. */
  private trim(): void {
    for (const key of this.journal.getKeys({ end: this.copiedThroughMs + 1 })) this.journal.removeSync(key);
  }

  /** Applies a written commit (true), or refuses its appends (false: nothing of it was stored). */
  private apply(commit: Commit, error: unknown): boolean {
    if (error === null) {
      this.writeError = null;
      this.lastCommittedMs = commit.receivedMs;
      const ids = new Array<string>(commit.events.length);
      for (let i = 0; i < ids.length; i++) ids[i] = commit.events[i].id;
      this.uncopied.push({ receivedMs: commit.receivedMs, ids });
      try {
        this.listener(commit.events, commit.receivedMs);
      } catch {
        // The events are stored; a listener that throws must not un-acknowledge them.
      }
      // After a failed copy only the timer (or a record write going through) tries again: a
      // retry per commit would read a chunk of the journal per commit while DuckDB refuses.
      if (!this.copyError) this.startCopy();
      return true;
    }
    const refusal = new StoreError(`the event store: cannot write events (${withoutPaths(reason(error))}); nothing in this batch was stored`);
    this.writeError = refusal.message;
    for (const pending of commit.group) pending.reject(refusal);
    return false;
  }

  /**
   * Resolves once every commit applied so far is flushed to disk (or known not to be): a
   * checkpoint written after it never covers an event a power cut could still take back.
   */
  async durable(): Promise<void> {
    // Every commit applied so far was started before now: this chain covers it (later ones are not waited for).
    await this.acknowledged;
  }

  /** Starts the copy into DuckDB unless it is running (it then picks up what came since). */
  private startCopy(): void {
    if (this.copying || this.closed) return;
    this.copying = this.copyAll().finally(() => (this.copying = null));
  }

  /** Copies chunks until DuckDB has every acknowledged commit or a copy fails (then retried later). */
  private async copyAll(): Promise<void> {
    // Not a step synchronously: `copying` is set to this call's promise before `finally` clears it.
    await null;
    while (this.copiedThroughMs < this.lastCommittedMs) {
      if (!(await this.copyChunk(this.lastCommittedMs))) {
        if (!this.closed && !this.copyRetry) {
          this.copyRetry = setTimeout(() => {
            this.copyRetry = null;
            this.startCopy();
          }, COPY_RETRY_MS);
          this.copyRetry.unref();
        }
        return;
      }
    }
  }

  /**
   * Copies the next chunk of acknowledged commits (up to `throughMs`) into DuckDB, read back from
   * the journal (memory-mapped: the journal, not the heap, holds what waits); false if DuckDB refused.
   */
  private async copyChunk(throughMs: number): Promise<boolean> {
    const parts: Buffer[] = [OPEN_LIST];
    let bytes = 0;
    let last = this.copiedThroughMs;
    const keys: number[] = [];
    for (const { key, value } of this.journal.getRange({ start: this.copiedThroughMs + 1, end: throughMs + 1 })) {
      parts.push(Buffer.from(`${last > this.copiedThroughMs ? ',' : ''}{"r":${key},"p":`), value, CLOSE_OBJECT);
      bytes += value.length;
      last = key;
      keys.push(key);
      if (bytes >= COPY_CHUNK_BYTES) break;
    }
    parts.push(CLOSE_LIST);
    if (last === this.copiedThroughMs) {
      // Nothing in the journal up to there (trimmed already): DuckDB has it.
      this.copiedThroughMs = throughMs;
      return true;
    }
    const json = Buffer.concat(parts);
    let copied = 0;
    while (copied < this.uncopied.length && this.uncopied[copied].receivedMs <= last) copied++;
    const ids = this.uncopied.slice(0, copied).map((commit) => commit.ids);
    try {
      await this.duck.copyCommits(json, last, ids);
    } catch (error) {
      this.copyError = withoutPaths(reason(error));
      return false;
    }
    this.uncopied.splice(0, copied);
    this.copiedThroughMs = last;
    for (const key of keys) this.copiedKeys.push(key);
    this.copyError = null;
    return true;
  }

  /** Waits until DuckDB holds every acknowledged commit; a StoreError if it cannot take them now. */
  async caughtUp(): Promise<void> {
    // One copy at a time (two would copy the same commits): through `startCopy` only.
    for (;;) {
      await this.applied;
      if (this.copiedThroughMs >= this.lastCommittedMs) return;
      this.startCopy();
      await this.copying;
      if (this.copiedThroughMs < this.lastCommittedMs && this.copyError) throw new StoreError(`cannot read the event store (the copy from the journal is behind: ${this.copyError})`);
      if (this.closed) throw new StoreError('store: closed; the server is shutting down');
    }
  }

  async replay(sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    await this.caughtUp();
    await this.duck.replay(sinceMs, onBatch);
  }

  async replayCommittedAfter(afterReceivedMs: number, sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    await this.caughtUp();
    await this.duck.replayCommittedAfter(afterReceivedMs, sinceMs, onBatch);
  }

  async agentStates(sinceMs: number, throughReceivedMs: number, onBatch: (events: CallCentreEvent[]) => void): Promise<void> {
    await this.caughtUp();
    await this.duck.agentStates(sinceMs, throughReceivedMs, onBatch);
  }

  /** Journal entries kept (commits not yet copied, or copied and not yet deleted): for tests and benches. */
  journalCount(): number {
    return this.journal.getCount();
  }

  /** Waits for pending commits, copies what it can into DuckDB, then closes both files. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.closeJournal();
    await this.duck.close();
  }

  /** `close` without closing DuckDB (the journal drained by a server that keeps DuckDB as its log). */
  async closeJournal(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.copyRetry) clearTimeout(this.copyRetry);
    for (let last: Promise<void> | null = null; last !== this.acknowledged; ) {
      last = this.acknowledged;
      await last;
    }
    await this.copying;
    // Best effort: what DuckDB cannot take now is copied at the next open.
    while (this.copiedThroughMs < this.lastCommittedMs && (await this.copyChunk(this.lastCommittedMs)));
    try {
      await this.root.transaction(() => this.trim());
    } catch {
      // A full disk: the next open deletes them.
      this.root.committed.then(undefined, () => {});
    }
    await this.root.close();
  }
}

/** The first line of an error, without lmdb-js's page details ("No space left on device: Attempting to write page at ..."). */
function reason(error: unknown): string {
  return String((error as Error)?.message ?? error)
    .split('\n')[0]
    .replace(/: Attempting to write page .*$/, '')
    .slice(0, 400);
}
