/**
 * Rebuilds the live state at start (today and yesterday) from what is stored: from the last
 * checkpoint when there is one (its counters, the agents' states, who waits, open tickets and
 * the memory of stored contacts, then only the events committed after it); from the records
 * when there is none yet; from the event log alone without a record store. Then starts the
 * record writes. Part of server/live/, the one owner of the live ↔ stored loop (issue 15).
 */
import type { CallCentreEvent } from '../../shared/events.ts';
import { dayKey } from '../../shared/time.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import type { EventLog } from '../store/event-log.ts';
import type { RecordStore } from '../store/record-store.ts';
import type { StoredCheckpoint } from '../records/snapshots.ts';
import type { RecordSync } from './record-sync.ts';
import type { Logger } from 'pino';
import { StepTimes } from '../lib/step-times.ts';

export interface LiveRestore {
  engine: KpiEngine;
  log: EventLog;
  records: RecordStore | undefined;
  recordSync: RecordSync | null;
  /** Takes back the stored records a batch refers to (see seed.ts). */
  seed: (events: CallCentreEvent[]) => Promise<void>;
  timeZone: string;
  /** Every event read back, as not new (the screens' agent boards and alerts follow them). */
  noteEvents: (events: CallCentreEvent[]) => void;
  /** Told how long each step took (one info line), so a slow start says where its time went. */
  logger?: Logger;
}

/** Rebuilds live state from the store; returns how many events it replayed. */
export async function restoreLiveState(deps: LiveRestore): Promise<number> {
  const { engine, log, records, recordSync, seed, noteEvents } = deps;
  let count = 0;
  const times = new StepTimes();
  /** Events replayed after what the store reflects: applied as if they had just come in. */
  const replayBatch = async (events: CallCentreEvent[]) => {
    times.done('replayRead');
    await seed(events);
    times.done('replaySeed');
    engine.applyBatch(events);
    times.done('replayApply');
    // Past days' events committed after the store's cut (acknowledged or not) are merged again (idempotent).
    await recordSync?.mergeHistory();
    noteEvents(events);
    count += events.length;
    times.done('replayMerge');
  };
  const checkpoint = records ? await records.loadCheckpoint() : null;
  times.done('checkpointRead');
  if (records && checkpoint && log.replayCommittedAfter && log.agentStates) {
    await restoreFromCheckpoint(deps, records, checkpoint, times);
    await log.replayCommittedAfter(checkpoint.throughReceivedMs, 0, replayBatch);
    times.done('replayRead');
  } else if (records && log.replayCommittedAfter && log.agentStates) {
    const coveredThroughMs = await restoreFromRecords(deps, records);
    times.done('records');
    await log.replayCommittedAfter(coveredThroughMs - 60_000, 0, replayBatch);
    times.done('replayRead');
    // The first checkpoint holds every counter bucket of the live days (a full day's agents and
    // intervals: hundreds of thousands). Written now, before serving, it does not compete with
    // the ingest or hold back every later write, and the next start reads it instead of
    // counting the records again.
    recordSync?.start();
    await recordSync?.flush();
    times.done('firstCheckpoint');
  } else {
    // A log without a store (tests, a demo without DATA_DIR): replay the live days' events.
    await log.replay(engine.horizonMs, replayBatch);
    engine.markStoredApplied();
  }
  recordSync?.start();
  deps.logger?.info({ replayed: count, ms: times.all }, 'restore steps');
  return count;
}

/**
 * From the checkpoint: its counters, the agents' states, who waits, open tickets and the
 * customers of the live days (the events committed after it are replayed by the caller).
 */
async function restoreFromCheckpoint({ engine, log, timeZone, noteEvents }: LiveRestore, records: RecordStore, checkpoint: StoredCheckpoint, times: StepTimes): Promise<void> {
  await checkpoint.readBuckets((bucket) => engine.restoreCounter(bucket));
  engine.finishCounterRestore();
  times.done('counters');
  // The agents' states and the memory of stored contacts side by side, each read on a connection
  // of its own: they touch separate parts of the engine, and while one read's rows are applied on
  // this thread DuckDB reads the other's on its threads. Not the counters with them: their sorted
  // read and another at once exceeded DuckDB's memory limit (DUCKDB_MEMORY_MB).
  const started = performance.now();
  await Promise.all([
    log.agentStates!(engine.horizonMs, checkpoint.throughReceivedMs, (events) => {
      for (const event of events) if (event.type === 'agent.state') engine.restoreAgentState(event);
      noteEvents(events);
    }).then(() => {
      engine.finishAgentRestore();
      times.took('agentStates', started);
    }),
    records.forEachContactKey(engine.horizonDay, (contactKey, customerKey) => engine.restoreStoredContact(contactKey, customerKey)).then(() => times.took('contactKeys', started)),
  ]);
  engine.markStoredApplied();
  for (const snapshot of await records.loadWaitingContacts(engine.horizonDay)) engine.seedContact(snapshot);
  const ticketsFrom = dayKey(engine.horizonMs - 30 * 86_400_000, timeZone);
  for (const ticket of await records.loadLiveTickets(ticketsFrom)) engine.seedTicket(ticket, checkpoint.atMs);
  // Only the live days' tickets can be met again by an event the engine applies.
  await records.forEachTicket(engine.horizonDay, (ticketId) => engine.restoreStoredTicket(ticketId));
  times.done('waitingAndTickets');
}

/**
 * No checkpoint yet (records imported, or written by an older version): counts the live days'
 * records and agent states. Returns the time the records reflect the events before, from which
 * the caller replays what they may not reflect.
 */
async function restoreFromRecords({ engine, log, noteEvents }: LiveRestore, records: RecordStore): Promise<number> {
  const coveredThroughMs = (await records.coveredThrough()) ?? 0;
  await records.forEachLiveRecord(
    engine.horizonDay,
    engine.horizonMs,
    (snapshot) => engine.countStoredContact(snapshot),
    (ticket) => engine.countStoredTicket(ticket),
  );
  await log.agentStates!(engine.horizonMs, Number.MAX_SAFE_INTEGER, (events) => {
    // The state each agent was in when the live days began is known, not counted.
    for (const event of events) {
      if (event.type !== 'agent.state') continue;
      if (event.ts < engine.horizonMs) engine.restoreAgentState(event);
      else engine.apply(event);
    }
    noteEvents(events);
  });
  engine.finishAgentRestore();
  engine.markStoredApplied();
  await records.backfillKeys(engine.horizonDay);
  return coveredThroughMs;
}
