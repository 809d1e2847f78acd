/**
 * The application factory: HTTP API, static web app and Socket.IO on one `http.Server`, with
 * every dependency injected (log, clock, logger, configuration) and no `listen()`, so tests run
 * it on a real ephemeral port.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Logger } from 'pino';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../shared/socket-events.ts';
import type { Config } from './config.ts';
import { KpiEngine } from './engine/kpi-engine.ts';
import { Ingestor } from './ingest/ingestor.ts';
import { KpiRooms } from './realtime/kpi-rooms.ts';
import { Access, remoteAddress } from './security/auth.ts';
import { MemoryAuditLog, type AuditLog } from './audit/audit-log.ts';
import { auditBeforeApply } from './audit/audit-before-apply.ts';
import type { RouteContext, Routes } from './http/route.ts';
import { requestHandler } from './http/request-handler.ts';
import { auditRoutes } from './http/audit-routes.ts';
import { sessionRoutes } from './http/session-routes.ts';
import { userRoutes } from './http/user-routes.ts';
import { displayLinkRoutes } from './http/display-link-routes.ts';
import { ingestKeyRoutes, type KeyUsage } from './http/ingest-key-routes.ts';
import { queueLogRoutes } from './http/queue-log-routes.ts';
import { RateLimiter } from './security/rate-limit.ts';
import { originCheck } from './security/origin.ts';
import { securityHeaders } from './security/headers.ts';
import { webStatic } from './http/web-static.ts';
import { guardSockets } from './security/socket-guard.ts';
import { memoryIdentity, type Identity } from './users/identity.ts';
import { reportsArea } from './http/report-routes.ts';
import type { Secrets } from './security/secrets.ts';
import { StoreError, withoutPaths, type EventLog } from './store/event-log.ts';
import { Metrics } from './http/metrics.ts';
import type { RecordStore } from './store/record-store.ts';
import { RecordSync } from './live/record-sync.ts';
import { storeSeeder } from './live/seed.ts';
import { restoreLiveState } from './live/restore.ts';
import { scheduleRetention } from './store/retention.ts';
import { ScreenHub } from './screens/screen-hub.ts';
import { alertRoutes } from './http/alert-routes.ts';
import { kpiContactRoutes } from './http/kpi-contact-routes.ts';
import { scopeRoutes } from './http/scope-routes.ts';
import { broadcastRoutes } from './http/broadcast-routes.ts';
import { screenRoutes } from './http/screen-routes.ts';
import { staffingRoutes } from './http/staffing-routes.ts';
import { agentRoutes } from './http/agent-routes.ts';
import { AgentFeed } from './realtime/agent-feed.ts';
import { Intraday } from './reports/intraday.ts';
import { intervalRoutes } from './http/interval-routes.ts';
import { ticketRoutes } from './http/ticket-routes.ts';
import { IntervalFeed } from './realtime/interval-feed.ts';
import { TargetBook } from './reports/target-book.ts';
import { DuckDbTargetStore, MemoryTargetStore } from './reports/target-store.ts';
import { serviceLevelSettingsOf } from '../shared/targets.ts';
import { OrgDirectory } from './org/org-directory.ts';
import { orgRoutes } from './http/org-routes.ts';
import { knownScope } from './http/known-scope.ts';
import { ingestRoutes } from './http/ingest-routes.ts';
import { kpiRoutes } from './http/kpi-routes.ts';
import { dailyReportRoutes } from './http/daily-report-routes.ts';
import { healthRoutes } from './http/health-routes.ts';
import { join } from 'node:path';
import type { ClusterWiring } from './cluster/open-cluster.ts';
import type { CallCentreEvent } from '../shared/events.ts';

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
  /** Accounts, sessions, display links and ingest keys (default: in memory). */
  identity?: Identity;
  /** Directory of the built web app (default dist/web); pages are not served when missing. */
  webRoot?: string;
  tickMs?: number;
  /** How often changed contact and ticket records are written (default 2 s). */
  recordFlushMs?: number;
  /** How long a settled contact stays in memory after its last change (default 2 min). */
  evictIdleMs?: number;
  /** A command-line tool backfilling history on a simulated clock: no live alerts (issue 14). */
  backfill?: boolean;
  /** Several processes on a Redis Stream (REDIS_URL, issue 16): absent, the app runs alone. */
  cluster?: ClusterWiring;
}

