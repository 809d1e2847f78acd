/**
 * Request bodies for `POST /api/v1/events`: read with a size limit (413 beyond it), then split
 * into batch items, from a JSON array, NDJSON, or a single JSON object. An NDJSON line that is not JSON is
 * rejected alone; a JSON array that does not parse is a 400 for the whole body.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors.ts';

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
  const { chunks, size } = await readChunks(req, limitBytes);
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Reads the whole body like `readBody`, into one SharedArrayBuffer: the ingest worker reads it
 * without a copy, and the bytes stay here to be parsed in this thread if the worker is lost.
 */
export async function readBodyShared(req: IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  const { chunks, size } = await readChunks(req, limitBytes);
  const bytes = new Uint8Array(new SharedArrayBuffer(size));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

async function readChunks(req: IncomingMessage, limitBytes: number): Promise<{ chunks: Buffer[]; size: number }> {
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
  return { chunks, size };
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

/** Told each item of a batch in order: its parsed value, or why its NDJSON line is not JSON. */
export interface BatchVisitor {
  value(index: number, value: unknown): void;
  unparsable(index: number, error: string): void;
}

/**
 * Splits a body into batch items and hands each to `visitor` as it goes (no array of wrapped
 * items in between: a batch is up to 10,000 events). Throws a 400 when the body as a whole is
 * not a batch; then the visitor has been told of unparsable lines only.
 */
export function visitBatch(body: string, visitor: BatchVisitor): void {
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
    for (let index = 0; index < parsed.length; index++) visitor.value(index, parsed[index]);
    return;
  }
  if (text.startsWith('{')) {
    // One event, possibly pretty-printed over several lines. For NDJSON this fails right after
    // the first line, so trying costs little.
    let single: unknown;
    let isSingle = true;
    try {
      single = JSON.parse(text);
    } catch {
      isSingle = false; // not a single object: read it as NDJSON below
    }
    if (isSingle) {
      visitor.value(0, single);
      return;
    }
    const lines = ndjsonAsArray(text);
    if (lines !== null) {
      for (let index = 0; index < lines.length; index++) visitor.value(index, lines[index]);
      return;
    }
  }
  visitLines(text, visitor);
}

/** NDJSON read line by line: a line that is not JSON is an item of its own, rejected. */
function visitLines(text: string, visitor: BatchVisitor): void {
  let index = 0;
  let firstError: string | null = null;
  let anyParsed = false;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const problem = `not valid JSON (${jsonProblem(error)})`;
      firstError ??= problem;
      visitor.unparsable(index++, problem);
      continue;
    }
    anyParsed = true;
    visitor.value(index++, value);
  }
  if (!anyParsed) throw new HttpError(400, `body: neither a JSON array nor NDJSON (line 1: ${firstError})`);
}

/** `}` then a comma: where two values could share one line (or a nested object ends). */
const OBJECT_THEN_COMMA = /\}\s*,/;

/**
 * The lines of a well-behaved NDJSON body parsed as one JSON array, or null to read it line by
 * line: one JSON.parse over the body is about twice as fast as one per line. Taken only when
 * this is provably the same reading: every line starts with `{`, no `}` is followed by a comma
 * (so no line can hold two values: the first value of a line is an object, which ends in `}`),
 * and the array has as many values as there are lines (so no value spans two lines).
 */
function ndjsonAsArray(text: string): unknown[] | null {
  let lines = 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    if (text.charCodeAt(at + 1) !== 0x7b /* { */) return null;
    lines++;
  }
  if (lines === 1 || OBJECT_THEN_COMMA.test(text)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(`[${text.replaceAll('\n', ',')}]`);
  } catch {
    return null;
  }
  return Array.isArray(parsed) && parsed.length === lines ? parsed : null;
}
