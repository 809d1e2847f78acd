/**
 * A record write sees each contact as it was at its cut (the drain), however the contact changes
 * while the write is in progress: the engine copies a contact of the write the first time it is
 * about to change (record-cut.ts), instead of copying every contact at the cut.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';
import { KpiEngine } from './kpi-engine.ts';

const NOW_MS = Date.parse('2026-11-20T16:00:00+08:00');

function engineWithCalls() {
  const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock: { now: () => NOW_MS } });
  const offer = (contactId: string, ts: number, customerRef?: string) =>
    engine.apply({ id: `${contactId}-o`, type: 'contact.offered', ts, contactId, queue: 'q', site: 's', channel: 'phone', ...(customerRef ? { customerRef } : {}) });
  offer('c1', NOW_MS - 60_000, 'cust-1');
  engine.apply({ id: 'c1-a', type: 'contact.answered', ts: NOW_MS - 50_000, contactId: 'c1', agentId: 'a1' });
  offer('c2', NOW_MS - 40_000);
  return { engine, offer };
}

const byId = ({ contacts }: ReturnType<KpiEngine['drainChangedRecords']>) => new Map(contacts.map((c) => [c.fold.record.contactId, c]));

describe('a record write reads its contacts as of its cut', () => {
  it('keeps a contact that changes during the write as it was, and reads an unchanged one as it is', () => {
    const { engine, offer } = engineWithCalls();
    const drained = byId(engine.drainChangedRecords());
    expect([...drained.keys()].sort()).toEqual(['c1', 'c2']);
    // While the write runs: c1 ends and is surveyed, and a later call of its customer makes it a repeat.
    engine.apply({ id: 'c1-e', type: 'contact.ended', ts: NOW_MS - 20_000, contactId: 'c1', talkSec: 30, holdSec: 0 });
    engine.apply({ id: 'c1-s', type: 'survey.response', ts: NOW_MS - 10_000, contactId: 'c1', score: 4, scale: 5 });
    offer('c3', NOW_MS - 5_000, 'cust-1');
    const c1 = drained.get('c1')!.fold;
    expect(c1.record.answeredTsMs).toBe(NOW_MS - 50_000);
    expect(c1.record.endedTsMs).toBeUndefined();
    expect(c1.record.surveyScore).toBeUndefined();
    expect(c1.record.repeatedLater).toBe(false);
    expect(drained.get('c2')!.fold.record.offeredTsMs).toBe(NOW_MS - 40_000);
    // The next write takes the changes: c1 as it is now, and the new call.
    engine.endCut();
    const next = byId(engine.drainChangedRecords());
    expect([...next.keys()].sort()).toEqual(['c1', 'c3']);
    expect(next.get('c1')!.fold.record).toMatchObject({ endedTsMs: NOW_MS - 20_000, surveyScore: 4, repeatedLater: true });
  });

  it('keeps the team a contact counted for at the cut when its agent moves teams during the write', () => {
    const { engine } = engineWithCalls();
    engine.apply({ id: 'a1-t1', type: 'agent.state', ts: NOW_MS - 55_000, agentId: 'a1', state: 'ready', team: 'team-a' });
    const drained = byId(engine.drainChangedRecords());
    expect(drained.get('c1')!.team).toBe('team-a');
    // A late state puts the agent in team B from before the answer: c1 now counts for team B.
    engine.apply({ id: 'a1-t0', type: 'agent.state', ts: NOW_MS - 52_000, agentId: 'a1', state: 'ready', team: 'team-b' });
    expect(drained.get('c1')!.team).toBe('team-a');
    engine.endCut();
    expect(byId(engine.drainChangedRecords()).get('c1')!.team).toBe('team-b');
  });
});
