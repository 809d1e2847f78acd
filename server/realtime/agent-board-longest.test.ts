/** The agent board's longest not-ready episode beyond the limit, per local day of its end (issue 10). */
import { describe, expect, it } from 'vitest';
import type { CallCentreEvent } from '../../shared/events.ts';
import { AgentBoardState } from './agent-board.ts';

const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00+08:00`);
let n = 0;
const state = (ts: number, s: string, reason?: string) =>
  ({ id: `e${++n}`, type: 'agent.state', ts, agentId: 'wang', state: s, team: 'red', site: 'hz', queues: ['general'], ...(reason ? { reason } : {}) }) as unknown as CallCentreEvent;

function board(): AgentBoardState {
  const b = new AgentBoardState();
  b.configure({ timeZone: 'Asia/Shanghai', notReadyLimitMs: 300_000 });
  return b;
}
const entry = (b: AgentBoardState) => [...b.entries()].find((e) => e.agentId === 'wang')!;

describe('longest not-ready episode of the day', () => {
  it('keeps the longest episode beyond 5 minutes, ignores shorter ones', () => {
    const b = board();
    b.apply([
      state(at('2026-03-02', '08:00'), 'not_ready', 'break'),
      state(at('2026-03-02', '08:04'), 'ready'), // 4 min: within the limit
      state(at('2026-03-02', '09:00'), 'not_ready', 'meeting'),
      state(at('2026-03-02', '09:07'), 'ready'), // 7 min
      state(at('2026-03-02', '10:00'), 'not_ready', 'break'),
      state(at('2026-03-02', '10:06'), 'ready'), // 6 min: not the longest
    ]);
    expect(b.longestNotReadyToday(entry(b), at('2026-03-02', '11:00'))).toBe(7 * 60_000);
  });

  it('counts an episode on the local day it ended, and starts afresh the next day', () => {
    const b = board();
    // 23:00–23:20 on the 1st (local): 20 minutes, yesterday's.
    b.apply([state(at('2026-03-01', '23:00'), 'not_ready'), state(at('2026-03-01', '23:20'), 'ready')]);
    expect(b.longestNotReadyToday(entry(b), at('2026-03-01', '23:30'))).toBe(20 * 60_000);
    expect(b.longestNotReadyToday(entry(b), at('2026-03-02', '09:00'))).toBe(0);
    // 23:50 on the 1st to 00:10 on the 2nd ends today: today's.
    b.apply([state(at('2026-03-01', '23:50'), 'not_ready'), state(at('2026-03-02', '00:10'), 'ready')]);
    expect(b.longestNotReadyToday(entry(b), at('2026-03-02', '09:00'))).toBe(20 * 60_000);
    b.apply([state(at('2026-03-02', '08:00'), 'not_ready'), state(at('2026-03-02', '08:06'), 'ready')]);
    expect(b.longestNotReadyToday(entry(b), at('2026-03-02', '09:00'))).toBe(20 * 60_000);
  });

  it('ignores an older event that arrives late, as the board does', () => {
    const b = board();
    b.apply([state(at('2026-03-02', '09:00'), 'not_ready'), state(at('2026-03-02', '09:10'), 'ready')]);
    b.apply([state(at('2026-03-02', '08:00'), 'not_ready')]);
    expect(entry(b).state).toBe('ready');
    expect(b.longestNotReadyToday(entry(b), at('2026-03-02', '09:30'))).toBe(10 * 60_000);
  });
});
