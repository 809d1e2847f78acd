/**
 * Who is asking, and may they. Every HTTP route and socket handshake goes through `Access`:
 * `principalOf` says who a request is (or null), `require` / `requirePermission` throw 401/403
 * unless they hold a role or permission. Principals come from the ADMIN_TOKEN (admin), the
 * legacy display token (a screen named `display`), named display links (a screen named after
 * its link), and people's sessions (cookie for browsers, or the same token as a bearer).
 * Everything is answered from memory, synchronously; `onChange` tells the sockets to re-check
 * themselves when a link, session or account is revoked.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { can, type Permission, type Principal, type Role } from '../../shared/roles.ts';
import { HttpError } from '../errors.ts';
import type { Secrets } from './secrets.ts';
import { LEGACY_DISPLAY_NAME, LEGACY_INGEST_KEY_NAME, memoryIdentity, type Identity } from '../users/identity.ts';

export type { Principal, Role };

export const SESSION_COOKIE = 'wb_session';

export function sameSecret(a: string, b: string): boolean {
  // Hash first so lengths match and the comparison time says nothing about either value.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The bearer token of a request, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

/** The session token in a Cookie header, or undefined. */
export function sessionCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** The address a request came from, for the audit log and rate limits. */
export function remoteAddress(req: IncomingMessage): string | null {
  return req.socket.remoteAddress ?? null;
}

/** Who a credential is: a principal, a person who must first change an initial password, or nobody. */
type Resolved = { principal: Principal } | { mustChangePassword: string } | null;

export class Access {
  readonly identity: Identity;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly secrets: Pick<Secrets, 'ingestKey' | 'displayToken' | 'adminToken'>,
    identity?: Identity,
  ) {
    this.identity = identity ?? memoryIdentity({ now: () => Date.now() });
  }

  private resolve(token: string | undefined): Resolved {
    if (!token || token.length > 512) return null;
    if (this.secrets.adminToken && sameSecret(token, this.secrets.adminToken)) return { principal: { role: 'admin', name: 'token', via: 'token' } };
    if (sameSecret(token, this.secrets.displayToken)) return { principal: { role: 'display', name: LEGACY_DISPLAY_NAME, via: 'display-link' } };
    const link = this.identity.displayLinks.ofToken(token);
    if (link) return { principal: { role: 'display', name: link.name, via: 'display-link' } };
    const session = this.identity.accounts.sessionOf(token);
    if (session) {
      if (session.user.mustChangePassword) return { mustChangePassword: session.user.name };
      return { principal: { role: session.user.role, name: session.user.name, via: 'session' } };
    }
    return null;
  }

  /** Who a bearer token, socket auth token or session token is, or null. */
  principalOfToken(token: string | undefined): Principal | null {
    const resolved = this.resolve(token);
    return resolved && 'principal' in resolved ? resolved.principal : null;
  }

  /** Who a session cookie header is, or null. */
  principalOfCookie(cookieHeader: string | undefined): Principal | null {
    return this.principalOfToken(sessionCookie(cookieHeader));
  }

  /** The credential a request carries: its bearer token, else its session cookie. */
  credentialOf(req: IncomingMessage): string | undefined {
    return bearerToken(req) ?? sessionCookie(req.headers.cookie);
  }

  /** Who a request is, or null. */
  principalOf(req: IncomingMessage): Principal | null {
    return this.principalOfToken(this.credentialOf(req));
  }

  private requireAnyone(req: IncomingMessage): Principal {
    const credential = this.credentialOf(req);
    const resolved = this.resolve(credential);
    if (!resolved) {
      if (!credential) throw new HttpError(401, 'authorization: sign in, or send "Authorization: Bearer <token>"');
      throw new HttpError(bearerToken(req) ? 403 : 401, bearerToken(req) ? 'authorization: token not recognised' : 'session: signed out or expired; sign in again');
    }
    if ('mustChangePassword' in resolved) throw new HttpError(403, 'password: change the initial password before anything else');
    return resolved.principal;
  }

  /** The principal of a request holding one of `roles`; 401 when anonymous, 403 otherwise. */
  require(req: IncomingMessage, roles: readonly Role[]): Principal {
    const principal = this.requireAnyone(req);
    if (!roles.includes(principal.role)) throw new HttpError(403, `authorization: the ${principal.role} role may not do this`);
    return principal;
  }

  /** The principal of a request whose role has `permission` (shared/roles.ts); 401/403 otherwise. */
  requirePermission(req: IncomingMessage, permission: Permission): Principal {
    const principal = this.requireAnyone(req);
    if (!can(principal.role, permission)) throw new HttpError(403, `authorization: the ${principal.role} role may not do this (${permission})`);
    return principal;
  }

  /** The name of the ingest key `key` is, or null: the legacy INGEST_KEY is `default`. */
  ingestKeyName(key: string | undefined): string | null {
    if (key === undefined || key.length > 512) return null;
    if (sameSecret(key, this.secrets.ingestKey)) return LEGACY_INGEST_KEY_NAME;
    return this.identity.ingestKeys.ofToken(key)?.name ?? null;
  }

  isIngestKey(key: string | undefined): boolean {
    return this.ingestKeyName(key) !== null;
  }

  /** Called after any credential was revoked or changed, so open sockets re-check themselves. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }
}
