/**
 * Scopes (SPEC §1): every KPI exists for the centre and per site, queue, team, agent and channel.
 * A scope key is `centre` or `<dimension>:<name>`.
 */

export const DIMENSIONS = ['site', 'queue', 'team', 'agent', 'channel'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export type ScopeKey = 'centre' | `${Dimension}:${string}`;

export type ParsedScope = { dimension: 'centre' } | { dimension: Dimension; name: string };

/** Parses `centre`, `site:X`, `queue:X`, ...; returns null for anything else. */
export function parseScope(raw: string): ParsedScope | null {
  if (raw === 'centre') return { dimension: 'centre' };
  const colon = raw.indexOf(':');
  if (colon < 1) return null;
  const dimension = raw.slice(0, colon) as Dimension;
  const name = raw.slice(colon + 1);
  if (!DIMENSIONS.includes(dimension) || name.length === 0 || name.length > 128) return null;
  return { dimension, name };
}

export function scopeKey(dimension: Dimension, name: string): ScopeKey {
  return `${dimension}:${name}`;
}

/** The dimension of a scope key (`centre` for the centre). */
export function scopeDimension(key: string): Dimension | 'centre' {
  return key === 'centre' ? 'centre' : (key.slice(0, key.indexOf(':')) as Dimension);
}

/** The name part of a scope key (`centre` for the centre). */
export function scopeName(key: string): string {
  return key === 'centre' ? 'centre' : key.slice(key.indexOf(':') + 1);
}

/** The scope keys a contact or ticket counts in, from what is known of it. */
export function scopesOf(r: {
  site?: string;
  queue?: string;
  team?: string;
  agentId?: string;
  channel?: string;
}): ScopeKey[] {
  const keys: ScopeKey[] = ['centre'];
  if (r.site !== undefined) keys.push(`site:${r.site}`);
  if (r.queue !== undefined) keys.push(`queue:${r.queue}`);
  if (r.team !== undefined) keys.push(`team:${r.team}`);
  if (r.agentId !== undefined) keys.push(`agent:${r.agentId}`);
  if (r.channel !== undefined) keys.push(`channel:${r.channel}`);
  return keys;
}
