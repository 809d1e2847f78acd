/**
 * Attribution (SPEC §4): which counters one contact, ticket or agent episode contributes, and
 * the time each contribution counts at. Expected values are worked out from SPEC.md.
 */
import { describe, expect, it } from 'vitest';
import {
  agentEpisodeContributions,
  contactContributions,
  effectiveCloseMs,
  handleSec,
  isWaiting,
  newContactRecord,
  newTicketRecord,
  queueOutcome,
  ticketContributions,
  ticketDeadlineMs,
  ticketDeadlines,
  waitSec,
  type ContactRecord,
  type Contribution,
  type TicketRecord,
} from './attribution.ts';
import { COUNTER_NAMES, DEFAULT_KPI_SETTINGS, type CounterName, type KpiSettings } from './kpi.ts';

const S = DEFAULT_KPI_SETTINGS;
/** 2024-06-03 10:00:00 in Asia/Shanghai. */
const T0 = Date.UTC(2024, 5, 3, 2, 0, 0);
const sec = (s: number) => T0 + s * 1000;
const HOUR = 3_600_000;

function contact(fields: Partial<ContactRecord>): ContactRecord {
  return { ...newContactRecord('c1'), ...fields };
}
function ticket(fields: Partial<TicketRecord>): TicketRecord {
  return { ...newTicketRecord('t1'), ...fields };
}

/** Contributions grouped by counter name: `[tsMs, amount]` pairs in emission order. */
function byCounter(contributions: Contribution[]): Partial<Record<CounterName, Array<[number, number]>>> {
  const out: Partial<Record<CounterName, Array<[number, number]>>> = {};
  for (const c of contributions) {
    const name = COUNTER_NAMES[c.counter];
    (out[name] ??= []).push([c.tsMs, c.amount]);
  }
  return out;
}
/** Sorted names of the counters touched. */
function touched(contributions: Contribution[]): string[] {
  return Object.keys(byCounter(contributions)).sort();
}

