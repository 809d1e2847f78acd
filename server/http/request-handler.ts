/**
 * Every HTTP request of the server, before and after its route: security headers; for the API a
 * per-address rate limit and, for changes, an origin check; the route by `METHOD /path` (404
 * naming it under /api/, the web app's files elsewhere); errors turned into answers (an
 * `HttpError` as its status and message, a store failure as 503 saying so, anything else 500
 * without details). `drain()` is the first step of a graceful stop: from then on every request is
 * answered 503 with `Retry-After` and `Connection: close`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HttpError } from '../errors.ts';
import { drainRefusedBody } from '../ingest/http-body.ts';
import { remoteAddress } from '../security/auth.ts';
import type { OriginCheck } from '../security/origin.ts';
import { RateLimited, type RateLimiter } from '../security/rate-limit.ts';
import { StoreError, type EventLog } from '../store/event-log.ts';
import type { Metrics } from './metrics.ts';
import { sendJson, type Routes } from './route.ts';
import type { WebHandler } from './web-static.ts';

export interface RequestHandlerDeps {
  /** Looked up per request: routes may be added after the handler is made. */
  routes: Routes;
  setSecurityHeaders: (res: ServerResponse, pathname: string) => void;
  perAddress: RateLimiter;
  originAllowed: OriginCheck;
  /** The built web app's files (null when there is no build). */
  serveWeb: WebHandler | null;
  log: Pick<EventLog, 'health'>;
  metrics: Pick<Metrics, 'noteStoreError'>;
  logger: Logger;
}

export interface RequestHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Refuses every request from now on; resolves once those in progress have answered, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

export function requestHandler({ routes, setSecurityHeaders, perAddress, originAllowed, serveWeb, log, metrics, logger }: RequestHandlerDeps): RequestHandler {
  /** Set by `drain()`: the server is stopping and takes no more requests. */
  let draining = false;
  /** Requests in progress (answered or not yet), and who waits for none to be. */
  let inFlight = 0;
  let onIdle: (() => void) | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (draining) {
      res.setHeader('retry-after', '5');
      res.setHeader('connection', 'close');
      return sendJson(res, 503, { error: 'server: shutting down; retry shortly' });
    }
    inFlight++;
    res.once('close', () => {
      if (--inFlight === 0) onIdle?.();
    });
    const url = new URL(req.url ?? '/', 'http://localhost');
    setSecurityHeaders(res, url.pathname);
    const route = routes[`${req.method} ${url.pathname}`];
    const fail = (error: unknown) => {
      if (error instanceof RateLimited) res.setHeader('retry-after', String(error.retryAfterSec));
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
      throw error;
    };
    if (url.pathname.startsWith('/api/')) {
      try {
        perAddress.check(remoteAddress(req) ?? 'unknown', 'from this address');
        // A cookie travels with cross-site requests too: changes must come from our own pages.
        if (req.method !== 'GET' && req.method !== 'HEAD' && !originAllowed(req.headers.origin, req.headers.host)) {
          throw new HttpError(403, 'origin: requests that change something must come from this server\'s own pages');
        }
      } catch (error) {
        return fail(error);
      }
    }
    if (!route) {
      if (url.pathname.startsWith('/api/')) return sendJson(res, 404, { error: `${req.method} ${url.pathname}: no such route` });
      if (serveWeb && (req.method === 'GET' || req.method === 'HEAD')) {
        return serveWeb(req, res, () => sendJson(res, 404, { error: 'not found' }));
      }
      return sendJson(res, 404, { error: 'not found' });
    }
    Promise.resolve()
      .then(() => route(req, res, url))
      .catch((error: unknown) => {
        if (error instanceof StoreError) {
          metrics.noteStoreError();
          logger.error({ err: error.message, route: `${req.method} ${url.pathname}` }, 'store failure');
          return sendJson(res, 503, { error: error.message });
        }
        if (error instanceof HttpError) {
          fail(error);
          // The rest of an oversized body is drained (up to a cap) so the client reads its answer.
          if (error.status === 413) drainRefusedBody(req);
          return;
        }
        // Once the store is invalidated every query on it fails: say that, not "internal error".
        const store = log.health?.();
        if (store?.restartRequired) {
          metrics.noteStoreError();
          logger.error({ err: (error as Error)?.message, route: `${req.method} ${url.pathname}` }, 'store failure');
          return sendJson(res, 503, { error: store.error });
        }
        logger.error({ err: error, route: `${req.method} ${url.pathname}` }, 'request failed');
        sendJson(res, 500, { error: 'internal error; the request was not applied' });
      });
  };

  return {
    handle,
    drain(timeoutMs) {
      draining = true;
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
