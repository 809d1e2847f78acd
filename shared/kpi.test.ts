/**
 * KPI formulas (SPEC §4) against hand-computed examples. Every expected number below is worked
 * out in the comments from the SPEC formulas, not read back from the implementation.
 */
import { describe, expect, it } from 'vitest';
import { forScope, kpiApplies, QUEUE_OUTCOME_KPIS } from './kpi.ts';
import {
  C,
  COUNTER_COUNT,
  COUNTER_NAMES,
  DEFAULT_KPI_SETTINGS,
  KPI_NAMES,
  abandonRate,
  addCounters,
  ahtSec,
  answerRate,
  asaSec,
  closedOverOpened,
  closureRate,
  computeKpis,
  countersFrom,
  countersToRecord,
  csat,
  csatMean,
  emptyLiveState,
  escalationCompliance,
  fcr,
  isTopTwoBox,
  longestWaitSec,
  newCounters,
  occupancy,
  queueOutcomeBase,
  scoreOnFivePointScale,
  serviceLevel,
  writtenFirstResponse,
  type Counters,
  type KpiValue,
  type LiveState,
} from './kpi.ts';

/**
 * The queue window of the brief:
 *   8 answered, waits 5, 10, 12, 20, 25, 30 (6 within T = 30 s, 30 s itself counts) and 45, 93;
 *     Σ wait = 5+10+12+20+25+30+45+93 = 240 s → ASA 240/8 = 30 s
 *   3 abandoned, waits 3 s (short, < S = 5 s), 40 s, 50 s → 1 short, 1 abandoned within T (the 3 s one)
 *   1 flowed out
 *   base = answered + abandoned + flowed out − short = 8 + 3 + 1 − 1 = 11
 *   answer rate 8/11, service level 6/11, abandon rate (3 − 1)/11 = 2/11
 *   answered-only SL 6/8 = 0.75; Asterisk SL2 (6 + 1)/(8 + 3) = 7/11
 */
const queueWindow = (): Counters =>
  countersFrom({
    offered: 14, // 2 still waiting: offered is a count, not part of the rates
    answered: 8,
    answeredInSl: 6,
    answerWaitSec: 240,
    abandoned: 3,
    shortAbandoned: 1,
    abandonedInSl: 1,
    flowedOut: 1,
  });

function expectRatio(k: KpiValue, num: number, den: number, value: number | null): void {
  expect(k.num).toBe(num);
  expect(k.den).toBe(den);
  if (value === null) expect(k.value).toBeNull();
  else expect(k.value).toBeCloseTo(value, 12);
}

describe('counters', () => {
  it('has one slot per counter name and builds from a partial record', () => {
    expect(COUNTER_COUNT).toBe(COUNTER_NAMES.length);
    const c = countersFrom({ answered: 3, flowedOut: 2 });
    expect(c.length).toBe(COUNTER_NAMES.length);
    expect(c[C.answered]).toBe(3);
    expect(c[C.flowedOut]).toBe(2);
    expect(c[C.abandoned]).toBe(0);
    const rec = countersToRecord(c);
    expect(rec.answered).toBe(3);
    expect(rec.flowedOut).toBe(2);
    expect(rec.offered).toBe(0);
  });

  it('adds and retracts', () => {
    const total = newCounters();
    addCounters(total, countersFrom({ answered: 2, answerWaitSec: 15 }));
    addCounters(total, countersFrom({ answered: 1, answerWaitSec: 40 }));
    expect(total[C.answered]).toBe(3);
    expect(total[C.answerWaitSec]).toBe(55);
    addCounters(total, countersFrom({ answered: 1, answerWaitSec: 40 }), -1);
    expect(total[C.answered]).toBe(2);
    expect(total[C.answerWaitSec]).toBe(15);
  });

  it('queue outcome base is answered + abandoned + flowed out − short abandons', () => {
    expect(queueOutcomeBase(queueWindow())).toBe(11);
  });
});

