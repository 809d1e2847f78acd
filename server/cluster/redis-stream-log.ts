/**
 * The event log of several server processes (issue 16, REDIS_URL): one Redis Stream is the
 * order everyone agrees on, and each process keeps its own durable store (DATA_DIR) as a copy.
 *
 * - `append` claims the batch's ids and adds the fresh events as one stream entry in one atomic
 *   script (append-script.ts), then waits until this process's consumer has read that entry
 *   and its own store has committed it, so the answer counts exactly what the store took.
 * - The consumer (XREAD BLOCK on a connection of its own) applies every entry, from every
 *   process, in stream order, through the local store's `append`: its commit listener feeds the
 *   engine as without Redis. What one read returns goes to the store in as few appends as it
 *   can (consecutive entries with the same ingest key joined: one commit, not one fsync per
 *   entry), so a process keeps up with, or catches up on, many writers; the engine is still
 *   handed each entry apart, so processes fold the same batches and agree to the last digit.
 *   Entries from other processes also go to the app's `followRemote` hooks (records, screens,
 *   org), which the ingest path calls for its own batches.
 * - Same stream, same order, same store code: every process holds the same events and serves
 *   the same figures and reports. An entry read twice (a checkpoint behind its store) counts
 *   once, as the store drops ids it holds.
 * - Its position (cluster.json in DATA_DIR) is published in `<prefix>:consumers` with a
 *   heartbeat; the stream is trimmed (XTRIM MINID) only up to the slowest registered consumer.
 * - Redis down: `append` refuses with a StoreError (ingest answers 503), `health()` says why,
 *   and both recover by themselves once Redis answers again.
 */
import type { Logger } from 'pino';
import type { RedisClientType } from 'redis';
import type { CallCentreEvent } from '../../shared/events.ts';
import { StoreError, type AppendOptions, type AppendResult, type CommitListener, type EventLog, type StoreHealth } from '../store/event-log.ts';
import { APPEND_SCRIPT, appendScriptArgs } from './append-script.ts';
import { readCheckpoint, writeCheckpoint, type ClusterCheckpoint } from './checkpoint.ts';
import type { FollowsRemote, RemoteEventHooks } from './remote-events.ts';
import { compareStreamIds, isStreamId, STREAM_START } from './stream-ids.ts';
import { pushAll } from '../lib/arrays.ts';


export interface RedisStreamLogOptions {
  /** This process's own durable log (LMDB journal or DuckDB): every entry is committed there. */
  local: EventLog;
  /** The connection appends and heartbeats use (offline queue off: a command fails at once when Redis is down). */
  writer: RedisClientType<any, any, any, any, any>;
  /** A connection of its own for XREAD BLOCK (a blocked connection serves nothing else). */
  reader: RedisClientType<any, any, any, any, any>;
  dataDir: string;
  logger: Logger;
  clock: { now(): number };
  /** Key prefix (default `wallboard`): `<prefix>:events`, `<prefix>:ids:<day>`, `<prefix>:consumers`. */
  prefix?: string;
  /** Days after an event's day its id stays in Redis (default 8). */
  idWindowDays?: number;
  /** How often the position is published and the stream trimmed (default 5 s). */
  heartbeatMs?: number;
  /** A consumer silent this long no longer holds trimming back (default 7 days). */
  consumerExpireMs?: number;
  /** Whether to trim the stream at all (default true). */
  trim?: boolean;
  /** How long `append` waits for its entry to be applied before answering 503 (default 15 s). */
  applyTimeoutMs?: number;
}

interface PendingAppend {
  ingestKey: string | null;
  prepare?: (fresh: CallCentreEvent[]) => Promise<void>;
  resolve: (accepted: CallCentreEvent[]) => void;
  reject: (error: Error) => void;
  /** The caller already has its answer (an error): the entry is then applied like another process's. */
  settled: boolean;
}

type StreamMessage = { id: string; message: Record<string, string> };

/** One entry of a run: its events, and its caller when this process appended it and still waits. */
interface RunEntry {
  events: CallCentreEvent[];
  origin: string;
  own: PendingAppend | null;
}

const READ_COUNT = 200;
/** Event JSON joined into one local commit at most (about 20 000 events; a bigger entry goes alone). */
const RUN_MAX_CHARS = 4 << 20;
const BLOCK_MS = 2000;
const RETRY_MS = 500;

