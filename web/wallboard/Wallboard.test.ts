/**
 * The page as a screen shows it: figures from the snapshot, then from updates, and a visible
 * warning when the feed goes quiet.
 */
import { render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KpiFeed } from '../lib/kpi-feed.svelte.ts';
import { FakeSocket, roomMessage, scopeKpis } from '../testing/fake-socket.ts';
import { WALLBOARD_ROOMS } from './rooms.ts';
import Wallboard from './Wallboard.svelte';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0); // 10:00 in Shanghai

describe('Wallboard', () => {
  let socket: FakeSocket;
  let feed: KpiFeed;
  let nowMs: number;

  beforeEach(() => {
    vi.useFakeTimers();
    nowMs = T0;
    socket = new FakeSocket();
    feed = new KpiFeed(socket.asFeedSocket(), WALLBOARD_ROOMS, { now: () => nowMs });
    feed.start();
  });

  afterEach(() => {
    feed.stop();
    vi.useRealTimers();
  });

  function main(): HTMLElement {
    return screen.getByRole('main');
  }

  function tile(kpi: string): HTMLElement {
    return main().querySelector<HTMLElement>(`.tiles [data-kpi="${kpi}"]`)!;
  }

  function connectWithSnapshot(): void {
    socket.connect();
    const request = socket.subscribes[0];
    request.ack({
      ok: true,
      data: [
        roomMessage('centre@today', 3, [scopeKpis('centre', { answered: 19, answeredInSl: 19, abandoned: 1 }, { inQueue: 2, oldestWaitingTsMs: T0 - 42_000 })], { full: true, asOf: T0 }),
        roomMessage('centre@15m', 3, [scopeKpis('centre', { answered: 4, answeredInSl: 3 })], { full: true, asOf: T0 }),
        roomMessage('queue:*@today', 3, [scopeKpis('queue:general', { answered: 19, answeredInSl: 19, abandoned: 1 }, { inQueue: 2 })], { full: true, asOf: T0 }),
      ],
    });
    flushSync();
  }

  it('waits for the snapshot, then shows it and says it is ready', () => {
    render(Wallboard, { feed, lang: 'en', timeZone: 'Asia/Shanghai' });
    expect(main()).toHaveAttribute('data-ready', 'false');
    expect(tile('serviceLevel')).toHaveTextContent('No data');
    expect(screen.getByRole('status')).toHaveTextContent('Connecting');

    connectWithSnapshot();
    expect(main()).toHaveAttribute('data-ready', 'true');
    expect(main()).toHaveAttribute('data-seq', '3');
    expect(tile('inQueue')).toHaveTextContent('2');
    expect(tile('longestWaitSec')).toHaveTextContent('42s');
    expect(tile('serviceLevel')).toHaveTextContent(/^Service level\s*95\.0%/);
    expect(tile('serviceLevel')).toHaveAttribute('data-status', 'green');
    expect(tile('serviceLevel')).toHaveTextContent('Last 15 min 75.0%');
    expect(screen.getByRole('rowheader', { name: 'General' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Live');
    expect(screen.getByRole('time')).toHaveTextContent('10:00:00');
  });

  it('follows updates and ticks the longest wait between them', () => {
    render(Wallboard, { feed, lang: 'zh-CN', timeZone: 'Asia/Shanghai' });
    connectWithSnapshot();
    socket.serverEmit(
      'kpi:update',
      roomMessage('centre@today', 4, [scopeKpis('centre', { answered: 19, answeredInSl: 19, abandoned: 5 }, { inQueue: 2, oldestWaitingTsMs: T0 - 42_000 })]),
    );
    flushSync();
    expect(main()).toHaveAttribute('data-seq', '4');
    expect(tile('abandonRate')).toHaveAttribute('data-status', 'red');
    expect(tile('abandonRate')).toHaveTextContent('20.8%');

    nowMs += 20_000;
    vi.advanceTimersByTime(1_000);
    flushSync();
    expect(tile('longestWaitSec')).toHaveTextContent('1:02');
    expect(tile('longestWaitSec')).toHaveAttribute('data-status', 'amber');
  });

  it('warns when the data gets old', () => {
    render(Wallboard, { feed, lang: 'en', timeZone: 'Asia/Shanghai' });
    connectWithSnapshot();
    nowMs += 8_000;
    vi.advanceTimersByTime(1_000);
    flushSync();
    expect(screen.getByRole('status')).toHaveTextContent('Data is 8 s old');
    expect(main()).toHaveAttribute('data-connection', 'stale');
  });

  it('shows a team no queue outcome: "—" where a site would show answer rate and waits, its answered counted', () => {
    const rooms = ['team:t1@today', 'team:t1@15m', 'queue:*@today'];
    const teamFeed = new KpiFeed(socket.asFeedSocket(), rooms, { now: () => nowMs });
    teamFeed.start();
    render(Wallboard, { feed: teamFeed, lang: 'en', timeZone: 'Asia/Shanghai', scope: 'team:t1' });
    socket.connect();
    // Even were a wait reported for it, a team has no longest wait (waits belong to queues).
    const team = scopeKpis('team:t1', { answered: 19, answeredInSl: 18, answerWaitSec: 190, handled: 19, handleSec: 5700 }, { inQueue: 1, oldestWaitingTsMs: T0 - 42_000 });
    socket.subscribes.at(-1)!.ack({
      ok: true,
      data: [
        roomMessage('team:t1@today', 1, [team], { full: true, asOf: T0 }),
        roomMessage('team:t1@15m', 1, [scopeKpis('team:t1', { answered: 2 })], { full: true, asOf: T0 }),
        roomMessage('queue:*@today', 1, [], { full: true, asOf: T0 }),
      ],
    });
    flushSync();
    for (const kpi of ['answerRate', 'serviceLevel', 'abandonRate', 'inQueue', 'longestWaitSec']) {
      expect(tile(kpi), kpi).toHaveTextContent('No data');
      expect(tile(kpi), kpi).not.toHaveTextContent('100');
    }
    expect(tile('asaSec')).toHaveTextContent('10');
    teamFeed.stop();
  });
});
