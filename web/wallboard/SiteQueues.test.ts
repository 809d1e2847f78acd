/**
 * A site's TV (`/wall?scope=site:X`, issue 10) lists that site's queues (`site:X/queue:*`) in its
 * queue table and queue board, by the queue's name, with the site's own figures for each; a
 * centre TV still lists the centre's queues.
 */
import { render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Layout } from '../../shared/layouts.ts';
import { KpiFeed } from '../lib/kpi-feed.svelte.ts';
import { FakeSocket, roomMessage, scopeKpis } from '../testing/fake-socket.ts';
import { queuesRoomFor, roomsFor } from './rooms.ts';
import Wallboard from './Wallboard.svelte';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0); // 10:00 in Shanghai

describe('queuesRoomFor', () => {
  it("lists a site's own queues on a site's screen, the centre's elsewhere", () => {
    expect(queuesRoomFor('site:hz')).toBe('site:hz/queue:*@today');
    expect(queuesRoomFor('site:hz/queue:vip')).toBe('site:hz/queue:*@today');
    expect(queuesRoomFor('centre')).toBe('queue:*@today');
    expect(queuesRoomFor('queue:vip')).toBe('queue:*@today');
    expect(queuesRoomFor('team:t1')).toBe('queue:*@today');
    expect(roomsFor(['overview', 'queues'], 'site:hz')).toEqual(['site:hz@today', 'site:hz@15m', 'site:hz/queue:*@today']);
  });
});

describe("a site's wallboard", () => {
  let socket: FakeSocket;
  let feed: KpiFeed;

  function start(scope: string, layouts: Layout[]): string[] {
    socket = new FakeSocket();
    const rooms = roomsFor(layouts, scope);
    feed = new KpiFeed(socket.asFeedSocket(), rooms, { now: () => T0 });
    feed.start();
    render(Wallboard, { feed, lang: 'en', timeZone: 'Asia/Shanghai', scope, layouts });
    socket.connect();
    return rooms;
  }

  /** What the server holds: hz serves general and vip, nb serves general and complaints. */
  function answer(rooms: string[]): void {
    const byRoom: Record<string, ReturnType<typeof scopeKpis>[]> = {
      'site:hz@today': [scopeKpis('site:hz', { answered: 10, answeredInSl: 9 }, { inQueue: 3 })],
      'site:hz@15m': [scopeKpis('site:hz', { answered: 2, answeredInSl: 2 })],
      'site:hz/queue:*@today': [
        scopeKpis('site:hz/queue:vip', { answered: 4, answeredInSl: 4 }, { inQueue: 1 }),
        scopeKpis('site:hz/queue:general', { answered: 6, answeredInSl: 5 }, { inQueue: 2 }),
      ],
      'centre@today': [scopeKpis('centre', { answered: 20, answeredInSl: 17 }, { inQueue: 7 })],
      'centre@15m': [scopeKpis('centre', { answered: 3, answeredInSl: 3 })],
      'queue:*@today': [
        scopeKpis('queue:general', { answered: 12, answeredInSl: 10 }, { inQueue: 5 }),
        scopeKpis('queue:vip', { answered: 4, answeredInSl: 4 }, { inQueue: 1 }),
        scopeKpis('queue:complaints', { answered: 4, answeredInSl: 3 }, { inQueue: 1 }),
      ],
    };
    socket.subscribes[0].ack({ ok: true, data: rooms.map((room) => roomMessage(room, 1, byRoom[room] ?? [], { full: true, asOf: T0 })) });
    flushSync();
  }

  const rowNames = () => screen.getAllByRole('rowheader').map((th) => th.textContent);
  // The count itself; its status icon follows it (in queue has a threshold, issue 14).
  const inQueueOf = (queue: string) => document.querySelector(`tr[data-queue="${queue}"] [data-kpi="inQueue"] .num`)?.textContent?.trim();

  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    feed.stop();
    vi.useRealTimers();
  });

  it('queue board: only the queues of the site, by name, with the site’s figures', () => {
    const rooms = start('site:hz', ['queues']);
    expect(socket.subscribes[0].rooms).toEqual(['site:hz@today', 'site:hz/queue:*@today']);
    answer(rooms);
    expect(rowNames()).toEqual(['General', 'VIP members']);
    // hz's own general queue (2 waiting), not the centre's (5).
    expect(inQueueOf('general')).toBe('2');
    expect(screen.queryByRole('rowheader', { name: 'Complaints' })).toBeNull();
  });

  it('overview: the queue table lists the site’s queues too', () => {
    const rooms = start('site:hz', ['overview']);
    answer(rooms);
    expect(rowNames()).toEqual(['General', 'VIP members']);
    expect(inQueueOf('vip')).toBe('1');
  });

  it('a centre screen still lists every queue of the centre', () => {
    const rooms = start('centre', ['queues']);
    answer(rooms);
    expect(rowNames()).toEqual(['General', 'VIP members', 'Complaints']);
    expect(inQueueOf('general')).toBe('5');
  });
});
