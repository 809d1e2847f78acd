/**
 * Request bodies for `POST /api/v1/events`: read with a size limit (413 beyond it), then split
 * into batch items, from a JSON array, NDJSON, or a single JSON object. An NDJSON line that is not JSON is rejected
 * alone; a JSON array that does not parse is a 400 for the whole body.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors.ts';
import type { BatchItem } from './ingestor.ts';

/**
 * The two body limits of the server, named here together (issue 14). Management API bodies
 * (JSON; server/http/json-body.ts) share one limit, with room for the largest of them, 500 org
 * entries with long names. Ingest bodies (`POST /api/v1/events`, queue-log imports) are batches
 * of events: their default is far larger, and `MAX_BODY_BYTES` changes it.
 */
export const MANAGEMENT_BODY_MAX_BYTES = 256 * 1024;
export const INGEST_BODY_DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Reads the whole body, refusing more than `limitBytes` (by header and as it streams). */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    throw new HttpError(413, `body: ${declared} bytes is over the limit of ${limitBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Not destroyed on the way out: after a 413 the rest is drained (`drainRefusedBody`), so the
    // client reads the answer instead of a reset connection.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) throw new HttpError(413, `body: over the limit of ${limitBytes} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'body: the connection closed before the body was complete; nothing was stored');
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** How much of a refused body is read and dropped before the connection is cut. */
const DRAIN_MAX_BYTES = 8 * 1024 * 1024;

/**
 * After a 413, reads the rest of the body and drops it, so the answer reaches the client: closing
 * a connection with unread data resets it, and the client's TCP stack may then discard the answer
 * (it saw ECONNRESET instead). A body past DRAIN_MAX_BYTES more is cut off anyway.
 */
export function drainRefusedBody(req: IncomingMessage): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_MAX_BYTES) req.destroy();
  });
  req.resume();
}

/**
 * V8's JSON.parse message without the excerpt of the input it may quote: a body can hold a
 * caller's phone number, which must never be echoed to the client or the log (SPEC §7).
 */
function jsonProblem(error: unknown): string {
  return (error as Error).message.replace(/,? (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '').slice(0, 120);
}

/** Splits a body into batch items. */
export function parseBatch(body: string): BatchItem[] {
  const text = body.trim();
  if (text.length === 0) throw new HttpError(400, 'body: empty; send a JSON array or NDJSON of events');
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, `body: not valid JSON (${jsonProblem(error)})`);
    }
    if (!Array.isArray(parsed)) throw new HttpError(400, 'body: not a JSON array');
    return parsed.map((value, index) => ({ index, value }));
  }
  if (text.startsWith('{')) {
    // One event, possibly pretty-printed over several lines. For NDJSON this fails right after
    // the first line, so trying costs little.
    try {
      return [{ index: 0, value: JSON.parse(text) }];
    } catch {
      // not a single object: read it as NDJSON below
    }
  }
  const items: BatchItem[] = [];
  let index = 0;
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    try {
      items.push({ index, value: JSON.parse(line) });
    } catch (error) {
      items.push({ index, error: `not valid JSON (${jsonProblem(error)})` });
    }
    index++;
  }
  if (items.every((item) => 'error' in item)) {
    throw new HttpError(400, `body: neither a JSON array nor NDJSON (line 1: ${(items[0] as { error: string }).error})`);
  }
  return items;
}