describe('answerRate', () => {
  it('worked example: 8 ÷ (8 + 3 + 1 − 1) = 8/11', () => {
    expectRatio(answerRate(queueWindow()), 8, 11, 8 / 11);
    expect(answerRate(queueWindow()).value).toBeCloseTo(0.727273, 6);
  });

  it('short abandons leave the denominator: 4 answered + 2 short abandons → 4/4 = 1', () => {
    expectRatio(answerRate(countersFrom({ answered: 4, abandoned: 2, shortAbandoned: 2 })), 4, 4, 1);
  });

  it('flow-outs stay in the denominator: 3 answered + 1 flowed out → 3/4', () => {
    expectRatio(answerRate(countersFrom({ answered: 3, flowedOut: 1 })), 3, 4, 0.75);
  });

  it('zero denominator (only short abandons) → null, num and den still given', () => {
    expectRatio(answerRate(countersFrom({ abandoned: 2, shortAbandoned: 2 })), 0, 0, null);
    expectRatio(answerRate(newCounters()), 0, 0, null);
  });
});

describe('serviceLevel', () => {
  it('standard: answered ≤ T ÷ (answered + abandoned + flowed out − short) = 6/11', () => {
    expectRatio(serviceLevel(queueWindow()), 6, 11, 6 / 11);
    expectRatio(serviceLevel(queueWindow(), 'standard'), 6, 11, 6 / 11);
  });

  it('answered-only: answered ≤ T ÷ answered = 6/8', () => {
    expectRatio(serviceLevel(queueWindow(), 'answered'), 6, 8, 0.75);
  });

  it('Asterisk SL2: (answered ≤ T + abandoned ≤ T) ÷ (answered + abandoned) = 7/11', () => {
    // ASTERISK-26559: sl2 = (callsabandonedinsl + callscompletedinsl) / (callsabandoned + callscompleted);
    // queue timeouts (our flow-outs) are in neither term.
    expectRatio(serviceLevel(queueWindow(), 'sl2'), 7, 11, 7 / 11);
    // A flow-out changes neither numerator nor denominator of SL2.
    const more = queueWindow();
    more[C.flowedOut] += 5;
    expectRatio(serviceLevel(more, 'sl2'), 7, 11, 7 / 11);
    // ... while it lowers the standard figure: 6 / (11 + 5) = 6/16.
    expectRatio(serviceLevel(more), 6, 16, 0.375);
  });

  it('flow-outs count against standard service level: 3 in SL + 1 flowed out → 3/4', () => {
    expectRatio(serviceLevel(countersFrom({ answered: 3, answeredInSl: 3, flowedOut: 1 })), 3, 4, 0.75);
  });

  it('zero denominators give null in every variant', () => {
    const empty = newCounters();
    expectRatio(serviceLevel(empty, 'standard'), 0, 0, null);
    expectRatio(serviceLevel(empty, 'answered'), 0, 0, null);
    expectRatio(serviceLevel(empty, 'sl2'), 0, 0, null);
    // Only a flow-out: standard 0/1 = 0, answered-only has no answers → null.
    const flowOnly = countersFrom({ flowedOut: 1 });
    expectRatio(serviceLevel(flowOnly, 'standard'), 0, 1, 0);
    expectRatio(serviceLevel(flowOnly, 'answered'), 0, 0, null);
  });
});

