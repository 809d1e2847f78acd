/**
 * Duty-manager control of the floor's screens (issue 5): which layout each screen shows and
 * visitor mode; plus the trend series tiles draw their sparklines from. Every change is audited.
 */
import { parseBody, readJsonBody } from './json-body.ts';
import { screenLayoutBody, screenList, screenName as screenNameSchema, visitorModeBody } from '../../shared/schemas/floor.ts';
import { LAYOUTS, parseScreenLayout } from '../../shared/layouts.ts';
import { parseScope, type ScopeKey } from '../../shared/scope.ts';
import { canSeeScope, type Role } from '../../shared/roles.ts';
import { remoteAddress } from '../security/auth.ts';
import type { ScreenHub } from '../screens/screen-hub.ts';
import { HttpError } from '../errors.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

/** Who may steer the floor's screens. */
export const MANAGERS: readonly Role[] = ['manager', 'admin'];

/** A list of screen names, or 'all' (shared/schemas/floor.ts); 400 naming `field`. */
export function parseScreens(value: unknown, field = 'screens'): 'all' | string[] {
  return parseBody(screenList, value, field);
}

/** A screen name (shared/schemas/floor.ts); 400 naming `field`. */
export function screenName(value: unknown, field = 'screen'): string {
  return parseBody(screenNameSchema, value, field);
}

export function screenRoutes({ access, audit, clock }: RouteContext, hub: ScreenHub): Routes {
  return {
    'GET /api/v1/screens': (req, res) => {
      access.require(req, MANAGERS);
      const connected = hub.connected();
      const names = [...new Set([...hub.registry.knownScreens(), ...connected.keys()])].sort();
      sendJson(res, 200, {
        layouts: LAYOUTS,
        screens: names.map((name) => ({ name, assigned: hub.registry.assigned(name), visitor: hub.registry.isVisitor(name), connected: connected.get(name) ?? 0 })),
      });
    },
    'PUT /api/v1/screens/layout': async (req, res) => {
      const principal = access.require(req, MANAGERS);
      const body = await readJsonBody(req, screenLayoutBody);
      const screen = body.screen;
      let layout = null;
      if (body.layout !== null) {
        const parsed = parseScreenLayout(body.layout);
        if (!parsed.ok) throw new HttpError(400, `layout.${parsed.error}`);
        layout = parsed.value;
      }
      // Audited first (issue 12): if the audit log cannot take it, the layout is not changed.
      const previous = hub.registry.assigned(screen);
      await audit.record({ at: clock.now(), actor: principal.name, role: principal.role, action: 'screen.assign', target: screen, from: remoteAddress(req), detail: { layout, previous } });
      hub.registry.assign(screen, layout);
      hub.push([screen]);
      sendJson(res, 200, { screen, assigned: layout });
    },
    'PUT /api/v1/screens/visitor-mode': async (req, res) => {
      const principal = access.require(req, MANAGERS);
      const body = await readJsonBody(req, visitorModeBody);
      const wanted = body.screens;
      const screens = wanted === 'all' ? [...new Set([...hub.registry.knownScreens(), ...hub.connected().keys()])] : wanted;
      const changed = screens.filter((screen) => hub.registry.isVisitor(screen) !== body.on);
      const at = clock.now();
      // Each screen audited before it is switched (issue 12): a failing audit write stops there.
      for (const screen of changed) {
        await audit.record({ at, actor: principal.name, role: principal.role, action: body.on ? 'visitor-mode.on' : 'visitor-mode.off', target: screen, from: remoteAddress(req), detail: null });
        hub.registry.setVisitor(screen, body.on);
      }
      hub.push(changed, true);
      sendJson(res, 200, { on: body.on, changed, unchanged: screens.filter((s) => !changed.includes(s)) });
    },
    'GET /api/v1/trends': (req, res, url) => {
      const principal = access.require(req, ['display', 'manager', 'director', 'admin']);
      const scope = url.searchParams.get('scope') ?? 'centre';
      if (!parseScope(scope) || scope.startsWith('agent:')) throw new HttpError(400, 'scope: must be centre, site:X, queue:X, site:X/queue:Y, team:X or channel:X');
      // Team series are agent-level figures: not for floor screens (issue 12, the README's role table).
      if (!canSeeScope(principal.role, scope)) throw new HttpError(403, `scope: the ${principal.role} role sees centre, site, queue and channel figures only`);
      sendJson(res, 200, hub.trends.get(scope as ScopeKey, clock.now()));
    },
  };
}
