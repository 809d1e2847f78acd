/** The queue table: named queues in a fixed order, figures coloured by threshold. */
import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { scopeKpis } from '../testing/fake-socket.ts';
import QueueTable from './QueueTable.svelte';

const NOW = Date.UTC(2026, 0, 5, 2, 0, 0);

const queues = [
  // 9 of 10 within 30 s, 1 long abandon: SL 90% (green), abandon 10% (amber), ASA 12 s.
  scopeKpis('queue:vip', { answered: 9, answeredInSl: 9, answerWaitSec: 108, abandoned: 1 }, { inQueue: 0, agents: { ready: 3, busy: 5, acw: 0, not_ready: 0 } }),
  // 7 of 10 answered in SL, 3 abandoned: red everywhere; two waiting, the oldest for 130 s.
  scopeKpis(
    'queue:general',
    { answered: 7, answeredInSl: 7, answerWaitSec: 490, abandoned: 3 },
    { inQueue: 2, oldestWaitingTsMs: NOW - 130_000 },
  ),
  scopeKpis('queue:night_shift', {}, {}),
];

function row(name: string): HTMLElement {
  return screen.getByRole('rowheader', { name }).closest('tr')!;
}

function cell(rowEl: HTMLElement, kpi: string): HTMLElement {
  return rowEl.querySelector<HTMLElement>(`[data-kpi="${kpi}"]`)!;
}

describe('QueueTable', () => {
  it('lists known queues in floor order with their names, unknown ids as they are', () => {
    render(QueueTable, { queues, serverNowMs: NOW, lang: 'zh-CN' });
    const names = screen.getAllByRole('rowheader').map((th) => th.textContent);
    expect(names).toEqual(['综合业务', 'VIP会员', 'night_shift']);
  });

  it('colours each figure by its threshold, with icons', () => {
    render(QueueTable, { queues, serverNowMs: NOW, lang: 'en' });
    const vip = row('VIP members');
    expect(cell(vip, 'serviceLevel')).toHaveTextContent(/^90\.0%\s*✔$/);
    expect(cell(vip, 'serviceLevel').firstElementChild).toHaveAttribute('data-status', 'green');
    expect(cell(vip, 'abandonRate')).toHaveTextContent(/^10\.0%\s*▲$/);
    expect(cell(vip, 'abandonRate').firstElementChild).toHaveAttribute('data-status', 'amber');
    expect(cell(vip, 'asaSec')).toHaveTextContent(/^12s\s*✔$/);
    expect(cell(vip, 'agents')).toHaveTextContent('3 / 5');

    const general = row('General');
    expect(cell(general, 'inQueue')).toHaveTextContent('2');
    expect(cell(general, 'longestWaitSec')).toHaveTextContent(/^2:10\s*✖$/);
    expect(cell(general, 'serviceLevel').firstElementChild).toHaveAttribute('data-status', 'red');
    expect(cell(general, 'answerRate')).toHaveTextContent(/^70\.0%\s*✖$/);

    const unknown = row('night_shift');
    expect(within(unknown).getAllByText('No data')).toHaveLength(4);
  });

  it('ticks the longest wait with the clock', async () => {
    const { rerender } = render(QueueTable, { queues, serverNowMs: NOW, lang: 'en' });
    await rerender({ serverNowMs: NOW + 5_000 });
    expect(cell(row('General'), 'longestWaitSec')).toHaveTextContent('2:15');
  });

  it('says how many queues do not fit instead of scrolling', () => {
    render(QueueTable, { queues, serverNowMs: NOW, lang: 'en', maxRows: 2 });
    expect(screen.getAllByRole('rowheader')).toHaveLength(2);
    expect(screen.getByText('1 more queues not shown')).toBeInTheDocument();
  });

  it('says so when there are no queues yet', () => {
    render(QueueTable, { queues: [], serverNowMs: NOW, lang: 'en' });
    expect(screen.getByText('No queue data yet')).toBeInTheDocument();
  });
});