describe('contactContributions: queue outcomes', () => {
  it('offered counts at offer time, the answer and its wait at answer time', () => {
    // offered 10:00:00, answered 10:00:42 → wait 42 s > T = 30 s
    const got = byCounter(contactContributions(contact({ channel: 'phone', offeredTsMs: sec(0), answeredTsMs: sec(42) }), S));
    expect(got.offered).toEqual([[sec(0), 1]]);
    expect(got.answered).toEqual([[sec(42), 1]]);
    expect(got.answerWaitSec).toEqual([[sec(42), 42]]);
    expect(got.answeredInSl).toBeUndefined();
    expect(Object.keys(got).sort()).toEqual(['answerWaitSec', 'answered', 'offered']);
  });

  it('an offer alone contributes only offered', () => {
    const r = contact({ channel: 'phone', offeredTsMs: sec(0) });
    expect(byCounter(contactContributions(r, S))).toEqual({ offered: [[sec(0), 1]] });
    expect(isWaiting(r)).toBe(true);
    expect(queueOutcome(r)).toBeNull();
    expect(waitSec(r)).toBeNull();
  });

  it('a wait of exactly T is within service level; 1 ms more is not', () => {
    const atT = byCounter(contactContributions(contact({ offeredTsMs: sec(100), answeredTsMs: sec(130) }), S));
    expect(atT.answeredInSl).toEqual([[sec(130), 1]]);
    expect(atT.answerWaitSec).toEqual([[sec(130), 30]]);

    const over = byCounter(contactContributions(contact({ offeredTsMs: sec(100), answeredTsMs: sec(130) + 1 }), S));
    expect(over.answeredInSl).toBeUndefined();
    expect(over.answered).toEqual([[sec(130) + 1, 1]]);
    expect(over.answerWaitSec?.[0][1]).toBeCloseTo(30.001, 9);
  });

  it('the threshold T comes from the settings', () => {
    const settings: KpiSettings = { ...S, serviceLevelSec: 20 };
    const r = contact({ offeredTsMs: sec(0), answeredTsMs: sec(25) });
    expect(byCounter(contactContributions(r, settings)).answeredInSl).toBeUndefined();
    expect(byCounter(contactContributions(r, S)).answeredInSl).toEqual([[sec(25), 1]]);
  });

  it('an abandon with wait just under S is short; exactly S is not', () => {
    // 4.999 s < 5 s → short
    const short = byCounter(contactContributions(contact({ offeredTsMs: sec(0), abandonedTsMs: sec(0) + 4999 }), S));
    expect(short.abandoned).toEqual([[sec(0) + 4999, 1]]);
    expect(short.shortAbandoned).toEqual([[sec(0) + 4999, 1]]);
    expect(short.abandonedInSl).toEqual([[sec(0) + 4999, 1]]);

    // 5.000 s is not < 5 s → a real abandon, still within T for SL2
    const five = byCounter(contactContributions(contact({ offeredTsMs: sec(0), abandonedTsMs: sec(5) }), S));
    expect(five.abandoned).toEqual([[sec(5), 1]]);
    expect(five.shortAbandoned).toBeUndefined();
    expect(five.abandonedInSl).toEqual([[sec(5), 1]]);
  });

  it('an abandon after T: counted at abandon time, neither short nor within T', () => {
    const got = byCounter(contactContributions(contact({ offeredTsMs: sec(0), abandonedTsMs: sec(31) }), S));
    expect(got).toEqual({ offered: [[sec(0), 1]], abandoned: [[sec(31), 1]] });
  });

  it('a flow-out counts at flow-out time, with no wait figures', () => {
    const r = contact({ channel: 'phone', offeredTsMs: sec(0), flowedOutTsMs: sec(120), flowOutReason: 'timeout' });
    expect(byCounter(contactContributions(r, S))).toEqual({ offered: [[sec(0), 1]], flowedOut: [[sec(120), 1]] });
    expect(waitSec(r)).toBe(120);
    expect(isWaiting(r)).toBe(false);
  });

  it('wait is measured from the offer, to whichever outcome came first', () => {
    expect(waitSec(contact({ offeredTsMs: sec(10), answeredTsMs: sec(17) }))).toBe(7);
    expect(waitSec(contact({ offeredTsMs: sec(10), abandonedTsMs: sec(12.5) }))).toBe(2.5);
    expect(waitSec(contact({ offeredTsMs: sec(10), flowedOutTsMs: sec(70), answeredTsMs: sec(90) }))).toBe(60);
  });

  it('earliest of answered / abandoned / flowed out wins', () => {
    // abandoned at 20 s, a (bogus) answer at 50 s: the abandon stands
    const a = contact({ offeredTsMs: sec(0), answeredTsMs: sec(50), abandonedTsMs: sec(20) });
    expect(queueOutcome(a)).toEqual({ outcome: 'abandoned', tsMs: sec(20) });
    expect(byCounter(contactContributions(a, S))).toEqual({
      offered: [[sec(0), 1]],
      abandoned: [[sec(20), 1]],
      abandonedInSl: [[sec(20), 1]],
    });

    // flowed out at 10 s, answered at 15 s: flow-out
    const b = contact({ offeredTsMs: sec(0), flowedOutTsMs: sec(10), answeredTsMs: sec(15) });
    expect(queueOutcome(b)).toEqual({ outcome: 'flowed_out', tsMs: sec(10) });
    expect(touched(contactContributions(b, S))).toEqual(['flowedOut', 'offered']);

    // answered at 8 s, abandoned at 9 s, flowed out at 12 s: answered
    const c = contact({ offeredTsMs: sec(0), answeredTsMs: sec(8), abandonedTsMs: sec(9), flowedOutTsMs: sec(12) });
    expect(queueOutcome(c)).toEqual({ outcome: 'answered', tsMs: sec(8) });
    expect(touched(contactContributions(c, S))).toEqual(['answerWaitSec', 'answered', 'answeredInSl', 'offered']);
  });

  it('transfers count at each transfer time', () => {
    const got = byCounter(
      contactContributions(contact({ offeredTsMs: sec(0), answeredTsMs: sec(5), transferTsMs: [sec(60), sec(200)] }), S),
    );
    expect(got.transferred).toEqual([
      [sec(60), 1],
      [sec(200), 1],
    ]);
  });

  it('drill contacts contribute nothing', () => {
    const r = contact({
      drill: true,
      channel: 'email',
      offeredTsMs: sec(0),
      answeredTsMs: sec(10),
      endedTsMs: sec(100),
      talkSec: 80,
      holdSec: 0,
      wrappedTsMs: sec(130),
      resolvedTsMs: sec(130),
      firstContact: true,
      surveyTsMs: sec(400),
      surveyScore: 5,
      surveyScale: 5,
    });
    expect(contactContributions(r, S)).toEqual([]);
    expect(isWaiting(contact({ drill: true, offeredTsMs: sec(0) }))).toBe(false);
  });
});

