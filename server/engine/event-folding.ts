/**
 * Folding events into the live state: each contact, ticket and agent-state episode is folded
 * into its record (shared/contact-fold.ts), and the record's contributions replace those it last
 * applied, so late, out-of-order and repeated events give exactly the figures of a clean ordered
 * stream. The ingest hot path (applyBatch → applyOne → applyContactEvent → reapplyContact) is
 * here: no per-event closures or allocations beyond the record's new contributions (SPEC §9).
 */
import { agentEpisodeContributions, packedContactContributions, packedTicketContributions, isWaiting, ticketDeadlines, type ContactRecord } from '../../shared/attribution.ts';
import type { CallCentreEvent, EventOf } from '../../shared/events.ts';
import { foldContactEvent, foldTicketEvent, isContactEvent, isTicketEvent, newContactFold, newTicketRecord, type ContactEvent, type TicketEvent } from '../../shared/contact-fold.ts';
import { scopesOf, siteQueueKey, type ScopeKey } from '../../shared/scope.ts';
import { MINUTE_MS } from '../../shared/time.ts';
import { CustomerIndex } from './customer-index.ts';
import { EMPTY_APPLIED, newContactEntry, NO_SCOPES, type AgentEntry, type Applied, type ContactEntry, type Episode, type ScopeInputs, type TicketEntry } from './engine-state.ts';

/**
 * Whether a contact's scope inputs are still `by`: compared field by field, as most events leave
 * them as they were and a key built per event was a measurable share of ingest (SPEC §9).
 */
function sameInputs(by: ScopeInputs | undefined, r: ContactRecord, team: string | undefined): boolean {
  return by !== undefined && by.site === r.site && by.queue === r.queue && by.team === team && by.agentId === r.agentId && by.channel === r.channel;
}

/** The engine's folding of events (see the header); the hooks it calls belong to the jobs above it. */
export abstract class EventFolding extends CustomerIndex {
  /** Keeps an event of a record the engine does not hold for the store (past-days.ts). */
  protected abstract noteHistory(key: string, event: CallCentreEvent): void;
  /** Folds the noted past days' events into a record just taken into memory (past-days.ts). */
  protected abstract foldPendingHistory(key: string): void;
  /** At local midnight: forgets records that no longer touch the live days (residency.ts). */
  protected abstract pruneRecords(): void;

  private lastPruneMs = 0;

  /**
   * Contacts to re-attribute at the end of the batch being applied (see applyBatch), each once,
   * in the order first touched; null outside one. An entry is in it when its `deferredIn` is the
   * batch's number (an array and a number, not a Set of objects: one add per event, issue 15).
   */
  private deferred: ContactEntry[] | null = null;
  private batchNumber = 0;

  /** Folds one validated, de-duplicated event into the live state. */
  apply(event: CallCentreEvent): void {
    this.advance(this.clock.now());
    this.applyOne(event);
  }

  /**
   * Folds a commit's events into the live state. The result is the same as applying them one by
   * one (a contact's figures depend only on its folded record and its agent's states, not on the
   * order they came in), but each contact is re-attributed once per batch instead of once per
   * event: an import or a burst carries several events of a contact in one batch (SPEC §9).
   */
  applyBatch(events: readonly CallCentreEvent[]): void {
    this.advance(this.clock.now());
    const deferred: ContactEntry[] = (this.deferred = []);
    this.batchNumber++;
    try {
      for (let i = 0; i < events.length; i++) this.applyOne(events[i]);
    } finally {
      this.deferred = null;
      for (const entry of deferred) {
        // Only an entry still held (nothing lets one go during a batch, but stay safe).
        if (this.contacts.get(entry.record.contactId) === entry) this.reapplyContact(entry);
      }
    }
  }

  /** Re-attributes a contact now, or at the end of the batch being applied. */
  protected override touchContact(entry: ContactEntry): void {
    if (this.deferred === null) this.reapplyContact(entry);
    else if (entry.deferredIn !== this.batchNumber) {
      entry.deferredIn = this.batchNumber;
      this.deferred.push(entry);
    }
  }

  private applyOne(event: CallCentreEvent): void {
    if (event.ts < this.horizonMs) {
      // A day before the live ones: folded into a record the engine holds (its record and the
      // live days' contributions may depend on it: a ticket opened the day before yesterday and
      // closed yesterday), else history, merged into the store (RecordSync.mergeHistory).
      if (isTicketEvent(event)) {
        if (this.tickets.has(event.ticketId)) return this.applyTicketEvent(event);
        this.noteHistory(`ticket:${event.ticketId}`, event);
      } else if (isContactEvent(event)) {
        if (this.contacts.has(event.contactId)) return this.applyContactEvent(event);
        this.noteHistory(event.contactId, event);
      }
      return;
    }
    switch (event.type) {
      case 'agent.state':
        return this.applyAgentState(event);
      default:
        if (isTicketEvent(event)) return this.applyTicketEvent(event);
        if (isContactEvent(event)) return this.applyContactEvent(event);
    }
  }

