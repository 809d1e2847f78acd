/**
 * `POST /api/v1/events`: a batch of events with an ingest key (a bearer token), rate-limited per
 * key, read with the ingest body limit, then stored and applied by the ingestor. The answer says
 * how many were accepted and, by index, why each refused one was refused.
 */
import type { Ingestor } from '../ingest/ingestor.ts';
import { readBodyShared } from '../ingest/http-body.ts';
import { bearerToken } from '../security/auth.ts';
import type { RateLimiter } from '../security/rate-limit.ts';
import { HttpError } from '../errors.ts';
import type { KeyUsage } from './ingest-key-routes.ts';
import type { Metrics } from './metrics.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export interface IngestRouteDeps {
  ingestor: Ingestor;
  /** The per-ingest-key rate limit (shared with the queue_log import). */
  perKey: RateLimiter;
  /** Events accepted per key, shown on the ingest keys page. */
  keyUsage: KeyUsage;
  metrics: Pick<Metrics, 'observeIngestRequest'>;
}

export function ingestRoutes({ access, config, clock, logger }: RouteContext, { ingestor, perKey, keyUsage, metrics }: IngestRouteDeps): Routes {
  return {
    'POST /api/v1/events': async (req, res) => {
      const key = bearerToken(req);
      if (!key) throw new HttpError(401, 'authorization: send "Authorization: Bearer <ingest key>"');
      const keyName = access.ingestKeyName(key);
      if (keyName === null) throw new HttpError(403, 'authorization: ingest key not recognised');
      perKey.check(keyName, `with ingest key "${keyName}"`);
      const started = performance.now();
      const body = await readBodyShared(req, config.maxBodyBytes);
      const result = await ingestor.ingestBody(body, keyName, started);
      if (result.accepted > 0) {
        const usage = keyUsage.get(keyName) ?? { events: 0, lastUsedMs: 0 };
        keyUsage.set(keyName, { events: usage.events + result.accepted, lastUsedMs: clock.now() });
      }
      metrics.observeIngestRequest(performance.now() - started);
      if (result.rejected.length > 0) {
        logger.warn({ rejected: result.rejected.length, first: result.rejected[0].error }, 'ingest rejected events');
      }
      sendJson(res, 200, result);
    },
  };
}