describe('abandonRate', () => {
  it('worked example: (3 − 1) ÷ 11 = 2/11', () => {
    expectRatio(abandonRate(queueWindow()), 2, 11, 2 / 11);
  });

  it('short abandons are neither abandons nor in the base: 4 answered, 2 short → 0/4', () => {
    expectRatio(abandonRate(countersFrom({ answered: 4, abandoned: 2, shortAbandoned: 2 })), 0, 4, 0);
  });

  it('flow-outs are not abandons: 3 answered, 1 flowed out → 0/4', () => {
    expectRatio(abandonRate(countersFrom({ answered: 3, flowedOut: 1 })), 0, 4, 0);
  });

  it('1 answered, 3 abandoned (none short) → 3/4', () => {
    expectRatio(abandonRate(countersFrom({ answered: 1, abandoned: 3 })), 3, 4, 0.75);
  });

  it('zero denominator → null', () => {
    expectRatio(abandonRate(countersFrom({ abandoned: 1, shortAbandoned: 1 })), 0, 0, null);
  });

  it('answer rate + abandon rate + flow-out share = 1 over the same base', () => {
    const c = queueWindow();
    // 8/11 + 2/11 + 1/11 = 11/11
    expect((answerRate(c).value ?? 0) + (abandonRate(c).value ?? 0) + 1 / 11).toBeCloseTo(1, 12);
  });
});

describe('asaSec', () => {
  it('Σ wait of answered ÷ answered = 240 / 8 = 30 s', () => {
    expectRatio(asaSec(queueWindow()), 240, 8, 30);
  });

  it('abandoned waits do not count: 2 answered with waits 10 and 25 → 17.5 s', () => {
    expectRatio(asaSec(countersFrom({ answered: 2, answerWaitSec: 35, abandoned: 4 })), 35, 2, 17.5);
  });

  it('no answers → null', () => {
    expectRatio(asaSec(countersFrom({ abandoned: 3 })), 0, 0, null);
  });
});

describe('ahtSec', () => {
  it('Σ (talk + hold + wrap-up) ÷ handled', () => {
    // (180 + 20 + 30) + (240 + 0 + 60) + (100 + 10 + 20) + (300 + 40 + 0)
    //  = 230 + 300 + 130 + 340 = 1000 s over 4 handled → 250 s
    expectRatio(ahtSec(countersFrom({ handled: 4, handleSec: 1000 })), 1000, 4, 250);
  });

  it('nothing handled → null', () => {
    expectRatio(ahtSec(countersFrom({ answered: 5 })), 0, 0, null);
  });
});

describe('fcr', () => {
  it('resolved first ÷ resolved: 19 of 20 → 0.95', () => {
    expectRatio(fcr(countersFrom({ resolved: 20, resolvedFirst: 19 })), 19, 20, 0.95);
  });

  it('7 of 8 → 0.875', () => {
    expectRatio(fcr(countersFrom({ resolved: 8, resolvedFirst: 7 })), 7, 8, 0.875);
  });

  it('nothing resolved → null', () => {
    expectRatio(fcr(newCounters()), 0, 0, null);
  });
});

describe('csat and csatMean', () => {
  // 10 responses on a 5-point scale: 5, 5, 5, 4, 4, 4, 4, 4, 4, 2
  // top two boxes (4 and 5): 9 of 10 → 0.9; mean = (15 + 24 + 2) / 10 = 41 / 10 = 4.1
  const surveys = () => countersFrom({ surveys: 10, surveyTopTwo: 9, surveyScore5: 41 });

  it('top-two-box share', () => {
    expectRatio(csat(surveys()), 9, 10, 0.9);
  });

  it('mean score', () => {
    expectRatio(csatMean(surveys()), 41, 10, 4.1);
  });

  it('no responses → null', () => {
    expectRatio(csat(newCounters()), 0, 0, null);
    expectRatio(csatMean(newCounters()), 0, 0, null);
  });

  it('top two boxes are the two highest scores of the scale', () => {
    expect(isTopTwoBox(5, 5)).toBe(true);
    expect(isTopTwoBox(4, 5)).toBe(true);
    expect(isTopTwoBox(3, 5)).toBe(false);
    expect(isTopTwoBox(10, 10)).toBe(true);
    expect(isTopTwoBox(9, 10)).toBe(true);
    expect(isTopTwoBox(8, 10)).toBe(false);
  });

  it('scores map linearly onto 1..5', () => {
    expect(scoreOnFivePointScale(3, 5)).toBe(3);
    expect(scoreOnFivePointScale(1, 10)).toBe(1);
    expect(scoreOnFivePointScale(10, 10)).toBe(5);
    // 1 + (9 − 1) · 4 / 9 = 1 + 32/9 = 41/9
    expect(scoreOnFivePointScale(9, 10)).toBeCloseTo(41 / 9, 12);
    // 3-point scale: 2 → 1 + 1 · 4 / 2 = 3
    expect(scoreOnFivePointScale(2, 3)).toBe(3);
  });
});

