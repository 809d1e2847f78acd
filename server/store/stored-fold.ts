/**
 * A contact row's `fold` column holds only what the row's own columns do not (issue 15): at
 * 20,000 events/s a record write stores 50,000 contacts and more every few seconds, and the whole
 * fold as JSON (about 400 bytes, its record repeating the columns) was most of each row's bytes
 * and of the main thread's time to write it. Reads rebuild the whole fold in SQL
 * (`STORED_FOLD_SQL`): the columns as the record, with the stored JSON merged over them, so rows
 * written whole before this (their record complete) read exactly as before.
 *
 * What stays in the JSON: the merge state (`fromOffer`, `explicitTeam`, the latest-wins keys)
 * and the record fields no column holds exactly: `transferTsMs` (the reports read it there,
 * `$.record.transferTsMs`), `surveyScale` (the column gives the default scale), `team`, and any
 * field added to ContactRecord later.
 */
import type { ContactRecord } from '../../shared/attribution.ts';
import type { ContactFold } from '../../shared/contact-fold.ts';

/** Record fields that a column of the contacts table holds exactly, with that column. */
const COLUMN_FIELDS = [
  ['contactId', 'contact_id'],
  ['queue', 'queue'],
  ['site', 'site'],
  ['handlingSite', 'handling_site'],
  ['agentId', 'agent_id'],
  ['channel', 'channel'],
  ['customerRef', 'customer_ref'],
  ['drill', 'drill'],
  ['offeredTsMs', 'offered_ms'],
  ['answeredTsMs', 'answered_ms'],
  ['abandonedTsMs', 'abandoned_ms'],
  ['flowedOutTsMs', 'flowed_out_ms'],
  ['flowOutReason', 'flow_out_reason'],
  ['orphanedTsMs', 'orphaned_ms'],
  ['endedTsMs', 'ended_ms'],
  ['talkSec', 'talk_sec'],
  ['holdSec', 'hold_sec'],
  ['wrappedTsMs', 'wrapped_ms'],
  ['resolvedTsMs', 'resolved_ms'],
  ['firstContact', 'first_contact'],
  ['repeatedLater', 'repeated_later'],
  ['surveyTsMs', 'survey_ms'],
  ['surveyScore', 'survey_score'],
] as const satisfies ReadonlyArray<readonly [keyof ContactRecord, string]>;

const IN_COLUMNS: ReadonlySet<string> = new Set(COLUMN_FIELDS.map(([field]) => field));

/**
 * The `fold` column's JSON for a contact: its fold without the record fields its row's columns
 * hold (see COLUMN_FIELDS), and without the team (the `team` column).
 */
export function storedFoldJson(fold: ContactFold): string {
  const rest: Record<string, unknown> = {};
  const record = fold.record as unknown as Record<string, unknown>;
  for (const field in record) if (!IN_COLUMNS.has(field)) rest[field] = record[field];
  return JSON.stringify({ ...fold, record: rest });
}

/**
 * SQL over a contacts row giving its whole fold as JSON text, with the contact's team (as
 * `ContactFold & { team }`): the columns as the record (absent ones left out: merging an object
 * into '{}' drops its nulls), the stored JSON merged over them.
 */
export const STORED_FOLD_SQL = `json_merge_patch('{}', json_object('team', team, 'record', json_object(${COLUMN_FIELDS.map(([field, column]) => `'${field}', ${column}`).join(', ')})), fold)::VARCHAR`;
