/**
 * What the floor sees of the screen state: alerts with scope and age, broadcasts until they
 * expire, visitor mode hiding staffing, the agent board ticking locally and marking not-ready
 * beyond five minutes, layouts rotating on a timer, and a reload when a new build is deployed.
 */
import { render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert, AgentBoard, Broadcast, ScreenState } from '../../shared/alerts.ts';
import { KpiFeed } from '../lib/kpi-feed.svelte.ts';
import { resetOrg, setOrg } from '../lib/org.svelte.ts';
import { ScreenFeed } from '../lib/screen-feed.svelte.ts';
import { FakeSocket, roomMessage, scopeKpis } from '../testing/fake-socket.ts';
import { roomsFor } from './rooms.ts';
import Wallboard from './Wallboard.svelte';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0); // 10:00 in Shanghai

function alert(fields: Partial<Alert>): Alert {
  return { id: 'A1', rule: 'threshold', kpi: 'serviceLevel', scope: 'queue:complaints', raisedAt: T0 - 3 * 60_000, clearedAt: null, value: 0.62, worst: 0.62, limit: 0.8, ackedBy: null, ackedAt: null, ...fields };
}

function state(fields: Partial<ScreenState>): ScreenState {
  return { screen: 'floor-1', assigned: null, visitor: false, agentBoard: true, broadcasts: [], alerts: [], buildId: 'b1', ...fields };
}

