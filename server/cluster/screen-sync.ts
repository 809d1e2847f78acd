/**
 * Screen assignments, visitor mode and broadcasts across processes (issue 16). Each process
 * keeps them in its own registry (screens.json) and tells its own sockets, one by one, what
 * applies to them; so a change is re-done on every other process from the control stream
 * (control-stream.ts) and each pushes it to the screens it serves. The stream keeps them, so a
 * process that was down when a change was made catches it up before it listens again. Calls
 * are replayed with their arguments (a broadcast with the id the first process gave it), so
 * every registry ends up the same. Typed by shape only: this folder sits below screens/.
 */
import type { ControlStream } from './control-stream.ts';

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

const KIND = 'screens';

/** Makes every change of `hub.registry` reach the registries and screens of the other processes. */
export function syncScreensAcrossProcesses(control: ControlStream, hub: SyncedScreens, onError: (error: Error) => void): void {
  const registry = hub.registry;
  const original = {
    assign: registry.assign.bind(registry),
    setVisitor: registry.setVisitor.bind(registry),
    send: registry.send.bind(registry),
    withdraw: registry.withdraw.bind(registry),
  };
  // Applied here already (the registry's calls are synchronous): only the other processes apply it.
  const tell = (operation: Operation, args: unknown[]) => void control.announce(KIND, { operation, args }).catch(onError);
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
  control.handle(KIND, ({ operation, args }: { operation: unknown; args: unknown }) => {
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
