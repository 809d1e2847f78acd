/**
 * The agent board's live rows (issue 5): each agent's state, since when, the not-ready reason and
 * the contact they are on. The KPI engine keeps counts by state; a board needs the person, so
 * this keeps one small row per agent, updated in O(1) from the events the engine already applied
 * (nothing is asked of the ingest path). Latest event time wins, so late or repeated events
 * leave the row as an ordered stream would.
 */
import type { AgentBoard, AgentRow } from '../../shared/alerts.ts';
import type { CallCentreEvent } from '../../shared/events.ts';
import { parseScope } from '../../shared/scope.ts';
import { dayBounds } from '../../shared/time.ts';

interface Entry {
  agentId: string;
  state: AgentRow['state'] | 'logged_out';
  sinceMs: number;
  reason: string | null;
  team: string | null;
  site: string | null;
  queues: string[];
  contactId: string | null;
  contactSinceMs: number | null;
  /** Longest not-ready episode beyond the limit that ended on the local day starting `longestDayStartMs`. */
  longestNotReadyMs: number;
  longestDayStartMs: number;
}

/** An agent's row as the board keeps it (read only). */
export type AgentBoardEntry = Readonly<Entry>;

/** Board order: the rows a duty manager acts on first. */
const STATE_ORDER: Record<AgentRow['state'], number> = { not_ready: 0, busy: 1, acw: 2, ready: 3 };

export class AgentBoardState {
  private readonly agents = new Map<string, Entry>();
  /** Bumped on every change, so senders can skip unchanged boards. */
  version = 0;

  apply(events: readonly CallCentreEvent[]): void {
    for (const event of events) {
      if (event.drill) continue;
      switch (event.type) {
        case 'agent.state': {
          const entry = this.entry(event.agentId);
          if (event.ts < entry.sinceMs) break;
          if (entry.state === 'not_ready') this.notReadyEnded(entry, event.ts);
          entry.state = event.state;
          entry.sinceMs = event.ts;
          entry.reason = event.state === 'not_ready' ? (event.reason ?? null) : null;
          entry.team = event.team ?? entry.team;
          entry.site = event.site ?? entry.site;
          if (event.queues) entry.queues = event.queues;
          if (event.state === 'logged_out' || event.state === 'ready') this.clearContact(entry);
          this.version++;
          break;
        }
        case 'contact.answered': {
          const entry = this.entry(event.agentId);
          if (entry.contactSinceMs !== null && event.ts < entry.contactSinceMs) break;
          this.clearContact(entry);
          entry.contactId = event.contactId;
          entry.contactSinceMs = event.ts;
          this.contactOwner.set(event.contactId, entry.agentId);
          this.version++;
          break;
        }
        case 'contact.ended':
        case 'contact.wrapped':
        case 'contact.transferred':
        case 'contact.abandoned': {
          // Only wrap-up names the agent: find who is on the contact.
          const owner = this.ownerOf(event.contactId);
          if (owner && owner.contactId === event.contactId) {
            this.clearContact(owner);
            this.version++;
          }
          break;
        }
        default:
          break;
      }
    }
  }

