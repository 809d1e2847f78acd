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
    render(KpiTile, { kpi: 'ahtSec', value: 4, lang: 'en' });
    expect(tile()).toHaveAttribute('data-status', 'none');
    expect(tile()).not.toHaveTextContent('Target');
    expect(tile().querySelector('.num')).toHaveTextContent('4');
  });

  it('says the big figure is today by default', () => {
    render(KpiTile, { kpi: 'serviceLevel', value: 0.95, lang: 'zh-CN', secondary: { label: '近 15 分钟', value: 0.9 } });
    expect(tile()).toHaveAttribute('data-window', 'today');
    expect(tile().querySelector('.window')).toHaveTextContent('今日');
    expect(tile()).toHaveTextContent('近 15 分钟 90.0%');
  });

  it('colours the number in queue against its threshold and says it is now (issue 14)', () => {
    render(KpiTile, { kpi: 'inQueue', value: 12, lang: 'en', window: 'now', hero: true });
    expect(tile()).toHaveAttribute('data-status', 'red');
    expect(tile()).toHaveClass('hero');
    expect(tile().querySelector('.window')).toHaveTextContent('Now');
    expect(tile()).toHaveTextContent('Target ≤ 5');
    expect(tile().querySelector('.status-value')).toHaveStyle({ color: STATUS_STYLE.red.colour });
  });
});

describe('KpiTile trend', () => {
  // 60 one-minute samples: service level sliding from 95 % to 80 % over the hour.
  const falling = Array.from({ length: 60 }, (_, i) => 0.95 - (0.15 * i) / 59);

  it('draws the last hour as a sparkline and says which way the figure is heading', () => {
    render(KpiTile, { kpi: 'serviceLevel', value: 0.8, lang: 'en', trend: falling });
    const arrow = screen.getByRole('img', { name: 'falling' });
    expect(arrow).toHaveTextContent('↓');
    expect(tile().querySelector('[data-trend]')).toHaveAttribute('data-trend', 'down');
    const spark = screen.getByRole('img', { name: 'Service level · last hour' });
    const points = spark.querySelector('polyline')!.getAttribute('points')!.split(' ');
    expect(points).toHaveLength(60);
    // The newest point is at the right edge and lowest (SVG y grows downwards).
    const [x, y] = points[59].split(',').map(Number);
    expect(x).toBeCloseTo(100);
    expect(y).toBeGreaterThan(Number(points[0].split(',')[1]));
    // The line takes the tile's status colour (80 % is amber).
    expect(spark).toHaveStyle({ color: STATUS_STYLE.amber.colour });
  });

  it('breaks the line where a minute had no value, and draws nothing from one sample', async () => {
    const gappy = [0.9, 0.91, null, 0.93, 0.94, null];
    const { rerender } = render(KpiTile, { kpi: 'answerRate', value: 0.94, lang: 'zh-CN', trend: gappy });
    expect(document.querySelectorAll('polyline')).toHaveLength(2);
    expect(screen.getByRole('img', { name: '上升' })).toHaveTextContent('↑');
    await rerender({ trend: [0.9] });
    expect(document.querySelector('svg')).toBeNull();
  });

  it('highlights a changed figure by re-creating it, and leaves an unchanged one alone', async () => {
    const { rerender } = render(KpiTile, { kpi: 'inQueue', value: null, lang: 'en' });
    await rerender({ value: 4 });
    const first = tile().querySelector('.figure');
    expect(first).not.toHaveClass('changed'); // the first figure after "no data" is not news
    await rerender({ value: 4 });
    expect(tile().querySelector('.figure')).toBe(first);
    await rerender({ value: 5 });
    const second = tile().querySelector('.figure');
    expect(second).not.toBe(first);
    expect(second).toHaveClass('changed');
    expect(second).toHaveTextContent('5');
  });
});
