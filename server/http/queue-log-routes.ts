/**
 * `POST /api/v1/import/queue-log` (issue 13): an Asterisk queue_log as a text body, with an ingest
 * key like `POST /api/v1/events`. Its lines go through the same translator and ingest path as the
 * live tail and the command-line import; the answer is the import summary: lines read, events
 * made, ignored verbs by count, orphans, malformed lines by number and reason, events stored and
 * already stored. Event ids are derived from the records, so posting the same text twice changes
 * nothing. Malformed lines are skipped and the good ones kept; no line's text is ever echoed.
 */
import type { IncomingMessage } from 'node:http';
import type { Ingestor } from '../ingest/ingestor.ts';
import { readBody } from '../ingest/http-body.ts';
import { importQueueLog } from '../ingest/queue-log/import.ts';
import { loadQueueLogMapping } from '../ingest/queue-log/mapping.ts';
import { bearerToken } from '../security/auth.ts';
import type { RateLimiter } from '../security/rate-limit.ts';
import { HttpError } from '../errors.ts';
import type { KeyUsage } from './ingest-key-routes.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export interface QueueLogRouteDeps {
  ingestor: Ingestor;
  /** The per-ingest-key rate limit `POST /api/v1/events` uses. */
  perKey: RateLimiter;
  /** Events accepted per key, shown on the ingest keys page. */
  keyUsage: KeyUsage;
}

/** Content types a queue_log may come as; anything else (JSON, a form) is a mistake worth naming. */
const TEXT_TYPES = /^(text\/[\w.+-]+|application\/octet-stream)$/i;

/** Splits a body into lines (LF or CRLF); a final newline ends the last line, it does not start one. */
export function queueLogLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  return lines;
}

export function queueLogRoutes(context: RouteContext, deps: QueueLogRouteDeps): Routes {
  const { access, config, clock, logger } = context;

  const ingestKeyName = (req: IncomingMessage): string => {
    const key = bearerToken(req);
    if (!key) throw new HttpError(401, 'authorization: send "Authorization: Bearer <ingest key>"');
    const name = access.ingestKeyName(key);
    if (name === null) throw new HttpError(403, 'authorization: ingest key not recognised');
    deps.perKey.check(name, `with ingest key "${name}"`);
    return name;
  };

  return {
    'POST /api/v1/import/queue-log': async (req, res) => {
      const keyName = ingestKeyName(req);
      const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (contentType !== '' && !TEXT_TYPES.test(contentType)) {
        throw new HttpError(415, 'content-type: send the queue_log as text/plain (one record per line, epoch|callid|queue|agent|event|data...)');
      }
      let body: string;
      try {
        body = await readBody(req, config.maxBodyBytes);
      } catch (error) {
        if (error instanceof HttpError && error.status === 413) {
          throw new HttpError(413, `${error.message}; send the queue_log in parts, or import the file with \`npm run import -- --format queue-log FILE\``);
        }
        throw error;
      }
      const lines = queueLogLines(body);
      if (lines.length === 0) throw new HttpError(400, 'body: empty; send the queue_log text, one record per line');
      // The mapping file is read at each import, so an edit applies to the next one.
      let mapping;
      try {
        mapping = loadQueueLogMapping(config.dataDir);
      } catch (error) {
        throw new HttpError(500, `mapping: ${(error as Error).message.replace(/(?:\/[^\s'"]+)+/g, '<path>').slice(0, 300)}`);
      }
      const { summary } = await importQueueLog(deps.ingestor, lines, { mapping, ingestKey: keyName });
      if (summary.accepted > 0) {
        const usage = deps.keyUsage.get(keyName) ?? { events: 0, lastUsedMs: 0 };
        deps.keyUsage.set(keyName, { events: usage.events + summary.accepted, lastUsedMs: clock.now() });
      }
      if (summary.malformed.length > 0 || summary.rejected.length > 0) {
        logger.warn({ malformed: summary.malformed.length, rejected: summary.rejected.length, firstLine: (summary.malformed[0] ?? summary.rejected[0]).line }, 'queue_log import skipped lines');
      }
      sendJson(res, 200, summary);
    },
  };
}
