/**
 * Management API bodies (issue 14): one rule for all of them. `Content-Type: application/json`
 * (415 otherwise; a cross-site form cannot send it without a CORS preflight this server never
 * grants), at most MANAGEMENT_BODY_MAX_BYTES (413), a JSON object without lone surrogates, then
 * the route's zod schema from shared/schemas/. Every refusal is a 400 naming the field
 * (`role: must be one of display, manager, director, admin`) and never the value that was sent.
 * Ingest bodies have their own, larger limit (server/ingest/http-body.ts names both).
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { illFormedPath, LONE_SURROGATE } from '../../shared/unicode.ts';
import { MANAGEMENT_BODY_MAX_BYTES, readBody } from '../ingest/http-body.ts';
import { HttpError } from '../errors.ts';

/** The body as a JSON object, by the rule above; routes with a schema use `readJsonBody`. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'content-type: send application/json');
  const text = await readBody(req, MANAGEMENT_BODY_MAX_BYTES);
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

/** Reads the body by the rule above and parses it with `schema`; 400 naming the first field that is wrong. */
export async function readJsonBody<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.output<S>> {
  return parseBody(schema, await readJsonObject(req));
}

/** Parses a value with `schema`; 400 naming the first field that is wrong (under `root`, when the value is one field). */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown, root = ''): z.output<S> {
  // Messages a schema gives a field win; this map words the rest (zod's own may quote input).
  const parsed = schema.safeParse(value, { error: (issue) => describeIssue(issue as unknown as z.core.$ZodIssue) });
  if (parsed.success) return parsed.data;
  const issue = innermost(parsed.error.issues[0] as z.core.$ZodIssue);
  throw new HttpError(400, `${fieldOf(issue.path, root)}: ${issue.message}`);
}

/**
 * For a value none of a union's forms took: the problem inside the form it came closest to
 * (`screens[1]: a screen name ...` rather than `screens: "all" or a list ...`), when there is one.
 */
function innermost(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  let deepest: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.path.length > 0 && (!deepest || first.path.length > deepest.path.length)) deepest = first;
  }
  return deepest ? innermost({ ...deepest, path: [...issue.path, ...deepest.path] }) : issue;
}

/** `entries[2].zh` from zod's path; `body` for the body itself. */
export function fieldOf(path: readonly PropertyKey[], root = ''): string {
  let out = root;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part).slice(0, 64)}` : String(part).slice(0, 64);
  return out || 'body';
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
  null: 'null',
};

/** What is wrong with a field, in our words, without the value that was sent. */
function describeIssue(issue: z.core.$ZodIssue & { input?: unknown }): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min <= 1 ? 'must not be empty' : `at least ${min} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `at least ${min} item${min === 1 ? '' : 's'}`;
      return issue.inclusive === false ? `must be more than ${min}` : `at least ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `at most ${max} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `at most ${max} items`;
      return issue.inclusive === false ? `must be less than ${max}` : `at most ${max}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.slice(0, 5).map((key) => key.slice(0, 40)).join(', ')}`;
    case 'invalid_format':
      return 'not in the expected form';
    case 'invalid_union':
      return 'not one of the accepted forms';
    default:
      return 'not valid';
  }
}
