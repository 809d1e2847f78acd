/**
 * Display links, for admins: one named, revocable link per floor screen
 * (`/wall?token=...`; read-only, aggregates only). The screen's name is the link's name, and
 * screen settings are keyed by it. Revoking a link drops the screens using it at once.
 */
import { LEGACY_DISPLAY_NAME } from '../users/identity.ts';
import { namedTokenRoutes } from './named-token-routes.ts';
import type { RouteContext, Routes } from './route.ts';

export function displayLinkRoutes(context: RouteContext, screensOf: (name: string) => number): Routes {
  return namedTokenRoutes(context, {
    path: '/api/v1/display-links',
    listKey: 'links',
    tokens: context.access.identity.displayLinks,
    permission: 'display-links:manage',
    action: 'display-link',
    extra: (entry) => ({ screens: entry.revokedMs === null ? screensOf(entry.name) : 0 }),
    builtIn: () => [{ name: LEGACY_DISPLAY_NAME, builtIn: true, createdAt: null, createdBy: 'DISPLAY_TOKEN', revokedAt: null, revokedBy: null, screens: screensOf(LEGACY_DISPLAY_NAME) }],
    created: (_entry, token) => ({ path: `/wall?token=${encodeURIComponent(token)}` }),
  });
}