  /**
   * Moves time forward: rolls the day at local midnight, counts tickets and escalation steps
   * whose deadlines have passed, and forgets minute buckets no window needs any more.
   */
  advance(nowMs: number): void {
    if (nowMs >= this.today.endMs) {
      this.rollDays(nowMs);
      this.pruneRecords();
      this.forgetScopeSets();
    }
    if (nowMs - this.lastPruneMs >= MINUTE_MS) {
      this.lastPruneMs = nowMs;
      this.pruneBuckets(nowMs);
    }
    while (this.deadlines.size > 0 && this.deadlines.peekKey()! <= nowMs) {
      const ticketId = this.deadlines.pop()!;
      const entry = this.tickets.get(ticketId);
      if (entry) this.reapplyTicket(entry, nowMs);
    }
  }

  private contactEntry(contactId: string): ContactEntry {
    let entry = this.contacts.get(contactId);
    if (!entry) {
      entry = newContactEntry(newContactFold(contactId), this.clock.now());
      this.contacts.set(contactId, entry);
      if (this.pendingHistory.size > 0) this.foldPendingHistory(contactId);
    }
    return entry;
  }

  private applyContactEvent(event: ContactEvent): void {
    const entry = this.contactEntry(event.contactId);
    const r = entry.record;
    this.beforeContactChange(entry);
    foldContactEvent(entry, event);
    if (event.type === 'contact.offered' && r.customerRef !== undefined) this.linkRepeatContacts(entry);
    this.touchContact(entry);
    // Tickets raised from this contact take its queue, site and channel when they lack their own.
    if (event.type === 'contact.offered') {
      for (const ticketId of this.ticketsByContact.get(r.contactId) ?? []) {
        const ticket = this.tickets.get(ticketId);
        if (ticket) this.reapplyTicket(ticket, this.clock.now());
      }
    }
  }

  protected reapplyContact(entry: ContactEntry): void {
    const r = entry.record;
    if (r.agentId !== undefined) this.agentEntry(r.agentId).contactIds.add(r.contactId);
    const team = entry.explicitTeam ?? this.derivedTeam(r);
    if (entry.team !== team) this.beforeContactChange(entry);
    entry.team = team;
    entry.touchedMs = this.clock.now();
    this.changedContacts.add(r.contactId);
    const previous = entry.applied;
    // Most events leave the contact's scopes as they were: keep the array and its states.
    let scopes = previous.scopes;
    let states = previous.states;
    let set = previous.set;
    if (scopes.length === 0 || !sameInputs(entry.scopedBy, r, team)) {
      set = entry.scopedBy = this.scopeSetOf(r.site, r.queue, team, r.agentId, r.channel);
      scopes = set.scopes;
      states = set.states;
    }
    // A copy of just their length: the array `push` grew keeps room for twice as many, held with the contact.
    const contributions = packedContactContributions(r, this.settings).slice();
    const next: Applied = { scopes, states, set, contributions, waitingScopes: isWaiting(r) ? scopes : NO_SCOPES };
    this.setWaiting(entry.applied, r.contactId, undefined);
    this.replaceContributions(entry.applied, next);
    entry.applied = next;
    this.setWaiting(next, r.contactId, r.offeredTsMs);
  }

  /** The team of the contact's agent as of the answer (or wrap-up): from the agent's states. */
  private derivedTeam(r: ContactRecord): string | undefined {
    if (r.agentId === undefined) return undefined;
    const agent = this.agents.get(r.agentId);
    if (!agent || agent.episodes.length === 0) return undefined;
    const atMs = r.answeredTsMs ?? r.wrappedTsMs ?? r.offeredTsMs ?? Infinity;
    let team: string | undefined;
    for (const episode of agent.episodes) {
      if (episode.team === undefined) continue;
      if (episode.tsMs > atMs && team !== undefined) break;
      team = episode.team;
    }
    return team;
  }

  private applyTicketEvent(event: TicketEvent): void {
    let entry = this.tickets.get(event.ticketId);
    if (!entry) {
      entry = { record: newTicketRecord(event.ticketId), applied: EMPTY_APPLIED };
      this.tickets.set(event.ticketId, entry);
      if (this.pendingHistory.size > 0) this.foldPendingHistory(`ticket:${event.ticketId}`);
    }
    const t = entry.record;
    foldTicketEvent(t, event);
    if (event.type === 'ticket.opened' && event.contactId !== undefined) {
      let ids = this.ticketsByContact.get(event.contactId);
      if (!ids) this.ticketsByContact.set(event.contactId, (ids = new Set()));
      ids.add(t.ticketId);
    }
    const nowMs = this.clock.now();
    for (const deadline of ticketDeadlines(t, this.settings)) if (deadline > nowMs) this.deadlines.push(deadline, t.ticketId);
    this.reapplyTicket(entry, nowMs);
  }

