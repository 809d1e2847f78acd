/** Shared by the report, extract and target routes: who may read them, and JSON bodies. */
import type { IncomingMessage } from 'node:http';
import { readBody } from '../ingest/http-body.ts';
import { remoteAddress } from '../security/auth.ts';
import { HttpError } from './http-error.ts';
import type { RouteContext } from './route.ts';
import { isMonth } from '../../shared/report-extract.ts';

/** Reports, extracts, exports and targets: directors and admins (never a display link). */
export const REPORT_ROLES = ['director', 'admin'] as const;

export function requireReports({ access }: RouteContext, req: IncomingMessage) {
  return access.require(req, REPORT_ROLES);
}

/** The `month` query parameter, validated. */
export function monthParam(url: URL): string {
  const month = url.searchParams.get('month') ?? '';
  if (!isMonth(month)) throw new HttpError(400, `month: "${month.slice(0, 20)}" is not a month YYYY-MM`);
  return month;
}

/** A small JSON object body; 400 naming what is wrong. */
export async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req, 64 * 1024);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body: not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body: must be a JSON object');
  return body as Record<string, unknown>;
}

export { remoteAddress };
