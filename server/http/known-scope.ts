/**
 * Unknown scopes answer 404 naming them (issue 11): a typo such as `site:nowhere` must not look
 * like a quiet site with zero figures. A scope is known when the live engine has figures for it
 * (today or yesterday), or when the org directory (DATA_DIR/org.json: every id ever seen in an
 * event, the simulator's names, and what an admin entered) has it: so a wallboard set up for a
 * site before that site's first event of the day, or a site an admin added before it went live,
 * is not refused. A site × queue is known when the engine has it, or the directory has both.
 *
 * The 404 names the scope asked for (it is the thing not found), with control characters
 * removed and at most SHOWN_CHARS characters of it, so the message cannot carry much of an
 * attacker's text or break a log line.
 */
import type { OrgKind } from '../../shared/org.ts';
import { parseScope, SITE_QUEUE, type ParsedScope, type ScopeKey } from '../../shared/scope.ts';
import { HttpError } from '../errors.ts';

const SHOWN_CHARS = 64;

export interface ScopeSources {
  engine: { hasScope(scope: ScopeKey): boolean };
  /** The org directory, when the server keeps one. */
  org?: { has(kind: OrgKind, id: string): boolean } | null;
}

/** A function telling whether a (well-formed) scope is known. */
export type KnownScope = (scope: string) => boolean;

export function knownScope({ engine, org }: ScopeSources): KnownScope {
  return (scope) => {
    if (scope === 'centre') return true;
    if (engine.hasScope(scope as ScopeKey)) return true;
    const parsed = parseScope(scope);
    if (!parsed || !org) return false;
    switch (parsed.dimension) {
      case 'centre':
        return true;
      case SITE_QUEUE:
        return org.has('site', parsed.site) && org.has('queue', parsed.queue);
      default:
        return org.has(parsed.dimension, parsed.name);
    }
  };
}

/** Part of a name fit to show: no control or format characters, at most SHOWN_CHARS. */
export function shownName(name: string): string {
  const clean = name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '');
  return clean.length > SHOWN_CHARS ? `${clean.slice(0, SHOWN_CHARS)}…` : clean;
}

/** `scope: no such site: nowhere` (`field` names the field, e.g. `rooms[0]` on a socket). */
export function unknownScopeMessage(parsed: ParsedScope, field = 'scope'): string {
  switch (parsed.dimension) {
    case 'centre':
      return `${field}: no such scope`;
    case SITE_QUEUE:
      return `${field}: no such queue at site ${shownName(parsed.site)}: ${shownName(parsed.queue)}`;
    default:
      return `${field}: no such ${parsed.dimension}: ${shownName(parsed.name)}`;
  }
}

/** Throws 404 naming the scope when it is well-formed but unknown (call after the 400 and 403 checks). */
export function requireKnownScope(known: KnownScope | undefined, scope: string): void {
  if (!known || known(scope)) return;
  const parsed = parseScope(scope);
  if (parsed) throw new HttpError(404, unknownScopeMessage(parsed));
}
