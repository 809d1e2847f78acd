/**
 * The acknowledged event log in LMDB (issue 15), selected with EVENT_LOG=lmdb: DATA_DIR/events.lmdb.
 * An append is acknowledged once its commit is fsync'd; no DuckDB checkpoint, record write or
 * report can delay it (LMDB has no checkpoint: a commit writes its own copy-on-write pages, then
 * the meta page that points at them).
 *
 * Layout (one LMDB environment, five named databases):
 * - `events`: commit sequence number (one per event, strictly increasing) → [receivedMs, ingestKey, event];
 * - `ids`: event id → its sequence number, kept forever (issue 12: an id is unique forever);
 * - `byTs`: [ts, id] → sequence number, for replay in time order;
 * - `states`: [ts, id] → sequence number of agent.state events only (agentStates);
 * - `commits`: receivedMs → first sequence number of that commit (replayCommittedAfter).
 *
 * Appends are group-committed: batches that arrive while a commit is being written wait and go
 * together in the next one (one LMDB transaction, one fsync). The next commit is started before
 * the one before it is applied, and commits are applied strictly in order, synchronously, before
 * their appends resolve (the `CommitListener` contract).
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { join } from 'node:path';
import type { CallCentreEvent } from '../../shared/events.ts';
import { prepareDataDir } from './data-dir.ts';
import { StoreError, withoutPaths, type AppendOptions, type AppendResult, type CommitListener, type EventLog, type StoreHealth } from './event-log.ts';

export interface LmdbEventLogOptions {
  dataDir: string;
  clock: { now(): number };
  /** File name in dataDir (default events.lmdb). */
  fileName?: string;
}

/** Where acknowledged events are copied behind the log (the DuckDB events table). */
export interface Follower {
  append(events: CallCentreEvent[], options: { ingestKey: string | null }): Promise<unknown>;
  /** Closed after the log (it is the log's to close once it follows it). */
  close?(): Promise<void>;
}

/** Events copied to the follower at a time. */
const MIRROR_CHUNK = 5000;

/** What `events` holds per sequence number. */
type StoredEvent = [receivedMs: number, ingestKey: string | null, event: CallCentreEvent];
type TsKey = [number, string];

interface PendingAppend {
  events: CallCentreEvent[];
  ingestKey: string | null;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Commit {
  group: PendingAppend[];
  events: CallCentreEvent[];
  receivedMs: number;
  /** null: committed and flushed; otherwise why not. */
  done: Promise<unknown>;
}

/** Events handed to `onBatch` at a time when reading. */
const READ_BATCH = 2000;
/** How far back `agentStates` looks for the state an agent was in (as the DuckDB log). */
const STATE_LOOKBACK_MS = 7 * 86_400_000;

export class LmdbEventLog implements EventLog {
  private readonly pending = new Set<string>();
  private queue: PendingAppend[] = [];
  /** A transaction is being committed (the next waits for it; its flush it does not). */
  private committing = false;
  /** Settles after the last commit started is applied (commits are applied one after the other). */
  private applied: Promise<void> = Promise.resolve();
  private closed = false;
  private follower: Follower | null = null;
  private mirroring: Promise<void> | null = null;
  private writeError: string | null = null;
  private listener: CommitListener = () => {};
  private commitTimed: ((seconds: number) => void) | null = null;
  lastCommittedMs = 0;
  private lastAssignedMs = 0;
  /** Sequence number of the last event given to a commit (committed or under way). */
  private lastSeq = 0;

  private constructor(
    readonly path: string,
    private readonly root: RootDatabase,
    private readonly events: Database<StoredEvent, number>,
    private readonly ids: Database<number, string>,
    private readonly byTs: Database<number, TsKey>,
    private readonly states: Database<number, TsKey>,
    private readonly commits: Database<number, number>,
    /** 'mirrored': the sequence number through which events were copied to the follower. */
    private readonly meta: Database<number, string>,
    private readonly clock: { now(): number },
  ) {}

