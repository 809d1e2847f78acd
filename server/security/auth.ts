/**
 * Who may read and who may write. Reads need a bearer token (the admin token or the display
 * token, SPEC §6); ingest needs the ingest key. Comparisons are constant-time.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Secrets } from './secrets.ts';

export type Role = 'display' | 'admin';

function sameSecret(a: string, b: string): boolean {
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

export class Authenticator {
  constructor(private readonly secrets: Pick<Secrets, 'ingestKey' | 'displayToken' | 'adminToken'>) {}

  /** The role a read token grants, or null. */
  roleOf(token: string | undefined): Role | null {
    if (!token) return null;
    if (this.secrets.adminToken && sameSecret(token, this.secrets.adminToken)) return 'admin';
    if (sameSecret(token, this.secrets.displayToken)) return 'display';
    return null;
  }

  isIngestKey(key: string | undefined): boolean {
    return key !== undefined && sameSecret(key, this.secrets.ingestKey);
  }
}
