/**
 * Broadcasts to floor screens (issue 5, manual 003: the unified script 统一口径 during an
 * outage): a manager sends a message to all or chosen screens until it expires or is withdrawn.
 * Both are audited.
 */
import { randomUUID } from 'node:crypto';
import { remoteAddress } from '../security/auth.ts';
import type { ScreenHub } from '../screens/screen-hub.ts';
import { HttpError } from '../errors.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';
import { MANAGERS } from './screen-routes.ts';
import { readJsonBody } from './json-body.ts';
import { broadcastBody, broadcastWithdrawBody } from '../../shared/schemas/floor.ts';

export function broadcastRoutes({ access, audit, clock }: RouteContext, hub: ScreenHub): Routes {
  return {
    'GET /api/v1/broadcasts': (req, res) => {
      access.require(req, MANAGERS);
      sendJson(res, 200, { now: clock.now(), broadcasts: hub.registry.history() });
    },
    'POST /api/v1/broadcasts': async (req, res) => {
      const principal = access.require(req, MANAGERS);
      const { text, screens, durationSec } = await readJsonBody(req, broadcastBody);
      // Audited first (issue 12): if the audit log cannot take it, nothing is sent or saved.
      const id = randomUUID();
      const at = clock.now();
      await audit.record({
        at,
        actor: principal.name,
        role: principal.role,
        action: 'broadcast.send',
        target: screens === 'all' ? 'all' : screens.join(','),
        from: remoteAddress(req),
        detail: { id, text, durationSec },
      });
      const broadcast = hub.registry.send({ id, text, screens, durationSec, by: principal.name, nowMs: at });
      hub.push(screens);
      sendJson(res, 201, { broadcast });
    },
    'POST /api/v1/broadcasts/withdraw': async (req, res) => {
      const principal = access.require(req, MANAGERS);
      const body = await readJsonBody(req, broadcastWithdrawBody);
      const at = clock.now();
      const found = hub.registry.history().find((b) => b.id === body.id);
      if (!found) throw new HttpError(404, 'id: no such broadcast');
      if (found.withdrawnAt !== null || found.expiresAt <= at) throw new HttpError(409, 'id: that broadcast has already expired or been withdrawn');
      // Audited first (issue 12): if the audit log cannot take it, the broadcast stays up.
      await audit.record({
        at,
        actor: principal.name,
        role: principal.role,
        action: 'broadcast.withdraw',
        target: found.screens === 'all' ? 'all' : found.screens.join(','),
        from: remoteAddress(req),
        detail: { id: found.id, text: found.text },
      });
      const result = hub.registry.withdraw(body.id, at);
      if (typeof result === 'string') throw new HttpError(409, 'id: that broadcast has already expired or been withdrawn');
      hub.push(result.screens);
      sendJson(res, 200, { broadcast: result });
    },
  };
}
