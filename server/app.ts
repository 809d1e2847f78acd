/**
 * The application factory: HTTP API, static web app and Socket.IO on one `http.Server`, with
 * every dependency injected (log, clock, logger, configuration) and no `listen()`, so tests run
 * it on a real ephemeral port.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { existsSync } from 'node:fs';
import { Server } from 'socket.io';
import sirv from 'sirv';
import type { Logger } from 'pino';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../shared/socket-events.ts';
import { parseScope, type ScopeKey } from '../shared/scope.ts';
import { WINDOWS, type KpiWindow } from '../shared/time.ts';
import type { Config } from './config.ts';
import { KpiEngine } from './engine/kpi-engine.ts';
import { HttpError } from './http/http-error.ts';
import { Ingestor } from './ingest/ingestor.ts';
import { parseBatch, readBody } from './ingest/http-body.ts';
import { KpiRooms } from './realtime/kpi-rooms.ts';
import { Access, bearerToken } from './security/auth.ts';
import { MemoryAuditLog, type AuditLog } from './audit/audit-log.ts';
import { sendJson, type RouteContext, type Routes } from './http/route.ts';
import { auditRoutes } from './http/audit-routes.ts';
import type { Secrets } from './security/secrets.ts';
import { StoreError, type EventLog } from './store/event-log.ts';
import { Metrics } from './http/metrics.ts';
import type { CallCentreEvent } from '../shared/events.ts';
import type { RecordStore } from './store/record-store.ts';
import { RecordSync } from './store/record-sync.ts';
import { scheduleRetention } from './store/retention.ts';
import { daysBetween, GROUP_BYS, type GroupBy } from './store/daily-report.ts';
import { ScreenHub } from './screens/screen-hub.ts';
import { alertRoutes } from './http/alert-routes.ts';
import { broadcastRoutes } from './http/broadcast-routes.ts';
import { screenRoutes } from './http/screen-routes.ts';
import { join } from 'node:path';

export interface AppDeps {
  config: Config;
  secrets: Secrets;
  log: EventLog;
  clock: { now(): number };
  logger: Logger;
  /** Contact and ticket records (with a durable log); without them there are no daily reports. */
  records?: RecordStore;
  /** Where audited actions are kept (default: in memory). */
  audit?: AuditLog;
  /** Directory of the built web app (default dist/web); pages are not served when missing. */
  webRoot?: string;
  tickMs?: number;
  /** How often changed contact and ticket records are written (default 2 s). */
  recordFlushMs?: number;
}

export interface App {
  httpServer: HttpServer;
  io: Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
  engine: KpiEngine;
  ingestor: Ingestor;
  access: Access;
  audit: AuditLog;
  /** Rebuilds live state from the log (today and yesterday). */
  restore(): Promise<number>;
  /** Writes changed contact and ticket records to the store now. */
  flushRecords(): Promise<void>;
  /** Compacts raw events older than `retentionDays` now and every few hours (durable store only). */
  scheduleRetention(retentionDays: number, onResult: (deleted: number, error?: Error) => void): { stop(): void };
  close(): Promise<void>;
}

