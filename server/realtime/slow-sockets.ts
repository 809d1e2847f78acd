/**
 * Screens that do not read (issue 12, finding 5). Socket.IO queues every packet for a socket
 * whose TCP send buffer is full (engine.io's write buffer, then the WebSocket's), so a client
 * that stops reading would hold every update sent to it until its ping timeout. Each tick the
 * rooms ask here first: a socket still draining its last updates is skipped (it gets a full
 * snapshot of each room, the latest state, once it has drained), and one whose backlog passes
 * a small limit, or that has not drained for a while, is dropped (its screen reconnects).
 */
import type { Socket } from 'socket.io';

/** What a socket has queued but not yet handed to the kernel. */
export interface Backlog {
  /** Bytes queued in the process (an estimate for packets not yet encoded). */
  bytes: number;
  /** Whether earlier packets are still on their way (sending more would only queue them). */
  draining: boolean;
}

/** The parts of engine.io's socket and transports read here (not in their public typings). */
interface EngineConn {
  writeBuffer?: Array<{ data?: unknown; options?: { wsPreEncodedFrame?: ArrayLike<unknown>[] } }>;
  transport?: {
    name?: string;
    writable?: boolean;
    /** The `ws` WebSocket of the websocket transport. */
    socket?: { bufferedAmount?: number; terminate?: () => void };
  };
}

/** A packet not yet encoded: its text length, or a kilobyte for anything else. */
function packetBytes(packet: { data?: unknown; options?: { wsPreEncodedFrame?: ArrayLike<unknown>[] } }): number {
  const frame = packet.options?.wsPreEncodedFrame;
  if (frame) {
    let total = 0;
    for (const part of frame as Array<{ length?: number }>) total += part?.length ?? 0;
    return total;
  }
  return typeof packet.data === 'string' ? packet.data.length : 1024;
}

export function backlogOf(socket: Socket): Backlog {
  const conn = socket.conn as unknown as EngineConn;
  const queued = conn.writeBuffer ?? [];
  let bytes = 0;
  for (const packet of queued) bytes += packetBytes(packet);
  const transport = conn.transport;
  const ws = transport?.name === 'websocket' ? transport.socket : undefined;
  bytes += ws?.bufferedAmount ?? 0;
  // Packets waiting for the transport, or bytes the kernel has not taken yet: still draining.
  // (A websocket's last send awaiting its callback is not: the kernel has taken it all.)
  const draining = queued.length > 0 || (ws?.bufferedAmount ?? 0) > 0;
  return { bytes, draining };
}

/**
 * Drops a socket at once, with what it has queued: the WebSocket is terminated (a clean close
 * would wait for the queue to drain, which it never does); a polling one is disconnected.
 */
export function dropSocket(socket: Socket): void {
  const conn = socket.conn as unknown as EngineConn;
  const ws = conn.transport?.name === 'websocket' ? conn.transport.socket : undefined;
  if (ws?.terminate) ws.terminate();
  else socket.disconnect(true);
}

export interface SlowSocketLimits {
  /** Bytes a socket may have queued before it is dropped. */
  maxBufferedBytes: number;
  /** How long a socket may go on draining (skipped every tick) before it is dropped. */
  maxDrainingMs: number;
}

export const DEFAULT_SLOW_SOCKET_LIMITS: SlowSocketLimits = { maxBufferedBytes: 1024 * 1024, maxDrainingMs: 15_000 };

/** Which sockets a tick skips, which it drops, and which are due a full snapshot again. */
export class SlowSockets {
  /** Since when (real time) each skipped socket has been draining. */
  private readonly behind = new Map<string, number>();
  /** Sockets dropped so far (for /metrics and tests). */
  dropped = 0;

  constructor(
    private readonly limits: SlowSocketLimits = DEFAULT_SLOW_SOCKET_LIMITS,
    /** Real time in ms (a test's own). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Checks the sockets in rooms: returns the ids to leave out of this tick and calls
   * `caughtUp` for those that drained since they were left out (they need the latest state).
   */
  check(sockets: Iterable<Socket>, caughtUp: (socket: Socket) => void): string[] {
    const skip: string[] = [];
    const nowMs = this.now();
    for (const socket of sockets) {
      // Only sockets in a room of their own and another get room updates.
      if (socket.rooms.size <= 1 && !this.behind.has(socket.id)) continue;
      const backlog = backlogOf(socket);
      const since = this.behind.get(socket.id);
      if (backlog.bytes > this.limits.maxBufferedBytes || (backlog.draining && since !== undefined && nowMs - since > this.limits.maxDrainingMs)) {
        this.behind.delete(socket.id);
        this.dropped++;
        dropSocket(socket);
        continue;
      }
      if (backlog.draining) {
        if (since === undefined) this.behind.set(socket.id, nowMs);
        skip.push(socket.id);
      } else if (since !== undefined) {
        this.behind.delete(socket.id);
        caughtUp(socket);
      }
    }
    return skip;
  }

  forget(socketId: string): void {
    this.behind.delete(socketId);
  }
}
