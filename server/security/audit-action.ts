/**
 * One way for route modules to write an audit entry from a request: who (the principal, or
 * `anonymous`), when (the injected clock), from where (the remote address), what.
 */
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../../shared/roles.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { remoteAddress } from './auth.ts';

export function auditAction(
  { audit, clock }: { audit: AuditLog; clock: { now(): number } },
  req: IncomingMessage,
  actor: Pick<Principal, 'name' | 'role'> | null,
  action: string,
  target: string | null,
  detail: Record<string, unknown> | null = null,
): Promise<void> {
  return audit.record({ at: clock.now(), actor: actor?.name ?? 'anonymous', role: actor?.role ?? null, action, target, from: remoteAddress(req), detail });
}