export function createApp(deps: AppDeps): App {
  const { config, secrets, log, clock, logger } = deps;
  const engine = new KpiEngine({ settings: config.kpi, timeZone: config.timeZone, clock });
  const metrics = new Metrics();
  const records = deps.records;
  const recordSync = records ? new RecordSync(engine, records, clock, logger, deps.recordFlushMs ?? 2000) : null;
  /** Seeds the engine with stored records that events refer to but it does not hold. */
  const seed = async (events: CallCentreEvent[]) => {
    if (!records) return;
    const { contactIds, ticketIds } = engine.unknownRecords(events);
    if (contactIds.length > 0) for (const snapshot of (await records.loadContacts(contactIds)).values()) engine.seedContact(snapshot);
    if (ticketIds.length > 0) for (const record of (await records.loadTickets(ticketIds)).values()) engine.seedTicket(record);
  };
  const ingestor = new Ingestor({
    log,
    engine,
    clock,
    pseudonymKey: secrets.pseudonymKey,
    maxFutureSkewSec: config.maxFutureSkewSec,
    seed,
    onAccepted: async (events) => {
      rooms.poke();
      screens.noteEvents(events, true);
      await recordSync?.accept(events);
    },
    onRecordError: (error) => logger.error({ err: error.message }, 'events stored, but their records could not be updated'),
  });
  const access = new Access(secrets);
  const audit: AuditLog = deps.audit ?? new MemoryAuditLog();
  const context: RouteContext = { config, engine, access, audit, log, records, clock, logger };
  const webRoot = deps.webRoot ?? 'dist/web';
  const serveWeb = existsSync(webRoot) ? sirv(webRoot, { single: true, etag: true, gzip: false }) : null;

  /** Aggregate reads: every role. */
  const requireRead = (req: IncomingMessage) => access.require(req, ['display', 'manager', 'director', 'admin']);

  const routes: Routes = {
    'POST /api/v1/events': async (req, res) => {
      const key = bearerToken(req);
      if (!key) throw new HttpError(401, 'authorization: send "Authorization: Bearer <ingest key>"');
      if (!access.isIngestKey(key)) throw new HttpError(403, 'authorization: ingest key not recognised');
      const started = performance.now();
      const body = await readBody(req, config.maxBodyBytes);
      const result = await ingestor.ingest(parseBatch(body));
      metrics.recordIngest(result, performance.now() - started);
      if (result.rejected.length > 0) {
        logger.warn({ rejected: result.rejected.length, first: result.rejected[0].error }, 'ingest rejected events');
      }
      sendJson(res, 200, result);
    },
    'GET /api/v1/kpis': (req, res, url) => {
      requireRead(req);
      const scope = url.searchParams.get('scope') ?? 'centre';
      const window = (url.searchParams.get('window') ?? 'today') as KpiWindow;
      if (!parseScope(scope)) throw new HttpError(400, `scope: "${scope.slice(0, 60)}" is not centre, site:X, queue:X, team:X, agent:X or channel:X`);
      if (!WINDOWS.includes(window)) throw new HttpError(400, `window: must be one of ${WINDOWS.join(', ')}`);
      const snapshot = engine.snapshot(scope as ScopeKey, window);
      sendJson(res, 200, { scope, window, asOf: new Date(snapshot.asOf).toISOString(), kpis: snapshot.kpis });
    },
    'GET /api/v1/reports/daily': async (req, res, url) => {
      requireRead(req);
      if (!records || !recordSync) throw new HttpError(503, 'reports: this server runs without a store');
      const from = url.searchParams.get('from') ?? '';
      const to = url.searchParams.get('to') ?? from;
      const groupBy = (url.searchParams.get('groupBy') ?? 'centre') as GroupBy;
      for (const [name, value] of [['from', from], ['to', to]] as const) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
          throw new HttpError(400, `${name}: "${value.slice(0, 20)}" is not a day YYYY-MM-DD`);
        }
      }
      if (to < from) throw new HttpError(400, 'to: must not be before from');
      if (daysBetween(from, to).length > 92) throw new HttpError(400, 'to: at most 92 days per request');
      if (!GROUP_BYS.includes(groupBy)) throw new HttpError(400, `groupBy: must be one of ${GROUP_BYS.join(', ')}`);
      // Records the engine changed in the last second must be in the store before reading it.
      await recordSync.flush();
      sendJson(res, 200, { from, to, groupBy, rows: await records.daily({ from, to, groupBy }) });
    },
    'GET /api/v1/scopes': (req, res) => {
      requireRead(req);
      sendJson(res, 200, {
        sites: engine.scopeKeys('site'),
        queues: engine.scopeKeys('queue'),
        teams: engine.scopeKeys('team'),
        channels: engine.scopeKeys('channel'),
      });
    },
    'GET /api/v1/config': (req, res) => {
      requireRead(req);
      sendJson(res, 200, { centreName: config.centreName, timeZone: config.timeZone, kpi: config.kpi });
    },
    'GET /healthz': (_req, res) => {
      // 503 while the store cannot take writes: ingest is refused then, though screens still get figures.
      const store = log.health?.() ?? { ok: true, restartRequired: false };
      const now = new Date(clock.now()).toISOString();
      if (!store.ok) {
        return sendJson(res, 503, { status: 'degraded', store: { error: store.error, restartRequired: store.restartRequired }, now, ...engine.stats() });
      }
      sendJson(res, 200, { status: 'ok', now, ...engine.stats() });
    },
    'GET /metrics': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      const memory = process.memoryUsage();
      res.end(metrics.render({ ...engine.stats(), sockets: io.engine.clientsCount, rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed }));
    },
  };

  // Each area of the product adds its routes from its own module.
  Object.assign(routes, auditRoutes(context));

  const httpServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes[`${req.method} ${url.pathname}`];
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
          logger.error({ err: error.message, route: `${req.method} ${url.pathname}` }, 'store failure');
          return sendJson(res, 503, { error: error.message });
        }
        if (error instanceof HttpError) {
          sendJson(res, error.status, { error: error.message });
          // Stop reading an oversized body: the client has its answer.
          if (error.status === 413) req.destroy();
          return;
        }
        // Once the store is invalidated every query on it fails: say that, not "internal error".
        const store = log.health?.();
        if (store?.restartRequired) {
          logger.error({ err: (error as Error)?.message, route: `${req.method} ${url.pathname}` }, 'store failure');
          return sendJson(res, 503, { error: store.error });
        }
        logger.error({ err: error, route: `${req.method} ${url.pathname}` }, 'request failed');
        sendJson(res, 500, { error: 'internal error; the request was not applied' });
      });
  });

  const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    perMessageDeflate: false,
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: false },
  });
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const principal = typeof token === 'string' ? access.principalOfToken(token) : null;
    if (!principal) return next(new Error('unauthorized'));
    socket.data.principal = principal;
    next();
  });
  const rooms: KpiRooms = new KpiRooms(io, engine, clock, { tickMs: deps.tickMs, redactFor: (socket): boolean => screens.isVisitorSocket(socket) });
  // Screens: assignments, visitor mode, broadcasts, alerts, agent board (issue 5).
  const screens: ScreenHub = new ScreenHub(io, rooms, context, { file: records ? join(config.dataDir, 'screens.json') : null, webRoot });
  Object.assign(routes, screenRoutes(context, screens), broadcastRoutes(context, screens), alertRoutes(context, screens));

  return {
    httpServer,
    io,
    engine,
    ingestor,
    access,
    audit,
    async restore() {
      let count = 0;
      // Records stored before the last record write already reflect the events received by then.
      const coveredThroughMs = records ? await records.coveredThrough() : null;
      await log.replay(engine.horizonMs, async (events, receivedMs) => {
        await seed(events);
        engine.applyReplayed(events, (i) => coveredThroughMs !== null && receivedMs !== undefined && receivedMs[i] < coveredThroughMs);
        screens.noteEvents(events, false);
        count += events.length;
      });
      recordSync?.start();
      return count;
    },
    async flushRecords() {
      await recordSync?.flush();
    },
    scheduleRetention(retentionDays, onResult) {
      if (!records) return { stop() {} };
      return scheduleRetention(records.connection, { retentionDays, clock, onResult });
    },
    async close() {
      rooms.close();
      screens.close();
      await recordSync?.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      // The records' connection first: DuckDB keeps the file locked while any connection is open.
      records?.close();
      audit.close?.();
      await log.close();
    },
  };
}
