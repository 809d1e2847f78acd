/**
 * Alerts as incidents: one breach at a queue of a site, the site and the centre is one entry
 * listing its scopes by name, acknowledged once with the manager's note.
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/alerts.ts';
import { ManagerApi } from './api.ts';
import IncidentsPanel from './IncidentsPanel.svelte';
import type { Incident } from './types.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);
const alert = (id: string, scope: string): Alert => ({ id, rule: 'threshold', kpi: 'serviceLevel', scope, raisedAt: T0 - 180_000, clearedAt: null, value: 0.6, worst: 0.6, limit: 0.8, ackedBy: null, ackedAt: null });

describe('alert incidents', () => {
  it('acknowledges one incident of three scopes once, with a note', async () => {
    let incident: Incident = {
      id: 'I7', rule: 'threshold', kpi: 'serviceLevel', scopes: ['site:hangzhou/queue:complaints', 'site:hangzhou', 'centre'],
      raisedAt: T0 - 180_000, clearedAt: null, ackedBy: null, ackedAt: null, note: null, alertIds: ['A1', 'A2', 'A3'],
    };
    const posts: unknown[] = [];
    const fetchFn = async (path: string, init: RequestInit = {}) => {
      if (init.method === 'POST') {
        posts.push({ path, body: JSON.parse(init.body as string) });
        incident = { ...incident, ackedBy: 'zhao.min', ackedAt: T0, note: 'moved 3 agents from general' };
        return new Response('{}', { status: 200 });
      }
      const recent = [alert('A1', 'site:hangzhou/queue:complaints'), alert('A2', 'site:hangzhou'), alert('A3', 'centre')];
      return new Response(JSON.stringify({ now: T0, active: recent, recent, incidents: [incident] }), { status: 200 });
    };
    render(IncidentsPanel, { api: new ManagerApi('', fetchFn as unknown as typeof fetch), lang: 'en', timeZone: 'Asia/Shanghai' });

    const entry = (await screen.findByText('Service level below 80.0% (60.0%)')).closest('li')!;
    expect(screen.getAllByRole('listitem').filter((li) => li.hasAttribute('data-incident'))).toHaveLength(1);
    expect(entry).toHaveTextContent('3 scopes');
    expect(within(entry).getByText('Hangzhou · Complaints')).toBeInTheDocument();
    expect(within(entry).getByText('Hangzhou')).toBeInTheDocument();
    expect(within(entry).getByText('Centre')).toBeInTheDocument();
    expect(entry).toHaveTextContent('since 09:57 · 3 min');

    await fireEvent.input(within(entry).getByRole('textbox', { name: 'Note' }), { target: { value: '  moved 3 agents from general ' } });
    await fireEvent.click(within(entry).getByRole('button', { name: 'Acknowledge' }));
    expect(await screen.findByText(/acknowledged by zhao\.min at 10:00 · moved 3 agents from general/)).toBeInTheDocument();
    expect(posts).toEqual([{ path: '/api/v1/alerts/ack', body: { id: 'I7', note: 'moved 3 agents from general' } }]);
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
  });
});
