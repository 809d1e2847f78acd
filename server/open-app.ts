/**
 * Opens the durable store under DATA_DIR and builds the app on it, for the server and for the
 * command-line tools that write history through the same ingest path.
 */
import type { Logger } from 'pino';
import { createApp, type App } from './app.ts';
import type { Config } from './config.ts';
import type { Secrets } from './security/secrets.ts';
import { DuckDbEventLog } from './store/duckdb-event-log.ts';
import { LmdbEventLog } from './store/lmdb-event-log.ts';
import { RecordStore } from './store/record-store.ts';
import { DuckDbAuditLog } from './audit/audit-log.ts';
import { DuckDbDocStore } from './users/doc-store.ts';
import { openIdentity, type Identity } from './users/identity.ts';
import type { DuckDbEventLog as EventLogFile } from './store/duckdb-event-log.ts';

/** Accounts, sessions, display links and ingest keys in the store file. */
export async function openDurableIdentity(log: EventLogFile, config: Config, clock: { now(): number }): Promise<Identity> {
  return openIdentity(await DuckDbDocStore.open(await log.connect()), clock, config.security);
}

export async function openDurableApp(
  config: Config,
  secrets: Secrets,
  clock: { now(): number },
  logger: Logger,
  options: { recordFlushMs?: number; backfill?: boolean } = {},
): Promise<App> {
  const log = await DuckDbEventLog.open({ dataDir: config.dataDir, clock });
  const records = new RecordStore(await log.connect(), { timeZone: config.timeZone, settings: config.kpi, clock });
  await records.prepare();
  const audit = await DuckDbAuditLog.open(await log.connect());
  const identity = await openDurableIdentity(log, config, clock);
  // EVENT_LOG=lmdb (issue 15): LMDB acknowledges; DuckDB's events table is filled behind it.
  const acknowledged = config.eventLog === 'lmdb' ? await LmdbEventLog.open({ dataDir: config.dataDir, clock }) : log;
  if (acknowledged instanceof LmdbEventLog) acknowledged.follow(log);
  return createApp({ config, secrets, log: acknowledged, records, audit, identity, clock, logger, ...options });
}
