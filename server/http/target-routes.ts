/**
 * Targets and service-level settings as versioned data per scope (issue 11):
 * - `GET /api/v1/targets[?month=YYYY-MM][&scope=S][&day=YYYY-MM-DD]`: every version (with its
 *   scope), the defaults, the environment's service-level settings, what is in force today for
 *   the scope (targets, where each comes from, T/S/variant, and what the live engine uses now),
 *   and for a month what was in force on its first day (reports judge a month by it).
 * - `POST /api/v1/targets {scope?, effectiveFrom, targets?, settings?}`: a new version, audited as
 *   `targets.change` with the scope. Directors and admins.
 * Targets in force for today reach every screen and the alerts within a tick; a change of T or S
 * reaches the live counters from the first local midnight at or after both its effective day and
 * its posting (they are applied as contacts are attributed), the variant at once.
 */
import { parseTargetChange, targetsInForce, DEFAULT_TARGET_VERSION, serviceLevelSettingsOf, isTargetScope, type TargetVersion, type ServiceLevelSettings } from '../../shared/targets.ts';
import { dayBounds } from '../../shared/time.ts';
import type { TargetBook } from '../reports/target-book.ts';
import { HttpError } from '../errors.ts';
import { jsonBody, remoteAddress, requireDay, requireMonth, requireReports } from './report-access.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

/** From which local day a version changes what the live floor uses (see the module comment). */
function appliesLive(version: TargetVersion, book: TargetBook, tomorrow: string): { targets: string | null; settings: string | null; variant: string | null } {
  const today = book.today();
  const from = version.effectiveFrom > today ? version.effectiveFrom : today;
  const s = version.settings ?? {};
  const tOrS = s.serviceLevelSec !== undefined || s.shortAbandonSec !== undefined;
  return {
    targets: Object.keys(version.targets).length > 0 ? from : null,
    settings: tOrS ? (version.effectiveFrom > today ? version.effectiveFrom : tomorrow) : null,
    variant: s.serviceLevelVariant !== undefined ? from : null,
  };
}

export function targetRoutes(context: RouteContext, book: TargetBook = context.targets): Routes {
  const tomorrow = () => dayBounds(dayBounds(context.clock.now(), context.config.timeZone).endMs, context.config.timeZone).day;
  return {
    'GET /api/v1/targets': async (req, res, url) => {
      requireReports(context, req);
      await book.ready;
      const versions = book.list();
      const month = url.searchParams.get('month');
      if (month !== null) requireMonth('month', month, context.clock.now());
      const scope = url.searchParams.get('scope') ?? 'centre';
      if (!isTargetScope(scope)) throw new HttpError(400, 'scope: one of centre, site:X, queue:X or channel:X');
      const day = url.searchParams.get('day') ?? book.today();
      requireDay('day', day, context.clock.now());
      const today = book.withSources(scope, day);
      const live: ServiceLevelSettings = serviceLevelSettingsOf(context.config.kpi);
      sendJson(res, 200, {
        defaults: DEFAULT_TARGET_VERSION.targets,
        baseSettings: book.base,
        versions,
        scope,
        day,
        inForceToday: { targets: today.targets, sources: today.sources, settings: book.settingsFor(day) },
        liveSettings: live,
        ...(month ? { month, inForce: targetsInForce(versions, `${month}-01`, scope), settings: book.settingsFor(`${month}-01`) } : {}),
      });
    },
    'POST /api/v1/targets': async (req, res) => {
      const principal = requireReports(context, req);
      let change;
      try {
        change = parseTargetChange(await jsonBody(req));
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError(400, (error as Error).message);
      }
      await book.ready;
      const at = context.clock.now();
      requireDay('effectiveFrom', change.effectiveFrom, at);
      const previous = targetsInForce(book.list(), change.effectiveFrom, change.scope);
      const previousSettings = book.settingsFor(change.effectiveFrom);
      const version: TargetVersion = { ...change, changedBy: principal.name, changedAtMs: at };
      // Audited first (issue 12): if the audit log cannot take it, the targets are not changed.
      await context.audit.record({
        at,
        actor: principal.name,
        role: principal.role,
        action: 'targets.change',
        target: change.effectiveFrom,
        from: remoteAddress(req),
        detail: {
          scope: change.scope,
          targets: change.targets,
          previous: Object.fromEntries(Object.keys(change.targets).map((k) => [k, previous[k as keyof typeof previous] ?? null])),
          ...(change.settings
            ? { settings: change.settings, previousSettings: Object.fromEntries(Object.keys(change.settings).map((k) => [k, previousSettings[k as keyof ServiceLevelSettings]])) }
            : {}),
        },
      });
      await book.add(version);
      sendJson(res, 201, { ...version, appliesLive: appliesLive(version, book, tomorrow()) });
    },
  };
}
