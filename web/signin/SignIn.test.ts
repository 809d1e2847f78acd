/**
 * The sign-in page as a person uses it: a refusal in their language, the forced change of an
 * initial password (with the two new passwords compared before anything is sent), and the
 * landing page of their role, or a safe `next`.
 */
import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { landingPath, navigation } from '../admin/api.ts';
import SignIn from './SignIn.svelte';

type Reply = { status: number; body: unknown };

function serve(replies: Record<string, Reply[]>) {
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
    const method = init.method ?? 'GET';
    calls.push({ method, path, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const reply = replies[`${method} ${path}`]?.shift() ?? { status: 404, body: { error: 'not found' } };
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
  });
  return calls;
}

describe('SignIn', () => {
  let went: string[];
  beforeEach(() => {
    went = [];
    vi.spyOn(navigation, 'go').mockImplementation((path) => void went.push(path));
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('says in Chinese when name or password is wrong, and when the account is locked', async () => {
    history.replaceState(null, '', '/signin');
    serve({ 'POST /api/v1/session': [{ status: 401, body: { error: 'signin: x' } }, { status: 423, body: { error: 'signin: locked' } }] });
    render(SignIn);
    await fireEvent.input(screen.getByLabelText('用户名'), { target: { value: 'li.na' } });
    await fireEvent.input(screen.getByLabelText('密码'), { target: { value: 'nope' } });
    await fireEvent.submit(screen.getByRole('button', { name: '登录' }).closest('form')!);
    expect(await screen.findByRole('alert')).toHaveTextContent('用户名或密码不正确，或账号已停用');
    await fireEvent.submit(screen.getByRole('button', { name: '登录' }).closest('form')!);
    expect(await screen.findByText('失败次数过多，账号已锁定；请稍后再试或联系管理员')).toBeInTheDocument();
    expect(went).toEqual([]);
  });

  it('makes a first sign-in choose a new password, then goes where it was asked to', async () => {
    history.replaceState(null, '', '/signin?lang=en&next=%2Fadmin%3Ftab%3Daudit');
    const calls = serve({
      'POST /api/v1/session': [{ status: 200, body: { name: 'first.admin', role: 'admin', mustChangePassword: true, permissions: [] } }],
      'POST /api/v1/session/password': [{ status: 200, body: { name: 'first.admin', role: 'admin', mustChangePassword: false, permissions: ['users:manage'] } }],
    });
    render(SignIn);
    await fireEvent.input(screen.getByLabelText('User name'), { target: { value: ' first.admin ' } });
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'initial-123' } });
    await fireEvent.submit(screen.getByRole('button', { name: 'Sign in' }).closest('form')!);
    expect(await screen.findByText('Change your initial password')).toBeInTheDocument();

    await fireEvent.input(screen.getByLabelText('New password'), { target: { value: 'Harbour-lights-2026' } });
    await fireEvent.input(screen.getByLabelText('Repeat new password'), { target: { value: 'Harbour-lights-2027' } });
    await fireEvent.submit(screen.getByRole('button', { name: 'Save and continue' }).closest('form')!);
    expect(await screen.findByRole('alert')).toHaveTextContent('The two new passwords differ');
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/session']);

    await fireEvent.input(screen.getByLabelText('Repeat new password'), { target: { value: 'Harbour-lights-2026' } });
    await fireEvent.submit(screen.getByRole('button', { name: 'Save and continue' }).closest('form')!);
    await vi.waitFor(() => expect(went).toEqual(['/admin?tab=audit']));
    expect(calls[0].body).toEqual({ name: 'first.admin', password: 'initial-123' });
    expect(calls[1].body).toEqual({ currentPassword: 'initial-123', newPassword: 'Harbour-lights-2026' });
  });

  it('sends people to the page of their role, and never to another site', () => {
    expect(landingPath('manager', null, 'en')).toBe('/manager?lang=en');
    expect(landingPath('director', null, 'zh-CN')).toBe('/reports?lang=zh-CN');
    expect(landingPath('admin', '//evil.example/x', 'en')).toBe('/admin?lang=en');
    expect(landingPath('admin', 'https://evil.example', 'en')).toBe('/admin?lang=en');
    expect(landingPath('admin', '/\\evil.example', 'en')).toBe('/admin?lang=en');
    expect(landingPath('display', '/wall?layout=queues', 'en')).toBe('/wall?layout=queues');
  });
});
