/**
 * The live engine's state and its scope counters, the base of the engine's layers (issue 15):
 * the records held (contacts, tickets, agents), the counters of every scope, the live days, and
 * applying a record's contributions to its scopes. Each job of the engine is a class in its own
 * file, each above the one it builds on, so that every call stays a direct method call on one
 * object (the ingest hot path, SPEC §9) and no module imports one above it:
 *   engine-state.ts    this: state, day bounds, contributions → scope counters
 *   customer-index.ts  the FCR customer index (repeat contacts, customers that left memory)
 *   event-folding.ts   events → records → contributions; agents' state episodes
 *   residency.ts       what stays in memory: seed from the store, evict, pin, prune, restore
 *   past-days.ts       events of days before the live ones: history for the store, adoption
 *   kpi-engine.ts      the facade: reads for screens and routes, drains for the store
 *   record-cut.ts      (beside them) a record write's contacts as of its cut, copied on write
 */
import type { ContactRecord, PackedContributions, TicketRecord } from '../../shared/attribution.ts';
import type { AgentStateName, CallCentreEvent } from '../../shared/events.ts';
import type { ContactFold } from '../../shared/contact-fold.ts';
import type { KpiSettings } from '../../shared/kpi.ts';
import { scopeDimension, siteQueueKey, type ScopeKey } from '../../shared/scope.ts';
import { dayBounds, INTERVAL_MS, intervalStart, minuteStart, MINUTE_MS, ROLLING_MINUTES } from '../../shared/time.ts';
import { MinHeap } from './min-heap.ts';
import { BloomFilter } from '../lib/bloom.ts';
import { MINUTE_SLOTS, ScopeState } from './scope-state.ts';

/** What a record last applied: to which scopes, which contributions, and where it waited. */
export interface Applied {
  scopes: ScopeKey[];
  /** The states of `scopes`, looked up once per scope set rather than per increment. */
  states?: ScopeState[];
  /** The shared scope set `scopes` came from (contacts), which keeps its states for every contact of it. */
  set?: ScopeSet;
  contributions: PackedContributions;
  waitingScopes: ScopeKey[];
}

/** A contact held in memory: its folded record and what it last applied. */
export interface ContactEntry extends ContactFold {
  applied: Applied;
  /** The scope inputs `applied.scopes` was built from: shared by every contact with the same inputs. */
  scopedBy?: ScopeSet;
  /** The team the contact counted for when last applied (explicit or from its agent). */
  team?: string;
  /** Server time of the last change: settled contacts idle this long may be evicted. */
  touchedMs: number;
  /**
   * Server time it came into memory. The contacts map is in this order, and `touchedMs` is never
   * earlier, so an eviction pass stops at the first contact that came in less than the idle time
   * ago instead of walking every held contact (residency.ts, evictSettled).
   */
  heldSinceMs: number;
  /** The number of the batch whose end re-attributes it (event-folding.ts), else 0. */
  deferredIn: number;
}

/** A ticket held in memory: its folded record and what it last applied. */
export interface TicketEntry {
  record: TicketRecord;
  applied: Applied;
  /** Queue, site and channel of its contact when last seen (the contact may leave memory). */
  fromContact?: { queue?: string; site?: string; channel?: string };
}

/** One agent-state event of an agent: in force from `tsMs` until the agent's next episode. */
export interface Episode {
  key: string; // `${tsMs}|${eventId}`: total order, ties broken by event id
  tsMs: number;
  state: AgentStateName;
  team?: string;
  site?: string;
  queues: string[];
}

/** An agent held in memory: its state episodes of the live days and the contacts it handled. */
export interface AgentEntry {
  agentId: string;
  episodes: Episode[]; // sorted by key
  contactIds: Set<string>;
  liveScopes: ScopeKey[];
  liveState?: { state: AgentStateName; sinceMs: number };
}

