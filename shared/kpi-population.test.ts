import { describe, expect, it } from 'vitest';
import { newContactRecord, newTicketRecord, packedContactContributions, packedTicketContributions, type ContactRecord } from './attribution.ts';
import { C, COUNTER_NAMES, computeKpis, DEFAULT_KPI_SETTINGS, emptyLiveState, KPI_NAMES, newCounters, type CounterName, type KpiSettings, type ServiceLevelVariant } from './kpi.ts';
import { compilePopulation, DRILLABLE_KPIS, NOT_DRILLABLE, OCCURRENCE_OF, populationOf, sharesOf, type Term } from './kpi-population.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const S = DEFAULT_KPI_SETTINGS; // T = 30 s, S = 5 s
const sec = (n: number) => T0 + n * 1000;

function contact(fields: Partial<ContactRecord>): ContactRecord {
  return { ...newContactRecord('c1'), channel: 'phone', queue: 'q', site: 's', ...fields };
}

/** Rows of one record for a figure, in a window [from, to) given in seconds after T0. */
function rows(kpi: (typeof KPI_NAMES)[number], r: ContactRecord, from = -3600, to = 3600, settings: KpiSettings = S) {
  const population = populationOf(kpi, settings)!;
  return sharesOf(packedContactContributions(r, settings), compilePopulation(population), sec(from), sec(to));
}

const evaluate = (term: Term, c: Float64Array) => Object.entries(term).reduce((sum, [name, k]) => sum + (k ?? 0) * c[C[name as CounterName]], 0);

