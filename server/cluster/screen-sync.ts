/**
 * Screen assignments, visitor mode and broadcasts across processes (issue 16). Each process
 * keeps them in its own registry (screens.json) and tells its own sockets, one by one, what
 * applies to them; so a change is re-done on every other process (Socket.IO's server-side
 * emit through the Redis Streams adapter) and each pushes it to the screens it serves. Calls
 * are replayed with their arguments (a broadcast with the id the first process gave it), so
 * every registry ends up the same. Typed by shape only: this folder sits below screens/.
 */
import type { Server } from 'socket.io';

type Screens = 'all' | string[];

/** The registry operations that change what screens show. */
interface SyncedRegistry {
  assign(screen: string, layout: unknown): unknown;
  setVisitor(screen: string, on: boolean): boolean;
  send(input: { id?: string; screens: Screens; [field: string]: unknown }): { id: string; screens: Screens };
  withdraw(id: string, nowMs: number): { screens: Screens } | string;
}

/** What screens/screen-hub.ts offers: its registry and the push to its own sockets. */
export interface SyncedScreens {
  registry: SyncedRegistry;
  push(screens: Screens, resyncKpis?: boolean): void;
}

type Operation = 'assign' | 'setVisitor' | 'send' | 'withdraw';

const EVENT = 'wallboard:screens';

/** Makes every change of `hub.registry` reach the registries and screens of the other processes. */
export function syncScreensAcrossProcesses(io: Server<any, any, any, any>, hub: SyncedScreens): void {
  const registry = hub.registry;
  const original = {
    assign: registry.assign.bind(registry),
    setVisitor: registry.setVisitor.bind(registry),
    send: registry.send.bind(registry),
    withdraw: registry.withdraw.bind(registry),
  };
  const tell = (operation: Operation, args: unknown[]) => {
    // serverSideEmit goes to every other process, not to this one.
    (io as unknown as { serverSideEmit(event: string, ...args: unknown[]): void }).serverSideEmit(EVENT, operation, args);
  };
  registry.assign = (screen, layout) => {
    const previous = original.assign(screen, layout);
    tell('assign', [screen, layout]);
    return previous;
  };
  registry.setVisitor = (screen, on) => {
    const changed = original.setVisitor(screen, on);
    tell('setVisitor', [screen, on]);
    return changed;
  };
  registry.send = (input) => {
    const broadcast = original.send(input);
    tell('send', [{ ...input, id: broadcast.id }]);
    return broadcast;
  };
  registry.withdraw = (id, nowMs) => {
    const result = original.withdraw(id, nowMs);
    tell('withdraw', [id, nowMs]);
    return result;
  };
  (io as unknown as { on(event: string, listener: (operation: unknown, args: unknown) => void): void }).on(EVENT, (operation, args) => {
    if (!Array.isArray(args)) return;
    switch (operation) {
      case 'assign':
        original.assign(String(args[0]), args[1] ?? null);
        return hub.push([String(args[0])]);
      case 'setVisitor':
        if (original.setVisitor(String(args[0]), args[1] === true)) hub.push([String(args[0])], true);
        return;
      case 'send': {
        const input = args[0] as Parameters<SyncedRegistry['send']>[0];
        original.send(input);
        return hub.push(input.screens);
      }
      case 'withdraw': {
        const result = original.withdraw(String(args[0]), Number(args[1]));
        if (typeof result === 'object') hub.push(result.screens);
        return;
      }
    }
  });
}
