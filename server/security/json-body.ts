/**
 * Small JSON bodies of the management API (sign-in, users, links, keys): at most `limitBytes`,
 * `Content-Type: application/json` (which a cross-site form cannot send without a CORS
 * preflight this server never grants), and an object: anything else is a 400 naming the problem.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http/http-error.ts';
import { readBody } from '../ingest/http-body.ts';
import { illFormedPath, LONE_SURROGATE } from '../../shared/unicode.ts';

export const MAX_JSON_BODY_BYTES = 16 * 1024;

export async function readJsonObject(req: IncomingMessage, limitBytes = MAX_JSON_BODY_BYTES): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'content-type: send application/json');
  const text = await readBody(req, limitBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body: not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'body: must be a JSON object');
  // Once for every management body (issue 12): a lone surrogate anywhere is refused here, naming
  // the field, before anything is applied; the stores and the audit log would refuse it later.
  const bad = illFormedPath(value);
  if (bad !== null) throw new HttpError(400, `${bad.slice(0, 120)}: ${LONE_SURROGATE}`);
  return value as Record<string, unknown>;
}

/** A string field of at most `max` characters, or a 400 naming it. */
export function stringField(body: Record<string, unknown>, name: string, max = 200): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) throw new HttpError(400, `${name}: required string`);
  if (value.length > max) throw new HttpError(400, `${name}: at most ${max} characters`);
  return value;
}
