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
import { unknownScopeMessage } from '../http/known-scope.ts';
import type { Targets } from '../../shared/targets.ts';
import { SlowSockets, type SlowSocketLimits } from './slow-sockets.ts';

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
  /** The targets in force today for a scope, sent with its figures (issue 11). */
  targetsFor?: (scope: ScopeKey) => Targets;
  /**
   * Whether a scope is known (server/http/known-scope.ts): a room of an unknown one is refused,
   * naming it, as `GET /api/v1/kpis` answers 404 (`<dimension>:*` rooms are always fine).
   */
  knownScope?: (scope: string) => boolean;
  /** When a socket that does not read is skipped and dropped (issue 12; see slow-sockets.ts). */
  slowSockets?: SlowSocketLimits;
  /** After each tick: how many rooms got changed figures and how many have listeners (for the screen-lag metric). */
  onTick?: (pushed: number, occupied: number) => void;
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
  private readonly targetsFor: ((scope: ScopeKey) => Targets) | undefined;
  private readonly knownScope: (scope: string) => boolean;
  /** Sockets still draining are left out of a tick; past a small backlog they are dropped. */
  readonly slow: SlowSockets;
  private readonly onTick: KpiRoomsOptions['onTick'];

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
    this.targetsFor = options.targetsFor;
    this.knownScope = options.knownScope ?? (() => true);
    this.slow = new SlowSockets(options.slowSockets);
    this.onTick = options.onTick;
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

  /** Targets changed: send every room all its scopes (with the new targets) as soon as the rate limit allows. */
  refresh(): void {
    this.lastRefreshMs = Number.NEGATIVE_INFINITY;
    this.poke();
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
    socket.on('disconnect', () => this.slow.forget(socket.id));
    socket.on('kpi:subscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      const rooms = this.validRooms(request);
      if (typeof rooms === 'string') return ack({ ok: false, error: rooms });
      // Only KPI rooms count (issue 12): not the socket's own id room, nor the screen, agent feed
      // or interval rooms other modules join it to; a room already joined is not counted twice.
      const after = this.kpiRoomsOf(socket);
      for (const name of rooms) after.add(name);
      if (after.size > this.maxRoomsPerSocket) {
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

  /** The KPI rooms (plain names) `socket` is in. */
  private kpiRoomsOf(socket: KpiSocket): Set<string> {
    const names = new Set<string>();
    for (const joined of socket.rooms) {
      if (this.rooms.has(joined)) names.add(joined.endsWith(REDACTED) ? joined.slice(0, -REDACTED.length) : joined);
    }
    return names;
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
      const scope = this.parseRoomScope(parsed.scope);
      if (!scope) return `rooms[${i}]: unknown scope "${parsed.scope.slice(0, 60)}"`;
      if (typeof scope === 'string' && !this.knownScope(scope)) return unknownScopeMessage(parseScope(scope)!, `rooms[${i}]`);
      if (typeof scope === 'object' && 'queuesOf' in scope && !this.knownScope(`site:${scope.queuesOf}`)) return unknownScopeMessage(parseScope(`site:${scope.queuesOf}`)!, `rooms[${i}]`);
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

  /**
   * A room's message. Targets travel only with full snapshots and the periodic refresh (which a
   * target change brings forward), not with every change: at 500 queues they would be most of
   * each update's bytes. Screens keep a scope's last targets until new ones come.
   */
  private message(room: RoomState, scopes: ScopeKey[], full: boolean, withTargets = full): RoomMessage {
    const asOf = this.clock.now();
    const targetsFor = withTargets ? this.targetsFor : undefined;
    const scopeKpis: ScopeKpis[] = scopes.map((scope) => {
      const snapshot = this.engine.snapshot(scope, room.window);
      return targetsFor ? { scope, kpis: snapshot.kpis, live: snapshot.live, targets: targetsFor(scope) } : { scope, kpis: snapshot.kpis, live: snapshot.live };
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
    // A socket still draining what it was sent is left out (it would only queue more); once it
    // has drained it gets every room's latest state; one that stays behind is dropped.
    const skip = this.slow.check(this.io.sockets.sockets.values(), (socket) => this.resync(socket as KpiSocket));
    let pushed = 0;
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
      (skip.length > 0 ? this.io.to(name).except(skip) : this.io.to(name)).emit('kpi:update', this.message(room, scopes, false, refresh));
      if (scopes.length > 0) pushed++;
    }
    this.onTick?.(pushed, this.rooms.size);
  }
}
