/** The Socket.IO rooms each wallboard layout shows (SPEC §6: `<scope>@<window>`). */
import type { Layout } from '../../shared/layouts.ts';

export const CENTRE_TODAY = 'centre@today';
export const CENTRE_15M = 'centre@15m';
export const QUEUES_TODAY = 'queue:*@today';
export const SITES_TODAY = 'site:*@today';

export const scopeToday = (scope: string) => `${scope}@today`;
export const scope15m = (scope: string) => `${scope}@15m`;

/** Every room the layouts of a screen need, subscribed once so rotating pages never wait for data. */
export function roomsFor(layouts: readonly Layout[], scope: string): string[] {
  const rooms = new Set<string>([scopeToday(scope)]);
  for (const layout of layouts) {
    if (layout === 'overview') {
      rooms.add(scope15m(scope));
      rooms.add(QUEUES_TODAY);
    }
    if (layout === 'queues') rooms.add(QUEUES_TODAY);
    if (layout === 'sites') rooms.add(SITES_TODAY);
  }
  return [...rooms];
}

export const WALLBOARD_ROOMS = roomsFor(['overview'], 'centre');
