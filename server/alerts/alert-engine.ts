/**
 * Alerts (SPEC §5): the server, not each screen, decides when something is breaching, so every
 * screen and the duty manager see the same alert with the same age. A condition must hold for
 * `raiseAfterSec` before it is raised, is cleared only once the figure is back on target (past
 * the amber band: hysteresis) for `clearAfterSec`, and the same alert is not raised again within
 * `cooldownSec` of clearing, so a figure hovering at a limit does not flap on the floor.
 */
import { z } from 'zod';
import type { Alert, AlertRule } from '../../shared/alerts.ts';
import type { KpiName, Kpis, LiveState } from '../../shared/kpi.ts';
import type { ScopeKey } from '../../shared/scope.ts';
import { DEFAULT_THRESHOLDS, statusOf, type Threshold } from '../../shared/thresholds.ts';
import type { KpiWindow } from '../../shared/time.ts';

export interface AlertSettings {
  raiseAfterSec: number;
  clearAfterSec: number;
  cooldownSec: number;
  /** Ratios over fewer outcomes than this are not judged (one abandon is not a 100 % abandon rate). */
  minOutcomes: number;
  /** No event at all for this long raises "source silent". */
  silentAfterSec: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = { raiseAfterSec: 30, clearAfterSec: 60, cooldownSec: 300, minOutcomes: 10, silentAfterSec: 120 };

const envSchema = z.object({
  ALERT_RAISE_SEC: z.coerce.number().min(0).max(3600).default(DEFAULT_ALERT_SETTINGS.raiseAfterSec),
  ALERT_CLEAR_SEC: z.coerce.number().min(0).max(3600).default(DEFAULT_ALERT_SETTINGS.clearAfterSec),
  ALERT_COOLDOWN_SEC: z.coerce.number().min(0).max(86_400).default(DEFAULT_ALERT_SETTINGS.cooldownSec),
  ALERT_MIN_OUTCOMES: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_ALERT_SETTINGS.minOutcomes),
  ALERT_SILENT_SEC: z.coerce.number().min(10).max(86_400).default(DEFAULT_ALERT_SETTINGS.silentAfterSec),
});

/** Alert timings from the environment; throws naming the bad variable. */
export function alertSettingsFromEnv(env: NodeJS.ProcessEnv): AlertSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  return { raiseAfterSec: e.ALERT_RAISE_SEC, clearAfterSec: e.ALERT_CLEAR_SEC, cooldownSec: e.ALERT_COOLDOWN_SEC, minOutcomes: e.ALERT_MIN_OUTCOMES, silentAfterSec: e.ALERT_SILENT_SEC };
}

/**
 * The one place alert rules read thresholds from. Today the defaults of SPEC §5; versioned
 * targets (issue 6) replace this function, and `atMs` is there for them.
 */
export function thresholdFor(kpi: KpiName, _atMs: number): Threshold | undefined {
  return DEFAULT_THRESHOLDS[kpi];
}

/** What the rules read: the engine's snapshots and scope lists. */
export interface AlertSource {
  snapshot(scope: ScopeKey, window: KpiWindow): { kpis: Kpis; live: LiveState };
  scopeKeys(dimension: 'site' | 'queue'): ScopeKey[];
  /** Contacts offered in the same 15 minutes yesterday: the usual for now; null when unknown. */
  usualOffered?(scope: ScopeKey, nowMs: number): number | null;
}

/** A surge: at least twice the usual volume; over once back under 1.5 times it (hysteresis). */
const SURGE_RATIO = 2;
const SURGE_CLEAR_RATIO = 1.5;

type Condition = 'breach' | 'normal' | 'between';

interface Tracker {
  breachSince: number | null;
  normalSince: number | null;
  active: Alert | null;
  cooldownUntil: number;
}

/** Rate KPIs judged over the last 15 minutes: what is breaching now, not since the morning. */
const RATE_RULES: Array<{ kpi: KpiName; den: (k: Kpis) => number | undefined }> = [
  { kpi: 'serviceLevel', den: (k) => k.serviceLevel.den },
  { kpi: 'answerRate', den: (k) => k.answerRate.den },
  { kpi: 'abandonRate', den: (k) => k.abandonRate.den },
  { kpi: 'asaSec', den: (k) => k.asaSec.den },
];

const MAX_LOG = 500;

export class AlertEngine {
  private readonly trackers = new Map<string, Tracker>();
  /** Every alert raised, newest last; cleared ones drop off beyond MAX_LOG. */
  private readonly log: Alert[] = [];
  private lastEventMs: number | null = null;
  private nextId = 1;

  constructor(
    private readonly source: AlertSource,
    private readonly settings: AlertSettings,
    private readonly onChange: (alert: Alert, change: 'raised' | 'cleared' | 'acked') => void,
    private readonly thresholds: (kpi: KpiName, atMs: number) => Threshold | undefined = thresholdFor,
  ) {}

  /** Events arrived (for "source silent"). */
  noteEvents(nowMs: number): void {
    this.lastEventMs = nowMs;
  }

  active(): Alert[] {
    return this.log.filter((a) => a.clearedAt === null).reverse();
  }

  /** Newest first, active and cleared. */
  recent(limit = 100): Alert[] {
    return this.log.slice(-limit).reverse();
  }

  ack(id: string, actor: string, nowMs: number): Alert | 'not-found' | 'already' {
    const alert = this.log.find((a) => a.id === id);
    if (!alert) return 'not-found';
    if (alert.ackedAt !== null) return 'already';
    alert.ackedBy = actor;
    alert.ackedAt = nowMs;
    this.onChange(alert, 'acked');
    return alert;
  }