export interface KpiEngineOptions {
  settings: KpiSettings;
  /** IANA time zone of the centre: "today" starts at its local midnight. */
  timeZone: string;
  clock: { now(): number };
  /** A contact still "waiting" after this long is taken as a lost event (default 12 h). */
  maxWaitSec?: number;
  /** Contacts a day the memory of evicted contacts is sized for (default 2 M; more only raise false lookups). */
  contactsPerDay?: number;
  /** Called as each local day starts (and at construction), before anything of it is counted: the app sets that day's T and S (issue 11). */
  onDayStart?: (day: string) => void;
}

/** The fields a contact's scopes come from, kept to tell whether they changed. */
export interface ScopeInputs {
  site?: string;
  queue?: string;
  team?: string;
  agentId?: string;
  channel?: string;
}

/**
 * Scope inputs with their scope keys and (once looked up) states, one object for every contact
 * with the same inputs (see EngineState.scopeSetOf): a contact holds a pointer, not its own copy
 * of the inputs, the keys and the states (about 260 bytes a held contact; issue 15). Never
 * changed once made.
 */
export interface ScopeSet extends ScopeInputs {
  readonly scopes: ScopeKey[];
  states: ScopeState[] | undefined;
}

/** `mask` if it holds `n` entries, else a bigger one. */
function maskOf(mask: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
  return mask.length >= n ? mask : new Uint8Array(Math.max(n, mask.length * 2));
}

/** No waiting scopes: shared, never written to. */
export const NO_SCOPES: ScopeKey[] = [];