describe('contactContributions: orphaned contacts (PBX restart, issue 13)', () => {
  it('an orphan leaves the queue and counts as offered only: no outcome, no wait, in no rate', () => {
    // offered 10:00:00, orphaned 10:00:50 (QUEUESTART): 1 offered at 10:00:00 and nothing else.
    const r = contact({ channel: 'phone', offeredTsMs: sec(0), orphanedTsMs: sec(50) });
    expect(isWaiting(r)).toBe(false);
    expect(queueOutcome(r)).toBeNull();
    expect(waitSec(r)).toBeNull();
    expect(byCounter(contactContributions(r, S))).toEqual({ offered: [[sec(0), 1]] });
    // The same contact before its orphan event arrives is waiting.
    expect(isWaiting(contact({ offeredTsMs: sec(0) }))).toBe(true);
  });

  it('a written-channel orphan is no written outcome either', () => {
    const r = contact({ channel: 'chat', offeredTsMs: sec(0), orphanedTsMs: sec(600) });
    expect(touched(contactContributions(r, S))).toEqual(['offered']);
  });

  it('an orphan known before its offer is not waiting once the offer comes, and counts nothing until then', () => {
    expect(contactContributions(contact({ orphanedTsMs: sec(50) }), S)).toEqual([]);
    expect(isWaiting(contact({ orphanedTsMs: sec(50) }))).toBe(false);
    expect(isWaiting(contact({ orphanedTsMs: sec(50), offeredTsMs: sec(0) }))).toBe(false);
  });

  it('a queue outcome wins over an orphaning, before or after it', () => {
    // Answered at 10:00:20 (wait 20 s ≤ T) and orphaned later: an answered contact, as without the orphan.
    const before = contact({ channel: 'phone', offeredTsMs: sec(0), answeredTsMs: sec(20), orphanedTsMs: sec(50) });
    expect(queueOutcome(before)).toEqual({ outcome: 'answered', tsMs: sec(20) });
    expect(contactContributions(before, S)).toEqual(contactContributions({ ...before, orphanedTsMs: undefined }, S));
    // Orphaned at 10:00:50, abandoned at 10:01:10 (wait 70 s): the abandon counts.
    const after = contact({ channel: 'phone', offeredTsMs: sec(0), orphanedTsMs: sec(50), abandonedTsMs: sec(70) });
    expect(byCounter(contactContributions(after, S))).toEqual({ offered: [[sec(0), 1]], abandoned: [[sec(70), 1]] });
    expect(isWaiting(after)).toBe(false);
  });
});

