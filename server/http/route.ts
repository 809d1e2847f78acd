/**
 * Routes are plain handlers keyed by `METHOD /path`; each area of the product (KPIs, reports,
 * users, screens, ...) exports a function from the shared context to its routes, and the app
 * merges them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import type { Access } from '../security/auth.ts';
import type { RecordStore } from '../store/record-store.ts';
import type { EventLog } from '../store/event-log.ts';
import type { KnownScope } from './known-scope.ts';
import type { TargetBook } from '../reports/target-book.ts';

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
export type Routes = Record<string, Route>;

/** What route modules get from the app. */
export interface RouteContext {
  config: Config;
  engine: KpiEngine;
  access: Access;
  audit: AuditLog;
  log: EventLog;
  records?: RecordStore;
  clock: { now(): number };
  logger: Logger;
  /** Target versions and service-level settings per scope (issue 11). */
  targets: TargetBook;
  /** Whether a well-formed scope is known (server/http/known-scope.ts); unknown ones answer 404. */
  knownScope?: KnownScope;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