describe('Wallboard screen state', () => {
  let socket: FakeSocket;
  let feed: KpiFeed;
  let screenFeed: ScreenFeed;
  let nowMs: number;
  let reloads: number;

  beforeEach(() => {
    vi.useFakeTimers();
    nowMs = T0;
    reloads = 0;
    socket = new FakeSocket();
    const rooms = roomsFor(['overview', 'queues', 'agents', 'alerts'], 'centre');
    feed = new KpiFeed(socket.asFeedSocket(), rooms, { now: () => nowMs });
    screenFeed = new ScreenFeed(socket.asFeedSocket(), { scope: 'centre', agentBoard: true, onNewBuild: () => reloads++ });
    feed.start();
    screenFeed.start();
    socket.connect();
    socket.subscribes[0].ack({
      ok: true,
      data: rooms.map((room) =>
        roomMessage(room, 1, room === 'queue:*@today'
          ? [scopeKpis('queue:complaints', { answered: 5, answeredInSl: 3 }, { agents: { ready: 1, busy: 4, acw: 0, not_ready: 2 } })]
          : [scopeKpis('centre', { answered: 20, answeredInSl: 19 }, { agents: { ready: 3, busy: 9, acw: 1, not_ready: 2 } })], { full: true, asOf: T0 }),
      ),
    });
    flushSync();
  });

  afterEach(() => {
    feed.stop();
    screenFeed.stop();
    vi.useRealTimers();
  });

  function serverState(fields: Partial<ScreenState>): void {
    socket.serverEmit('screen:state', state(fields));
    flushSync();
  }

  function banner(): HTMLElement {
    return document.querySelector<HTMLElement>('[data-banner]')!;
  }

  it('joins with its scope and shows the newest alert with scope, time and age', () => {
    render(Wallboard, { feed, lang: 'en', timeZone: 'Asia/Shanghai', screen: screenFeed });
    expect(socket.emitted[0].event).toBe('screen:join');
    expect(socket.emitted[0].args[0]).toEqual({ scope: 'centre', agentBoard: true });
    expect(banner()).toHaveAttribute('data-banner', 'none');
    expect(banner()).toHaveTextContent('No alerts');

    serverState({ alerts: [alert({}), alert({ id: 'A0', kpi: 'abandonRate', scope: 'centre' })] });
    expect(banner()).toHaveAttribute('data-banner', 'alert');
    expect(banner()).toHaveTextContent(/Service level below 80\.0% \(62\.0%\)\s*Complaints\s*since 09:57 · 3 min\s*\+1/);
    serverState({ alerts: [] });
    expect(banner()).toHaveTextContent('No alerts');
  });

  it('shows a broadcast over the alerts until it expires, by the server clock', () => {
    render(Wallboard, { feed, lang: 'zh-CN', timeZone: 'Asia/Shanghai', screen: screenFeed });
    const broadcast: Broadcast = { id: 'B1', text: '系统故障，统一口径：预计 30 分钟内恢复', screens: 'all', sentAt: T0, sentBy: 'duty', expiresAt: T0 + 60_000, withdrawnAt: null };
    serverState({ broadcasts: [broadcast], alerts: [alert({})] });
    expect(banner()).toHaveAttribute('data-banner', 'broadcast');
    expect(banner()).toHaveTextContent('系统故障，统一口径：预计 30 分钟内恢复');
    expect(banner()).toHaveTextContent('✖ 1');
    // No word from the server: the screen still drops it at its expiry.
    nowMs += 61_000;
    vi.advanceTimersByTime(1_000);
    flushSync();
    expect(banner()).toHaveAttribute('data-banner', 'alert');
  });

  it('hides agent counts, staffing columns and staffing alerts in visitor mode', () => {
    render(Wallboard, { feed, lang: 'en', timeZone: 'Asia/Shanghai', screen: screenFeed });
    expect(document.querySelector('.agents')).not.toBeNull();
    expect(screen.getByRole('columnheader', { name: 'Ready/Busy' })).toBeInTheDocument();
    const staffing = alert({ id: 'A2', rule: 'no-agents-ready', kpi: undefined, scope: 'centre', value: 3 });
    serverState({ visitor: true, agentBoard: false, alerts: [staffing] });
    expect(screen.getByRole('main')).toHaveAttribute('data-visitor', 'true');
    expect(document.querySelector('.agents')).toBeNull();
    expect(screen.queryByRole('columnheader', { name: 'Ready/Busy' })).toBeNull();
    expect(banner()).toHaveTextContent('No alerts');
    expect(screen.getByText('Visitor mode')).toBeInTheDocument();
    expect(document.querySelector('.tiles [data-kpi="serviceLevel"]')).toHaveTextContent('95.0%');
  });

  it('rotates through its layouts on the timer', () => {
    render(Wallboard, { feed, lang: 'en', timeZone: 'Asia/Shanghai', screen: screenFeed, layouts: ['overview', 'queues', 'alerts'], rotateSec: 10 });
    const main = screen.getByRole('main');
    expect(main).toHaveAttribute('data-layout', 'overview');
    vi.advanceTimersByTime(10_000);
    flushSync();
    expect(main).toHaveAttribute('data-layout', 'queues');
    expect(screen.getByRole('columnheader', { name: 'Not ready' })).toBeInTheDocument();
    vi.advanceTimersByTime(20_000);
    flushSync();
    expect(main).toHaveAttribute('data-layout', 'overview');
  });

  it('ticks time in state locally and marks not-ready beyond five minutes', () => {
    render(Wallboard, { feed, lang: 'en', timeZone: 'Asia/Shanghai', screen: screenFeed, layouts: ['agents'] });
    serverState({});
    const board: AgentBoard = {
      asOf: T0,
      total: 2,
      agents: [
        { agentId: 'wang.fang', state: 'not_ready', sinceMs: T0 - 290_000, reason: 'training', team: 'red', site: 'hz', contactSinceMs: null },
        { agentId: 'li.lei', state: 'busy', sinceMs: T0 - 30_000, reason: null, team: 'red', site: 'hz', contactSinceMs: T0 - 30_000 },
      ],
    };
    socket.serverEmit('agents:board', board);
    flushSync();
    const row = (id: string) => document.querySelector<HTMLElement>(`[data-agent="${id}"]`)!;
    expect(row('wang.fang')).toHaveAttribute('data-over-limit', 'false');
    // Not ready with a reason: the reason says more than the state word (the colour says that).
    expect(row('wang.fang')).toHaveTextContent(/wang\.fang\s*Training\s*4:50/);
    expect(row('li.lei')).toHaveTextContent(/li\.lei\s*Busy\s*30s/);

    nowMs += 15_000;
    vi.advanceTimersByTime(1_000);
    flushSync();
    expect(row('wang.fang')).toHaveAttribute('data-over-limit', 'true');
    expect(row('wang.fang')).toHaveTextContent('5:05');
    expect(screen.getByRole('img', { name: 'over limit' })).toHaveTextContent('✖');
    expect(row('li.lei')).toHaveTextContent(/Busy\s*45s/);

    // Visitor mode: the names leave the screen with the state that says so.
    serverState({ visitor: true, agentBoard: false });
    expect(row('wang.fang')).toBeNull();
    expect(screen.getByText('Visitor mode: internal figures hidden')).toBeInTheDocument();
  });

  it('shows agents by name, not by id, once the directory names them', () => {
    setOrg({ revision: 1, entries: [{ kind: 'agent', id: 'wang.fang', zh: '王芳', en: 'Wang Fang', source: 'admin' }] });
    try {
      render(Wallboard, { feed, lang: 'zh-CN', timeZone: 'Asia/Shanghai', screen: screenFeed, layouts: ['agents'] });
      serverState({});
      const board: AgentBoard = {
        asOf: T0,
        total: 1,
        agents: [{ agentId: 'wang.fang', state: 'ready', sinceMs: T0 - 5_000, reason: null, team: null, site: null, contactSinceMs: null }],
      };
      socket.serverEmit('agents:board', board);
      flushSync();
      const card = document.querySelector<HTMLElement>('[data-agent="wang.fang"]')!;
      expect(card.querySelector('.name')).toHaveTextContent('王芳');
      expect(card).not.toHaveTextContent('wang.fang');
      expect(card).toHaveTextContent(/空闲\s*5秒/);
    } finally {
      resetOrg();
    }
  });

  it('says when the agent board is not assigned to this screen', () => {
    render(Wallboard, { feed, lang: 'zh-CN', timeZone: 'Asia/Shanghai', screen: screenFeed, layouts: ['agents'] });
    serverState({ agentBoard: false });
    expect(screen.getByText('此屏幕未分配坐席看板')).toBeInTheDocument();
  });

  it('reloads itself when the server runs a new build, and not before', () => {
    serverState({ buildId: 'b1' });
    serverState({ buildId: 'b1' });
    expect(reloads).toBe(0);
    serverState({ buildId: 'b2' });
    expect(reloads).toBe(1);
  });
});
