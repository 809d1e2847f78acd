/**
 * What a screen hears besides KPIs (issue 5): its assignment, visitor mode, broadcasts, alerts,
 * the agent board and the deployed build. Joins on every (re)connect, so a restarted server
 * learns the screen's scope again; a build id that differs from the first one seen means a new
 * deployment, and the page reloads itself so TVs never run stale code.
 */
import type { AgentBoard, ScreenState } from '../../shared/alerts.ts';
import type { Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../../shared/socket-events.ts';

/** The part of a socket.io-client socket the feed uses (tests pass a small fake). */
export type ScreenSocket = Pick<Socket<ServerToClientEvents, ClientToServerEvents>, 'connected' | 'on' | 'off' | 'emit'>;

export interface ScreenFeedOptions {
  /** What the agent board is about. */
  scope: string;
  /** Whether this screen shows the agent board (it is only sent when asked for and allowed). */
  agentBoard: boolean;
  /** Called when the server runs a different build than the one this page came from. */
  onNewBuild?: () => void;
}

export class ScreenFeed {
  state = $state.raw<ScreenState | null>(null);
  board = $state.raw<AgentBoard | null>(null);
  #firstBuild: string | null = null;
  readonly #socket: ScreenSocket;
  readonly #options: ScreenFeedOptions;

  constructor(socket: ScreenSocket, options: ScreenFeedOptions) {
    this.#socket = socket;
    this.#options = { ...options };
  }

  /** The agent board's scope changed (a new assignment): ask again. */
  setScope(scope: string): void {
    if (scope === this.#options.scope) return;
    this.#options.scope = scope;
    if (this.#socket.connected) this.#join();
  }

  get visitor(): boolean {
    return this.state?.visitor ?? false;
  }

  start(): void {
    this.#socket.on('connect', this.#join);
    this.#socket.on('screen:state', this.#onState);
    this.#socket.on('agents:board', this.#onBoard);
    if (this.#socket.connected) this.#join();
  }

  stop(): void {
    this.#socket.off('connect', this.#join);
    this.#socket.off('screen:state', this.#onState);
    this.#socket.off('agents:board', this.#onBoard);
  }

  #join = (): void => {
    this.#socket.emit('screen:join', { scope: this.#options.scope, agentBoard: this.#options.agentBoard }, (result: Ack<ScreenState>) => {
      if (result.ok) this.#onState(result.data);
    });
  };

  #onState = (state: ScreenState): void => {
    if (this.#firstBuild === null) this.#firstBuild = state.buildId;
    else if (state.buildId !== this.#firstBuild) this.#options.onNewBuild?.();
    this.state = state;
    // The board of a screen that may no longer see it must not linger (visitor mode switched on).
    if (!state.agentBoard) this.board = null;
  };

  #onBoard = (board: AgentBoard): void => {
    if (this.state?.agentBoard === false) return;
    this.board = board;
  };
}