  /** Judges every rule at every centre, site and queue scope. */
  evaluate(nowMs: number): void {
    const scopes: ScopeKey[] = ['centre', ...this.source.scopeKeys('site'), ...this.source.scopeKeys('queue')];
    for (const scope of scopes) {
      const recent = this.source.snapshot(scope, '15m');
      for (const rule of RATE_RULES) {
        const value = recent.kpis[rule.kpi].value;
        const enough = (rule.den(recent.kpis) ?? 0) >= this.settings.minOutcomes;
        this.judgeThreshold(scope, rule.kpi, enough ? value : null, nowMs);
      }
      this.judgeThreshold(scope, 'longestWaitSec', recent.kpis.longestWaitSec.value, nowMs);
      if (!scope.startsWith('queue:')) this.judgeThreshold(scope, 'agentsNotReadyOverLimit', recent.kpis.agentsNotReadyOverLimit.value, nowMs);
      this.judgeSurge(scope, recent.kpis.offered.value ?? 0, nowMs);
      const { inQueue, agents } = recent.live;
      this.observe('no-agents-ready', undefined, scope, inQueue > 0 && agents.ready === 0 ? 'breach' : 'normal', inQueue, 0, nowMs);
    }
    const silentMs = this.lastEventMs === null ? 0 : nowMs - this.lastEventMs;
    const silent = this.lastEventMs !== null && silentMs > this.settings.silentAfterSec * 1000;
    this.observe('source-silent', undefined, 'centre', silent ? 'breach' : 'normal', Math.round(silentMs / 1000), this.settings.silentAfterSec, nowMs);
  }

  private judgeThreshold(scope: ScopeKey, kpi: KpiName, value: number | null, nowMs: number): void {
    const threshold = this.thresholds(kpi, nowMs);
    if (!threshold) return;
    const status = statusOf(value, threshold);
    // No figure says nothing: keep whatever stands until there is one.
    const condition: Condition = status === 'red' ? 'breach' : status === 'green' ? 'normal' : 'between';
    this.observe('threshold', kpi, scope, condition, value, threshold.red, nowMs);
  }

  /**
   * Calls surge (SPEC §5; on the complaints queue, the complaint surge): offered in the last 15
   * minutes against the same interval yesterday. Without yesterday there is no "usual" to judge by.
   */
  private judgeSurge(scope: ScopeKey, offered: number, nowMs: number): void {
    const usual = this.source.usualOffered?.(scope, nowMs) ?? null;
    if (usual === null || usual <= 0) return this.observe('volume-surge', undefined, scope, 'normal', offered, null, nowMs);
    const ratio = offered / usual;
    const condition: Condition = offered >= this.settings.minOutcomes && ratio >= SURGE_RATIO ? 'breach' : ratio < SURGE_CLEAR_RATIO ? 'normal' : 'between';
    this.observe('volume-surge', undefined, scope, condition, offered, usual * SURGE_RATIO, nowMs);
  }

  private observe(rule: AlertRule, kpi: KpiName | undefined, scope: string, condition: Condition, value: number | null, limit: number | null, nowMs: number): void {
    const key = `${rule}|${kpi ?? ''}|${scope}`;
    let tracker = this.trackers.get(key);
    if (!tracker) {
      // Most scopes never breach: keep no tracker for them.
      if (condition !== 'breach') return;
      tracker = { breachSince: null, normalSince: null, active: null, cooldownUntil: 0 };
      this.trackers.set(key, tracker);
    }
    if (condition === 'breach') {
      tracker.normalSince = null;
      tracker.breachSince ??= nowMs;
      if (tracker.active) {
        if (value !== null && (tracker.active.worst === null || worse(kpi, value, tracker.active.worst))) tracker.active.worst = value;
      } else if (nowMs >= tracker.cooldownUntil && nowMs - tracker.breachSince >= this.settings.raiseAfterSec * 1000) {
        const alert: Alert = { id: `A${this.nextId++}-${nowMs.toString(36)}`, rule, kpi, scope, raisedAt: nowMs, clearedAt: null, value, worst: value, limit, ackedBy: null, ackedAt: null };
        tracker.active = alert;
        this.log.push(alert);
        this.trimLog();
        this.onChange(alert, 'raised');
      }
    } else if (condition === 'normal') {
      tracker.breachSince = null;
      tracker.normalSince ??= nowMs;
      if (tracker.active && nowMs - tracker.normalSince >= this.settings.clearAfterSec * 1000) {
        tracker.active.clearedAt = nowMs;
        const cleared = tracker.active;
        tracker.active = null;
        tracker.cooldownUntil = nowMs + this.settings.cooldownSec * 1000;
        this.onChange(cleared, 'cleared');
      }
      if (!tracker.active && nowMs >= tracker.cooldownUntil) this.trackers.delete(key);
    } else {
      tracker.breachSince = null;
      tracker.normalSince = null;
    }
  }

  private trimLog(): void {
    while (this.log.length > MAX_LOG) {
      const i = this.log.findIndex((a) => a.clearedAt !== null);
      if (i === -1) break;
      this.log.splice(i, 1);
    }
  }
}

/** Is `a` further from target than `b`? Higher is worse for max-kind KPIs, lower for min-kind. */
function worse(kpi: KpiName | undefined, a: number, b: number): boolean {
  const threshold = kpi ? DEFAULT_THRESHOLDS[kpi] : undefined;
  return threshold?.kind === 'min' ? a < b : a > b;
}
