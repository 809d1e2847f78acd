/**
 * `npm run import -- --format csv FILE`: contact records from another system, one row per
 * contact, turned into events and stored through the same ingest path as live traffic. Ids are
 * derived from the contact id, so importing a file twice changes nothing. Rows that are wrong
 * are reported one by one (`row 17: offered_at: ...`) and the others are kept.
 *
 * Columns (header row required; times ISO-8601 with offset, empty when unknown):
 *   contact_id, queue, site, channel, offered_at, answered_at, abandoned_at, flowed_out_at,
 *   agent_id, team, ended_at, talk_sec, hold_sec, wrapped_at, resolved_at, first_contact,
 *   survey_at, survey_score, survey_scale, caller, drill
 * `--format queue-log FILE` (or `queue_log`) reads an Asterisk queue_log instead (issue 13): it
 * prints the summary (lines, events, ignored verbs, orphans) and each malformed line by number
 * and reason on stderr; exit code 2 when any line was malformed.
 *
 * The server must not be running on the same DATA_DIR (DuckDB allows one writer).
 */
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { validateEvent, type CallCentreEventInput } from '../../shared/events.ts';
import { loadConfig } from '../config.ts';
import type { BatchItem } from '../ingest/ingestor.ts';
import { openDurableApp } from '../open-app.ts';
import { loadSecrets } from '../security/secrets.ts';

export const CSV_COLUMNS = [
  'contact_id', 'queue', 'site', 'channel', 'offered_at', 'answered_at', 'abandoned_at', 'flowed_out_at',
  'agent_id', 'team', 'ended_at', 'talk_sec', 'hold_sec', 'wrapped_at', 'resolved_at', 'first_contact',
  'survey_at', 'survey_score', 'survey_scale', 'caller', 'drill',
] as const;
type CsvRow = Partial<Record<(typeof CSV_COLUMNS)[number], string>>;

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
const bool = (v: string | undefined) => (v === undefined || v === '' ? undefined : /^(true|1|yes|y)$/i.test(v) ? true : /^(false|0|no|n)$/i.test(v) ? false : v);

/** The events a CSV row stands for; ids `import:<contact_id>:<step>`. Field errors surface at validation. */
export function rowToEvents(row: CsvRow): CallCentreEventInput[] {
  const contactId = row.contact_id ?? '';
  const id = (step: string) => `import:${contactId}:${step}`;
  const drill = bool(row.drill) === true ? { drill: true } : {};
  const events: Array<Record<string, unknown>> = [];
  const push = (step: string, type: string, ts: string | undefined, fields: Record<string, unknown> = {}) => {
    if (ts) events.push({ id: id(step), type, ts, contactId, ...drill, ...fields });
  };
  push('offered', 'contact.offered', row.offered_at ?? '', {
    queue: row.queue, site: row.site, channel: row.channel, ...(row.caller ? { caller: row.caller } : {}),
  });
  if (!row.offered_at) events.unshift({ id: id('offered'), type: 'contact.offered', contactId, ts: row.offered_at });
  push('answered', 'contact.answered', row.answered_at, { agentId: row.agent_id, ...(row.team ? { team: row.team } : {}) });
  push('abandoned', 'contact.abandoned', row.abandoned_at);
  push('flowed_out', 'contact.flowed_out', row.flowed_out_at, { reason: 'timeout' });
  push('ended', 'contact.ended', row.ended_at, { talkSec: num(row.talk_sec) ?? 0, holdSec: num(row.hold_sec) ?? 0 });
  push('wrapped', 'contact.wrapped', row.wrapped_at, { agentId: row.agent_id });
  push('resolved', 'contact.resolved', row.resolved_at, { firstContact: bool(row.first_contact) ?? true });
  push('survey', 'survey.response', row.survey_at || (row.survey_score ? row.wrapped_at ?? row.ended_at : undefined), {
    score: num(row.survey_score), ...(row.survey_scale ? { scale: num(row.survey_scale) } : {}),
  });
  return events as CallCentreEventInput[];
}

const TIME_COLUMN: Record<string, string> = {
  'contact.offered': 'offered_at', 'contact.answered': 'answered_at', 'contact.abandoned': 'abandoned_at',
  'contact.flowed_out': 'flowed_out_at', 'contact.ended': 'ended_at', 'contact.wrapped': 'wrapped_at',
  'contact.resolved': 'resolved_at', 'survey.response': 'survey_at',
};
const FIELD_COLUMN: Record<string, string> = {
  contactId: 'contact_id', agentId: 'agent_id', talkSec: 'talk_sec', holdSec: 'hold_sec', score: 'survey_score',
  scale: 'survey_scale', firstContact: 'first_contact', id: 'contact_id',
};

/** Names the CSV column an event validation error is about (`ts` of an answer is `answered_at`). */
function toColumnError(type: string, error: string): string {
  return error.replace(/(^|; )([A-Za-z]+):/g, (_m, sep: string, field: string) => {
    const column = field === 'ts' ? TIME_COLUMN[type] : (FIELD_COLUMN[field] ?? field);
    return `${sep}${column}:`;
  });
}

