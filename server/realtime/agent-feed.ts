/**
 * The agents of a scope for duty managers' consoles (issue 10): `agents:subscribe {scope}` is
 * answered with the rows, then `agents:rows` is pushed to the socket at most once a second and
 * only when a row changed. A row joins the agent board's live state (state, reason, contact,
 * longest not-ready episode) with the agent scope's counters for today (handled, AHT,
 * occupancy, long not-ready episodes) through the shared KPI definitions. Sockets of the same
 * scope share one Socket.IO room, so each change is built and encoded once per scope. A
 * subscriber may ask for `changes`: its pushes then carry only the rows that changed and the
 * agents that left (10,000 whole rows are ~3 MB, about 100 ms of a browser's main thread to
 * receive alone; bench/console.ts).
 */
import type { Server } from 'socket.io';
import { agentInScope, parseAgentScope, AGENT_SCOPE_FORMS, type AgentFeedMessage, type AgentFeedRow } from '../../shared/agent-feed.ts';
import { ahtSec, C, occupancy } from '../../shared/kpi.ts';
import { can } from '../../shared/roles.ts';
import type { ParsedScope } from '../../shared/scope.ts';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../../shared/socket-events.ts';
import type { KpiEngine } from '../engine/kpi-engine.ts';
import type { AgentBoardState } from './agent-board.ts';
import type { KpiSocket } from './kpi-rooms.ts';

type FeedServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

const STATE_ORDER: Record<AgentFeedRow['state'], number> = { not_ready: 0, busy: 1, acw: 2, ready: 3 };
/** Sockets of a scope that take whole rows, and those that asked for changed rows only. */
const roomOf = (scope: string, changes = false) => `agents-feed${changes ? '-changes' : ''}:${scope}`;

export interface AgentFeedOptions {
  engine: KpiEngine;
  clock: { now(): number };
  timeZone: string;
  notReadyLimitSec: number;
  /** How often changed rows are pushed (default 1 s: the brief's "at most once a second"). */
  tickMs?: number;
}

export class AgentFeed {
  /** Per scope with subscribers: the signature of each agent's row last sent. */
  private readonly sent = new Map<string, Map<string, string>>();
  /** The scope each subscribed socket follows, and whether it takes changed rows only. */
  private readonly following = new WeakMap<KpiSocket, { scope: string; changes: boolean }>();
  private readonly timer: NodeJS.Timeout;
  private readonly limitMs: number;

  constructor(
    private readonly io: FeedServer,
    private readonly board: AgentBoardState,
    private readonly options: AgentFeedOptions,
  ) {
    this.limitMs = options.notReadyLimitSec * 1000;
    board.configure({ timeZone: options.timeZone, notReadyLimitMs: this.limitMs });
    io.on('connection', (socket) => this.handle(socket));
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 1000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** The rows of a scope now: problems first (not ready, then busy, ...), longest in state first. */
  rows(scope: ParsedScope, nowMs: number): AgentFeedRow[] {
    const rows: AgentFeedRow[] = [];
    const engine = this.options.engine;
    const board = this.board;
    for (const e of board.entries()) {
      if (e.state === 'logged_out' || !agentInScope(scope, e)) continue;
      const today = engine.todayCounters(`agent:${e.agentId}`);
      const inStateMs = Math.max(0, nowMs - e.sinceMs);
      const ongoing = e.state === 'not_ready' && inStateMs > this.limitMs;
      const endedLong = today ? today[C.notReadyLongEpisodes] : 0;
      const longestMs = Math.max(board.longestNotReadyToday(e, nowMs), ongoing ? inStateMs : 0);
      rows.push({
        agentId: e.agentId,
        team: e.team,
        site: e.site,
        queues: e.queues,
        state: e.state,
        reason: e.reason,
        sinceMs: e.sinceMs,
        timeInStateSec: Math.floor(inStateMs / 1000),
        contactId: e.contactId,
        contactSinceMs: e.contactSinceMs,
        handledToday: today ? today[C.handled] : 0,
        ahtSec: today ? ahtSec(today).value : null,
        occupancy: today ? occupancy(today).value : null,
        longNotReady: { count: endedLong + (ongoing ? 1 : 0), longestSec: Math.floor(longestMs / 1000), ongoing },
      });
    }
    rows.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.sinceMs - b.sinceMs || a.agentId.localeCompare(b.agentId));
    return rows;
  }