export class RedisStreamEventLog implements EventLog, FollowsRemote {
  readonly consumer: string;
  private readonly prefix: string;
  private readonly streamKey: string;
  private readonly pending = new Map<string, PendingAppend>();
  private hooks: RemoteEventHooks | null = null;
  private sequence = 0;
  /** Last entry whose events the local store committed (in memory; saved by the heartbeat). */
  private lastApplied: string;
  private savedId: string;
  private consuming: Promise<void> | null = null;
  private closing = false;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Why Redis cannot be used now (null while it answers). */
  private redisError: string | null = null;
  /** Why the local store could not take the entry the consumer is on (null while it can). */
  private applyError: string | null = null;
  private stats = { applied: 0, remote: 0, trimmedTo: STREAM_START };
  /** The run the local store is committing (its only writer is this log's consumer), for `onCommit`. */
  private applying: RunEntry[] | null = null;

  constructor(private readonly options: RedisStreamLogOptions, checkpoint: ClusterCheckpoint) {
    this.prefix = options.prefix ?? 'wallboard';
    this.streamKey = `${this.prefix}:events`;
    this.consumer = checkpoint.consumer;
    this.lastApplied = checkpoint.lastId;
    this.savedId = checkpoint.lastId;
    const note = (error: Error) => this.noteRedisDown(error);
    options.writer.on('error', note);
    options.reader.on('error', note);
    options.writer.on('ready', () => {
      if (this.redisError) options.logger.info('redis: reachable again; ingest resumes');
      this.redisError = null;
    });
  }

  /**
   * Checks that this process can follow the stream from its checkpoint: refuses when entries it
   * has not read were trimmed (its store would silently miss them).
   */
  static async open(options: RedisStreamLogOptions): Promise<RedisStreamEventLog> {
    const checkpoint = readCheckpoint(options.dataDir);
    const log = new RedisStreamEventLog(options, checkpoint);
    await log.checkNoGap();
    await log.register();
    return log;
  }

  get path(): string | undefined {
    return this.options.local.path;
  }

  get lastCommittedMs(): number {
    return this.options.local.lastCommittedMs;
  }

  /**
   * The local store commits a run of entries at once, but the listener (the engine) is handed
   * each entry's events apart, as every process hands them whatever its reads return: the
   * engine's sums are floating point, and batch boundaries that differed from process to process
   * would leave their figures apart in the last digits.
   */
  onCommit(listener: CommitListener): void {
    this.options.local.onCommit((events, receivedMs) => {
      const entries = this.applying;
      if (!entries || entries.length === 1) return listener(events, receivedMs);
      for (const share of sharesOf(entries, events)) if (share.length > 0) listener(share, receivedMs);
    });
  }

  onCommitTimed(listener: (seconds: number) => void): void {
    this.options.local.onCommitTimed?.(listener);
  }

  async durable(): Promise<void> {
    await this.options.local.durable?.();
  }

  followRemote(hooks: RemoteEventHooks): void {
    this.hooks = hooks;
  }

  health(): StoreHealth {
    if (this.redisError) return { ok: false, restartRequired: false, error: `redis: the shared event log is unreachable (${this.redisError}); ingest is refused until it answers` };
    const local = this.options.local.health?.() ?? { ok: true, restartRequired: false };
    if (local.ok && this.applyError) return { ok: false, restartRequired: false, error: `store: cannot take the shared log's events (${this.applyError})` };
    return local;
  }

  storeWritable(): void {
    this.options.local.storeWritable?.();
  }

  /** For /healthz (public: no host or consumer name): where this process is in the stream. */
  status(): object {
    return {
      redis: this.redisError ? 'unreachable' : 'ok',
      lastApplied: this.lastApplied,
      checkpoint: this.savedId,
      entriesApplied: this.stats.applied,
      fromOtherProcesses: this.stats.remote,
      trimmedTo: this.stats.trimmedTo,
    };
  }

