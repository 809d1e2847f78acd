/**
 * Everything the console shows is in its URL (SPEC §6: bookmarkable, back and forward work):
 * `/manager?scope=site:hangzhou&window=15m&lang=en&tab=live&by=queues&sort=serviceLevel&dir=asc&contacts=answerRate&of=site:hangzhou`.
 * Parsed and written here, so the page and its tests agree on one shape.
 */
import { parseScope } from '../../shared/scope.ts';
import { KPI_NAMES, type KpiName } from '../../shared/kpi.ts';
import { parseLang, type Lang } from '../lib/i18n.ts';

export const WINDOWS = ['15m', '60m', 'today'] as const;
export type ConsoleWindow = (typeof WINDOWS)[number];

export const TABS = ['live', 'trends', 'agents', 'tickets', 'staffing', 'alerts', 'screens'] as const;
export type ConsoleTab = (typeof TABS)[number];

export interface ConsoleState {
  scope: string;
  window: ConsoleWindow;
  lang: Lang;
  tab: ConsoleTab;
  /** How the children of the scope are grouped (`sites`, `queues`, ...); '' for the default. */
  by: string;
  /** Column the children are sorted by, and whether ascending; '' for worst first by service level. */
  sort: string;
  dir: 'asc' | 'desc' | '';
  /** The figure whose contacts are open, and of which scope; '' when closed. */
  contacts: KpiName | '';
  of: string;
  /** A token from a link (automation, admin); people sign in and have none. */
  token: string;
}

function oneOf<T extends string>(values: readonly T[], raw: string | null, fallback: T): T {
  return values.find((v) => v === raw) ?? fallback;
}

/** The state a URL's query asks for; anything unknown falls back to the centre, today, live. */
export function stateFromQuery(search: string): ConsoleState {
  const q = new URLSearchParams(search);
  const scope = q.get('scope') ?? 'centre';
  const of = q.get('of') ?? '';
  return {
    scope: parseScope(scope) ? scope : 'centre',
    window: oneOf(WINDOWS, q.get('window'), 'today'),
    lang: parseLang(q.get('lang')),
    tab: oneOf(TABS, q.get('tab'), 'live'),
    by: q.get('by') ?? '',
    sort: q.get('sort') ?? '',
    dir: oneOf(['asc', 'desc', ''] as const, q.get('dir'), ''),
    contacts: oneOf([...KPI_NAMES, ''] as const, q.get('contacts'), ''),
    of: parseScope(of) ? of : '',
    token: q.get('token') ?? '',
  };
}

/** The query for a state, leaving out what is at its default so links stay short. */
export function queryOf(state: ConsoleState): string {
  const q = new URLSearchParams();
  q.set('scope', state.scope);
  q.set('window', state.window);
  q.set('lang', state.lang);
  if (state.tab !== 'live') q.set('tab', state.tab);
  if (state.by) q.set('by', state.by);
  if (state.sort) q.set('sort', state.sort);
  if (state.dir) q.set('dir', state.dir);
  if (state.contacts) {
    q.set('contacts', state.contacts);
    q.set('of', state.of || state.scope);
  }
  if (state.token) q.set('token', state.token);
  return `?${q.toString()}`;
}
