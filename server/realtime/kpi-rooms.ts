/**
 * Socket.IO rooms for live KPIs (SPEC §6, §8). A room is `<scope>@<window>`; `<dimension>:*`
 * rooms carry every scope of a dimension. Joining answers with a full snapshot and the room's
 * sequence number; a tick then sends each room only the scopes that changed, at most
 * `tickMs` apart, plus a periodic refresh (rolling windows age without events) and an empty
 * heartbeat so screens can tell live data from stale. Nothing is queued per socket: a slow
 * screen only ever gets the latest state.
 */
import type { Server, Socket } from 'socket.io';
import { parseRoom, type ClientToServerEvents, type InterServerEvents, type RoomMessage, type ScopeKpis, type ServerToClientEvents, type SocketData } from '../../shared/socket-events.ts';
import { DIMENSIONS, parseScope, scopeDimension, type Dimension, type ScopeKey } from '../../shared/scope.ts';
import type { KpiWindow } from '../../shared/time.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';

type KpiServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type KpiSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

interface RoomState {
  window: KpiWindow;
  /** A scope key, or a whole dimension for `<dimension>:*` rooms. */
  scope: ScopeKey | { all: Dimension };
  seq: number;
  lastSentMs: number;
}

export interface KpiRoomsOptions {
  tickMs?: number;
  refreshMs?: number;
  heartbeatMs?: number;
  maxRoomsPerSocket?: number;
}

const MAX_ROOM_NAME = 200;

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
      const snapshots = rooms.map((name) => {
        const room = this.roomState(name);
        socket.join(name);
        return this.message(name, room, this.scopesOf(room), true);
      });
      ack({ ok: true, data: snapshots });
    });
    socket.on('kpi:unsubscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      const rooms = this.validRooms(request);
      if (typeof rooms === 'string') return ack({ ok: false, error: rooms });
      for (const name of rooms) socket.leave(name);
      ack({ ok: true, data: null });
    });
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
    return parseScope(scope) ? (scope as ScopeKey) : null;
  }

  private roomState(name: string): RoomState {
    let room = this.rooms.get(name);
    if (!room) {
      const parsed = parseRoom(name)!;
      room = { window: parsed.window, scope: this.parseRoomScope(parsed.scope)!, seq: 0, lastSentMs: 0 };
      this.rooms.set(name, room);
    }
    return room;
  }

  private scopesOf(room: RoomState): ScopeKey[] {
    return typeof room.scope === 'string' ? [room.scope] : this.engine.scopeKeys(room.scope.all);
  }

  private message(name: string, room: RoomState, scopes: ScopeKey[], full: boolean): RoomMessage {
    const asOf = this.clock.now();
    const scopeKpis: ScopeKpis[] = scopes.map((scope) => {
      const snapshot = this.engine.snapshot(scope, room.window);
      return { scope, kpis: snapshot.kpis, live: snapshot.live };
    });
    return { room: name, window: room.window, seq: room.seq, asOf, full, scopes: scopeKpis };
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
      else {
        const dimension = room.scope.all;
        scopes = [...dirty].filter((key) => scopeDimension(key) === dimension);
      }
      if (scopes.length === 0 && nowMs - room.lastSentMs < this.heartbeatMs) continue;
      room.seq++;
      room.lastSentMs = nowMs;
      this.io.to(name).emit('kpi:update', this.message(name, room, scopes, false));
    }
  }
}
