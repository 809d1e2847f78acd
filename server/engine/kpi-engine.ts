/**
 * The incremental KPI engine: folds events into per-contact, per-ticket and per-agent records
 * and keeps every scope's counters current. Each record remembers the contributions it last
 * applied; when an event changes a record, those are retracted and the new ones added, so late,
 * out-of-order and repeated events give exactly the figures of a clean ordered stream.
 *
 * This class is the facade the rest of the server uses: the reads of screens, rooms and routes,
 * and what the store takes (changed records, the checkpoint's counter buckets). Its jobs are the
 * layers it extends, one file each (see engine-state.ts): folding, the FCR customer index,
 * residency and past days. What moves records between it and the store is server/live/.
 */
import type { PackedContributions, ContactRecord, TicketRecord } from '../../shared/attribution.ts';
import { computeKpis, newCounters, type Counters, type Kpis, type LiveState } from '../../shared/kpi.ts';
import { scopeDimension, siteQueuePrefix, type ScopeDimension, type ScopeKey } from '../../shared/scope.ts';
import { INTERVAL_MS, minuteStart, MINUTE_MS, ROLLING_MINUTES, rollingWindowStart, type KpiWindow } from '../../shared/time.ts';
import type { AgentHistory } from '../../shared/intervals.ts';
import { isOpenTicket } from '../../shared/open-tickets.ts';
import type { ContactSnapshot, ScopeBucket, TicketSnapshot } from '../records/snapshots.ts';
import { CounterCopies, MINUTE_SLOTS, ScopeState } from './scope-state.ts';
import { RecordCut } from './record-cut.ts';
import { PastDays } from './past-days.ts';

export type { KpiEngineOptions } from './engine-state.ts';

export interface ScopeSnapshot {
  scope: string;
  window: KpiWindow;
  asOf: number;
  kpis: Kpis;
  live: LiveState;
}

export class KpiEngine extends PastDays {
  /** Scope keys whose figures changed since the last call. */
  drainDirty(): Set<ScopeKey> {
    const dirty = this.dirty;
    this.dirty = new Set();
    return dirty;
  }

  /**
   * Contacts and tickets whose records changed since the last call, for the record store, as
   * they are now: the same cut as the counters of a checkpoint taken in the same step. (The store
   * serialises them slice by slice across awaits; a record shared with the engine could
   * meanwhile take an event committed after the cut, and a restart would then find the event in
   * the record and not count it again: durability.test.ts lost a close that way.) Contacts are
   * read through a RecordCut, which copies one only if it changes before the write is done
   * (`endCut`); tickets, far fewer, are copied now. A new drain ends the cut before it.
   */
  drainChangedRecords(): { contacts: ContactSnapshot[]; tickets: TicketSnapshot[] } {
    const cut = new RecordCut();
    this.cut = cut;
    const contacts: ContactSnapshot[] = [];
    for (const id of this.changedContacts) {
      const entry = this.contacts.get(id);
      if (!entry) continue;
      contacts.push(cut.add(entry));
    }
    const tickets: TicketSnapshot[] = [];
    for (const id of this.changedTickets) {
      const entry = this.tickets.get(id);
      if (!entry) continue;
      const contact = entry.fromContact;
      const t = entry.record;
      const record = { ...t, closedTsMs: t.closedTsMs.slice(), reopenedTsMs: t.reopenedTsMs.slice() };
      tickets.push({ record, queue: contact?.queue, site: contact?.site, channel: contact?.channel });
    }
    this.changedContacts = new Set();
    this.changedTickets = new Set();
    return { contacts, tickets };
  }

  /** The write of the last drain is done (stored, failed or abandoned): its contacts need no copies any more. */
  endCut(): void {
    this.cut = null;
  }

  /** Marks records as changed again (after a failed write). */
  markChanged(contactIds: string[], ticketIds: string[]): void {
    for (const id of contactIds) this.changedContacts.add(id);
    for (const id of ticketIds) this.changedTickets.add(id);
  }

