/**
 * Targets versioned with an effective date (SPEC §1, §5): an administrator or director changes a
 * target from a day on, and a month is judged against the version in force on its first day, so
 * last year's report keeps last year's targets. The first version is shared/thresholds.ts.
 */
import { z } from 'zod';
import type { KpiName, Kpis, KpiSettings, KpiValue, ServiceLevelVariant } from './kpi.ts';
import { scopeDimension } from './scope.ts';
import { DEFAULT_THRESHOLDS, statusOf, type Threshold } from './thresholds.ts';

export type Targets = Partial<Record<KpiName, Threshold>>;

/**
 * Scopes that carry versions of their own (issue 11). Every other scope inherits: see
 * `targetScopeChain`.
 */
export type TargetScope = 'centre' | `site:${string}` | `queue:${string}` | `channel:${string}`;
export const TARGET_SCOPE_DIMENSIONS = ['site', 'queue', 'channel'] as const;

/** The service-level settings kept as versioned data (issue 11): T, S and the variant. */
export interface ServiceLevelSettings {
  serviceLevelSec: number;
  shortAbandonSec: number;
  serviceLevelVariant: ServiceLevelVariant;
}
export const SL_SETTING_NAMES = ['serviceLevelSec', 'shortAbandonSec', 'serviceLevelVariant'] as const;

export interface TargetVersion {
  /** First local day the version applies, `YYYY-MM-DD`. */
  effectiveFrom: string;
  /** Whose version it is; absent (versions stored before issue 11) means the centre. */
  scope?: TargetScope;
  targets: Targets;
  /** Service-level settings set by this version (centre versions only). */
  settings?: Partial<ServiceLevelSettings>;
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
  inQueue: 'max',
  agentsNotReadyOverLimit: 'max',
};

const RATIO_KPIS = new Set<KpiName>(['serviceLevel', 'answerRate', 'abandonRate', 'fcr', 'csat', 'closureRate', 'writtenFirstResponse', 'escalationCompliance']);

const thresholdSchema = z.object({ target: z.number().finite().min(0), amber: z.number().finite().min(0), red: z.number().finite().min(0), kind: z.enum(['min', 'max']).optional() }).strict();

const NAME = /^[A-Za-z0-9_.\-\u00C0-\uFFFF]{1,128}$/;

/** Whether `raw` names a scope that may carry its own versions: `centre`, `site:X`, `queue:X`, `channel:X`. */
export function isTargetScope(raw: string): raw is TargetScope {
  if (raw === 'centre') return true;
  const colon = raw.indexOf(':');
  return colon > 0 && (TARGET_SCOPE_DIMENSIONS as readonly string[]).includes(raw.slice(0, colon)) && NAME.test(raw.slice(colon + 1));
}

const settingsSchema = z
  .object({
    serviceLevelSec: z.number().int().min(1).max(3600).optional(),
    shortAbandonSec: z.number().int().min(0).max(600).optional(),
    serviceLevelVariant: z.enum(['standard', 'answered', 'sl2']).optional(),
  })
  .strict();

/** The body of a target change. */
export const targetChangeSchema = z
  .object({
    scope: z.string().refine(isTargetScope, 'one of centre, site:X, queue:X or channel:X').optional(),
    effectiveFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a real day'),
    targets: z.record(z.string(), thresholdSchema).default({}),
    settings: settingsSchema.optional(),
  })
  .strict();

export interface TargetChange {
  scope: TargetScope;
  effectiveFrom: string;
  targets: Targets;
  settings?: Partial<ServiceLevelSettings>;
}

