/**
 * The group's admin changes in one order (issue 16): audit entries, accounts, sessions, display
 * links, ingest keys, targets, org names, alert acknowledgements and screen changes go through a
 * small Redis Stream of their own, `<prefix>:control`, apart from the events' stream. Every
 * process, the one that made a change included, applies every entry in stream order to its own
 * copy (its DuckDB file, org.json, screens.json, memory) and keeps its position in
 * DATA_DIR/control.json; a process started late or restarted catches up from there before it
 * listens, so changes made while it was down reach it.
 *
 * - `publish(kind, payload, applyHere)`: the change is added to the stream and the call answers
 *   once this process's follower has reached it and run `applyHere` (the writer's own code path,
 *   which then updates what it keeps in memory). Other processes run the kind's handler.
 * - `announce(kind, payload)`: a change this process has already applied (a synchronous one: an
 *   alert acknowledgement, a screen assignment); only the others apply it.
 * - The stream is small (people's actions, not events) and kept whole: a new process reads it
 *   from the start and ends up with the group's accounts, audit log and settings.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RedisClientType } from 'redis';
import { StoreError } from '../store/event-log.ts';
import { isStreamId, STREAM_START } from './stream-ids.ts';

export const CONTROL_POSITION_FILE = 'control.json';

type RedisClient = RedisClientType<any, any, any, any, any>;
type StreamMessage = { id: string; message: Record<string, string> };

/** Applies another process's change of one kind to this process's copy. */
export type ControlHandler = (payload: any) => Promise<void> | void;

export interface ControlStreamOptions {
  /** Offline queue off: a change made while Redis is down fails at once (503). */
  writer: RedisClient;
  /** A connection of its own for XREAD BLOCK. */
  reader: RedisClient;
  dataDir: string;
  logger: Logger;
  /** `<prefix>:control`. */
  prefix: string;
  /** How long `publish` waits for its entry to come back before answering 503 (default 15 s). */
  applyTimeoutMs?: number;
}

interface Pending {
  applyHere: () => Promise<unknown> | unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const READ_COUNT = 100;
const BLOCK_MS = 2000;
const RETRY_MS = 500;

export class ControlStream {
  private readonly key: string;
  /** Entries of this run are named `<instance>:<n>`: a restart is another instance. */
  private readonly instance = randomUUID();
  private sequence = 0;
  private readonly handlers = new Map<string, ControlHandler>();
  private readonly pending = new Map<string, Pending>();
  /** Entries this process applied itself (announced, or published before following began). */
  private readonly appliedHere = new Set<string>();
  private lastApplied: string;
  private following: Promise<void> | null = null;
  private closing = false;
  private redisError: string | null = null;

  constructor(private readonly options: ControlStreamOptions) {
    this.key = `${options.prefix}:control`;
    this.lastApplied = readPosition(options.dataDir);
  }

