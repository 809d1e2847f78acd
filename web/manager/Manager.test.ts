/**
 * The duty manager's page against a fake server: it lists alerts and acknowledges one, toggles
 * visitor mode, assigns layouts and sends a broadcast to chosen screens, with the token of its
 * link, and shows the server's error when one is refused.
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../shared/alerts.ts';
import Manager from './Manager.svelte';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);
const ALERT: Alert = { id: 'A1', rule: 'threshold', kpi: 'serviceLevel', scope: 'queue:complaints', raisedAt: T0 - 120_000, clearedAt: null, value: 0.6, worst: 0.6, limit: 0.8, ackedBy: null, ackedAt: null };

describe('Manager page', () => {
  let calls: Array<{ method: string; path: string; body: any; auth: string | null }>;
  let refuse: string | null;
  let alerts: Alert[];

  beforeEach(() => {
    calls = [];
    refuse = null;
    alerts = [ALERT];
    window.history.replaceState({}, '', '/manager?token=duty-token&lang=en');
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      calls.push({ method, path, body: init.body ? JSON.parse(init.body as string) : null, auth: new Headers(init.headers).get('authorization') });
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
      if (refuse && method !== 'GET') return json(400, { error: refuse });
      if (path === '/api/v1/alerts') return json(200, { now: T0, active: alerts.filter((a) => a.clearedAt === null), recent: alerts });
      if (path === '/api/v1/broadcasts' && method === 'GET') return json(200, { now: T0, broadcasts: [] });
      if (path === '/api/v1/screens') return json(200, { screens: [{ name: 'floor-1', assigned: null, visitor: false, connected: 2 }, { name: 'lobby', assigned: null, visitor: true, connected: 1 }] });
      return json(200, {});
    });
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('acknowledges an alert, switches visitor mode and assigns a layout, with its token', async () => {
    render(Manager);
    const item = await screen.findByText('Service level below 80.0% (60.0%)');
    expect(item.closest('li')).toHaveTextContent('Complaints');
    await fireEvent.click(screen.getByRole('button', { name: 'Acknowledge' }));
    await settle();
    expect(calls.find((c) => c.method === 'POST')).toEqual({ method: 'POST', path: '/api/v1/alerts/ack', body: { id: 'A1' }, auth: 'Bearer duty-token' });

    const lobby = screen.getByRole('rowheader', { name: 'lobby' }).closest('tr')!;
    await fireEvent.click(within(lobby).getByRole('button', { name: 'Visitor mode: on' }));
    await settle();
    expect(calls.find((c) => c.path === '/api/v1/screens/visitor-mode')).toMatchObject({ method: 'PUT', body: { screens: ['lobby'], on: false } });

    const floor = screen.getByRole('rowheader', { name: 'floor-1' }).closest('tr')!;
    await fireEvent.click(within(floor).getByRole('checkbox', { name: 'Agents' }));
    await fireEvent.click(within(floor).getByRole('button', { name: 'Assign' }));
    await settle();
    const assign = calls.find((c) => c.path === '/api/v1/screens/layout')!;
    expect(assign.body).toEqual({ screen: 'floor-1', layout: { layouts: ['overview', 'agents'], scope: 'centre', lang: 'en', rotateSec: 20 } });
  });

  it('offers no acknowledge for an alert that has cleared', async () => {
    alerts = [{ ...ALERT, clearedAt: T0 - 30_000 }];
    render(Manager);
    await settle();
    expect(screen.getByText(/cleared/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
  });

  it('sends a broadcast to chosen screens and shows a refusal in words', async () => {
    render(Manager);
    await screen.findByRole('rowheader', { name: 'floor-1' });
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