describe('closureRate and closedOverOpened', () => {
  // 25 opened; 18 closed by their deadline; 1 closed late; 1 still open past its deadline.
  // on time 18, overdue 2 (the late one counts overdue at its deadline, the open one too)
  // closure rate 18 / (18 + 2) = 0.9; closed ÷ opened = 19 / 25 = 0.76
  const tickets = () => countersFrom({ ticketsOpened: 25, ticketsClosed: 19, ticketsOnTime: 18, ticketsOverdue: 2 });

  it('on time ÷ (on time + overdue)', () => {
    expectRatio(closureRate(tickets()), 18, 20, 0.9);
  });

  it('closed ÷ opened', () => {
    expectRatio(closedOverOpened(tickets()), 19, 25, 0.76);
  });

  it('only overdue → 0; nothing due → null', () => {
    expectRatio(closureRate(countersFrom({ ticketsOverdue: 3 })), 0, 3, 0);
    expectRatio(closureRate(countersFrom({ ticketsOpened: 4 })), 0, 0, null);
    expectRatio(closedOverOpened(countersFrom({ ticketsClosed: 2 })), 2, 0, null);
  });
});

describe('escalationCompliance', () => {
  it('steps on time ÷ (on time + missed): 5 of 6', () => {
    expectRatio(escalationCompliance(countersFrom({ escalationStepsOnTime: 5, escalationStepsMissed: 1 })), 5, 6, 5 / 6);
  });

  it('nothing due → null', () => {
    expectRatio(escalationCompliance(newCounters()), 0, 0, null);
  });
});

describe('writtenFirstResponse', () => {
  it('within the channel limit ÷ written contacts: 6 of 8 → 0.75', () => {
    expectRatio(writtenFirstResponse(countersFrom({ writtenOutcomes: 8, writtenInTarget: 6 })), 6, 8, 0.75);
  });

  it('no written contacts → null', () => {
    expectRatio(writtenFirstResponse(countersFrom({ answered: 3 })), 0, 0, null);
  });
});

describe('occupancy', () => {
  it('handle ÷ (handle + ready): 1000 s handled, 3000 s ready → 0.25', () => {
    expectRatio(occupancy(countersFrom({ handleSec: 1000, readySec: 3000 })), 1000, 4000, 0.25);
  });

  it('no ready time → 1; no time at all → null', () => {
    expectRatio(occupancy(countersFrom({ handleSec: 600 })), 600, 600, 1);
    expectRatio(occupancy(newCounters()), 0, 0, null);
  });
});

describe('longestWaitSec', () => {
  const oldest = Date.UTC(2024, 5, 3, 2, 0, 0); // 10:00:00 in Shanghai

  it('now − offer time of the oldest waiting contact, whole seconds', () => {
    const live: LiveState = { ...emptyLiveState(), inQueue: 3, oldestWaitingTsMs: oldest };
    // 1 min 35.9 s later → 95 s
    expect(longestWaitSec(live, oldest + 95_900)).toBe(95);
    expect(longestWaitSec(live, oldest + 120_000)).toBe(120);
  });

  it('0 when nobody waits, never negative', () => {
    expect(longestWaitSec(emptyLiveState(), oldest)).toBe(0);
    expect(longestWaitSec({ ...emptyLiveState(), inQueue: 1, oldestWaitingTsMs: oldest }, oldest - 5000)).toBe(0);
  });
});

