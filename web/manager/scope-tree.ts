/**
 * The org the console drills through (SPEC §1): centre → sites → a site's queues
 * (`site:X/queue:Y`) → the teams serving them → agents, plus centre-wide queues and channels.
 * Pure functions over the scope tree the server sends (`GET /api/v1/scopes/tree`): which rooms
 * bring a scope's children, and which scopes lead to it.
 */
import { SITE_QUEUE, scopeDimension, scopeName, scopeSite, siteQueueKey, type ScopeTree as ScopeTreeAnswer } from '../../shared/scope.ts';
import type { ScopeTree } from './types.ts';

/** Ways of splitting a scope into the rows of its drill table. */
export const CHILD_GROUPS = ['sites', 'queues', 'channels', 'teams', 'agents'] as const;
export type ChildGroup = (typeof CHILD_GROUPS)[number];

/** The rooms that carry a scope's children in a group, and which of their scopes are children. */
export interface Children {
  group: ChildGroup;
  rooms: string[];
  /** Scopes of those rooms that belong (a wildcard room may carry more). */
  includes: (scope: string) => boolean;
}

const teamsOfSite = (tree: ScopeTree, site: string) => tree.teams.filter((team) => team.site === site);
const teamName = (scope: string) => scopeName(scope);

/** The team entries serving a scope (site, site × queue, queue), from the tree. */
function teamsServing(tree: ScopeTree, scope: string): string[] {
  const dimension = scopeDimension(scope);
  if (dimension === 'site') {
    const site = scopeName(scope);
    const listed = tree.sites.find((s) => s.scope === scope)?.teams ?? [];
    return [...new Set([...listed, ...teamsOfSite(tree, site).map((t) => t.scope)])];
  }
  if (dimension === SITE_QUEUE) {
    const site = scopeSite(scope);
    const queue = scopeName(scope);
    return tree.teams.filter((t) => t.site === site && t.queues.includes(queue)).map((t) => t.scope);
  }
  if (dimension === 'queue') return tree.teams.filter((t) => t.queues.includes(scopeName(scope))).map((t) => t.scope);
  return [];
}

/** The groups a scope can be split into, in the order offered; empty for a leaf. */
export function childGroups(tree: ScopeTree, scope: string): ChildGroup[] {
  const canTeams = tree.teams.length > 0;
  switch (scopeDimension(scope)) {
    case 'centre':
      return ['sites', 'queues', 'channels', ...(canTeams ? (['teams'] as const) : [])];
    case 'site':
      return ['queues', ...(canTeams ? (['teams'] as const) : [])];
    case SITE_QUEUE:
      return canTeams ? ['teams'] : [];
    case 'queue':
      return ['sites', ...(canTeams ? (['teams'] as const) : [])];
    case 'team':
      return canTeams ? ['agents'] : [];
    default:
      return [];
  }
}

/** Rooms of explicit scopes, each in the window. */
const roomsOf = (scopes: string[], window: string) => scopes.map((scope) => `${scope}@${window}`);

/**
 * The children of `scope` in `group` (the first offered when '' or not offered), or null for a
 * leaf: the centre's sites come from `site:*`, a site's queues from `site:X/queue:*`, the rest
 * from one room per child.
 */
export function childrenOf(tree: ScopeTree, scope: string, group: string, window: string): Children | null {
  const groups = childGroups(tree, scope);
  if (groups.length === 0) return null;
  const chosen = groups.find((g) => g === group) ?? groups[0];
  const dimension = scopeDimension(scope);
  const wildcard = (room: string, includes: (s: string) => boolean): Children => ({ group: chosen, rooms: [`${room}@${window}`], includes });
  const listed = (scopes: string[]): Children => {
    const set = new Set(scopes);
    return { group: chosen, rooms: roomsOf(scopes, window), includes: (s) => set.has(s) };
  };
  if (chosen === 'teams') return listed(dimension === 'centre' ? tree.teams.map((t) => t.scope) : teamsServing(tree, scope));
  if (chosen === 'agents') return listed(tree.teams.find((t) => t.scope === scope)?.agents ?? []);
  if (dimension === 'centre') {
    // A `site:*` room may also carry site × queue scopes: only plain sites are the centre's children.
    if (chosen === 'sites') return wildcard('site:*', (s) => scopeDimension(s) === 'site');
    if (chosen === 'queues') return wildcard('queue:*', (s) => scopeDimension(s) === 'queue');
    return wildcard('channel:*', (s) => scopeDimension(s) === 'channel');
  }
  if (dimension === 'site') {
    const site = scopeName(scope);
    return wildcard(`site:${site}/queue:*`, (s) => scopeDimension(s) === SITE_QUEUE && scopeSite(s) === site);
  }
  // A centre-wide queue split by site: that queue in every site that serves it.
  const queue = scopeName(scope);
  return listed(tree.sites.filter((s) => s.queues.includes(siteQueueKey(scopeName(s.scope), queue))).map((s) => siteQueueKey(scopeName(s.scope), queue)));
}

/** The scopes from the centre down to `scope`, for the breadcrumb. */
export function pathTo(tree: ScopeTree, scope: string): string[] {
  const dimension = scopeDimension(scope);
  if (dimension === 'centre') return ['centre'];
  if (dimension === 'site') return ['centre', scope];
  if (dimension === SITE_QUEUE) return ['centre', `site:${scopeSite(scope)}`, scope];
  if (dimension === 'team') {
    const team = tree.teams.find((t) => t.scope === scope);
    return team?.site ? ['centre', `site:${team.site}`, scope] : ['centre', scope];
  }
  if (dimension === 'agent') {
    const team = tree.teams.find((t) => t.agents.includes(scope));
    return team ? [...pathTo(tree, team.scope), scope] : ['centre', scope];
  }
  return ['centre', scope];
}

/** The tree as the server sent it, with the parts a role does not see (teams) as empty lists. */
export function normalizeTree(raw: Partial<ScopeTreeAnswer>): ScopeTree {
  return {
    sites: (raw.sites ?? []).map((site) => ({ scope: site.scope, queues: site.queues ?? [], teams: site.teams ?? [] })),
    queues: raw.queues ?? [],
    teams: (raw.teams ?? []).map((team) => ({ scope: team.scope, site: team.site ?? null, queues: team.queues ?? [], agents: team.agents ?? [] })),
    channels: raw.channels ?? [],
  };
}

/** The tree from the older flat `GET /api/v1/scopes` (no site × queue or team membership known). */
export function treeFromFlat(flat: { sites?: string[]; queues?: string[]; teams?: string[]; channels?: string[] }): ScopeTree {
  return {
    sites: (flat.sites ?? []).map((scope) => ({ scope, queues: [], teams: [] })),
    queues: flat.queues ?? [],
    teams: (flat.teams ?? []).map((scope) => ({ scope, site: null, queues: [], agents: [] })),
    channels: flat.channels ?? [],
  };
}

/** Sorts team scopes by name, for stable tree order. */
export function byName(a: string, b: string): number {
  return teamName(a).localeCompare(teamName(b), 'en', { numeric: true });
}
