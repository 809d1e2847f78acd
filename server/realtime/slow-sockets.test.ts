import { describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io';
import { backlogOf, SlowSockets } from './slow-sockets.ts';

/** A stand-in for a Socket.IO socket on the websocket transport, with what it has queued. */
function fakeSocket(id: string, state: { queued?: string[]; writable?: boolean; buffered?: number; rooms?: number }) {
  const calls = { terminated: 0 };
  const socket = {
    id,
    rooms: new Set(Array.from({ length: state.rooms ?? 2 }, (_, i) => (i === 0 ? id : `room-${i}`))),
    conn: {
      writeBuffer: (state.queued ?? []).map((data) => ({ type: 'message', data })),
      transport: { name: 'websocket', writable: state.writable ?? true, socket: { bufferedAmount: state.buffered ?? 0, terminate: () => calls.terminated++ } },
    },
    disconnect: () => undefined,
  };
  return { socket: socket as unknown as Socket, raw: socket, calls };
}

describe('SlowSockets', () => {
  it('measures what a socket has queued and whether it is still draining', () => {
    expect(backlogOf(fakeSocket('a', {}).socket)).toEqual({ bytes: 0, draining: false });
    expect(backlogOf(fakeSocket('b', { queued: ['x'.repeat(100)], writable: false, buffered: 50 }).socket)).toEqual({ bytes: 150, draining: true });
  });

  it('skips a draining socket, sends it the latest state once drained, and drops one past the limits', () => {
    let now = 0;
    const slow = new SlowSockets({ maxBufferedBytes: 1000, maxDrainingMs: 5000 }, () => now);
    const healthy = fakeSocket('healthy', {});
    const lagging = fakeSocket('lagging', { writable: false, buffered: 10 });
    const flooded = fakeSocket('flooded', { writable: false, buffered: 5000 });
    const idle = fakeSocket('idle', { writable: false, buffered: 10, rooms: 1 });
    const caughtUp: string[] = [];
    const sockets = [healthy.socket, lagging.socket, flooded.socket, idle.socket];
    const check = () => slow.check(sockets, (s) => caughtUp.push(s.id));
    // Past the byte limit: dropped at once; draining: left out; not in a room: not looked at.
    expect(check()).toEqual(['lagging']);
    expect(flooded.calls.terminated).toBe(1);
    expect(slow.dropped).toBe(1);
    sockets.splice(sockets.indexOf(flooded.socket), 1);
    // Drained: sent in full again (once), and no longer left out.
    lagging.raw.conn.transport.writable = true;
    lagging.raw.conn.transport.socket.bufferedAmount = 0;
    expect(check()).toEqual([]);
    expect(caughtUp).toEqual(['lagging']);
    expect(check()).toEqual([]);
    expect(caughtUp).toEqual(['lagging']);
    // Draining again, and for longer than allowed: dropped.
    lagging.raw.conn.transport.writable = false;
    // (its last send not yet called back, but all taken by the kernel: not behind)
    expect(check()).toEqual([]);
    lagging.raw.conn.transport.socket.bufferedAmount = 10;
    expect(check()).toEqual(['lagging']);
    now = 4000;
    expect(check()).toEqual(['lagging']);
    now = 5001;
    expect(check()).toEqual([]);
    expect(lagging.calls.terminated).toBe(1);
    expect(healthy.calls.terminated).toBe(0);
    expect(slow.dropped).toBe(2);
  });
});
