/**
 * The ingest worker, seen from the main thread: large request bodies are parsed, validated and
 * pseudonymised in a worker thread (body-worker-thread.ts) while the main thread folds and stores
 * the batches before them. That work was about 7 µs an event on the main thread; what is left
 * there is one JSON.parse of the valid events (about 1 µs an event).
 *
 * Started on first use, not at start-up (it takes about half a second to load), and until it is
 * ready bodies are checked in the main thread. A body the worker cannot answer (it died, or
 * failed unexpectedly) is checked in the main thread from the same bytes, which the main
 * thread keeps (they are shared, not transferred): no batch is lost. A lost worker is started
 * again on the next use, up to MAX_LOST_IN_A_ROW times without a single answer in between.
 */
import { Worker } from 'node:worker_threads';
import { HttpError } from '../errors.ts';
import type { CheckedBatch, RejectedEvent } from './batch-check.ts';

/** What the worker is started with (its `workerData`; the key stays in this process). */
export interface BodyWorkerData {
  pseudonymKey: string;
  centreCountry: string | undefined;
  maxFutureSkewSec: number;
}

export interface BodyWorkerRequest {
  id: number;
  /** The body's bytes, in a SharedArrayBuffer. */
  bytes: Uint8Array;
  nowMs: number;
}

export type BodyWorkerReply =
  | { ready: true }
  | { id: number; eventsJson: string; rejected: RejectedEvent[] }
  | { id: number; refused: { status: number; message: string } }
  | { id: number; failed: true };

interface Waiting {
  /** The same check in this thread, for when the worker cannot answer. */
  inThread: () => CheckedBatch;
  resolve: (batch: CheckedBatch) => void;
  reject: (error: unknown) => void;
}

const BOOT_URL = new URL('./body-worker-boot.mjs', import.meta.url);
/** Starts given up after, counted from the last answer: a worker that cannot load stays off. */
const MAX_LOST_IN_A_ROW = 3;

export class BodyWorker {
  private worker: Worker | null = null;
  private ready = false;
  private closed = false;
  private lostInARow = 0;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();

  constructor(
    private readonly settings: BodyWorkerData,
    /** Told when the worker stopped unexpectedly (without any input in the message). */
    private readonly onLost: (message: string) => void = () => {},
  ) {}

  /** Whether a body can go to the worker now; starts the worker when it is not running. */
  available(): boolean {
    if (this.ready) return true;
    if (this.worker === null && !this.closed && this.lostInARow < MAX_LOST_IN_A_ROW) this.start();
    return false;
  }

  /** Checks a body in the worker (only after `available()` said yes); `inThread` is the fallback. */
  check(bytes: Uint8Array, nowMs: number, inThread: () => CheckedBatch): Promise<CheckedBatch> {
    const worker = this.worker;
    if (!this.ready || worker === null) return checkNow(inThread);
    const id = this.nextId++;
    return new Promise<CheckedBatch>((resolve, reject) => {
      this.waiting.set(id, { inThread, resolve, reject });
      worker.postMessage({ id, bytes, nowMs } satisfies BodyWorkerRequest);
    });
  }

  /** Stops the worker; bodies it still held are checked in this thread. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  private start(): void {
    const worker = this.newWorker();
    if (worker === null) {
      // Cannot even be created: bodies stay on the main thread, as when it is lost.
      this.lostInARow++;
      this.onLost('ingest worker could not start; bodies are checked in the main thread');
      return;
    }
    // Never what keeps the process alive: a graceful stop ends with the main thread's work.
    worker.unref();
    this.worker = worker;
    let failure = 'exited';
    worker.on('message', (reply: BodyWorkerReply) => this.answered(reply));
    worker.on('error', (error: Error) => {
      failure = `failed (${error.name})`;
    });
    worker.on('exit', () => this.lost(worker, failure));
  }

  /**
   * The worker with the parent's flags less its preloads; if Node refuses one of those flags for
   * a worker (per-process V8 flags such as --max-semi-space-size), with none; null if neither starts.
   */
  private newWorker(): Worker | null {
    for (const execArgv of [workerExecArgv(process.execArgv), []]) {
      try {
        return new Worker(BOOT_URL, { workerData: this.settings satisfies BodyWorkerData, execArgv });
      } catch {
        // next candidate
      }
    }
    return null;
  }

  private answered(reply: BodyWorkerReply): void {
    if ('ready' in reply) {
      this.ready = !this.closed;
      return;
    }
    const waiting = this.waiting.get(reply.id);
    if (waiting === undefined) return;
    this.waiting.delete(reply.id);
    this.lostInARow = 0;
    if ('eventsJson' in reply) waiting.resolve({ events: JSON.parse(reply.eventsJson) as CheckedBatch['events'], rejected: reply.rejected, json: reply.eventsJson });
    else if ('refused' in reply) waiting.reject(new HttpError(reply.refused.status, reply.refused.message));
    else checkNow(waiting.inThread).then(waiting.resolve, waiting.reject);
  }

  private lost(worker: Worker, failure: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.ready = false;
    if (!this.closed) {
      this.lostInARow++;
      this.onLost(`ingest worker ${failure}; bodies are checked in the main thread until it is back`);
    }
    // Every body still out is checked here, in the order it came.
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const body of waiting) checkNow(body.inThread).then(body.resolve, body.reject);
  }
}

/**
 * The parent's Node flags without its preloads (`--import`, `--require`, `--loader`): those are
 * for the main thread, and a worker cannot load a TypeScript preload before its boot file has
 * registered tsx (with them it failed to start, e.g. under the bench's memory probe).
 */
export function workerExecArgv(parent: readonly string[]): string[] {
  const preloads = ['--import', '--require', '-r', '--loader', '--experimental-loader'];
  const kept: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    const flag = parent[i];
    if (preloads.includes(flag)) {
      i++; // and its value
      continue;
    }
    if (preloads.some((name) => flag.startsWith(`${name}=`))) continue;
    kept.push(flag);
  }
  return kept;
}

/** Runs a check in this thread, now, as a promise (its 400 becomes a rejection). */
export function checkNow(check: () => CheckedBatch): Promise<CheckedBatch> {
  try {
    return Promise.resolve(check());
  } catch (error) {
    return Promise.reject(error);
  }
}
