/**
 * Opens the durable store under DATA_DIR and builds the app on it, for the server and for the
 * command-line tools that write history through the same ingest path.
 */
import type { Logger } from 'pino';
import { createApp, type App } from './app.ts';
import type { Config } from './config.ts';
import type { Secrets } from './security/secrets.ts';
import { DuckDbEventLog } from './store/duckdb-event-log.ts';
import { RecordStore } from './store/record-store.ts';
import { DuckDbAuditLog } from './audit/audit-log.ts';

export async function openDurableApp(
  config: Config,
  secrets: Secrets,
  clock: { now(): number },
  logger: Logger,
  options: { recordFlushMs?: number } = {},
): Promise<App> {
  const log = await DuckDbEventLog.open({ dataDir: config.dataDir, clock });
  const records = new RecordStore(await log.connect(), { timeZone: config.timeZone, settings: config.kpi, clock });
  await records.prepare();
  const audit = await DuckDbAuditLog.open(await log.connect());
  return createApp({ config, secrets, log, records, audit, clock, logger, ...options });
}
