/**
 * Roles (SPEC §7): who may see what. Shared so the web app can hide what the server would refuse
 * anyway; the server checks every route and socket event itself.
 */
export const ROLES = ['display', 'manager', 'director', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Someone (or some screen) the server has authenticated. */
export interface Principal {
  role: Role;
  /** User name, display-link name, or `token` for the ADMIN_TOKEN / legacy display token. */
  name: string;
  /** How they proved it. */
  via: 'token' | 'session' | 'display-link';
}
