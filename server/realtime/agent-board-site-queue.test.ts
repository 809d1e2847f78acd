/** The agent board of a queue within one site (issue 10), and the teams the scope tree is built from. */
import { describe, expect, it } from 'vitest';
import type { CallCentreEvent } from '../../shared/events.ts';
import { AgentBoardState } from './agent-board.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);
const state = (id: string, agentId: string, s: string, team: string, site: string, queues: string[]) =>
  ({ id, type: 'agent.state', ts: T0, agentId, state: s, team, site, queues }) as unknown as CallCentreEvent;

describe('AgentBoardState by site × queue', () => {
  const board = new AgentBoardState();
  board.apply([
    state('1', 'a', 'ready', 'red', 'hz', ['general']),
    state('2', 'b', 'busy', 'red', 'hz', ['vip', 'general']),
    state('3', 'c', 'ready', 'blue', 'nb', ['general']),
    state('4', 'd', 'logged_out', 'blue', 'hz', ['complaints']),
  ]);

  it('shows only the agents of that site serving that queue', () => {
    expect(board.board('site:hz/queue:general', T0).agents.map((r) => r.agentId)).toEqual(['b', 'a']);
    expect(board.board('site:nb/queue:general', T0).agents.map((r) => r.agentId)).toEqual(['c']);
    expect(board.board('site:nb/queue:vip', T0).agents).toEqual([]);
  });

  it('sums up each team: its agents (logged out too), queues served and agents per site', () => {
    const teams = board.teams();
    expect([...teams.keys()].sort()).toEqual(['blue', 'red']);
    expect(teams.get('red')).toEqual({ agents: ['a', 'b'], queues: new Set(['general', 'vip']), sites: new Map([['hz', 2]]) });
    expect(teams.get('blue')).toEqual({ agents: ['c', 'd'], queues: new Set(['general', 'complaints']), sites: new Map([['nb', 1], ['hz', 1]]) });
  });
});
