/** Agent board rows from events: latest state wins whatever the arrival order, contacts come and go. */
import { describe, expect, it } from 'vitest';
import type { CallCentreEvent } from '../../shared/events.ts';
import { AgentBoardState } from './agent-board.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);
const state = (id: string, agentId: string, ts: number, s: string, extra: object = {}) =>
  ({ id, type: 'agent.state', ts, agentId, state: s, team: 'red', site: 'hz', queues: ['general'], ...extra }) as unknown as CallCentreEvent;
const contact = (id: string, type: string, ts: number, fields: object) => ({ id, type, ts, ...fields }) as unknown as CallCentreEvent;

describe('AgentBoardState', () => {
  it('keeps the latest state with its reason, in any arrival order', () => {
    const events = [
      state('1', 'wang', T0, 'ready'),
      state('2', 'wang', T0 + 60_000, 'not_ready', { reason: 'training' }),
      state('3', 'li', T0 + 10_000, 'busy'),
    ];
    const inOrder = new AgentBoardState();
    inOrder.apply(events);
    const reversed = new AgentBoardState();
    for (const event of [...events].reverse()) reversed.apply([event]);
    const expected = [
      { agentId: 'wang', state: 'not_ready', sinceMs: T0 + 60_000, reason: 'training', team: 'red', site: 'hz', contactSinceMs: null },
      { agentId: 'li', state: 'busy', sinceMs: T0 + 10_000, reason: null, team: 'red', site: 'hz', contactSinceMs: null },
    ];
    expect(inOrder.board('centre', T0).agents).toEqual(expected);
    expect(reversed.board('centre', T0).agents).toEqual(expected);
  });

  it('tracks the contact an agent is on until it ends, and drops logged-out agents', () => {
    const board = new AgentBoardState();
    board.apply([state('1', 'li', T0, 'busy'), contact('a', 'contact.answered', T0 + 5_000, { contactId: 'c1', agentId: 'li' })]);
    expect(board.board('centre', T0).agents[0].contactSinceMs).toBe(T0 + 5_000);
    board.apply([contact('e', 'contact.ended', T0 + 60_000, { contactId: 'c1', talkSec: 50, holdSec: 0 })]);
    expect(board.board('centre', T0).agents[0].contactSinceMs).toBeNull();
    board.apply([state('2', 'li', T0 + 90_000, 'logged_out')]);
    expect(board.board('centre', T0)).toEqual({ asOf: T0, agents: [], total: 0 });
  });

  it('filters by site, team and queue, and limits the rows', () => {
    const board = new AgentBoardState();
    board.apply([state('1', 'a', T0, 'ready'), state('2', 'b', T0, 'ready', { site: 'nb', team: 'blue', queues: ['vip'] })]);
    expect(board.board('site:nb', T0).agents.map((r) => r.agentId)).toEqual(['b']);
    expect(board.board('team:red', T0).agents.map((r) => r.agentId)).toEqual(['a']);
    expect(board.board('queue:vip', T0).agents.map((r) => r.agentId)).toEqual(['b']);
    expect(board.board('centre', T0, 1)).toMatchObject({ total: 2, agents: [{ agentId: 'a' }] });
  });
});
