/**
 * List, create and revoke routes for named, revocable tokens (display links and ingest keys
 * share the shape): `GET <path>`, `POST <path>` {name} answering the token once, and
 * `DELETE <path>?name=`. Each change is audited and tells open sockets to re-check themselves.
 */
import type { Permission } from '../../shared/roles.ts';
import { NamedTokenError, type NamedToken, type NamedTokens } from '../users/named-tokens.ts';
import { HttpError } from '../errors.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';
import { auditAction } from '../security/audit-action.ts';
import { readJsonBody } from './json-body.ts';
import { namedTokenCreateBody } from '../../shared/schemas/named-tokens.ts';

export interface NamedTokenRouteSpec {
  path: string;
  /** Key of the list in the GET answer. */
  listKey: string;
  tokens: NamedTokens;
  permission: Permission;
  /** Audit action prefix: `display-link` gives `display-link.create` and `display-link.revoke`. */
  action: string;
  /** Extra fields shown per entry (connected screens, events received). */
  extra(entry: NamedToken): Record<string, unknown>;
  /** Entries that live outside the store (the legacy token from the environment). */
  builtIn(): Record<string, unknown>[];
  /** What a new entry's token is for, added to the POST answer. */
  created(entry: NamedToken, token: string): Record<string, unknown>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function namedTokenRoutes(context: RouteContext, spec: NamedTokenRouteSpec): Routes {
  const { access } = context;
  const present = (entry: NamedToken) => ({
    name: entry.name,
    createdAt: iso(entry.createdMs),
    createdBy: entry.createdBy,
    revokedAt: iso(entry.revokedMs),
    revokedBy: entry.revokedBy,
    ...spec.extra(entry),
  });
  return {
    [`GET ${spec.path}`]: (req, res) => {
      access.requirePermission(req, spec.permission);
      sendJson(res, 200, { [spec.listKey]: [...spec.builtIn(), ...spec.tokens.list().map(present)] });
    },
    [`POST ${spec.path}`]: async (req, res) => {
      const admin = access.requirePermission(req, spec.permission);
      const body = await readJsonBody(req, namedTokenCreateBody);
      let made: { entry: NamedToken; token: string };
      try {
        spec.tokens.checkNewName(body.name);
        // Audited first (issue 12): if the audit log cannot take it, no token is made.
        await auditAction(context, req, admin, `${spec.action}.create`, body.name);
        made = await spec.tokens.create(body.name, admin.name);
      } catch (error) {
        if (error instanceof NamedTokenError) throw new HttpError(400, error.message);
        throw error;
      }
      sendJson(res, 201, { ...present(made.entry), token: made.token, ...spec.created(made.entry, made.token) });
    },
    [`DELETE ${spec.path}`]: async (req, res, url) => {
      const admin = access.requirePermission(req, spec.permission);
      const name = url.searchParams.get('name') ?? '';
      if (!spec.tokens.active(name)) throw new HttpError(404, `name: no active entry "${name.slice(0, 64)}"`);
      // Audited first (issue 12): if the audit log cannot take it, the token keeps working.
      await auditAction(context, req, admin, `${spec.action}.revoke`, name);
      const revoked = await spec.tokens.revoke(name, admin.name);
      if (!revoked) throw new HttpError(404, `name: no active entry "${name.slice(0, 64)}"`);
      access.changed();
      sendJson(res, 200, present(revoked));
    },
  };
}
