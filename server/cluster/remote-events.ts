/**
 * The seam between the app and a shared log (issue 16): events another process stored reach
 * this process's engine through the log's commit listener, as its own do; what the ingest path
 * does after a commit (records, screens, the org directory) is handed over here. Kept apart from
 * the Redis code, so the app loads no Redis module when REDIS_URL is unset.
 */
import type { CallCentreEvent } from '../../shared/events.ts';
import type { EventLog } from '../store/event-log.ts';

/** What the app does with events other processes stored (the ingest path does it for its own). */
export interface RemoteEventHooks {
  /** Loads the stored records the events refer to, before they are committed (the ingest's seed). */
  prepare?: (fresh: CallCentreEvent[]) => Promise<void>;
  /** After the commit applied them to the engine: records, screens, org directory. */
  applied: (events: CallCentreEvent[]) => Promise<void>;
  /** From before `prepare` until the commit, records the events refer to stay in memory (KpiEngine.pin). */
  pin?: (events: CallCentreEvent[]) => void;
  unpin?: (events: CallCentreEvent[]) => void;
}

/** A log that also applies other processes' events. */
export interface FollowsRemote {
  followRemote(hooks: RemoteEventHooks): void;
}

/** Hands other processes' events to the app when the log is a shared one (does nothing otherwise). */
export function followRemoteEvents(log: EventLog, hooks: RemoteEventHooks): void {
  if (typeof (log as Partial<FollowsRemote>).followRemote === 'function') (log as unknown as FollowsRemote).followRemote(hooks);
}
