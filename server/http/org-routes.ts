/**
 * The org directory over HTTP (issue 11):
 * - `GET /api/v1/org` — every role: `{revision, entries: [{kind, id, zh?, en?, source, ...}],
 *   limits}`, unnamed entries first. A floor screen (no `kpi:read-agents`) gets sites, queues,
 *   channels and teams (its agent board shows teams) but no agent entries: people's names stay off
 *   the TV. `ETag`/`If-None-Match` answer 304 when nothing changed, so pages can poll cheaply.
 * - `PUT /api/v1/org` — admins: `{entries: [{kind, id, zh?, en?}]}` names (or, with null or "",
 *   unnames) up to 500 entries; entries not listed stay as they are. Audited as `org.change`
 *   with each entry's names before and after. Field-named 400s.
 */
import type { IncomingMessage } from 'node:http';
import { can } from '../../shared/roles.ts';
import { ORG_KINDS, ORG_LIMITS, type OrgKind } from '../../shared/org.ts';
import { parseOrgChanges } from '../../shared/org-schema.ts';
import { scopeName } from '../../shared/scope.ts';
import type { OrgDirectory } from '../org/org-directory.ts';
import { auditAction } from '../security/audit-action.ts';
import { readJsonObject } from './json-body.ts';
import { HttpError } from '../errors.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

const FLOOR_KINDS: readonly OrgKind[] = ['site', 'queue', 'team', 'channel'];

export function orgRoutes(context: RouteContext, org: OrgDirectory): Routes {
  const { access, engine } = context;

  /**
   * Ids the live engine holds (restored from the store before the directory existed) join too;
   * at most every 10 s, since every screen asks once a minute.
   */
  let joinedAtMs = -Infinity;
  const joinLiveIds = () => {
    const now = context.clock.now();
    if (now - joinedAtMs < 10_000 && now >= joinedAtMs) return;
    joinedAtMs = now;
    for (const kind of ORG_KINDS) org.joinIds(kind, engine.scopeKeys(kind).map((key) => scopeName(key)));
  };

  const etagOf = (agentLevel: boolean) => `"org-${org.revision}-${agentLevel ? 'a' : 'd'}"`;

  return {
    'GET /api/v1/org': (req: IncomingMessage, res) => {
      const principal = access.requirePermission(req, 'kpi:read');
      joinLiveIds();
      const agentLevel = can(principal.role, 'kpi:read-agents');
      const etag = etagOf(agentLevel);
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'cache-control': 'no-cache' });
        res.end();
        return;
      }
      const data = org.data(agentLevel ? ORG_KINDS : FLOOR_KINDS);
      const text = JSON.stringify({ ...data, limits: ORG_LIMITS });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', etag });
      res.end(text);
    },
    'PUT /api/v1/org': async (req, res) => {
      const principal = access.requirePermission(req, 'org:write');
      const parsed = parseOrgChanges(await readJsonObject(req));
      if (!parsed.ok) throw new HttpError(400, parsed.error);
      const changes = parsed.value;
      // New ids count against the size of their kind.
      const adding = new Map<OrgKind, number>();
      changes.forEach((change, i) => {
        if (org.has(change.kind, change.id)) return;
        const count = (adding.get(change.kind) ?? 0) + 1;
        adding.set(change.kind, count);
        if (org.count(change.kind) + count > ORG_LIMITS.entriesPerKind) {
          throw new HttpError(400, `entries[${i}].id: the directory holds at most ${ORG_LIMITS.entriesPerKind} entries of kind ${change.kind}`);
        }
      });
      // Audited first (issue 12): if the audit log cannot take it, the directory stays as it was.
      const atMs = context.clock.now();
      const planned = org.preview(changes, principal.name, atMs);
      if (planned.length > 0) {
        const target = planned.length === 1 ? `${planned[0].kind}:${planned[0].id}` : `${planned.length} entries`;
        await auditAction(context, req, principal, 'org.change', target, { changes: planned });
      }
      const diffs = org.apply(changes, principal.name, atMs);
      sendJson(res, 200, { revision: org.revision, changed: diffs.length, changes: diffs });
    },
  };
}