  /** Opens (or creates) the log; throws a one-line StoreError naming the file and the reason if it cannot. */
  static async open(options: LmdbEventLogOptions): Promise<LmdbEventLog> {
    const path = join(options.dataDir, options.fileName ?? 'events.lmdb');
    prepareDataDir(options.dataDir);
    let root: RootDatabase;
    try {
      // overlappingSync (lmdb-js's default here): the fsync runs after the writer lock is
      // released, so the next commit is written while this one is flushed; an append waits for
      // `flushed` before it is acknowledged.
      root = open({ path, maxDbs: 8, overlappingSync: true });
    } catch (error) {
      throw new StoreError(`${path}: cannot open the event log (${reason(error)}); the file was left as it is: restore it from a backup or move it aside to start empty`);
    }
    try {
      const log = new LmdbEventLog(
        path,
        root,
        root.openDB<StoredEvent, number>({ name: 'events', encoding: 'msgpack' }),
        root.openDB<number, string>({ name: 'ids', encoding: 'ordered-binary' }),
        root.openDB<number, TsKey>({ name: 'byTs', encoding: 'ordered-binary' }),
        root.openDB<number, TsKey>({ name: 'states', encoding: 'ordered-binary' }),
        root.openDB<number, number>({ name: 'commits', encoding: 'ordered-binary' }),
        root.openDB<number, string>({ name: 'meta', encoding: 'ordered-binary' }),
        options.clock,
      );
      for (const key of log.events.getKeys({ reverse: true, limit: 1 })) log.lastSeq = key;
      for (const key of log.commits.getKeys({ reverse: true, limit: 1 })) log.lastCommittedMs = key;
      log.lastAssignedMs = log.lastCommittedMs;
      return log;
    } catch (error) {
      await root.close().catch(() => {});
      throw new StoreError(`${path}: cannot read the event log (${reason(error)})`);
    }
  }

  health(): StoreHealth {
    if (this.writeError) return { ok: false, restartRequired: false, error: this.writeError };
    return { ok: true, restartRequired: false };
  }

  storeWritable(): void {
    // The records live in another file (DuckDB): a write there says nothing of this one.
  }

  onCommitTimed(listener: (seconds: number) => void): void {
    this.commitTimed = listener;
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  /**
   * Copies every event, after it is acknowledged, to `follower` (the DuckDB events table the
   * reports read), in commit order and never on the acknowledgement's path: a slow follower (a
   * checkpoint) only makes the copy lag. Where the copy got to is kept in the log, so after a
   * crash it resumes there; the follower de-duplicates by id, so a chunk copied twice counts once.
   */
  follow(follower: Follower): void {
    this.follower = follower;
    if (!this.mirroring) this.mirroring = this.mirror();
  }

  /** Events acknowledged but not yet copied to the follower. */
  get mirrorLag(): number {
    return this.lastSeq - (this.meta.get('mirrored') ?? 0);
  }

  private async mirror(): Promise<void> {
    // Not a step synchronously: `mirroring` is set to this call's promise before `finally` clears it.
    await null;
    try {
      for (;;) {
        const from = (this.meta.get('mirrored') ?? 0) + 1;
        const chunk: StoredEvent[] = [];
        let through = from - 1;
        for (const { key, value } of this.events.getRange({ start: from, limit: MIRROR_CHUNK })) {
          chunk.push(value);
          through = key;
        }
        if (chunk.length === 0 || this.closed || !this.follower) break;
        // One append per ingest key, in order of first appearance.
        const byKey = new Map<string | null, CallCentreEvent[]>();
        for (const [, ingestKey, event] of chunk) {
          const list = byKey.get(ingestKey);
          if (list) list.push(event);
          else byKey.set(ingestKey, [event]);
        }
        for (const [ingestKey, events] of byKey) await this.follower.append(events, { ingestKey });
        await this.meta.put('mirrored', through);
      }
    } catch {
      // The follower refused (its disk): the copy resumes with the next commit.
    } finally {
      this.mirroring = null;
    }
  }

  /** Number of events stored (for benches and tests). */
  count(): number {
    return this.events.getCount();
  }

  async append(events: CallCentreEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) throw new StoreError('store: closed; the server is shutting down');
    const fresh: CallCentreEvent[] = [];
    let duplicates = 0;
    // Reads are synchronous (memory-mapped): an id is pending (its commit under way) or in `ids`.
    for (const event of events) {
      if (this.pending.has(event.id) || this.ids.doesExist(event.id)) {
        duplicates++;
        continue;
      }
      this.pending.add(event.id);
      fresh.push(event);
    }
    try {
      if (fresh.length > 0) {
        await options.prepare?.(fresh);
        await this.enqueue(fresh, options.ingestKey ?? null);
      }
    } finally {
      // Committed (now in `ids`) or refused (a retry must count as new).
      for (const event of fresh) this.pending.delete(event.id);
    }
    return { accepted: fresh, duplicates };
  }

