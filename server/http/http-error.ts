/** An error with the HTTP status and the message a client may see (never a stack trace). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
