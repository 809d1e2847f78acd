/**
 * The event log: where accepted events are kept before the KPI engine sees them. `append`
 * resolves only once the events are stored as durably as the log can, and reports which events
 * it had already seen (by id), so a re-sent batch is counted once.
 */
import type { CallCentreEvent } from '../../shared/events.ts';

/** The store cannot keep events (unwritable, full, closed): the batch was not acknowledged. */
export class StoreError extends Error {}

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
}

export interface EventLog {
  /** `ingestKey`: the name of the key that brought the events, kept with each (null for CLI imports). */
  append(events: CallCentreEvent[], ingestKey?: string | null): Promise<AppendResult>;
  /** Whether writes work now (logs that cannot fail leave it out). */
  health?(): StoreHealth;
  /**
   * Calls `onBatch` with every stored event with `ts >= sinceMs`, in ts order, a batch at a
   * time, with the time each was stored when the log knows it.
   */
  replay(sinceMs: number, onBatch: (events: CallCentreEvent[], receivedMs?: number[]) => Promise<void> | void): Promise<void>;
  close(): Promise<void>;
}

/**
 * An in-memory log: de-duplicates by id but keeps nothing across restarts. Used by tests and
 * until a durable log is configured.
 */
export class MemoryEventLog implements EventLog {
  private readonly ids = new Set<string>();
  private readonly events: CallCentreEvent[] = [];
  /** Which key brought each event, by id. */
  readonly ingestKeys = new Map<string, string | null>();

  async append(events: CallCentreEvent[], ingestKey: string | null = null): Promise<AppendResult> {
    const accepted: CallCentreEvent[] = [];
    let duplicates = 0;
    for (const event of events) {
      if (this.ids.has(event.id)) {
        duplicates++;
        continue;
      }
      this.ids.add(event.id);
      this.events.push(event);
      this.ingestKeys.set(event.id, ingestKey);
      accepted.push(event);
    }
    return { accepted, duplicates };
  }

  async replay(sinceMs: number, onBatch: (events: CallCentreEvent[]) => Promise<void> | void): Promise<void> {
    await onBatch(this.events.filter((e) => e.ts >= sinceMs).sort((a, b) => a.ts - b.ts));
  }

  async close(): Promise<void> {}
}
