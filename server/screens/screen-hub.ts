/**
 * Everything a floor screen hears besides KPIs (issue 5): its assignment, visitor mode,
 * broadcasts, alerts, the agent board and the deployed build. Each socket joins `screen:<name>`
 * (its display link's name), so a manager's change reaches exactly the screens it is for, at
 * once. Alerts are evaluated and trends sampled here on a one-second timer.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'socket.io';
import type { Alert, ScreenState } from '../../shared/alerts.ts';
import type { CallCentreEvent } from '../../shared/events.ts';
import { parseScreenLayout } from '../../shared/layouts.ts';
import { C, type KpiName } from '../../shared/kpi.ts';
import type { ScopeKey } from '../../shared/scope.ts';
import { dayBounds, dayKey, intervalStart } from '../../shared/time.ts';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../../shared/socket-events.ts';
import { AlertEngine, alertSettingsFromEnv, type AlertSettings } from '../alerts/alert-engine.ts';
import type { RouteContext } from '../http/route.ts';
import { AgentBoardState } from '../realtime/agent-board.ts';
import type { KpiRooms, KpiSocket } from '../realtime/kpi-rooms.ts';
import { TrendHistory } from '../realtime/trends.ts';
import { ScreenRegistry } from './screen-registry.ts';

type ScreenServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

const screenRoom = (name: string) => `screen:${name}`;
/** The agent board is re-sent at least this often even unchanged, so counters never drift. */
const BOARD_REFRESH_MS = 5_000;

interface Wants {
  scope: string;
  agentBoard: boolean;
  sentVersion: number;
  sentAt: number;
}

export interface ScreenHubOptions {
  /** Where screens.json lives; null keeps everything in memory. */
  file: string | null;
  webRoot: string;
  alertSettings?: AlertSettings;
  /** How often alerts are judged and boards pushed (default 1 s). */
  tickMs?: number;
}

export class ScreenHub {
  readonly registry: ScreenRegistry;
  readonly alerts: AlertEngine;
  readonly agents = new AgentBoardState();
  readonly trends: TrendHistory;
  readonly buildId: string;
  private readonly wants = new WeakMap<KpiSocket, Wants>();
  private readonly timer: NodeJS.Timeout;
  private announcedUntil = 0;
  /** Alert changes are waiting for their one push to every screen. */
  private alertsPushPending = false;

