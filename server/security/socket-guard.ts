/**
 * Socket checks (SPEC §7): the handshake authenticates with `auth.token` (display link, admin
 * token, session token) or the session cookie; every incoming event is checked again against
 * the role (a floor screen may not subscribe to team or agent rooms) and rate-limited per
 * socket. When a display link, session or account is revoked, the sockets it opened are cut at
 * once; their reconnect is then refused as `unauthorized`, which the wallboard shows.
 */
import type { Server, Socket } from 'socket.io';
import { can, canSeeScope, type Principal } from '../../shared/roles.ts';
import { parseRoom, type ClientToServerEvents, type InterServerEvents, type ServerToClientEvents, type SocketData } from '../../shared/socket-events.ts';
import type { Access } from './auth.ts';
import { sessionCookie } from './auth.ts';
import { intervalScopeError } from '../../shared/intervals.ts';
import { RateLimiter } from './rate-limit.ts';

type GuardedServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type GuardedSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Events a socket may send per second on average (bursts of twice that). */
const EVENTS_PER_SEC = 20;
/** How often open sockets are re-checked even without a revocation (sessions expire). */
const RECHECK_MS = 30_000;

/** The room names of a subscribe request that the role may not see, with their index. */
function forbiddenRooms(principal: Principal, request: unknown): string | null {
  const rooms = (request as { rooms?: unknown } | null)?.rooms;
  if (!Array.isArray(rooms)) return null;
  for (const [i, room] of rooms.entries()) {
    const parsed = typeof room === 'string' ? parseRoom(room) : null;
    if (parsed && !canSeeScope(principal.role, parsed.scope)) {
      return `rooms[${i}]: the ${principal.role} role sees centre, site, queue and channel figures only`;
    }
  }
  return null;
}

export function guardSockets(io: GuardedServer, access: Access): { screensOf(name: string): number; close(): void } {
  /** The credential each socket authenticated with, to re-check it later. */
  const credentials = new WeakMap<GuardedSocket, string>();
  const limiter = new RateLimiter(EVENTS_PER_SEC, EVENTS_PER_SEC * 2);

  const stillValid = (socket: GuardedSocket): boolean => {
    const principal = access.principalOfToken(credentials.get(socket));
    return principal !== null && principal.role === socket.data.principal.role && principal.name === socket.data.principal.name;
  };
  // Closing the transport (not `disconnect()`) lets the client reconnect and hear "unauthorized".
  const cut = (socket: GuardedSocket) => socket.conn.close();

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const credential = typeof token === 'string' && token !== '' ? token : sessionCookie(socket.handshake.headers.cookie);
    const principal = access.principalOfToken(credential);
    if (!principal || credential === undefined) return next(new Error('unauthorized'));
    socket.data.principal = principal;
    credentials.set(socket, credential);
    next();
  });

  io.on('connection', (socket) => {
    socket.use((packet, next) => {
      if (!stillValid(socket)) return cut(socket);
      const ack = packet.at(-1);
      const answer = (error: string) => (typeof ack === 'function' ? (ack as (r: unknown) => void)({ ok: false, error }) : undefined);
      if (limiter.take(socket.id) > 0) return answer('rate limit: too many messages on this connection; slow down');
      if (packet[0] === 'kpi:subscribe') {
        const forbidden = forbiddenRooms(socket.data.principal, packet[1]);
        if (forbidden) return answer(forbidden);
      }
      // The agents of a scope name people: not for floor screens.
      if (packet[0] === 'agents:subscribe' && !can(socket.data.principal.role, 'kpi:read-agents')) {
        return answer(`agents: the ${socket.data.principal.role} role sees centre, site, queue and channel figures only`);
      }
      // Intraday intervals: readers of the reports; team and agent scopes as for live figures.
      if (packet[0] === 'intervals:subscribe') {
        const refused = intervalScopeError(socket.data.principal.role, (packet[1] as { scope?: unknown } | null)?.scope);
        if (refused) return answer(refused.message);
      }
      next();
    });
  });

  const recheck = () => {
    for (const socket of io.sockets.sockets.values()) if (!stillValid(socket)) cut(socket);
  };
  const unsubscribe = access.onChange(recheck);
  const timer = setInterval(recheck, RECHECK_MS);
  timer.unref();

  return {
    screensOf(name) {
      let count = 0;
      for (const socket of io.sockets.sockets.values()) {
        const p = socket.data.principal;
        if (p?.role === 'display' && p.name === name) count++;
      }
      return count;
    },
    close() {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
