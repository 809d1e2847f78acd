/**
 * The live KPI feed of a screen: subscribes to rooms over Socket.IO, keeps the latest state of
 * every room (full snapshot, then updates that replace the scopes they carry), and knows how
 * fresh that state is. Components read it; only the socket writes it.
 */
import type { Socket } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  RoomMessage,
  ScopeKpis,
  ServerToClientEvents,
} from '../../shared/socket-events.ts';

/** The part of a socket.io-client socket the feed uses (tests pass a small fake). */
export type FeedSocket = Pick<Socket<ServerToClientEvents, ClientToServerEvents>, 'connected' | 'on' | 'off' | 'emit'>;

export type ConnectionState = 'connecting' | 'live' | 'stale' | 'offline' | 'unauthorized';

/** What the feed holds per room. */
export interface RoomState {
  seq: number;
  /** Server clock of the last message. */
  asOf: number;
  scopes: Record<string, ScopeKpis>;
}

export interface KpiFeedOptions {
  /** The client clock; injected so tests can fix it. */
  now?: () => number;
  /** Data older than this (no message received) is shown as stale. */
  staleAfterMs?: number;
  /** A subscribe that has no answer by then is sent again. */
  ackTimeoutMs?: number;
  /** How often `nowMs` advances, for the clock and the longest-wait tiles. */
  tickMs?: number;
}

/**
 * Live rooms of one screen. `start()` listens and subscribes (again after every reconnect and on
 * any sequence gap); `tick()` advances the clock the longest waits and the staleness read.
 */
export class KpiFeed {
  /** Client clock, advanced every `tickMs` while started. */
  nowMs = $state(0);
  connected = $state(false);
  /** Last error from the server (`unauthorized`, or a subscribe refusal), null when fine. */
  error = $state<string | null>(null);
  /** Client time the last room message arrived. */
  lastMessageAtMs = $state<number | null>(null);
  /** Server clock minus client clock at the last message: TVs' clocks are often wrong. */
  clockOffsetMs = $state(0);

  // Replaced as a whole on each message: cheaper than deep proxies and enough for the few scopes a screen shows.
  #rooms = $state.raw<Record<string, RoomState>>({});
  /** Rooms waiting for a snapshot, with the id of the subscribe that will bring it. */
  #pending = new Map<string, number>();
  #requestId = 0;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #ticker: ReturnType<typeof setInterval> | undefined;

  readonly #socket: FeedSocket;
  readonly #roomNames: readonly string[];
  readonly #now: () => number;
  readonly #staleAfterMs: number;
  readonly #ackTimeoutMs: number;
  readonly #tickMs: number;

  constructor(socket: FeedSocket, rooms: readonly string[], options: KpiFeedOptions = {}) {
    this.#socket = socket;
    this.#roomNames = rooms;
    this.#now = options.now ?? Date.now;
    this.#staleAfterMs = options.staleAfterMs ?? 5_000;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.#tickMs = options.tickMs ?? 1_000;
    this.nowMs = this.#now();
  }

  /** Every room has had its snapshot. */
  get ready(): boolean {
    return this.#roomNames.every((room) => room in this.#rooms);
  }

  /** The centre's clock as the server sees it. */
  get serverNowMs(): number {
    return this.nowMs + this.clockOffsetMs;
  }

  /** Whole seconds since the last message, null before the first. */
  get ageSec(): number | null {
    return this.lastMessageAtMs === null ? null : Math.max(0, Math.floor((this.nowMs - this.lastMessageAtMs) / 1000));
  }