  /** The message for a scope key (validated by the caller). */
  message(scope: string, parsed: ParsedScope): AgentFeedMessage {
    const asOf = this.options.clock.now();
    return { scope, asOf, rows: this.rows(parsed, asOf) };
  }

  private handle(socket: KpiSocket): void {
    socket.on('agents:subscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      // The guard refuses floor screens first; checked again here so the feed stands on its own.
      if (!can(socket.data.principal.role, 'kpi:read-agents')) return ack({ ok: false, error: `agents: the ${socket.data.principal.role} role may not see agents` });
      const scope = (request as { scope?: unknown } | null)?.scope;
      // 10,000 agents are ~3 MB a push; a console showing a screenful asks for the changes only.
      const changes = (request as { changes?: unknown } | null)?.changes === true;
      const parsed = typeof scope === 'string' ? parseAgentScope(scope) : null;
      if (!parsed || typeof scope !== 'string') return ack({ ok: false, error: `scope: must be ${AGENT_SCOPE_FORMS}` });
      this.leave(socket);
      this.following.set(socket, { scope, changes });
      socket.join(roomOf(scope, changes));
      const message = this.message(scope, parsed);
      // The first subscriber of a scope sets what later pushes are compared with.
      if (!this.sent.has(scope)) this.sent.set(scope, signatures(message.rows));
      ack({ ok: true, data: message.rows });
    });
    socket.on('agents:unsubscribe', (_request, ack) => {
      this.leave(socket);
      if (typeof ack === 'function') ack({ ok: true, data: null });
    });
    socket.on('disconnect', () => this.forget());
  }

  private leave(socket: KpiSocket): void {
    const followed = this.following.get(socket);
    if (followed === undefined) return;
    this.following.delete(socket);
    socket.leave(roomOf(followed.scope, followed.changes));
    this.forget();
  }

  /** Drops the state of scopes nobody follows any more. */
  private forget(): void {
    const rooms = this.io.sockets.adapter.rooms;
    for (const scope of this.sent.keys()) if (!rooms.has(roomOf(scope)) && !rooms.has(roomOf(scope, true))) this.sent.delete(scope);
  }

  private tick(): void {
    if (this.sent.size === 0) return;
    const nowMs = this.options.clock.now();
    for (const [scope, last] of this.sent) {
      const parsed = parseAgentScope(scope);
      if (!parsed) continue;
      const rows = this.rows(parsed, nowMs);
      const current = signatures(rows);
      const changed = rows.filter((row) => last.get(row.agentId) !== current.get(row.agentId));
      const removed = [...last.keys()].filter((agentId) => !current.has(agentId));
      if (changed.length === 0 && removed.length === 0) continue;
      this.sent.set(scope, current);
      const rooms = this.io.sockets.adapter.rooms;
      if (rooms.has(roomOf(scope))) this.io.to(roomOf(scope)).emit('agents:rows', { scope, asOf: nowMs, rows });
      if (rooms.has(roomOf(scope, true))) this.io.to(roomOf(scope, true)).emit('agents:rows', { scope, asOf: nowMs, rows: changed, changes: true, removed });
    }
  }
}

/**
 * What makes a row differ for a console, by agent: everything but the time in state and a
 * running episode's length, which grow with the clock and which the console counts on from
 * `sinceMs`. (Row order follows from these fields, so equal signatures mean equal rows.)
 */
function signatures(rows: readonly AgentFeedRow[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rows) {
    const longest = r.longNotReady.ongoing ? -1 : r.longNotReady.longestSec;
    out.set(r.agentId, `${r.state}\u0000${r.reason}\u0000${r.sinceMs}\u0000${r.team}\u0000${r.site}\u0000${r.queues.join(',')}\u0000${r.contactId}\u0000${r.handledToday}\u0000${r.ahtSec}\u0000${r.occupancy}\u0000${r.longNotReady.count}\u0000${longest}`);
  }
  return out;
}