describe('populations behind the figures', () => {
  it('has a population for every figure but the live and agent-time ones, which say why not', () => {
    for (const kpi of KPI_NAMES) expect(DRILLABLE_KPIS.includes(kpi) !== (NOT_DRILLABLE[kpi] !== undefined), kpi).toBe(true);
    expect([...DRILLABLE_KPIS].sort()).toEqual([
      'abandonRate', 'abandoned', 'ahtSec', 'answerRate', 'answered', 'asaSec', 'closedOverOpened', 'closureRate', 'csat', 'csatMean',
      'escalationCompliance', 'fcr', 'flowedOut', 'handled', 'offered', 'serviceLevel', 'shortAbandoned', 'transferred', 'writtenFirstResponse',
    ]);
    expect(NOT_DRILLABLE.occupancy).toMatch(/agents' time/);
  });

  it('writes each numerator and denominator as the figure in shared/kpi.ts computes them, for every service-level variant', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const variant of ['standard', 'answered', 'sl2'] as ServiceLevelVariant[]) {
      for (let n = 0; n < 50; n++) {
        const c = newCounters();
        for (let i = 0; i < COUNTER_NAMES.length; i++) c[i] = Math.floor(random() * 1000);
        const kpis = computeKpis(c, emptyLiveState(), T0, { serviceLevelVariant: variant });
        for (const kpi of DRILLABLE_KPIS) {
          const p = populationOf(kpi, { serviceLevelVariant: variant })!;
          if (p.shape === 'count') {
            expect(evaluate(p.num, c), kpi).toBe(kpis[kpi].value);
            expect(evaluate(p.den, c), kpi).toBe(kpis[kpi].value);
          } else {
            expect([evaluate(p.num, c), evaluate(p.den, c)], `${kpi} ${variant}`).toEqual([kpis[kpi].num, kpis[kpi].den]);
          }
        }
      }
    }
  });

  it('leaves a short abandon out of the answer rate, and counts a long one in its base only', () => {
    const short = contact({ offeredTsMs: sec(0), abandonedTsMs: sec(3) });
    expect(rows('answerRate', short)).toEqual([]);
    expect(rows('abandonRate', short)).toEqual([]);
    // Still an abandon, and a short one, in the counts.
    expect(rows('abandoned', short)).toEqual([{ occurrence: 'outcome', tsMs: sec(3), num: 1, den: 1 }]);
    expect(rows('shortAbandoned', short)).toEqual([{ occurrence: 'outcome', tsMs: sec(3), num: 1, den: 1 }]);
    const long = contact({ offeredTsMs: sec(0), abandonedTsMs: sec(40) });
    expect(rows('answerRate', long)).toEqual([{ occurrence: 'outcome', tsMs: sec(40), num: 0, den: 1 }]);
    expect(rows('abandonRate', long)).toEqual([{ occurrence: 'outcome', tsMs: sec(40), num: 1, den: 1 }]);
    // Standard service level: in the base, not within T. SL2 counts abandons within T in both terms.
    expect(rows('serviceLevel', long)).toEqual([{ occurrence: 'outcome', tsMs: sec(40), num: 0, den: 1 }]);
    const sl2 = { ...S, serviceLevelVariant: 'sl2' as const };
    expect(rows('serviceLevel', short, -3600, 3600, sl2)).toEqual([{ occurrence: 'outcome', tsMs: sec(3), num: 1, den: 1 }]);
    // Answered-only service level: abandons are not in it at all.
    expect(rows('serviceLevel', long, -3600, 3600, { ...S, serviceLevelVariant: 'answered' })).toEqual([]);
  });

  it('puts an orphaned contact (PBX restart) in the offered population only', () => {
    const orphan = contact({ offeredTsMs: sec(0), orphanedTsMs: sec(45) });
    expect(rows('offered', orphan)).toEqual([{ occurrence: 'offer', tsMs: sec(0), num: 1, den: 1 }]);
    for (const kpi of DRILLABLE_KPIS.filter((k) => k !== 'offered')) expect(rows(kpi, orphan), kpi).toEqual([]);
  });

  it('gives an answered contact its wait for ASA, its handle time for AHT and its score for the mean', () => {
    const r = contact({
      offeredTsMs: sec(0), answeredTsMs: sec(20), agentId: 'a1', endedTsMs: sec(200), talkSec: 150, holdSec: 10, wrappedTsMs: sec(230),
      resolvedTsMs: sec(230), firstContact: true, surveyTsMs: sec(300), surveyScore: 9, surveyScale: 10,
    });
    expect(rows('answerRate', r)).toEqual([{ occurrence: 'outcome', tsMs: sec(20), num: 1, den: 1 }]);
    expect(rows('serviceLevel', r)).toEqual([{ occurrence: 'outcome', tsMs: sec(20), num: 1, den: 1 }]);
    expect(rows('asaSec', r)).toEqual([{ occurrence: 'outcome', tsMs: sec(20), num: 20, den: 1 }]);
    // 150 talk + 10 hold + 30 wrap-up.
    expect(rows('ahtSec', r)).toEqual([{ occurrence: 'wrap-up', tsMs: sec(230), num: 190, den: 1 }]);
    expect(rows('fcr', r)).toEqual([{ occurrence: 'resolution', tsMs: sec(230), num: 1, den: 1 }]);
    // 9 of 10: top two boxes; 1 + 8 × 4 / 9 on five points.
    expect(rows('csat', r)).toEqual([{ occurrence: 'survey', tsMs: sec(300), num: 1, den: 1 }]);
    expect(rows('csatMean', r)[0].num).toBeCloseTo(1 + (8 * 4) / 9, 12);
    // A repeat call within 7 days makes the resolution not-first.
    expect(rows('fcr', { ...r, repeatedLater: true })).toEqual([{ occurrence: 'resolution', tsMs: sec(230), num: 0, den: 1 }]);
    // Answered at 31 s: outside T = 30 s.
    expect(rows('serviceLevel', { ...r, answeredTsMs: sec(31) })[0]).toMatchObject({ num: 0, den: 1 });
    // A drill contributes nothing.
    expect(rows('offered', { ...r, drill: true })).toEqual([]);
  });

  it('counts what happens inside the window only: [start, end)', () => {
    const r = contact({ offeredTsMs: sec(0), answeredTsMs: sec(60), agentId: 'a1', endedTsMs: sec(120), wrappedTsMs: sec(180) });
    expect(rows('offered', r, 0, 60)).toHaveLength(1);
    expect(rows('answered', r, 0, 60)).toEqual([]);
    expect(rows('answered', r, 60, 61)).toHaveLength(1);
    expect(rows('handled', r, 0, 180)).toEqual([]);
  });

  it('makes each transfer and each escalation step a row of its own, and closed ÷ opened a row for each', () => {
    const r = contact({ offeredTsMs: sec(0), answeredTsMs: sec(5), transferTsMs: [sec(30), sec(90)] });
    expect(rows('transferred', r)).toEqual([
      { occurrence: 'transfer', tsMs: sec(30), num: 1, den: 1 },
      { occurrence: 'transfer', tsMs: sec(90), num: 1, den: 1 },
    ]);
    const t = { ...newTicketRecord('t1'), tier: 'simple' as const, openedTsMs: sec(0), escalatedTsMs: sec(10), notifiedTsMs: sec(600), closedTsMs: [sec(3000)] };
    const nowMs = sec(10 + 2 * 3600 + 1); // notify done (≤ 1 h), acknowledge missed (2 h passed), feedback not yet due
    const escalation = compilePopulation(populationOf('escalationCompliance', S)!);
    expect(sharesOf(packedTicketContributions(t, nowMs, S), escalation, sec(-1), nowMs + 1)).toEqual([
      { occurrence: 'escalation-step', tsMs: sec(600), num: 1, den: 1 },
      { occurrence: 'escalation-step', tsMs: sec(10 + 7200), num: 0, den: 1 },
    ]);
    const closedOverOpened = compilePopulation(populationOf('closedOverOpened', S)!);
    expect(sharesOf(packedTicketContributions(t, nowMs, S), closedOverOpened, sec(-1), nowMs)).toEqual([
      { occurrence: 'opened', tsMs: sec(0), num: 0, den: 1 },
      { occurrence: 'closed', tsMs: sec(3000), num: 1, den: 0 },
    ]);
    // Closed within 24 h: on time, at the close.
    const closure = compilePopulation(populationOf('closureRate', S)!);
    expect(sharesOf(packedTicketContributions(t, nowMs, S), closure, sec(-1), nowMs)).toEqual([{ occurrence: 'closed', tsMs: sec(3000), num: 1, den: 1 }]);
    // Never closed: overdue at its deadline, once it has passed.
    const open = { ...t, closedTsMs: [] };
    const deadline = sec(24 * 3600);
    expect(sharesOf(packedTicketContributions(open, deadline - 1, S), closure, sec(-1), deadline + 1)).toEqual([]);
    expect(sharesOf(packedTicketContributions(open, deadline, S), closure, sec(-1), deadline + 1)).toEqual([{ occurrence: 'overdue', tsMs: deadline, num: 0, den: 1 }]);
  });

  it('names the occurrence of every contribution by its counter: one time per occurrence of a record', () => {
    // Every counter a contact or ticket adds belongs to an occurrence, and those of one occurrence share its time.
    const r = contact({
      channel: 'chat', offeredTsMs: sec(0), answeredTsMs: sec(20), agentId: 'a', endedTsMs: sec(90), wrappedTsMs: sec(100), resolvedTsMs: sec(110),
      firstContact: true, surveyTsMs: sec(120), surveyScore: 5,
    });
    const packed = packedContactContributions(r, S);
    const times = new Map<string, Set<number>>();
    for (let i = 0; i < packed.length; i += 3) {
      const occurrence = OCCURRENCE_OF[COUNTER_NAMES[packed[i + 1]]];
      times.set(occurrence, (times.get(occurrence) ?? new Set()).add(packed[i]));
    }
    expect(Object.fromEntries([...times].map(([k, v]) => [k, [...v]]))).toEqual({
      offer: [sec(0)], outcome: [sec(20)], 'wrap-up': [sec(100)], resolution: [sec(110)], survey: [sec(120)],
    });
  });
});
