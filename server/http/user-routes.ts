/**
 * Accounts and sessions, for admins (manual 003: one account per person; a forgotten password
 * is reset by the administrator and changed by its owner). Every change is audited with what it
 * was before and after. An admin cannot take the admin role from, or disable, their own account,
 * so a centre is never left without a way back in.
 */
import type { User } from '../users/accounts.ts';
import { HttpError } from '../errors.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';
import { asHttp } from './session-routes.ts';
import { auditAction } from '../security/audit-action.ts';
import { readJsonBody } from './json-body.ts';
import { passwordResetBody, userCreateBody, userUpdateBody } from '../../shared/schemas/accounts.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function userRoutes(context: RouteContext): Routes {
  const { access } = context;
  const accounts = access.identity.accounts;
  const present = (user: User) => {
    const { createdMs, lastSignInMs, lockedUntilMs, ...rest } = accounts.publicUser(user);
    return { ...rest, createdAt: iso(createdMs), lastSignInAt: iso(lastSignInMs), lockedUntil: rest.locked ? iso(lockedUntilMs) : null };
  };

  return {
    'GET /api/v1/users': (req, res) => {
      access.requirePermission(req, 'users:manage');
      sendJson(res, 200, { users: accounts.listUsers().map((u) => present(accounts.user(u.name)!)) });
    },
    'POST /api/v1/users': async (req, res) => {
      const admin = access.requirePermission(req, 'users:manage');
      const body = await readJsonBody(req, userCreateBody);
      // Audited first (issue 12): if the audit log cannot take it, no account is made.
      await asHttp(async () => accounts.checkNewUser(body.name, body.role));
      await auditAction(context, req, admin, 'user.create', body.name, { role: body.role });
      const { user, initialPassword } = await asHttp(() => accounts.createUser(body.name, body.role, admin.name));
      sendJson(res, 201, { user: present(user), initialPassword });
    },
    'PATCH /api/v1/users': async (req, res) => {
      const admin = access.requirePermission(req, 'users:manage');
      const body = await readJsonBody(req, userUpdateBody);
      const name = body.name;
      if (admin.via === 'session' && name === admin.name && ((body.role !== undefined && body.role !== 'admin') || body.disabled === true)) {
        throw new HttpError(400, 'name: you cannot take the admin role from, or disable, your own account');
      }
      const change = { role: body.role, disabled: body.disabled, unlock: body.unlock };
      // Audited first (issue 12): if the audit log cannot take it, the account is not changed.
      const planned = await asHttp(async () => accounts.planUpdate(name, change));
      if (planned.before.role !== planned.after.role) await auditAction(context, req, admin, 'user.role', name, { from: planned.before.role, to: planned.after.role });
      if (planned.before.disabled !== planned.after.disabled) await auditAction(context, req, admin, planned.after.disabled ? 'user.disable' : 'user.enable', name);
      if (body.unlock === true) await auditAction(context, req, admin, 'user.unlock', name);
      const { after } = await asHttp(() => accounts.updateUser(name, change));
      access.changed();
      sendJson(res, 200, { user: present(after) });
    },
    'POST /api/v1/users/password-reset': async (req, res) => {
      const admin = access.requirePermission(req, 'users:manage');
      const { name } = await readJsonBody(req, passwordResetBody);
      if (!accounts.user(name)) throw new HttpError(404, `name: no user "${name}"`);
      // Audited first (issue 12): if the audit log cannot take it, the password stays as it was.
      await auditAction(context, req, admin, 'user.password-reset', name);
      const { user, initialPassword } = await asHttp(() => accounts.resetPassword(name));
      access.changed();
      sendJson(res, 200, { user: present(user), initialPassword });
    },
    'GET /api/v1/sessions': (req, res) => {
      access.requirePermission(req, 'users:manage');
      sendJson(res, 200, {
        sessions: accounts.listSessions().map(({ createdMs, expiresMs, revokedMs: _revoked, ...rest }) => ({ ...rest, createdAt: iso(createdMs), expiresAt: iso(expiresMs) })),
      });
    },
    'DELETE /api/v1/sessions': async (req, res, url) => {
      const admin = access.requirePermission(req, 'users:manage');
      const user = url.searchParams.get('user') ?? '';
      const ref = url.searchParams.get('ref') || undefined;
      if (!accounts.user(user)) throw new HttpError(404, `user: no user "${user.slice(0, 64)}"`);
      const revoked = await accounts.revokeSessionsOf(user, ref);
      await auditAction(context, req, admin, 'session.revoke', user, { sessions: revoked, ...(ref ? { ref } : {}) });
      access.changed();
      sendJson(res, 200, { revoked });
    },
  };
}
