/**
 * Runs the demo simulator against a server: every tick it advances the model to "now" and posts
 * the new events as NDJSON to `POST /api/v1/events`, the same path an integrator uses. A failed
 * post is retried with the same batch (event ids make that idempotent) until it is delivered; no
 * batch is dropped without an error in the log.
 */
import type { CallCentreEventInput } from '../../shared/events.ts';
import { CallCentreSimulation, DEFAULT_AGENTS, DEFAULT_TIME_ZONE } from './model.ts';

/** The subset of a pino logger the simulator uses. */
export interface SimulatorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SimulatorOptions {
  /** Server origin, e.g. `http://127.0.0.1:3000`; events go to `${baseUrl}/api/v1/events`. */
  baseUrl: string;
  ingestKey: string;
  clock: { now(): number };
  /** Default 1. Agent ids and teams depend only on `agents`; traffic on the seed and the start time. */
  seed?: number;
  /** Simulated seconds per real second. Default 1 (events carry real time). */
  speed?: number;
  logger?: SimulatorLogger;
  agents?: number;
  rateFactor?: number;
  timeZone?: string;
  /** Minutes of traffic generated before now at start, so the first screen has numbers. Default 60. */
  warmupMinutes?: number;
  /** Days of ticket history made up at start (open and closing tickets). Default 3. */
  ticketBacklogDays?: number;
  /**
   * Ticket steps handed on by `simulate --history` (server/sim/carry-over.ts), in time order:
   * each is posted once simulated time reaches it, so backfilled tickets close as the demo's do.
   */
  carryOver?: readonly CallCentreEventInput[];
  /** Real time between ticks. Default 1000. */
  tickMs?: number;
  /** Events per POST. Default 5000. */
  batchSize?: number;
  /**
   * While this many events wait for delivery the model stops advancing (it catches up once the
   * server is back), so an unreachable server costs bounded memory and loses nothing. Default 100,000.
   */
  maxPendingEvents?: number;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
}

export interface RunningSimulator {
  /**
   * Stops ticking, lets an in-flight post finish, posts closing events (open contacts end, agents
   * sign out) within a few seconds, and logs anything left undelivered.
   */
  stop(): Promise<void>;
}

interface IngestAnswer {
  accepted?: number;
  duplicates?: number;
  rejected?: Array<{ index: number; error: string }>;
}

type PostResult =
  | { kind: 'delivered'; answer: IngestAnswer }
  | { kind: 'retry'; reason: string }
  | { kind: 'split' }
  | { kind: 'fatal'; reason: string };

const MAX_BACKOFF_MS = 30_000;
const FIRST_BACKOFF_MS = 500;
const STOP_GRACE_MS = 5_000;
const PROGRESS_LOG_MS = 10 * 60_000;

const consoleLogger: SimulatorLogger = {
  info: (obj, msg) => console.info(`[sim] ${msg ?? ''}`, obj),
  warn: (obj, msg) => console.warn(`[sim] ${msg ?? ''}`, obj),
  error: (obj, msg) => console.error(`[sim] ${msg ?? ''}`, obj),
};

/**
 * Starts the demo simulator: posts a warm-up (agents signing in, the last `warmupMinutes` of
 * traffic and a few days of ticket history) at once, then every `tickMs` the events up to the
 * clock's now (or, with `speed` ≠ 1, up to a simulated clock that started at the clock's now).
 */