async function readCsv(file: string): Promise<CsvRow[]> {
  // DuckDB's CSV reader (quoting, encodings, headers) rather than a hand-written parser.
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_csv($1, header = true, all_varchar = true)`, [file]);
    return reader.getRowObjectsJson() as CsvRow[];
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/** `--format queue-log FILE`: an Asterisk queue_log (issue 13), line by line through the same ingest path. */
async function importQueueLogFile(file: string): Promise<void> {
  const { createReadStream } = await import('node:fs');
  const { access } = await import('node:fs/promises');
  const { createInterface } = await import('node:readline');
  const { importQueueLog } = await import('../ingest/queue-log/import.ts');
  const { loadQueueLogMapping } = await import('../ingest/queue-log/mapping.ts');
  await access(file).catch(() => {
    throw new Error(`${file}: cannot read the file`);
  });
  const config = loadConfig();
  const mapping = loadQueueLogMapping(config.dataDir);
  const clock = { now: () => Date.now() };
  const app = await openDurableApp(config, loadSecrets(config), clock, pino({ level: 'warn' }));
  let result: Awaited<ReturnType<typeof importQueueLog>>;
  try {
    await app.restore();
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    result = await importQueueLog(app.ingestor, lines, { mapping, ingestKey: 'queue_log' });
  } finally {
    await app.close();
  }
  const { summary } = result;
  for (const { line, reason } of summary.malformed) console.error(`line ${line}: ${reason}; skipped`);
  for (const { line, reason } of summary.rejected) console.error(`line ${line}: ${reason}; not stored`);
  console.log(formatQueueLogSummary(file, summary));
  if (summary.malformed.length > 0 || summary.rejected.length > 0) process.exitCode = 2;
}

/** One line a person reads: what was read, made, stored, ignored and skipped. */
export function formatQueueLogSummary(
  file: string,
  summary: { lines: number; events: number; accepted: number; duplicates: number; ignored: Record<string, number>; orphans: number; malformed: unknown[]; rejected: unknown[] },
): string {
  const ignored = Object.entries(summary.ignored).sort(([a], [b]) => a.localeCompare(b)).map(([verb, count]) => `${verb} ${count}`);
  return [
    `${file}: ${summary.lines} lines, ${summary.events} events (${summary.accepted} stored, ${summary.duplicates} already stored)`,
    `ignored: ${ignored.length > 0 ? ignored.join(', ') : 'none'}`,
    `${summary.orphans} orphans`,
    `${summary.malformed.length} malformed lines`,
    ...(summary.rejected.length > 0 ? [`${summary.rejected.length} lines with events not stored`] : []),
  ].join('; ');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { format: { type: 'string', default: 'csv' } }, allowPositionals: true });
  const format = values.format === 'queue_log' ? 'queue-log' : values.format;
  if (format !== 'csv' && format !== 'queue-log') throw new Error(`--format: "${values.format}" is not supported (csv, queue-log)`);
  const file = positionals[0];
  if (!file) throw new Error(`usage: npm run import -- --format ${format} FILE`);
  if (format === 'queue-log') return importQueueLogFile(file);
  const rows = await readCsv(file).catch((error: Error) => {
    throw new Error(`${file}: cannot read as CSV (${error.message.split('\n')[0]})`);
  });
  const missing = CSV_COLUMNS.filter((c) => ['contact_id', 'offered_at'].includes(c) && rows.length > 0 && !(c in rows[0]));
  if (missing.length > 0) throw new Error(`${file}: missing column(s) ${missing.join(', ')}`);

  const config = loadConfig();
  const clock = { now: () => Date.now() };
  const app = await openDurableApp(config, loadSecrets(config), clock, pino({ level: 'warn' }));
  let accepted = 0;
  let duplicates = 0;
  let badRows = 0;
  try {
    await app.restore();
    for (let start = 0; start < rows.length; start += 2000) {
      const items: BatchItem[] = [];
      const rowOfItem: number[] = [];
      rows.slice(start, start + 2000).forEach((row, i) => {
        const line = start + i + 2; // +1 for the header, +1 to count from 1
        const events = rowToEvents(row);
        // A row is kept whole or not at all: validate all its events before storing any.
        const errors = events.flatMap((e) => {
          const result = validateEvent(e);
          return result.ok ? [] : [toColumnError(e.type, result.error)];
        });
        if (errors.length > 0) {
          badRows++;
          console.error(`row ${line}: ${[...new Set(errors)].join('; ')}`);
          return;
        }
        for (const event of events) {
          rowOfItem.push(line);
          items.push({ index: items.length, value: event });
        }
      });
      const result = await app.ingestor.ingest(items);
      accepted += result.accepted;
      duplicates += result.duplicates;
      const reported = new Set<number>();
      for (const { index, error } of result.rejected) {
        const line = rowOfItem[index];
        if (!reported.has(line)) badRows++;
        reported.add(line);
        console.error(`row ${line}: ${error.replace(/^event\[\d+\]\.?/, '')}`);
      }
    }
  } finally {
    await app.close();
  }
  console.log(`${file}: ${rows.length} rows, ${accepted} events stored, ${duplicates} already stored, ${badRows} rows with errors`);
  if (badRows > 0) process.exitCode = 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    const message = (error as Error).message;
    console.error(`import: ${message}`);
    process.exit(1);
  });
}
