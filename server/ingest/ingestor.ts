/**
 * The one ingest path every source goes through (HTTP, queue_log, CSV, simulator): validate
 * each event, pseudonymise callers (batch-check.ts), append to the log (answering only once
 * stored), then let the KPI engine see what was new. Invalid events are rejected one by one;
 * valid events in the same batch are kept. Large HTTP bodies are checked in the ingest worker
 * (body-worker.ts), so the main thread spends its time on the engine and the store.
 */
import type { CallCentreEvent } from '../../shared/events.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import type { EventLog } from '../store/event-log.ts';
import { checkBody, checkItems, type BatchItem, type CheckedBatch, type CheckRules, type RejectedEvent } from './batch-check.ts';
import { BodyWorker, checkNow } from './body-worker.ts';
import { Pseudonymizer } from './pseudonymize.ts';

export type { BatchItem, RejectedEvent } from './batch-check.ts';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

/**
 * Bodies at least this large go to the ingest worker once it runs (`INGEST_WORKER_MIN_BYTES`
 * changes it; a negative value keeps every body in the main thread). A small post is checked at
 * once in the main thread: a round trip to the worker would only add to its latency.
 */
const WORKER_MIN_BYTES_DEFAULT = 64 * 1024;

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
  /** Told after each commit is applied (screens can show it: it may be acknowledged later, once on disk). */
  onApplied?: () => void;
  /** Told the outcome of every batch, with the name of the key that brought it (for /metrics). */
  onIngested?: (result: IngestResult, ingestKey: string | null) => void;
  /** Told when seeding or record keeping failed after the events were stored. */
  onRecordError?: (error: Error) => void;
  /** Bodies from this size go to the ingest worker (default 64 KiB, or INGEST_WORKER_MIN_BYTES). */
  workerMinBytes?: number;
  /** Told when the ingest worker stopped unexpectedly (its bodies are then checked in this thread). */
  onWorkerLost?: (message: string) => void;
}

export class Ingestor {
  private readonly rules: CheckRules;
  private readonly workerMinBytes: number;
  private readonly worker: BodyWorker;
  /** Settles once the latest body has been handed to the log (keeps bodies in arrival order). */
  private handedOver: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: IngestorOptions) {
    // The engine applies each commit as it lands, before the next: see CommitListener.
    options.log.onCommit((events) => {
      options.engine.applyBatch(events);
      options.onApplied?.();
    });
    this.rules = { maxFutureSkewSec: options.maxFutureSkewSec, pseudonymizer: new Pseudonymizer(options.pseudonymKey, options.centreCountry) };
    const minBytes = options.workerMinBytes ?? WORKER_MIN_BYTES_DEFAULT;
    this.workerMinBytes = minBytes < 0 ? Infinity : minBytes;
    this.worker = new BodyWorker(
      { pseudonymKey: options.pseudonymKey, centreCountry: options.centreCountry, maxFutureSkewSec: options.maxFutureSkewSec },
      options.onWorkerLost,
    );
  }

  /**
   * Validates, stores and applies a batch; resolves once the accepted events are stored.
   * `ingestKey` names the key that brought them (kept with each event); `arrivedAt` is
   * `performance.now()` when the request came in (for the screen-lag metric).
   */
  async ingest(items: BatchItem[], ingestKey: string | null = null, arrivedAt = performance.now()): Promise<IngestResult> {
    return this.store(checkItems(items, this.rules, this.options.clock.now()), ingestKey, arrivedAt);
  }

  /**
   * `ingest` for a request body (JSON array, NDJSON or one object; see http-body.ts): large ones
   * are checked in the ingest worker. Bodies reach the log in the order they arrived, whichever
   * thread checked them. Throws a 400 HttpError when the body is not a batch at all.
   */
  async ingestBody(bytes: Uint8Array, ingestKey: string | null = null, arrivedAt = performance.now()): Promise<IngestResult> {
    const nowMs = this.options.clock.now();
    const inThread = () => checkBody(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), this.rules, nowMs);
    const checked = bytes.byteLength >= this.workerMinBytes && this.worker.available() ? this.worker.check(bytes, nowMs, inThread) : checkNow(inThread);
    // Its 400 is answered at its turn below; until then it must not count as an unhandled rejection.
    checked.catch(() => undefined);
    // The log is handed this batch only after every earlier body was handed over: `store` calls
    // log.append synchronously, and the log keeps the order of its calls (and commits them in groups).
    const turn = this.handedOver.then(() => checked).then((batch) => ({ stored: this.store(batch, ingestKey, arrivedAt) }));
    this.handedOver = turn.catch(() => undefined);
    // Wrapped, so waiting for the turn does not wait for the commit as well.
    return (await turn).stored;
  }

  /** Whether bodies from `workerMinBytes` go to the ingest worker now (starts it when it is not running). */
  workerReady(): boolean {
    return this.workerMinBytes !== Infinity && this.worker.available();
  }

  /** Stops the ingest worker (bodies it still held are checked in this thread). */
  async close(): Promise<void> {
    await this.worker.close();
    this.rules.pseudonymizer.clear();
  }

  /** Stores checked events and applies them; synchronous up to `log.append` (see ingestBody). */
  private async store({ events: valid, rejected, json }: CheckedBatch, ingestKey: string | null, arrivedAt: number): Promise<IngestResult> {
    const { log } = this.options;
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
      appended = await log.append(valid, { ingestKey, prepare, json });
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