describe('contactContributions: handle time, FCR, CSAT', () => {
  it('handle = talk + hold + (wrapped − ended), counted at wrap time', () => {
    // ended 10:05:10 after 250 s talk and 40 s hold, wrapped 10:05:55 → wrap 45 s → 335 s
    const r = contact({
      offeredTsMs: sec(0),
      answeredTsMs: sec(20),
      endedTsMs: sec(310),
      talkSec: 250,
      holdSec: 40,
      wrappedTsMs: sec(355),
    });
    expect(handleSec(r)).toBe(335);
    const got = byCounter(contactContributions(r, S));
    expect(got.handled).toEqual([[sec(355), 1]]);
    expect(got.handleSec).toEqual([[sec(355), 335]]);
  });

  it('wrapped at the end (no wrap-up): handle = talk + hold', () => {
    const r = contact({ endedTsMs: sec(200), talkSec: 170, holdSec: 12, wrappedTsMs: sec(200) });
    expect(byCounter(contactContributions(r, S)).handleSec).toEqual([[sec(200), 182]]);
  });

  it('ended but not wrapped: not handled yet', () => {
    const r = contact({ offeredTsMs: sec(0), answeredTsMs: sec(3), endedTsMs: sec(200), talkSec: 197, holdSec: 0 });
    const got = byCounter(contactContributions(r, S));
    expect(got.handled).toBeUndefined();
    expect(got.handleSec).toBeUndefined();
  });

  it('FCR: a first-contact resolution counts first at resolution time', () => {
    const got = byCounter(contactContributions(contact({ resolvedTsMs: sec(400), firstContact: true }), S));
    expect(got.resolved).toEqual([[sec(400), 1]]);
    expect(got.resolvedFirst).toEqual([[sec(400), 1]]);
  });

  it('FCR: a repeat contact within the window later turns it to not-first', () => {
    const got = byCounter(contactContributions(contact({ resolvedTsMs: sec(400), firstContact: true, repeatedLater: true }), S));
    expect(got.resolved).toEqual([[sec(400), 1]]);
    expect(got.resolvedFirst).toBeUndefined();
  });

  it('FCR: firstContact=false is resolved but not first', () => {
    const got = byCounter(contactContributions(contact({ resolvedTsMs: sec(400), firstContact: false }), S));
    expect(got.resolved).toEqual([[sec(400), 1]]);
    expect(got.resolvedFirst).toBeUndefined();
  });

  it.each([
    // [score, scale, top two?, score on a 5-point scale]
    [5, 5, true, 5],
    [4, 5, true, 4],
    [3, 5, false, 3],
    [1, 5, false, 1],
    [10, 10, true, 5],
    [9, 10, true, 41 / 9], // 1 + 8·4/9
    [8, 10, false, 37 / 9], // 1 + 7·4/9
    [1, 10, false, 1],
  ])('survey %d of %d: top two %s, 5-point score %d', (score, scale, top, score5) => {
    const got = byCounter(contactContributions(contact({ surveyTsMs: sec(900), surveyScore: score, surveyScale: scale }), S));
    expect(got.surveys).toEqual([[sec(900), 1]]);
    if (top) expect(got.surveyTopTwo).toEqual([[sec(900), 1]]);
    else expect(got.surveyTopTwo).toBeUndefined();
    expect(got.surveyScore5?.[0][0]).toBe(sec(900));
    expect(got.surveyScore5?.[0][1]).toBeCloseTo(score5 as number, 12);
  });

  it('a survey without a scale is on the 5-point scale', () => {
    const got = byCounter(contactContributions(contact({ surveyTsMs: sec(900), surveyScore: 4 }), S));
    expect(got.surveyTopTwo).toEqual([[sec(900), 1]]);
    expect(got.surveyScore5).toEqual([[sec(900), 4]]);
  });

  it('a complete contact contributes each figure at its own time', () => {
    const r = contact({
      channel: 'phone',
      offeredTsMs: sec(0),
      answeredTsMs: sec(12),
      endedTsMs: sec(300),
      talkSec: 270,
      holdSec: 18,
      wrappedTsMs: sec(330),
      resolvedTsMs: sec(330),
      firstContact: true,
      surveyTsMs: sec(3600),
      surveyScore: 5,
    });
    expect(byCounter(contactContributions(r, S))).toEqual({
      offered: [[sec(0), 1]],
      answered: [[sec(12), 1]],
      answerWaitSec: [[sec(12), 12]],
      answeredInSl: [[sec(12), 1]],
      handled: [[sec(330), 1]],
      handleSec: [[sec(330), 318]], // 270 + 18 + 30
      resolved: [[sec(330), 1]],
      resolvedFirst: [[sec(330), 1]],
      surveys: [[sec(3600), 1]],
      surveyTopTwo: [[sec(3600), 1]],
      surveyScore5: [[sec(3600), 5]],
    });
  });
});

