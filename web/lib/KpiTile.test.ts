/** A tile tells its status by colour and by icon, and never shows a made-up zero. */
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { STATUS_STYLE } from '../../shared/thresholds.ts';
import KpiTile from './KpiTile.svelte';

function tile(): HTMLElement {
  return document.querySelector<HTMLElement>('[data-kpi]')!;
}

describe('KpiTile', () => {
  it.each([
    [0.953, '95.3%', 'green', 'on target'],
    [0.85, '85.0%', 'amber', 'warning'],
    [0.72, '72.0%', 'red', 'alert'],
  ] as const)('service level %s shows %s, %s, with its icon', (value, text, status, statusText) => {
    render(KpiTile, { kpi: 'serviceLevel', value, lang: 'en' });
    expect(screen.getByRole('heading')).toHaveTextContent('Service level');
    expect(tile()).toHaveAttribute('data-status', status);
    const icon = screen.getByRole('img', { name: statusText });
    expect(icon).toHaveTextContent(STATUS_STYLE[status].icon);
    const figure = tile().querySelector('.status-value')!;
    expect(figure).toHaveTextContent(text);
    expect(figure).toHaveStyle({ color: STATUS_STYLE[status].colour });
    expect(tile()).toHaveTextContent('Target ≥ 90.0%');
  });

  it('judges lower-is-better figures the other way round', () => {
    render(KpiTile, { kpi: 'abandonRate', value: 0.12, lang: 'zh-CN' });
    expect(tile()).toHaveAttribute('data-status', 'red');
    expect(screen.getByRole('img', { name: '告警' })).toHaveTextContent('✖');
    expect(tile()).toHaveTextContent('放弃率');
    expect(tile()).toHaveTextContent('目标 ≤ 5.0%');
  });

  it('shows "no data" without status when the denominator is 0', () => {
    render(KpiTile, { kpi: 'csat', value: null, lang: 'zh-CN' });
    expect(tile()).toHaveTextContent('无数据');
    expect(tile()).toHaveAttribute('data-status', 'none');
    expect(screen.queryByRole('img')).toBeNull();
  });

  it('shows times as seconds under a minute and m:ss above', () => {
    render(KpiTile, { kpi: 'asaSec', value: 75.4, lang: 'en' });
    expect(tile()).toHaveTextContent('1:15');
    expect(tile()).toHaveAttribute('data-status', 'red');
    expect(tile()).toHaveTextContent('Target ≤ 30s');
  });

  it('shows the recent-window figure next to today', () => {
    render(KpiTile, { kpi: 'answerRate', value: 0.97, lang: 'en', secondary: { label: 'Last 15 min', value: 0.9 } });
    expect(tile()).toHaveTextContent('Last 15 min 90.0%');
  });

  it('has no target line and no colour for figures without a threshold', () => {
    render(KpiTile, { kpi: 'inQueue', value: 4, lang: 'en' });
    expect(tile()).toHaveAttribute('data-status', 'none');
    expect(tile()).not.toHaveTextContent('Target');
    expect(tile().querySelector('.num')).toHaveTextContent('4');
  });
});
