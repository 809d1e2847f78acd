/**
 * The population behind a figure (issue 10, "the contacts behind a figure"): for every KPI with
 * a numerator and a denominator, both written once here as linear combinations of the counters
 * the engine sums (shared/kpi.ts), so the rows a manager drills to are exactly what the formula
 * counted. A record's contributions (shared/attribution.ts) in the window give it a share of the
 * numerator and of the denominator; it is in the population when either share is non-zero.
 *
 * Rows are per counted occurrence, not per record: a contact transferred twice in the window is
 * two rows of `transferred`, a ticket's three escalation steps are three rows of escalation
 * compliance, and a ticket opened and closed in the window is an "opened" row (denominator) and a
 * "closed" row (numerator) of closed ÷ opened. So, for every figure, the rows' denominator shares
 * add up to `den` and their numerator shares to `num`; each share is 0 or 1 except for sums
 * (wait, handle time, score), where the row's own contribution is its `value`.
 */
import { C, COUNTER_NAMES, KPI_NAMES, type CounterName, type KpiName, type KpiSettings } from './kpi.ts';
import type { PackedContributions } from './attribution.ts';

/** A linear combination of counters: counter → coefficient. */
export type Term = Partial<Record<CounterName, number>>;

/** What a figure's rows are: contacts or tickets. */
export type PopulationSource = 'contacts' | 'tickets';

export interface Population {
  source: PopulationSource;
  num: Term;
  den: Term;
  /**
   * How a row reads: `count` (num = den: every row is in the numerator), `ratio` (rows of the
   * denominator, some in the numerator) or `mean` (the numerator sums each row's `value`).
   */
  shape: 'count' | 'ratio' | 'mean';
}

/** answered + abandoned + flowed out − short abandons (shared/kpi.ts queueOutcomeBase). */
const OUTCOME_BASE: Term = { answered: 1, abandoned: 1, flowedOut: 1, shortAbandoned: -1 };

const count = (counter: CounterName): Population => ({ source: 'contacts', num: { [counter]: 1 }, den: { [counter]: 1 }, shape: 'count' });
const ratio = (num: Term, den: Term, source: PopulationSource = 'contacts'): Population => ({ source, num, den, shape: 'ratio' });
const mean = (num: Term, den: Term): Population => ({ source: 'contacts', num, den, shape: 'mean' });

/** Figures that are not sums over contacts or tickets, and why (for a field-named 400). */
export const NOT_DRILLABLE: Partial<Record<KpiName, string>> = {
  occupancy: 'comes from agents\' time, not from contacts',
  notReadyLongEpisodes: 'counts agents\' not-ready episodes, not contacts',
  inQueue: 'is a live figure (the wallboard lists who waits)',
  longestWaitSec: 'is a live figure (the wallboard lists who waits)',
  agentsReady: 'is a live count of agents',
  agentsBusy: 'is a live count of agents',
  agentsAcw: 'is a live count of agents',
  agentsNotReady: 'is a live count of agents',
  agentsNotReadyOverLimit: 'is a live count of agents',
};

/**
 * The population of a drillable figure, with the service-level variant of the settings; null
 * for the figures of NOT_DRILLABLE. Each mirrors its function in shared/kpi.ts (a unit test
 * holds them equal on random counters).
 */
export function populationOf(kpi: KpiName, settings: Pick<KpiSettings, 'serviceLevelVariant'>): Population | null {
  switch (kpi) {
    case 'offered':
    case 'answered':
    case 'abandoned':
    case 'shortAbandoned':
    case 'flowedOut':
    case 'transferred':
    case 'handled':
      return count(kpi);
    case 'answerRate':
      return ratio({ answered: 1 }, OUTCOME_BASE);
    case 'serviceLevel':
      switch (settings.serviceLevelVariant) {
        case 'answered':
          return ratio({ answeredInSl: 1 }, { answered: 1 });
        case 'sl2':
          return ratio({ answeredInSl: 1, abandonedInSl: 1 }, { answered: 1, abandoned: 1 });
        default:
          return ratio({ answeredInSl: 1 }, OUTCOME_BASE);
      }
    case 'abandonRate':
      return ratio({ abandoned: 1, shortAbandoned: -1 }, OUTCOME_BASE);
    case 'asaSec':
      return mean({ answerWaitSec: 1 }, { answered: 1 });
    case 'ahtSec':
      return mean({ handleSec: 1 }, { handled: 1 });
    case 'fcr':
      return ratio({ resolvedFirst: 1 }, { resolved: 1 });
    case 'csat':
      return ratio({ surveyTopTwo: 1 }, { surveys: 1 });
    case 'csatMean':
      return mean({ surveyScore5: 1 }, { surveys: 1 });
    case 'writtenFirstResponse':
      return ratio({ writtenInTarget: 1 }, { writtenOutcomes: 1 });
    case 'closureRate':
      return ratio({ ticketsOnTime: 1 }, { ticketsOnTime: 1, ticketsOverdue: 1 }, 'tickets');
    case 'closedOverOpened':
      return ratio({ ticketsClosed: 1 }, { ticketsOpened: 1 }, 'tickets');
    case 'escalationCompliance':
      return ratio({ escalationStepsOnTime: 1 }, { escalationStepsOnTime: 1, escalationStepsMissed: 1 }, 'tickets');
    default:
      return null;
  }
}

