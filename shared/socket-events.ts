/**
 * Typed Socket.IO event maps shared by server and web (SPEC §6). A client subscribes to rooms
 * `<scope>@<window>` (scope may be `<dimension>:*` for every member of a dimension), receives a
 * full snapshot per room with a sequence number, then updates with the next numbers.
 */
import type { Kpis, LiveState } from './kpi.ts';
import type { Targets } from './targets.ts';
import type { KpiWindow } from './time.ts';
import type { Principal } from './roles.ts';
import type { AgentBoard, ScreenState } from './alerts.ts';
import type { AgentFeedMessage, AgentFeedRow } from './agent-feed.ts';
import type { IntervalDay, IntervalUpdate } from './intervals.ts';

/** KPIs of one scope in one window. */
export interface ScopeKpis {
  scope: string;
  kpis: Kpis;
  live: LiveState;
  /**
   * The targets in force for this scope today (issue 11): screens judge each figure with them by
   * the shared rule (`statusOf`/`judge`), so the TV, the console and the API agree. Resent to
   * every room within a tick when a target changes.
   */
  targets?: Targets;
}

/** A room's state: `full` snapshots replace everything; updates replace the scopes they carry. */
export interface RoomMessage {
  room: string;
  window: KpiWindow;
  seq: number;
  asOf: number;
  full: boolean;
  scopes: ScopeKpis[];
  /** Visitor mode: staffing figures (agent counts, occupancy) were removed. */
  redacted?: boolean;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: string };

export interface SubscribeRequest {
  /** Room names `<scope>@<window>`, e.g. `centre@today`, `queue:*@15m`. */
  rooms: string[];
}

export interface ServerToClientEvents {
  'kpi:snapshot': (message: RoomMessage) => void;
  'kpi:update': (message: RoomMessage) => void;
  /** The screen's assignment, visitor mode, broadcasts and alerts (issue 5). */
  'screen:state': (state: ScreenState) => void;
  /** Agents by state for screens showing the agent board; never in visitor mode. */
  'agents:board': (board: AgentBoard) => void;
  /** The agents of the scope a console subscribed to (issue 10): at most once a second, only when changed. */
  'agents:rows': (message: AgentFeedMessage) => void;
  /** The current 15-minute interval (or the one just ended) of a subscribed scope changed (issue 10): at most once a tick. */
  'intervals:update': (update: IntervalUpdate) => void;
}

export interface ClientToServerEvents {
  'kpi:subscribe': (request: SubscribeRequest, ack: (result: Ack<RoomMessage[]>) => void) => void;
  'kpi:unsubscribe': (request: SubscribeRequest, ack: (result: Ack<null>) => void) => void;
  /** A screen says which scope its agent board is about; answered with its state. */
  'screen:join': (request: { scope?: string; agentBoard?: boolean }, ack: (result: Ack<ScreenState>) => void) => void;
  /** The agents of one scope (replaces the socket's previous one); managers, directors, admins. */
  'agents:subscribe': (request: { scope: string; changes?: boolean }, ack: (result: Ack<AgentFeedRow[]>) => void) => void;
  'agents:unsubscribe': (request: { scope?: string }, ack: (result: Ack<null>) => void) => void;
  /** A scope's intervals of today, then `intervals:update` as its current interval moves; readers of the reports. */
  'intervals:subscribe': (request: { scope: string }, ack: (result: Ack<IntervalDay>) => void) => void;
  'intervals:unsubscribe': (request: { scope: string }, ack: (result: Ack<null>) => void) => void;
}

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  principal: Principal;
}

/** Splits `centre@today` into scope and window; null when malformed. */
export function parseRoom(room: string): { scope: string; window: KpiWindow } | null {
  const at = room.lastIndexOf('@');
  if (at < 1) return null;
  const window = room.slice(at + 1);
  if (window !== '15m' && window !== '60m' && window !== 'today') return null;
  return { scope: room.slice(0, at), window };
}
