/**
 * Entry point: `npm start`. Reads the configuration from the environment, restores live state
 * from the log, serves the API, the web app and Socket.IO, and (unless SIMULATE=0) runs the demo
 * simulator through the same ingest path as any integrator.
 */
import { setFlagsFromString } from 'node:v8';
import { pino } from 'pino';
import { loadConfig } from './config.ts';
import { openDurableApp } from './open-app.ts';
import type { App } from './app.ts';
import { loadSecrets } from './security/secrets.ts';

/**
 * On the very first start (no accounts, no ADMIN_TOKEN) an `admin` account with a random initial
 * password, printed once, so a new install can be signed in to; `npm run admin` does the same
 * with the server stopped.
 */
async function createFirstAdmin(app: App, hasAdminToken: boolean, clock: { now(): number }): Promise<{ name: string; password: string } | null> {
  const accounts = app.access.identity.accounts;
  if (hasAdminToken || accounts.userCount > 0) return null;
  const { user, initialPassword } = await accounts.createUser('admin', 'admin', 'system');
  await app.audit.record({ at: clock.now(), actor: 'system', role: null, action: 'user.create', target: user.name, from: null, detail: { role: 'admin', firstStart: true } });
  return { name: user.name, password: initialPassword };
}

async function main(): Promise<void> {
  const config = loadConfig();
  // V8 otherwise lets the heap grow to about twice what its last full collection kept before the
  // next one: 300–800 MB swings at 20,000 events/s. A smaller factor collects more often and
  // keeps the heap near its live size (issue 15). Read at every collection, so it applies now.
  if (config.heapGrowingPercent) setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  // A queue_log mapping file that does not validate stops the start, naming its field (issue 13).
  if (config.queueLog) (await import('./ingest/queue-log/mapping.ts')).loadQueueLogMapping(config.dataDir);
  const logger = pino({ level: config.logLevel });
  const secrets = loadSecrets(config);
  const clock = { now: () => Date.now() };
  const app = await openDurableApp(config, secrets, clock, logger);

  const restoreStarted = performance.now();
  const restored = await app.restore();
  logger.info({ events: restored, ms: Math.round(performance.now() - restoreStarted) }, 'live state restored from the store');
  // Before listening, so the account exists by the time anyone can sign in.
  const firstAdmin = await createFirstAdmin(app, config.adminToken !== undefined, clock);
  await new Promise<void>((resolve, reject) => {
    app.httpServer.once('error', reject);
    app.httpServer.listen(config.port, config.host, resolve);
  });
  const address = app.httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const baseUrl = `http://${shownHost}:${port}`;
  logger.info({ restored, port, timeZone: config.timeZone }, `listening on ${baseUrl}`);
  console.log(`\n  Wallboard:   ${baseUrl}/wall?token=${secrets.displayToken}`);
  console.log(`  Ingest:      POST ${baseUrl}/api/v1/events  (Authorization: Bearer ${secrets.ingestKey})`);
  console.log(`  Sign in:     ${baseUrl}/signin   (admin page: ${baseUrl}/admin)`);
  if (firstAdmin) console.log(`  First admin: "${firstAdmin.name}", initial password ${firstAdmin.password} (must be changed at first sign-in)`);
  if (secrets.adminToken) console.log('  Admin token: from ADMIN_TOKEN');
  console.log('');

  let stopSimulator: (() => Promise<void>) | undefined;
  if (config.simulate) {
    const { startSimulator } = await import('./sim/runner.ts');
    // The demo's sites, queues, channels and teams by name (names an admin edited are kept).
    const { simulatorNames } = await import('./sim/org-names.ts');
    const { DEFAULT_AGENTS } = await import('./sim/model.ts');
    app.org.ship(simulatorNames(DEFAULT_AGENTS), 'simulator', clock.now());
    // Steps of tickets `simulate --history` left open; with them, the history already holds the days before.
    const { readCarryOver } = await import('./sim/carry-over.ts');
    const carryOver = readCarryOver(config.dataDir);
    const simulator = startSimulator({
      carryOver,
      ...(carryOver.length > 0 ? { ticketBacklogDays: 0 } : {}),
      baseUrl: `http://127.0.0.1:${port}`,
      ingestKey: secrets.ingestKey,
      clock,
      speed: config.simulateSpeed,
      timeZone: config.timeZone,
      // The store already holds today's traffic after a restart: do not warm up twice.
      warmupMinutes: restored > 0 ? 0 : undefined,
      logger: logger.child({ component: 'simulator' }),
    });
    stopSimulator = () => simulator.stop();
    logger.info('demo simulator running (SIMULATE=0 to turn it off)');
  }

  // Asterisk's queue_log, followed live through the same ingest path (issue 13).
  let stopQueueLog: (() => Promise<void>) | undefined;
  if (config.queueLog) {
    const { startQueueLogTail } = await import('./ingest/queue-log/tail.ts');
    const { loadQueueLogMapping } = await import('./ingest/queue-log/mapping.ts');
    const tail = startQueueLogTail({
      path: config.queueLog,
      dataDir: config.dataDir,
      ingestor: app.ingestor,
      mapping: () => loadQueueLogMapping(config.dataDir),
      logger: logger.child({ component: 'queue_log' }),
    });
    stopQueueLog = () => tail.stop();
    app.healthSources.set('queueLog', () => tail.status());
    logger.info('following the Asterisk queue_log (QUEUE_LOG)');
  }

  const retention = app.scheduleRetention(config.retentionDays, (deleted, error) => {
    if (error) logger.error({ err: error.message }, 'retention: compaction failed');
    else if (deleted > 0) logger.info({ deleted, retentionDays: config.retentionDays }, 'retention: raw events compacted');
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const started = performance.now();
    // Gone within 10 s whatever happens (a socket that never reads, a commit that hangs); with
    // code 0 once the final checkpoint is written, as then a restart replays nothing.
    let checkpointed = false;
    setTimeout(() => {
      logger.warn({ signal, checkpointed }, 'shutdown: still closing after 9 s; exiting');
      process.exit(checkpointed ? 0 : 1);
    }, 9000).unref();
    logger.info({ signal }, 'shutting down');
    // The demo's own simulator first (at most 5 s): its last batch, agents signed out and open
    // contacts closed, still goes in through the ingest.
    await stopSimulator?.();
    // The queue_log tail's batch in progress is stored and its position saved.
    await stopQueueLog?.();
    retention.stop();
    // No more ingest from now on (503, Retry-After, Connection: close); the requests in progress
    // finish their commits and get their answer.
    await app.drain(Math.max(1000, 6000 - (performance.now() - started)));
    app.httpServer.closeIdleConnections();
    logger.info({ ms: Math.round(performance.now() - started) }, 'shutdown: ingest drained; writing the final checkpoint');
    // The final checkpoint: the records and the counters through the last commit.
    try {
      await app.finalFlush();
      checkpointed = true;
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'shutdown: the final checkpoint failed');
    }
    app.httpServer.closeAllConnections();
    // Closes the sockets, the listener and the store.
    await app.close();
    logger.info({ signal, ms: Math.round(performance.now() - started) }, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`wallboard: ${(error as Error).message}`);
  process.exit(1);
});
