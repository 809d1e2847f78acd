/**
 * Socket.IO rooms for live KPIs (SPEC §6, §8). A room is `<scope>@<window>`; `<dimension>:*`
 * rooms carry every scope of a dimension, `site:X/queue:*` every queue of one site (issue 10).
 * Joining answers with a full snapshot and the room's sequence number; a tick then sends each
 * room only the scopes that changed, at most `tickMs` apart, plus a periodic refresh (rolling
 * windows age without events) and an empty heartbeat so screens can tell live data from stale.
 * Nothing is queued per socket: a slow screen only ever gets the latest state.
 */
import type { Server, Socket } from 'socket.io';
import { parseRoom, type ClientToServerEvents, type InterServerEvents, type RoomMessage, type ScopeKpis, type ServerToClientEvents, type SocketData } from '../../shared/socket-events.ts';
import { DIMENSIONS, parseScope, scopeDimension, siteQueuePrefix, type Dimension, type ScopeKey } from '../../shared/scope.ts';
import type { KpiWindow } from '../../shared/time.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';

type KpiServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type KpiSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

interface RoomState {
  /** The room name clients know (without the visitor suffix). */
  name: string;
  /** Visitor-mode copy: staffing figures removed before sending. */
  redacted: boolean;
  window: KpiWindow;
  /** A scope key, a whole dimension for `<dimension>:*` rooms, or a site's queues for `site:X/queue:*`. */
  scope: ScopeKey | { all: Dimension } | { queuesOf: string; prefix: string };
  seq: number;
  lastSentMs: number;
}

export interface KpiRoomsOptions {
  tickMs?: number;
  refreshMs?: number;
  heartbeatMs?: number;
  maxRoomsPerSocket?: number;
  /** Sockets that get visitor-mode copies of their rooms (issue 5, manual 003). */
  redactFor?: (socket: KpiSocket) => boolean;
}

const MAX_ROOM_NAME = 200;
/** Socket.IO room of the visitor-mode copy of a room. */
const REDACTED = '#visitor';

/** KPIs that tell a visitor about staffing: agents by state, not-ready breaches, occupancy. */
const STAFFING_KPIS = ['agentsReady', 'agentsBusy', 'agentsAcw', 'agentsNotReady', 'agentsNotReadyOverLimit', 'occupancy'] as const;

/** A copy of the message without staffing figures (manual 003: no internal numbers for visitors). */
export function redactMessage(message: RoomMessage): RoomMessage {
  return {
    ...message,
    redacted: true,
    scopes: message.scopes.map((scope) => {
      const kpis = { ...scope.kpis };
      for (const kpi of STAFFING_KPIS) kpis[kpi] = { value: null };
      return { ...scope, kpis, live: { ...scope.live, agents: { ready: 0, busy: 0, acw: 0, not_ready: 0 }, notReadyOverLimit: 0 } };
    }),
  };
}

export class KpiRooms {
  private readonly rooms = new Map<string, RoomState>();
  private readonly timer: NodeJS.Timeout;
  private lastRefreshMs = 0;
  /** Real time (not the injected clock) of the last tick, for the rate limit. */
  private lastTickAt = 0;
  private poked: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  private readonly refreshMs: number;
  private readonly heartbeatMs: number;
  private readonly maxRoomsPerSocket: number;
  private readonly redactFor: (socket: KpiSocket) => boolean;

  constructor(
    private readonly io: KpiServer,
    private readonly engine: KpiEngine,
    private readonly clock: { now(): number },
    options: KpiRoomsOptions = {},
  ) {
    this.tickMs = options.tickMs ?? 250;
    this.refreshMs = options.refreshMs ?? 5000;
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    this.maxRoomsPerSocket = options.maxRoomsPerSocket ?? 50;
    this.redactFor = options.redactFor ?? (() => false);
    // The interval sends what time alone changes (refresh, heartbeat); `poke` sends new events
    // at once instead of waiting for it. Either way a room hears at most once per `tickMs`.
    this.timer = setInterval(() => {
      if (performance.now() - this.lastTickAt >= this.tickMs) this.tick();
    }, this.tickMs);
    this.timer.unref();
    io.on('connection', (socket) => this.handle(socket));
  }

  close(): void {
    clearInterval(this.timer);
    if (this.poked) clearTimeout(this.poked);
  }

  /** New events were applied: send the changes as soon as the rate limit allows. */
  poke(): void {
    if (this.poked) return;
    const waitMs = Math.max(0, this.tickMs - (performance.now() - this.lastTickAt));
    this.poked = setTimeout(() => {
      this.poked = undefined;
      this.tick();
    }, waitMs);
    this.poked.unref();
  }