  async append(events: CallCentreEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (events.length === 0) return { accepted: [], duplicates: 0 };
    this.startConsuming();
    const origin = `${this.consumer}:${++this.sequence}`;
    const applied = new Promise<CallCentreEvent[]>((resolve, reject) => {
      this.pending.set(origin, { ingestKey: options.ingestKey ?? null, prepare: options.prepare, resolve, reject, settled: false });
    });
    // Not unhandled when the script fails first (the caller gets that error instead).
    applied.catch(() => undefined);
    let entryId: string;
    try {
      const reply = (await this.options.writer.eval(APPEND_SCRIPT, appendScriptArgs(this.prefix, events, origin, options.ingestKey ?? null, this.options.clock.now(), this.options.idWindowDays ?? 8))) as [string, unknown];
      entryId = String(reply[0] ?? '');
    } catch (error) {
      const pending = this.pending.get(origin);
      if (pending) pending.settled = true;
      this.noteRedisDown(error as Error);
      throw new StoreError('redis: the shared event log is unreachable; the batch was not stored, retry later');
    }
    if (entryId === '') {
      // Every id was already in the shared log (from this process or another): nothing to wait for.
      this.pending.delete(origin);
      return { accepted: [], duplicates: events.length };
    }
    // The entry is in Redis; the answer waits for this process's own store and engine to have it.
    const timeoutMs = this.options.applyTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const pending = this.pending.get(origin);
        if (pending) pending.settled = true;
        reject(new StoreError('store: the batch is in the shared log but not applied here yet; retry later (it is then answered as duplicate)'));
      }, timeoutMs);
    });
    try {
      const accepted = await Promise.race([applied, timeout]);
      return { accepted, duplicates: events.length - accepted.length };
    } finally {
      clearTimeout(timer);
    }
  }

  replay(sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    return this.options.local.replay(sinceMs, onBatch);
  }

  get replayCommittedAfter(): EventLog['replayCommittedAfter'] {
    return this.options.local.replayCommittedAfter?.bind(this.options.local);
  }

  get agentStates(): EventLog['agentStates'] {
    return this.options.local.agentStates?.bind(this.options.local);
  }

  /**
   * Applies every entry after the checkpoint (what other processes stored while this one was
   * down or not yet started), then follows the stream. Called after the local restore, before
   * the server listens, so its first answers already match the other processes'.
   */
  async catchUp(): Promise<number> {
    let applied = 0;
    for (;;) {
      const messages = await this.read(false);
      if (messages.length === 0) break;
      for (let done = 0; done < messages.length; ) done += await this.applyRun(messages.slice(done));
      applied += messages.length;
    }
    await this.saveCheckpoint();
    this.startConsuming();
    return applied;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    // The blocked XREAD ends with the connection; the loop then sees `closing`.
    this.options.reader.destroy();
    await this.consuming?.catch(() => undefined);
    for (const pending of this.pending.values()) if (!pending.settled) pending.reject(new StoreError('store: the server is shutting down'));
    await this.saveCheckpoint().catch(() => undefined);
    await this.publishPosition().catch(() => undefined);
    await this.options.writer.close().catch(() => this.options.writer.destroy());
    await this.options.local.close();
  }

  private startConsuming(): void {
    if (this.consuming || this.closing) return;
    this.consuming = this.consume();
    const beat = () => {
      this.saveCheckpoint().then(
        () => this.publishPosition().then(() => this.trim()).catch((error: Error) => this.noteRedisDown(error)),
        (error: Error) => this.options.logger.error({ err: (error as NodeJS.ErrnoException).code ?? 'write failed' }, 'cluster: cannot save the stream checkpoint; a restart re-reads more of the stream'),
      );
    };
    this.heartbeat = setInterval(beat, this.options.heartbeatMs ?? 5000);
    this.heartbeat.unref();
  }

  private async consume(): Promise<void> {
    while (!this.closing) {
      let messages: StreamMessage[];
      try {
        messages = await this.read(true);
      } catch (error) {
        if (this.closing) return;
        this.noteRedisDown(error as Error);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      // Entries the local store cannot take (a full disk) are retried until it can: skipping
      // them would leave this process's figures short for good.
      for (let done = 0; done < messages.length; ) {
        try {
          done += await this.applyRun(messages.slice(done));
          this.applyError = null;
        } catch (error) {
          this.applyError = String((error as Error)?.message ?? error).slice(0, 200);
          this.options.logger.error({ err: this.applyError }, 'cluster: the local store refused entries of the shared log; retrying');
          if (this.closing) return;
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS * 4));
        }
      }
    }
  }

  private async read(block: boolean): Promise<StreamMessage[]> {
    const reply = (await this.options.reader.xRead([{ key: this.streamKey, id: this.lastApplied }], block ? { COUNT: READ_COUNT, BLOCK: BLOCK_MS } : { COUNT: READ_COUNT })) as Array<{ messages: StreamMessage[] }> | null;
    if (this.redisError && this.options.writer.isReady) this.redisError = null;
    return reply?.[0]?.messages ?? [];
  }

  /**
   * Commits the first entries of `messages` (those with the same ingest key, up to RUN_MAX_CHARS
   * of events) to the local store as ONE append: one commit (one fsync) for a whole read instead
   * of one per entry, in stream order; the engine still applies entry by entry (see `onCommit`).
   * Each of this process's own entries is answered with its share of what the store took (an id
   * twice in the run is the first entry's). Returns how many entries it applied.
   */
  private async applyRun(messages: StreamMessage[]): Promise<number> {
    const run = leadingRun(messages);
    const entries: RunEntry[] = run.map(({ message }) => {
      const pending = this.pending.get(message.o ?? '');
      // An entry whose caller already has its answer (an error) is applied like another process's.
      if (pending?.settled) this.pending.delete(message.o);
      return { events: JSON.parse(message.e ?? '[]') as CallCentreEvent[], origin: message.o ?? '', own: pending?.settled === false ? pending : null };
    });
    const events = entries.length === 1 ? entries[0].events : entries.flatMap((entry) => entry.events);
    const remoteEvents = entries.some((entry) => entry.own) ? entries.flatMap((entry) => (entry.own ? [] : entry.events)) : events;
    this.hooks?.pin?.(remoteEvents);
    this.applying = entries;
    let accepted: CallCentreEvent[];
    try {
      accepted = (await this.options.local.append(events, { ingestKey: run[0].message.k || null, prepare: (fresh) => this.prepareRun(entries, fresh) })).accepted;
    } catch (error) {
      // Their clients are told (503); the entries stay due here, as other processes' would.
      for (const { own } of entries) {
        if (own && !own.settled) {
          own.settled = true;
          own.reject(error as Error);
        }
      }
      throw error;
    } finally {
      this.applying = null;
      this.hooks?.unpin?.(remoteEvents);
    }
    const shares = sharesOf(entries, accepted);
    const remoteAccepted: CallCentreEvent[] = [];
    entries.forEach((entry, i) => {
      if (entry.own) {
        this.pending.delete(entry.origin);
        entry.own.resolve(shares[i]);
      } else {
        this.stats.remote++;
        pushAll(remoteAccepted, shares[i]);
      }
    });
    if (remoteAccepted.length > 0) {
      await this.hooks?.applied(remoteAccepted).catch((error: Error) => this.options.logger.error({ err: error.message }, 'cluster: events stored, but their records or screens could not be updated'));
    }
    this.lastApplied = run[run.length - 1].id;
    this.stats.applied += run.length;
    return run.length;
  }

  /** The store's `prepare` for a run: each own entry's share through its ingest's, the rest through the app's hooks at once. */
  private async prepareRun(entries: RunEntry[], fresh: CallCentreEvent[]): Promise<void> {
    const shares = sharesOf(entries, fresh);
    const remote: CallCentreEvent[] = [];
    for (let i = 0; i < entries.length; i++) {
      const { own } = entries[i];
      if (!own) pushAll(remote, shares[i]);
      else if (own.prepare && shares[i].length > 0) await own.prepare(shares[i]);
    }
    if (remote.length > 0) await this.hooks?.prepare?.(remote);
  }

  private noteRedisDown(error: Error): void {
    // Named by kind only: a message with the host and port would tell any /healthz reader where Redis runs.
    const code = (error as NodeJS.ErrnoException)?.code;
    const reason = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ETIMEDOUT' ? 'connection timed out' : /OOM|memory/i.test(String(error?.message)) ? 'out of memory' : 'connection lost';
    if (!this.redisError && !this.closing) this.options.logger.error({ err: reason }, 'redis: unreachable; ingest answers 503 until it returns');
    if (!this.closing) this.redisError = reason;
  }

  private async saveCheckpoint(): Promise<void> {
    if (this.savedId === this.lastApplied) return;
    const id = this.lastApplied;
    await writeCheckpoint(this.options.dataDir, { consumer: this.consumer, lastId: id });
    this.savedId = id;
  }

  private async register(): Promise<void> {
    await this.publishPosition();
  }

  /** This process's saved position and heartbeat, read by every process's trimming. */
  private async publishPosition(): Promise<void> {
    await this.options.writer.hSet(`${this.prefix}:consumers`, this.consumer, JSON.stringify({ lastId: this.savedId, seenMs: this.options.clock.now() }));
  }

  /** Drops entries every registered consumer has saved past (and forgets consumers silent too long). */
  private async trim(): Promise<void> {
    if (this.options.trim === false) return;
    const consumers = await this.options.writer.hGetAll(`${this.prefix}:consumers`);
    const expireMs = this.options.consumerExpireMs ?? 7 * 86_400_000;
    let minId: string | null = null;
    for (const [name, value] of Object.entries(consumers)) {
      let position: { lastId?: unknown; seenMs?: unknown };
      try {
        position = JSON.parse(String(value));
      } catch {
        continue;
      }
      if (typeof position.seenMs === 'number' && this.options.clock.now() - position.seenMs > expireMs) {
        this.options.logger.warn({ consumer: name }, 'cluster: a consumer silent for too long no longer holds the stream; it must restart from a copy of a current DATA_DIR');
        await this.options.writer.hDel(`${this.prefix}:consumers`, name);
        continue;
      }
      if (!isStreamId(position.lastId)) continue;
      if (minId === null || compareStreamIds(position.lastId, minId) < 0) minId = position.lastId;
    }
    if (minId === null || minId === STREAM_START || compareStreamIds(minId, this.stats.trimmedTo) <= 0) return;
    // MINID keeps the slowest consumer's last entry itself: harmless, and no off-by-one to get wrong.
    await this.options.writer.xTrim(this.streamKey, 'MINID', minId);
    this.stats.trimmedTo = minId;
  }

  /**
   * Refuses to follow the stream when entries after this process's checkpoint were trimmed away.
   * Trimming (MINID to the slowest registered position) keeps the entry at that position itself,
   * so once anything was trimmed, a checkpoint before the first entry left means entries this
   * process never read are gone (a new process joining after trimming, or one silent so long it
   * was dropped from the consumers).
   */
  private async checkNoGap(): Promise<void> {
    if (!(await this.options.writer.exists(this.streamKey))) return;
    const info = (await this.options.writer.xInfoStream(this.streamKey)) as unknown as Record<string, unknown>;
    const added = Number(info['entries-added']);
    const length = Number(info.length);
    if (!(added > length)) return;
    const first = (info['first-entry'] as { id?: unknown } | null)?.id;
    const oldest = isStreamId(first) ? first : String(info['last-generated-id']);
    const behind = isStreamId(first) ? compareStreamIds(oldest, this.lastApplied) > 0 : isStreamId(oldest) && compareStreamIds(oldest, this.lastApplied) > 0;
    if (behind) {
      throw new StoreError(
        "cluster: the shared stream was trimmed past this process's checkpoint, so its store would miss events; start it from a copy of a stopped peer's DATA_DIR (with the consumer field of its cluster.json removed)",
      );
    }
  }
}

/**
 * The first entries of a read that one local append can take together: the same ingest key (the
 * store keeps one per commit), and no more than RUN_MAX_CHARS of events unless the first alone is.
 */
function leadingRun(messages: StreamMessage[]): StreamMessage[] {
  const ingestKey = messages[0].message.k ?? '';
  let chars = 0;
  let end = 0;
  while (end < messages.length && (messages[end].message.k ?? '') === ingestKey) {
    chars += messages[end].message.e?.length ?? 0;
    if (end > 0 && chars > RUN_MAX_CHARS) break;
    end++;
  }
  return messages.slice(0, end);
}

/**
 * Splits what the store took from a run (`kept`, in run order) back into each entry's share: an
 * id goes to the first entry holding it, as the store kept the first and dropped the rest.
 */
function sharesOf(entries: RunEntry[], kept: CallCentreEvent[]): CallCentreEvent[][] {
  if (entries.length === 1) return [kept];
  const keptIds = new Set(kept.map((event) => event.id));
  return entries.map((entry) => entry.events.filter((event) => keptIds.delete(event.id)));
}
