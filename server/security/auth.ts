/**
 * Who is asking, and may they. Every HTTP route and socket handshake goes through `Access`:
 * `principalOf` says who a request is (or null), `require` throws 401/403 unless they hold one
 * of the roles given. Today the principals are the ADMIN_TOKEN (admin) and the display token
 * (display); users with sessions and named display links plug in here. Comparisons of secrets are
 * constant-time.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal, Role } from '../../shared/roles.ts';
import { HttpError } from '../http/http-error.ts';
import type { Secrets } from './secrets.ts';

export type { Principal, Role };

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

/** The address a request came from, for the audit log and rate limits. */
export function remoteAddress(req: IncomingMessage): string | null {
  return req.socket.remoteAddress ?? null;
}

export class Access {
  constructor(private readonly secrets: Pick<Secrets, 'ingestKey' | 'displayToken' | 'adminToken'>) {}

  /** Who a bearer token (or socket auth token) is, or null. */
  principalOfToken(token: string | undefined): Principal | null {
    if (!token) return null;
    if (this.secrets.adminToken && sameSecret(token, this.secrets.adminToken)) return { role: 'admin', name: 'token', via: 'token' };
    if (sameSecret(token, this.secrets.displayToken)) return { role: 'display', name: 'display', via: 'display-link' };
    return null;
  }

  /** Who a request is, or null. */
  principalOf(req: IncomingMessage): Principal | null {
    return this.principalOfToken(bearerToken(req));
  }

  /** The principal of a request holding one of `roles`; 401 when anonymous, 403 otherwise. */
  require(req: IncomingMessage, roles: readonly Role[]): Principal {
    const token = bearerToken(req);
    const principal = this.principalOf(req);
    if (!principal) {
      if (!token) throw new HttpError(401, 'authorization: sign in, or send "Authorization: Bearer <token>"');
      throw new HttpError(403, 'authorization: token not recognised');
    }
    if (!roles.includes(principal.role)) throw new HttpError(403, `authorization: the ${principal.role} role may not do this`);
    return principal;
  }

  isIngestKey(key: string | undefined): boolean {
    return key !== undefined && sameSecret(key, this.secrets.ingestKey);
  }
}