  constructor(
    private readonly io: ScreenServer,
    private readonly rooms: KpiRooms,
    private readonly context: RouteContext,
    options: ScreenHubOptions,
  ) {
    this.registry = new ScreenRegistry(options.file);
    this.trends = new TrendHistory({
      snapshot: context.engine.snapshot.bind(context.engine),
      scopeKeys: context.engine.scopeKeys.bind(context.engine),
      settings: context.config.kpi,
      todayIntervals: (scope, nowMs) => {
        const today = dayBounds(nowMs, context.config.timeZone);
        return { dayStartMs: today.startMs, intervals: context.engine.intervals(scope, today.day) };
      },
    });
    const source = {
      snapshot: context.engine.snapshot.bind(context.engine),
      scopeKeys: context.engine.scopeKeys.bind(context.engine),
      usualOffered: (scope: ScopeKey, nowMs: number) => usualOffered(context, scope, nowMs),
    };
    // Alerts judge each scope by the targets in force for it on the day (issue 11).
    const thresholds = (kpi: KpiName, atMs: number, scope: string) => context.targets.inForce(scope, dayKey(atMs, context.config.timeZone))[kpi];
    this.alerts = new AlertEngine(source, options.alertSettings ?? alertSettingsFromEnv(process.env), (alert, change) => this.alertChanged(alert, change), thresholds);
    this.buildId = buildIdOf(options.webRoot);
    io.on('connection', (socket) => this.handle(socket));
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 1000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Events the engine just applied (live, not replayed). */
  noteEvents(events: readonly CallCentreEvent[], live: boolean): void {
    this.agents.apply(events);
    if (live && events.length > 0) this.alerts.noteEvents(this.context.clock.now());
  }

  /** Screen name of a socket: its principal's name. */
  nameOf(socket: KpiSocket): string {
    return socket.data.principal.name;
  }

  isVisitorSocket(socket: KpiSocket): boolean {
    return this.registry.isVisitor(this.nameOf(socket));
  }

  /** Screens connected now, by name, with how many sockets each. */
  connected(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const socket of this.io.sockets.sockets.values()) {
      const name = this.nameOf(socket);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * The agent board only goes to screens assigned it (display links) or to people who may see it,
   * and never in visitor mode (manual 003: no agent names for visitors).
   */
  agentBoardAllowed(socket: KpiSocket): boolean {
    const name = this.nameOf(socket);
    if (this.registry.isVisitor(name)) return false;
    if (socket.data.principal.role !== 'display') return true;
    return this.registry.assigned(name)?.layouts.includes('agents') ?? false;
  }

  stateFor(socket: KpiSocket): ScreenState {
    const name = this.nameOf(socket);
    const nowMs = this.context.clock.now();
    return {
      screen: name,
      assigned: this.registry.assigned(name),
      visitor: this.registry.isVisitor(name),
      agentBoard: this.agentBoardAllowed(socket),
      broadcasts: this.registry.showing(name, nowMs),
      alerts: this.alerts.active(),
      buildId: this.buildId,
    };
  }

  /** Tells screens what changed; `resyncKpis` after visitor mode changed for them. */
  push(screens: 'all' | string[], resyncKpis = false): void {
    const sockets = screens === 'all' ? [...this.io.sockets.sockets.values()] : screens.flatMap((name) => this.socketsOf(name));
    for (const socket of sockets) {
      socket.emit('screen:state', this.stateFor(socket));
      if (resyncKpis) this.rooms.resync(socket);
      this.sendBoard(socket, true);
    }
  }

  private socketsOf(name: string): KpiSocket[] {
    const ids = this.io.sockets.adapter.rooms.get(screenRoom(name)) ?? new Set<string>();
    return [...ids].map((id) => this.io.sockets.sockets.get(id)).filter((s): s is KpiSocket => s !== undefined);
  }

  private handle(socket: KpiSocket): void {
    socket.join(screenRoom(this.nameOf(socket)));
    socket.on('screen:join', (request, ack) => {
      if (typeof ack !== 'function') return;
      const scope = (request as { scope?: unknown } | null)?.scope ?? 'centre';
      const parsed = parseScreenLayout({ scope });
      if (!parsed.ok) return ack({ ok: false, error: parsed.error });
      this.wants.set(socket, { scope: parsed.value.scope, agentBoard: (request as { agentBoard?: unknown } | null)?.agentBoard === true, sentVersion: -1, sentAt: 0 });
      ack({ ok: true, data: this.stateFor(socket) });
      this.sendBoard(socket, true);
    });
  }

  private sendBoard(socket: KpiSocket, force: boolean): void {
    const wants = this.wants.get(socket);
    if (!wants?.agentBoard || !this.agentBoardAllowed(socket)) return;
    const nowMs = this.context.clock.now();
    if (!force && wants.sentVersion === this.agents.version && nowMs - wants.sentAt < BOARD_REFRESH_MS) return;
    wants.sentVersion = this.agents.version;
    wants.sentAt = nowMs;
    const board = this.agents.board(wants.scope, nowMs);
    // A floor screen never gets agent ids or teams (the README's role table, issue 12): it shows
    // each agent's state, time in state and reason, numbered in board order.
    if (socket.data.principal.role === 'display') {
      board.agents = board.agents.map((row, i) => ({ ...row, agentId: `#${i + 1}`, team: null }));
    }
    socket.emit('agents:board', board);
  }

  private alertChanged(alert: Alert, change: 'raised' | 'cleared' | 'acked'): void {
    const log = this.context.logger;
    if (change === 'raised') log.warn({ alert: alert.id, rule: alert.rule, kpi: alert.kpi, scope: alert.scope, value: alert.value }, 'alert raised');
    else log.info({ alert: alert.id, change }, `alert ${change}`);
    // One push for every change of this turn: each push sends every screen all active alerts, so
    // one per alert grew with alerts² × screens (a centre with nobody ready raises ~2 per queue
    // at once: 500 queues, 200 screens ran a server out of memory in JSON.stringify).
    if (this.alertsPushPending) return;
    this.alertsPushPending = true;
    setImmediate(() => {
      this.alertsPushPending = false;
      this.push('all');
    });
  }

  private tick(): void {
    const nowMs = this.context.clock.now();
    this.alerts.evaluate(nowMs);
    this.trends.maybeSample(nowMs);
    // A broadcast that just expired leaves its screens now, not at their next change.
    const expired = this.registry.history().filter((b) => b.withdrawnAt === null && b.expiresAt <= nowMs && b.expiresAt > this.announcedUntil);
    if (expired.length > 0) {
      this.announcedUntil = Math.max(...expired.map((b) => b.expiresAt));
      this.push(expired.some((b) => b.screens === 'all') ? 'all' : [...new Set(expired.flatMap((b) => b.screens as string[]))]);
    }
    for (const socket of this.io.sockets.sockets.values()) this.sendBoard(socket, false);
  }
}

/** Offered in the 15-minute interval this time yesterday (the engine keeps yesterday's intervals). */
function usualOffered({ engine, config }: RouteContext, scope: ScopeKey, nowMs: number): number | null {
  const yesterdayMs = nowMs - 86_400_000;
  const start = intervalStart(yesterdayMs);
  const interval = engine.intervals(scope, dayKey(yesterdayMs, config.timeZone)).find((i) => i.startMs === start);
  return interval ? interval.counters[C.offered] : null;
}

/** A hash of the built index.html: it names every bundle, so it changes with each deployment. */
function buildIdOf(webRoot: string): string {
  const index = join(webRoot, 'index.html');
  if (!existsSync(index)) return 'dev';
  return createHash('sha256').update(readFileSync(index)).digest('hex').slice(0, 12);
}
