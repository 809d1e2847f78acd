/**
 * Ingest keys, for admins: several named, revocable bearer keys for `POST /api/v1/events`, one
 * per source system, so one can be cut off without touching the others. Each stored event
 * records the name of the key that brought it.
 */
import { LEGACY_INGEST_KEY_NAME } from '../users/identity.ts';
import { namedTokenRoutes } from './named-token-routes.ts';
import type { RouteContext, Routes } from './route.ts';

/** Events accepted per key name since the server started, and when last. */
export type KeyUsage = Map<string, { events: number; lastUsedMs: number }>;

export function ingestKeyRoutes(context: RouteContext, usage: KeyUsage): Routes {
  const used = (name: string) => {
    const u = usage.get(name);
    return { eventsSinceStart: u?.events ?? 0, lastUsedAt: u ? new Date(u.lastUsedMs).toISOString() : null };
  };
  return namedTokenRoutes(context, {
    path: '/api/v1/ingest-keys',
    listKey: 'keys',
    tokens: context.access.identity.ingestKeys,
    permission: 'ingest-keys:manage',
    action: 'ingest-key',
    extra: (entry) => used(entry.name),
    builtIn: () => [{ name: LEGACY_INGEST_KEY_NAME, builtIn: true, createdAt: null, createdBy: 'INGEST_KEY', revokedAt: null, revokedBy: null, ...used(LEGACY_INGEST_KEY_NAME) }],
    created: () => ({}),
  });
}