function sameScopes(a: ScopeKey[], b: ScopeKey[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const EMPTY_APPLIED: Applied = { scopes: [], contributions: [], waitingScopes: [] };

/**
 * A contact entry with every field written at once, in one order, so all entries share one
 * hidden class. Built as a spread of the fold plus fields added later, an entry turned into a
 * dictionary-mode object as soon as `touchedMs` took its first clock time (a 450-byte property
 * dictionary per contact, and slower property access on the hot path; issue 15).
 */
export function newContactEntry(fold: ContactFold, touchedMs: number): ContactEntry {
  return {
    record: fold.record,
    explicitTeam: fold.explicitTeam,
    fromOffer: fold.fromOffer,
    endedKey: fold.endedKey,
    wrappedKey: fold.wrappedKey,
    resolvedKey: fold.resolvedKey,
    surveyKey: fold.surveyKey,
    applied: EMPTY_APPLIED,
    scopedBy: undefined,
    team: undefined,
    touchedMs,
    heldSinceMs: touchedMs,
    deferredIn: 0,
  };
}

/** The fold of an entry (the fields the store keeps), its record copied. */
export function foldOf(entry: ContactEntry): ContactFold {
  const r = entry.record;
  return foldWith(entry, { ...r, transferTsMs: r.transferTsMs.slice() });
}

/** The contact's merge state around `record` (its own record, uncopied, for a read within one step; or a copy). */
export function foldWith(entry: ContactEntry, record: ContactRecord = entry.record): ContactFold {
  return {
    record,
    explicitTeam: entry.explicitTeam,
    fromOffer: entry.fromOffer,
    endedKey: entry.endedKey,
    wrappedKey: entry.wrappedKey,
    resolvedKey: entry.resolvedKey,
    surveyKey: entry.surveyKey,
  };
}

export const DAY_MS = 86_400_000;

/** Beyond this many scope sets (distinct site, queue, team, agent and channel of contacts) the map starts again. */
const MAX_SCOPE_SETS = 200_000;

/** The state every job of the engine shares (see the header); only ever constructed as a KpiEngine. */
export abstract class EngineState {
  protected readonly settings: KpiSettings;
  private readonly timeZone: string;
  protected readonly clock: { now(): number };
  protected readonly maxWaitMs: number;
  private readonly onDayStart: ((day: string) => void) | undefined;
  protected readonly scopes = new Map<ScopeKey, ScopeState>();
  protected readonly contacts = new Map<string, ContactEntry>();
  protected readonly tickets = new Map<string, TicketEntry>();
  protected readonly agents = new Map<string, AgentEntry>();
  protected readonly ticketsByContact = new Map<string, Set<string>>();
  protected readonly deadlines = new MinHeap<string>();
  protected dirty = new Set<ScopeKey>();
  protected changedContacts = new Set<string>();
  /** The contacts of the record write in progress, as of its cut (record-cut.ts), else null. */
  protected cut: { keep(entry: ContactEntry): void } | null = null;
  protected changedTickets = new Set<string>();
  protected today = { startMs: 0, endMs: 0, day: '' };
  protected yesterday = { startMs: 0, endMs: 0, day: '' };

  /**
   * Whether every contact and ticket in the store is already counted in the live state (true
   * after a restore from a checkpoint): a stored record an event needs is then taken as applied.
   * While a restore replays raw events it is false, and nothing is evicted.
   */
  protected storedAreApplied = false;

  private readonly leftMemoryCapacity: number;

  /**
   * Called before anything of a held contact that its record row holds changes (its record, fold
   * keys or team): a record write in progress keeps the contact as it was at its cut.
   */
  protected beforeContactChange(entry: ContactEntry): void {
    if (this.cut !== null) this.cut.keep(entry);
  }

  /** Scratch masks of replaceContributions, grown as needed. */
  private removedMask = new Uint8Array(32);

  private addedMask = new Uint8Array(32);

  /** Events of past days for records not held, until the store has them (see `takeHistory`), by record. */
  protected readonly pendingHistory = new Map<string, CallCentreEvent[]>();

  constructor(options: KpiEngineOptions) {
    this.settings = options.settings;
    this.timeZone = options.timeZone;
    this.clock = options.clock;
    this.maxWaitMs = (options.maxWaitSec ?? 12 * 3600) * 1000;
    this.leftMemoryCapacity = options.contactsPerDay ?? 2_000_000;
    this.onDayStart = options.onDayStart;
    this.rollDays(this.clock.now());
  }

  /** Oldest event time the live state keeps (start of yesterday): older events only go to history. */
  get horizonMs(): number {
    return this.yesterday.startMs;
  }

  /** The local day of the oldest event the live state holds (yesterday). */
  get horizonDay(): string {
    return this.yesterday.day;
  }

  /**
   * Scope keys by name, per dimension (`site`, `queue`, ... and site → queue): every contact of a
   * queue shares one key string, hashed once, where a key built per contact cost a string each
   * (kept with the contact) and a hash per lookup (issue 15).
   */
  private readonly keysByName = new Map<string, Map<string, ScopeKey>>();

  private internedKey(dimension: 'site' | 'queue' | 'team' | 'agent' | 'channel', name: string): ScopeKey {
    let keys = this.keysByName.get(dimension);
    if (keys === undefined) this.keysByName.set(dimension, (keys = new Map()));
    let key = keys.get(name);
    if (key === undefined) keys.set(name, (key = `${dimension}:${name}`));
    return key;
  }

  /**
   * `scopesOf` (shared/scope.ts): the same keys in the same order, each an interned string, in an
   * array of just their number (held with the contact: one grown by `push` keeps spare room).
   */
  protected scopeKeysOf(by: ScopeInputs): ScopeKey[] {
    const { site, queue, team, agentId, channel } = by;
    const count = 1 + (site !== undefined ? 1 : 0) + (queue !== undefined ? (site !== undefined ? 2 : 1) : 0)
      + (team !== undefined ? 1 : 0) + (agentId !== undefined ? 1 : 0) + (channel !== undefined ? 1 : 0);
    const keys = new Array<ScopeKey>(count);
    let i = 0;
    keys[i++] = 'centre';
    if (site !== undefined) keys[i++] = this.internedKey('site', site);
    if (queue !== undefined) {
      keys[i++] = this.internedKey('queue', queue);
      if (site !== undefined) keys[i++] = this.siteQueueKeyOf(site, queue);
    }
    if (team !== undefined) keys[i++] = this.internedKey('team', team);
    if (agentId !== undefined) keys[i++] = this.internedKey('agent', agentId);
    if (channel !== undefined) keys[i++] = this.internedKey('channel', channel);
    return keys;
  }

  /** Scope sets by their inputs (see ScopeSet); emptied at local midnight, and when very large. */
  private scopeSets = new Map<string, ScopeSet>();

  /** The one scope set of these inputs. */
  protected scopeSetOf(site: string | undefined, queue: string | undefined, team: string | undefined, agentId: string | undefined, channel: string | undefined): ScopeSet {
    // \u0001 for a missing input: no name is made of it, so two different inputs never share a key.
    const key = `${site ?? '\u0001'}\u0000${queue ?? '\u0001'}\u0000${team ?? '\u0001'}\u0000${agentId ?? '\u0001'}\u0000${channel ?? '\u0001'}`;
    let set = this.scopeSets.get(key);
    if (set === undefined) {
      const inputs = { site, queue, team, agentId, channel };
      set = { ...inputs, scopes: this.scopeKeysOf(inputs), states: undefined };
      if (this.scopeSets.size >= MAX_SCOPE_SETS) this.scopeSets = new Map();
      this.scopeSets.set(key, set);
    }
    return set;
  }

  /** Forgets the scope sets (held contacts keep theirs): at local midnight, as agents and queues change. */
  protected forgetScopeSets(): void {
    this.scopeSets = new Map();
  }

  private readonly siteQueueKeyCache = new Map<string, Map<string, ScopeKey>>();

  private siteQueueKeyOf(site: string, queue: string): ScopeKey {
    let keys = this.siteQueueKeyCache.get(site);
    if (keys === undefined) this.siteQueueKeyCache.set(site, (keys = new Map()));
    let key = keys.get(queue);
    if (key === undefined) keys.set(queue, (key = siteQueueKey(site, queue)));
    return key;
  }

  protected scope(key: ScopeKey): ScopeState {
    let state = this.scopes.get(key);
    if (!state) {
      state = new ScopeState(scopeDimension(key) !== 'agent');
      this.scopes.set(key, state);
    }
    this.dirty.add(key);
    return state;
  }

  /**
   * The states of a record's scopes, looked up once per scope set. A loop, not a `map` with an
   * arrow: tsx names every closure it creates (a call and a property write), per event here.
   */
  private statesOf(applied: Applied): ScopeState[] {
    if (applied.states !== undefined) return applied.states;
    const set = applied.set;
    if (set !== undefined && set.states !== undefined) {
      // Looked up by another contact of the set: still marked as touched, as a lookup here marks them.
      for (let i = 0; i < applied.scopes.length; i++) this.dirty.add(applied.scopes[i]);
      return (applied.states = set.states);
    }
    const states: ScopeState[] = new Array(applied.scopes.length);
    for (let i = 0; i < applied.scopes.length; i++) states[i] = this.scope(applied.scopes[i]);
    if (set !== undefined) set.states = states;
    return (applied.states = states);
  }

  /** Puts a contact in (offer time given) or takes it out of the queues of its waiting scopes. */
  protected setWaiting(applied: Applied, contactId: string, offeredTsMs: number | undefined): void {
    if (applied.waitingScopes.length === 0) return;
    const states = this.statesOf(applied);
    for (let i = 0; i < states.length; i++) {
      if (offeredTsMs === undefined) states[i].waiting.delete(contactId);
      else states[i].waiting.set(contactId, offeredTsMs);
      this.dirty.add(applied.scopes[i]);
    }
  }

  /**
   * Swaps a record's applied contributions for new ones. Most events change one or two of a
   * record's contributions, so only the difference is applied when the scopes are the same.
   * The difference is marked in two reused masks rather than copied out, as this runs for
   * every event (SPEC §9); the increments are the same, in the same order.
   */
  protected replaceContributions(previous: Applied, next: Applied): void {
    if (!sameScopes(previous.scopes, next.scopes)) {
      this.applyContributions(previous, -1);
      this.applyContributions(next, 1);
      return;
    }
    const before = previous.contributions;
    const after = next.contributions;
    const removed = maskOf(this.removedMask, before.length / 3);
    const added = maskOf(this.addedMask, after.length / 3);
    this.removedMask = removed;
    this.addedMask = added;
    added.fill(1, 0, after.length / 3);
    let removedCount = 0;
    outer: for (let i = 0; i < before.length; i += 3) {
      for (let j = 0; j < after.length; j += 3) {
        if (added[j / 3] && after[j] === before[i] && after[j + 1] === before[i + 1] && after[j + 2] === before[i + 2]) {
          added[j / 3] = 0;
          removed[i / 3] = 0;
          continue outer;
        }
      }
      removed[i / 3] = 1;
      removedCount++;
    }
    const addedCount = after.length / 3 - (before.length / 3 - removedCount);
    next.states ??= previous.states;
    if (removedCount > 0) this.applyPacked(next, before, removed, -1);
    if (addedCount > 0) this.applyPacked(next, after, added, 1);
  }

  protected applyContributions(applied: Applied, sign: 1 | -1): void {
    if (applied.contributions.length > 0) this.applyPacked(applied, applied.contributions, null, sign);
  }

  /** Applies the contributions (those whose `mask` entry is 1, when given) to every scope of `applied`. */
  private applyPacked(applied: Applied, contributions: PackedContributions, mask: Uint8Array | null, sign: 1 | -1): void {
    const nowMinute = minuteStart(this.clock.now());
    const oldestMinute = nowMinute - (ROLLING_MINUTES['60m'] + 1) * MINUTE_MS;
    const newestMinute = nowMinute + (MINUTE_SLOTS - ROLLING_MINUTES['60m'] - 2) * MINUTE_MS;
    const horizon = this.yesterday.startMs;
    const states = this.statesOf(applied);
    for (let s = 0; s < applied.scopes.length; s++) this.dirty.add(applied.scopes[s]);
    // Contribution by contribution, its buckets found once for all scopes. Each scope still sees
    // its increments in the same order, and scopes share no counters, so the sums are the same.
    for (let i = 0; i < contributions.length; i += 3) {
      if (mask !== null && mask[i / 3] === 0) continue;
      const tsMs = contributions[i];
      if (tsMs < horizon) continue;
      const minute = minuteStart(tsMs);
      const inRing = minute >= oldestMinute && minute <= newestMinute ? minute : null;
      const interval = intervalStart(tsMs);
      const day = this.dayOf(tsMs);
      const counter = contributions[i + 1];
      const amount = sign * contributions[i + 2];
      for (let s = 0; s < states.length; s++) states[s].add(inRing, interval, day, counter, amount);
    }
  }

  private dayOf(tsMs: number): string {
    if (tsMs >= this.today.startMs && tsMs < this.today.endMs) return this.today.day;
    if (tsMs >= this.yesterday.startMs && tsMs < this.yesterday.endMs) return this.yesterday.day;
    return dayBounds(tsMs, this.timeZone).day;
  }

  protected rollDays(nowMs: number): void {
    this.today = dayBounds(nowMs, this.timeZone);
    this.yesterday = dayBounds(this.today.startMs - 1, this.timeZone);
    this.onDayStart?.(this.today.day);
  }

  protected pruneBuckets(nowMs: number): void {
    const keepDays = new Set([this.today.day, this.yesterday.day]);
    const minInterval = intervalStart(this.yesterday.startMs) - INTERVAL_MS;
    for (const state of this.scopes.values()) state.prune(minInterval, keepDays);
  }

  protected filterOfToday(filters: Map<string, BloomFilter>): BloomFilter {
    let filter = filters.get(this.today.day);
    if (!filter) filters.set(this.today.day, (filter = new BloomFilter(this.leftMemoryCapacity)));
    return filter;
  }
}