/** Every figure that has a population (a row list behind it). */
export const DRILLABLE_KPIS: readonly KpiName[] = KPI_NAMES.filter((kpi) => populationOf(kpi, { serviceLevelVariant: 'standard' }) !== null);

/**
 * What happened to a record that a counter counts: its offer, its queue outcome, a transfer, its
 * wrap-up, its resolution, its survey; a ticket's opening, close, passed deadline or escalation
 * step. Counters of one occurrence share its time (shared/attribution.ts); a row is one occurrence.
 */
export type Occurrence = 'offer' | 'outcome' | 'transfer' | 'wrap-up' | 'resolution' | 'survey' | 'opened' | 'closed' | 'overdue' | 'escalation-step' | 'agent-time';

export const OCCURRENCE_OF: Record<CounterName, Occurrence> = {
  offered: 'offer',
  answered: 'outcome',
  answeredInSl: 'outcome',
  answerWaitSec: 'outcome',
  abandoned: 'outcome',
  shortAbandoned: 'outcome',
  abandonedInSl: 'outcome',
  flowedOut: 'outcome',
  writtenOutcomes: 'outcome',
  writtenInTarget: 'outcome',
  transferred: 'transfer',
  handled: 'wrap-up',
  handleSec: 'wrap-up',
  resolved: 'resolution',
  resolvedFirst: 'resolution',
  surveys: 'survey',
  surveyTopTwo: 'survey',
  surveyScore5: 'survey',
  ticketsOpened: 'opened',
  ticketsClosed: 'closed',
  ticketsOnTime: 'closed',
  ticketsOverdue: 'overdue',
  escalationStepsOnTime: 'escalation-step',
  escalationStepsMissed: 'escalation-step',
  readySec: 'agent-time',
  notReadyLongEpisodes: 'agent-time',
};

/** Occurrences of which a record can have several (each its own row): transfers and escalation steps. */
const REPEATED: ReadonlySet<Occurrence> = new Set(['transfer', 'escalation-step']);

/** Coefficients indexed by counter (0 where the term has none), for the loop over contributions. */
function coefficients(term: Term): Float64Array {
  const out = new Float64Array(COUNTER_NAMES.length);
  for (const [name, k] of Object.entries(term)) out[C[name as CounterName]] = k ?? 0;
  return out;
}

/** A record's share of a figure at one occurrence. */
export interface ShareRow {
  occurrence: Occurrence;
  /** When the occurrence counts (epoch ms). */
  tsMs: number;
  num: number;
  den: number;
}

/** A population compiled for `sharesOf` (coefficients by counter index). */
export interface CompiledPopulation {
  population: Population;
  num: Float64Array;
  den: Float64Array;
}

export function compilePopulation(population: Population): CompiledPopulation {
  return { population, num: coefficients(population.num), den: coefficients(population.den) };
}

/**
 * A record's rows in the population of a figure: its contributions (packed, as from
 * packedContactContributions / packedTicketContributions) with `startMs <= tsMs < endMs`,
 * grouped by occurrence; rows whose numerator and denominator shares are both 0 are not in it
 * (a short abandon adds +1 abandoned and +1 short abandon: 0 to the answer rate's base).
 */
export function sharesOf(packed: PackedContributions, compiled: CompiledPopulation, startMs: number, endMs: number): ShareRow[] {
  const rows: ShareRow[] = [];
  for (let i = 0; i < packed.length; i += 3) {
    const tsMs = packed[i];
    if (tsMs < startMs || tsMs >= endMs) continue;
    const counter = packed[i + 1];
    const num = compiled.num[counter] * packed[i + 2];
    const den = compiled.den[counter] * packed[i + 2];
    if (num === 0 && den === 0 && compiled.num[counter] === 0 && compiled.den[counter] === 0) continue;
    const occurrence = OCCURRENCE_OF[COUNTER_NAMES[counter]];
    let row = REPEATED.has(occurrence) ? undefined : rows.find((r) => r.occurrence === occurrence && r.tsMs === tsMs);
    if (!row) rows.push((row = { occurrence, tsMs, num: 0, den: 0 }));
    row.num += num;
    row.den += den;
  }
  return rows.filter((r) => r.num !== 0 || r.den !== 0);
}