export interface App {
  httpServer: HttpServer;
  io: Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
  engine: KpiEngine;
  ingestor: Ingestor;
  access: Access;
  audit: AuditLog;
  /** Display names of sites, queues, teams, channels and agents (DATA_DIR/org.json). */
  org: OrgDirectory;
  /** Sources followed beside the app (the queue_log tail): each one's state is shown in `/healthz`. */
  healthSources: Map<string, () => object>;
  /** Every `METHOD /path` the server answers, for tests that check each one. */
  routeNames: readonly string[];
  /** Rebuilds live state from the log (today and yesterday). */
  restore(): Promise<number>;
  /** Writes changed contact and ticket records to the store now. */
  flushRecords(): Promise<void>;
  /** A stop's final write of the records and checkpoint (the write in progress abandoned: see RecordSync.finalFlush). */
  finalFlush(): Promise<void>;
  /**
   * Graceful stop, step one (SIGTERM, see server/index.ts): every request from now on is answered
   * 503 with `Retry-After` and `Connection: close` (keep-alive connections end with it); resolves
   * once the requests already in progress (their commits) have answered, or after `timeoutMs`.
   */
  drain(timeoutMs: number): Promise<void>;
  /** Compacts raw events older than `retentionDays` now and every few hours (durable store only). */
  scheduleRetention(retentionDays: number, onResult: (deleted: number, error?: Error) => void): { stop(): void };
  close(): Promise<void>;
}

