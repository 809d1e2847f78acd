/**
 * Configuration from the environment (SPEC §6), validated once at start with one readable
 * error per bad variable.
 */
import { DEFAULT_CENTRE_COUNTRY, isCentreCountry } from './ingest/pseudonymize.ts';
import { INGEST_BODY_DEFAULT_MAX_BYTES } from './ingest/http-body.ts';
import { DUCKDB_DEFAULT_MEMORY_MB } from './store/duckdb-event-log.ts';
import { z } from 'zod';
import { DEFAULT_KPI_SETTINGS, type KpiSettings } from '../shared/kpi.ts';
import { isValidTimeZone } from '../shared/time.ts';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  CENTRE_TZ: z.string().refine(isValidTimeZone, 'not an IANA time zone').default('Asia/Shanghai'),
  CENTRE_NAME: z.string().default('Hotline'),
  /** ISO 3166 country of the centre: national caller numbers are read as this country's (issue 12). */
  CENTRE_COUNTRY: z.string().default(DEFAULT_CENTRE_COUNTRY).refine(isCentreCountry, 'an ISO 3166 alpha-2 country code such as CN'),
  SIMULATE: z.enum(['0', '1', 'false', 'true']).default('1').transform((v) => v === '1' || v === 'true'),
  SIMULATE_SPEED: z.coerce.number().min(1).max(1000).default(1),
  INGEST_KEY: z.string().min(8, 'must be at least 8 characters').optional(),
  ADMIN_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
  DISPLAY_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(INGEST_BODY_DEFAULT_MAX_BYTES),
  MAX_FUTURE_SKEW_SEC: z.coerce.number().min(0).default(300),
  SL_THRESHOLD_SEC: z.coerce.number().min(1).default(DEFAULT_KPI_SETTINGS.serviceLevelSec),
  SHORT_ABANDON_SEC: z.coerce.number().min(0).default(DEFAULT_KPI_SETTINGS.shortAbandonSec),
  SL_VARIANT: z.enum(['standard', 'answered', 'sl2']).default('standard'),
  FCR_REPEAT_DAYS: z.coerce.number().min(0).default(DEFAULT_KPI_SETTINGS.fcrRepeatDays),
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  SESSION_HOURS: z.coerce.number().min(0.01).max(24 * 30).default(12),
  LOCKOUT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  LOCKOUT_MINUTES: z.coerce.number().min(0).max(24 * 60).default(15),
  SECURE_COOKIES: z.enum(['0', '1', 'false', 'true']).default('0').transform((v) => v === '1' || v === 'true'),
  ALLOWED_ORIGINS: z.string().default('').transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean)),
  DISPLAY_FRAME_ANCESTORS: z.string().regex(/^[^;'"]*$/, 'space-separated origins, no quotes or semicolons').default(''),
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().min(0).default(500),
  RATE_LIMIT_PER_KEY: z.coerce.number().min(0).default(500),
  SIGNIN_PER_MINUTE: z.coerce.number().min(0).default(20),
  /** Bearer token a metrics scraper sends for `GET /metrics` (besides an admin's credentials). */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Asterisk's queue_log to follow live (issue 13); unset: none. */
  QUEUE_LOG: z.string().min(1, 'a file path, or unset').optional(),
  /** Where acknowledged events are kept (issue 15): `lmdb` (default: a journal, DuckDB filled behind it) or `duckdb` (the events table alone). */
  EVENT_LOG: z.enum(['duckdb', 'lmdb']).default('lmdb'),
  /** Most contacts the live engine holds before settled, written ones leave memory early (issue 15: bounded memory at any rate). */
  LIVE_CONTACTS_MAX: z.coerce.number().int().min(1000).default(100_000),
  /** Ingest bodies from this many bytes are checked in the ingest worker thread; negative: never (issue 15). */
  INGEST_WORKER_MIN_BYTES: z.coerce.number().int().default(64 * 1024),
  /** How far V8 lets the heap grow past what a full collection left, in % (issue 15: < 1 GB at 20,000 events/s); 0: V8's own (up to about 100 %). */
  HEAP_GROWING_PERCENT: z.coerce.number().int().min(0, 'a whole number from 0 to 100').max(100, 'a whole number from 0 to 100').default(25),
  /** DuckDB's memory limit in MB: its buffer pool and query memory; larger queries spill to disk (issue 15: < 1 GB at 20,000 events/s). */
  DUCKDB_MEMORY_MB: z.coerce.number().int('a whole number of MB, at least 64').min(64, 'a whole number of MB, at least 64').default(DUCKDB_DEFAULT_MEMORY_MB),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  timeZone: string;
  centreName: string;
  /** The centre's country (ISO 3166 alpha-2) for caller numbers written without a country code. */
  centreCountry: string;
  simulate: boolean;
  simulateSpeed: number;
  ingestKey?: string;
  adminToken?: string;
  displayToken?: string;
  /** Bearer token for `GET /metrics` (scrapers); admins may always read it. */
  metricsToken?: string;
  maxBodyBytes: number;
  maxFutureSkewSec: number;
  kpi: KpiSettings;
  /** Raw contact and ticket events older than this many days are compacted away. */
  retentionDays: number;
  logLevel: string;
  security: SecurityConfig;
  /** Asterisk queue_log file the server follows (QUEUE_LOG); undefined: none. */
  queueLog?: string;
  /** The acknowledged event log (EVENT_LOG): the LMDB journal with DuckDB filled behind it, or DuckDB's events table alone. */
  eventLog: 'duckdb' | 'lmdb';
  /** LIVE_CONTACTS_MAX: beyond this many contacts held, settled and written ones leave memory before they are idle (default 100,000). */
  liveContactsMax?: number;
  /** INGEST_WORKER_MIN_BYTES: bodies from this size are checked in the ingest worker; negative: never (default: 64 KiB). */
  ingestWorkerMinBytes?: number;
  /** HEAP_GROWING_PERCENT: the V8 heap grows this far past what a full collection left before the next one; 0: V8's own. */
  heapGrowingPercent?: number;
  /** DUCKDB_MEMORY_MB: DuckDB's memory limit (default DUCKDB_DEFAULT_MEMORY_MB). */
  duckdbMemoryMb?: number;
}

export interface SecurityConfig {
  sessionTtlMs: number;
  lockAfter: number;
  lockMs: number;
  /** Mark the session cookie Secure and send HSTS (serve over HTTPS). */
  secureCookies: boolean;
  /** Browser origins other than the server's own that may open sockets. */
  allowedOrigins: string[];
  /** Origins that may frame the wallboard page (signage players); none when empty. */
  displayFrameAncestors: string;
  /** API requests per second per address (burst twice that); 0 = off. */
  ratePerAddress: number;
  /** Ingest requests per second per key (burst twice that); 0 = off. */
  ratePerKey: number;
  /** Sign-in attempts per minute per address; 0 = off. */
  signInPerMinute: number;
}

/** Reads the configuration; throws one Error listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    timeZone: e.CENTRE_TZ,
    centreName: e.CENTRE_NAME,
    centreCountry: e.CENTRE_COUNTRY,
    simulate: e.SIMULATE,
    simulateSpeed: e.SIMULATE_SPEED,
    ingestKey: e.INGEST_KEY,
    adminToken: e.ADMIN_TOKEN,
    displayToken: e.DISPLAY_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxFutureSkewSec: e.MAX_FUTURE_SKEW_SEC,
    kpi: {
      ...DEFAULT_KPI_SETTINGS,
      serviceLevelSec: e.SL_THRESHOLD_SEC,
      shortAbandonSec: e.SHORT_ABANDON_SEC,
      serviceLevelVariant: e.SL_VARIANT,
      fcrRepeatDays: e.FCR_REPEAT_DAYS,
    },
    retentionDays: e.RETENTION_DAYS,
    logLevel: e.LOG_LEVEL,
    queueLog: e.QUEUE_LOG,
    eventLog: e.EVENT_LOG,
    liveContactsMax: e.LIVE_CONTACTS_MAX,
    ingestWorkerMinBytes: e.INGEST_WORKER_MIN_BYTES,
    heapGrowingPercent: e.HEAP_GROWING_PERCENT,
    duckdbMemoryMb: e.DUCKDB_MEMORY_MB,
    security: {
      sessionTtlMs: e.SESSION_HOURS * 3600_000,
      lockAfter: e.LOCKOUT_ATTEMPTS,
      lockMs: e.LOCKOUT_MINUTES * 60_000,
      secureCookies: e.SECURE_COOKIES,
      allowedOrigins: e.ALLOWED_ORIGINS,
      displayFrameAncestors: e.DISPLAY_FRAME_ANCESTORS,
      ratePerAddress: e.RATE_LIMIT_PER_ADDRESS,
      ratePerKey: e.RATE_LIMIT_PER_KEY,
      signInPerMinute: e.SIGNIN_PER_MINUTE,
    },
  };
}
