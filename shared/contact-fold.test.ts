/**
 * contact.orphaned in the contact fold (issue 13): merged in any order and with repeats, the
 * record comes out the same; the earliest orphaning is kept; queue, site and channel hinted by
 * an orphan that came before its offer give way to the offer's.
 */
import { describe, expect, it } from 'vitest';
import { validateEvent, type CallCentreEvent } from './events.ts';
import { foldContactEvent, isContactEvent, newContactFold, type ContactEvent } from './contact-fold.ts';
import { isWaiting, packedContactContributions } from './attribution.ts';
import { DEFAULT_KPI_SETTINGS } from './kpi.ts';

const T0 = Date.parse('2026-11-21T02:00:00Z');
const sec = (n: number) => T0 + n * 1000;

function ev(raw: Record<string, unknown>): CallCentreEvent {
  const r = validateEvent(raw);
  if (!r.ok) throw new Error(r.error);
  return r.event;
}

const offered = ev({ id: 'o', type: 'contact.offered', ts: sec(0), contactId: 'c1', queue: 'sales', site: 'main', channel: 'phone' });
const orphaned = ev({ id: 'x', type: 'contact.orphaned', ts: sec(40), contactId: 'c1', reason: 'pbx_restart', queue: 'sales', site: 'main' });
const orphanedAgain = ev({ id: 'x2', type: 'contact.orphaned', ts: sec(90), contactId: 'c1' });

function fold(events: CallCentreEvent[]) {
  const f = newContactFold('c1');
  for (const e of events) if (isContactEvent(e)) foldContactEvent(f, e);
  return f;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('foldContactEvent: contact.orphaned', () => {
  it('keeps the earliest orphaning, whatever the order and repeats', () => {
    const expected = fold([offered, orphaned, orphanedAgain]);
    expect(expected.record.orphanedTsMs).toBe(sec(40));
    expect(expected.record.offeredTsMs).toBe(sec(0));
    expect(expected.record.queue).toBe('sales');
    expect(isWaiting(expected.record)).toBe(false);
    for (const order of permutations([offered, orphaned, orphanedAgain, orphaned])) {
      const f = fold(order);
      expect(f.record).toEqual(expected.record);
      expect(packedContactContributions(f.record, DEFAULT_KPI_SETTINGS)).toEqual([sec(0), 0, 1]);
    }
  });

  it('an orphan before its offer hints the queue; the offer then places the contact', () => {
    const early = fold([ev({ id: 'x', type: 'contact.orphaned', ts: sec(40), contactId: 'c1', queue: 'other', site: 'main' })]);
    expect(early.record.queue).toBe('other');
    expect(early.record.offeredTsMs).toBeUndefined();
    foldContactEvent(early, offered as ContactEvent);
    expect(early.record.queue).toBe('sales');
    expect(early.record.orphanedTsMs).toBe(sec(40));
    expect(isWaiting(early.record)).toBe(false);
  });

  it('survives a JSON round trip (the stored fold)', () => {
    const f = fold([offered, orphaned]);
    const back = JSON.parse(JSON.stringify(f)) as typeof f;
    foldContactEvent(back, orphaned as ContactEvent);
    expect(back).toEqual(f);
  });
});
