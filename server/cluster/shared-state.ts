/**
 * What the processes of a group share besides events (issue 16), each through the control
 * stream (control-stream.ts): the audit log, accounts, sessions, display links and ingest keys,
 * target versions, org names and alert acknowledgements. Each is wrapped where it is written,
 * so the routes stay as they are: a change made here goes to the stream and is applied here in
 * its order, other processes apply it from the stream to their own copies.
 */
import type { AlertEngine } from '../alerts/alert-engine.ts';
import type { AuditEntry, AuditLog } from '../audit/audit-log.ts';
import type { OrgDirectory } from '../org/org-directory.ts';
import type { TargetBook } from '../reports/target-book.ts';
import type { DocKind, DocStore } from '../users/doc-store.ts';
import type { Identity } from '../users/identity.ts';
import type { TargetVersion } from '../../shared/targets.ts';
import type { OrgChange } from '../../shared/org.ts';
import type { ControlStream } from './control-stream.ts';

/** Every process's audit log holds the same entries in the same order. */
export function shareAudit(control: ControlStream, local: AuditLog): AuditLog {
  control.handle('audit', (entry: AuditEntry) => local.record(entry));
  return {
    record: (entry) => control.publish('audit', entry, () => local.record(entry)),
    list: (filter) => local.list(filter),
    close: () => local.close?.(),
  };
}

type DocChange = { kind: DocKind; id: string; doc: object } | { kind: DocKind; ids: string[] };

/**
 * Accounts, sessions, display links and ingest keys: every put and remove goes through the
 * stream. `Accounts` and `NamedTokens` update their memory after their own writes; another
 * process's reach them through `shareIdentity`.
 */
export class SharedDocStore implements DocStore {
  private identity: Identity | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly control: ControlStream,
    private readonly local: DocStore,
  ) {
    control.handle('doc.put', async (change: { kind: DocKind; id: string; doc: object }) => {
      await local.put(change.kind, change.id, change.doc);
      this.noteStored(change.kind, change.id, change.doc);
    });
    control.handle('doc.remove', async (change: { kind: DocKind; ids: string[] }) => {
      await local.remove(change.kind, change.ids);
      for (const id of change.ids) this.noteStored(change.kind, id, null);
    });
  }

  /** The identity opened on this store: other processes' changes reach its memory from now on. */
  follow(identity: Identity): void {
    this.identity = identity;
  }

  /** After another process's change reached memory (open sockets re-check their credentials: `Access.changed`). */
  onRemoteChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  loadAll(kind: DocKind): Promise<unknown[]> {
    return this.local.loadAll(kind);
  }

  put(kind: DocKind, id: string, doc: object): Promise<void> {
    return this.control.publish('doc.put', { kind, id, doc } satisfies DocChange, () => this.local.put(kind, id, doc));
  }

  async remove(kind: DocKind, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.control.publish('doc.remove', { kind, ids } satisfies DocChange, () => this.local.remove(kind, ids));
  }

  close(): void {
    this.local.close?.();
  }

  private noteStored(kind: DocKind, id: string, doc: object | null): void {
    const identity = this.identity;
    if (!identity) return;
    if (kind === 'users' || kind === 'sessions') identity.accounts.noteStored(kind, id, doc);
    else if (kind === 'display_links') identity.displayLinks.noteStored(id, doc);
    else identity.ingestKeys.noteStored(id, doc);
    // A new session revokes nothing; anything else may have (a disabled user, a revoked link).
    if (doc === null || kind !== 'sessions') for (const listener of this.listeners) listener();
  }
}

/** Target versions: stored and applied on every process (screens' thresholds and KPIs agree). */
export function shareTargets(control: ControlStream, book: TargetBook): void {
  const store = book.store;
  const storeLocally = store.add.bind(store);
  store.add = (version) => control.publish('targets.add', version, () => storeLocally(version));
  control.handle('targets.add', async (version: TargetVersion) => {
    await storeLocally(version);
    book.noteAdded(version);
  });
}

