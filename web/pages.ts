/**
 * The pages of the app by path (SPEC §6: `/wall`, `/manager`, `/reports`, `/admin`, plus the
 * sign-in page). Every page but the wallboard is loaded on demand, so a TV downloads only the
 * wallboard (and never DuckDB-WASM).
 */
import type { Component } from 'svelte';

export type PageLoader = () => Promise<{ default: Component }>;

/** Path → page. Each area adds its page here. */
export const PAGES: Record<string, PageLoader | 'wallboard'> = {
  '/': 'wallboard',
  '/wall': 'wallboard',
  '/signin': () => import('./signin/SignIn.svelte'),
  '/admin': () => import('./admin/Admin.svelte'),
  '/reports': () => import('./reports/ReportsPage.svelte'),
  '/manager': () => import('./manager/Manager.svelte'),
};

/** The page for a location path (trailing slashes ignored); the wallboard when unknown. */
export function pageFor(pathname: string): PageLoader | 'wallboard' {
  const path = pathname.replace(/\/+$/, '') || '/';
  return PAGES[path] ?? 'wallboard';
}