  /** Whether records changed since they were last drained for the store (else the store is current). */
  get hasChangedRecords(): boolean {
    return this.changedContacts.size > 0 || this.changedTickets.size > 0;
  }

  /** Changed counter buckets of every scope since the last call (copies), for the checkpoint. */
  takeCheckpoint(): ScopeBucket[] {
    const out: ScopeBucket[] = [];
    const copies = new CounterCopies();
    for (const [scope, state] of this.scopes) {
      if (!state.changed) continue;
      state.takeChanged(scope, out, copies);
    }
    return out;
  }

  /** Marks buckets of a checkpoint that could not be written as changed again. */
  remarkCheckpoint(buckets: ScopeBucket[]): void {
    for (const b of buckets) this.scopes.get(b.scope)?.remark([b]);
  }

  /** Sets one counter bucket from a checkpoint (at start); `finishCounterRestore` after the last. */
  restoreCounter(b: ScopeBucket): void {
    if (b.kind === 2 && b.day !== this.today.day && b.day !== this.yesterday.day) return;
    if (b.kind === 1 && b.startMs < this.yesterday.startMs) return;
    this.scope(b.scope).restore(b);
  }

  /** After the buckets of a checkpoint: nothing restored counts as changed. */
  finishCounterRestore(): void {
    for (const state of this.scopes.values()) state.forgetChanged();
  }

  /** Every known scope key of a dimension (e.g. all queues; `siteQueue`: every site's queues). */
  scopeKeys(dimension: ScopeDimension | 'centre'): ScopeKey[] {
    const keys: ScopeKey[] = [];
    for (const key of this.scopes.keys()) if (scopeDimension(key) === dimension) keys.push(key);
    return keys.sort();
  }

  /** Whether a scope has figures of the live days (the rest answer 404 unless the org directory knows them). */
  hasScope(scope: ScopeKey): boolean {
    return this.scopes.has(scope);
  }

  /** The known queues of one site, as `site:X/queue:Y` keys. */
  siteQueueKeys(site: string): ScopeKey[] {
    const prefix = siteQueuePrefix(site);
    const keys: ScopeKey[] = [];
    for (const key of this.scopes.keys()) if (key.startsWith(prefix)) keys.push(key);
    return keys.sort();
  }

  /** Current KPIs of a scope in a window; an unknown scope has zero counts. */
  snapshot(scope: ScopeKey, window: KpiWindow): ScopeSnapshot {
    const nowMs = this.clock.now();
    this.advance(nowMs);
    const state = this.scopes.get(scope);
    const counters = state ? this.windowCounters(state, window, nowMs) : newCounters();
    const live = state
      ? state.live(nowMs, this.settings.notReadyLimitSec * 1000, this.maxWaitMs)
      : new ScopeState().live(nowMs, 0, this.maxWaitMs);
    return { scope, window, asOf: nowMs, kpis: computeKpis(counters, live, nowMs, this.settings, scopeDimension(scope)), live };
  }

  private windowCounters(state: ScopeState, window: KpiWindow, nowMs: number): Counters {
    if (window === 'today') return state.days.get(this.today.day) ?? newCounters();
    return state.rollingSum(rollingWindowStart(nowMs, ROLLING_MINUTES[window]));
  }

  /**
   * Today's counters of a scope, or null when it has none: for per-agent rows (handled, AHT,
   * occupancy through shared/kpi.ts), where a full snapshot per agent would cost ten thousand
   * KPI sets per push. The engine's own array: read it, never change it.
   */
  todayCounters(scope: ScopeKey): Counters | null {
    this.advance(this.clock.now());
    return this.scopes.get(scope)?.days.get(this.today.day) ?? null;
  }

  /** Counters of a scope per 15-minute interval of a local day (today or yesterday); none for agents. */
  intervals(scope: ScopeKey, day: string): Array<{ startMs: number; counters: Counters }> {
    const state = this.scopes.get(scope);
    if (!state) return [];
    const bounds = day === this.today.day ? this.today : day === this.yesterday.day ? this.yesterday : null;
    if (!bounds) return [];
    return [...state.intervals.entries()]
      .filter(([start]) => start >= bounds.startMs && start < bounds.endMs)
      .sort(([a], [b]) => a - b)
      .map(([startMs, counters]) => ({ startMs, counters }));
  }

