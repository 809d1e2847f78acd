/**
 * The console's figures (every KPI of SPEC §4 the live API sends), how they are grouped on the
 * page, which of them have contacts behind them, and what "worst first" means for each when the
 * drill table is sorted.
 */
import type { KpiName } from '../../shared/kpi.ts';
import { DRILLABLE_KPIS } from '../../shared/kpi-population.ts';
import { DEFAULT_THRESHOLDS } from '../../shared/thresholds.ts';
import type { KpiMap } from './types.ts';
import type { Targets } from '../../shared/targets.ts';

/** Figures by theme, in reading order. */
export const FIGURE_GROUPS = [
  { key: 'groupQueue', kpis: ['inQueue', 'longestWaitSec', 'offered', 'answered', 'abandoned', 'shortAbandoned', 'flowedOut', 'transferred'] },
  { key: 'groupService', kpis: ['serviceLevel', 'answerRate', 'abandonRate', 'asaSec', 'ahtSec', 'handled', 'writtenFirstResponse'] },
  { key: 'groupQuality', kpis: ['fcr', 'csat', 'csatMean', 'closureRate', 'closedOverOpened', 'escalationCompliance'] },
  { key: 'groupAgents', kpis: ['agentsReady', 'agentsBusy', 'agentsAcw', 'agentsNotReady', 'agentsNotReadyOverLimit', 'notReadyLongEpisodes', 'occupancy'] },
] as const satisfies ReadonlyArray<{ key: string; kpis: readonly KpiName[] }>;

/** Columns of the drill table: the figures a duty manager compares children by. */
export const TABLE_KPIS = [
  'offered',
  'inQueue',
  'longestWaitSec',
  'serviceLevel',
  'answerRate',
  'abandonRate',
  'asaSec',
  'ahtSec',
  'fcr',
  'csat',
  'occupancy',
  'agentsReady',
  'agentsNotReadyOverLimit',
] as const satisfies readonly KpiName[];

/**
 * Figures with contacts (or tickets) behind them (`GET /api/v1/kpis/contacts`), as shared/
 * defines their populations; live states (in queue, agents) and agents' time have none.
 */
export const CONTACT_KPIS: ReadonlySet<KpiName> = new Set<KpiName>(DRILLABLE_KPIS);

/** Figures where a higher value is better without a threshold saying so. */
const HIGHER_IS_BETTER: ReadonlySet<KpiName> = new Set<KpiName>(['csatMean', 'closedOverOpened', 'escalationCompliance', 'writtenFirstResponse', 'agentsReady']);

/** The sort direction that puts the worst first: ascending when higher is better. */
export function worstFirstDir(kpi: KpiName): 'asc' | 'desc' {
  const threshold = DEFAULT_THRESHOLDS[kpi];
  if (threshold) return threshold.kind === 'min' ? 'asc' : 'desc';
  return HIGHER_IS_BETTER.has(kpi) ? 'asc' : 'desc';
}

/** A row of the drill table: a child scope, its label and figures. */
export interface FigureRow {
  scope: string;
  label: string;
  kpis: KpiMap;
  /** The targets in force for the scope today, as the server sent them (issue 11). */
  targets?: Targets;
}

/**
 * Name order with numbers in numeric order ('q2' before 'q10'). One collator: `localeCompare`
 * with options builds a new one per call, which made sorting 500 rows cost hundreds of ms.
 */
const LABEL_ORDER = new Intl.Collator('en', { numeric: true });

/**
 * Rows sorted by a figure (`label` sorts by name); rows without a value go last whichever the
 * direction, since "no data" is neither best nor worst. Ties keep name order.
 */
export function sortRows(rows: readonly FigureRow[], by: KpiName | 'label', dir: 'asc' | 'desc'): FigureRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  const byLabel = (a: FigureRow, b: FigureRow) => LABEL_ORDER.compare(a.label, b.label);
  if (by === 'label') return [...rows].sort((a, b) => sign * byLabel(a, b));
  return [...rows].sort((a, b) => {
    const va = a.kpis[by]?.value ?? null;
    const vb = b.kpis[by]?.value ?? null;
    if (va === null || vb === null) return va === vb ? byLabel(a, b) : va === null ? 1 : -1;
    return va === vb ? byLabel(a, b) : sign * (va - vb);
  });
}