  protected reapplyTicket(entry: TicketEntry, nowMs: number): void {
    const t = entry.record;
    this.changedTickets.add(t.ticketId);
    const record = t.contactId !== undefined ? this.contacts.get(t.contactId)?.record : undefined;
    if (record) entry.fromContact = { queue: record.queue, site: record.site, channel: record.channel };
    const contact = entry.fromContact;
    const scopes = scopesOf({
      queue: t.queue ?? contact?.queue,
      site: t.site ?? contact?.site,
      channel: t.channel ?? contact?.channel,
      team: t.team,
    });
    const next: Applied = { scopes, contributions: packedTicketContributions(t, nowMs, this.settings), waitingScopes: [] };
    this.replaceContributions(entry.applied, next);
    entry.applied = next;
  }

  protected agentEntry(agentId: string): AgentEntry {
    let agent = this.agents.get(agentId);
    if (!agent) {
      agent = { agentId, episodes: [], contactIds: new Set(), liveScopes: [] };
      this.agents.set(agentId, agent);
    }
    return agent;
  }

  private applyAgentState(event: EventOf<'agent.state'>, count = true): void {
    const agent = this.agentEntry(event.agentId);
    const episode: Episode = {
      key: `${String(event.ts).padStart(15, '0')}|${event.id}`,
      tsMs: event.ts,
      state: event.state,
      team: event.team,
      site: event.site,
      queues: event.queues ?? [],
    };
    if (event.drill) return;
    const episodes = agent.episodes;
    let i = episodes.length;
    while (i > 0 && episodes[i - 1].key > episode.key) i--;
    // Already known (a checkpoint's restore and its tail can both hold an event).
    if (i > 0 && episodes[i - 1].key === episode.key) return;
    const previous = episodes[i - 1];
    const next = episodes[i];
    if (!count) {
      // Restoring: the live state is set once, from the last episode (`finishAgentRestore`).
      episodes.splice(i, 0, episode);
      return;
    }
    // The previous episode used to end at `next`; it now ends at the new one, which ends at `next`.
    if (previous && next) this.applyEpisode(agent.agentId, previous, next.tsMs, -1);
    if (previous) this.applyEpisode(agent.agentId, previous, episode.tsMs, 1);
    if (next) this.applyEpisode(agent.agentId, episode, next.tsMs, 1);
    episodes.splice(i, 0, episode);
    if (!next) this.setAgentLive(agent, episode);
    // Contacts whose team came from this agent's states may now belong to another team.
    // The team in force from this episode on changes only if it differs from the one before it.
    if (episode.team !== undefined && episode.team !== previous?.team) {
      for (const contactId of agent.contactIds) {
        const contact = this.contacts.get(contactId);
        if (contact && contact.explicitTeam === undefined) this.touchContact(contact);
      }
    }
  }

  private episodeScopes(agentId: string, episode: Episode): ScopeKey[] {
    const scopes = scopesOf({ agentId, team: episode.team, site: episode.site });
    for (const queue of episode.queues) scopes.push(`queue:${queue}`);
    // The agent serves each of its queues at its site too (site × queue, issue 10).
    if (episode.site !== undefined) for (const queue of episode.queues) scopes.push(siteQueueKey(episode.site, queue));
    return scopes;
  }

  private applyEpisode(agentId: string, episode: Episode, endMs: number, sign: 1 | -1): void {
    const episodeContributions = agentEpisodeContributions(episode.state, episode.tsMs, endMs, this.settings);
    if (episodeContributions.length === 0) return;
    const contributions = episodeContributions.flatMap((c) => [c.tsMs, c.counter, c.amount]);
    this.applyContributions({ scopes: this.episodeScopes(agentId, episode), contributions, waitingScopes: [] }, sign);
  }

  private setAgentLive(agent: AgentEntry, episode: Episode): void {
    if (agent.liveState) {
      for (const scope of agent.liveScopes) {
        this.scope(scope).setAgent(agent.agentId, agent.liveState.state, agent.liveState.sinceMs, -1);
      }
    }
    agent.liveScopes = this.episodeScopes(agent.agentId, episode);
    agent.liveState = { state: episode.state, sinceMs: episode.tsMs };
    for (const scope of agent.liveScopes) this.scope(scope).setAgent(agent.agentId, episode.state, episode.tsMs, 1);
  }

  /**
   * Rebuilds an agent's states from a stored agent.state event without counting it (at start);
   * `finishAgentRestore` then sets who is in which state now.
   */
  restoreAgentState(event: EventOf<'agent.state'>): void {
    this.applyAgentState(event, false);
  }

  /** After `restoreAgentState` of every stored state: each agent's live state is its last episode. */
  finishAgentRestore(): void {
    for (const agent of this.agents.values()) {
      const last = agent.episodes.at(-1);
      if (last && (agent.liveState?.sinceMs !== last.tsMs || agent.liveState.state !== last.state)) this.setAgentLive(agent, last);
    }
  }
}
