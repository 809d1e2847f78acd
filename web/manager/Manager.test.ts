/**
 * The console's shell against a fake server and socket: a person signed in by cookie sees no
 * "open with a token" error and gets live figures with the level below; drilling changes the URL
 * and the rooms; someone neither signed in nor holding a token is told to sign in. The screens
 * tab keeps the broadcast and screen controls, with the link's token.
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../shared/alerts.ts';
import { FakeSocket, roomMessage, scopeKpis } from '../testing/fake-socket.ts';
import Manager from './Manager.svelte';
import { resetOrg, setOrg } from '../lib/org.svelte.ts';
import type { ScopeTree } from './types.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);
const ALERT: Alert = { id: 'A1', rule: 'threshold', kpi: 'serviceLevel', scope: 'queue:complaints', raisedAt: T0 - 120_000, clearedAt: null, value: 0.6, worst: 0.6, limit: 0.8, ackedBy: null, ackedAt: null };
const TREE: ScopeTree = {
  sites: [
    { scope: 'site:hangzhou', queues: ['site:hangzhou/queue:general', 'site:hangzhou/queue:value_added'], teams: ['team:hz-1'] },
    { scope: 'site:ningbo', queues: ['site:ningbo/queue:general'], teams: [] },
  ],
  queues: ['queue:general', 'queue:value_added'],
  teams: [{ scope: 'team:hz-1', site: 'hangzhou', queues: ['value_added'], agents: ['agent:hz1001', 'agent:hz1002'] }],
  channels: ['channel:phone'],
};

type Call = { method: string; path: string; body: any; auth: string | null };

describe('Manager console', () => {
  let calls: Call[];
  let refuse: string | null;
  let signedIn: boolean;
  let socket: FakeSocket;
  let tokensUsed: string[];

  beforeEach(() => {
    calls = [];
    refuse = null;
    signedIn = true;
    socket = new FakeSocket();
    tokensUsed = [];
    vi.stubGlobal('fetch', async (path: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({ method, path, body: init.body ? JSON.parse(init.body as string) : null, auth: new Headers(init.headers).get('authorization') });
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
      if (refuse && method !== 'GET') return json(400, { error: refuse });
      if (path === '/api/v1/session') return signedIn ? json(200, { name: 'zhao.min', role: 'manager', permissions: [] }) : json(401, { error: 'authorization: sign in' });
      if (path === '/api/v1/scopes/tree') return json(200, TREE);
      if (path === '/api/v1/config') return json(200, { centreName: 'Centre', timeZone: 'Asia/Shanghai' });
      if (path === '/api/v1/alerts') return json(200, { now: T0, active: [ALERT], recent: [ALERT] });
      if (path === '/api/v1/broadcasts' && method === 'GET') return json(200, { now: T0, broadcasts: [] });
      if (path === '/api/v1/screens') return json(200, { screens: [{ name: 'floor-1', assigned: null, visitor: false, connected: 2 }, { name: 'lobby', assigned: null, visitor: true, connected: 1 }] });
      return json(200, {});
    });
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    document.documentElement.className = '';
  });

  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  const connect = (token: string) => {
    tokensUsed.push(token);
    return socket.asFeedSocket();
  };

  it('shows a signed-in manager (no token in the link) the live figures and no token error', async () => {
    window.history.replaceState({}, '', '/manager?lang=en');
    render(Manager, { connect });
    await screen.findByTestId('me');
    await settle();
    expect(screen.queryByText(/open this page with a manager or admin token/i)).toBeNull();
    expect(screen.getByTestId('me')).toHaveTextContent('Signed in: zhao.min');
    // The socket is opened without a token: the session cookie signs it in.
    expect(tokensUsed).toEqual(['']);
    expect(calls.every((c) => c.auth === null)).toBe(true);

    socket.connect();
    const subscribe = socket.subscribes.at(-1)!;
    expect(subscribe.rooms).toEqual(['centre@today', 'site:*@today']);
    subscribe.ack({
      ok: true,
      data: [
        roomMessage('centre@today', 1, [scopeKpis('centre', { offered: 12345, answered: 70, answeredInSl: 50, abandoned: 30 })], { full: true }),
        roomMessage('site:*@today', 1, [
          scopeKpis('site:hangzhou', { answered: 50, answeredInSl: 30, abandoned: 10 }),
          scopeKpis('site:ningbo', { answered: 20, answeredInSl: 20 }),
          // A site's queue travels in the same wildcard room but is not a row of the centre's table.
          scopeKpis('site:hangzhou/queue:general', { answered: 5, answeredInSl: 5 }),
        ], { full: true }),
      ],
    });
    flushSync();
    const serviceLevel = document.querySelector('.card[data-kpi="serviceLevel"]')!;
    // 50 of (70 + 30) = 50.0 %: red against the 80 % floor, with its numerator and denominator.
    expect(serviceLevel).toHaveAttribute('data-status', 'red');
    expect(serviceLevel).toHaveTextContent('50.0%');
    expect(serviceLevel).toHaveTextContent('50 / 100');
    expect(document.querySelector('.card[data-kpi="offered"]')).toHaveTextContent('12,345');

    const table = screen.getByRole('table');
    expect(within(table).getAllByRole('rowheader').map((r) => r.textContent)).toEqual(['Hangzhou', 'Ningbo']);

    // Drilling into Hangzhou: the URL says so and the site's queues are subscribed.
    await fireEvent.click(within(table).getByRole('link', { name: 'Hangzhou' }));
    await settle();
    expect(window.location.search).toContain('scope=site%3Ahangzhou');
    expect(socket.subscribes.at(-1)!.rooms).toEqual(['site:hangzhou@today', 'site:hangzhou/queue:*@today']);
    expect(socket.emitted.some((e) => e.event === 'kpi:unsubscribe' && (e.args[0] as { rooms: string[] }).rooms.includes('site:*@today'))).toBe(true);
    expect(screen.getByRole('navigation', { name: 'You are here' })).toHaveTextContent(/^Centre›\s*Hangzhou$/);

    // Back goes back to the centre.
    window.history.back();
    await new Promise((resolve) => window.addEventListener('popstate', resolve, { once: true }));
    await settle();
    expect(socket.subscribes.at(-1)!.rooms).toEqual(['centre@today', 'site:*@today']);
  });

  it('names teams and agents in the scope tree as the org directory does, in both languages', async () => {
    setOrg({
      revision: 1,
      entries: [
        { kind: 'team', id: 'hz-1', zh: '杭州一组', en: 'Hangzhou team 1', source: 'admin' },
        { kind: 'agent', id: 'hz1001', zh: '王芳', en: 'Wang Fang', source: 'admin' },
      ],
    });
    try {
      for (const [lang, team, agent] of [['en', 'Hangzhou team 1', 'Wang Fang'], ['zh-CN', '杭州一组', '王芳']]) {
        // The team chosen: its branch is open with its agents.
        window.history.replaceState({}, '', `/manager?lang=${lang}&scope=team%3Ahz-1`);
        const { unmount } = render(Manager, { connect });
        await screen.findByTestId('me');
        await settle();
        const tree = document.querySelector('nav.scope-tree')!;
        await vi.waitFor(() => expect(tree.querySelector('[data-scope="agent:hz1001"]')).not.toBeNull());
        expect(tree.querySelector('[data-scope="team:hz-1"]')).toHaveTextContent(team);
        expect(tree.querySelector('[data-scope="agent:hz1001"]')).toHaveTextContent(agent);
        // An agent the directory does not name shows its id (工号), as everywhere.
        expect(tree.querySelector('[data-scope="agent:hz1002"]')).toHaveTextContent('hz1002');
        unmount();
      }
    } finally {
      resetOrg();
    }
  });

  it('asks someone with neither a session nor a token to sign in', async () => {
    signedIn = false;
    window.history.replaceState({}, '', '/manager?lang=en&scope=site:hangzhou');
    render(Manager, { connect });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Sign in, or open this page with a manager or admin token in the link');
    expect(within(alert).getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', expect.stringContaining('next=%2Fmanager%3Fscope%3Dsite%253Ahangzhou'));
    expect(tokensUsed).toEqual([]);
  });

  it('keeps the screen controls on their own tab, with the link token', async () => {
    signedIn = false;
    window.history.replaceState({}, '', '/manager?token=duty-token&lang=en&tab=screens');
    render(Manager, { connect });
    const lobby = (await screen.findByRole('rowheader', { name: 'lobby' })).closest('tr')!;
    expect(screen.queryByRole('alert')).toBeNull();
    expect(tokensUsed).toEqual(['duty-token']);
    await fireEvent.click(within(lobby).getByRole('button', { name: 'Visitor mode: on' }));
    await settle();
    expect(calls.find((c) => c.path === '/api/v1/screens/visitor-mode')).toMatchObject({ method: 'PUT', body: { screens: ['lobby'], on: false }, auth: 'Bearer duty-token' });

    const floor = screen.getByRole('rowheader', { name: 'floor-1' }).closest('tr')!;
    await fireEvent.click(within(floor).getByRole('checkbox', { name: 'Agents' }));
    await fireEvent.click(within(floor).getByRole('button', { name: 'Assign' }));
    await settle();
    expect(calls.find((c) => c.path === '/api/v1/screens/layout')!.body).toEqual({ screen: 'floor-1', layout: { layouts: ['overview', 'agents'], scope: 'centre', lang: 'en', rotateSec: 20 } });

    await fireEvent.input(screen.getByRole('textbox', { name: 'Message' }), { target: { value: '统一口径：系统故障' } });
    await fireEvent.click(screen.getByRole('radio', { name: 'Chosen screens' }));
    await fireEvent.click(screen.getByRole('checkbox', { name: 'lobby' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await settle();
    expect(calls.find((c) => c.path === '/api/v1/broadcasts' && c.method === 'POST')!.body).toEqual({ text: '统一口径：系统故障', durationSec: 1800, screens: ['lobby'] });

    refuse = 'text: 1 to 280 characters';
    await fireEvent.input(screen.getByRole('textbox', { name: 'Message' }), { target: { value: 'x' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Failed: text: 1 to 280 characters');
  });
});