/** Admins' and shippers' names in the org directory (ids seen in events join from the events themselves). */
export function shareOrg(control: ControlStream, org: OrgDirectory, onError: (error: Error) => void): void {
  const apply = org.apply.bind(org);
  const ship = org.ship.bind(org);
  org.apply = (changes, by, atMs) => {
    const diffs = apply(changes, by, atMs);
    if (diffs.length > 0) control.announce('org.apply', { changes, by, atMs }).catch(onError);
    return diffs;
  };
  org.ship = (entries, by, atMs) => {
    const changed = ship(entries, by, atMs);
    if (changed > 0) control.announce('org.ship', { entries, by, atMs }).catch(onError);
    return changed;
  };
  control.handle('org.apply', (change: { changes: OrgChange[]; by: string; atMs: number }) => void apply(change.changes, change.by, change.atMs));
  control.handle('org.ship', (change: { entries: Parameters<OrgDirectory['ship']>[0]; by: string; atMs: number }) => void ship(change.entries, change.by, change.atMs));
}

/** Which alert an acknowledgement was for: ids differ between processes, the rule, KPI and scope do not. */
interface AlertKey {
  rule: string;
  kpi: string | null;
  scope: string;
}

interface AckChange {
  /** The incident was acknowledged as a whole (its alerts at once, with the note). */
  incident: boolean;
  alerts: AlertKey[];
  actor: string;
  atMs: number;
  note: string | null;
}

/** How long an acknowledgement waits for a process that has not raised its alert yet (it judges every second). */
const ACK_WAITS_MS = 60_000;

/**
 * Alert acknowledgements: each process raises its own alerts from the same events (their ids
 * differ), so an acknowledgement names the alerts by rule, KPI and scope, and every process
 * acknowledges its active alerts that match; one not raised here yet is acknowledged when it
 * is, within ACK_WAITS_MS.
 */
export function shareAlertAcks(control: ControlStream, alerts: AlertEngine, onError: (error: Error) => void): void {
  const ack = alerts.ack.bind(alerts);
  const ackIncident = alerts.ackIncident.bind(alerts);
  const keyOf = (alert: { rule: string; kpi?: string; scope: string }): AlertKey => ({ rule: alert.rule, kpi: alert.kpi ?? null, scope: alert.scope });
  const tell = (change: AckChange) => control.announce('alert.ack', change).catch(onError);
  alerts.ack = (id, actor, nowMs, note = null) => {
    const result = ack(id, actor, nowMs, note);
    if (typeof result === 'object') tell({ incident: false, alerts: [keyOf(result)], actor, atMs: nowMs, note });
    return result;
  };
  alerts.ackIncident = (id, actor, nowMs, note) => {
    const result = ackIncident(id, actor, nowMs, note);
    if (typeof result === 'object') {
      const ids = new Set(result.incident.alertIds);
      tell({ incident: true, alerts: alerts.recent(500).filter((a) => ids.has(a.id)).map(keyOf), actor, atMs: nowMs, note });
    }
    return result;
  };
  /** Acknowledgements some of whose alerts this process has not raised yet, by alert key. */
  const waiting = new Map<string, AckChange>();
  const applyAck = (change: AckChange, keys: Iterable<string>) => {
    const wanted = new Set(keys);
    const matching = alerts.active().filter((a) => a.ackedAt === null && wanted.has(JSON.stringify(keyOf(a))));
    if (change.incident) {
      for (const incidentId of new Set(matching.map((a) => a.incidentId).filter((id): id is string => id !== undefined))) ackIncident(incidentId, change.actor, change.atMs, change.note);
    }
    for (const alert of matching) if (alert.ackedAt === null) ack(alert.id, change.actor, change.atMs, change.note);
    return new Set(matching.map((a) => JSON.stringify(keyOf(a))));
  };
  control.handle('alert.ack', (change: AckChange) => {
    const keys = change.alerts.map((k) => JSON.stringify(k));
    const done = applyAck(change, keys);
    for (const key of keys) if (!done.has(key)) waiting.set(key, change);
  });
  const evaluate = alerts.evaluate.bind(alerts);
  alerts.evaluate = (nowMs) => {
    evaluate(nowMs);
    if (waiting.size === 0) return;
    for (const [key, change] of waiting) {
      if (nowMs - change.atMs > ACK_WAITS_MS || applyAck(change, [key]).size > 0) waiting.delete(key);
    }
  };
}
