/**
 * Signing in and out (SPEC §7): `POST /api/v1/session` {name, password} sets an HttpOnly,
 * SameSite=Strict session cookie; `GET` says who the caller is and what they may do;
 * `POST /api/v1/session/password` changes the password (required first when it is an initial
 * one); `DELETE` signs out. Failures say nothing about which of name or password was wrong.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { permissionsOf } from '../../shared/roles.ts';
import { AccountError } from '../users/accounts.ts';
import { HttpError } from '../errors.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';
import { bearerToken, remoteAddress, SESSION_COOKIE, sessionCookie } from '../security/auth.ts';
import { auditAction } from '../security/audit-action.ts';
import { readJsonBody } from './json-body.ts';
import { passwordChangeBody, signInBody } from '../../shared/schemas/accounts.ts';
import type { RateLimiter } from '../security/rate-limit.ts';

export interface SessionRouteOptions {
  /** Sign-in attempts per address. */
  signInLimiter: RateLimiter;
  /** Mark the cookie Secure (serve over HTTPS). */
  secureCookies: boolean;
}

function setCookie(res: ServerResponse, value: string, maxAgeSec: number, secure: boolean): void {
  res.setHeader('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${secure ? '; Secure' : ''}`);
}

/** Account errors become HTTP errors with the same status and message. */
export async function asHttp<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof AccountError) throw new HttpError(error.status, error.message);
    throw error;
  }
}

export function sessionRoutes(context: RouteContext, options: SessionRouteOptions): Routes {
  const { access, clock } = context;
  const accounts = access.identity.accounts;
  const sessionToken = (req: IncomingMessage) => bearerToken(req) ?? sessionCookie(req.headers.cookie);

  return {
    'POST /api/v1/session': async (req, res) => {
      options.signInLimiter.check(remoteAddress(req) ?? 'unknown', 'from this address');
      const { name, password } = await readJsonBody(req, signInBody);
      const result = await accounts.signIn(name, password, remoteAddress(req));
      if (!result.ok) {
        const actor = result.user ? { name: result.user.name, role: result.user.role } : null;
        await auditAction(context, req, actor, result.reason === 'locked' ? 'signin.locked' : 'signin.failed', result.user ? result.user.name : name.slice(0, 64), {
          reason: result.reason,
          ...(result.lockedUntilMs ? { lockedUntil: new Date(result.lockedUntilMs).toISOString() } : {}),
        });
        if (result.reason === 'locked') {
          const minutes = Math.ceil(((result.lockedUntilMs ?? clock.now()) - clock.now()) / 60_000);
          throw new HttpError(423, `signin: too many failed attempts; the account is locked for ${minutes} min, or until an admin unlocks it`);
        }
        throw new HttpError(401, 'signin: name or password not recognised, or the account is disabled');
      }
      const { user, token, session } = result;
      await auditAction(context, req, user, 'signin', user.name, { mustChangePassword: user.mustChangePassword });
      setCookie(res, token, Math.floor(accounts.sessionTtlMs / 1000), options.secureCookies);
      sendJson(res, 200, {
        name: user.name,
        role: user.role,
        mustChangePassword: user.mustChangePassword,
        permissions: user.mustChangePassword ? [] : permissionsOf(user.role),
        expiresAt: new Date(session.expiresMs).toISOString(),
      });
    },
    'GET /api/v1/session': (req, res) => {
      const token = sessionToken(req);
      const found = token ? accounts.sessionOf(token) : null;
      if (found?.user.mustChangePassword) {
        return sendJson(res, 200, { name: found.user.name, role: found.user.role, via: 'session', mustChangePassword: true, permissions: [] });
      }
      const principal = access.requirePermission(req, 'kpi:read');
      sendJson(res, 200, {
        ...principal,
        mustChangePassword: false,
        permissions: permissionsOf(principal.role),
        expiresAt: found ? new Date(found.session.expiresMs).toISOString() : null,
      });
    },
    'POST /api/v1/session/password': async (req, res) => {
      const token = sessionToken(req);
      const found = token ? accounts.sessionOf(token) : null;
      if (!token || !found) throw new HttpError(401, 'session: sign in first (passwords belong to people, not tokens)');
      const body = await readJsonBody(req, passwordChangeBody);
      const user = await asHttp(() => accounts.changePassword(token, body.currentPassword, body.newPassword));
      await auditAction(context, req, user, 'password.change', user.name, { wasInitial: found.user.mustChangePassword });
      access.changed();
      sendJson(res, 200, { name: user.name, role: user.role, mustChangePassword: false, permissions: permissionsOf(user.role) });
    },
    'DELETE /api/v1/session': async (req, res) => {
      const token = sessionToken(req);
      const found = token ? accounts.sessionOf(token) : null;
      if (token && found) {
        await accounts.revokeSession(found.session.id);
        await auditAction(context, req, found.user, 'signout', found.user.name);
        access.changed();
      }
      setCookie(res, '', 0, options.secureCookies);
      sendJson(res, 200, { signedOut: true });
    },
  };
}