  private enqueue(events: CallCentreEvent[], ingestKey: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, ingestKey, resolve, reject });
      if (!this.committing) this.startNext();
    });
  }

  /**
   * Starts one LMDB transaction with everything queued. The next one starts as soon as this one
   * is committed (its fsync then runs beside the next commit: lmdb-js's overlappingSync); each is
   * applied and acknowledged once flushed, strictly in commit order.
   */
  private startNext(): void {
    const group = this.queue.splice(0);
    if (group.length === 0) return;
    const events = group.length === 1 ? group[0].events : group.flatMap((p) => p.events);
    const receivedMs = Math.max(this.clock.now(), this.lastAssignedMs + 1);
    this.lastAssignedMs = receivedMs;
    const firstSeq = this.lastSeq + 1;
    this.lastSeq += events.length;
    const startedAt = performance.now();
    const committed = this.root.transaction(() => {
      let seq = firstSeq;
      for (const pending of group) {
        for (const event of pending.events) {
          this.events.putSync(seq, [receivedMs, pending.ingestKey, event]);
          this.ids.putSync(event.id, seq);
          this.byTs.putSync([event.ts, event.id], seq);
          if (event.type === 'agent.state') this.states.putSync([event.ts, event.id], seq);
          seq++;
        }
      }
      this.commits.putSync(receivedMs, firstSeq);
    });
    this.committing = true;
    const next = () => {
      this.committing = false;
      this.startNext();
    };
    const done: Promise<unknown> = committed
      // `flushed` read now covers this commit and every one before it.
      .then(() => {
        next();
        return this.root.flushed;
      })
      .then(
        () => {
          this.commitTimed?.((performance.now() - startedAt) / 1000);
          return null;
        },
        async (error: unknown) => {
          next();
          // lmdb-js rejects the writes with "Commit failed" and keeps the cause in a promise of its
          // own; its `committed` promise is rejected too and, unwatched, would end the process.
          this.root.committed.then(undefined, () => {});
          const cause = (error as { commitError?: Promise<unknown> })?.commitError;
          if (cause && typeof cause.then === 'function') return cause.then(() => error, (why: unknown) => why ?? error);
          return error ?? new Error('commit failed');
        },
      );
    const commit: Commit = { group, events, receivedMs, done };
    this.applied = this.applied.then(() => commit.done.then((error) => this.settle(commit, error)));
  }

  /** Applies a flushed commit and acknowledges its appends, or refuses them all. */
  private settle(commit: Commit, error: unknown): void {
    if (error === null) {
      this.writeError = null;
      this.lastCommittedMs = commit.receivedMs;
      try {
        this.listener(commit.events, commit.receivedMs);
      } catch {
        // The events are stored; a listener that throws must not un-acknowledge them.
      }
      if (this.follower && !this.mirroring) this.mirroring = this.mirror();
      for (const pending of commit.group) pending.resolve();
    } else {
      const refusal = new StoreError(`the event store: cannot write events (${withoutPaths(reason(error))}); nothing in this batch was stored`);
      this.writeError = refusal.message;
      for (const pending of commit.group) pending.reject(refusal);
    }
  }

  async replay(sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    await this.pages(this.byTs, [sinceMs] as unknown as TsKey, async (seqs) => {
      await onBatch(seqs.map((seq) => this.eventAt(seq)[2]));
      return true;
    });
  }

  async replayCommittedAfter(afterReceivedMs: number, sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    let firstSeq: number | undefined;
    for (const { key, value } of this.commits.getRange({ start: afterReceivedMs })) {
      if (key > afterReceivedMs) {
        firstSeq = value;
        break;
      }
    }
    if (firstSeq === undefined) return;
    // Commit order, and (ts, id) within a commit, as the DuckDB log orders them.
    let commit: CallCentreEvent[] = [];
    let commitMs = -1;
    let out: CallCentreEvent[] = [];
    const endCommit = () => {
      commit.sort(byTsId);
      for (const event of commit) out.push(event);
      commit = [];
    };
    let start = firstSeq;
    for (;;) {
      let read = 0;
      for (const { key, value } of this.events.getRange({ start, limit: READ_BATCH })) {
        read++;
        start = key + 1;
        const [receivedMs, , event] = value;
        if (receivedMs !== commitMs) {
          endCommit();
          commitMs = receivedMs;
        }
        if (event.ts >= sinceMs) commit.push(event);
      }
      if (read === 0) break;
      if (out.length >= READ_BATCH) {
        const batch = out;
        out = [];
        await onBatch(batch);
      }
    }
    endCommit();
    if (out.length > 0) await onBatch(out);
  }

  async agentStates(sinceMs: number, throughReceivedMs: number, onBatch: (events: CallCentreEvent[]) => void): Promise<void> {
    // Per agent, the last state before sinceMs (within the look-back), in (ts, id) order.
    const before = new Map<string, CallCentreEvent>();
    for (const { key, value } of this.states.getRange({ start: [sinceMs - STATE_LOOKBACK_MS] as unknown as TsKey, end: [sinceMs] as unknown as TsKey })) {
      if (key[0] >= sinceMs) break;
      const [receivedMs, , event] = this.eventAt(value);
      if (receivedMs <= throughReceivedMs) before.set((event as { agentId: string }).agentId, event);
    }
    const first = [...before.values()].sort(byTsId);
    if (first.length > 0) onBatch(first);
    await this.pages(this.states, [sinceMs] as unknown as TsKey, (seqs) => {
      const batch: CallCentreEvent[] = [];
      for (const seq of seqs) {
        const [receivedMs, , event] = this.eventAt(seq);
        if (receivedMs <= throughReceivedMs) batch.push(event);
      }
      if (batch.length > 0) onBatch(batch);
      return true;
    });
  }

  private eventAt(seq: number): StoredEvent {
    const stored = this.events.get(seq);
    if (stored === undefined) throw new StoreError(`cannot read the event store (index entry ${seq} has no event)`);
    return stored;
  }

  /**
   * Walks an index from `start` a page at a time (each page read in one synchronous go, so no
   * read transaction stays open across `onPage`'s awaits), giving the sequence numbers.
   */
  private async pages(index: Database<number, TsKey>, start: TsKey, onPage: (seqs: number[]) => Promise<boolean> | boolean): Promise<void> {
    let from: TsKey = start;
    let after: TsKey | null = null;
    for (;;) {
      const seqs: number[] = [];
      let last: TsKey | null = null;
      for (const { key, value } of index.getRange({ start: from, limit: READ_BATCH + 1 })) {
        if (after !== null && key[0] === after[0] && key[1] === after[1]) continue;
        if (seqs.length === READ_BATCH) break;
        seqs.push(value);
        last = key;
      }
      if (seqs.length === 0 || last === null) return;
      if (!(await onPage(seqs))) return;
      from = after = last;
    }
  }

  /** Waits for pending commits, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let last: Promise<void> | null = null; last !== this.applied; ) {
      last = this.applied;
      await last;
    }
    await this.mirroring;
    await this.root.close();
    await this.follower?.close?.();
  }
}

function byTsId(a: CallCentreEvent, b: CallCentreEvent): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function reason(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0].slice(0, 400);
}