  get connection(): ConnectionState {
    if (this.error === 'unauthorized') return 'unauthorized';
    if (!this.connected) return this.lastMessageAtMs === null ? 'connecting' : 'offline';
    if (!this.ready) return 'connecting';
    if (this.nowMs - (this.lastMessageAtMs ?? this.nowMs) > this.#staleAfterMs) return 'stale';
    return 'live';
  }

  /** Sequence number of the room's last applied message, null before its snapshot. */
  seq(room: string): number | null {
    return this.#rooms[room]?.seq ?? null;
  }

  /** One scope of a room (`centre` of `centre@today`), null until known. */
  scope(room: string, scope: string): ScopeKpis | null {
    return this.#rooms[room]?.scopes[scope] ?? null;
  }

  /** Every scope of a room (all queues of `queue:*@today`). */
  scopes(room: string): ScopeKpis[] {
    return Object.values(this.#rooms[room]?.scopes ?? {});
  }

  /** Listens to the socket and subscribes (now if connected, else on connect). */
  start(): void {
    this.#socket.on('connect', this.#onConnect);
    this.#socket.on('disconnect', this.#onDisconnect);
    this.#socket.on('connect_error', this.#onConnectError);
    this.#socket.on('kpi:snapshot', this.#onMessage);
    this.#socket.on('kpi:update', this.#onMessage);
    this.#ticker = setInterval(this.tick, this.#tickMs);
    if (this.#socket.connected) this.#onConnect();
  }

  /** Stops listening; the socket itself belongs to the caller. */
  stop(): void {
    this.#socket.off('connect', this.#onConnect);
    this.#socket.off('disconnect', this.#onDisconnect);
    this.#socket.off('connect_error', this.#onConnectError);
    this.#socket.off('kpi:snapshot', this.#onMessage);
    this.#socket.off('kpi:update', this.#onMessage);
    clearInterval(this.#ticker);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#pending.clear();
  }

  /** Advances the client clock (the clock, longest waits and staleness read it). */
  tick = (): void => {
    this.nowMs = this.#now();
  };

  // After any (re)connect the server may have lost our rooms or missed us updates: resync all.
  #onConnect = (): void => {
    this.connected = true;
    this.error = null;
    this.#subscribe(this.#roomNames);
  };

  #onDisconnect = (): void => {
    this.connected = false;
    this.#pending.clear();
  };

  #onConnectError = (err: Error): void => {
    this.connected = false;
    this.error = err.message;
  };

  #onMessage = (message: RoomMessage): void => {
    const current = this.#rooms[message.room];
    if (!this.#roomNames.includes(message.room) || this.#pending.has(message.room)) return;
    if (message.full) {
      this.#apply(message);
    } else if (current === undefined || message.seq > current.seq + 1) {
      // A missed update leaves some scope wrong until it changes again: fetch the whole room anew.
      this.#subscribe([message.room]);
    } else if (message.seq === current.seq + 1) {
      this.#apply(message);
    }
    // Older or repeated messages (seq <= current) carry nothing new.
  };

  #subscribe(rooms: readonly string[]): void {
    const id = ++this.#requestId;
    for (const room of rooms) this.#pending.set(room, id);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      const unanswered = rooms.filter((room) => this.#pending.get(room) === id);
      if (unanswered.length > 0 && this.#socket.connected) this.#subscribe(unanswered);
    }, this.#ackTimeoutMs);
    this.#timers.add(timer);
    this.#socket.emit('kpi:subscribe', { rooms: [...rooms] }, (result: Ack<RoomMessage[]>) => {
      if (!result.ok) {
        this.error = result.error;
        return;
      }
      for (const message of result.data) {
        if (this.#pending.get(message.room) !== id) continue;
        this.#pending.delete(message.room);
        this.#apply({ ...message, full: true });
      }
    });
  }

  #apply(message: RoomMessage): void {
    const previous = this.#rooms[message.room];
    const scopes = message.full || previous === undefined ? {} : { ...previous.scopes };
    for (const scope of message.scopes) {
      // Updates between refreshes carry no targets: keep the scope's last ones.
      const kept = scope.targets === undefined ? previous?.scopes[scope.scope]?.targets : undefined;
      scopes[scope.scope] = kept === undefined ? scope : { ...scope, targets: kept };
    }
    this.#rooms = { ...this.#rooms, [message.room]: { seq: message.seq, asOf: message.asOf, scopes } };
    this.nowMs = this.#now();
    this.lastMessageAtMs = this.nowMs;
    this.clockOffsetMs = message.asOf - this.nowMs;
  }
}