  private handle(socket: KpiSocket): void {
    socket.on('kpi:subscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      const rooms = this.validRooms(request);
      if (typeof rooms === 'string') return ack({ ok: false, error: rooms });
      if (socket.rooms.size - 1 + rooms.length > this.maxRoomsPerSocket) {
        return ack({ ok: false, error: `rooms: at most ${this.maxRoomsPerSocket} per connection` });
      }
      ack({ ok: true, data: rooms.map((name) => this.join(socket, name)) });
    });
    socket.on('kpi:unsubscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      const rooms = this.validRooms(request);
      if (typeof rooms === 'string') return ack({ ok: false, error: rooms });
      for (const name of rooms) {
        socket.leave(name);
        socket.leave(name + REDACTED);
      }
      ack({ ok: true, data: null });
    });
  }

  /** Joins the plain or the visitor copy of a room (leaving the other) and returns its snapshot. */
  private join(socket: KpiSocket, name: string): RoomMessage {
    const redacted = this.redactFor(socket);
    const joined = redacted ? name + REDACTED : name;
    socket.leave(redacted ? name : name + REDACTED);
    const room = this.roomState(joined);
    socket.join(joined);
    return this.message(room, this.scopesOf(room), true);
  }

  /**
   * Visitor mode changed for this socket: move it to the right copy of each of its rooms and send
   * fresh snapshots at once, so internal figures leave the screen within a second.
   */
  resync(socket: KpiSocket): void {
    const names = new Set<string>();
    for (const joined of socket.rooms) {
      const name = joined.endsWith(REDACTED) ? joined.slice(0, -REDACTED.length) : joined;
      if (this.rooms.has(joined) && parseRoom(name)) names.add(name);
    }
    for (const name of names) socket.emit('kpi:snapshot', this.join(socket, name));
  }

  /** The requested room names, or an error naming what is wrong. */
  private validRooms(request: unknown): string[] | string {
    const rooms = (request as { rooms?: unknown } | null)?.rooms;
    if (!Array.isArray(rooms) || rooms.length === 0) return 'rooms: required non-empty array of "<scope>@<window>"';
    if (rooms.length > this.maxRoomsPerSocket) return `rooms: at most ${this.maxRoomsPerSocket}`;
    for (const [i, room] of rooms.entries()) {
      if (typeof room !== 'string' || room.length > MAX_ROOM_NAME) return `rooms[${i}]: must be a string of at most ${MAX_ROOM_NAME} characters`;
      const parsed = parseRoom(room);
      if (!parsed) return `rooms[${i}]: "${room.slice(0, 60)}" is not "<scope>@15m|60m|today"`;
      if (!this.parseRoomScope(parsed.scope)) return `rooms[${i}]: unknown scope "${parsed.scope.slice(0, 60)}"`;
    }
    return rooms as string[];
  }

  private parseRoomScope(scope: string): RoomState['scope'] | null {
    const wildcard = /^([a-z]+):\*$/.exec(scope);
    if (wildcard) return (DIMENSIONS as readonly string[]).includes(wildcard[1]) ? { all: wildcard[1] as Dimension } : null;
    if (scope.endsWith('/queue:*')) {
      // `site:X/queue:*`: parsed as the site × queue scope of a queue named `*`, which names the site.
      const parsed = parseScope(scope);
      return parsed?.dimension === 'siteQueue' && parsed.queue === '*' ? { queuesOf: parsed.site, prefix: siteQueuePrefix(parsed.site) } : null;
    }
    return parseScope(scope) ? (scope as ScopeKey) : null;
  }

  private roomState(joined: string): RoomState {
    let room = this.rooms.get(joined);
    if (!room) {
      const redacted = joined.endsWith(REDACTED);
      const name = redacted ? joined.slice(0, -REDACTED.length) : joined;
      const parsed = parseRoom(name)!;
      room = { name, redacted, window: parsed.window, scope: this.parseRoomScope(parsed.scope)!, seq: 0, lastSentMs: 0 };
      this.rooms.set(joined, room);
    }
    return room;
  }

  private scopesOf(room: RoomState): ScopeKey[] {
    if (typeof room.scope === 'string') return [room.scope];
    return 'all' in room.scope ? this.engine.scopeKeys(room.scope.all) : this.engine.siteQueueKeys(room.scope.queuesOf);
  }

  private message(room: RoomState, scopes: ScopeKey[], full: boolean): RoomMessage {
    const asOf = this.clock.now();
    const scopeKpis: ScopeKpis[] = scopes.map((scope) => {
      const snapshot = this.engine.snapshot(scope, room.window);
      return { scope, kpis: snapshot.kpis, live: snapshot.live };
    });
    const message: RoomMessage = { room: room.name, window: room.window, seq: room.seq, asOf, full, scopes: scopeKpis };
    return room.redacted ? redactMessage(message) : message;
  }

  /** Sends each occupied room what changed since the last tick (or everything on a refresh). */
  tick(): void {
    this.lastTickAt = performance.now();
    const nowMs = this.clock.now();
    this.engine.advance(nowMs);
    const dirty = this.engine.drainDirty();
    const refresh = nowMs - this.lastRefreshMs >= this.refreshMs;
    if (refresh) this.lastRefreshMs = nowMs;
    for (const [name, room] of this.rooms) {
      if (!this.io.sockets.adapter.rooms.get(name)?.size) {
        this.rooms.delete(name);
        continue;
      }
      let scopes: ScopeKey[];
      if (refresh) scopes = this.scopesOf(room);
      else if (typeof room.scope === 'string') scopes = dirty.has(room.scope) ? [room.scope] : [];
      else if ('all' in room.scope) {
        const dimension = room.scope.all;
        scopes = [...dirty].filter((key) => scopeDimension(key) === dimension);
      } else {
        const prefix = room.scope.prefix;
        scopes = [...dirty].filter((key) => key.startsWith(prefix));
      }
      if (scopes.length === 0 && nowMs - room.lastSentMs < this.heartbeatMs) continue;
      room.seq++;
      room.lastSentMs = nowMs;
      this.io.to(name).emit('kpi:update', this.message(room, scopes, false));
    }
  }
}