  /** What applies another process's change of `kind` here (registered before `catchUp`). */
  handle(kind: string, handler: ControlHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * Adds a change to the group's order and answers once this process has applied it there with
   * `applyHere`. Redis down: a StoreError (answered 503) and nothing applied anywhere.
   */
  async publish<T>(kind: string, payload: unknown, applyHere: () => Promise<T> | T): Promise<T> {
    const nonce = this.nextNonce();
    if (!this.following) {
      // Before the catch-up (while the store opens): applied now, skipped when the catch-up reads it.
      await this.add(nonce, kind, payload);
      this.appliedHere.add(nonce);
      return applyHere();
    }
    const applied = new Promise<T>((resolve, reject) => this.pending.set(nonce, { applyHere, resolve: resolve as (value: unknown) => void, reject }));
    try {
      await this.add(nonce, kind, payload);
    } catch (error) {
      this.pending.delete(nonce);
      throw error;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Applied later like another process's change (store and memory both), in its order.
        this.pending.delete(nonce);
        reject(new StoreError('redis: the change is recorded but this process has not applied it yet; check before retrying'));
      }, this.options.applyTimeoutMs ?? 15_000);
    });
    try {
      return await Promise.race([applied, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Tells the other processes of a change this one has already applied; resolves once Redis has it. */
  async announce(kind: string, payload: unknown): Promise<void> {
    const nonce = this.nextNonce();
    this.appliedHere.add(nonce);
    try {
      await this.add(nonce, kind, payload);
    } catch (error) {
      this.appliedHere.delete(nonce);
      throw error;
    }
  }

  /** Applies every entry after the saved position, then follows the stream. Returns how many it read. */
  async catchUp(): Promise<number> {
    let read = 0;
    for (;;) {
      const messages = await this.read(false);
      if (messages.length === 0) break;
      for (const message of messages) await this.applyWithRetry(message);
      read += messages.length;
    }
    this.following ??= this.follow();
    return read;
  }

  status(): { lastApplied: string; error: string | null } {
    return { lastApplied: this.lastApplied, error: this.redisError };
  }

  async close(): Promise<void> {
    this.closing = true;
    // The blocked XREAD ends with its connection; the loop then sees `closing`.
    this.options.reader.destroy();
    await this.following?.catch(() => undefined);
    for (const pending of this.pending.values()) pending.reject(new StoreError('store: the server is shutting down'));
    this.pending.clear();
  }

  private nextNonce(): string {
    return `${this.instance}:${++this.sequence}`;
  }

  private async add(nonce: string, kind: string, payload: unknown): Promise<void> {
    try {
      await this.options.writer.xAdd(this.key, '*', { k: kind, p: JSON.stringify(payload), o: nonce });
    } catch {
      throw new StoreError('redis: unreachable, so the change was not made; retry once Redis is back');
    }
  }

  private async follow(): Promise<void> {
    while (!this.closing) {
      let messages: StreamMessage[];
      try {
        messages = await this.read(true);
        this.redisError = null;
      } catch (error) {
        if (this.closing) return;
        if (!this.redisError) this.options.logger.error({ err: (error as NodeJS.ErrnoException)?.code ?? 'connection lost' }, 'cluster: cannot read the control stream; retrying');
        this.redisError = 'control stream unreachable';
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      for (const message of messages) {
        if (this.closing) return;
        await this.applyWithRetry(message);
      }
    }
  }

  private async read(block: boolean): Promise<StreamMessage[]> {
    const reply = (await this.options.reader.xRead([{ key: this.key, id: this.lastApplied }], block ? { COUNT: READ_COUNT, BLOCK: BLOCK_MS } : { COUNT: READ_COUNT })) as Array<{ messages: StreamMessage[] }> | null;
    return reply?.[0]?.messages ?? [];
  }

  /** A change the local store cannot take (a full disk) is retried: skipping it would leave this copy different for good. */
  private async applyWithRetry(message: StreamMessage): Promise<void> {
    for (;;) {
      try {
        await this.apply(message);
        break;
      } catch (error) {
        const reason = String((error as Error)?.message ?? error).split('\n')[0].slice(0, 200);
        this.options.logger.error({ err: reason, kind: message.message.k }, 'cluster: could not apply a change of the control stream; retrying');
        if (this.closing) return;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS * 4));
      }
    }
    this.lastApplied = message.id;
    // One small file write per change: admin changes are rare, and a restart re-applies none twice.
    await savePosition(this.options.dataDir, message.id).catch((error: NodeJS.ErrnoException) =>
      this.options.logger.error({ err: error.code ?? 'write failed' }, 'cluster: cannot save the control stream position'),
    );
  }

  private async apply({ message }: StreamMessage): Promise<void> {
    const nonce = message.o ?? '';
    const mine = this.pending.get(nonce);
    if (mine) {
      this.pending.delete(nonce);
      try {
        mine.resolve(await mine.applyHere());
      } catch (error) {
        mine.reject(error as Error);
      }
      return;
    }
    if (this.appliedHere.delete(nonce)) return;
    const handler = this.handlers.get(message.k ?? '');
    if (!handler) {
      this.options.logger.warn({ kind: String(message.k).slice(0, 40) }, 'cluster: a change of a kind this version does not know was skipped');
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(message.p ?? 'null');
    } catch {
      this.options.logger.error({ kind: message.k }, 'cluster: a control stream entry is not valid JSON; skipped');
      return;
    }
    await handler(payload);
  }
}

function readPosition(dataDir: string): string {
  try {
    const saved = JSON.parse(readFileSync(join(dataDir, CONTROL_POSITION_FILE), 'utf8')) as { lastId?: unknown };
    if (isStreamId(saved.lastId)) return saved.lastId;
  } catch {
    // none yet: a new process reads the control stream from its start
  }
  return STREAM_START;
}

async function savePosition(dataDir: string, lastId: string): Promise<void> {
  const file = join(dataDir, CONTROL_POSITION_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify({ lastId }));
  await rename(`${file}.tmp`, file);
}
