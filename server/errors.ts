/**
 * Errors every layer of the server may raise, below the HTTP layer that answers them: security
 * (401, 403, 429), ingest bodies (400, 413) and routes throw an `HttpError`, and the request
 * handler (server/http/) turns it into the answer. Imports nothing from the server.
 */

/** An error with the HTTP status and the message a client may see (never a stack trace). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