export function createApp(deps: AppDeps): App {
  const { config, secrets, log, clock, logger } = deps;
  // Targets and service-level settings per scope as versioned data (issue 11). The environment's
  // T, S and variant are the base; the engine takes the T and S in force as each day starts
  // (or at a restart), the variant at once (it only reads counters).
  const targets = new TargetBook(deps.records ? new DuckDbTargetStore(deps.records.connect) : new MemoryTargetStore(), { timeZone: config.timeZone, clock, base: serviceLevelSettingsOf(config.kpi) });
  const engine = new KpiEngine({ settings: config.kpi, timeZone: config.timeZone, clock, onDayStart: (day) => Object.assign(config.kpi, targets.liveSettingsFor(day)) });
  const metrics = new Metrics({
    engineStats: () => engine.stats(),
    socketCount: () => io.engine.clientsCount,
    socketsByRole: () => {
      const counts: Record<string, number> = {};
      for (const socket of io.sockets.sockets.values()) {
        const role = socket.data.principal?.role ?? 'unknown';
        counts[role] = (counts[role] ?? 0) + 1;
      }
      return counts;
    },
    activeAlerts: () => screens.alerts.active().length,
    storeHealthy: () => (log.health?.().ok ?? true) && !recordSync?.failure,
    clock,
  });
  log.onCommitTimed?.((seconds) => metrics.observeCommit(seconds));
  const records = deps.records;
  const recordSync = records ? new RecordSync(engine, records, log, clock, logger, deps.recordFlushMs ?? 2000, deps.evictIdleMs, config.liveContactsMax) : null;
  if (recordSync) recordSync.onCheckpointTimed = (seconds) => metrics.observeCheckpoint(seconds);
  // The org directory (issue 11): ids seen in events join it; kept next to the store.
  const org = new OrgDirectory(records ? join(config.dataDir, 'org.json') : null, (message) => logger.error({ err: message }, 'org directory not saved'));
  // Several processes (issue 16): target versions and org names are the group's, not this process's.
  deps.cluster?.shareSettings(targets, org);
  const seed = storeSeeder(engine, records);
  /** After events are stored and applied: the ingest path's own, and (issue 16) other processes'. */
  const afterCommit = async (events: CallCentreEvent[], arrivedAt: number): Promise<void> => {
    metrics.noteApplied(arrivedAt, events.reduce((newest, e) => Math.max(newest, e.ts), -Infinity));
    // The rooms were poked as the commit was applied (onApplied; other processes' entries too, as
    // the local log commits them), which may be before this: the acknowledgement waits for the disk.
    screens.noteEvents(events, true);
    org.noteEvents(events);
    await recordSync?.accept(events);
  };
  const ingestor = new Ingestor({
    log,
    engine,
    clock,
    pseudonymKey: secrets.pseudonymKey,
    centreCountry: config.centreCountry,
    maxFutureSkewSec: config.maxFutureSkewSec,
    workerMinBytes: config.ingestWorkerMinBytes,
    seed,
    onAccepted: afterCommit,
    onApplied: () => rooms.poke(),
    onIngested: (result, ingestKey) => metrics.countIngest(result, ingestKey),
    onRecordError: (error) => logger.error({ err: error.message }, 'events stored, but their records could not be updated'),
    onWorkerLost: (message) => logger.error(message),
  });
  deps.cluster?.followRemote({
    prepare: (fresh) => seed(fresh).catch((error: Error) => logger.error({ err: error.message }, 'events stored, but their records could not be updated')),
    applied: (events) => afterCommit(events, performance.now()),
    pin: (events) => engine.pin(events),
    unpin: (events) => engine.unpin(events),
  });
  const security = config.security;
  const identity = deps.identity ?? memoryIdentity(clock, security);
  const access = new Access(secrets, identity);
  const perAddress = new RateLimiter(security.ratePerAddress, security.ratePerAddress * 2);
  const perKey = new RateLimiter(security.ratePerKey, security.ratePerKey * 2);
  const signInLimiter = new RateLimiter(security.signInPerMinute / 60, security.signInPerMinute);
  const keyUsage: KeyUsage = new Map();
  const setSecurityHeaders = securityHeaders({ displayFrameAncestors: security.displayFrameAncestors, hsts: security.secureCookies });
  const audit: AuditLog = deps.audit ?? new MemoryAuditLog();
  // Unknown scopes answer 404 (issue 11): known = figures in the engine, or in the org directory.
  const knownScopeOf = knownScope({ engine, org });
  const context: RouteContext = { config, engine, access, audit: auditBeforeApply(audit, logger), log, records, clock, logger, targets, knownScope: knownScopeOf };
  // WEB_ROOT: another build of the web app (tests of parallel work build into their own folder).
  const webRoot = deps.webRoot ?? process.env.WEB_ROOT ?? 'dist/web';
  // Precompressed, immutable hashed assets, content ETags (issue 14).
  const serveWeb = webStatic(webRoot);

  /** Brings the stored records up to the engine before a report reads them (see RecordSync.bringUpToDate). */
  const syncRecords = async (): Promise<void> => {
    await recordSync?.bringUpToDate();
  };

  const healthSources = new Map<string, () => object>();

  // Each area of the product adds its routes from its own module.
  const routes: Routes = {
    ...ingestRoutes(context, { ingestor, perKey, keyUsage, metrics }),
    ...kpiRoutes(context),
    ...dailyReportRoutes(context, syncRecords),
    ...healthRoutes(context, { metrics, recordsFailure: () => recordSync?.failure, sources: healthSources }),
  };
  Object.assign(routes, auditRoutes(context));
  Object.assign(routes, sessionRoutes(context, { signInLimiter, secureCookies: security.secureCookies }));
  Object.assign(routes, userRoutes(context));
  Object.assign(routes, displayLinkRoutes(context, (name) => guard.screensOf(name)));
  Object.assign(routes, ingestKeyRoutes(context, keyUsage));
  // Asterisk queue_log history over HTTP (issue 13), with an ingest key.
  Object.assign(routes, queueLogRoutes(context, { ingestor, perKey, keyUsage }));
  Object.assign(routes, reportsArea(context, syncRecords));
  Object.assign(routes, kpiContactRoutes(context, syncRecords));
  // Intraday intervals and open tickets for the duty manager's console (issue 10).
  const intraday = new Intraday(context, syncRecords);
  Object.assign(routes, intervalRoutes(context, intraday), ticketRoutes(context));

  const originAllowed = originCheck(security.allowedOrigins);
  const requests = requestHandler({ routes, setSecurityHeaders, perAddress, originAllowed, serveWeb, log, metrics, logger });
  const httpServer = createServer(requests.handle);
  // An idle keep-alive connection is closed by the client, not under it (issue 14's ECONNRESET):
  // with Node's 5 s default, a client (a test whose event loop was busy for 5 s, a proxy keeping
  // upstream connections 60 s) reuses the socket just as the server destroys it, and the request
  // it wrote is answered with a TCP reset. Shutdown closes idle connections itself.
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;

  const handshakes = new RateLimiter(security.ratePerAddress / 10, Math.max(2000, security.ratePerAddress * 2));
  const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(httpServer, {
    serveClient: false,
    // Larger socket messages close the connection (the server itself is untouched).
    maxHttpBufferSize: 64 * 1024,
    perMessageDeflate: false,
    // No connection state recovery: it keeps every packet sent for its whole window to replay
    // to screens that reconnect, and the screens resubscribe for a full snapshot anyway.
    allowRequest: (req, callback) => {
      if (!originAllowed(req.headers.origin, req.headers.host)) return callback('origin not allowed', false);
      if (handshakes.take(remoteAddress(req) ?? 'unknown') > 0) return callback('rate limit: too many connections from this address', false);
      callback(null, true);
    },
  });
  // Before the rooms: the guard's packet checks must run ahead of the rooms' handlers.
  const guard = guardSockets(io, access);
  // The handshake keeps what the guard needs (headers, address); the first HTTP request of each
  // connection need not stay in memory with it (socket.io's memory advice; SPEC §9: ≤ 100 KB a screen).
  io.on('connection', (socket) => {
    (socket.conn as { request: unknown }).request = null;
  });
  // Expired sessions already open nothing; this only keeps the table small.
  const pruneTimer = setInterval(() => {
    identity.accounts.pruneSessions().catch((error: Error) => logger.warn({ err: error.message }, 'could not prune expired sessions'));
  }, 3600_000);
  pruneTimer.unref();
  const rooms: KpiRooms = new KpiRooms(io, engine, clock, { tickMs: deps.tickMs, redactFor: (socket): boolean => screens.isVisitorSocket(socket), knownScope: knownScopeOf, targetsFor: (scope) => targets.inForce(scope), onTick: (pushed, occupied) => metrics.notePush(pushed, occupied) });
  targets.onChange(() => {
    config.kpi.serviceLevelVariant = targets.liveSettingsFor().serviceLevelVariant;
    rooms.refresh();
  });
  const intervalFeed = new IntervalFeed(io, intraday, config.timeZone, clock, { tickMs: deps.tickMs });
  // Screens: assignments, visitor mode, broadcasts, alerts, agent board (issue 5).
  const screens: ScreenHub = new ScreenHub(io, rooms, context, { file: records ? join(config.dataDir, 'screens.json') : null, webRoot });
  if (deps.backfill) screens.alerts.backfill();
  deps.cluster?.wire(io, screens);
  Object.assign(routes, screenRoutes(context, screens), broadcastRoutes(context, screens), alertRoutes(context, screens));
  // The console's agents of a scope (issue 10), from the screens' agent board and the engine.
  const agentFeed = new AgentFeed(io, screens.agents, { engine, clock, timeZone: config.timeZone, notReadyLimitSec: config.kpi.notReadyLimitSec });
  Object.assign(routes, staffingRoutes(context), agentRoutes(context, agentFeed));
  Object.assign(routes, scopeRoutes(context, screens.agents));
  Object.assign(routes, orgRoutes(context, org));

  /** Rebuilds live state from the store (see `App.restore` and live/restore.ts); returns how many events it replayed. */
  const restore = async (): Promise<number> => {
    // Today's T, S and variant as the versions say, before anything is counted.
    await targets.ready;
    Object.assign(config.kpi, targets.liveSettingsFor());
    return restoreLiveState({ engine, log, records, recordSync, seed, timeZone: config.timeZone, noteEvents: (events) => screens.noteEvents(events, false), logger });
  };

  return {
    httpServer,
    io,
    engine,
    ingestor,
    access,
    audit,
    healthSources,
    org,
    get routeNames() {
      return Object.keys(routes);
    },
    async restore() {
      try {
        return await restore();
      } catch (error) {
        // A damaged file is found only when its blocks are read. This is a start-up error, for the
        // operator's console only: the one message that names the file (answers never do, issue 12).
        const message = error instanceof StoreError ? error.message : `cannot read the event store (${withoutPaths(String((error as Error)?.message ?? error).split('\n')[0].slice(0, 400))})`;
        if (error instanceof StoreError && !message.startsWith('cannot read the event store')) throw error;
        throw new StoreError(`${log.path ?? 'store'}: ${message}`);
      }
    },
    async flushRecords() {
      await recordSync?.flush();
    },
    async finalFlush() {
      await recordSync?.finalFlush();
    },
    drain(timeoutMs) {
      return requests.drain(timeoutMs);
    },
    scheduleRetention(retentionDays, onResult) {
      if (!records) return { stop() {} };
      return scheduleRetention(records.connect, { retentionDays, clock, onResult });
    },
    async close() {
      rooms.close();
      intervalFeed.close();
      agentFeed.close();
      guard.close();
      clearInterval(pruneTimer);
      screens.close();
      org.close();
      // Bodies the ingest worker still holds are checked here and stored before the log closes.
      await ingestor.close();
      await recordSync?.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      // The records' connection first: DuckDB keeps the file locked while any connection is open.
      records?.close();
      audit.close?.();
      identity.store.close?.();
      await log.close();
    },
  };
}
