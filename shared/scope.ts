/**
 * Scopes (SPEC §1): every KPI exists for the centre and per site, queue, team, agent and channel,
 * and for a queue inside one site. A scope key is `centre`, `<dimension>:<name>`, or
 * `site:<site>/queue:<queue>` (issue 10: the same queue name served by two sites is two scopes
 * there, and one `queue:<queue>` scope across the centre).
 */

export const DIMENSIONS = ['site', 'queue', 'team', 'agent', 'channel'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
/** A queue within one site: `site:X/queue:Y` (not a `<dimension>:<name>` key). */
export const SITE_QUEUE = 'siteQueue';
/** What `scopeDimension` tells apart: the plain dimensions and the site × queue one. */
export type ScopeDimension = Dimension | typeof SITE_QUEUE;
/** Every dimension with scope keys of its own, site × queue included (e.g. to list every scope). */
export const SCOPE_DIMENSIONS: readonly ScopeDimension[] = [...DIMENSIONS, SITE_QUEUE];
export type ScopeKey = 'centre' | `${Dimension}:${string}`;

/** Between the site and the queue of a site × queue key. */
const SITE_QUEUE_SEPARATOR = '/queue:';
const SITE_PREFIX = 'site:';
const MAX_NAME = 128;

export type ParsedScope =
  | { dimension: 'centre' }
  | { dimension: Dimension; name: string }
  /** `name` is the queue's, so code that shows a scope's name shows the queue. */
  | { dimension: typeof SITE_QUEUE; site: string; queue: string; name: string };

/** Words listing the accepted forms, for field-named 400s. */
export const SCOPE_FORMS = 'centre, site:X, queue:X, site:X/queue:Y, team:X, agent:X or channel:X';

/**
 * Parses `centre`, `site:X`, `queue:X`, `site:X/queue:Y`, ...; returns null for anything else.
 * A site name containing `/queue:` cannot be addressed on its own (it reads as a site × queue).
 */
export function parseScope(raw: string): ParsedScope | null {
  if (raw === 'centre') return { dimension: 'centre' };
  const colon = raw.indexOf(':');
  if (colon < 1) return null;
  const dimension = raw.slice(0, colon) as Dimension;
  const name = raw.slice(colon + 1);
  if (!DIMENSIONS.includes(dimension) || name.length === 0) return null;
  if (dimension === 'site') {
    const split = name.indexOf(SITE_QUEUE_SEPARATOR);
    if (split !== -1) {
      const site = name.slice(0, split);
      const queue = name.slice(split + SITE_QUEUE_SEPARATOR.length);
      if (site.length === 0 || site.length > MAX_NAME || queue.length === 0 || queue.length > MAX_NAME) return null;
      return { dimension: SITE_QUEUE, site, queue, name: queue };
    }
  }
  if (name.length > MAX_NAME) return null;
  return { dimension, name };
}

export function scopeKey(dimension: Dimension, name: string): ScopeKey {
  return `${dimension}:${name}`;
}

/** The key of a queue within a site: `site:X/queue:Y`. */
export function siteQueueKey(site: string, queue: string): ScopeKey {
  return `site:${site}${SITE_QUEUE_SEPARATOR}${queue}`;
}

/** The prefix every queue key of a site starts with (`site:X/queue:`), to list them. */
export function siteQueuePrefix(site: string): string {
  return `site:${site}${SITE_QUEUE_SEPARATOR}`;
}

function isSiteQueue(key: string): boolean {
  return key.startsWith(SITE_PREFIX) && key.includes(SITE_QUEUE_SEPARATOR, SITE_PREFIX.length);
}

/** The dimension of a scope key (`centre` for the centre, `siteQueue` for `site:X/queue:Y`). */
export function scopeDimension(key: string): ScopeDimension | 'centre' {
  if (key === 'centre') return 'centre';
  if (isSiteQueue(key)) return SITE_QUEUE;
  return key.slice(0, key.indexOf(':')) as Dimension;
}

/** The name part of a scope key (`centre` for the centre; the queue's name for `site:X/queue:Y`). */
export function scopeName(key: string): string {
  if (key === 'centre') return 'centre';
  if (isSiteQueue(key)) return key.slice(key.indexOf(SITE_QUEUE_SEPARATOR, SITE_PREFIX.length) + SITE_QUEUE_SEPARATOR.length);
  return key.slice(key.indexOf(':') + 1);
}

/** The site a `site:X` or `site:X/queue:Y` key is about; null for other scopes. */
export function scopeSite(key: string): string | null {
  if (!key.startsWith(SITE_PREFIX)) return null;
  const split = key.indexOf(SITE_QUEUE_SEPARATOR, SITE_PREFIX.length);
  return split === -1 ? key.slice(SITE_PREFIX.length) : key.slice(SITE_PREFIX.length, split);
}

/** What a contact, ticket or agent is known by, for scope membership. */
export interface ScopeMember {
  site?: string;
  queue?: string;
  team?: string;
  agentId?: string;
  channel?: string;
}

/**
 * The scope keys a contact or ticket counts in, from what is known of it. A queue within a site
 * (`site:X/queue:Y`) when both are known, so its figures are attributed exactly as its site's and
 * its queue's are.
 */
export function scopesOf(r: ScopeMember): ScopeKey[] {
  const keys: ScopeKey[] = ['centre'];
  if (r.site !== undefined) keys.push(`site:${r.site}`);
  if (r.queue !== undefined) {
    keys.push(`queue:${r.queue}`);
    if (r.site !== undefined) keys.push(siteQueueKey(r.site, r.queue));
  }
  if (r.team !== undefined) keys.push(`team:${r.team}`);
  if (r.agentId !== undefined) keys.push(`agent:${r.agentId}`);
  if (r.channel !== undefined) keys.push(`channel:${r.channel}`);
  return keys;
}

/**
 * Whether something known by `r` counts in the scope: the same rule as `scopesOf`, without
 * building keys (for filtering stored rows or agents by scope).
 */
export function inScope(scope: ParsedScope, r: ScopeMember): boolean {
  switch (scope.dimension) {
    case 'centre':
      return true;
    case SITE_QUEUE:
      return r.site === scope.site && r.queue === scope.queue;
    case 'site':
      return r.site === scope.name;
    case 'queue':
      return r.queue === scope.name;
    case 'team':
      return r.team === scope.name;
    case 'agent':
      return r.agentId === scope.name;
    case 'channel':
      return r.channel === scope.name;
  }
}

/** One team of the tree: its site (where most of its agents are), queues served and agents. */
export interface ScopeTreeTeam {
  scope: string;
  site: string | null;
  queues: string[];
  agents: string[];
}

export interface ScopeTreeSite {
  scope: string;
  /** `site:X/queue:Y` keys of the site's queues. */
  queues: string[];
  /** Teams with an agent at the site (only for roles that may see teams). */
  teams?: string[];
}

/** `GET /api/v1/scopes/tree` (the duty manager's console, issue 10); `teams` (and each site's `teams`) only with `kpi:read-agents`. */
export interface ScopeTree {
  sites: ScopeTreeSite[];
  queues: string[];
  teams?: ScopeTreeTeam[];
  channels: string[];
}
