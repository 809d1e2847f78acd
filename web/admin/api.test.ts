/**
 * The desk pages' calls carry the page's `?token=` as a bearer (an admin token opens every page,
 * SPEC §6), and nothing without one (the session cookie goes by itself).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, landingPath, pageToken } from './api.ts';

function recordingFetch(calls: Array<{ path: string; headers: Record<string, string> }>): typeof fetch {
  return (async (path: string, init: RequestInit) => {
    calls.push({ path, headers: init.headers as Record<string, string> });
    return new Response(JSON.stringify({ ok: true }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
}

describe('desk API calls', () => {
  afterEach(() => history.replaceState(null, '', '/'));

  it('sends the page token as a bearer, next to the JSON content type', async () => {
    history.replaceState(null, '', '/admin?token=abc-123&lang=en');
    expect(pageToken()).toBe('abc-123');
    const calls: Array<{ path: string; headers: Record<string, string> }> = [];
    await api('PATCH', '/api/v1/users', { name: 'x' }, recordingFetch(calls));
    expect(calls[0].headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer abc-123' });
  });

  it('sends no authorization without a token, and ignores an empty one', async () => {
    const calls: Array<{ path: string; headers: Record<string, string> }> = [];
    await api('GET', '/api/v1/session', undefined, recordingFetch(calls));
    history.replaceState(null, '', '/admin?token=');
    await api('GET', '/api/v1/session', undefined, recordingFetch(calls));
    expect(calls.map((c) => c.headers)).toEqual([{}, {}]);
    expect(pageToken('?lang=en')).toBeNull();
  });

  it('lands people on their role page, or a safe next path', () => {
    expect(landingPath('admin', null, 'en')).toBe('/admin?lang=en');
    expect(landingPath('manager', '//evil.example', 'zh-CN')).toBe('/manager?lang=zh-CN');
  });
});
