/**
 * The level below a scope: worst first by default (lowest service level, highest ASA), rows with
 * no value last either way, a header click flips or re-ranks, and a value opens its contacts.
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { KpiName } from '../../shared/kpi.ts';
import { scopeKpis } from '../testing/fake-socket.ts';
import ChildrenTable from './ChildrenTable.svelte';
import { worstFirstDir, type FigureRow } from './figures.ts';

const ROWS: FigureRow[] = [
  // Service level 18 of 20 = 90 %, ASA 10 s.
  { scope: 'site:hangzhou/queue:general', label: '杭州 · 综合业务', kpis: scopeKpis('site:hangzhou/queue:general', { answered: 20, answeredInSl: 18, answerWaitSec: 200 }).kpis },
  // 6 of 10 = 60 %, ASA 45 s: worst service level and worst ASA.
  { scope: 'site:hangzhou/queue:complaints', label: '杭州 · 投诉', kpis: scopeKpis('site:hangzhou/queue:complaints', { answered: 10, answeredInSl: 6, answerWaitSec: 450 }).kpis },
  // Nothing answered: no value, so last whichever the order.
  { scope: 'site:hangzhou/queue:vip', label: '杭州 · VIP会员', kpis: scopeKpis('site:hangzhou/queue:vip').kpis },
  // 17 of 20 = 85 %, ASA 20 s.
  { scope: 'site:hangzhou/queue:value_added', label: '杭州 · 增值业务', kpis: scopeKpis('site:hangzhou/queue:value_added', { answered: 20, answeredInSl: 17, answerWaitSec: 400 }).kpis },
];

function renderTable(sort: KpiName | 'label', dir?: 'asc' | 'desc') {
  const onSort = vi.fn();
  const onContacts = vi.fn();
  const onRow = vi.fn((event: MouseEvent, _scope: string) => event.preventDefault());
  const props = {
    rows: ROWS,
    columns: ['offered', 'serviceLevel', 'asaSec'] as KpiName[],
    sort,
    dir: dir ?? (sort === 'label' ? 'asc' : worstFirstDir(sort)),
    lang: 'zh-CN' as const,
    caption: '杭州 · 下级',
    rowHref: (scope: string) => `/manager?scope=${encodeURIComponent(scope)}`,
    onRow,
    onSort,
    onContacts,
  };
  const result = render(ChildrenTable, props);
  return { ...result, props, onSort, onContacts, onRow };
}

const names = () => screen.getAllByRole('rowheader').map((cell) => cell.textContent);

describe('drill table', () => {
  it('puts the worst service level first, and rows without one last', () => {
    renderTable('serviceLevel');
    expect(names()).toEqual(['杭州 · 投诉', '杭州 · 增值业务', '杭州 · 综合业务', '杭州 · VIP会员']);
    const worst = screen.getAllByRole('row')[1];
    expect(within(worst).getByText('60.0%').closest('td')).toHaveAttribute('data-status', 'red');
    expect(screen.getByRole('columnheader', { name: /服务水平/ })).toHaveAttribute('aria-sort', 'ascending');
  });

  it('puts the longest ASA first when ranked by ASA, and flips on a second click', async () => {
    const { onSort, rerender, props } = renderTable('asaSec');
    expect(names()).toEqual(['杭州 · 投诉', '杭州 · 增值业务', '杭州 · 综合业务', '杭州 · VIP会员']);
    await fireEvent.click(within(screen.getByRole('columnheader', { name: /平均应答时长/ })).getByRole('button'));
    expect(onSort).toHaveBeenLastCalledWith('asaSec', 'asc');
    await rerender({ ...props, dir: 'asc' });
    // Shortest ASA first now; the row without a value still last.
    expect(names()).toEqual(['杭州 · 综合业务', '杭州 · 增值业务', '杭州 · 投诉', '杭州 · VIP会员']);
    // Another column starts worst first: service level ascending.
    await fireEvent.click(within(screen.getByRole('columnheader', { name: /服务水平/ })).getByRole('button'));
    expect(onSort).toHaveBeenLastCalledWith('serviceLevel', 'asc');
  });

  it('drills by the row name and opens the contacts behind a value', async () => {
    const { onRow, onContacts } = renderTable('serviceLevel');
    const link = screen.getByRole('link', { name: '杭州 · 投诉' });
    expect(link).toHaveAttribute('href', '/manager?scope=site%3Ahangzhou%2Fqueue%3Acomplaints');
    await fireEvent.click(link);
    expect(onRow.mock.calls[0][1]).toBe('site:hangzhou/queue:complaints');
    await fireEvent.click(screen.getByRole('button', { name: '60.0%' }));
    expect(onContacts).toHaveBeenCalledWith('site:hangzhou/queue:complaints', 'serviceLevel');
  });
});