  /**
   * Agents of a scope (centre, site:, team:, queue:), problems first, at most `limit` (a 4K
   * wallboard shows 150 at once and pages through more; issue 14).
   */
  board(scope: string, nowMs: number, limit = 300): AgentBoard {
    const parsed = parseScope(scope);
    const rows: AgentRow[] = [];
    for (const e of this.agents.values()) {
      if (e.state === 'logged_out') continue;
      if (parsed && parsed.dimension !== 'centre') {
        if (parsed.dimension === 'site' && e.site !== parsed.name) continue;
        if (parsed.dimension === 'team' && e.team !== parsed.name) continue;
        if (parsed.dimension === 'queue' && !e.queues.includes(parsed.name)) continue;
        if (parsed.dimension === 'siteQueue' && (e.site !== parsed.site || !e.queues.includes(parsed.queue))) continue;
      }
      rows.push({ agentId: e.agentId, state: e.state, sinceMs: e.sinceMs, reason: e.reason, team: e.team, site: e.site, contactSinceMs: e.contactSinceMs });
    }
    rows.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.sinceMs - b.sinceMs || a.agentId.localeCompare(b.agentId));
    return { asOf: nowMs, agents: rows.slice(0, limit), total: rows.length };
  }

  /**
   * Every team agents' states named, with its agents (logged out too: they worked today), the
   * queues they serve and how many of them are at each site, as their latest states say.
   */
  teams(): Map<string, { agents: string[]; queues: Set<string>; sites: Map<string, number> }> {
    const teams = new Map<string, { agents: string[]; queues: Set<string>; sites: Map<string, number> }>();
    for (const e of this.agents.values()) {
      if (e.team === null) continue;
      let team = teams.get(e.team);
      if (!team) teams.set(e.team, (team = { agents: [], queues: new Set(), sites: new Map() }));
      team.agents.push(e.agentId);
      for (const queue of e.queues) team.queues.add(queue);
      if (e.site !== null) team.sites.set(e.site, (team.sites.get(e.site) ?? 0) + 1);
    }
    return teams;
  }

  /** The centre's zone (for "today") and the not-ready limit (manual 003: 5 min); set once at start. */
  configure(options: { timeZone: string; notReadyLimitMs: number }): void {
    this.timeZone = options.timeZone;
    this.notReadyLimitMs = options.notReadyLimitMs;
    this.day = { startMs: 0, endMs: 0 };
  }

  /** Every agent's row, logged out ones included (callers filter). */
  entries(): IterableIterator<AgentBoardEntry> {
    return this.agents.values();
  }

  /**
   * The longest not-ready episode beyond the limit that ended today (local day of `nowMs`), in
   * ms; 0 when none. The episode still running is the caller's to add (it grows with the clock).
   */
  longestNotReadyToday(entry: AgentBoardEntry, nowMs: number): number {
    return entry.longestDayStartMs === this.dayStartOf(nowMs) ? entry.longestNotReadyMs : 0;
  }

  private timeZone = 'UTC';
  private notReadyLimitMs = 300_000;
  /** The local day last looked up: most lookups fall in it, and a zone lookup is the costly part. */
  private day = { startMs: 0, endMs: 0 };

  private dayStartOf(tsMs: number): number {
    if (tsMs < this.day.startMs || tsMs >= this.day.endMs) this.day = dayBounds(tsMs, this.timeZone);
    return this.day.startMs;
  }

  /**
   * A not-ready episode ended at `endMs`: beyond the limit, it may be the day's longest (counted
   * on the day it ended, as the engine counts `notReadyLongEpisodes`). O(1); only long episodes
   * look up their day.
   */
  private notReadyEnded(entry: Entry, endMs: number): void {
    const durationMs = endMs - entry.sinceMs;
    if (!(durationMs > this.notReadyLimitMs)) return;
    const dayStartMs = this.dayStartOf(endMs);
    if (dayStartMs > entry.longestDayStartMs) {
      entry.longestDayStartMs = dayStartMs;
      entry.longestNotReadyMs = durationMs;
    } else if (dayStartMs === entry.longestDayStartMs && durationMs > entry.longestNotReadyMs) {
      entry.longestNotReadyMs = durationMs;
    }
  }

  private entry(agentId: string): Entry {
    let entry = this.agents.get(agentId);
    if (!entry) {
      entry = { agentId, state: 'logged_out', sinceMs: -Infinity, reason: null, team: null, site: null, queues: [], contactId: null, contactSinceMs: null, longestNotReadyMs: 0, longestDayStartMs: -Infinity };
      this.agents.set(agentId, entry);
    }
    return entry;
  }

  /** Agent on a contact: kept per contact so an `ended` without agent id finds them in O(1). */
  private ownerOf(contactId: string): Entry | undefined {
    const agentId = this.contactOwner.get(contactId);
    return agentId === undefined ? undefined : this.agents.get(agentId);
  }

  /** Contact → the agent on it; at most one entry per agent, so it never outgrows the floor. */
  private readonly contactOwner = new Map<string, string>();

  private clearContact(entry: Entry): void {
    if (entry.contactId !== null) this.contactOwner.delete(entry.contactId);
    entry.contactId = null;
    entry.contactSinceMs = null;
  }
}