/** Validates a change and returns its targets with kinds filled in; throws with the field named. */
export function parseTargetChange(body: unknown): TargetChange {
  const parsed = targetChangeSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const targets: Targets = {};
  for (const [name, t] of Object.entries(parsed.data.targets)) {
    const kind = TARGET_KINDS[name as KpiName];
    if (!kind) throw new Error(`targets.${name}: not a KPI with a target (one of ${Object.keys(TARGET_KINDS).join(', ')})`);
    if (t.kind !== undefined && t.kind !== kind) throw new Error(`targets.${name}.kind: ${name} is judged '${kind}' (optional; leave it out)`);
    if (RATIO_KPIS.has(name as KpiName) && [t.target, t.amber, t.red].some((v) => v > 1)) {
      throw new Error(`targets.${name}: a fraction from 0 to 1 (0.9 = 90 %)`);
    }
    if (kind === 'min' ? t.red > t.amber : t.red < t.amber) {
      throw new Error(`targets.${name}.red: must be ${kind === 'min' ? 'at most' : 'at least'} amber for a ${kind === 'min' ? 'higher-is-better' : 'lower-is-better'} KPI`);
    }
    targets[name as KpiName] = { target: t.target, kind, amber: t.amber, red: t.red };
  }
  const scope = (parsed.data.scope ?? 'centre') as TargetScope;
  const settings = parsed.data.settings && Object.keys(parsed.data.settings).length > 0 ? parsed.data.settings : undefined;
  if (settings && scope !== 'centre') throw new Error('settings: service-level settings are set for the centre only');
  if (Object.keys(targets).length === 0 && !settings) throw new Error('targets: name at least one KPI');
  return { scope, effectiveFrom: parsed.data.effectiveFrom, targets, ...(settings ? { settings } : {}) };
}

/**
 * The scopes whose versions a scope's targets come from, least specific first (issue 11). Per
 * KPI the most specific one with a version in force that sets the KPI wins; a scope without one
 * inherits: a site, queue or channel from the centre; a queue at a site (`site:X/queue:Y`) from
 * the queue, else the site, else the centre (a VIP queue is stricter wherever it is served);
 * teams and agents from the centre.
 */
export function targetScopeChain(scope: string): TargetScope[] {
  const dimension = scopeDimension(scope);
  if (dimension === 'site' || dimension === 'queue' || dimension === 'channel') return ['centre', scope as TargetScope];
  if (dimension === 'siteQueue') {
    const split = scope.indexOf('/queue:');
    return ['centre', scope.slice(0, split) as TargetScope, `queue:${scope.slice(split + '/queue:'.length)}`];
  }
  return ['centre'];
}

const byEffectiveDate = (a: TargetVersion, b: TargetVersion) =>
  a.effectiveFrom === b.effectiveFrom ? (a.changedAtMs ?? 0) - (b.changedAtMs ?? 0) : a.effectiveFrom.localeCompare(b.effectiveFrom);

/** A version's scope: versions stored before issue 11 have none and are the centre's. */
export const versionScope = (v: TargetVersion): TargetScope => v.scope ?? 'centre';

/** Where each KPI's target in force comes from: the scope and day of the version that set it. */
export type TargetSources = Partial<Record<KpiName, { scope: TargetScope; effectiveFrom: string }>>;

/**
 * The targets in force on `day` (`YYYY-MM-DD`) for `scope` (default the centre), with where each
 * comes from: per scope of the chain, each KPI from the latest version effective on or before
 * that day that sets it (a version may change a few KPIs and keep the rest); a more specific
 * scope's KPI replaces the centre's.
 */
export function targetsInForceWithSources(versions: readonly TargetVersion[], day: string, scope = 'centre'): { targets: Targets; sources: TargetSources } {
  const targets: Targets = {};
  const sources: TargetSources = {};
  for (const link of targetScopeChain(scope)) {
    const applicable = (link === 'centre' ? [DEFAULT_TARGET_VERSION, ...versions] : versions).filter((v) => versionScope(v) === link && v.effectiveFrom <= day).sort(byEffectiveDate);
    for (const v of applicable) {
      for (const [kpi, threshold] of Object.entries(v.targets)) {
        targets[kpi as KpiName] = threshold;
        sources[kpi as KpiName] = { scope: link, effectiveFrom: v.effectiveFrom };
      }
    }
  }
  return { targets, sources };
}

/** The service-level settings in force on `day`: `base` (the environment's) changed by centre versions. */
export function settingsInForce(versions: readonly TargetVersion[], day: string, base: ServiceLevelSettings): ServiceLevelSettings {
  const out: ServiceLevelSettings = { serviceLevelSec: base.serviceLevelSec, shortAbandonSec: base.shortAbandonSec, serviceLevelVariant: base.serviceLevelVariant };
  for (const v of versions.filter((x) => versionScope(x) === 'centre' && x.settings && x.effectiveFrom <= day).sort(byEffectiveDate)) Object.assign(out, v.settings);
  return out;
}