describe('contactContributions: written channels (manual 002)', () => {
  it.each([
    // [channel, wait in s, within target?]
    ['email', 300, true], // ≤ 5 min
    ['email', 301, false],
    ['chat', 300, true],
    ['chat', 301, false],
    ['social', 900, true], // ≤ 15 min
    ['social', 901, false],
    ['social', 600, true],
  ] as const)('%s answered after %d s: within target %s', (channel, wait, inTarget) => {
    const got = byCounter(contactContributions(contact({ channel, offeredTsMs: sec(0), answeredTsMs: sec(wait) }), S));
    expect(got.writtenOutcomes).toEqual([[sec(wait), 1]]);
    if (inTarget) expect(got.writtenInTarget).toEqual([[sec(wait), 1]]);
    else expect(got.writtenInTarget).toBeUndefined();
  });

  it('an email 1 ms over 5 min misses', () => {
    const got = byCounter(contactContributions(contact({ channel: 'email', offeredTsMs: sec(0), answeredTsMs: sec(300) + 1 }), S));
    expect(got.writtenInTarget).toBeUndefined();
  });

  it('a written contact that is abandoned or flows out is a miss', () => {
    const ab = byCounter(contactContributions(contact({ channel: 'chat', offeredTsMs: sec(0), abandonedTsMs: sec(60) }), S));
    expect(ab.writtenOutcomes).toEqual([[sec(60), 1]]);
    expect(ab.writtenInTarget).toBeUndefined();
    const fo = byCounter(contactContributions(contact({ channel: 'email', offeredTsMs: sec(0), flowedOutTsMs: sec(60) }), S));
    expect(fo.writtenOutcomes).toEqual([[sec(60), 1]]);
    expect(fo.writtenInTarget).toBeUndefined();
  });

  it('phone and self-service are not written channels', () => {
    for (const channel of ['phone', 'self_service'] as const) {
      const got = byCounter(contactContributions(contact({ channel, offeredTsMs: sec(0), answeredTsMs: sec(10) }), S));
      expect(got.writtenOutcomes).toBeUndefined();
      expect(got.writtenInTarget).toBeUndefined();
    }
  });
});

