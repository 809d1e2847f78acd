/**
 * The operator's endpoints. `GET /healthz`, for anyone (a load balancer): 200 with the engine's
 * counts and the state of each followed source, or 503 `degraded` while the store cannot take
 * writes (ingest is refused then, though screens still get figures) or the record writes fail
 * (issue 12), with the cause but never the server's paths. `GET /metrics`: Prometheus text, for
 * the METRICS_TOKEN (a scraper's bearer token) or an admin (counts of contacts, agents and
 * sockets are not for anyone).
 */
import { bearerToken, sameSecret } from '../security/auth.ts';
import { withoutPaths, type StoreHealth } from '../store/event-log.ts';
import type { Metrics } from './metrics.ts';
import { sendJson, type RouteContext, type Routes } from './route.ts';

export interface HealthRouteDeps {
  metrics: Pick<Metrics, 'render' | 'contentType'>;
  /** Why changed records cannot be written now (undefined while they can, or without a store). */
  recordsFailure: () => string | undefined;
  /** Sources followed beside the app (the queue_log tail), by name: each one's state. */
  sources: ReadonlyMap<string, () => object>;
}

/** Acknowledged events the journal has not yet copied into DuckDB's table (issue 15), and why: acknowledgements go on meanwhile. */
function eventCopy(store: StoreHealth): { eventCopy?: { behind: true; commits: number; error: string; restartRequired: boolean } } {
  return store.copy ? { eventCopy: { behind: true, commits: store.copy.commitsBehind, error: withoutPaths(store.copy.error), restartRequired: store.copy.restartRequired } } : {};
}

export function healthRoutes({ access, config, engine, log, clock }: RouteContext, { metrics, recordsFailure, sources }: HealthRouteDeps): Routes {
  const sourceStates = () => (sources.size === 0 ? {} : { sources: Object.fromEntries([...sources].map(([name, state]) => [name, state()])) });
  return {
    'GET /healthz': (_req, res) => {
      const store = log.health?.() ?? { ok: true, restartRequired: false };
      const now = new Date(clock.now()).toISOString();
      // The record writes too (issue 12): they fail on a full disk without any ingest, and clear it once one goes through.
      const recordsBehind = recordsFailure();
      if (!store.ok || recordsBehind) {
        return sendJson(res, 503, {
          status: 'degraded',
          store: store.ok ? { error: `records: ${recordsBehind}`, restartRequired: false } : { error: withoutPaths(store.error ?? ''), restartRequired: store.restartRequired },
          ...(recordsBehind ? { records: { behind: true, error: recordsBehind } } : {}),
          now,
          ...eventCopy(store),
          ...engine.stats(),
          ...sourceStates(),
        });
      }
      sendJson(res, 200, { status: 'ok', now, ...eventCopy(store), ...engine.stats(), ...sourceStates() });
    },
    'GET /metrics': async (req, res) => {
      const bearer = bearerToken(req);
      if (!(config.metricsToken && bearer && sameSecret(bearer, config.metricsToken))) access.require(req, ['admin']);
      const text = await metrics.render();
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      res.end(text);
    },
  };
}
