/**
 * The one ingest path every source goes through (HTTP, queue_log, CSV, simulator): validate
 * each event, pseudonymise callers, append to the log (answering only once stored), then let
 * the KPI engine see what was new. Invalid events are rejected one by one; valid events in the
 * same batch are kept.
 */
import { validateEvent, type CallCentreEvent } from '../../shared/events.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import type { EventLog } from '../store/event-log.ts';
import { customerRefOf } from './pseudonymize.ts';

export interface RejectedEvent {
  index: number;
  error: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

/** One item of a batch: a parsed value, or why it could not be parsed. */
export type BatchItem = { index: number; value: unknown } | { index: number; error: string };

export interface IngestorOptions {
  log: EventLog;
  engine: KpiEngine;
  clock: { now(): number };
  pseudonymKey: string;
  /** The centre's country for caller numbers written without a country code (default CN). */
  centreCountry?: string;
  /** Events further than this ahead of the server clock are rejected as clock skew. */
  maxFutureSkewSec: number;
  /** Records (contacts, tickets) that accepted events need and the engine does not hold yet. */
  seed?: (events: CallCentreEvent[]) => Promise<void>;
  /**
   * Called with the events that were new, after they are stored and applied (the log's commit
   * listener applies them); awaited. `arrivedAt`: `performance.now()` when the batch came in.
   */
  onAccepted?: (events: CallCentreEvent[], arrivedAt: number) => Promise<void>;
  /** Told the outcome of every batch, with the name of the key that brought it (for /metrics). */
  onIngested?: (result: IngestResult, ingestKey: string | null) => void;
  /** Told when seeding or record keeping failed after the events were stored. */
  onRecordError?: (error: Error) => void;
}

export class Ingestor {
  constructor(private readonly options: IngestorOptions) {
    // The engine applies each commit as it lands, before the next: see CommitListener.
    options.log.onCommit((events) => options.engine.applyBatch(events));
  }

  /**
   * Validates, stores and applies a batch; resolves once the accepted events are stored.
   * `ingestKey` names the key that brought them (kept with each event); `arrivedAt` is
   * `performance.now()` when the request came in (for the screen-lag metric).
   */
  async ingest(items: BatchItem[], ingestKey: string | null = null, arrivedAt = performance.now()): Promise<IngestResult> {
    const { log, clock, pseudonymKey, maxFutureSkewSec } = this.options;
    const rejected: RejectedEvent[] = [];
    const valid: CallCentreEvent[] = [];
    const latestAllowedMs = clock.now() + maxFutureSkewSec * 1000;
    for (const item of items) {
      if ('error' in item) {
        rejected.push({ index: item.index, error: `event[${item.index}]: ${item.error}` });
        continue;
      }
      const result = validateEvent(item.value, `event[${item.index}]`);
      if (!result.ok) {
        rejected.push({ index: item.index, error: result.error });
        continue;
      }
      const event = result.event;
      if (event.ts > latestAllowedMs) {
        const aheadSec = Math.round((event.ts - clock.now()) / 1000);
        rejected.push({
          index: item.index,
          error: `event[${item.index}].ts: ${aheadSec} s ahead of the server clock (at most ${maxFutureSkewSec} s allowed)`,
        });
        continue;
      }
      if (event.type === 'contact.offered' && event.caller !== undefined) {
        event.customerRef = customerRefOf(event.caller, pseudonymKey, this.options.centreCountry);
        delete event.caller;
      }
      valid.push(event);
    }
    if (valid.length === 0) return this.counted({ accepted: 0, duplicates: 0, rejected }, ingestKey);
    // Stored records the new events refer to are loaded before the commit, so it can apply them
    // at once. A failure there is reported and the events still stored.
    const seed = this.options.seed;
    const prepare = seed ? (fresh: CallCentreEvent[]) => seed(fresh).catch((error: Error) => this.options.onRecordError?.(error)) : undefined;
    // From before the seed until the commit is applied, a record write cannot let go of what the
    // batch refers to (KpiEngine.pin).
    this.options.engine.pin(valid);
    let appended: Awaited<ReturnType<EventLog['append']>>;
    try {
      appended = await log.append(valid, { ingestKey, prepare });
    } finally {
      this.options.engine.unpin(valid);
    }
    const { accepted, duplicates } = appended;
    if (accepted.length > 0) {
      // The events are durable and applied now, and are acknowledged whatever follows: a failure
      // to write records is reported, not turned into an error the client would retry in vain.
      await this.options.onAccepted?.(accepted, arrivedAt).catch((error: Error) => this.options.onRecordError?.(error));
    }
    return this.counted({ accepted: accepted.length, duplicates, rejected }, ingestKey);
  }

  private counted(result: IngestResult, ingestKey: string | null): IngestResult {
    this.options.onIngested?.(result, ingestKey);
    return result;
  }
}
