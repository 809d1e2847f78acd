/**
 * The event log: where accepted events are kept before the KPI engine sees them. `append`
 * resolves only once the events are stored as durably as the log can, and reports which events
 * it had already seen (by id), so a re-sent batch is counted once.
 */
import type { CallCentreEvent } from '../../shared/events.ts';
import { pushAll } from '../lib/arrays.ts';

/** The store cannot keep events (unwritable, full, closed): the batch was not acknowledged. */
export class StoreError extends Error {}

/** `message` with file system paths replaced (clients must not learn where the server keeps its files). */
export function withoutPaths(message: string): string {
  return message.replace(/"[^"]*[\\/][^"]*"/g, 'a store file').replace(/(?:[A-Za-z]:)?(?:[\\/][\w.@+~-]+){2,}[\\/]?/g, 'a store file');
}

export interface AppendResult {
  /** Events new to the log, in the order given. */
  accepted: CallCentreEvent[];
  /** Events whose id the log already had (or that repeat an id earlier in the same batch). */
  duplicates: number;
}

/** Whether a log can take writes now, and why not. */
export interface StoreHealth {
  ok: boolean;
  /** The store is unusable until the server restarts (not merely full until space is freed). */
  restartRequired: boolean;
  /** What failed and where, for operators; absent when ok. */
  error?: string;
  /**
   * Events acknowledged (durable in the journal) but not yet copied into the DuckDB table the
   * reports read, and why the copy fails: the journal keeps acknowledging meanwhile (issue 15).
   */
  copy?: { commitsBehind: number; error: string; restartRequired: boolean };
}

/**
 * Told of every commit, synchronously, before the next one starts and before `append` resolves:
 * the live state applies events here, so "applied" and "stored" are the same set at every
 * moment a checkpoint can be taken (a log that applies a commit before it is on disk says when
 * it is: `durable`). `receivedMs` grows strictly from commit to commit.
 */
export type CommitListener = (events: CallCentreEvent[], receivedMs: number) => void;

export interface AppendOptions {
  /** Name of the ingest key that brought the events (null: the command line). */
  ingestKey?: string | null;
  /** Awaited with the events new to the log, before they are committed. */
  prepare?: (fresh: CallCentreEvent[]) => Promise<void>;
  /**
   * The events as JSON text (the ingest worker wrote it): a log that keeps JSON may store it
   * instead of serialising the events again, when every one of them is new.
   */
  json?: string;
}

export interface EventLog {
  /**
   * Stores the events new to the log. `prepare` is awaited with just those before they are
   * committed (the ingest loads the stored records they need there, so the commit can apply them).
   * `ingestKey`: the name of the key that brought the events, kept with each (null for CLI imports).
   */
  append(events: CallCentreEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Sets the one commit listener. */
  onCommit(listener: CommitListener): void;
  /** Told how long each durable commit took, in seconds (for /metrics; logs in memory leave it out). */
  onCommitTimed?(listener: (seconds: number) => void): void;
  /** Where the log is kept, for messages (durable logs). */
  readonly path?: string;
  /** `receivedMs` of the last commit (0 before any). */
  readonly lastCommittedMs: number;
  /**
   * Resolves once every commit applied so far is on disk (logs that apply only what is on disk
   * leave it out): a checkpoint of the live state waits for it before it is written, so it never
   * covers an event a power cut could take back before it was acknowledged.
   */
  durable?(): Promise<void>;
  /** Whether writes work now (logs that cannot fail leave it out). */
  health?(): StoreHealth;
  /** Another write to the same store just went through: a failed commit's degraded health is over (not a restart-required one). */
  storeWritable?(): void;
  /** Calls `onBatch` with every stored event with `ts >= sinceMs`, in ts order, a batch at a time. */
  replay(sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void>;
  /** Events committed after `afterReceivedMs` (with `ts >= sinceMs`), in commit order: the tail after a checkpoint. */
  replayCommittedAfter?(afterReceivedMs: number, sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void>;
  /**
   * agent.state events committed up to `throughReceivedMs`: those stamped from `sinceMs` on and,
   * per agent, the last one before it (the state the agent was in then).
   */
  agentStates?(sinceMs: number, throughReceivedMs: number, onBatch: (events: CallCentreEvent[]) => void): Promise<void>;
  close(): Promise<void>;
}

/**
 * An in-memory log: de-duplicates by id but keeps nothing across restarts. Used by tests and
 * until a durable log is configured.
 */
export class MemoryEventLog implements EventLog {
  private readonly ids = new Set<string>();
  private readonly events: CallCentreEvent[] = [];
  private listener: CommitListener = () => {};
  lastCommittedMs = 0;
  /** Which key brought each event, by id. */
  readonly ingestKeys = new Map<string, string | null>();

  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  async append(events: CallCentreEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    const accepted: CallCentreEvent[] = [];
    let duplicates = 0;
    for (const event of events) {
      if (this.ids.has(event.id)) {
        duplicates++;
        continue;
      }
      this.ids.add(event.id);
      accepted.push(event);
    }
    if (accepted.length > 0) {
      await options.prepare?.(accepted);
      pushAll(this.events, accepted);
      for (const event of accepted) this.ingestKeys.set(event.id, options.ingestKey ?? null);
      this.lastCommittedMs = Math.max(Date.now(), this.lastCommittedMs + 1);
      this.listener(accepted, this.lastCommittedMs);
    }
    return { accepted, duplicates };
  }

  async replay(sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    await onBatch(this.events.filter((e) => e.ts >= sinceMs).sort((a, b) => a.ts - b.ts));
  }

  async close(): Promise<void> {}
}
