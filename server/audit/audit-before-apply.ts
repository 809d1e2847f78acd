/**
 * The audit log as routes write it (issue 12): every management action is audited before it is
 * applied, so a failing write stops the action there, answered 503 saying nothing was done. The
 * operator's log gets the cause when it is the disk's, never a value DuckDB may quote.
 */
import type { Logger } from 'pino';
import { HttpError } from '../errors.ts';
import { withoutPaths } from '../store/event-log.ts';
import type { AuditLog } from './audit-log.ts';

export function auditBeforeApply(audit: AuditLog, logger: Logger): AuditLog {
  return {
    record: (entry) =>
      Promise.resolve()
        .then(() => audit.record(entry))
        .catch((error: unknown) => {
          const firstLine = String((error as Error)?.message ?? error).split('\n')[0];
          const cause = /No space|disk|I\/O|IO Error|Could not|read-only|permission/i.test(firstLine) ? withoutPaths(firstLine).slice(0, 200) : 'the audit store refused the entry';
          logger.error({ err: cause, action: entry.action }, 'cannot write the audit log; the action was not applied');
          throw new HttpError(503, 'audit: the audit log cannot record this action, so it was not applied; retry shortly');
        }),
    list: (filter) => audit.list(filter),
  };
}
