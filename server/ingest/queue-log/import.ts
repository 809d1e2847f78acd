/**
 * A queue_log's lines → the one ingest path (validation, caller pseudonyms, the durable log),
 * through a QueueLogTranslator, in batches of about 2,000 events. Used by the import command,
 * `POST /api/v1/import/queue-log` and the live tail. Ids come from the file's content, so
 * importing a file twice stores nothing new the second time (`duplicates`).
 */
import type { BatchItem, Ingestor } from '../ingestor.ts';
import type { QueueLogMapping } from './mapping.ts';
import { QueueLogTranslator, type QueueLogSummary, type TranslatorState } from './translate.ts';

export interface QueueLogImportSummary extends QueueLogSummary {
  /** Events stored now. */
  accepted: number;
  /** Events already stored (an earlier import, the live tail). */
  duplicates: number;
  /** Events the ingest path refused, by the line that made them (e.g. a time ahead of the server clock). */
  rejected: Array<{ line: number; reason: string }>;
}

const BATCH_EVENTS = 2000;

/**
 * Feeds lines (numbered from `firstLine`, default 1) through a translator into the ingestor;
 * resolves with the summary once everything is durable, and the translator's state to go on from.
 */
export async function importQueueLog(
  ingestor: Ingestor,
  lines: Iterable<string> | AsyncIterable<string>,
  options: { mapping: QueueLogMapping; state?: TranslatorState; ingestKey?: string | null; firstLine?: number },
): Promise<{ summary: QueueLogImportSummary; state: TranslatorState }> {
  const translator = new QueueLogTranslator({ mapping: options.mapping, state: options.state });
  const ingestKey = options.ingestKey ?? null;
  let accepted = 0;
  let duplicates = 0;
  const rejected: Array<{ line: number; reason: string }> = [];
  let items: BatchItem[] = [];
  let lineOfItem: number[] = [];

  const flush = async () => {
    if (items.length === 0) return;
    const batch = items;
    const lineOf = lineOfItem;
    items = [];
    lineOfItem = [];
    const result = await ingestor.ingest(batch, ingestKey);
    accepted += result.accepted;
    duplicates += result.duplicates;
    for (const { index, error } of result.rejected) {
      const type = (batch[index] as { value: { type: string } }).value.type;
      rejected.push({ line: lineOf[index], reason: error.replace(/^event\[\d+\]/, type) });
    }
  };

  let line = options.firstLine ?? 1;
  const take = (text: string) => {
    const events = translator.push(text, line);
    for (let i = 0; i < events.length; i++) {
      lineOfItem.push(line);
      items.push({ index: items.length, value: events[i] });
    }
    line++;
  };
  if (Symbol.asyncIterator in lines) {
    for await (const text of lines) {
      take(text);
      if (items.length >= BATCH_EVENTS) await flush();
    }
  } else {
    for (const text of lines) {
      take(text);
      if (items.length >= BATCH_EVENTS) await flush();
    }
  }
  await flush();
  return { summary: { ...translator.summary(), accepted, duplicates, rejected }, state: translator.state() };
}