/** The service-level settings of a full KPI settings object. */
export function serviceLevelSettingsOf(s: Pick<KpiSettings, 'serviceLevelSec' | 'shortAbandonSec' | 'serviceLevelVariant'>): ServiceLevelSettings {
  return { serviceLevelSec: s.serviceLevelSec, shortAbandonSec: s.shortAbandonSec, serviceLevelVariant: s.serviceLevelVariant };
}

/** The service-level formula in force, in words (issue 11: the text beside a figure follows the variant, T and S). */
export function serviceLevelFormula(s: ServiceLevelSettings, lang: 'zh-CN' | 'en'): string {
  const { serviceLevelSec: t, shortAbandonSec: short } = s;
  switch (s.serviceLevelVariant) {
    case 'answered':
      return lang === 'en' ? `answered ≤ ${t} s ÷ answered` : `${t} 秒内接通 ÷ 接通`;
    case 'sl2':
      return lang === 'en' ? `(answered ≤ ${t} s + abandoned ≤ ${t} s) ÷ (answered + abandoned)` : `(${t} 秒内接通 + ${t} 秒内放弃) ÷ (接通 + 放弃)`;
    default:
      return lang === 'en'
        ? `answered ≤ ${t} s ÷ (answered + abandoned + flowed out − short abandons < ${short} s)`
        : `${t} 秒内接通 ÷ (接通 + 放弃 + 溢出 − ${short} 秒内短放弃)`;
  }
}

/** A figure's status in the API's words: on target, in the warning band, or in alarm. */
export type KpiStatus = 'ok' | 'warn' | 'alarm';

/** The one judgement of a value against a threshold (null: no value or no target). */
export function judge(value: number | null | undefined, threshold: Threshold | undefined): KpiStatus | null {
  const status = statusOf(value ?? null, threshold);
  return status === 'green' ? 'ok' : status === 'amber' ? 'warn' : status === 'red' ? 'alarm' : null;
}

/** A KPI as the API gives it: its value, the target in force and its status. */
export type JudgedKpi = KpiValue & { target: number | null; status: KpiStatus | null };

/** Every KPI with the target in force and its status (`GET /api/v1/kpis`). */
export function withTargets(kpis: Kpis, targets: Targets): Record<KpiName, JudgedKpi> {
  const out = {} as Record<KpiName, JudgedKpi>;
  for (const [kpi, value] of Object.entries(kpis) as Array<[KpiName, KpiValue]>) {
    const threshold = targets[kpi];
    out[kpi] = { ...value, target: threshold?.target ?? null, status: judge(value.value, threshold) };
  }
  return out;
}

/** Target and status of every KPI that has a target (the daily report's `judged`). */
export function judgeKpis(kpis: Kpis, targets: Targets): Partial<Record<KpiName, { target: number; status: KpiStatus | null }>> {
  const out: Partial<Record<KpiName, { target: number; status: KpiStatus | null }>> = {};
  for (const [kpi, threshold] of Object.entries(targets) as Array<[KpiName, Threshold]>) {
    if (kpis[kpi]) out[kpi] = { target: threshold.target, status: judge(kpis[kpi].value, threshold) };
  }
  return out;
}

/**
 * THE status of a figure (issue 11): `value` of `kpi` at `scope` on local `day`, judged by the
 * targets in force for that scope and day. Screens that hold the targets in force already (sent
 * with every socket message) call `judge`/`statusOf` with them: the same thresholds, the same rule.
 */
export function kpiStatus(kpi: KpiName, value: number | null | undefined, scope: string, day: string, versions: readonly TargetVersion[]): KpiStatus | null {
  return judge(value, targetsInForce(versions, day, scope)[kpi]);
}

/** The targets in force on `day` for `scope` (default the centre); see `targetsInForceWithSources`. */
export function targetsInForce(versions: readonly TargetVersion[], day: string, scope = 'centre'): Targets {
  return targetsInForceWithSources(versions, day, scope).targets;
}
