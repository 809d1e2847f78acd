/**
 * The org directory on the wallboard (issue 11): the queue table and the site comparison show
 * the directory's names in the screen's language, follow a rename without a reload, and keep the
 * id for what nobody named.
 */
import { render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OrgDirectoryData } from '../../shared/org.ts';
import { scopeLabel } from '../lib/alert-text.ts';
import { loadOrg, resetOrg, setOrg } from '../lib/org.svelte.ts';
import { scopeKpis } from '../testing/fake-socket.ts';
import QueueTable from './QueueTable.svelte';
import SiteComparison from './SiteComparison.svelte';

const NOW = Date.UTC(2026, 0, 5, 2, 0, 0);
const DIRECTORY: OrgDirectoryData = {
  revision: 7,
  entries: [
    { kind: 'queue', id: 'value_added', zh: '增值业务专席', en: 'Value-added desk', source: 'admin' },
    { kind: 'queue', id: 'night_shift', zh: '夜班', en: 'Night shift', source: 'admin' },
    { kind: 'site', id: 'sz', zh: '深圳', en: 'Shenzhen', source: 'admin' },
    { kind: 'team', id: 'hangzhou-back_office-1', zh: '杭州综合解决1组', en: 'Hangzhou Back office team 1', source: 'builtin' },
  ],
};

const queues = [scopeKpis('queue:value_added', { answered: 4, answeredInSl: 4 }), scopeKpis('queue:night_shift', {}), scopeKpis('queue:unnamed_q', {})];
const names = () => screen.getAllByRole('rowheader').map((th) => th.textContent);

afterEach(() => resetOrg());

describe('org directory names on the wallboard', () => {
  it('loads the directory with the display token and shows its names in both languages', async () => {
    const fetchFn = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      const headers = init?.headers as Record<string, string>;
      if (headers['if-none-match'] === '"org-7-d"') return new Response(null, { status: 304 });
      return new Response(JSON.stringify(DIRECTORY), { status: 200, headers: { etag: '"org-7-d"', 'content-type': 'application/json' } });
    });
    expect(await loadOrg('display-token', fetchFn as typeof fetch)).toBe(true);
    expect(fetchFn.mock.calls[0][0]).toBe('/api/v1/org');
    expect((fetchFn.mock.calls[0][1]!.headers as Record<string, string>).authorization).toBe('Bearer display-token');
    // Asked again: 304, the names stay.
    expect(await loadOrg('display-token', fetchFn as typeof fetch)).toBe(false);

    const zh = render(QueueTable, { queues, serverNowMs: NOW, lang: 'zh-CN' });
    expect(names()).toEqual(['增值业务专席', '夜班', 'unnamed_q']);
    zh.unmount();
    render(QueueTable, { queues, serverNowMs: NOW, lang: 'en' });
    expect(names()).toEqual(['Value-added desk', 'Night shift', 'unnamed_q']);
  });

  it('follows a rename without a reload, and names sites and teams everywhere scopeLabel is used', () => {
    setOrg(DIRECTORY);
    render(SiteComparison, { sites: [scopeKpis('site:sz', {}), scopeKpis('site:hangzhou', {})], serverNowMs: NOW, lang: 'en', visitor: false });
    expect(names().sort()).toEqual(['Hangzhou', 'Shenzhen']);
    setOrg({ revision: 8, entries: [{ kind: 'site', id: 'sz', zh: '深圳', en: 'Shenzhen South', source: 'admin' }] });
    flushSync();
    expect(names().sort()).toEqual(['Hangzhou', 'Shenzhen South']);

    setOrg(DIRECTORY);
    expect(scopeLabel('team:hangzhou-back_office-1', 'zh-CN')).toBe('杭州综合解决1组');
    expect(scopeLabel('team:hangzhou-back_office-1', 'en')).toBe('Hangzhou Back office team 1');
    expect(scopeLabel('site:sz/queue:value_added', 'en')).toBe('Shenzhen · Value-added desk');
    expect(scopeLabel('agent:sz1001', 'en')).toBe('sz1001');
  });
});
