/**
 * Test doubles for the screen app: a socket that records what the page sends and lets a test
 * play the server, and builders of KPI messages from counters (through shared/kpi.ts, so the
 * figures are what the server would compute).
 */
import { computeKpis, countersFrom, emptyLiveState, type CounterName, type LiveState } from '../../shared/kpi.ts';
import type { Ack, RoomMessage, ScopeKpis } from '../../shared/socket-events.ts';
import { scopeDimension } from '../../shared/scope.ts';
import type { FeedSocket } from '../lib/kpi-feed.svelte.ts';

type Listener = (...args: never[]) => void;

export interface SentSubscribe {
  rooms: string[];
  ack: (result: Ack<RoomMessage[]>) => void;
}

/** Plays the server side of a socket.io-client socket. */
export class FakeSocket {
  connected = false;
  readonly subscribes: SentSubscribe[] = [];
  /** Every other event the page sent, with its arguments (the last one is the ack, if any). */
  readonly emitted: Array<{ event: string; args: unknown[] }> = [];
  readonly #listeners = new Map<string, Set<Listener>>();

  on(event: string, listener: Listener): this {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event)!.add(listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  emit(event: string, request: { rooms: string[] }, ack: SentSubscribe['ack']): this {
    if (event === 'kpi:subscribe') this.subscribes.push({ rooms: request.rooms, ack });
    else this.emitted.push({ event, args: [request, ack] });
    return this;
  }

  /** The server sends an event to the page. */
  serverEmit(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }

  connect(): void {
    this.connected = true;
    this.serverEmit('connect');
  }

  disconnect(): void {
    this.connected = false;
    this.serverEmit('disconnect', 'transport close');
  }

  listenerCount(): number {
    return [...this.#listeners.values()].reduce((n, set) => n + set.size, 0);
  }

  /** Typed view for the feed's constructor. */
  asFeedSocket(): FeedSocket {
    return this as unknown as FeedSocket;
  }
}

/** KPIs of one scope as the server computes them from these counters and live state. */
export function scopeKpis(
  scope: string,
  counters: Partial<Record<CounterName, number>> = {},
  live: Partial<LiveState> = {},
  nowMs = Date.UTC(2026, 0, 5, 2, 0, 0),
): ScopeKpis {
  const state = { ...emptyLiveState(), ...live };
  return { scope, kpis: computeKpis(countersFrom(counters), state, nowMs, undefined, scopeDimension(scope)), live: state };
}

/** A room message. */
export function roomMessage(room: string, seq: number, scopes: ScopeKpis[], options: { full?: boolean; asOf?: number } = {}): RoomMessage {
  return {
    room,
    window: room.endsWith('@15m') ? '15m' : room.endsWith('@60m') ? '60m' : 'today',
    seq,
    asOf: options.asOf ?? Date.UTC(2026, 0, 5, 2, 0, 0),
    full: options.full ?? false,
    scopes,
  };
}
