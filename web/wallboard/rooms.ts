/** The Socket.IO rooms each wallboard layout shows (SPEC §6: `<scope>@<window>`). */
import type { Layout } from '../../shared/layouts.ts';
import { scopeSite } from '../../shared/scope.ts';

export const CENTRE_TODAY = 'centre@today';
export const CENTRE_15M = 'centre@15m';
export const QUEUES_TODAY = 'queue:*@today';
export const SITES_TODAY = 'site:*@today';

export const scopeToday = (scope: string) => `${scope}@today`;
export const scope15m = (scope: string) => `${scope}@15m`;

/**
 * The room of the queues a screen's queue table lists: a site's TV (`site:X`, or one of its
 * queues) lists that site's queues (`site:X/queue:*`, issue 10); any other screen the centre's.
 */
export function queuesRoomFor(scope: string): string {
  const site = scopeSite(scope);
  return site === null ? QUEUES_TODAY : `site:${site}/queue:*@today`;
}

/** Every room the layouts of a screen need, subscribed once so rotating pages never wait for data. */
export function roomsFor(layouts: readonly Layout[], scope: string): string[] {
  const rooms = new Set<string>([scopeToday(scope)]);
  for (const layout of layouts) {
    if (layout === 'overview') {
      rooms.add(scope15m(scope));
      rooms.add(queuesRoomFor(scope));
    }
    if (layout === 'queues') rooms.add(queuesRoomFor(scope));
    if (layout === 'sites') rooms.add(SITES_TODAY);
  }
  return [...rooms];
}

export const WALLBOARD_ROOMS = roomsFor(['overview'], 'centre');
