/** The board says in words whether its figures are live, old, or not coming. */
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ConnectionStatus from './ConnectionStatus.svelte';

describe('ConnectionStatus', () => {
  it('says live when data is fresh', () => {
    render(ConnectionStatus, { state: 'live', ageSec: 0, lang: 'en' });
    expect(screen.getByRole('status')).toHaveTextContent('Live');
    expect(screen.getByRole('status')).toHaveAttribute('data-connection', 'live');
  });

  it('says how old the data is when no message came for a while', () => {
    render(ConnectionStatus, { state: 'stale', ageSec: 12, lang: 'en' });
    expect(screen.getByRole('status')).toHaveTextContent('Data is 12 s old');
  });

  it('says how old the data is and that it is reconnecting when disconnected', () => {
    render(ConnectionStatus, { state: 'offline', ageSec: 40, lang: 'zh-CN' });
    expect(screen.getByRole('status')).toHaveTextContent('数据已 40 秒未更新 · 连接中断，正在重连');
  });

  it('names a bad display link', () => {
    render(ConnectionStatus, { state: 'unauthorized', ageSec: null, lang: 'en' });
    expect(screen.getByRole('status')).toHaveTextContent('Display link not valid');
  });
});
