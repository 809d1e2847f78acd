/**
 * The contacts behind a figure: the request names scope, window and figure; the drawer shows the
 * numerator and denominator with the value they make, which rows count in the numerator, masked
 * customers, local times, and says when the list was cut.
 */
import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { resetOrg, setOrg } from '../lib/org.svelte.ts';
import { ManagerApi } from './api.ts';
import ContactsDrawer from './ContactsDrawer.svelte';
import type { DrillRow, KpiContacts } from './types.ts';

function contact(id: string, fields: Partial<DrillRow>): DrillRow {
  return {
    id, kind: 'contact', occurrence: 'outcome', countsAt: '2026-01-05 09:58:52', inNumerator: false, inDenominator: true, numShare: 0, denShare: 1, customer: 'c_3f9a1b', offeredAt: '2026-01-05 09:58:12', outcomeAt: '2026-01-05 09:58:52',
    waitSec: 40, handleSec: null, agent: 'hz1007', team: 'hz-1', site: 'hangzhou', queue: 'complaints', channel: 'phone',
    outcome: 'answered', firstContact: null, surveyScore: null, value: null, ...fields,
  };
}

function apiAnswering(answer: KpiContacts | { status: number; error: string }) {
  const requests: string[] = [];
  const fetchFn = vi.fn(async (path: string) => {
    requests.push(path);
    return 'status' in answer ? new Response(JSON.stringify({ error: answer.error }), { status: answer.status }) : new Response(JSON.stringify(answer), { status: 200 });
  });
  return { api: new ManagerApi('', fetchFn as unknown as typeof fetch), requests };
}

describe('contacts drawer', () => {
  it('shows numerator and denominator, the rows in the numerator, and a truncation note', async () => {
    const rows = [
      contact('c-1', { inNumerator: true, waitSec: 12 }),
      contact('c-2', { inNumerator: false, waitSec: 95, customer: null }),
      contact('c-3', { inNumerator: false, outcome: 'abandoned', outcomeAt: '2026-01-05 09:59:30', agent: null, waitSec: 61 }),
    ];
    const { api, requests } = apiAnswering({
      scope: 'site:hangzhou/queue:complaints', window: '15m', kpi: 'serviceLevel', asOf: '2026-01-05T02:00:00.000Z', from: '2026-01-05 09:45:00',
      source: 'contacts', shape: 'ratio', value: 1234 / 5000, num: 1234, den: 5000, total: 6120, truncated: true, rows,
    });
    render(ContactsDrawer, { api, scope: 'site:hangzhou/queue:complaints', window: '15m', kpi: 'serviceLevel', lang: 'en', onClose: () => {} });

    const numden = await screen.findByTestId('numden');
    // 1,234 ÷ 5,000 = 24.7 %.
    expect(numden).toHaveTextContent('Numerator 1,234 / denominator 5,000 · Value 24.7%');
    expect(requests).toEqual(['/api/v1/kpis/contacts?scope=site%3Ahangzhou%2Fqueue%3Acomplaints&window=15m&kpi=serviceLevel']);
    expect(screen.getByRole('heading')).toHaveTextContent('Service level · Hangzhou · Complaints · Last 15 min');
    expect(screen.getByTestId('truncated')).toHaveTextContent('Showing the newest 3 of 6,120');

    const first = document.querySelector('tr[data-contact="c-1"]')! as HTMLElement;
    expect(first).toHaveClass('in');
    expect(within(first).getByText('c_3f9a1b')).toBeInTheDocument();
    expect(within(first).getByText('09:58:12')).toBeInTheDocument();
    expect(within(first).getByText('12s')).toBeInTheDocument();
    const abandoned = document.querySelector('tr[data-contact="c-3"]')! as HTMLElement;
    expect(abandoned).not.toHaveClass('in');
    expect(abandoned).toHaveTextContent('abandoned');
    expect(abandoned).toHaveTextContent('1:01');
  });

  it('names agents and teams as the org directory does, in both languages (an agent without a name keeps its id)', async () => {
    setOrg({
      revision: 1,
      entries: [
        { kind: 'agent', id: 'hz1007', zh: '李娜', en: 'Li Na', source: 'admin' },
        { kind: 'team', id: 'hz-1', zh: '杭州一组', en: 'Hangzhou team 1', source: 'admin' },
      ],
    });
    try {
      for (const [lang, agent, team] of [['en', 'Li Na', 'Hangzhou team 1'], ['zh-CN', '李娜', '杭州一组']] as const) {
        const { api } = apiAnswering({
          scope: 'centre', window: 'today', kpi: 'answerRate', asOf: '2026-01-05T02:00:00.000Z', from: '2026-01-05 00:00:00',
          source: 'contacts', shape: 'ratio', value: 0.5, num: 1, den: 2, total: 2, truncated: false,
          rows: [contact('c-1', { inNumerator: true }), contact('c-2', { agent: 'hz1099' })],
        });
        const { unmount } = render(ContactsDrawer, { api, scope: 'centre', window: 'today', kpi: 'answerRate', lang, onClose: () => {} });
        await screen.findByTestId('numden');
        const named = document.querySelector('tr[data-contact="c-1"]')! as HTMLElement;
        expect(named).toHaveTextContent(agent);
        expect(named).toHaveTextContent(team);
        expect(named).not.toHaveTextContent('hz1007');
        expect(document.querySelector('tr[data-contact="c-2"]')).toHaveTextContent('hz1099');
        unmount();
      }
    } finally {
      resetOrg();
    }
  });

  it('shows the server refusal in words', async () => {
    const { api } = apiAnswering({ status: 403, error: 'authorization: the display role may not do this' });
    render(ContactsDrawer, { api, scope: 'centre', window: 'today', kpi: 'answerRate', lang: 'zh-CN', onClose: () => {} });
    expect(await screen.findByRole('alert')).toHaveTextContent('操作失败：authorization: the display role may not do this');
  });
});
