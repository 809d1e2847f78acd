/**
 * Opens the durable store under DATA_DIR and builds the app on it, for the server and for the
 * command-line tools that write history through the same ingest path.
 */
import type { Logger } from 'pino';
import { createApp, type App } from './app.ts';
import type { Config } from './config.ts';
import type { Secrets } from './security/secrets.ts';
import { DuckDbEventLog } from './store/duckdb-event-log.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EventLog } from './store/event-log.ts';
import { JOURNAL_FILE, LmdbEventLog } from './store/lmdb-event-log.ts';
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
  const log = await DuckDbEventLog.open({ dataDir: config.dataDir, clock, memoryLimitMb: config.duckdbMemoryMb });
  // EVENT_LOG=lmdb, the default (issue 15): the journal acknowledges; DuckDB's events table is
  // filled behind it. Opened before anything reads the table: it first copies what DuckDB lacks.
  let acknowledged: EventLog;
  try {
    acknowledged = config.eventLog === 'lmdb' ? await LmdbEventLog.open({ dataDir: config.dataDir, clock, duck: log }) : await withJournalDrained(log, config.dataDir, clock);
  } catch (error) {
    await log.close();
    throw error;
  }
  const records = await RecordStore.open(() => log.connect(), { timeZone: config.timeZone, settings: config.kpi, clock });
  await records.prepare();
  // REDIS_URL (issue 16): this store becomes one process's copy of a shared Redis Stream. Unset, nothing changes.
  const cluster = process.env.REDIS_URL ? await (await import('./cluster/open-cluster.ts')).openCluster({ url: process.env.REDIS_URL, local: acknowledged, dataDir: config.dataDir, logger, clock, secrets }) : null;
  // With a cluster, the audit log and identity are every process's copies of the control stream.
  const localAudit = await DuckDbAuditLog.open(await log.connect());
  const audit = cluster ? cluster.shareAudit(localAudit) : localAudit;
  const localDocs = await DuckDbDocStore.open(await log.connect());
  const sharedDocs = cluster?.shareDocs(localDocs);
  const identity = await openIdentity(sharedDocs ?? localDocs, clock, config.security);
  sharedDocs?.follow(identity);
  const app = createApp({ config, secrets, log: cluster?.log ?? acknowledged, records, audit, identity, clock, logger, cluster: cluster?.wiring, ...options });
  sharedDocs?.onRemoteChange(() => app.access.changed());
  return cluster ? cluster.attach(app) : app;
}

/**
 * EVENT_LOG=duckdb on a DATA_DIR a journal was used on: its commits not yet in DuckDB (a crash,
 * a full disk) are copied first, so switching back loses nothing acknowledged.
 */
async function withJournalDrained(log: DuckDbEventLog, dataDir: string, clock: { now(): number }): Promise<DuckDbEventLog> {
  if (!existsSync(join(dataDir, JOURNAL_FILE))) return log;
  await (await LmdbEventLog.open({ dataDir, clock, duck: log })).closeJournal();
  return log;
}