describe('computeKpis', () => {
  const now = Date.UTC(2024, 5, 3, 2, 15, 0);
  const counters = (): Counters => {
    const c = queueWindow();
    c[C.transferred] = 2;
    c[C.handled] = 4;
    c[C.handleSec] = 1000;
    c[C.resolved] = 20;
    c[C.resolvedFirst] = 19;
    c[C.surveys] = 10;
    c[C.surveyTopTwo] = 9;
    c[C.surveyScore5] = 41;
    c[C.ticketsOpened] = 25;
    c[C.ticketsClosed] = 19;
    c[C.ticketsOnTime] = 18;
    c[C.ticketsOverdue] = 2;
    c[C.escalationStepsOnTime] = 5;
    c[C.escalationStepsMissed] = 1;
    c[C.writtenOutcomes] = 8;
    c[C.writtenInTarget] = 6;
    c[C.readySec] = 3000;
    c[C.notReadyLongEpisodes] = 3;
    return c;
  };
  const live: LiveState = {
    inQueue: 2,
    oldestWaitingTsMs: now - 75_000,
    agents: { ready: 3, busy: 5, acw: 1, not_ready: 2 },
    notReadyOverLimit: 1,
  };

  it('ships every KPI name with the hand-computed values', () => {
    const k = computeKpis(counters(), live, now);
    expect(Object.keys(k).sort()).toEqual([...KPI_NAMES].sort());

    expect(k.offered.value).toBe(14);
    expect(k.answered.value).toBe(8);
    expect(k.abandoned.value).toBe(3);
    expect(k.shortAbandoned.value).toBe(1);
    expect(k.flowedOut.value).toBe(1);
    expect(k.transferred.value).toBe(2);
    expect(k.handled.value).toBe(4);

    expectRatio(k.answerRate, 8, 11, 8 / 11);
    expectRatio(k.serviceLevel, 6, 11, 6 / 11);
    expectRatio(k.abandonRate, 2, 11, 2 / 11);
    expectRatio(k.asaSec, 240, 8, 30);
    expectRatio(k.ahtSec, 1000, 4, 250);
    expectRatio(k.fcr, 19, 20, 0.95);
    expectRatio(k.csat, 9, 10, 0.9);
    expectRatio(k.csatMean, 41, 10, 4.1);
    expectRatio(k.closureRate, 18, 20, 0.9);
    expectRatio(k.closedOverOpened, 19, 25, 0.76);
    expectRatio(k.escalationCompliance, 5, 6, 5 / 6);
    expectRatio(k.writtenFirstResponse, 6, 8, 0.75);
    expectRatio(k.occupancy, 1000, 4000, 0.25);

    expect(k.inQueue.value).toBe(2);
    expect(k.longestWaitSec.value).toBe(75);
    expect(k.agentsReady.value).toBe(3);
    expect(k.agentsBusy.value).toBe(5);
    expect(k.agentsAcw.value).toBe(1);
    expect(k.agentsNotReady.value).toBe(2);
    expect(k.agentsNotReadyOverLimit.value).toBe(1);
    expect(k.notReadyLongEpisodes.value).toBe(3);
  });

  it('uses the configured service-level variant', () => {
    expectRatio(computeKpis(counters(), live, now, { serviceLevelVariant: 'answered' }).serviceLevel, 6, 8, 0.75);
    expectRatio(computeKpis(counters(), live, now, { serviceLevelVariant: 'sl2' }).serviceLevel, 7, 11, 7 / 11);
    expect(DEFAULT_KPI_SETTINGS.serviceLevelVariant).toBe('standard');
  });

  it('an empty scope: counts 0, every ratio null with num and den 0', () => {
    const k = computeKpis(newCounters(), emptyLiveState(), now);
    for (const name of ['offered', 'answered', 'abandoned', 'shortAbandoned', 'flowedOut', 'inQueue', 'longestWaitSec'] as const) {
      expect(k[name].value).toBe(0);
    }
    for (const name of [
      'answerRate',
      'serviceLevel',
      'abandonRate',
      'asaSec',
      'ahtSec',
      'fcr',
      'csat',
      'csatMean',
      'closureRate',
      'closedOverOpened',
      'escalationCompliance',
      'writtenFirstResponse',
      'occupancy',
    ] as const) {
      expect(k[name].value, name).toBeNull();
      expect(k[name].num, name).toBe(0);
      expect(k[name].den, name).toBe(0);
    }
  });
});

