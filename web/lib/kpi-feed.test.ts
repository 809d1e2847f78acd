/**
 * The feed shows exactly the server's state: snapshot, then updates in sequence; a missed
 * update or a reconnect makes it fetch fresh snapshots instead of showing a wrong figure.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket, roomMessage, scopeKpis } from '../testing/fake-socket.ts';
import { KpiFeed } from './kpi-feed.svelte.ts';

const ROOMS = ['centre@today', 'queue:*@today'];
const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);

describe('KpiFeed', () => {
  let socket: FakeSocket;
  let nowMs: number;
  let feed: KpiFeed;

  beforeEach(() => {
    vi.useFakeTimers();
    nowMs = T0;
    socket = new FakeSocket();
    feed = new KpiFeed(socket.asFeedSocket(), ROOMS, { now: () => nowMs });
    feed.start();
  });

  afterEach(() => {
    feed.stop();
    vi.useRealTimers();
  });

  /** Answers the last subscribe with snapshots at `seq` for each of its rooms. */
  function answerSubscribe(seq: number, inQueue = 1): void {
    const request = socket.subscribes.at(-1)!;
    request.ack({
      ok: true,
      data: request.rooms.map((room) =>
        roomMessage(room, seq, [scopeKpis(room.startsWith('queue') ? 'queue:general' : 'centre', {}, { inQueue })], { full: true }),
      ),
    });
  }

  it('subscribes to every room on connect and is ready once the snapshots arrive', () => {
    expect(feed.connection).toBe('connecting');
    socket.connect();
    expect(socket.subscribes).toHaveLength(1);
    expect(socket.subscribes[0].rooms).toEqual(ROOMS);
    expect(feed.ready).toBe(false);

    answerSubscribe(7, 3);
    expect(feed.ready).toBe(true);
    expect(feed.connection).toBe('live');
    expect(feed.seq('centre@today')).toBe(7);
    expect(feed.scope('centre@today', 'centre')?.kpis.inQueue.value).toBe(3);
    expect(feed.scopes('queue:*@today').map((s) => s.scope)).toEqual(['queue:general']);
  });

  it('keeps a scope\'s targets through updates that carry none, and takes new ones when they come', () => {
    socket.connect();
    const request = socket.subscribes.at(-1)!;
    const strict = { serviceLevel: { target: 0.97, amber: 0.97, red: 0.95, kind: 'min' as const } };
    const looser = { serviceLevel: { target: 0.8, amber: 0.8, red: 0.7, kind: 'min' as const } };
    request.ack({ ok: true, data: request.rooms.map((room) => roomMessage(room, 1, [{ ...scopeKpis('centre', {}, { inQueue: 1 }), targets: strict }], { full: true })) });
    socket.serverEmit('kpi:update', roomMessage('centre@today', 2, [scopeKpis('centre', {}, { inQueue: 4 })]));
    expect(feed.scope('centre@today', 'centre')?.kpis.inQueue.value).toBe(4);
    expect(feed.scope('centre@today', 'centre')?.targets).toEqual(strict);
    socket.serverEmit('kpi:update', roomMessage('centre@today', 3, [{ ...scopeKpis('centre', {}, { inQueue: 5 }), targets: looser }]));
    expect(feed.scope('centre@today', 'centre')?.targets).toEqual(looser);
  });

  it('applies updates in sequence, replacing only the scopes they carry', () => {
    socket.connect();
    answerSubscribe(7);
    socket.serverEmit('kpi:update', roomMessage('queue:*@today', 8, [scopeKpis('queue:vip', {}, { inQueue: 2 })]));
    expect(feed.scopes('queue:*@today').map((s) => [s.scope, s.kpis.inQueue.value])).toEqual([
      ['queue:general', 1],
      ['queue:vip', 2],
    ]);
    socket.serverEmit('kpi:update', roomMessage('queue:*@today', 9, [scopeKpis('queue:general', {}, { inQueue: 0 })]));
    expect(feed.scope('queue:*@today', 'queue:general')?.kpis.inQueue.value).toBe(0);
    expect(feed.scope('queue:*@today', 'queue:vip')?.kpis.inQueue.value).toBe(2);
    expect(feed.seq('queue:*@today')).toBe(9);
  });

  it('ignores a repeated or older update', () => {
    socket.connect();
    answerSubscribe(7, 3);
    socket.serverEmit('kpi:update', roomMessage('centre@today', 7, [scopeKpis('centre', {}, { inQueue: 99 })]));
    expect(feed.scope('centre@today', 'centre')?.kpis.inQueue.value).toBe(3);
    expect(socket.subscribes).toHaveLength(1);
  });

  it('re-subscribes the room on a sequence gap and ignores its updates until the fresh snapshot', () => {
    socket.connect();
    answerSubscribe(7, 3);
    socket.serverEmit('kpi:update', roomMessage('centre@today', 9, [scopeKpis('centre', {}, { inQueue: 5 })]));
    expect(socket.subscribes).toHaveLength(2);
    expect(socket.subscribes[1].rooms).toEqual(['centre@today']);
    // Not applied: with update 8 missing, some other scope may be wrong.
    expect(feed.scope('centre@today', 'centre')?.kpis.inQueue.value).toBe(3);

    socket.serverEmit('kpi:update', roomMessage('centre@today', 10, [scopeKpis('centre', {}, { inQueue: 6 })]));
    expect(socket.subscribes).toHaveLength(2);

    answerSubscribe(10, 6);
    expect(feed.seq('centre@today')).toBe(10);
    socket.serverEmit('kpi:update', roomMessage('centre@today', 11, [scopeKpis('centre', {}, { inQueue: 4 })]));
    expect(feed.scope('centre@today', 'centre')?.kpis.inQueue.value).toBe(4);
  });

  it('shows data as stale after 5 s without a message, and live again on the next one', () => {
    socket.connect();
    answerSubscribe(1);
    nowMs += 5_000;
    vi.advanceTimersByTime(5_000);
    expect(feed.connection).toBe('live');
    nowMs += 1_000;
    vi.advanceTimersByTime(1_000);
    expect(feed.connection).toBe('stale');
    expect(feed.ageSec).toBe(6);

    socket.serverEmit('kpi:update', roomMessage('centre@today', 2, []));
    expect(feed.connection).toBe('live');
    expect(feed.ageSec).toBe(0);
  });

  it('shows the disconnection and re-subscribes everything after a reconnect', () => {
    socket.connect();
    answerSubscribe(4);
    socket.disconnect();
    expect(feed.connection).toBe('offline');
    // The last figures stay on screen (marked offline) rather than blanking the board.
    expect(feed.scope('centre@today', 'centre')).not.toBeNull();

    socket.connect();
    expect(socket.subscribes).toHaveLength(2);
    expect(socket.subscribes[1].rooms).toEqual(ROOMS);
    // A room whose only screen left restarts its numbering: the new snapshot wins.
    answerSubscribe(0, 8);
    expect(feed.seq('centre@today')).toBe(0);
    expect(feed.scope('centre@today', 'centre')?.kpis.inQueue.value).toBe(8);
    expect(feed.connection).toBe('live');
  });

  it('asks again when a subscribe gets no answer', () => {
    socket.connect();
    vi.advanceTimersByTime(5_000);
    expect(socket.subscribes).toHaveLength(2);
    expect(socket.subscribes[1].rooms).toEqual(ROOMS);
    // A late answer to the first request is not applied over the second one's.
    socket.subscribes[0].ack({ ok: true, data: [roomMessage('centre@today', 3, [], { full: true })] });
    expect(feed.seq('centre@today')).toBeNull();
  });

  it('reports an unauthorized display link', () => {
    socket.serverEmit('connect_error', new Error('unauthorized'));
    expect(feed.connection).toBe('unauthorized');
  });

  it('follows the server clock for the longest wait, whatever the TV clock says', () => {
    socket.connect();
    const request = socket.subscribes[0];
    // The TV is 90 s behind the server.
    request.ack({ ok: true, data: [roomMessage('centre@today', 1, [], { full: true, asOf: T0 + 90_000 })] });
    expect(feed.serverNowMs).toBe(T0 + 90_000);
    nowMs += 2_000;
    vi.advanceTimersByTime(1_000);
    expect(feed.serverNowMs).toBe(T0 + 92_000);
  });

  it('stops listening on stop', () => {
    expect(socket.listenerCount()).toBeGreaterThan(0);
    feed.stop();
    expect(socket.listenerCount()).toBe(0);
  });
});