describe('ticketContributions: closure', () => {
  // Simple ticket opened at T0: deadline T0 + 24 h.
  const opened = (fields: Partial<TicketRecord> = {}) => ticket({ tier: 'simple', category: 'billing', openedTsMs: T0, ...fields });
  const deadline = T0 + 24 * HOUR;

  it('deadlines from open: simple 24 h, complex 72 h, special 72 h, complaint 72 h', () => {
    expect(ticketDeadlineMs(opened(), S)).toBe(T0 + 24 * HOUR);
    expect(ticketDeadlineMs(opened({ tier: 'complex' }), S)).toBe(T0 + 72 * HOUR);
    expect(ticketDeadlineMs(opened({ tier: 'special' }), S)).toBe(T0 + 72 * HOUR);
    expect(ticketDeadlineMs(opened({ complaint: true }), S)).toBe(T0 + 72 * HOUR);
    expect(ticketDeadlineMs(ticket({ tier: 'simple' }), S)).toBeNull();
  });

  it('closed by the deadline: on time at the close', () => {
    const close = T0 + 23 * HOUR;
    const got = byCounter(ticketContributions(opened({ closedTsMs: [close], confirmed: true }), T0 + 30 * HOUR, S));
    expect(got).toEqual({
      ticketsOpened: [[T0, 1]],
      ticketsClosed: [[close, 1]],
      ticketsOnTime: [[close, 1]],
    });
  });

  it('closed exactly at the deadline: on time', () => {
    const got = byCounter(ticketContributions(opened({ closedTsMs: [deadline] }), deadline + HOUR, S));
    expect(got.ticketsOnTime).toEqual([[deadline, 1]]);
    expect(got.ticketsOverdue).toBeUndefined();
  });

  it('open ticket: nothing before the deadline, overdue at the deadline once now ≥ deadline', () => {
    expect(byCounter(ticketContributions(opened(), deadline - 1, S))).toEqual({ ticketsOpened: [[T0, 1]] });
    expect(byCounter(ticketContributions(opened(), deadline, S))).toEqual({
      ticketsOpened: [[T0, 1]],
      ticketsOverdue: [[deadline, 1]],
    });
    // later still: attributed at the deadline, not at now
    expect(byCounter(ticketContributions(opened(), deadline + 5 * HOUR, S)).ticketsOverdue).toEqual([[deadline, 1]]);
  });

  it('closed late: closed at the close, overdue at the deadline, never on time (one outcome)', () => {
    const close = T0 + 30 * HOUR;
    const got = byCounter(ticketContributions(opened({ closedTsMs: [close] }), close + HOUR, S));
    expect(got).toEqual({
      ticketsOpened: [[T0, 1]],
      ticketsClosed: [[close, 1]],
      ticketsOverdue: [[deadline, 1]],
    });
  });

  it('complaint deadline: a simple complaint closed at 30 h is on time (72 h)', () => {
    const close = T0 + 30 * HOUR;
    const got = byCounter(ticketContributions(opened({ complaint: true, closedTsMs: [close] }), close, S));
    expect(got.ticketsOnTime).toEqual([[close, 1]]);
    expect(got.ticketsOverdue).toBeUndefined();
    // ... and an open complaint is overdue only at 72 h
    expect(byCounter(ticketContributions(opened({ complaint: true }), T0 + 72 * HOUR - 1, S)).ticketsOverdue).toBeUndefined();
    expect(byCounter(ticketContributions(opened({ complaint: true }), T0 + 72 * HOUR, S)).ticketsOverdue).toEqual([
      [T0 + 72 * HOUR, 1],
    ]);
  });

  it('reopened after close: no longer closed, overdue once the deadline passes', () => {
    const t = opened({ closedTsMs: [T0 + 2 * HOUR], reopenedTsMs: [T0 + 3 * HOUR] });
    expect(effectiveCloseMs(t)).toBeNull();
    expect(byCounter(ticketContributions(t, T0 + 10 * HOUR, S))).toEqual({ ticketsOpened: [[T0, 1]] });
    expect(byCounter(ticketContributions(t, deadline, S))).toEqual({
      ticketsOpened: [[T0, 1]],
      ticketsOverdue: [[deadline, 1]],
    });
  });

  it('reopened and closed again: the last close stands', () => {
    const onTime = opened({ closedTsMs: [T0 + 2 * HOUR, T0 + 20 * HOUR], reopenedTsMs: [T0 + 3 * HOUR] });
    expect(effectiveCloseMs(onTime)).toBe(T0 + 20 * HOUR);
    expect(byCounter(ticketContributions(onTime, T0 + 40 * HOUR, S))).toEqual({
      ticketsOpened: [[T0, 1]],
      ticketsClosed: [[T0 + 20 * HOUR, 1]],
      ticketsOnTime: [[T0 + 20 * HOUR, 1]],
    });

    // first closed in time, reopened, finally closed after the deadline → overdue
    const late = opened({ closedTsMs: [T0 + 2 * HOUR, T0 + 26 * HOUR], reopenedTsMs: [T0 + 3 * HOUR] });
    expect(byCounter(ticketContributions(late, T0 + 40 * HOUR, S))).toEqual({
      ticketsOpened: [[T0, 1]],
      ticketsClosed: [[T0 + 26 * HOUR, 1]],
      ticketsOverdue: [[deadline, 1]],
    });
  });

  it('drill tickets contribute nothing', () => {
    expect(ticketContributions(opened({ drill: true, closedTsMs: [T0 + HOUR] }), T0 + 48 * HOUR, S)).toEqual([]);
  });
});

