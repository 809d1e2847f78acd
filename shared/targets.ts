/**
 * Targets versioned with an effective date (SPEC §1, §5): an administrator or director changes a
 * target from a day on, and a month is judged against the version in force on its first day, so
 * last year's report keeps last year's targets. The first version is shared/thresholds.ts.
 */
import { z } from 'zod';
import type { KpiName } from './kpi.ts';
import { DEFAULT_THRESHOLDS, type Threshold } from './thresholds.ts';

export type Targets = Partial<Record<KpiName, Threshold>>;

export interface TargetVersion {
  /** First local day the version applies, `YYYY-MM-DD`. */
  effectiveFrom: string;
  targets: Targets;
  /** Who set it and when (epoch ms); the defaults have neither. */
  changedBy: string | null;
  changedAtMs: number | null;
}

/** The version every centre starts from: SPEC §5 defaults, in force since forever. */
export const DEFAULT_TARGET_VERSION: TargetVersion = {
  effectiveFrom: '1970-01-01',
  targets: DEFAULT_THRESHOLDS,
  changedBy: null,
  changedAtMs: null,
};

/** KPIs that may carry a target, with the way they are judged. */
export const TARGET_KINDS: Partial<Record<KpiName, 'min' | 'max'>> = {
  serviceLevel: 'min',
  answerRate: 'min',
  abandonRate: 'max',
  asaSec: 'max',
  ahtSec: 'max',
  fcr: 'min',
  csat: 'min',
  closureRate: 'min',
  writtenFirstResponse: 'min',
  escalationCompliance: 'min',
  longestWaitSec: 'max',
  agentsNotReadyOverLimit: 'max',
};

const RATIO_KPIS = new Set<KpiName>(['serviceLevel', 'answerRate', 'abandonRate', 'fcr', 'csat', 'closureRate', 'writtenFirstResponse', 'escalationCompliance']);

const thresholdSchema = z.object({ target: z.number().finite().min(0), amber: z.number().finite().min(0), red: z.number().finite().min(0) }).strict();

/** The body of a target change. */
export const targetChangeSchema = z
  .object({
    effectiveFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a real day'),
    targets: z.record(z.string(), thresholdSchema),
  })
  .strict();

/** Validates a change and returns its targets with kinds filled in; throws with the field named. */
export function parseTargetChange(body: unknown): { effectiveFrom: string; targets: Targets } {
  const parsed = targetChangeSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const targets: Targets = {};
  for (const [name, t] of Object.entries(parsed.data.targets)) {
    const kind = TARGET_KINDS[name as KpiName];
    if (!kind) throw new Error(`targets.${name}: not a KPI with a target (one of ${Object.keys(TARGET_KINDS).join(', ')})`);
    if (RATIO_KPIS.has(name as KpiName) && [t.target, t.amber, t.red].some((v) => v > 1)) {
      throw new Error(`targets.${name}: a fraction from 0 to 1 (0.9 = 90 %)`);
    }
    if (kind === 'min' ? t.red > t.amber : t.red < t.amber) {
      throw new Error(`targets.${name}.red: must be ${kind === 'min' ? 'at most' : 'at least'} amber for a ${kind === 'min' ? 'higher-is-better' : 'lower-is-better'} KPI`);
    }
    targets[name as KpiName] = { ...t, kind };
  }
  if (Object.keys(targets).length === 0) throw new Error('targets: name at least one KPI');
  return { effectiveFrom: parsed.data.effectiveFrom, targets };
}

/**
 * The targets in force on `day` (`YYYY-MM-DD`): each KPI from the latest version effective on
 * or before that day that sets it (a version may change a few KPIs and keep the rest).
 */
export function targetsInForce(versions: readonly TargetVersion[], day: string): Targets {
  const applicable = [DEFAULT_TARGET_VERSION, ...versions]
    .filter((v) => v.effectiveFrom <= day)
    .sort((a, b) => (a.effectiveFrom === b.effectiveFrom ? (a.changedAtMs ?? 0) - (b.changedAtMs ?? 0) : a.effectiveFrom.localeCompare(b.effectiveFrom)));
  const out: Targets = {};
  for (const v of applicable) Object.assign(out, v.targets);
  return out;
}
