/**
 * The report's drill-down: it asks for the figure's population (the formula's own rows, from
 * shared/kpi-population.ts through drillSql), says how many rows the formula counts with their
 * numerator and denominator, and marks the rows in the numerator.
 */
import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import type { Row } from '../../shared/report-model.ts';
import DrillDown from './DrillDown.svelte';

const WINDOW = { start: '2026-10-01 00:00:00', end: '2026-11-01 00:00:00', asOf: '2026-11-01 00:00:00' };

describe('report drill-down', () => {
  it('shows the rows the answer rate counts, how many, and which are in the numerator', async () => {
    const asked: string[] = [];
    // What DuckDB answers for answer rate: two answered, one long abandon (the short one is not a row).
    const totals = { total: 3, num_total: 2, den_total: 3 };
    const rows: Row[] = [
      { contact_id: 'c1', outcome: 'answered', counts_at: Date.parse('2026-10-01T00:00:10Z'), occurrence: 'outcome', num_share: 1, den_share: 1, ...totals },
      { contact_id: 'c2', outcome: 'answered', counts_at: Date.parse('2026-10-05T09:00:45Z'), occurrence: 'outcome', num_share: 1, den_share: 1, ...totals },
      { contact_id: 'c4', outcome: 'abandoned', counts_at: Date.parse('2026-10-05T10:00:40Z'), occurrence: 'outcome', num_share: 0, den_share: 1, ...totals },
    ];
    const run = async (sql: string) => (asked.push(sql), rows);
    render(DrillDown, { run, lang: 'en', title: 'Rows behind Answer rate: whole centre', onclose: () => {}, query: { kpi: 'answerRate', settings: DEFAULT_KPI_SETTINGS, window: WINDOW, filter: {} } });
    expect(await screen.findByText('3 rows in the formula: numerator 2, denominator 3')).toBeTruthy();
    expect(screen.getByTestId('drill-count').textContent).toBe('3 of 3 rows');
    // The query is the population's: short abandons (wait < S = 5 s) weigh −1 against abandoned.
    expect(asked[0]).toContain(`-1 * (CASE WHEN outcome = 'abandoned' AND wait_sec < 5 THEN 1 ELSE 0 END)`);
    expect(asked[0]).toContain('WHERE num_share <> 0 OR den_share <> 0');
    const table = screen.getByTestId('drill-table');
    const header = within(table).getAllByRole('columnheader').map((th) => th.textContent);
    expect(header.slice(-3)).toEqual(['Counts at', 'Counted as', 'In numerator']);
    const marks = within(table).getAllByRole('row').slice(1).map((tr) => tr.lastElementChild!.textContent);
    expect(marks).toEqual(['✓', '✓', '']);
    expect(within(table).getAllByRole('row')[1].textContent).toContain('2026-10-01 00:00:10');
  });

  it('lists tickets for the closure rate', async () => {
    const asked: string[] = [];
    render(DrillDown, { run: async (sql: string) => (asked.push(sql), []), lang: 'zh-CN', title: 't', onclose: () => {}, query: { kpi: 'closureRate', settings: DEFAULT_KPI_SETTINGS, window: WINDOW, filter: { queue: 'vip' } } });
    expect(await screen.findByText('公式计入 0 条：分子 0，分母 0')).toBeTruthy();
    expect(asked[0]).toContain('FROM tickets');
    expect(asked[0]).toContain(`tickets.queue = 'vip'`);
    expect(asked[0]).not.toContain('FROM contacts');
  });
});
