/**
 * Validation of the org directory (shared/org.ts) with zod: the file DATA_DIR/org.json and the
 * body of `PUT /api/v1/org`. Errors name the field (`entries[2].zh: at most 64 characters`) and
 * never repeat what was sent. Server-side only: the wallboard does not load zod.
 */
import { z } from 'zod';
import { ORG_KINDS, ORG_LIMITS, ORG_SOURCES, type OrgChange, type OrgDirectoryData } from './org.ts';

/** Control characters would break a table cell or a CSV line. */
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

const id = z.string().min(1).max(ORG_LIMITS.idChars).regex(PRINTABLE);
const name = z.string().max(ORG_LIMITS.nameChars).regex(PRINTABLE);

const entrySchema = z.strictObject({
  kind: z.enum(ORG_KINDS),
  id,
  zh: name.min(1).optional(),
  en: name.min(1).optional(),
  source: z.enum(ORG_SOURCES),
  changedAt: z.string().max(40).optional(),
  changedBy: z.string().max(128).optional(),
});

export const ORG_FILE_FORMAT = 1;

const fileSchema = z.strictObject({
  format: z.literal(ORG_FILE_FORMAT),
  revision: z.number().int().min(0),
  entries: z.array(entrySchema).max(ORG_LIMITS.entriesPerKind * ORG_KINDS.length),
});

const changeSchema = z.strictObject({
  entries: z
    .array(
      z.strictObject({
        kind: z.enum(ORG_KINDS),
        id,
        zh: name.nullable().optional(),
        en: name.nullable().optional(),
      }),
    )
    .min(1)
    .max(ORG_LIMITS.entriesPerChange),
});

/** `entries[2].zh` from zod's path. */
function fieldOf(path: readonly PropertyKey[], root: string): string {
  let out = root;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || 'body';
}

/** Zod's issue in words of our own: what is wrong, never the value that was sent. */
function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'array' ? `at most ${issue.maximum} entries` : `at most ${issue.maximum} characters`;
    case 'too_small':
      return issue.origin === 'array' ? `at least ${issue.minimum} entry` : 'must not be empty';
    case 'invalid_type':
      return issue.message.includes('received undefined') ? 'required' : `must be ${issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return 'must not contain control characters';
    case 'unrecognized_keys':
      return 'has fields that are not allowed';
    default:
      return 'not valid';
  }
}

function firstError(error: z.ZodError, root: string): string {
  const issue = error.issues[0];
  return `${fieldOf(issue.path, root)}: ${describe(issue)}`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** DATA_DIR/org.json as read from disk. */
export function parseOrgFile(raw: unknown): Parsed<OrgDirectoryData> {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: firstError(parsed.error, '') };
  const seen = new Set<string>();
  for (const [i, entry] of parsed.data.entries.entries()) {
    const key = `${entry.kind}\u0000${entry.id}`;
    if (seen.has(key)) return { ok: false, error: `entries[${i}]: the same kind and id twice` };
    seen.add(key);
  }
  return { ok: true, value: { revision: parsed.data.revision, entries: parsed.data.entries } };
}

/** The body of `PUT /api/v1/org`: `{entries: [{kind, id, zh?, en?}]}`. */
export function parseOrgChanges(raw: unknown): Parsed<OrgChange[]> {
  const parsed = changeSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: firstError(parsed.error, '') };
  const seen = new Set<string>();
  for (const [i, entry] of parsed.data.entries.entries()) {
    const key = `${entry.kind}\u0000${entry.id}`;
    if (seen.has(key)) return { ok: false, error: `entries[${i}]: the same kind and id twice` };
    seen.add(key);
    if (entry.zh === undefined && entry.en === undefined) return { ok: false, error: `entries[${i}]: give zh, en or both` };
  }
  return { ok: true, value: parsed.data.entries };
}