describe('default settings match SPEC §4/§5 and the manuals', () => {
  it('T 30 s, S 5 s, FCR repeat 7 days, written 5/5/15 min, deadlines 24/72/72/72 h, escalation 1/2/72 h, not-ready 5 min', () => {
    const s = DEFAULT_KPI_SETTINGS;
    expect(s.serviceLevelSec).toBe(30);
    expect(s.shortAbandonSec).toBe(5);
    expect(s.fcrRepeatDays).toBe(7);
    expect(s.writtenResponseSec).toEqual({ email: 300, chat: 300, social: 900 });
    expect(s.ticketDeadlineSec).toEqual({ simple: 86_400, complex: 259_200, special: 259_200, complaint: 259_200 });
    expect(s.escalationSec).toEqual({ notified: 3600, acknowledged: 7200, feedback: 259_200 });
    expect(s.notReadyLimitSec).toBe(300);
  });
});

describe('queue outcomes by scope (issue 11)', () => {
  // A team's counters: abandons and flow-outs have no team, so they are 0 here while the site has them.
  const team = countersFrom({ offered: 8, answered: 8, answeredInSl: 7, answerWaitSec: 96, handled: 8, handleSec: 2400 });
  const live = { ...emptyLiveState(), inQueue: 2, oldestWaitingTsMs: Date.UTC(2026, 0, 5, 1, 59, 0) };
  const now = Date.UTC(2026, 0, 5, 2, 0, 0);

  it('gives a team and an agent null queue outcomes (not answer rate 100 %) but their answered, ASA and AHT', () => {
    for (const dimension of ['team', 'agent']) {
      const k = computeKpis(team, live, now, DEFAULT_KPI_SETTINGS, dimension);
      for (const kpi of QUEUE_OUTCOME_KPIS) expect(k[kpi], `${dimension} ${kpi}`).toEqual({ value: null });
      expect(k.answered.value).toBe(8);
      expect(k.asaSec).toEqual({ value: 12, num: 96, den: 8 });
      expect(k.ahtSec).toEqual({ value: 300, num: 2400, den: 8 });
      expect(kpiApplies('answerRate', dimension)).toBe(false);
      expect(kpiApplies('answered', dimension)).toBe(true);
    }
  });

  it('keeps them for the centre, sites, queues, a site’s queue and channels', () => {
    for (const dimension of ['centre', 'site', 'queue', 'siteQueue', 'channel']) {
      const k = computeKpis(team, live, now, DEFAULT_KPI_SETTINGS, dimension);
      expect(k.answerRate, dimension).toEqual({ value: 1, num: 8, den: 8 });
      expect([k.offered.value, k.inQueue.value, k.longestWaitSec.value]).toEqual([8, 2, 60]);
    }
    // Without a dimension: the centre's (every caller that does not say).
    expect(computeKpis(team, live, now).answerRate.value).toBe(1);
    expect(QUEUE_OUTCOME_KPIS).toEqual(['offered', 'abandoned', 'shortAbandoned', 'flowedOut', 'answerRate', 'serviceLevel', 'abandonRate', 'inQueue', 'longestWaitSec']);
  });

  it('forScope nulls the queue outcomes of figures already computed', () => {
    const k = forScope(computeKpis(team, live, now), 'team');
    expect(k.serviceLevel).toEqual({ value: null });
    expect(k.answered.value).toBe(8);
  });
});
