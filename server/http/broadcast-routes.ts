/**
 * Broadcasts to floor screens (issue 5, manual 003: the unified script 统一口径 during an
 * outage): a manager sends a message to all or chosen screens until it expires or is withdrawn.
 * Both are audited.
 */
import { MAX_BROADCAST_CHARS, MAX_BROADCAST_SEC } from '../../shared/alerts.ts';
import { remoteAddress } from '../security/auth.ts';
import type { ScreenHub } from '../screens/screen-hub.ts';
import { HttpError } from './http-error.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';
import { MANAGERS, parseScreens, readJsonObject } from './screen-routes.ts';

export function broadcastRoutes({ access, audit, clock }: RouteContext, hub: ScreenHub): Routes {
  return {
    'GET /api/v1/broadcasts': (req, res) => {
      access.require(req, MANAGERS);
      sendJson(res, 200, { now: clock.now(), broadcasts: hub.registry.history() });
    },
    'POST /api/v1/broadcasts': async (req, res) => {
      const principal = access.require(req, MANAGERS);
      const body = await readJsonObject(req);
      const text = typeof body.text === 'string' ? body.text.trim() : '';
      if (text.length === 0 || text.length > MAX_BROADCAST_CHARS) throw new HttpError(400, `text: 1 to ${MAX_BROADCAST_CHARS} characters`);
      const screens = parseScreens(body.screens ?? 'all');
      const durationSec = body.durationSec;
      if (typeof durationSec !== 'number' || !Number.isInteger(durationSec) || durationSec < 5 || durationSec > MAX_BROADCAST_SEC) {
        throw new HttpError(400, `durationSec: a whole number of seconds from 5 to ${MAX_BROADCAST_SEC}`);
      }
      const broadcast = hub.registry.send({ text, screens, durationSec, by: principal.name, nowMs: clock.now() });
      await audit.record({
        at: broadcast.sentAt,
        actor: principal.name,
        role: principal.role,
        action: 'broadcast.send',
        target: screens === 'all' ? 'all' : screens.join(','),
        from: remoteAddress(req),
        detail: { id: broadcast.id, text, durationSec },
      });
      hub.push(screens);
      sendJson(res, 201, { broadcast });
    },
    'POST /api/v1/broadcasts/withdraw': async (req, res) => {
      const principal = access.require(req, MANAGERS);
      const body = await readJsonObject(req);
      if (typeof body.id !== 'string' || body.id.length === 0 || body.id.length > 64) throw new HttpError(400, 'id: the id of a broadcast');
      const result = hub.registry.withdraw(body.id, clock.now());
      if (result === 'not-found') throw new HttpError(404, `id: no broadcast "${body.id}"`);
      if (result === 'not-showing') throw new HttpError(409, 'id: that broadcast has already expired or been withdrawn');
      await audit.record({
        at: result.withdrawnAt!,
        actor: principal.name,
        role: principal.role,
        action: 'broadcast.withdraw',
        target: result.screens === 'all' ? 'all' : result.screens.join(','),
        from: remoteAddress(req),
        detail: { id: result.id, text: result.text },
      });
      hub.push(result.screens);
      sendJson(res, 200, { broadcast: result });
    },
  };
}
