/**
 * Whether a browser's Origin header names this server or an allowed origin (ALLOWED_ORIGINS). A
 * cookie travels with cross-site requests too, so changes over HTTP and every Socket.IO handshake
 * must come from our own pages. No Origin header: not a browser page (a scraper, an ingest client).
 */
export type OriginCheck = (origin: string | undefined, host: string | undefined) => boolean;

export function originCheck(allowedOrigins: readonly string[]): OriginCheck {
  return (origin, host) => origin === undefined || origin === `http://${host}` || origin === `https://${host}` || allowedOrigins.includes(origin);
}
