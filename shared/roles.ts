/**
 * Roles (SPEC §7, manuals 000/001/003): who may see and do what, in one table. Least privilege:
 * a floor screen (display) sees aggregates only; a duty manager runs the live floor; a director
 * reads and exports reports and sets targets; an admin does everything, including accounts,
 * display links, ingest keys and the audit log. Shared so pages can hide what the server would
 * refuse anyway; the server checks every route and socket event itself with `can`.
 */
import { scopeDimension, type Dimension } from './scope.ts';

export const ROLES = ['display', 'manager', 'director', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Someone (or some screen) the server has authenticated. */
export interface Principal {
  role: Role;
  /** User name, display-link name, `token` for the ADMIN_TOKEN, `display` for the legacy display token. */
  name: string;
  /** How they proved it. */
  via: 'token' | 'session' | 'display-link';
}

/** Named permissions; routes and socket events of every area ask for one of these. */
export const PERMISSIONS = {
  /** Live KPIs of the centre, sites, queues and channels; thresholds; centre settings. */
  'kpi:read': ['display', 'manager', 'director', 'admin'],
  /** Live KPIs of teams and single agents (the floor drill-down). */
  'kpi:read-agents': ['manager', 'director', 'admin'],
  /** The contacts and tickets behind a live figure (masked customers; never a floor screen). */
  'kpi:drill': ['manager', 'director', 'admin'],
  /** Alerts and broadcasts addressed to screens (what a wallboard shows). */
  'alerts:read': ['display', 'manager', 'director', 'admin'],
  'alerts:ack': ['manager', 'admin'],
  'broadcast:send': ['manager', 'admin'],
  'visitor-mode:set': ['manager', 'admin'],
  /** Wallboard layouts and screen settings. */
  'screens:configure': ['manager', 'admin'],
  /** Daily and monthly KPI reports (aggregates, every grouping). */
  'reports:read': ['manager', 'director', 'admin'],
  /** Staffing figures: Erlang C required agents, the what-if calculator, seats vs. agents logged in. */
  'staffing:read': ['manager', 'director', 'admin'],
  /** Month extracts of contact records (masked) and drill-down to contacts. */
  'contacts:read': ['director', 'admin'],
  'reports:export': ['director', 'admin'],
  'targets:write': ['director', 'admin'],
  'users:manage': ['admin'],
  'display-links:manage': ['admin'],
  'ingest-keys:manage': ['admin'],
  'audit:read': ['admin'],
  /** Display names of sites, queues, teams, channels and agents (the org directory). */
  'org:write': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** Every permission of a role, for the pages (`GET /api/v1/session`). */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((permission) => can(role, permission));
}

/** Dimensions that name people or small groups of them: not for floor screens. */
export const AGENT_LEVEL_DIMENSIONS: readonly Dimension[] = ['team', 'agent'];

/**
 * Whether a role may see a scope (`centre`, `queue:X`, `site:X/queue:Y`, `agent:*`, ...). Team and agent scopes
 * need `kpi:read-agents`; everything else `kpi:read`.
 */
export function canSeeScope(role: Role, scope: string): boolean {
  // A queue within a site (`site:X/queue:Y`) is an aggregate like its site and its queue.
  const dimension = scopeDimension(scope);
  const agentLevel = (AGENT_LEVEL_DIMENSIONS as readonly string[]).includes(dimension);
  return can(role, agentLevel ? 'kpi:read-agents' : 'kpi:read');
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
