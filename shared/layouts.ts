/**
 * What a floor screen shows (issue 5): its layouts (rotated on a timer), scope, language and
 * rotation period. The same shape comes from the URL of a TV (`/wall?layout=&scope=&lang=&rotate=`)
 * and from a duty manager's assignment, so one parser checks both and names the bad field.
 */
import { parseScope } from './scope.ts';

export const LAYOUTS = ['overview', 'queues', 'agents', 'alerts', 'sites'] as const;
export type Layout = (typeof LAYOUTS)[number];

export const SCREEN_LANGS = ['zh-CN', 'en'] as const;
export type ScreenLang = (typeof SCREEN_LANGS)[number];

/** Rotation bounds: faster than 5 s nobody can read a page, slower than an hour is no rotation. */
export const MIN_ROTATE_SEC = 5;
export const MAX_ROTATE_SEC = 3600;

export interface ScreenLayout {
  /** Pages in rotation order; one page means no rotation. */
  layouts: Layout[];
  /** `centre`, `site:X`, `queue:X`, `site:X/queue:Y` or `team:X`: what the figures are about. */
  scope: string;
  lang: ScreenLang;
  /** Seconds per page when several layouts rotate. */
  rotateSec: number;
}

export const DEFAULT_SCREEN_LAYOUT: ScreenLayout = { layouts: ['overview'], scope: 'centre', lang: 'zh-CN', rotateSec: 20 };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks a layout assignment; the error names the first bad field. */
export function parseScreenLayout(input: {
  layouts?: unknown;
  scope?: unknown;
  lang?: unknown;
  rotateSec?: unknown;
}): Parsed<ScreenLayout> {
  const layouts = input.layouts ?? DEFAULT_SCREEN_LAYOUT.layouts;
  if (!Array.isArray(layouts) || layouts.length === 0 || layouts.length > LAYOUTS.length * 2) {
    return { ok: false, error: `layouts: a list of 1 to ${LAYOUTS.length * 2} of ${LAYOUTS.join(', ')}` };
  }
  for (const [i, layout] of layouts.entries()) {
    if (!(LAYOUTS as readonly unknown[]).includes(layout)) return { ok: false, error: `layouts[${i}]: "${String(layout).slice(0, 40)}" is not one of ${LAYOUTS.join(', ')}` };
  }
  const scope = input.scope ?? DEFAULT_SCREEN_LAYOUT.scope;
  if (typeof scope !== 'string' || scope.length > 200 || !parseScope(scope) || scope.startsWith('agent:') || scope.startsWith('channel:')) {
    return { ok: false, error: 'scope: must be centre, site:X, queue:X, site:X/queue:Y or team:X' };
  }
  const lang = input.lang ?? DEFAULT_SCREEN_LAYOUT.lang;
  if (!(SCREEN_LANGS as readonly unknown[]).includes(lang)) return { ok: false, error: `lang: must be ${SCREEN_LANGS.join(' or ')}` };
  const rotateSec = input.rotateSec ?? DEFAULT_SCREEN_LAYOUT.rotateSec;
  if (typeof rotateSec !== 'number' || !Number.isInteger(rotateSec) || rotateSec < MIN_ROTATE_SEC || rotateSec > MAX_ROTATE_SEC) {
    return { ok: false, error: `rotateSec: a whole number of seconds from ${MIN_ROTATE_SEC} to ${MAX_ROTATE_SEC}` };
  }
  return { ok: true, value: { layouts: layouts as Layout[], scope, lang: lang as ScreenLang, rotateSec } };
}

/**
 * The layout a TV's URL asks for: `layout=overview,queues&scope=site:hangzhou&lang=en&rotate=30`.
 * A TV has no keyboard to fix a typo, so bad values fall back to the defaults instead of failing.
 */
export function layoutFromUrl(params: URLSearchParams): ScreenLayout {
  const wanted = (params.get('layout') ?? '').split(',').map((s) => s.trim()).filter((s) => (LAYOUTS as readonly string[]).includes(s)) as Layout[];
  const scope = params.get('scope');
  const lang = params.get('lang');
  const rotate = Number(params.get('rotate'));
  const layouts = wanted.length > 0 ? wanted : DEFAULT_SCREEN_LAYOUT.layouts;
  const field = <K extends 'scope' | 'lang'>(key: K, raw: string | null): ScreenLayout[K] =>
    raw !== null && parseScreenLayout({ [key]: raw }).ok ? (raw as ScreenLayout[K]) : DEFAULT_SCREEN_LAYOUT[key];
  return {
    layouts,
    scope: field('scope', scope),
    lang: field('lang', lang),
    rotateSec: Number.isInteger(rotate) && rotate >= MIN_ROTATE_SEC && rotate <= MAX_ROTATE_SEC ? rotate : DEFAULT_SCREEN_LAYOUT.rotateSec,
  };
}