  /**
   * Counters of one recent 15-minute interval of a scope (the current one or the one before), or
   * null when it has none. Agents keep no intervals: theirs are summed from their minute buckets,
   * which cover the last hour. Other scopes: the engine's own array, to read only.
   */
  recentIntervalCounters(scope: ScopeKey, startMs: number): Readonly<Counters> | null {
    this.advance(this.clock.now());
    const state = this.scopes.get(scope);
    if (!state) return null;
    if (scopeDimension(scope) === 'agent') return state.minuteSum(startMs, startMs + INTERVAL_MS);
    return state.intervals.get(startMs) ?? null;
  }

  /**
   * Every agent's state episodes that touch [fromMs, toMs): the one in force at `fromMs` and those
   * begun before `toMs` (drills are never held). Shares the engine's episodes: read only.
   */
  agentEpisodes(fromMs: number, toMs: number): AgentHistory[] {
    const out: AgentHistory[] = [];
    for (const agent of this.agents.values()) {
      const episodes = agent.episodes;
      // Binary search: the last episode begun at or before fromMs, else the first.
      let lo = 0;
      let hi = episodes.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (episodes[mid].tsMs <= fromMs) lo = mid + 1;
        else hi = mid;
      }
      let end = Math.max(0, lo - 1);
      const first = end;
      while (end < episodes.length && episodes[end].tsMs < toMs) end++;
      if (end > first) out.push({ agentId: agent.agentId, episodes: episodes.slice(first, end) });
    }
    return out;
  }

  /** Open tickets held (not drills), with the queue, site and channel of their contact; the engine's records, to read only. */
  openTickets(): TicketSnapshot[] {
    const out: TicketSnapshot[] = [];
    for (const entry of this.tickets.values()) {
      if (!isOpenTicket(entry.record)) continue;
      const contact = entry.fromContact;
      out.push({ record: entry.record, queue: contact?.queue, site: contact?.site, channel: contact?.channel });
    }
    return out;
  }

  /**
   * [startMs, endMs) of the contributions a window sums at `nowMs`, as `windowCounters` does:
   * today's local day bucket; or the rolling minutes from `rollingWindowStart` up to the newest
   * minute the ring keeps (an event stamped a few minutes ahead counts there already). For the
   * rows behind a figure (server/http/kpi-contact-routes.ts).
   */
  windowBounds(window: KpiWindow, nowMs: number): { startMs: number; endMs: number } {
    this.advance(nowMs);
    if (window === 'today') return { startMs: this.today.startMs, endMs: this.today.endMs };
    const newestMinute = minuteStart(nowMs) + (MINUTE_SLOTS - ROLLING_MINUTES['60m'] - 2) * MINUTE_MS;
    return { startMs: rollingWindowStart(nowMs, ROLLING_MINUTES[window]), endMs: newestMinute + MINUTE_MS };
  }

  /**
   * Every contact and ticket held, with the scopes and contributions it is counted with now (the
   * engine's own arrays: read only). Without a store these are all the records the live days
   * count; with one, those that left memory are in the store.
   */
  forEachHeldRecord(
    contact: (record: ContactRecord, team: string | undefined, scopes: readonly ScopeKey[], contributions: PackedContributions) => void,
    ticket: (record: TicketRecord, scopes: readonly ScopeKey[], contributions: PackedContributions) => void,
  ): void {
    this.advance(this.clock.now());
    for (const entry of this.contacts.values()) contact(entry.record, entry.team, entry.applied.scopes, entry.applied.contributions);
    for (const entry of this.tickets.values()) ticket(entry.record, entry.applied.scopes, entry.applied.contributions);
  }

  /** Number of records held, for metrics. */
  stats(): { contacts: number; tickets: number; agents: number; scopes: number } {
    return { contacts: this.contacts.size, tickets: this.tickets.size, agents: this.agents.size, scopes: this.scopes.size };
  }
}
