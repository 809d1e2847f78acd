/**
 * The intraday intervals over the socket (issue 10): `intervals:subscribe {scope}` answers with
 * today's intervals of the scope; from then on the socket hears `intervals:update` whenever the
 * current interval of that scope (or the one just ended, where late events still land) changes:
 * at most once a tick, and only when its figures differ from what was last sent. Each scope's
 * rows are built once per tick whatever the number of sockets on it (one Socket.IO room a scope).
 */
import type { Server } from 'socket.io';
import { intervalScopeError } from '../../shared/intervals.ts';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../../shared/socket-events.ts';
import { dayKey } from '../../shared/time.ts';
import type { Intraday } from '../reports/intraday.ts';
import type { KpiSocket } from './kpi-rooms.ts';

type FeedServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface IntervalFeedOptions {
  /** How often changes are looked for (default 250 ms, the KPI rooms' tick). */
  tickMs?: number;
  /** Scopes one socket may follow at once (default 20). */
  maxScopesPerSocket?: number;
}

const ROOM_PREFIX = 'intervals:';

export class IntervalFeed {
  /** Subscribed scope → what was last sent per interval start (its JSON). */
  private readonly scopes = new Map<string, Map<number, string>>();
  private readonly timer: NodeJS.Timeout;
  private readonly maxScopesPerSocket: number;

  constructor(
    private readonly io: FeedServer,
    private readonly intraday: Intraday,
    private readonly timeZone: string,
    private readonly clock: { now(): number },
    options: IntervalFeedOptions = {},
  ) {
    this.maxScopesPerSocket = options.maxScopesPerSocket ?? 20;
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 250);
    this.timer.unref();
    io.on('connection', (socket) => this.handle(socket));
  }

  close(): void {
    clearInterval(this.timer);
  }

  private handle(socket: KpiSocket): void {
    socket.on('intervals:subscribe', async (request, ack) => {
      if (typeof ack !== 'function') return;
      const scope = (request as { scope?: unknown } | null)?.scope;
      // The guard asked already; asked again here so the feed is safe on its own.
      const refused = intervalScopeError(socket.data.principal.role, scope);
      if (refused) return ack({ ok: false, error: refused.message });
      const name = scope as string;
      const joined = [...socket.rooms].filter((room) => room.startsWith(ROOM_PREFIX)).length;
      if (!socket.rooms.has(ROOM_PREFIX + name) && joined >= this.maxScopesPerSocket) {
        return ack({ ok: false, error: `scope: at most ${this.maxScopesPerSocket} scopes per connection` });
      }
      const today = dayKey(this.clock.now(), this.timeZone);
      if (!this.intraday.available(name, today)) return ack({ ok: false, error: 'scope: agents\' intervals need the store, and this server runs without one' });
      try {
        // Joined before the day is read: a change while it is read is then sent, not lost.
        this.follow(name);
        socket.join(ROOM_PREFIX + name);
        ack({ ok: true, data: await this.intraday.day(name, today) });
      } catch {
        // A store failure names files and paths: the screen hears only that it failed.
        socket.leave(ROOM_PREFIX + name);
        ack({ ok: false, error: 'intervals: could not be read from the store; try again' });
      }
    });
    socket.on('intervals:unsubscribe', (request, ack) => {
      const scope = (request as { scope?: unknown } | null)?.scope;
      if (typeof scope === 'string') socket.leave(ROOM_PREFIX + scope);
      if (typeof ack === 'function') ack({ ok: true, data: null });
    });
  }

  /** Starts watching a scope, taking its recent intervals as already sent (the subscriber reads them whole). */
  private follow(scope: string): void {
    if (this.scopes.has(scope)) return;
    const sent = new Map<number, string>();
    for (const { interval } of this.intraday.recent(scope)) sent.set(interval.startMs, JSON.stringify(interval));
    this.scopes.set(scope, sent);
  }

  /** Sends each followed scope's recent intervals that changed; forgets scopes nobody follows. */
  tick(): void {
    if (this.scopes.size === 0) return;
    // Every agent's recent episodes once, whatever the number of scopes followed.
    const agents = this.intraday.recentAgents();
    for (const [scope, sent] of this.scopes) {
      if (!this.io.sockets.adapter.rooms.get(ROOM_PREFIX + scope)?.size) {
        this.scopes.delete(scope);
        continue;
      }
      const recent = this.intraday.recent(scope, agents);
      for (const { day, interval } of recent) {
        const json = JSON.stringify(interval);
        if (sent.get(interval.startMs) === json) continue;
        sent.set(interval.startMs, json);
        this.io.to(ROOM_PREFIX + scope).emit('intervals:update', { scope, day, interval });
      }
      // Only the intervals still recent are compared again.
      for (const start of sent.keys()) if (!recent.some((r) => r.interval.startMs === start)) sent.delete(start);
    }
  }
}