describe('ticketContributions: escalation steps (notify 1 h, acknowledge 2 h, feedback 72 h)', () => {
  const E = T0 + HOUR; // escalated one hour after open
  const escalated = (fields: Partial<TicketRecord> = {}) =>
    ticket({ tier: 'complex', category: 'network', openedTsMs: T0, escalatedTsMs: E, ...fields });

  it('steps done in time count at the step; the step not yet due counts nothing', () => {
    const notified = E + 59 * 60_000;
    const acknowledged = E + 2 * HOUR; // exactly at the 2 h limit: in time
    const got = byCounter(ticketContributions(escalated({ notifiedTsMs: notified, acknowledgedTsMs: acknowledged }), E + 71 * HOUR, S));
    expect(got.escalationStepsOnTime).toEqual([
      [notified, 1],
      [acknowledged, 1],
    ]);
    expect(got.escalationStepsMissed).toBeUndefined();
  });

  it('a step not done by its due time is missed at the due time', () => {
    const got = byCounter(ticketContributions(escalated({ notifiedTsMs: E + 30 * 60_000 }), E + 72 * HOUR, S));
    expect(got.escalationStepsOnTime).toEqual([[E + 30 * 60_000, 1]]);
    expect(got.escalationStepsMissed).toEqual([
      [E + 2 * HOUR, 1], // acknowledge
      [E + 72 * HOUR, 1], // feedback
    ]);
  });

  it('a late step is missed at its due time, not counted on time at the step', () => {
    const got = byCounter(
      ticketContributions(escalated({ notifiedTsMs: E + HOUR + 1, acknowledgedTsMs: E + HOUR + 1 }), E + 3 * HOUR, S),
    );
    expect(got.escalationStepsOnTime).toEqual([[E + HOUR + 1, 1]]); // acknowledge, 1 h 0.001 s < 2 h
    expect(got.escalationStepsMissed).toEqual([[E + HOUR, 1]]); // notify
  });

  it('nothing is missed before its due time', () => {
    expect(byCounter(ticketContributions(escalated(), E + HOUR - 1, S)).escalationStepsMissed).toBeUndefined();
    expect(byCounter(ticketContributions(escalated(), E + HOUR, S)).escalationStepsMissed).toEqual([[E + HOUR, 1]]);
  });

  it('ticketDeadlines lists the closure deadline and the three escalation due times', () => {
    expect(ticketDeadlines(escalated(), S)).toEqual([T0 + 72 * HOUR, E + HOUR, E + 2 * HOUR, E + 72 * HOUR]);
    expect(ticketDeadlines(ticket({ tier: 'simple', openedTsMs: T0 }), S)).toEqual([T0 + 24 * HOUR]);
  });
});

describe('agentEpisodeContributions', () => {
  const start = sec(0);

  it('ready time counts at the end of the episode', () => {
    // 10:00:00 → 10:07:30 = 450 s
    expect(byCounter(agentEpisodeContributions('ready', start, sec(450), S))).toEqual({ readySec: [[sec(450), 450]] });
  });

  it('not-ready longer than 5 min is flagged at its end; exactly 5 min is not', () => {
    expect(agentEpisodeContributions('not_ready', start, sec(300), S)).toEqual([]);
    expect(byCounter(agentEpisodeContributions('not_ready', start, sec(301), S))).toEqual({
      notReadyLongEpisodes: [[sec(301), 1]],
    });
    expect(byCounter(agentEpisodeContributions('not_ready', start, sec(3600), S))).toEqual({
      notReadyLongEpisodes: [[sec(3600), 1]],
    });
  });

  it('busy, after-call work and logged out contribute nothing here', () => {
    for (const state of ['busy', 'acw', 'logged_out'] as const) {
      expect(agentEpisodeContributions(state, start, sec(900), S)).toEqual([]);
    }
  });

  it('a reversed episode has no negative time', () => {
    expect(byCounter(agentEpisodeContributions('ready', sec(100), sec(40), S))).toEqual({ readySec: [[sec(40), 0]] });
  });
});