export function startSimulator(options: SimulatorOptions): RunningSimulator {
  const logger = options.logger ?? consoleLogger;
  const speed = options.speed !== undefined && options.speed > 0 && Number.isFinite(options.speed) ? options.speed : 1;
  const tickMs = options.tickMs ?? 1000;
  const batchSize = Math.max(1, options.batchSize ?? 5000);
  const maxPendingEvents = options.maxPendingEvents ?? 100_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/api/v1/events`;
  const realStartMs = options.clock.now();
  const warmupMs = (options.warmupMinutes ?? 60) * 60_000;

  const model = new CallCentreSimulation({
    seed: options.seed ?? 1,
    startMs: realStartMs - warmupMs,
    agents: options.agents ?? DEFAULT_AGENTS,
    rateFactor: options.rateFactor ?? 1,
    timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
    ticketBacklogDays: options.ticketBacklogDays ?? 3,
  });
  const simulatedNow = (): number =>
    speed === 1 ? options.clock.now() : realStartMs + Math.round((options.clock.now() - realStartMs) * speed);

  const pending: CallCentreEventInput[][] = [];
  let pendingEvents = 0;
  let delivered = 0;
  let stopped = false;
  let tickTimer: ReturnType<typeof setTimeout> | null = null;
  let pump: Promise<void> | null = null;
  let wakeSleep: (() => void) | null = null;
  const stopController = new AbortController();
  let lastProgressLogMs = realStartMs;
  let warmupEvents = 0;

  logger.info(
    {
      url,
      seed: options.seed ?? 1,
      agents: model.plan.agents.length,
      peakContactsPerHour: Math.round(model.plan.peakContactsPerHour * (options.rateFactor ?? 1)),
      speed,
      warmupMinutes: warmupMs / 60_000,
    },
    'simulator started',
  );

  function enqueue(events: CallCentreEventInput[]): void {
    for (let i = 0; i < events.length; i += batchSize) {
      const batch = events.slice(i, i + batchSize);
      pending.push(batch);
      pendingEvents += batch.length;
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wakeSleep = null;
        resolve();
      }, ms);
      wakeSleep = () => {
        clearTimeout(timer);
        wakeSleep = null;
        resolve();
      };
    });
  }

  async function post(batch: CallCentreEventInput[]): Promise<PostResult> {
    const body = batch.map((e) => JSON.stringify(e)).join('\n') + '\n';
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${options.ingestKey}` },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(requestTimeoutMs), stopController.signal]),
      });
      const text = await res.text();
      if (res.ok) {
        let answer: IngestAnswer = {};
        try {
          answer = JSON.parse(text) as IngestAnswer;
        } catch {
          // A 200 means durable (SPEC §6) even if the body is not the documented JSON.
        }
        return { kind: 'delivered', answer };
      }
      if (res.status === 413 && batch.length > 1) return { kind: 'split' };
      const reason = `HTTP ${res.status}: ${text.slice(0, 300)}`;
      // 400 = the body is unparsable: sending the same bytes again cannot succeed.
      if (res.status === 400) return { kind: 'fatal', reason };
      return { kind: 'retry', reason };
    } catch (err) {
      return { kind: 'retry', reason: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Delivers the head batch; false when stopped before it got through. */
  async function deliverHead(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (stopped && attempt > 0) return false;
      const batch = pending[0];
      const result = await post(batch);
      if (result.kind === 'delivered') {
        pending.shift();
        pendingEvents -= batch.length;
        delivered += batch.length;
        const rejected = result.answer.rejected ?? [];
        if (rejected.length > 0) {
          logger.warn(
            { rejected: rejected.length, examples: rejected.slice(0, 3).map((r) => ({ ...r, id: batch[r.index]?.id })) },
            'ingest rejected simulator events',
          );
        }
        if (attempt > 0) logger.info({ attempts: attempt + 1, events: batch.length }, 'simulator batch delivered after retry');
        return true;
      }
      if (result.kind === 'split') {
        const half = Math.ceil(batch.length / 2);
        pending.splice(0, 1, batch.slice(0, half), batch.slice(half));
        logger.warn({ events: batch.length }, 'ingest said the batch is too large; splitting it');
        attempt = -1;
        continue;
      }
      if (result.kind === 'fatal') {
        pending.shift();
        pendingEvents -= batch.length;
        logger.error(
          { events: batch.length, firstId: batch[0]?.id, lastId: batch[batch.length - 1]?.id, reason: result.reason },
          'ingest refused a simulator batch as malformed; dropping it',
        );
        return true;
      }
      if (stopped) return false;
      const delayMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
      logger.warn(
        { attempt: attempt + 1, retryInMs: delayMs, events: batch.length, pendingEvents, reason: result.reason },
        'simulator post failed; will retry the same batch',
      );
      await sleep(delayMs);
    }
  }

  function startPump(): void {
    if (pump) return;
    pump = (async () => {
      while (pending.length > 0) {
        if (!(await deliverHead())) break;
        if (warmupEvents > 0 && delivered >= warmupEvents) {
          logger.info({ events: warmupEvents }, 'simulator warm-up delivered');
          warmupEvents = 0;
        }
        if (stopped) break;
      }
    })().finally(() => {
      pump = null;
    });
  }

  let carried = 0;
  const carryOver = options.carryOver ?? [];
  /** The handed-on ticket steps due by simulated now. */
  function dueCarryOver(): CallCentreEventInput[] {
    const nowMs = simulatedNow();
    const from = carried;
    while (carried < carryOver.length && Number(carryOver[carried].ts) <= nowMs) carried++;
    return carryOver.slice(from, carried);
  }

  function tick(): void {
    tickTimer = null;
    if (stopped) return;
    if (pendingEvents < maxPendingEvents) {
      enqueue(model.advance(simulatedNow()));
      enqueue(dueCarryOver());
    }
    const now = options.clock.now();
    if (now - lastProgressLogMs >= PROGRESS_LOG_MS) {
      lastProgressLogMs = now;
      logger.info({ delivered, pendingEvents, simulatedUntilMs: model.simulatedUntilMs }, 'simulator progress');
    }
    startPump();
    tickTimer = setTimeout(tick, tickMs);
    tickTimer.unref?.();
  }

  enqueue(model.takeBacklog());
  enqueue(model.advance(simulatedNow()));
  enqueue(dueCarryOver());
  warmupEvents = pendingEvents;
  startPump();
  tickTimer = setTimeout(tick, tickMs);
  tickTimer.unref?.();

  /** One last pass over what is pending, without backoff: the process is going away. */
  async function finalFlush(): Promise<void> {
    while (pending.length > 0 && !stopController.signal.aborted) {
      const batch = pending[0];
      const result = await post(batch);
      if (result.kind === 'delivered') {
        pending.shift();
        pendingEvents -= batch.length;
        delivered += batch.length;
      } else if (result.kind === 'split') {
        const half = Math.ceil(batch.length / 2);
        pending.splice(0, 1, batch.slice(0, half), batch.slice(half));
      } else {
        logger.warn({ events: batch.length, reason: result.reason }, 'simulator could not deliver its closing events');
        return;
      }
    }
  }

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      if (tickTimer) clearTimeout(tickTimer);
      wakeSleep?.();
      // Bounds how long the process's shutdown may wait for the ingest: in-flight posts are aborted.
      const grace = setTimeout(() => stopController.abort(), STOP_GRACE_MS);
      try {
        await pump;
        // Close open contacts and sign agents out, so a stopped demo leaves no call waiting forever.
        enqueue(model.shutdown(simulatedNow()));
        await finalFlush();
      } finally {
        clearTimeout(grace);
      }
      if (pendingEvents > 0) {
        logger.warn({ undelivered: pendingEvents, delivered }, 'simulator stopped with events not delivered');
      } else {
        logger.info({ delivered }, 'simulator stopped');
      }
    },
  };
}
