/**
 * What a batch goes through before it is stored: each item validated against the event schemas,
 * refused when it is too far ahead of the server clock, its caller replaced by a pseudonym.
 * Knows nothing of the engine or the store, so the ingest worker (body-worker-thread.ts) and the
 * main thread run the very same code and give the very same answers.
 */
import { validateEvent, type CallCentreEvent } from '../../shared/events.ts';
import { visitBatch, type BatchVisitor } from './http-body.ts';
import type { Pseudonymizer } from './pseudonymize.ts';

export interface RejectedEvent {
  index: number;
  error: string;
}

/** One item of a batch: a parsed value, or why it could not be parsed. */
export type BatchItem = { index: number; value: unknown } | { index: number; error: string };

/** The events of a batch that may be stored, and why each other item was refused. */
export interface CheckedBatch {
  events: CallCentreEvent[];
  rejected: RejectedEvent[];
  /** `events` as JSON text when the ingest worker wrote it: the journal stores it as is (issue 15). */
  json?: string;
}

export interface CheckRules {
  /** Events further than this ahead of the server clock are rejected as clock skew. */
  maxFutureSkewSec: number;
  pseudonymizer: Pseudonymizer;
}

/** Checks items one by one as they are handed over (a BatchVisitor for `visitBatch`). */
class BatchChecker implements BatchVisitor {
  readonly events: CallCentreEvent[] = [];
  readonly rejected: RejectedEvent[] = [];
  private readonly latestAllowedMs: number;

  constructor(
    private readonly rules: CheckRules,
    private readonly nowMs: number,
  ) {
    this.latestAllowedMs = nowMs + rules.maxFutureSkewSec * 1000;
  }

  value(index: number, value: unknown): void {
    const result = validateEvent(value, `event[${index}]`);
    if (!result.ok) {
      this.rejected.push({ index, error: result.error });
      return;
    }
    const event = result.event;
    if (event.ts > this.latestAllowedMs) {
      const aheadSec = Math.round((event.ts - this.nowMs) / 1000);
      this.rejected.push({ index, error: `event[${index}].ts: ${aheadSec} s ahead of the server clock (at most ${this.rules.maxFutureSkewSec} s allowed)` });
      return;
    }
    if (event.type === 'contact.offered' && event.caller !== undefined) {
      const customerRef = this.rules.pseudonymizer.refOf(event.caller);
      // Deleted before customerRef is added: `caller` is then the newest property, and V8 deletes
      // that one by going back a shape; any other would turn the event into a slow dictionary.
      delete event.caller;
      event.customerRef = customerRef;
    }
    this.events.push(event);
  }

  unparsable(index: number, error: string): void {
    this.rejected.push({ index, error: `event[${index}]: ${error}` });
  }
}

/** Parses and checks a request body (throws a 400 HttpError when it is not a batch at all). */
export function checkBody(body: string, rules: CheckRules, nowMs: number): CheckedBatch {
  const checker = new BatchChecker(rules, nowMs);
  visitBatch(body, checker);
  return { events: checker.events, rejected: checker.rejected };
}

/** Checks items parsed elsewhere (queue_log, CSV, the simulator). */
export function checkItems(items: readonly BatchItem[], rules: CheckRules, nowMs: number): CheckedBatch {
  const checker = new BatchChecker(rules, nowMs);
  for (const item of items) {
    if ('error' in item) checker.unparsable(item.index, item.error);
    else checker.value(item.index, item.value);
  }
  return { events: checker.events, rejected: checker.rejected };
}
