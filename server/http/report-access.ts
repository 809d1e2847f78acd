/** Shared by the report, extract and target routes: who may read them, and JSON bodies. */
import type { IncomingMessage } from 'node:http';
import { remoteAddress } from '../security/auth.ts';
import { HttpError } from '../errors.ts';
import type { RouteContext } from './route.ts';
import { dayFieldError, monthFieldError } from '../../shared/time.ts';

/** Reports, extracts, exports and targets: directors and admins (never a display link). */
export const REPORT_ROLES = ['director', 'admin'] as const;

export function requireReports({ access }: RouteContext, req: IncomingMessage) {
  return access.require(req, REPORT_ROLES);
}

/** The `month` query parameter, validated: a real month in the sane range (issue 12), 400 naming it. */
export function monthParam(url: URL, nowMs: number): string {
  const month = url.searchParams.get('month') ?? '';
  const error = monthFieldError('month', month, nowMs);
  if (error) throw new HttpError(400, error);
  return month;
}

/** A day parameter or field, validated (real calendar day, sane range); 400 naming `field`. */
export function requireDay(field: string, value: string, nowMs: number): string {
  const error = dayFieldError(field, value, nowMs);
  if (error) throw new HttpError(400, error);
  return value;
}

/** A month parameter or field, validated; 400 naming `field`. */
export function requireMonth(field: string, value: string, nowMs: number): string {
  const error = monthFieldError(field, value, nowMs);
  if (error) throw new HttpError(400, error);
  return value;
}

/** A JSON object body by the one rule of every management body (server/http/json-body.ts). */
export { readJsonObject as jsonBody } from './json-body.ts';

export { remoteAddress };
